"""随机抽查情况统计表: the quarter's (or year's) figures of one organisation, each with the
inspections behind it (GC-4.4b 每季度结束后将上一季度统计表报送市局, JX-5.3).

Everything is read in a fixed number of queries, however many organisations a table covers
(``YearRecords``), and counted in Python: an organisation has hundreds to a few thousand
inspections a year, and keeping the ids behind each figure lets every number on the page link
to its rows. On PostgreSQL each organisation's year is kept in the process and, after a change,
only the inspections the database logged as changed are read again (``year_records``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation, in_tree_order
from shuangsuiji.bureau.policies import effective_presets
from shuangsuiji.disclosure import versions
from shuangsuiji.inspections.models import (
    METHODS_USED,
    VIOLATION_CATEGORIES,
    FollowUp,
    Inspection,
    InspectionMember,
    ResultCategory,
    Revisit,
    is_joint,
    joint_parts,
)
from shuangsuiji.inspections.selectors import DeadlineFact, LocalDay
from shuangsuiji.planning.models import Draw, JointParticipation, SamplingTask
from shuangsuiji.policy import Quarter
from shuangsuiji.policy.engine import GRADED_BASIS
from shuangsuiji.prepared import Prepared

#: The methods the table counts: the policy's vocabulary, then 其他.
METHODS = METHODS_USED


@dataclass
class Figure:
    """One number of the table and the inspections it counts."""

    key: str
    label: str
    ids: set[int] = field(default_factory=set)
    #: For figures that count something else than inspections (tasks, inspectors).
    count: int | None = None

    @property
    def value(self) -> int:
        return self.count if self.count is not None else len(self.ids)

    @property
    def lists_inspections(self) -> bool:
        return self.count is None

    def merge(self, other: Figure) -> None:
        self.ids |= other.ids
        if other.count is not None:
            self.count = (self.count or 0) + other.count


def class_key(code: str, column: str) -> str:
    """The key of a class row's figure (``required``, ``drawn`` or ``inspected``): in the
    kept numbers and in a 统计表 link's ``figure=`` (``Table.figure``)."""
    return f"class:{code}:{column}"


@dataclass
class ClassRow:
    """Targets drawn per class against the quota frozen in the draws' parameters."""

    code: str
    name: str
    required: int = 0
    drawn: Figure = None  # type: ignore[assignment]
    inspected: Figure = None  # type: ignore[assignment]
    coverage: bool = False
    #: Those of ``drawn`` that are 全覆盖 checks: the row is a coverage row when its newest
    #: inspection (the greatest id) is one, as the class stands in the bureau's policy now.
    #: Not kept in a compact row, whose ``coverage`` is decided already.
    covered: set[int] = field(default_factory=set, compare=False, repr=False)

    def __post_init__(self):
        self.drawn = self.drawn or Figure(class_key(self.code, "drawn"), "抽取")
        self.inspected = self.inspected or Figure(class_key(self.code, "inspected"), "已检查")

    def add(self, inspection: dict) -> None:
        pk = inspection["pk"]
        self.drawn.ids.add(pk)
        if inspection["status"] == Inspection.Status.DONE:
            self.inspected.ids.add(pk)
        if inspection["kind"] == Inspection.Kind.COVERAGE:
            self.covered.add(pk)

    def without(self, changed: Set[int]) -> ClassRow:
        """The row's members but ``changed``, under the same code and name, no quota yet."""
        return ClassRow(
            self.code,
            self.name,
            drawn=Figure(self.drawn.key, self.drawn.label, ids=self.drawn.ids - changed),
            inspected=Figure(
                self.inspected.key, self.inspected.label, ids=self.inspected.ids - changed
            ),
            covered=self.covered - changed,
        )


@dataclass
class Table:
    organisation: Organisation
    year: int
    quarter: int | None
    tasks: Figure
    classes: list[ClassRow]
    figures: dict[str, Figure]

    @property
    def period(self) -> str:
        return f"{self.year} 年第 {self.quarter} 季度" if self.quarter else f"{self.year} 年"

    def figure(self, key: str) -> Figure:
        if key == "tasks":
            return self.tasks
        for row in self.classes:
            if key in (row.drawn.key, row.inspected.key):
                return row.drawn if key == row.drawn.key else row.inspected
        return self.figures[key]

    def rows(self) -> list[tuple[str, list[Figure]]]:
        """The table's sections in the order the 统计表 prints them."""
        return [(section, [self.figures[k] for k in keys]) for section, keys in SECTIONS]


@dataclass
class Numbers:
    """A table's numbers without the inspections behind them: what the 统计表 prints, kept per
    organisation between requests (``OrganisationStore``). One dict of whole numbers, not an
    object per figure: a province's page reads two hundred of them back after every change, and
    unpickling as many ``Table``s of ``Figure``s was a fifth of it (issue 21 §3)."""

    #: Figure key → number: the tasks, each class's 应抽取, 抽取 and 已检查, every other figure.
    values: dict[str, int]
    #: (code, name, coverage) of each class row, in the table's order.
    classes: tuple[tuple[str, str, bool], ...]
    #: The keys whose numbers count something else than inspections: nothing to link to.
    counted: frozenset[str]

    @classmethod
    def of(cls, table: Table) -> Numbers:
        values = {"tasks": table.tasks.value}
        counted = {"tasks"}
        for row in table.classes:
            required = class_key(row.code, "required")
            values[required] = row.required
            counted.add(required)
            values[row.drawn.key] = row.drawn.value
            values[row.inspected.key] = row.inspected.value
        for key, figure in table.figures.items():
            values[key] = figure.value
            if not figure.lists_inspections:
                counted.add(key)
        classes = tuple((r.code, r.name, r.coverage) for r in table.classes)
        return cls(values, classes, frozenset(counted))

    @classmethod
    def total(cls, parts: list[Numbers]) -> Numbers:
        """The organisations of a total never share an inspection: its numbers are the sums of
        theirs; its classes in ``merged``'s order."""
        # Organisations under one policy have the same keys in the same order: their numbers
        # are summed column by column (``zip``, ``sum``: C loops), not key by key.
        alike: dict[tuple[str, ...], list[Iterable[int]]] = defaultdict(list)
        classes: dict[str, tuple[str, str, bool]] = {}
        for part in parts:
            alike[tuple(part.values)].append(part.values.values())
            for row in part.classes:
                classes.setdefault(row[0], row)
        values: dict[str, int] = {}
        for keys, columns in alike.items():
            for key, value in zip(keys, map(sum, zip(*columns, strict=True)), strict=True):
                values[key] = values.get(key, 0) + value
        ordered = tuple(sorted(classes.values(), key=lambda r: (r[2], r[0])))
        return cls(values, ordered, frozenset().union(*(p.counted for p in parts)))


QUARTERS = (1, 2, 3, 4)


def quarter_of(day: dt.date) -> int:
    return Quarter.of(day).number


