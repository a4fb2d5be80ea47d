"""What the dashboard reads of an organisation and those beside it (a 市局 and its 分局) for one
year: each kind of row read once for all of them, grouped by organisation, the first time an
evaluator asks for it. A city with ten 分局 costs the queries a city with one does.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Q
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.calendar import workday_calendars
from shuangsuiji.bureau.models import OrganisationSettings
from shuangsuiji.bureau.organisation_settings import organisation_settings_many as settings_of
from shuangsuiji.bureau.policies import NoPolicy, effective_presets
from shuangsuiji.directory.models import Inspector
from shuangsuiji.inspections.deadlines import timeliness
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import publishable
from shuangsuiji.planning.models import AnnualPlan
from shuangsuiji.policy import Preset
from shuangsuiji.reports.statistics import Table, YearRecords, quarter_of
from shuangsuiji.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Result:
    """A result to be published (``inspections.selectors.publishable``), as far as its
    timeliness goes."""

    determined_on: dt.date | None
    due: dt.date | None
    published_on: dt.date | None


@dataclass
class Timeliness:
    on_time: int = 0
    late: int = 0
    pending: int = 0

    def count(self, state: str | None) -> None:
        if state is not None:
            setattr(self, state, getattr(self, state) + 1)


def month_after(day: dt.date) -> dt.date:
    """The last day of the month after ``day``'s: a result determined in March is in the batch
    published in April at the latest (保定 二 每月公示)."""
    first = dt.date(day.year + (day.month >= 11), (day.month + 1) % 12 + 1, 1)
    return first - dt.timedelta(days=1)


class Facts:
    """Rows of several organisations for one year, read on first use, one query per kind."""

    def __init__(self, organisations: list[Organisation], year: int, today: dt.date):
        self.organisations = list(organisations)
        self.year = year
        self.today = today
        self._tables: dict[tuple[int, int | None], Table] = {}

    @cached_property
    def records(self) -> YearRecords:
        return YearRecords.load(self.organisations, self.year)

    def table(self, organisation: Organisation, quarter: int | None) -> Table:
        """The 统计表 of one organisation and period, counted once however often it is asked."""
        key = (organisation.pk, quarter)
        if key not in self._tables:
            self._tables[key] = self.records.table(organisation, quarter)
        return self._tables[key]

    @cached_property
    def presets(self) -> dict[int, Preset | NoPolicy]:
        return effective_presets(self.organisations)

    @cached_property
    def settings(self) -> dict[int, OrganisationSettings]:
        return settings_of(self.organisations, self.presets)

    @cached_property
    def calendars(self) -> dict[int, WorkdayCalendar]:
        return workday_calendars(self.organisations)

    @cached_property
    def plans(self) -> dict[int, AnnualPlan]:
        rows = AnnualPlan.objects.filter(organisation__in=self.organisations, year=self.year)
        return {plan.organisation_id: plan for plan in rows}

    @cached_property
    def results(self) -> dict[int, list[Result]]:
        """The year's results to be published, by organisation: those determined in the year,
        and those not determined yet of inspections of the year."""
        if not self.organisations:
            return {}
        # ``publishable`` says which results are to be published; OR-ing it over the
        # organisations keeps that one definition and still reads them in one query.
        rows = functools.reduce(operator.or_, (publishable(o) for o in self.organisations))
        rows = rows.filter(
            Q(determined_on__year=self.year) | Q(determined_on__isnull=True, year=self.year)
        ).values_list("organisation_id", "determined_on", "publication_due", "published_at")
        results: dict[int, list[Result]] = defaultdict(list)
        for organisation_id, determined_on, due, published_at in rows:
            published_on = timezone.localdate(published_at) if published_at else None
            results[organisation_id].append(Result(determined_on, due, published_on))
        return results

    def _period_results(self, organisation: Organisation, quarter: int | None) -> list[Result]:
        """A quarter's results by determination date (undetermined ones are in no quarter)."""
        rows = self.results.get(organisation.pk, [])
        if quarter is None:
            return rows
        return [r for r in rows if r.determined_on and quarter_of(r.determined_on) == quarter]

    def publication(self, organisation: Organisation, quarter: int | None) -> Timeliness:
        """The period's results against their 20 working days (JX-4.7), as
        ``inspections.selectors.publication`` counts them."""
        counts = Timeliness()
        for r in self._period_results(organisation, quarter):
            counts.count(
                timeliness(
                    published_on=r.published_on,
                    due=r.due,
                    determined_on=r.determined_on,
                    today=self.today,
                )
            )
        return counts

    def monthly_publication(self, organisation: Organisation, quarter: int | None) -> Timeliness:
        """The period's results against the monthly batch: by the end of the month after the
        month they were determined in."""
        counts = Timeliness()
        for r in self._period_results(organisation, quarter):
            due = month_after(r.determined_on) if r.determined_on else None
            counts.count(
                timeliness(
                    published_on=r.published_on,
                    due=due,
                    determined_on=r.determined_on,
                    today=self.today,
                )
            )
        return counts

    @cached_property
    def inspectors(self) -> dict[int, list[tuple[int, str]]]:
        """Each organisation's enforcement officers on duty (pk, name), by name."""
        rows = (
            Inspector.objects.drawable()
            .filter(organisation__in=self.organisations)
            .order_by("name")
            .values_list("organisation_id", "pk", "name")
        )
        people: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for organisation_id, pk, name in rows:
            people[organisation_id].append((pk, name))
        return people

    @cached_property
    def inspections_per_target(self) -> dict[int, list[tuple[int, str, int]]]:
        """(target, class, active inspections of the year) by organisation, for 绛县's cap."""
        rows = (
            Inspection.objects.counted(self.year)
            .filter(organisation__in=self.organisations)
            .values("organisation_id", "target_id", "stratum")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for row in rows:
            counts[row["organisation_id"]].append((row["target_id"], row["stratum"], row["n"]))
        return counts
