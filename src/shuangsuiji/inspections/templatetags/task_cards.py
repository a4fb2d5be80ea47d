"""``{% task_cards cards %}``: 我的任务's cards, one per inspection, written in Python.

我的任务 is the page an inspector opens most, forty cards of it; through the template language
each card cost a dozen lookups, two URL reversals and the team's and items' loops, some 40 %
of the page's CPU (issue 21 §3, ``benchmarks/staff.py``). The cards are the same HTML the
template gave (inspections/_my_task.html until it was replaced), escaped the same way
(``shuangsuiji.html``); the cards come from ``inspections.selectors.task_cards``, which reads
what is shown as values, and no more.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import choice_label, day, escape, link_maker
from shuangsuiji.inspections.models import Inspection

register = template.Library()


def team_line(team) -> str:
    """A team as the lists show it, escaped: “王新（带队）、梁子” (``selectors.team_members``);
    empty without one."""
    return "、".join(escape(name) + ("（带队）" if lead else "") for name, lead in team)


@register.simple_tag
def task_cards(cards) -> SafeString:
    """The cards of ``selectors.task_cards``."""
    record_url = link_maker("inspections:record", number=True)
    register_url = link_maker("directory:detail", "targets", number=True)
    html = []
    for card in cards:
        i = card.row
        late = (
            f' <span class="badge bad">逾期 {card.overdue_days} 天</span>' if card.overdue else ""
        )
        action = "查看检查记录" if i["status"] == Inspection.Status.DONE else "填写检查记录"
        if card.deadline:
            css = "warn" if card.overdue else "muted"
            deadline = f'<span class="{css}">检查时限 {day(card.deadline)}</span>'
        elif i["draw_id"]:
            deadline = f'<span class="muted">最迟 {day(i["draw__reveal_on"])} 前完成</span>'
        else:
            deadline = ""
        place = "".join(
            f"{escape(part)} · " for part in (i["target__address"], i["target__area"]) if part
        )
        kind = choice_label(Inspection.Kind, i["kind"])
        # Without a task, 定向检查 and no kind after it.
        task = i["task__name"] if i["task_id"] is not None else None
        what = escape(task or "定向检查")
        if task is not None and kind not in task:
            what += f"；{escape(kind)}"
        items = "；".join(escape(name) for name in card.items)
        status = escape(choice_label(Inspection.Status, i["status"]))
        html.append(
            '\n<section class="card">\n'
            f"  <h2>{escape(i['target__name'])}{late}</h2>\n"
            f'  <p><a class="button primary" href="{record_url(i["pk"])}">{action}</a>\n'
            f"    {deadline}</p>\n"
            f'  <p>{place}<a href="{register_url(i["target_id"])}">查看名录记录</a></p>\n'
            f"  <p>{what}；{escape(i['method'])}；{status}</p>\n"
            f"  <p>抽查事项：{items}</p>\n"
            f"  <p>检查组：{team_line(card.team)}</p>\n"
            "</section>\n\n"
        )
    # Every value above is escaped.
    return mark_safe("".join(html))
