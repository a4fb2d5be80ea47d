"""``{% task_cards rows %}``: 我的任务's cards, one per inspection, written in Python.

我的任务 is the page an inspector opens most, forty cards of it; through the template language
each card cost a dozen lookups, two URL reversals and the team's and items' loops, some 40 %
of the page's CPU (issue 21 §3, ``benchmarks/staff.py``). The cards are the same HTML the
template gave (inspections/_my_task.html until it was replaced), escaped the same way
(``shuangsuiji.html``); the rows come from ``inspections.selectors.inspector_open_page`` and
``inspector_done_inspections``, which read what is shown and no more.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import day, link_maker
from shuangsuiji.inspections.models import Inspection

register = template.Library()


def team_line(inspection: Inspection) -> str:
    """The team as the lists show it, escaped: “王新（带队）、梁子” (``selectors.team_names``);
    empty without one."""
    return "、".join(
        escape(m.inspector.name) + ("（带队）" if m.is_lead else "")
        for m in inspection.members.all()
    )


@register.simple_tag
def task_cards(rows) -> SafeString:
    record_url = link_maker("inspections:record", number=True)
    register_url = link_maker("directory:detail", "targets", number=True)
    cards = []
    for row in rows:
        i: Inspection = row.inspection
        target, task = i.target, i.task
        late = f' <span class="badge bad">逾期 {row.overdue_days} 天</span>' if row.overdue else ""
        action = "查看检查记录" if i.status == Inspection.Status.DONE else "填写检查记录"
        if row.deadline:
            css = "warn" if row.overdue else "muted"
            deadline = f'<span class="{css}">检查时限 {day(row.deadline)}</span>'
        elif i.draw:
            deadline = f'<span class="muted">最迟 {day(i.draw.reveal_on)} 前完成</span>'
        else:
            deadline = ""
        place = "".join(f"{escape(part)} · " for part in (target.address, target.area) if part)
        kind = i.get_kind_display()
        # As the template read ``i.task.name``: without a task, 定向检查 and no kind after it.
        what = escape(task.name if task is not None and task.name else "定向检查")
        if task is not None and kind not in task.name:
            what += f"；{escape(kind)}"
        items = "；".join(escape(item.name) for item in i.items.all())
        cards.append(
            '\n<section class="card">\n'
            f"  <h2>{escape(target.name)}{late}</h2>\n"
            f'  <p><a class="button primary" href="{record_url(i.pk)}">{action}</a>\n'
            f"    {deadline}</p>\n"
            f'  <p>{place}<a href="{register_url(target.pk)}">查看名录记录</a></p>\n'
            f"  <p>{what}；{escape(i.method)}；{escape(i.get_status_display())}</p>\n"
            f"  <p>抽查事项：{items}</p>\n"
            f"  <p>检查组：{team_line(i)}</p>\n"
            "</section>\n\n"
        )
    # Every value above is escaped.
    return mark_safe("".join(cards))
