"""逾期事项's two tables, their rows written in Python: ``{% late_inspection_rows inspections %}``
and ``{% late_follow_up_rows rows %}``.

Each lists up to fifty; through the template language a row cost a dozen lookups, a URL
reversal, a date filter and the team's loop, about half of the page's CPU (issue 21 §3,
``benchmarks/staff.py``). The rows are the HTML the template gave, escaped the same way
(``shuangsuiji.html``); an empty table keeps the template's own row.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import day, escape, link_maker
from shuangsuiji.inspections.models import FollowUp, Inspection
from shuangsuiji.inspections.templatetags.task_cards import team_line
from shuangsuiji.planning.models import period_label

register = template.Library()


@register.simple_tag
def late_inspection_rows(rows) -> SafeString:
    assign_url = link_maker("planning:inspection_assign", number=True)
    detail_url = link_maker("inspections:detail", number=True)
    html = []
    for late in rows:
        i = late.row
        name = escape(i["target__name"])
        if i["status"] == Inspection.Status.NEEDS_TEAM:
            link = (
                f'<a href="{assign_url(i["pk"])}">{name}</a>'
                '<br><small class="muted">待指派执法人员</small>'
            )
        else:
            link = f'<a href="{detail_url(i["pk"])}">{name}</a>'
        html.append(
            f"<tr>\n    <td>{link}</td>\n"
            f'    <td>{escape(i["task__number"])}<br><small class="muted">'
            f"{escape(period_label(i['task__quarter']))}</small></td>\n"
            f'    <td><span class="badge">{day(late.deadline)}</span><br>'
            f'<span class="badge bad">逾期 {late.overdue_days} 天</span></td>\n'
            f"    <td>{team_line(late.team) or '—'}</td>\n  </tr>\n  "
        )
    # Every value above is escaped.
    return mark_safe("".join(html))


@register.simple_tag
def late_follow_up_rows(rows) -> SafeString:
    record_url = link_maker("inspections:record", number=True)
    kinds = dict(FollowUp.Kind.choices)
    html = [
        f"<tr><td>{escape(f['inspection__target__name'])}</td><td>{escape(kinds[f['kind']])}</td>"
        f"<td>{day(f['deadline'])}</td>\n"
        f'    <td><a href="{record_url(f["inspection_id"])}">处理</a></td></tr>\n  '
        for f in rows
    ]
    return mark_safe("".join(html))
