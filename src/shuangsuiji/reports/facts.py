"""What the dashboard reads of an organisation and those beside it (a 市局 and its 分局) for one
year: each kind of row read once for all of them, grouped by organisation, the first time an
evaluator asks for it. A city with ten 分局 costs the queries a city with one does.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from django.db.models import Count, QuerySet

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.calendar import workday_calendars
from shuangsuiji.bureau.models import OrganisationSettings
from shuangsuiji.bureau.organisation_settings import organisation_settings_many as settings_of
from shuangsuiji.bureau.policies import NoPolicy, effective_presets
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.disclosure.versions import EVERYONE
from shuangsuiji.inspections.deadlines import LATE, ON_TIME, PENDING, timeliness
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import (
    DeadlineFact,
    LocalDay,
    determined_between,
    publishable,
)
from shuangsuiji.planning.models import AnnualPlan
from shuangsuiji.policy import PolicyError, Preset, Quarter, classify, quotas
from shuangsuiji.policy.engine import EventRecord, Quota, TargetRecord
from shuangsuiji.prepared import Prepared
from shuangsuiji.reports.statistics import (
    KEPT,
    QUARTERS,
    Changes,
    KeptParts,
    OrganisationStore,
    Table,
    YearRecords,
    changes_since,
    grouped_by_quarter,
    kept_parts,
    parts_kept,
    quarter_of,
    regrouped,
    replaced,
    year_records,
)
from shuangsuiji.workdays import WorkdayCalendar


class Result(NamedTuple):
    """A result to be published (``inspections.selectors.publishable``), as far as its
    timeliness goes. A tuple: a city's year is a hundred thousand of them."""

    pk: int
    determined_on: dt.date | None
    due: dt.date | None
    published_on: dt.date | None


def _of_year(rows: QuerySet, first: dt.date, last: dt.date, year: int) -> QuerySet:
    """Of ``rows`` (``publishable``), the results of ``year`` (its ``first`` to ``last`` day,
    ``determined_between``), as the values a ``Result`` is made of."""
    return determined_between(rows, first, last, year).values_list(
        # The day in Beijing, by the database (as ``statistics.INSPECTION_DAYS``).
        "pk", "organisation_id", "determined_on", "publication_due", LocalDay("published_at")
    )  # fmt: skip


#: A few results of one organisation read again after they changed (``OrganisationResults``):
#: compiled and planned once per connection (``shuangsuiji.prepared``), for it runs after every
#: result recorded and finds them by primary key.
_CHANGED_RESULTS = Prepared(
    lambda organisation, first, last, year, ids: _of_year(
        publishable(organisation).filter(pk__in=ids), first, last, year
    ),
    organisation=int,
    first=dt.date,
    last=dt.date,
    year=int,
    ids=list,
    planned_once=True,
)


def _read_results(
    organisations: list[Organisation], year: int, only: set[int] | None = None
) -> dict[int, dict[int, Result]]:
    """The year's results to be published, by organisation and id: those determined in the
    year, and those not determined yet of inspections of the year; of one organisation's
    inspections ``only`` where given. One query, however many organisations."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if only is not None:
        (organisation,) = organisations
        rows = _CHANGED_RESULTS(
            organisation=organisation.pk, first=first, last=last, year=year, ids=sorted(only)
        )
    else:
        # ``publishable`` says which results are to be published; OR-ing it over the
        # organisations keeps that one definition and still reads them in one query.
        rows = _of_year(
            functools.reduce(operator.or_, (publishable(o) for o in organisations)),
            first,
            last,
            year,
        )
    found: dict[int, dict[int, Result]] = defaultdict(dict)
    for pk, organisation_id, determined_on, due, published_on in rows:
        found[organisation_id][pk] = Result(pk, determined_on, due, published_on)
    return found


#: The organisations' enforcement officers on duty (``Facts.inspectors``), compiled once: read
#: for every board recomputed after a result.
_INSPECTORS = Prepared(
    lambda organisations: (
        Inspector.objects.drawable()
        .filter(organisation_id__in=organisations)
        .order_by("name")
        .values_list("organisation_id", "pk", "name")
    ),
    organisations=list,
)


#: The organisations' results of a year this process has read (``OrganisationResults``).
KEPT_RESULTS = KeptParts()


@dataclass(frozen=True)
class OrganisationResults:
    """One organisation's results of a year (``Facts.results``), as read when its version
    counter stood at ``counter`` (written last by the transaction ``stamp``) and row 0's at
    ``everyone``. Kept between requests in this process (``KEPT_RESULTS``) and brought up to
    date by reading again just the inspections changed since (``statistics.kept_parts``): a
    市局's board recomputed after a result in one of its 分局 reads that result, not the
    city's year of results (issue 21 §3). Never changed once made: other threads read it."""

    counter: int
    stamp: str
    everyone: tuple[int, str]
    results: dict[int, Result]

    @property
    def size(self) -> int:
        return len(self.results)

    @classmethod
    def read(
        cls, organisations: list[Organisation], year: int, counters: dict[int, tuple[int, str]]
    ) -> dict[int, OrganisationResults]:
        found = _read_results(organisations, year)
        everyone = counters.get(EVERYONE, (0, ""))
        return {
            org.pk: cls(*counters.get(org.pk, (0, "")), everyone, found.get(org.pk, {}))
            for org in organisations
        }

    def updated(
        self, organisation: Organisation, year: int, changed: set[int], counter: tuple[int, str]
    ) -> OrganisationResults:
        """The part with the inspections ``changed`` read again: gone, added or changed."""
        fresh = _read_results([organisation], year, changed).get(organisation.pk, {})
        part = OrganisationResults(*counter, self.everyone, replaced(self.results, changed, fresh))
        if "by_quarter" in self.__dict__:
            # Grouped already (``cached_property`` keeps it in ``__dict__``): carried over, the
            # quarters the changed results were or are in regrouped from those results alone.
            before = [self.results[pk] for pk in changed if pk in self.results]
            touched = {_quarter(r) for r in [*before, *fresh.values()]} - {None}
            part.__dict__["by_quarter"] = regrouped(
                self.by_quarter, touched, lambda r: r.pk not in changed, fresh.values(), _quarter
            )
        return part

    @cached_property
    def by_quarter(self) -> dict[int, list[Result]]:
        """The results by the quarter of their determination (undetermined ones are in no
        quarter), sorted once: a board asks for the quarter, the year and the four quarters
        of its trend, and a kept part serves every board until it changes."""
        return grouped_by_quarter(self.results.values(), _quarter)


