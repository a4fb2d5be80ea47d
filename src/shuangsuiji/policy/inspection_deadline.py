"""检查时限: the day by which a task's inspections are to be done.

保定 三、（三） has the officers inspect “在规定时限内” and 绛县 四、（五）4 draws the
在建工程建设项目 “按照市局下发的……检查时限要求”, but no plan states the time limit. The
preset's target ``inspection_deadline`` (every shipped value a bureau default, with its note)
gives the rule; plan generation sets each task's deadline from it, and the coordinator may
change a task's deadline while the plan is editable (the 市局's 检查时限 for a 在建 project).

The rule, ``targets.inspection_deadline``:

``{per: quarter}``
    the end of the task's period: a quarterly task by the last day of its quarter, a task drawn
    once for the year by 31 December (every plan is run “以季度为周期”, 保定 三、（三）).
``{per: year}``
    every task by 31 December.
``{per: month}``
    by the last day of the month the task is drawn in.
``workdays: N`` (with any ``per``)
    N working days after the draw date on the bureau's calendar (the draw day not counted), and
    never later than the end of the period above.

Pure: the working days come from the calendar the caller passes (``bureau.calendar
.workday_calendar`` of the task's bureau).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from shuangsuiji.policy.errors import PolicyError
from shuangsuiji.policy.quarter import Quarter
from shuangsuiji.policy.targets import INSPECTION_DEADLINE, Period, PlanTarget, plan_target

if TYPE_CHECKING:
    from shuangsuiji.policy.loader import Preset
    from shuangsuiji.workdays import WorkdayCalendar

#: The value keys this kind reads; the schema lets every target give any of the common keys.
_KEYS = {"per", "workdays"}


def _month_end(day: dt.date) -> dt.date:
    first_of_next = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def _checked(target: PlanTarget) -> PlanTarget:
    unknown = sorted(set(target.value) - _KEYS)
    if unknown:
        raise PolicyError(
            f"{target.ref}：检查时限只能写 per 和 workdays，不能写 {'、'.join(unknown)}"
        )
    return target


def period_end(
    target: PlanTarget, *, year: int, quarter: int | None, draw_date: dt.date
) -> dt.date:
    """The last day of the period the rule names, for a task of ``quarter`` (``None``: drawn
    once for the year) drawn on ``draw_date``."""
    period = target.period
    if period == Period.MONTH:
        return _month_end(draw_date)
    if period == Period.QUARTER and quarter is not None:
        return Quarter(year, quarter).end
    return dt.date(year, 12, 31)


def task_inspection_deadline(
    preset: Preset,
    *,
    year: int,
    quarter: int | None,
    draw_date: dt.date,
    calendar: WorkdayCalendar | None = None,
) -> dt.date | None:
    """The deadline of a task of ``year`` and ``quarter`` drawn on ``draw_date``, by the rule in
    force on the draw date; ``None`` where the bureau's policy sets none (the coordinator then
    sets it on the task). A rule in working days needs the bureau's ``calendar``."""
    target = plan_target(preset, INSPECTION_DEADLINE, draw_date)
    if target is None:
        return None
    _checked(target)
    end = period_end(target, year=year, quarter=quarter, draw_date=draw_date)
    if "workdays" not in target.value:
        return end
    if calendar is None:
        raise PolicyError(f"{target.ref}：检查时限按工作日计算，须提供本单位的工作日历")
    return min(calendar.add_workdays(draw_date, target.workdays), end)


def rule_text(target: PlanTarget) -> str:
    """The rule in words, as the dashboard and the task form show it."""
    _checked(target)
    period = target.period
    if period == Period.MONTH:
        end = "抽取当月月底"
    elif period == Period.QUARTER:
        end = "本季度末（全年任务为年底）"
    else:
        end = "当年年底"
    if "workdays" in target.value:
        return f"抽取后 {target.workdays} 个工作日内完成检查，且不晚于{end}"
    return f"{end}前完成检查"
