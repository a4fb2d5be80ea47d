"""结果公示's three tables, their rows written in Python: ``{% overdue_rows report.overdue %}``,
``{% release_rows report.to_release %}`` and ``{% held_rows report.held %}``.

Each lists up to a hundred results; through the template language a row cost a dozen lookups,
a URL reversal, a date filter and the deadline tag, about half of the page's CPU (issue 21 §3,
``benchmarks/staff.py``). The rows are the HTML the template gave, escaped the same way
(``shuangsuiji.html``); an empty table keeps the template's own row.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import choice_label, conditional_escape, day, escape, link_maker
from shuangsuiji.inspections.models import ResultCategory
from shuangsuiji.inspections.templatetags.deadlines import due_text

register = template.Library()


def _due(context, i: dict) -> str:
    # The deadline as ``{% publication_due %}`` writes it (its years read once per page).
    return conditional_escape(due_text(context, i["determined_on"], i["publication_due"]))


@register.simple_tag(takes_context=True)
def overdue_rows(context, rows) -> SafeString:
    record_url = link_maker("inspections:record", number=True)
    html = []
    for row in rows:
        i = row.row
        task = escape(i["task__name"]) if i["task_id"] is not None and i["task__name"] else "—"
        html.append(
            f"<tr><td>{escape(i['target__name'])}</td><td>{task}</td>"
            f"<td>{day(i['determined_on'])}</td>"
            f'<td>{_due(context, i)}</td><td class="error">{row.overdue_days}</td>'
            f"<td>{escape(row.state)}</td>\n"
            f'    <td><a href="{record_url(i["pk"])}">查看</a></td></tr>\n  '
        )
    # Every value above is escaped.
    return mark_safe("".join(html))


@register.simple_tag(takes_context=True)
def release_rows(context, rows) -> SafeString:
    release_url = link_maker("inspections:release", number=True)
    token = CsrfTokenNode().render(context)
    html = []
    for row in rows:
        i = row.row
        category = choice_label(ResultCategory, i["result_category"])
        html.append(
            f"<tr><td>{escape(i['target__name'])}</td>"
            f"<td>{escape(category)}</td><td>{_due(context, i)}</td>\n"
            f'    <td><form class="inline" method="post" action="{release_url(i["pk"])}">{token}'
            '<button type="submit">发布公示</button></form></td></tr>\n  '
        )
    return mark_safe("".join(html))


@register.simple_tag(takes_context=True)
def held_rows(context, rows) -> SafeString:
    draw_url = link_maker("planning:draw_detail", number=True)
    html = []
    for row in rows:
        i = row.row
        html.append(
            f"<tr><td>{escape(i['target__name'])}</td>"
            f'<td><a href="{draw_url(i["draw_id"])}">{escape(i["draw__draw_id"])}</a></td>'
            f"<td>{_due(context, i)}</td></tr>\n  "
        )
    return mark_safe("".join(html))
