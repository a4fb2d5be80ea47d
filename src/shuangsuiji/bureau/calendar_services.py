"""Changing the working-day calendar (docs/security.md 工作日历).

- The national calendar (days of the State Council's notice the ``holidays`` package lacks, and
  the confirmation of a whole year) only by the province's 系统管理员 or the command line; each
  change is one audit entry every bureau's 监督员 reads (``audit.models.SHARED_ACTION_PREFIXES``).
- A bureau's local days only by its own 系统管理员; they count for its deadlines only, and the
  entry is the bureau's.

Every change recounts the stored publication deadlines it touches, in the same transaction, and
each bureau whose deadlines moved gets an entry listing them. Deadlines belong to inspections, a
layer above this one, so views and the command line call these changes through
``shuangsuiji.acts.calendar``, which recounts in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuangsuiji.accounts.access import require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.calendar import edits_national_calendar
from shuangsuiji.bureau.models import WorkdayOverride, WorkdayYear
from shuangsuiji.workdays import has_notice

NATIONAL_ONLY = (
    "全国工作日历（国务院办公厅放假通知）只能由省厅的系统管理员修改；本单位的调整请选“仅本单位”。"
)


@dataclass
class CalendarChange:
    """What a change did: the row changed (or removed), its words, the days whose deadlines it
    may move (``organisation`` ``None``: every bureau's), and, once recounted, those moved."""

    subject: WorkdayOverride | WorkdayYear | None
    summary: str
    organisation: object | None
    start: dt.date
    end: dt.date
    moved: list = field(default_factory=list)


def _describe(change: CalendarChange, kwargs) -> tuple:
    detail = {}
    if isinstance(change.subject, WorkdayOverride):
        detail |= {
            "日期": change.subject.day.isoformat(),
            "上班": change.subject.is_workday,
            "说明": change.subject.note,
        }
    obj = change.subject if change.subject is not None and change.subject.pk else None
    return obj, change.summary, detail


def _check_national(actor) -> None:
    if not edits_national_calendar(actor):
        raise PermissionDenied(NATIONAL_ONLY)


def _scope_and_state(override: WorkdayOverride) -> tuple[str, str]:
    scope = "全国工作日历" if override.organisation_id is None else "本单位工作日历"
    return scope, "上班" if override.is_workday else "放假"


def _label(override: WorkdayOverride) -> str:
    scope, state = _scope_and_state(override)
    note = f"（{override.note}）" if override.note else ""
    return f"{scope}：{override.day:%Y-%m-%d} 设为{state}{note}"


def _set_day(*, actor, organisation, day: dt.date, is_workday: bool, note: str):
    override, _ = WorkdayOverride.objects.update_or_create(
        organisation=organisation,
        day=day,
        defaults={"is_workday": is_workday, "note": note.strip()},
    )
    return CalendarChange(override, _label(override), organisation, day, day)


@audited("calendar.national.day", "全国工作日历", describe=_describe)
@transaction.atomic
def national_day_set(*, actor, day: dt.date, is_workday: bool, note: str) -> CalendarChange:
    """A day of the State Council's notice, for every bureau."""
    _check_national(actor)
    return _set_day(actor=actor, organisation=None, day=day, is_workday=is_workday, note=note)


@audited("calendar.local.day", "本单位工作日历", describe=_describe)
@transaction.atomic
def local_day_set(
    *, actor, organisation, day: dt.date, is_workday: bool, note: str
) -> CalendarChange:
    """A bureau's own working day or day off, for its own deadlines only."""
    require_own(
        actor,
        organisation.pk,
        "manage_users",
        "只有本单位的系统管理员可以调整本单位的工作日历。",
    )
    return _set_day(
        actor=actor, organisation=organisation, day=day, is_workday=is_workday, note=note
    )


def _remove(*, actor, override: WorkdayOverride) -> CalendarChange:
    override = WorkdayOverride.objects.select_for_update().get(pk=override.pk)
    scope, state = _scope_and_state(override)
    summary = f"{scope}：撤销 {override.day:%Y-%m-%d} 的调整（原为{state}）"
    organisation, day = override.organisation, override.day
    override.delete()
    return CalendarChange(None, summary, organisation, day, day)


@audited("calendar.national.day", "全国工作日历", describe=_describe)
@transaction.atomic
def national_day_remove(*, actor, override: WorkdayOverride) -> CalendarChange:
    _check_national(actor)
    if override.organisation_id is not None:
        raise ValidationError("这是单位自己的调整，不是全国日历。")
    return _remove(actor=actor, override=override)


@audited("calendar.local.day", "本单位工作日历", describe=_describe)
@transaction.atomic
def local_day_remove(*, actor, override: WorkdayOverride) -> CalendarChange:
    if override.organisation_id is None:
        raise PermissionDenied(NATIONAL_ONLY)
    require_own(
        actor,
        override.organisation_id,
        "manage_users",
        "只有本单位的系统管理员可以调整本单位的工作日历。",
    )
    return _remove(actor=actor, override=override)


@audited("calendar.national.year", "确认全国工作日历年度", describe=_describe)
@transaction.atomic
def workday_year_confirm(*, actor, year: int) -> CalendarChange:
    """The province has entered the year's notice: its deadlines stop being provisional, and
    those counted provisionally are recounted on the entered days."""
    _check_national(actor)
    if WorkdayYear.objects.filter(year=year).exists():
        raise ValidationError(f"{year} 年的工作日历已经确认过。")
    confirmed = WorkdayYear.objects.create(year=year, confirmed_by=actor)
    source = "软件已内置该年国务院办公厅放假通知" if has_notice(year) else "已录入该年的放假与调休"
    summary = f"确认 {year} 年全国工作日历（{source}）"
    return CalendarChange(confirmed, summary, None, dt.date(year, 1, 1), dt.date(year, 12, 31))