def period_quarter(row: dict) -> int:
    """The quarter an inspection belongs to: its task's quarter, the quarter its once-a-year
    task was drawn in, or, outside any task (定向检查), the quarter it was determined or opened."""
    if row["task__quarter"]:
        return row["task__quarter"]
    if row["drawn_on"]:  # when it was drawn, not the day the plan set for it
        return quarter_of(row["drawn_on"])
    if row["task__draw_date"]:
        return quarter_of(row["task__draw_date"])
    day = row["determined_on"] or row["created_on"]
    return quarter_of(day)


def replaced(rows: dict, changed: Set[int], fresh: dict) -> dict:
    """``rows`` (by inspection id) with the inspections ``changed`` read again: ``fresh`` holds
    those still there, which follow the others, as they do in ``regrouped``. Copied whole and
    the changed taken out: a copy is one C call, and a county's year is thousands of rows."""
    found = dict(rows)
    for pk in changed:
        found.pop(pk, None)
    found.update(fresh)
    return found


def grouped_by_quarter(rows, quarter: Callable) -> dict[int, list]:
    """``rows`` by ``quarter(row)``, in their order; a row in no quarter (``None``) is left
    out."""
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        if (number := quarter(row)) is not None:
            grouped[number].append(row)
    return dict(grouped)


def regrouped(
    grouped: dict[int, list], touched: set, kept: Callable, fresh, quarter: Callable
) -> dict[int, list]:
    """``grouped`` (``grouped_by_quarter``) after a change, from the changed rows alone: the
    quarters not ``touched`` as they were; each touched one with its rows ``kept`` accepts and
    then the ``fresh`` rows in it, which is what grouping the changed rows whole would give,
    in the same order (the changed rows follow the others, as in the part's dictionaries)."""
    found = {number: rows for number, rows in grouped.items() if number not in touched}
    for number in touched:
        rows = [row for row in grouped.get(number, ()) if kept(row)]
        rows += [row for row in fresh if quarter(row) == number]
        if rows:
            found[number] = rows
    return found


def _empty_figures() -> dict[str, Figure]:
    figures = {f"method:{m}": Figure(f"method:{m}", m) for m in METHODS}
    figures |= {
        f"result:{value}": Figure(f"result:{value}", label)
        for value, label in ResultCategory.choices
    }
    for key, label in (
        ("checked", "已完成检查"),
        ("problems", "发现问题"),
        ("rectify", "责令整改"),
        ("case", "立案调查"),
        ("transfer", "移送"),
        ("internal_joint", "内部联合抽查"),
        ("department_joint", "部门联合抽查"),
        ("inspectors", "参与执法人员（人）"),
        ("revisit_sampled", "抽取回访"),
        ("revisit_done", "已回访"),
        ("random", "随机抽查"),
        ("coverage", "全覆盖检查"),
        ("targeted", "定向检查"),
        ("graded", "按信用等级加权抽取的抽查"),
        ("declared_internal_joint", "计划为内部联合的任务的检查"),
    ):
        figures[key] = Figure(key, label)
    return figures


#: The 统计表's sections below its class rows, each with its figures' keys, in print order.
SECTIONS = (
    ("检查方式", tuple(f"method:{m}" for m in METHODS)),
    ("检查结果", tuple(f"result:{c}" for c in ResultCategory.values)),
    ("发现问题及处置", ("problems", "rectify", "case", "transfer")),
    ("联合抽查", ("internal_joint", "department_joint")),
    ("参与人员与回访", ("inspectors", "revisit_sampled", "revisit_done")),
)
#: Each figure's label, as the 统计表 prints it.
LABELS = {key: figure.label for key, figure in _empty_figures().items()}

INSPECTION_FIELDS = (
    "pk",
    "organisation_id",
    "kind",
    "stratum",
    "status",
    "method",
    "method_used",
    "result_category",
    "target_id",
    "draw_id",
    "task_id",
    "task__quarter",
    "task__draw_date",
    "task__scope",
    "task__inspection_deadline",
    "determined_on",
)
#: Times read as their day in Beijing, by the database: a year of a province is half a million
#: rows, and parsing each time and converting it here cost more than the rest of the count.
INSPECTION_DAYS = {
    "drawn_on": LocalDay("draw__drawn_at"),
    "created_on": LocalDay("created_at"),
    # 检查时间, or the submission where none was recorded: against the task's 检查时限.
    "checked_on": LocalDay(Coalesce("checked_at", "submitted_at")),
}


@dataclass
class DrawQuota:
    """What one carried-out draw committed to per class (its frozen quota)."""

    pk: int
    quarter: int
    #: (code, name, selected + shortfall) per class of the draw.
    strata: list[tuple[str, str, int]]
    #: Whether the draw weighted its classes by 信用等级 (``policy.engine.GRADED_BASIS``).
    graded: bool = False


@dataclass
class InspectionRows:
    """The rows of some inspections the 统计表 counts: the inspections themselves
    (``INSPECTION_FIELDS``) and, by inspection id, their follow-ups, teams, parts and 回访."""

    inspections: list[dict]
    #: The 统计表 figure (rectify, case, transfer) of each follow-up.
    follow_ups: dict[int, list[str]]
    #: The inspectors of each inspection's team.
    members: dict[int, list[int]]
    #: The count of each inspection's team's 所属部门 and of its items' business lines
    #: (``inspections.models.joint_parts``).
    joint_parts: dict[int, tuple[int, int]]
    revisits_sampled: set[int]
    revisits_done: set[int]

    @classmethod
    def read(cls, inspections: QuerySet, organisations: list[Organisation]) -> InspectionRows:
        """The rows of ``inspections`` (a query of ``organisations``' inspections): five
        queries, however many inspections and organisations."""
        # The related rows are read through a subquery, never a list of ids: a province's year
        # holds more inspections than SQLite accepts parameters.
        follow_ups = FollowUp.objects.filter(organisation__in=organisations)
        return cls.of(*_queries(inspections, follow_ups))

    @classmethod
    def changed(cls, year: int, organisation: Organisation, ids: set[int]) -> InspectionRows:
        """The rows of the organisation's inspections ``ids`` still counted in ``year``, as
        ``read`` gives them, in one query compiled once (``_CHANGED``). It runs after every
        change a kept year of rows is brought up to date by (``OrganisationYear.updated``), for
        a handful of inspections, where five round trips cost more than the rows."""
        found = list(_CHANGED(year=year, organisation=organisation.pk, ids=sorted(ids)))
        follow_ups, members, lines, revisits = [], [], [], []
        for row in found:
            pk = row["pk"]
            follow_ups += [(pk, kind) for kind in row.pop("follow_up_kinds")]
            members += [
                (pk, inspector, department)
                for inspector, department in zip(
                    row.pop("member_ids"), row.pop("member_departments"), strict=True
                )
            ]
            lines += [(pk, tags) for tags in row.pop("item_tags")]
            revisits += [(pk, done_on) for done_on in row.pop("revisit_days")]
        return cls.of(found, follow_ups, members, lines, revisits)

    @classmethod
    def of(cls, found, follow_up_rows, member_rows, line_rows, revisit_rows) -> InspectionRows:
        """The rows as ``read`` gives them, from what its five queries return (read in turn)."""
        found = list(found)
        follow_ups: dict[int, list[str]] = defaultdict(list)
        for inspection_id, kind in follow_up_rows:
            follow_ups[inspection_id].append(
                {"rectify": "rectify", "case": "case"}.get(kind, "transfer")
            )
        members: dict[int, list[int]] = defaultdict(list)
        departments: dict[int, list[str]] = defaultdict(list)
        for inspection_id, inspector_id, department in member_rows:
            members[inspection_id].append(inspector_id)
            departments[inspection_id].append(department)
        lines: dict[int, list[str]] = defaultdict(list)
        for inspection_id, tags in line_rows:
            lines[inspection_id] += tags.split(",")
        # Counted once per inspection; 内部联合 is read from the counts (``is_internal_joint``).
        parts = {
            pk: joint_parts(departments[pk], lines[pk]) for pk in departments.keys() | lines.keys()
        }
        sampled, done = set(), set()
        for inspection_id, done_on in revisit_rows:
            sampled.add(inspection_id)
            if done_on:
                done.add(inspection_id)
        return cls(found, dict(follow_ups), dict(members), parts, sampled, done)


