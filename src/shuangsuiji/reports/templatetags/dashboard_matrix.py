"""``{% dashboard_matrix_body matrix period check_rows_url %}``: the rows of the 市局's and the
省厅's side-by-side view, written in Python.

A 市局's view is some twenty-five checks by its twenty 分局: through the template language each
of its five hundred cells cost a loop step, three conditions and a link, and was most of the
page rendered again after every change of the organisations' rows (issue 21 §3,
``benchmarks/staff.py --after-change``). The rows are the HTML the template gave
(reports/_dashboard_content.html), byte for byte: values escaped as autoescaping escapes them
(``shuangsuiji.html``), the check's key quoted as ``|urlencode`` quotes it.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape

register = template.Library()

#: A check the organisation's plan does not set.
NOT_SET = (
    '<td><span class="badge na">不适用</span> <span class="muted">本单位方案无此要求</span></td>'
)


@register.simple_tag
def dashboard_matrix_body(matrix, period, check_rows_url: str) -> SafeString:
    quarter = "" if period.quarter is None else period.quarter
    # The part of each link the row and the organisation do not change.
    query = f"&amp;year={escape(period.year)}&amp;quarter={escape(quarter)}&amp;check="
    url = escape(check_rows_url)
    written = []
    for row in matrix:
        cells = []
        for org, check in row.cells:
            if not check:
                cells.append(NOT_SET)
                continue
            badge = f'<span class="badge {escape(check.state)}">{escape(check.state_label)}</span> '
            actual = escape(check.actual)
            if check.rows:
                link = f"{url}?org={escape(org.code)}{query}{escape(quote(check.key, safe='/'))}"
                actual = f'<a href="{link}">{actual}</a>'
            cells.append(f"<td>{badge}{actual}</td>")
        written.append(f"<tr><td>{escape(row.label)}</td>{''.join(cells)}</tr>")
    return mark_safe("".join(written))
