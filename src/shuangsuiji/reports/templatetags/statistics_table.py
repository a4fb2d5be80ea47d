"""``{% statistics_body rows rows_url %}``: the 统计表's rows, written in Python.

A province's table is some twenty-five rows by two hundred organisations: through the template
language each of its five thousand cells cost a loop step, two conditions, a localized number
and a link, most of a page rendered after every change of any organisation's rows (issue 21
§3, ``benchmarks/staff.py --after-change``). The rows are the HTML the template gave
(reports/_statistics_content.html), byte for byte: a section named on its first row only (as
``{% ifchanged %}``), a figure with inspections behind it a link to them, values escaped as
autoescaping escapes them (``shuangsuiji.html``). Each cell is its figure's count and the query
of its link, already escaped for HTML by the view, which joins it from parts escaped once
(``reports.views._statistics_content``).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape

register = template.Library()


@register.simple_tag
def statistics_body(rows, rows_url: str) -> SafeString:
    url = escape(rows_url)
    written = []
    section = None
    for number, row in enumerate(rows):
        named = escape(row.section) if number == 0 or row.section != section else ""
        section = row.section
        # A count is a whole number: nothing in it to escape.
        cells = "".join(
            f'<td class="n"><a href="{url}?{query}">{value:d}</a></td>'
            if query and value
            else f'<td class="n">{value:d}</td>'
            for value, query in row.cells
        )
        written.append(f"<tr><td>{named}</td><td>{escape(row.label)}</td>\n    {cells}</tr>")
    return mark_safe("".join(written))
