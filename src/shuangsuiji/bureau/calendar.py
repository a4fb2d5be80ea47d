"""Reading the working-day calendar: the national days and years, and a bureau's own days.

Who changes what (docs/security.md 工作日历): the national calendar, the days of the State
Council's notice the ``holidays`` package lacks and the confirmation of a whole year, belongs
to the province's 系统管理员 (or the operator at the command line); each bureau's 系统管理员
adds local days that count for that bureau's deadlines only. The changes themselves are in
``calendar_services``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.accounts.models import Organisation, OrganisationLevel
from shuangsuiji.bureau.models import WorkdayOverride, WorkdayYear
from shuangsuiji.prepared import Prepared
from shuangsuiji.workdays import WorkdayCalendar

#: From this day of the year (month, day) on, the dashboard warns while next year's calendar is
#: not yet confirmed: results determined from about the end of November fall due in January.
WARN_FROM = (11, 1)


#: Read for every staff page (the calendar warning in its header): compiled and planned once
#: (``shuangsuiji.prepared``).
_CONFIRMED_YEARS = Prepared(
    lambda: WorkdayYear.objects.order_by().values_list("year", flat=True), planned_once=True
)


def confirmed_years() -> set[int]:
    return set(_CONFIRMED_YEARS())


def workday_calendar(organisation) -> WorkdayCalendar:
    """The calendar ``organisation``'s deadlines are counted on: the national days, then its
    own local days over them (``None``: the national calendar alone)."""
    scope = Q(organisation__isnull=True)
    if organisation is not None:
        scope |= Q(organisation=organisation)
    rows = WorkdayOverride.objects.filter(scope).values_list("organisation_id", "day", "is_workday")
    # National first, so a bureau's own day wins over the national one.
    overrides = {day: working for org, day, working in sorted(rows, key=lambda r: r[0] is not None)}
    return WorkdayCalendar(overrides=overrides, confirmed_years=confirmed_years())


def edits_national_calendar(user) -> bool:
    """The province's 系统管理员, a superuser, or ``None`` (the operator at the command line;
    a deployment without a province organisation confirms its years there)."""
    if user is None:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return (
        has_permission(user, "manage_users")
        and user.organisation.level == OrganisationLevel.PROVINCE
    )


def unconfirmed_years(today: dt.date) -> list[int]:
    """The years whose deadlines are counted provisionally and that matter now: this year, and
    from ``WARN_FROM`` on next year too."""
    years = [today.year]
    if (today.month, today.day) >= WARN_FROM:
        years.append(today.year + 1)
    calendar = WorkdayCalendar(confirmed_years=confirmed_years())
    return [year for year in years if not calendar.is_known(year)]


def calendar_warning(today: dt.date) -> str:
    """The dashboard's warning while a year that deadlines fall in has no confirmed calendar."""
    years = unconfirmed_years(today)
    if not years:
        return ""
    named = "、".join(str(year) for year in years)
    return (
        f"{named} 年的法定节假日安排尚未确认，期限为暂定：按法定节假日推算，未计调休。"
        f"国务院办公厅放假通知发布后，请省厅系统管理员在“工作日历”中录入调休并确认该年，"
        f"期限将重新计算。"
    )


def workday_calendars(organisations: list[Organisation]) -> dict[int, WorkdayCalendar]:
    """Each organisation's calendar: the national days, then its own local days over them."""
    rows = WorkdayOverride.objects.filter(
        Q(organisation__isnull=True) | Q(organisation__in=organisations)
    ).values_list("organisation_id", "day", "is_workday")
    national: dict = {}
    own: dict[int, dict] = defaultdict(dict)
    for organisation_id, day, working in rows:
        (national if organisation_id is None else own[organisation_id])[day] = working
    confirmed = confirmed_years()
    return {
        org.pk: WorkdayCalendar(overrides={**national, **own[org.pk]}, confirmed_years=confirmed)
        for org in organisations
    }
