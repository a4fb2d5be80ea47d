"""Reads of results: what is yet to be published and how timely it was; the archive of all years."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.inspections.models import Confidentiality, Inspection, InspectionMember
from shuangsuiji.inspections.services import list_is_public
from shuangsuiji.policy import Quarter


def publishable(organisation) -> QuerySet[Inspection]:
    """Results that are to be published (JX-4.7): random or coverage, not 涉密, counting."""
    return (
        Inspection.objects.active()
        .filter(organisation=organisation, confidentiality=Confidentiality.NONE)
        .exclude(kind=Inspection.Kind.TARGETED)
    )


@dataclass
class PublicationRow:
    inspection: Inspection
    state: str
    overdue_days: int = 0


@dataclass
class Publication:
    """Where each result of the year stands against its 20 working days (JX-4.7)."""

    to_release: list[PublicationRow] = field(default_factory=list)
    held: list[PublicationRow] = field(default_factory=list)
    overdue: list[PublicationRow] = field(default_factory=list)
    on_time: int = 0
    late: int = 0
    pending: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> str:
        return f"{self.on_time * 100 // self.due}%" if self.due else "—"


def publication(
    organisation, year: int, today: dt.date | None = None, quarter: int | None = None
) -> Publication:
    """The year's (or one quarter's, by determination date) results against their due dates."""
    today = today or timezone.localdate()
    releasing = organisation_settings(organisation).require_release
    rows = (
        publishable(organisation)
        .filter(Q(determined_on__year=year) | Q(determined_on__isnull=True, year=year))
        .select_related("target", "draw", "task")
        .order_by("publication_due", "pk")
    )
    if quarter:
        period = Quarter(year, quarter)
        rows = rows.filter(determined_on__range=(period.start, period.end))
    report = Publication()
    for inspection in rows:
        due = inspection.publication_due
        if inspection.published_at is not None:
            if due is None or timezone.localdate(inspection.published_at) <= due:
                report.on_time += 1
            else:
                report.late += 1
            continue
        if inspection.determined_on is None:
            continue  # not determined yet: nothing is due
        row = PublicationRow(inspection, "未提交")
        if inspection.status == Inspection.Status.DONE:
            if (releasing and not inspection.released_by_id) or list_is_public(inspection):
                # Unreleased where a release is required; otherwise public already but for a
                # release (a 全覆盖 result submitted while the bureau required one, say).
                row.state = "待发布"
                report.to_release.append(row)
            else:
                row.state = "待抽取名单公开"
                report.held.append(row)
        if due is not None and due < today:
            row.overdue_days = (today - due).days
            report.overdue.append(row)
            report.late += 1
        else:
            report.pending += 1
    return report


def archive(user) -> QuerySet[Inspection]:
    """Every inspection the user may read, of every year (JX-5.4: kept ≥ 3 years, here for good),
    cancelled and substituted ones included, newest first; the page narrows them with
    ``inspections.filters.ArchiveFilter``."""
    return (
        Inspection.objects.readable_by(user)
        .select_related("organisation", "target", "task")
        .order_by("-year", "-pk")
    )


def archive_years(user) -> list[tuple[int, int, int]]:
    """(year, inspections, of which done) for every year the user's archive holds."""
    done = Count("pk", filter=Q(status=Inspection.Status.DONE))
    return list(
        Inspection.objects.readable_by(user)
        .values("year")
        .annotate(total=Count("pk"), done=done)
        .order_by("-year")
        .values_list("year", "total", "done")
    )


def inspections_this_year(obj) -> tuple[int, int | None]:
    """(year, count) of this year's inspections of a target (random, coverage and targeted: 绛县's
    cap of 2) or by an inspector (年度检查次数标记); None for other registers."""
    from shuangsuiji.directory.models import Inspector, Target

    year = timezone.localdate().year
    counted = Inspection.objects.counted(year)
    if isinstance(obj, Target):
        return year, counted.filter(target=obj).count()
    if isinstance(obj, Inspector):
        return year, counted.filter(members__inspector=obj).count()
    return year, None


def annual_counts(organisation, year: int) -> Counter:
    """Inspections per target this year, random and targeted alike (绛县 cap of 2)."""
    rows = Inspection.objects.counted(year, organisation).values_list("target_id", flat=True)
    return Counter(rows)


def inspector_loads(organisation, year: int) -> Counter:
    """Inspections per inspector this year: the load the matching evens out."""
    counted = Inspection.objects.counted(year, organisation)
    rows = InspectionMember.objects.filter(inspection__in=counted)
    return Counter(rows.values_list("inspector_id", flat=True))
