"""``{% register_rows table %}``: the rows of a register's list (检查对象名录库 and the others),
written in Python.

Fifty rows of up to a dozen columns: through the template language each cell cost a loop
step, a ``forloop`` test and a lookup, about half of the page's CPU (issue 21 §3,
``benchmarks/staff.py``). The rows are the HTML the template gave, escaped the same way
(``conditional_escape``, as autoescaping does); ``table`` is ``directory.views.register_list``'s
list of (row, link, cells), the link escaped, the cells written as text.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import conditional_escape, escape

register = template.Library()


@register.simple_tag
def register_rows(table) -> SafeString:
    rows = []
    for obj, link, cells in table:
        first, *rest = cells
        written = [
            f'<td><a href="{link}">{conditional_escape(first or "—")}</a></td>',
            *(f"<td>{conditional_escape(cell)}</td>" for cell in rest),
        ]
        rows.append(
            "\n  <tr>\n    "
            + "".join(written)
            + f"\n    <td>{escape(obj.organisation.name)}</td>\n  </tr>\n  "
        )
    # Every value above is escaped.
    return mark_safe("".join(rows))
