"""The working-day calendar with the administrator's overrides from the database."""

from __future__ import annotations

from shuangsuiji.planning.models import WorkdayOverride, WorkdayYear
from shuangsuiji.workdays import WorkdayCalendar


def workday_calendar() -> WorkdayCalendar:
    return WorkdayCalendar(
        overrides=dict(WorkdayOverride.objects.values_list("day", "is_workday")),
        confirmed_years=WorkdayYear.objects.values_list("year", flat=True),
    )
