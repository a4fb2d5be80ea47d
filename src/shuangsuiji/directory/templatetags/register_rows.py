"""``{% register_rows table %}``: the rows of a register's list (检查对象名录库 and the others),
written in Python.

Fifty rows of up to a dozen columns: through the template language each cell cost a loop
step, a ``forloop`` test and a lookup, about half of the page's CPU (issue 21 §3,
``benchmarks/staff.py``). The rows are the HTML the template gave, escaped the same way
(``conditional_escape``, as autoescaping does); ``table`` is ``directory.views.register_list``'s
list of (link, cells, organisation's name), the link escaped, the cells written as text.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import conditional_escape, escape

register = template.Library()


@register.simple_tag
def register_rows(table) -> SafeString:
    rows = []
    for link, cells, organisation in table:
        first, *rest = cells
        written = [
            f'<td><a href="{link}">{conditional_escape(first or "—")}</a></td>',
            *(f"<td>{conditional_escape(cell)}</td>" for cell in rest),
        ]
        rows.append(
            "\n  <tr>\n    "
            + "".join(written)
            + f"\n    <td>{escape(organisation)}</td>\n  </tr>\n  "
        )
    # Every value above is escaped.
    return mark_safe("".join(rows))


@register.simple_tag
def register_filters(filters, applied) -> SafeString:
    """The list's filter controls (``directory.views.register_list``'s ``filters``), each chosen
    value marked as in ``applied``: a drop-down per filter, or a text box where 片区 is typed
    (a register across units). Written in Python: a register has up to a dozen filters and some
    a hundred options, each a loop step with a loop over the applied filters in the template
    language, a fifth of the page (issue 21 §3)."""
    written = []
    for f in filters:
        name, label = conditional_escape(f["name"]), conditional_escape(f["label"])
        chosen = applied.get(f["name"])
        if f["typed"]:
            value = "" if chosen is None else conditional_escape(chosen)
            written.append(
                f'\n  \n  <input type="text" name="{name}" value="{value}" '
                f'placeholder="{label}（完整名称）" aria-label="{label}">\n  \n  '
            )
            continue
        options = "".join(
            f'\n    <option value="{conditional_escape(option)}"'
            f"{' selected' if option == chosen else ''}>"
            f"{conditional_escape(option)}</option>\n    "
            for option in f["options"]
        )
        written.append(
            f'\n  \n  <select name="{name}" aria-label="{label}">\n'
            f'    <option value="">{label}：全部</option>\n    {options}\n  </select>\n  \n  '
        )
    # Every value above is escaped.
    return mark_safe("".join(written))
