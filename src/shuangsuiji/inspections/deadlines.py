"""The publication deadline of a result: 20 working days from its determination (绛县
四、（七）, the others by bureau default), counted on the bureau's working-day calendar.

A deadline crossing a year without a confirmed calendar is provisional (``workdays``): it is
stored like any other, shown with “暂定”, and recomputed here when the calendar changes, so a
confirmed year or a corrected day moves every deadline it touches, each move in the audit log
of the result's bureau.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shuangsuiji.audit.services import audit_record
from shuangsuiji.bureau.calendar import workday_calendar
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.policy import Preset
from shuangsuiji.policy.targets import RESULT_PUBLICATION_WORKDAYS, plan_target
from shuangsuiji.workdays import Deadline, WorkdayCalendar


@dataclass(frozen=True)
class BureauDeadlines:
    """What a bureau's deadlines are counted with: its policy's publication limit (the target
    ``result_publication_workdays``) and its calendar."""

    preset: Preset
    calendar: WorkdayCalendar

    @classmethod
    def of(cls, organisation) -> BureauDeadlines:
        preset = effective_preset(organisation_policy(organisation))
        return cls(preset, workday_calendar(organisation))

    def deadline(self, determined_on: dt.date | None) -> Deadline | None:
        """``None`` without a determination, or where the bureau's policy sets no limit."""
        if determined_on is None:
            return None
        limit = plan_target(self.preset, RESULT_PUBLICATION_WORKDAYS, determined_on)
        if limit is None:
            return None
        return self.calendar.deadline(determined_on, limit.workdays)


#: Where a result stands against its due date (JX-4.7).
ON_TIME, LATE, PENDING = "on_time", "late", "pending"


def timeliness(
    *,
    published_on: dt.date | None,
    due: dt.date | None,
    determined_on: dt.date | None,
    today: dt.date,
) -> str | None:
    """Published by its due date (or with none) is on time, after it late; unpublished, it is
    late once the due date has passed and pending before. ``None``: not determined yet, so
    nothing is due."""
    if published_on is not None:
        return ON_TIME if due is None or published_on <= due else LATE
    if determined_on is None:
        return None
    return LATE if due is not None and due < today else PENDING


def publication_deadline(organisation, determined_on: dt.date | None) -> Deadline | None:
    """``None`` without a determination, or where the bureau's policy sets no limit."""
    if determined_on is None:
        return None
    return BureauDeadlines.of(organisation).deadline(determined_on)


def provisional_note(years) -> str:
    """The tooltip of a “暂定” mark."""
    return f"{'、'.join(str(y) for y in years)} 年放假安排公布后将重新计算"


def stored_provisional_years(
    determined_on: dt.date | None, due: dt.date | None, confirmed: set[int]
) -> tuple[int, ...]:
    """The unconfirmed years a stored deadline (``due``, counted from ``determined_on``)
    crossed: it was counted provisionally there."""
    if due is None or determined_on is None:
        return ()
    calendar = WorkdayCalendar(confirmed_years=confirmed)
    return calendar.provisional_years(determined_on, due)


@dataclass(frozen=True)
class Moved:
    inspection_id: int
    organisation_id: int
    before: dt.date
    after: dt.date
    provisional: bool


def deadlines_recompute(*, actor, start: dt.date, end: dt.date, organisation, reason: str):
    """Recount the stored deadlines whose count ran over a day from ``start`` to ``end`` (the
    days the calendar change touched), of ``organisation`` only or (``None``) of every bureau.
    Called inside the calendar change's transaction; each bureau whose deadlines moved gets
    one audit entry listing them (by record number: no names, the log is read above the
    bureau and a list may still be secret)."""
    rows = Inspection.objects.filter(
        status__in=(Inspection.Status.ASSIGNED, Inspection.Status.DONE),
        determined_on__isnull=False,
        determined_on__lt=end,
        publication_due__gte=start,
    ).select_related("organisation")
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    # The policy and the calendar are read once a bureau, not once a result.
    bureaus: dict[int, BureauDeadlines] = {}
    moved: list[Moved] = []
    by_organisation: dict[int, list[Moved]] = {}
    organisations = {}
    for inspection in rows.order_by("organisation_id", "pk"):
        org = inspection.organisation
        if org.pk not in bureaus:
            bureaus[org.pk] = BureauDeadlines.of(org)
        deadline = bureaus[org.pk].deadline(inspection.determined_on)
        if deadline is None or deadline.day == inspection.publication_due:
            continue
        move = Moved(
            inspection.pk, org.pk, inspection.publication_due, deadline.day, deadline.provisional
        )
        inspection.publication_due = deadline.day
        # save(), not update(): the result's history shows the deadline it had before.
        inspection.save(update_fields=["publication_due"])
        moved.append(move)
        by_organisation.setdefault(org.pk, []).append(move)
        organisations[org.pk] = org
    for org_id, moves in by_organisation.items():
        audit_record(
            actor=actor,
            action="calendar.deadlines",
            organisation=organisations[org_id],
            summary=f"{reason}：本单位 {len(moves)} 项检查结果的公示期限重新计算",
            detail={
                "原因": reason,
                "公示期限": [
                    {
                        "检查记录": move.inspection_id,
                        "原期限": move.before.isoformat(),
                        "新期限": move.after.isoformat(),
                        "暂定": move.provisional,
                    }
                    for move in moves
                ],
            },
        )
    return moved