def _quarter(result: Result) -> int | None:
    return quarter_of(result.determined_on) if result.determined_on else None


@dataclass(frozen=True)
class Month:
    """A month of 保定's monthly publication: the results due in its batch, where they stand."""

    year: int
    month: int
    due: int
    on_time: int
    late: int
    pending: int

    @property
    def label(self) -> str:
        return f"{self.year} 年 {self.month} 月"


def month_after(day: dt.date) -> dt.date:
    """The last day of the month after ``day``'s: a result determined in March is in the batch
    published in April at the latest (保定 二 每月公示)."""
    first = dt.date(day.year + (day.month >= 11), (day.month + 1) % 12 + 1, 1)
    return first - dt.timedelta(days=1)


@dataclass(frozen=True)
class Classified:
    """An organisation's register classified for one quarter: the eligible units of each class
    (row ids) and the quarter's quota of each, or why the quotas cannot be computed."""

    members: dict[str, set[int]]
    quotas: dict[str, Quota]
    error: str = ""


#: What a store gives for a register not kept (``None`` is kept: an organisation without policy).
MISSING = object()


class Facts:
    """Rows of several organisations for one year, read on first use, one query per kind.

    With a ``registers`` store, each organisation's classified register is kept there between
    requests under its register version (``disclosure.versions.register_versions``): recording
    inspections leaves it, so the board recomputed after a result is submitted reads neither
    the register nor its events (issue 21 §3, some 40 % of that recompute)."""

    def __init__(
        self,
        organisations: list[Organisation],
        year: int,
        today: dt.date,
        registers: OrganisationStore | None = None,
    ):
        self.organisations = list(organisations)
        self.year = year
        self.today = today
        self.store = registers
        self._tables: dict[tuple[int, int | None], Table] = {}
        self._classified: dict[tuple[int, int], Classified | None] = {}

    @cached_property
    def changes(self) -> Changes | None:
        """The organisations' counters and the log of changed inspections, read once for their
        kept years of inspections and of results alike (PostgreSQL; ``None`` elsewhere)."""
        if not self.organisations or not parts_kept():
            return None
        return changes_since([KEPT, KEPT_RESULTS], self.organisations, self.year)

    @cached_property
    def records(self) -> YearRecords:
        records = year_records(self.organisations, self.year, self.changes)
        records.presets = self.presets  # read once for the boards and the tables' class names
        return records

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
    def _results(self) -> dict[int, OrganisationResults]:
        """Each organisation's results of the year (``OrganisationResults``), kept between
        requests where the database logs its changes (PostgreSQL), read afresh otherwise."""
        if not self.organisations:
            return {}
        year = self.year
        parts = kept_parts(
            KEPT_RESULTS,
            self.organisations,
            year,
            lambda stale, counters: OrganisationResults.read(stale, year, counters),
            lambda part, org, changed, now: part.updated(org, year, changed, now),
            self.changes,
        )
        if parts is None:
            parts = OrganisationResults.read(self.organisations, year, {})
        return parts

    @cached_property
    def deadlines(self) -> dict[int, list[DeadlineFact]]:
        """The year's active inspections of tasks with a 检查时限, by organisation, each in the
        quarter it counts in (a task drawn once for the year: the quarter it was drawn in).
        Taken from the year's rows the 统计表 counts, which are kept between requests and read
        again only where they changed (issue 21 §3), and kept with them."""
        records = self.records
        return {org.pk: records.deadline_facts(org) for org in self.organisations}

    def _period_results(self, organisation: Organisation, quarter: int | None) -> list[Result]:
        """The year's results to be published (``_read_results``), or a quarter's, by
        determination date (undetermined ones are in no quarter)."""
        part = self._results.get(organisation.pk)
        if part is None:
            return []
        if quarter is None:
            return list(part.results.values())
        return part.by_quarter.get(quarter, [])

    def publication(
        self, organisation: Organisation, quarter: int | None
    ) -> list[tuple[Result, str]]:
        """The period's results against their 20 working days (JX-4.7), as
        ``inspections.selectors.publication`` counts them: each with on time, late or pending."""
        return [
            (r, state)
            for r in self._period_results(organisation, quarter)
            if (state := self._timeliness(r, r.due)) is not None
        ]

    def monthly_publication(self, organisation: Organisation, quarter: int | None) -> list[Month]:
        """保定 二 每月公示: the period's results by the month whose batch carries them (the month
        after their determination), each month with its results on time, late or pending."""
        by_month: dict[tuple[int, int], Counter] = defaultdict(Counter)
        for r in self._period_results(organisation, quarter):
            if r.determined_on is None:
                continue
            due = month_after(r.determined_on)
            state = self._timeliness(r, due)
            if state is not None:
                by_month[due.year, due.month][state] += 1
        return [
            Month(year, month, sum(c.values()), c[ON_TIME], c[LATE], c[PENDING])
            for (year, month), c in sorted(by_month.items())
        ]

    def _timeliness(self, result: Result, due: dt.date | None) -> str | None:
        return timeliness(
            published_on=result.published_on,
            due=due,
            determined_on=result.determined_on,
            today=self.today,
        )

    @cached_property
    def kept(self) -> dict[tuple[int, int], Classified | None]:
        """The classified registers the store holds, by (organisation, quarter): one read."""
        if self.store is None:
            return {}
        keys = {
            (org.pk, quarter): self.store.key(org, self.year, quarter)
            for org in self.organisations
            for quarter in QUARTERS
        }
        found = self.store.cache.get_many(list(keys.values()))
        return {pair: found.get(key, MISSING) for pair, key in keys.items()}

    @cached_property
    def _to_classify(self) -> list[Organisation]:
        """The organisations with a quarter the store does not hold: the registers to read."""
        if self.store is None:
            return self.organisations
        missing = {pk for (pk, _), value in self.kept.items() if value is MISSING}
        return [org for org in self.organisations if org.pk in missing]

    @cached_property
    def registers(self) -> dict[int, list[tuple[int, TargetRecord]]]:
        """Each organisation's register as the policy reads it, with each unit's row id."""
        rows = Target.objects.filter(organisation__in=self._to_classify, in_register=True)
        registers: dict[int, list[tuple[int, TargetRecord]]] = defaultdict(list)
        for row in rows.values():
            registers[row["organisation_id"]].append((row["id"], target_record(row)))
        return registers

    @cached_property
    def events(self) -> dict[int, list[EventRecord]]:
        rows = RegulatoryEvent.objects.filter(
            organisation__in=self._to_classify, date__lte=dt.date(self.year, 12, 31)
        ).values("organisation_id", "credit_code", "kind", "date", "reference")
        events: dict[int, list[EventRecord]] = defaultdict(list)
        for row in rows:
            events[row["organisation_id"]].append(event_record(row))
        return events

    def classified(self, organisation: Organisation, quarter: int) -> Classified | None:
        """The organisation's register classified for a quarter of the year, and the quarter's
        quotas, as the 抽取准备 page computes them; ``None`` without a policy."""
        key = (organisation.pk, quarter)
        if key not in self._classified:
            found = self.kept.get(key, MISSING)
            if found is MISSING:
                found = self._classify(organisation, Quarter(self.year, quarter))
                if self.store is not None:
                    cache_key = self.store.key(organisation, self.year, quarter)
                    self.store.cache.set(cache_key, found, self.store.timeout)
            self._classified[key] = found
        return self._classified[key]

    def _classify(self, organisation: Organisation, quarter: Quarter) -> Classified | None:
        preset = self.presets[organisation.pk]
        if not isinstance(preset, Preset):
            return None
        register = self.registers.get(organisation.pk, [])
        events = [e for e in self.events.get(organisation.pk, []) if e.date <= quarter.end]
        row_ids = {record.id: pk for pk, record in register}
        try:
            classifications = classify(preset, [r for _, r in register], events, quarter)
        except PolicyError as error:
            return Classified({}, {}, str(error))
        members: dict[str, set[int]] = defaultdict(set)
        for c in classifications:
            if c.class_code and c.eligible:
                members[c.class_code].add(row_ids[c.target.id])
        inspectors = len(self.inspectors.get(organisation.pk, []))
        try:
            found = quotas(preset, classifications, quarter, inspectors=inspectors)
        except PolicyError as error:
            return Classified(dict(members), {}, str(error))
        return Classified(dict(members), {q.code: q for q in found})

    @cached_property
    def inspectors(self) -> dict[int, list[tuple[int, str]]]:
        """Each organisation's enforcement officers on duty (pk, name), by name."""
        rows = _INSPECTORS(organisations=sorted(org.pk for org in self.organisations))
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
