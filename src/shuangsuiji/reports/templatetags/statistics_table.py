"""``{% statistics_body rows rows_url org_parts %}``: the 统计表's rows, written in Python.

A province's table is some twenty-five rows by two hundred organisations: through the template
language each of its five thousand cells cost a loop step, two conditions, a localized number
and a link, most of a page rendered after every change of any organisation's rows (issue 21
§3, ``benchmarks/staff.py --after-change``). The rows are the HTML the template gave
(reports/_statistics_content.html), byte for byte: a section named on its first row only (as
``{% ifchanged %}``), a figure with inspections behind it a link to them, values escaped as
autoescaping escapes them (``shuangsuiji.html``). A cell's link is joined from its column's
part of the query, escaped once by the view (``reports.views._statistics_content``), and its
row's.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape

register = template.Library()


@register.simple_tag
def statistics_body(rows, rows_url: str, org_parts: list[str]) -> SafeString:
    """``rows``: ``documents.StatisticsRow``s; ``org_parts``: each column's part of a link's
    query (``Period.queries``), escaped."""
    url = escape(rows_url)
    written = []
    section = None
    for number, row in enumerate(rows):
        named = escape(row.section) if number == 0 or row.section != section else ""
        section = row.section
        # A count is a whole number: nothing in it to escape.
        if row.lists_inspections:
            figure = escape(urlencode({"figure": row.key}))
            cells = "".join(
                f'<td class="n"><a href="{url}?{part}&amp;{figure}">{value:d}</a></td>'
                if value  # no link to an empty list
                else f'<td class="n">{value:d}</td>'
                for value, part in zip(row.values, org_parts, strict=True)
            )
        else:  # a count (tasks, people, a quota) has no inspections behind it to list
            cells = "".join(f'<td class="n">{value:d}</td>' for value in row.values)
        written.append(f"<tr><td>{named}</td><td>{escape(row.label)}</td>\n    {cells}</tr>")
    return mark_safe("".join(written))
