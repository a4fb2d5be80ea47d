"""Calendar changes with their consequence: the publication deadlines they move are recounted
in the same transaction (docs/security.md 工作日历). Views and ``shuangsuiji calendar`` call these,
never ``bureau.calendar_services`` directly."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shuangsuiji.bureau import calendar_services as calendar
from shuangsuiji.bureau.calendar_services import CalendarChange
from shuangsuiji.inspections.deadlines import deadlines_recompute


def _recount(actor, change: CalendarChange) -> CalendarChange:
    change.moved = deadlines_recompute(
        actor=actor,
        start=change.start,
        end=change.end,
        organisation=change.organisation,
        reason=change.summary,
    )
    return change


@transaction.atomic
def national_day_set(*, actor, day: dt.date, is_workday: bool, note: str) -> CalendarChange:
    change = calendar.national_day_set(actor=actor, day=day, is_workday=is_workday, note=note)
    return _recount(actor, change)


@transaction.atomic
def local_day_set(
    *, actor, organisation, day: dt.date, is_workday: bool, note: str
) -> CalendarChange:
    change = calendar.local_day_set(
        actor=actor, organisation=organisation, day=day, is_workday=is_workday, note=note
    )
    return _recount(actor, change)


@transaction.atomic
def day_remove(*, actor, override) -> CalendarChange:
    """Remove a national or a local day, as the row is."""
    if override.organisation_id is None:
        change = calendar.national_day_remove(actor=actor, override=override)
    else:
        change = calendar.local_day_remove(actor=actor, override=override)
    return _recount(actor, change)


@transaction.atomic
def workday_year_confirm(*, actor, year: int) -> CalendarChange:
    return _recount(actor, calendar.workday_year_confirm(actor=actor, year=year))