def _queries(inspections: QuerySet, follow_ups: QuerySet) -> tuple[QuerySet, ...]:
    """``InspectionRows.read``'s five queries: ``inspections``' rows, then their follow-ups
    (among ``follow_ups``), team members, items' business lines and 回访."""
    return (
        inspections.values(*INSPECTION_FIELDS, **INSPECTION_DAYS),
        # By organisation first: the bureau's follow-ups are an index range, where the
        # subquery alone has PostgreSQL scan the province's (issue 21 §3).
        follow_ups.filter(inspection__in=inspections)
        .order_by()
        .values_list("inspection_id", "kind"),
        _members(inspections),
        _lines(inspections),
        _revisits(inspections),
    )


def _members(inspections: QuerySet) -> QuerySet:
    # ``order_by()``: the model's ordering would join each member's inspection again, which
    # PostgreSQL plans as a nested loop over the year (25 s on the demo).
    return (
        InspectionMember.objects.filter(inspection__in=inspections)
        .order_by()
        .values_list("inspection_id", "inspector_id", "inspector__department")
    )


def _lines(inspections: QuerySet) -> QuerySet:
    return (
        Inspection.items.through.objects.filter(inspection__in=inspections)
        .order_by()
        .values_list("inspection_id", "inspectionitem__tags")
    )


def _revisits(inspections: QuerySet) -> QuerySet:
    return (
        Revisit.objects.filter(inspection__in=inspections)
        .order_by()
        .values_list("inspection_id", "done_on")
    )


def _changed(year: int, organisation: int, ids: list[int]) -> QuerySet:
    """The inspections ``ids`` of the organisation still counted in ``year``, each with what
    ``_queries``' other four read as arrays: its follow-ups' kinds, its team (inspector and
    所属部门, in one order), its items' business lines and its 回访 (PostgreSQL's arrays: rows
    are kept and brought up to date only where the database logs changes, ``kept_parts``)."""
    inspection = OuterRef("pk")
    team = InspectionMember.objects.filter(inspection=inspection).order_by("pk")
    return (
        Inspection.objects.counted(year)
        .filter(organisation_id=organisation, pk__in=ids)
        .values(
            *INSPECTION_FIELDS,
            **INSPECTION_DAYS,
            follow_up_kinds=ArraySubquery(
                FollowUp.objects.filter(organisation_id=organisation, inspection=inspection)
                .order_by()
                .values("kind")
            ),
            member_ids=ArraySubquery(team.values("inspector_id")),
            member_departments=ArraySubquery(team.values("inspector__department")),
            item_tags=ArraySubquery(
                Inspection.items.through.objects.filter(inspection=inspection)
                .order_by()
                .values("inspectionitem__tags")
            ),
            revisit_days=ArraySubquery(
                Revisit.objects.filter(inspection=inspection).order_by().values("done_on")
            ),
        )
    )


#: ``InspectionRows.changed``'s query, compiled once and planned once per connection: it finds
#: inspections by primary key, after every change, and PostgreSQL took 0.8 ms to plan its five
#: subqueries each time against 0.15 ms to run them (pg_stat_statements, docs/staff-speed.md).
_CHANGED = Prepared(_changed, year=int, organisation=int, ids=list, planned_once=True)


