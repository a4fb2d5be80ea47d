"""The working-day calendar with the administrator's overrides from the database."""

from __future__ import annotations

from django.db import transaction

from shuangsuiji.audit.services import audited
from shuangsuiji.planning.models import WorkdayOverride, WorkdayYear
from shuangsuiji.workdays import WorkdayCalendar


def workday_calendar() -> WorkdayCalendar:
    return WorkdayCalendar(
        overrides=dict(WorkdayOverride.objects.values_list("day", "is_workday")),
        confirmed_years=WorkdayYear.objects.values_list("year", flat=True),
    )


@audited("calendar.confirm_year", "确认工作日历年度")
@transaction.atomic
def workday_year_confirm(*, actor, year: int):
    confirmed, _ = WorkdayYear.objects.get_or_create(year=year, defaults={"confirmed_by": actor})
    return confirmed


@audited("calendar.override", "设置工作日")
@transaction.atomic
def workday_override_set(*, actor, day, is_workday: bool, note: str):
    override, _ = WorkdayOverride.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "note": note}
    )
    return override