@dataclass(frozen=True)
class OrganisationYear:
    """One organisation's part of ``YearRecords``, as read when its version counter stood at
    ``counter`` (written last by the transaction ``stamp``) and row 0's at ``everyone``
    (disclosure/versions.py). Never changed once made: requests in other threads read the same
    part (``KeptParts``)."""

    counter: int
    stamp: str
    everyone: tuple[int, str]
    #: The organisation's counted inspections, by id.
    inspections: dict[int, dict]
    follow_ups: dict[int, list[str]]
    members: dict[int, list[int]]
    joint_parts: dict[int, tuple[int, int]]
    revisits_sampled: frozenset[int]
    revisits_done: frozenset[int]
    tasks: list[dict]
    draws: list[DrawQuota]
    participations: list[dict]
    #: The 统计表 of each quarter and of the year counted from this part, by quarter (``None``:
    #: the year), kept with it: a 市局's board after a result in one of its 分局 counts that
    #: 分局's tables again and reads the others' (``YearRecords.table``). ``updated`` carries
    #: over only the quarters its changed inspections were not and are not in (``init=False``:
    #: ``dataclasses.replace`` carries nothing). Tables are never changed once counted; every
    #: reader shares them.
    tables: dict[int | None, Table] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    #: Each enforcement officer's count of the period's inspections, by quarter (``None``: the
    #: year), kept and carried over like ``tables`` (``YearRecords.workload``).
    workloads: dict[int | None, Counter] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    #: A quarter's table counted before the inspections changed since, and those inspections,
    #: for the quarters ``updated`` does not carry over: the table is counted again from it and
    #: the changed inspections alone (``YearRecords._count``).
    earlier: dict[int, tuple[Table, frozenset[int]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def size(self) -> int:
        """What the part weighs in ``KeptParts``: its inspections."""
        return len(self.inspections)

    # What the boards derive from the inspections, once per part on first need: a 市局's
    # boards after a result in one of its 分局 derive that 分局's again and keep the others'
    # (issue 21 §3). ``updated`` carries them over, without going through every row again.

    @cached_property
    def quarter_rows(self) -> dict[int, list[dict]]:
        """The inspections by the quarter they count in (``period_quarter``)."""
        return grouped_by_quarter(self.inspections.values(), period_quarter)

    @cached_property
    def joint(self) -> frozenset[int]:
        """The inspections that are 内部联合 (``inspections.models.is_joint``)."""
        return frozenset(_joint(self.joint_parts))

    @cached_property
    def deadline_facts(self) -> list[DeadlineFact]:
        """The inspections of tasks with a 检查时限, against it (``Facts.deadlines``)."""
        return _deadline_facts(self.inspections.values())

    @classmethod
    def read(
        cls, organisations: list[Organisation], year: int, counters: dict[int, tuple[int, str]]
    ) -> dict[int, OrganisationYear]:
        """The parts of ``organisations``, read together (``YearRecords.load``'s queries)."""
        records = YearRecords.load(organisations, year)
        parts = {}
        for org in organisations:
            rows = {row["pk"]: row for row in records.inspections.get(org.pk, [])}
            counter, stamp = counters.get(org.pk, (0, ""))
            parts[org.pk] = cls(
                counter=counter,
                stamp=stamp,
                everyone=counters[versions.EVERYONE],
                inspections=rows,
                follow_ups={pk: records.follow_ups[pk] for pk in rows if pk in records.follow_ups},
                members={pk: records.members[pk] for pk in rows if pk in records.members},
                joint_parts={
                    pk: records.joint_parts[pk] for pk in rows if pk in records.joint_parts
                },
                revisits_sampled=frozenset(records.revisits_sampled & rows.keys()),
                revisits_done=frozenset(records.revisits_done & rows.keys()),
                tasks=records.tasks.get(org.pk, []),
                draws=records.draws.get(org.pk, []),
                participations=records.participations.get(org.pk, []),
            )
        return parts

    def updated(
        self, organisation: Organisation, year: int, changed: set[int], counter: tuple[int, str]
    ) -> OrganisationYear:
        """The part with the inspections ``changed`` read again (gone, added or changed): what
        the organisation's counter rose for since, as logged (``InspectionChange``)."""
        fresh = InspectionRows.changed(year, organisation, changed)

        part = replace(
            self,
            counter=counter[0],
            stamp=counter[1],
            inspections=replaced(
                self.inspections, changed, {row["pk"]: row for row in fresh.inspections}
            ),
            follow_ups=replaced(self.follow_ups, changed, fresh.follow_ups),
            members=replaced(self.members, changed, fresh.members),
            joint_parts=replaced(self.joint_parts, changed, fresh.joint_parts),
            revisits_sampled=frozenset((self.revisits_sampled - changed) | fresh.revisits_sampled),
            revisits_done=frozenset((self.revisits_done - changed) | fresh.revisits_done),
        )
        # A quarter's table is counted from that quarter's inspections alone (with their
        # follow-ups, teams, parts and 回访), the organisation's tasks and draws, and its
        # policy's class names; an update changes none but the inspections ``changed``, so
        # the quarters none of them was or is in keep their tables and their officers' counts.
        # The year's, their union, is counted again. ``dict()`` copies at once, while other
        # threads may add tables.
        touched = {period_quarter(self.inspections[pk]) for pk in changed if pk in self.inspections}
        touched |= {period_quarter(row) for row in fresh.inspections}
        tables = dict(self.tables)
        for kept_by_quarter, carried in ((tables, part.tables), (self.workloads, part.workloads)):
            carried.update(
                (quarter, value)
                for quarter, value in dict(kept_by_quarter).items()
                if quarter is not None and quarter not in touched
            )
        # The touched quarters' tables are counted again when asked for, from the table before
        # and the inspections changed since (``earlier``), not from all their rows.
        for quarter in QUARTERS:
            if quarter in part.tables:
                continue
            if quarter in tables:
                part.earlier[quarter] = (tables[quarter], frozenset(changed))
            elif quarter in self.earlier:
                table, before = self.earlier[quarter]
                part.earlier[quarter] = (table, before | changed if quarter in touched else before)
        # What this part derived (``__dict__``: ``cached_property`` keeps it there), carried
        # over without the changed inspections and with them as read now: what deriving it from
        # the new part would give, in the same order, from the changed rows alone.
        derived = self.__dict__
        if "quarter_rows" in derived:
            part.__dict__["quarter_rows"] = regrouped(
                self.quarter_rows,
                touched,
                lambda row: row["pk"] not in changed,
                fresh.inspections,
                period_quarter,
            )
        if "joint" in derived:
            part.__dict__["joint"] = (self.joint - changed) | _joint(fresh.joint_parts)
        if "deadline_facts" in derived:
            part.__dict__["deadline_facts"] = [
                fact for fact in self.deadline_facts if fact.pk not in changed
            ] + _deadline_facts(fresh.inspections)
        return part


def _joint(joint_parts: dict[int, tuple[int, int]]) -> set[int]:
    return {pk for pk, counts in joint_parts.items() if is_joint(*counts)}


def _deadline_facts(rows) -> list[DeadlineFact]:
    """Each inspection of a task with a 检查时限, in the quarter it counts in (a task drawn once
    for the year: the quarter it was drawn in)."""
    return [
        DeadlineFact(
            row["pk"],
            period_quarter(row),
            row["task__inspection_deadline"],
            row["status"],
            row["checked_on"],
        )
        for row in rows
        if row["task__inspection_deadline"] is not None
    ]


class KeptParts:
    """The parts of organisations' years this process has read (``OrganisationYear``, the
    dashboard's ``facts.OrganisationResults``), the most recently used first, up to ``limit``
    rows in all (``SHUANGSUIJI_KEPT_INSPECTIONS``; a part's ``size``). In memory rather than in
    the cache: a county's year is thousands of rows, which unpickling from the cache would
    cost most of what reading them again does. Each process keeps its own; the database's
    counters and log bring a part up to date before every use, so two processes, or two
    nodes, never disagree (``kept_parts``)."""

    def __init__(self) -> None:
        self._parts: OrderedDict[tuple[int, int], object] = OrderedDict()
        self._lock = threading.Lock()
        self._size = 0

    def get(self, organisation_id: int, year: int):
        with self._lock:
            part = self._parts.get((organisation_id, year))
            if part is not None:
                self._parts.move_to_end((organisation_id, year), last=False)
            return part

    def put(self, organisation_id: int, year: int, part) -> None:
        limit = settings.SHUANGSUIJI_KEPT_INSPECTIONS
        with self._lock:
            old = self._parts.pop((organisation_id, year), None)
            self._size -= old.size if old else 0
            if part.size > limit:
                return
            self._parts[(organisation_id, year)] = part
            self._parts.move_to_end((organisation_id, year), last=False)
            self._size += part.size
            while self._size > limit:
                _, dropped = self._parts.popitem(last=True)
                self._size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()
            self._size = 0


KEPT = KeptParts()


def parts_kept() -> bool:
    """Whether years are kept between requests and brought up to date from the log of changed
    inspections (``kept_parts``): on PostgreSQL, unless turned off."""
    return versions.changes_logged() and settings.SHUANGSUIJI_KEPT_INSPECTIONS > 0


@dataclass(frozen=True)
class Changes:
    """Where organisations' version counters (and row 0's) stand, and the inspections logged
    for each rise of them since a counter (``versions.inspection_changes``): one snapshot."""

    counters: dict[int, tuple[int, str]]
    logged: dict[int, dict[int, set[int]]]


def changes_since(kept: list[KeptParts], organisations: list[Organisation], year: int) -> Changes:
    """The counters, and the log since the oldest counter any part of ``organisations`` kept
    in ``kept`` was read at: one read for the kinds of parts a page brings up to date (the
    dashboard's year of inspections and its results), which ``kept_parts`` each take their
    own rises from. Where the oldest is further behind than the log reaches
    (``versions.CHANGES_KEPT``), neither is brought up to date from it: both are read again,
    once."""
    since: dict[int, int | None] = {}
    for organisation in organisations:
        held = [p.counter for store in kept if (p := store.get(organisation.pk, year)) is not None]
        since[organisation.pk] = min(held, default=None)
    return Changes(*versions.inspection_changes(since))


def kept_parts(
    kept: KeptParts,
    organisations: list[Organisation],
    year: int,
    read: Callable[[list[Organisation], dict[int, tuple[int, str]]], dict],
    update: Callable[[object, Organisation, set[int], tuple[int, str]], object],
    changes: Changes | None = None,
) -> dict | None:
    """Each organisation's part of ``year``, kept in ``kept`` and brought up to date by
    reading only what changed: on PostgreSQL, when every rise of its version counter since
    was a write of an inspection or of a row of one (the log,
    ``disclosure.models.InspectionChange``), ``update(part, organisation, changed, counter)``
    reads just those inspections again; after any other change (a task, a draw, a register,
    row 0) ``read(organisations, counters)`` reads the part afresh. One query finds out which,
    so a report recomputed after each result an inspector submits reads a few rows, not the
    county's year (issue 21 §3). ``None`` without the log (SQLite): the caller reads the year.

    A part has ``counter``, ``stamp`` and ``everyone``: its organisation's counter and row 0's
    when it was read (``versions.inspection_changes``; ``changes`` where the caller read them
    for several kinds of parts at once, ``changes_since``). Parts are kept only when read
    outside a transaction, of committed rows: a part read within one could hold writes that
    are then rolled back."""
    if not parts_kept():
        return None
    keep = not connection.in_atomic_block
    found = {org.pk: kept.get(org.pk, year) for org in organisations}
    changes = changes or changes_since([kept], organisations, year)
    counters, logged = changes.counters, changes.logged
    parts = {}
    stale = []
    for org in organisations:
        part = found[org.pk]
        now = counters.get(org.pk, (0, ""))
        counter = now[0]
        if part is None or part.everyone != counters[versions.EVERYONE]:
            stale.append(org)
        elif (part.counter, part.stamp) == now:
            parts[org.pk] = part
        else:
            # The rises since the part was read (``changes`` may reach further back).
            rises = {at: ids for at, ids in logged.get(org.pk, {}).items() if at > part.counter}
            if counter > part.counter and len(rises) == counter - part.counter:
                # Every rise since logged its inspections: read just those.
                changed = set().union(*rises.values())
                parts[org.pk] = update(part, org, changed, now)
                if keep:
                    kept.put(org.pk, year, parts[org.pk])
            else:
                stale.append(org)
    if stale:
        fresh = read(stale, counters)
        if keep:
            for pk, part in fresh.items():
                kept.put(pk, year, part)
        parts |= fresh
    return parts


def year_records(
    organisations: list[Organisation], year: int, changes: Changes | None = None
) -> YearRecords:
    """``YearRecords`` of ``organisations``, each organisation's part (``OrganisationYear``)
    kept in this process (``KEPT``) and brought up to date by reading only what changed
    (``kept_parts``, from ``changes`` where given). Without the log (SQLite), the year is
    read."""
    organisations = list(organisations)
    parts = kept_parts(
        KEPT,
        organisations,
        year,
        lambda stale, counters: OrganisationYear.read(stale, year, counters),
        lambda part, org, changed, now: part.updated(org, year, changed, now),
        changes,
    )
    if parts is None:
        return YearRecords.load(organisations, year)
    return YearRecords.of_parts(organisations, year, {o.pk: parts[o.pk] for o in organisations})


@dataclass
class YearRecords:
    """Every row the 统计表 counts, of one or more organisations for one year.

    Each kind of row (inspections, follow-ups, members, revisits, tasks, draws) is read in one
    query for all the organisations together, so a 市局 with ten 分局 costs what one 分局 does;
    the table of any quarter (or of the year) is then counted in Python from these rows.
    """

    year: int
    organisations: list[Organisation]
    #: The year's active inspections (``INSPECTION_FIELDS``) by organisation id.
    inspections: dict[int, list[dict]]
    #: The 统计表 figure (rectify, case, transfer) of each follow-up, by inspection id.
    follow_ups: dict[int, list[str]]
    #: The inspectors of each inspection's team, by inspection id.
    members: dict[int, list[int]]
    #: The count of each inspection's team's 所属部门 and of its items' business lines, by
    #: inspection id (``joint`` is read from them).
    joint_parts: dict[int, tuple[int, int]]
    #: Inspections sampled for a 回访, and those whose 回访 is done.
    revisits_sampled: set[int]
    revisits_done: set[int]
    #: The published plans' tasks by organisation id: quarter, draw_date, scope and whether a
    #: draw of the task was carried out (drawn or revealed, not merely committed or aborted).
    tasks: dict[int, list[dict]]
    draws: dict[int, list[DrawQuota]]
    #: The bureau's part in 部门联合 checks other departments led (保定 三、（四） "牵头或参与"),
    #: by organisation id: pk and checked_on.
    participations: dict[int, list[dict]] = field(default_factory=dict)
    #: Each organisation's effective preset, where the caller has read them already (the
    #: dashboard's ``Facts``); read here on first need otherwise.
    presets: dict | None = field(default=None, repr=False)
    _class_names: dict[int, dict[str, str]] | None = field(default=None, init=False, repr=False)
    #: Each organisation's rows by the quarter they count in, sorted on first need: a board
    #: counts the quarter, the year and the four quarters of its trend from the same rows.
    _quarters: dict[int, dict[int, list[dict]]] = field(
        default_factory=dict, init=False, repr=False
    )
    #: Each organisation's tables by quarter (``None``: the year, their union), counted once,
    #: where no kept part holds them (``parts``).
    _tables: dict[int, dict[int | None, Table]] = field(
        default_factory=dict, init=False, repr=False
    )
    #: Each organisation's officers' counts by quarter, likewise (``workload``).
    _workloads: dict[int, dict[int | None, Counter]] = field(
        default_factory=dict, init=False, repr=False
    )
    #: The kept parts these records were made of (``of_parts``), whose tables are kept with
    #: them. Not carried over by ``dataclasses.replace`` (``init=False``): records narrowed to
    #: a task's rows (``upward._round_table``) count their own tables.
    parts: dict[int, OrganisationYear] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def load(cls, organisations: list[Organisation], year: int) -> YearRecords:
        organisations = list(organisations)
        rows = InspectionRows.read(
            Inspection.objects.counted(year).filter(organisation__in=organisations),
            organisations,
        )
        inspections: dict[int, list[dict]] = defaultdict(list)
        for row in rows.inspections:
            inspections[row["organisation_id"]].append(row)
        return cls(
            year=year,
            organisations=organisations,
            inspections=inspections,
            follow_ups=rows.follow_ups,
            members=rows.members,
            joint_parts=rows.joint_parts,
            revisits_sampled=rows.revisits_sampled,
            revisits_done=rows.revisits_done,
            tasks=_tasks(organisations, year),
            draws=_draws(organisations, year),
            participations=_participations(organisations, year),
        )

    @classmethod
    def of_parts(
        cls, organisations: list[Organisation], year: int, parts: dict[int, OrganisationYear]
    ) -> YearRecords:
        """The records of ``organisations`` from each one's part (``year_records``)."""
        follow_ups, members, joint_parts = {}, {}, {}
        sampled, done = set(), set()
        for part in parts.values():
            follow_ups |= part.follow_ups
            members |= part.members
            joint_parts |= part.joint_parts
            sampled |= part.revisits_sampled
            done |= part.revisits_done
        records = cls(
            year=year,
            organisations=list(organisations),
            inspections={pk: list(part.inspections.values()) for pk, part in parts.items()},
            follow_ups=follow_ups,
            members=members,
            joint_parts=joint_parts,
            revisits_sampled=sampled,
            revisits_done=done,
            tasks={pk: part.tasks for pk, part in parts.items() if part.tasks},
            draws={pk: part.draws for pk, part in parts.items() if part.draws},
            participations={pk: part.participations for pk, part in parts.items()},
        )
        records.parts = parts
        return records

    @functools.cached_property
    def joint(self) -> set[int]:
        """The inspections that are 内部联合 (``inspections.models.is_internal_joint``),
        counted once per inspection from its parts."""
        return _joint(self.joint_parts)

    @functools.cached_property
    def graded_draws(self) -> set[int]:
        return {d.pk for draws in self.draws.values() for d in draws if d.graded}

    def rows(self, organisation: Organisation, quarter: int | None = None) -> list[dict]:
        """The organisation's active inspections of the year, or of one quarter."""
        rows = self.inspections.get(organisation.pk, [])
        if quarter is None:
            return list(rows)
        part = self.parts.get(organisation.pk)
        if part is not None:
            return list(part.quarter_rows.get(quarter, ()))
        if organisation.pk not in self._quarters:
            self._quarters[organisation.pk] = grouped_by_quarter(rows, period_quarter)
        return list(self._quarters[organisation.pk].get(quarter, ()))

    def workload(self, organisation: Organisation, quarter: int | None = None) -> Counter:
        """Each enforcement officer's count of the organisation's active inspections in the
        quarter, or the year (绛县 四、（四） 年度检查次数标记: every check an officer takes part
        in), by inspector id; an officer with none is absent. Counted once per quarter, kept
        with the part like the tables; the year's is the sum of the quarters'. Never changed
        once counted: read it, do not add to it."""
        part = self.parts.get(organisation.pk)
        kept = (
            part.workloads if part is not None else self._workloads.setdefault(organisation.pk, {})
        )
        if quarter not in kept:  # two threads counting it at once store equal counts
            counts: Counter = Counter()
            if quarter is None:
                for q in QUARTERS:
                    counts.update(self.workload(organisation, q))
            else:
                for row in self.rows(organisation, quarter):
                    counts.update(self.members.get(row["pk"], ()))
            kept[quarter] = counts
        return kept[quarter]

    def deadline_facts(self, organisation: Organisation) -> list[DeadlineFact]:
        """The organisation's inspections of tasks with a 检查时限 (``Facts.deadlines``)."""
        part = self.parts.get(organisation.pk)
        if part is not None:
            return part.deadline_facts
        return _deadline_facts(self.inspections.get(organisation.pk, ()))

    def period_tasks(self, organisation: Organisation, quarter: int | None = None) -> list[dict]:
        rows = self.tasks.get(organisation.pk, [])
        return [
            t
            for t in rows
            if not quarter or (t["quarter"] or quarter_of(t["draw_date"])) == quarter
        ]

    def period_participations(
        self, organisation: Organisation, quarter: int | None = None
    ) -> list[dict]:
        rows = self.participations.get(organisation.pk, [])
        return [p for p in rows if not quarter or quarter_of(p["checked_on"]) == quarter]

    def table(self, organisation: Organisation, quarter: int | None = None) -> Table:
        """The organisation's 统计表 of a quarter, or of the year. Every inspection counts in
        exactly one quarter (``period_quarter``), so the year's figures are the unions of the
        quarters': a board that shows the year and each quarter counts each row once, not
        twice (issue 21 §3). The year's tasks and classes are counted from the year itself: a
        draw's quota is the year's once, though its inspections may fall in two quarters."""
        # A kept part's tables outlive these records; records of their own count their own.
        part = self.parts.get(organisation.pk)
        tables = part.tables if part is not None else self._tables.setdefault(organisation.pk, {})
        if quarter not in tables:  # two threads counting it at once store equal tables
            if quarter is not None:
                earlier = part.earlier.get(quarter) if part is not None else None
                tables[quarter] = self._count(organisation, quarter, earlier)
            else:
                quarters = [self.table(organisation, q) for q in QUARTERS]
                figures = {
                    key: Figure(
                        key, figure.label, ids=set().union(*(t.figures[key].ids for t in quarters))
                    )
                    for key, figure in _empty_figures().items()
                }
                # Each inspection is in one quarter's class rows: the year's are their union.
                members: dict[str, ClassRow] = {}
                for row in (row for table in quarters for row in table.classes):
                    into = members.setdefault(row.code, ClassRow(row.code, row.name))
                    into.drawn.ids |= row.drawn.ids
                    into.inspected.ids |= row.inspected.ids
                    into.covered |= row.covered
                classes = self._classes(organisation, None, set(), members.values())
                tables[None] = self._table(organisation, None, figures, classes)
        return tables[quarter]

    def _count(
        self,
        organisation: Organisation,
        quarter: int,
        earlier: tuple[Table, Set[int]] | None = None,
    ) -> Table:
        """The quarter's table; from ``earlier`` (a table of the quarter counted before the
        inspections ``changed`` were written, ``OrganisationYear.earlier``) where given, by
        going through the changed inspections alone: every figure and class row holds an
        inspection for what that inspection's own rows say (issue 21 §3)."""
        inspections = self.rows(organisation, quarter)
        if earlier is None:
            figures = _empty_figures()
            counted = inspections
            members = {}
        else:
            table, changed = earlier
            figures = {
                key: replace(figure, ids=figure.ids - changed)
                for key, figure in table.figures.items()
            }
            counted = [row for row in inspections if row["pk"] in changed]
            members = {row.code: row.without(changed) for row in table.classes}
        part = self.parts.get(organisation.pk)
        joint = part.joint if part is not None else self.joint
        for row in counted:
            figures[row["kind"]].ids.add(row["pk"])
            if row["draw_id"] in self.graded_draws:
                figures["graded"].ids.add(row["pk"])
            if row["pk"] in joint:
                figures["internal_joint"].ids.add(row["pk"])
            if row["task__scope"] == SamplingTask.Scope.DEPARTMENT_JOINT:
                figures["department_joint"].ids.add(row["pk"])
            if row["task__scope"] == SamplingTask.Scope.INTERNAL_JOINT:
                figures["declared_internal_joint"].ids.add(row["pk"])
            for key in self.follow_ups.get(row["pk"], ()):
                figures[key].ids.add(row["pk"])
            if row["pk"] in self.members:
                figures["inspectors"].ids.add(row["pk"])
            if row["pk"] in self.revisits_sampled:
                figures["revisit_sampled"].ids.add(row["pk"])
            if row["pk"] in self.revisits_done:
                figures["revisit_done"].ids.add(row["pk"])
            if row["kind"] in (Inspection.Kind.RANDOM, Inspection.Kind.COVERAGE):
                stratum = row["stratum"]
                if stratum not in members:
                    members[stratum] = ClassRow(stratum, stratum)
                members[stratum].add(row)
            if row["status"] != Inspection.Status.DONE:
                continue
            figures["checked"].ids.add(row["pk"])
            method = row["method_used"] if row["method_used"] in METHODS else "其他"
            figures[f"method:{method}"].ids.add(row["pk"])
            if row["result_category"]:
                figures[f"result:{row['result_category']}"].ids.add(row["pk"])
            if row["result_category"] in VIOLATION_CATEGORIES:
                figures["problems"].ids.add(row["pk"])
        in_period = {row["draw_id"] for row in inspections if row["draw_id"]}
        classes = self._classes(organisation, quarter, in_period, members.values())
        return self._table(organisation, quarter, figures, classes)

    def _table(
        self,
        organisation: Organisation,
        quarter: int | None,
        figures: dict[str, Figure],
        classes: list[ClassRow],
    ) -> Table:
        figures["inspectors"].count = len(
            {person for pk in figures["inspectors"].ids for person in self.members[pk]}
        )
        return Table(
            organisation=organisation,
            year=self.year,
            quarter=quarter,
            tasks=Figure("tasks", "抽查任务", count=len(self.period_tasks(organisation, quarter))),
            classes=classes,
            figures=figures,
        )

    def _classes(
        self,
        organisation: Organisation,
        quarter: int | None,
        in_period: set[int],
        members,
    ) -> list[ClassRow]:
        """Per class: the quota each draw committed to (selected + shortfall, so a class with
        too few eligible targets still shows what the plan required), the targets drawn, and
        those inspected (``members``: rows holding the period's random and coverage checks by
        class, ``ClassRow.add``). Coverage classes count the inspections created for them. A
        quarter's quota is that of the draws of its tasks and of those its inspections came
        from (``in_period``); the year's, of all its draws."""
        rows: dict[str, ClassRow] = {}
        for draw in self.draws.get(organisation.pk, []):
            if quarter and draw.quarter != quarter and draw.pk not in in_period:
                continue
            for code, name, required in draw.strata:
                rows.setdefault(code, ClassRow(code, name)).required += required
        for found in members:
            if not found.drawn.ids:
                continue
            coverage = max(found.drawn.ids) in found.covered
            row = rows.setdefault(found.code, ClassRow(found.code, found.name))
            row.drawn, row.inspected, row.covered = found.drawn, found.inspected, found.covered
            row.coverage = coverage
            if coverage:
                row.required = len(row.drawn.ids)  # 全覆盖: every eligible target gets one
        unnamed = [row for row in rows.values() if row.name == row.code]
        if unnamed:
            names = self.class_names().get(organisation.pk, {})
            for row in unnamed:
                row.name = names.get(row.code, row.name)
        return sorted(rows.values(), key=lambda r: (r.coverage, r.code))

    def class_names(self) -> dict[int, dict[str, str]]:
        """The class names of each organisation's preset, for coverage classes (no draw names
        them): read for all the organisations at once, and only when a table needs them."""
        if self._class_names is None:
            if self.presets is None:
                self.presets = effective_presets(self.organisations)
            self._class_names = {
                org_id: {rule.code: rule.name for rule in preset.classes}
                for org_id, preset in self.presets.items()
                if not isinstance(preset, Exception)
            }
        return self._class_names


def _tasks(organisations: list[Organisation], year: int) -> dict[int, list[dict]]:
    carried_out = Draw.objects.filter(
        task=OuterRef("pk"), status__in=[Draw.Status.DRAWN, Draw.Status.REVEALED]
    )
    rows = (
        SamplingTask.objects.filter(
            organisation__in=organisations, plan__year=year, plan__revisions__isnull=False
        )
        .annotate(drawn=Exists(carried_out))
        .values("pk", "organisation_id", "quarter", "draw_date", "scope", "drawn")
        .order_by("pk")
        .distinct()
    )
    tasks: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        tasks[row["organisation_id"]].append(row)
    return tasks


def _participations(organisations: list[Organisation], year: int) -> dict[int, list[dict]]:
    rows: dict[int, list[dict]] = defaultdict(list)
    for row in (
        JointParticipation.objects.filter(organisation__in=organisations, year=year)
        .order_by("checked_on", "pk")
        .values("pk", "organisation_id", "checked_on")
    ):
        rows[row["organisation_id"]].append(row)
    return rows


def _draws(organisations: list[Organisation], year: int) -> dict[int, list[DrawQuota]]:
    rows = Draw.objects.filter(
        organisation__in=organisations,
        task__plan__year=year,
        status__in=[Draw.Status.DRAWN, Draw.Status.REVEALED],
    ).values(
        "pk", "organisation_id", "params", "result", "task__quarter", "task__draw_date", "drawn_at"
    )
    draws: dict[int, list[DrawQuota]] = defaultdict(list)
    for row in rows:
        params = json.loads(row["params"])["strata"]
        names = {s["code"]: s["name"] for s in params}
        graded = any(GRADED_BASIS in s.get("basis", "") for s in params)
        strata = [
            (s["code"], names[s["code"]], len(s["selected"]) + s["shortfall"])
            for s in json.loads(row["result"])["strata"]
        ]
        drawn_on = timezone.localdate(row["drawn_at"]) if row["drawn_at"] else None
        quarter = row["task__quarter"] or quarter_of(drawn_on or row["task__draw_date"])
        draws[row["organisation_id"]].append(DrawQuota(row["pk"], quarter, strata, graded))
    return draws


def statistics_table(organisation: Organisation, year: int, quarter: int | None = None) -> Table:
    return year_records([organisation], year).table(organisation, quarter)


def merged(organisation: Organisation, tables: list[Table]) -> Table:
    """The total of several organisations' tables (a 市局 and its 分局)."""
    total = Table(
        organisation=organisation,
        year=tables[0].year,
        quarter=tables[0].quarter,
        tasks=Figure("tasks", "抽查任务", count=0),
        classes=[],
        figures=_empty_figures(),
    )
    classes: dict[str, ClassRow] = {}
    for table in tables:
        total.tasks.merge(table.tasks)
        for key, figure in table.figures.items():
            total.figures[key].merge(figure)
        for row in table.classes:
            into = classes.setdefault(row.code, ClassRow(row.code, row.name, coverage=row.coverage))
            into.required += row.required
            into.drawn.merge(row.drawn)
            into.inspected.merge(row.inspected)
    total.classes = sorted(classes.values(), key=lambda r: (r.coverage, r.code))
    return total


@dataclass
class TreeTables:
    """An organisation's own table, one per organisation below it, and their total (the own
    table itself where nothing is below)."""

    total: Table
    own: Table
    below: list[Table]


class NearParts:
    """The small parts of ``OrganisationStore``s this process read last, by their cache keys,
    up to ``limit`` of them, the least recently used dropped first.

    A key holds the versions of the rows its part is computed from, so a part kept here is the
    part the shared cache holds under that key, on any node: nothing here can go stale, it can
    only go unused. It spares the cache's copy: a province's 统计表 reads two hundred
    organisations' numbers after every change, and reading and unpickling them one by one from
    the cache was an eighth of the page (issue 21 §3). The parts are shared between requests
    and threads, so no caller changes one (``dataclasses.replace`` makes a new one)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._parts: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys) -> dict[str, object]:
        found = {}
        with self._lock:
            for key in keys:
                part = self._parts.get(key)
                if part is not None:
                    self._parts.move_to_end(key)
                    found[key] = part
        return found

    def put_many(self, parts: dict[str, object]) -> None:
        with self._lock:
            for key, part in parts.items():
                self._parts[key] = part
                self._parts.move_to_end(key)
            while len(self._parts) > self.limit:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


#: The 统计表's numbers and the boards below a 市局 or 省厅 (``OrganisationStore.near``): a
#: province's 200 organisations' numbers of the year and its four quarters, for a few years,
#: are some 4,000 parts of a few kilobytes.
NEAR = NearParts(limit=8192)


@dataclass
class OrganisationStore:
    """Where a report keeps a part computed from one organisation's rows between requests
    (``tree_tables``' compact tables, the dashboard's classified registers), keyed by the
    version of the rows that part is computed from (and of the rows of no one organisation,
    key 0), which the caller reads once for the page. A change in one 分局 then costs the
    province's pages that 分局's rows, not the province's (issue 21 §3). Small parts are also
    kept in this process (``near``, ``NearParts``) and read from there first."""

    cache: object  # django.core.cache.BaseCache
    prefix: str
    versions: dict[int, int]
    timeout: int
    near: NearParts | None = None

    def key(self, organisation: Organisation, year: int, quarter: int | None) -> str:
        everyone, own = self.versions.get(0, 0), self.versions.get(organisation.pk, 0)
        return f"{self.prefix}:{organisation.pk}:{year}:{quarter or 0}:{everyone}.{own}"

    def kept(
        self,
        organisations: list[Organisation],
        year: int,
        quarter: int | None,
        compute: Callable[[list[Organisation]], dict[int, object]],
    ) -> dict[int, object]:
        """Each organisation's part, by id: those kept under their version read in one call;
        the others computed together (``compute(stale)``, by id) and kept."""
        keys = {org.pk: self.key(org, year, quarter) for org in organisations}
        kept = self.near.get_many(keys.values()) if self.near is not None else {}
        if len(kept) < len(keys):
            shared = self.cache.get_many([key for key in keys.values() if key not in kept])
            if self.near is not None:
                self.near.put_many(shared)
            kept |= shared
        found = {pk: kept[key] for pk, key in keys.items() if key in kept}
        stale = [org for org in organisations if org.pk not in found]
        if stale:
            fresh = {keys[pk]: part for pk, part in compute(stale).items()}
            self.cache.set_many(fresh, self.timeout)
            if self.near is not None:
                self.near.put_many(fresh)
            found |= {org.pk: fresh[keys[org.pk]] for org in stale}
        return found


def _below(organisation: Organisation, subtree: list[Organisation] | None) -> list[Organisation]:
    """The active bureaus below ``organisation`` in tree order: from ``subtree``, active bureaus
    in tree order that hold ``organisation``'s, read already (a report page's choice of
    organisation), or read here."""
    if subtree is None:
        subtree = in_tree_order(
            Organisation.objects.bureaus().filter(
                path__startswith=organisation.path, is_active=True
            )
        )
    return [
        org
        for org in subtree
        if org.path.startswith(organisation.path) and org.pk != organisation.pk
    ]


def tree_tables(
    organisation: Organisation,
    year: int,
    quarter: int | None = None,
    subtree: list[Organisation] | None = None,
) -> TreeTables:
    """The 统计表 of a 市局 or 省厅 and of every active organisation below it, in a number of
    queries that does not grow with the organisations below (``subtree``: ``_below``)."""
    below = _below(organisation, subtree)
    everyone = [organisation, *below]
    records = year_records(everyone, year)
    own = records.table(organisation, quarter)
    if not below:
        return TreeTables(own, own, [])
    tables = [records.table(org, quarter) for org in below]
    return TreeTables(merged(organisation, [own, *tables]), own, tables)


def tree_numbers(
    organisation: Organisation,
    year: int,
    quarter: int | None,
    store: OrganisationStore,
    subtree: list[Organisation] | None = None,
) -> tuple[Numbers, Numbers, list[tuple[Organisation, Numbers]]]:
    """``tree_tables``' total, own and below (each with its organisation) as ``Numbers``, each
    organisation's kept in ``store`` and read again only when its rows changed since."""
    below = _below(organisation, subtree)

    def count(stale: list[Organisation]) -> dict[int, Numbers]:
        records = year_records(stale, year)  # the same queries for one or two hundred
        return {org.pk: Numbers.of(records.table(org, quarter)) for org in stale}

    found = store.kept([organisation, *below], year, quarter, count)
    own = found[organisation.pk]
    if not below:
        return own, own, []
    numbers = [found[org.pk] for org in below]
    return Numbers.total([own, *numbers]), own, list(zip(below, numbers, strict=True))


def organisation_tables(
    organisation: Organisation, year: int, quarter: int | None = None
) -> tuple[Table, list[Table]]:
    """An organisation's own table and, for a 市局 or 省厅, one per organisation below it; the
    first table is then the total of all of them (own work included)."""
    tables = tree_tables(organisation, year, quarter)
    return tables.total, tables.below
