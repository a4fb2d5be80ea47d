"""随机抽查情况统计表: the quarter's (or year's) figures of one organisation, each with the
inspections behind it (GC-4.4b 每季度结束后将上一季度统计表报送市局, JX-5.3).

Everything is read in a fixed number of queries per organisation and counted in Python: an
organisation has hundreds to a few thousand inspections a year, and keeping the ids behind each
figure lets every number on the page link to its rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.inspections.models import (
    FollowUp,
    Inspection,
    InspectionMember,
    ResultCategory,
    Revisit,
)
from shuangsuiji.planning.models import Draw, SamplingTask
from shuangsuiji.policy import PolicyError

METHODS = ("现场检查", "非现场检查", "书面检查", "其他")
VIOLATIONS = (ResultCategory.ORDERED, ResultCategory.CASE_FILED)


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

    def merge(self, other: Figure) -> None:
        self.ids |= other.ids
        if other.count is not None:
            self.count = (self.count or 0) + other.count


@dataclass
class ClassRow:
    """Targets drawn per class against the quota frozen in the draws' parameters."""

    code: str
    name: str
    required: int = 0
    drawn: Figure = None  # type: ignore[assignment]
    inspected: Figure = None  # type: ignore[assignment]
    coverage: bool = False

    def __post_init__(self):
        self.drawn = self.drawn or Figure(f"class:{self.code}:drawn", "抽取")
        self.inspected = self.inspected or Figure(f"class:{self.code}:inspected", "已检查")


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
        f = self.figures
        return [
            ("检查方式", [f[f"method:{m}"] for m in METHODS]),
            ("检查结果", [f[f"result:{c}"] for c in ResultCategory.values]),
            ("发现问题及处置", [f[k] for k in ("problems", "rectify", "case", "transfer")]),
            ("联合抽查", [f[k] for k in ("internal_joint", "department_joint")]),
            ("参与人员与回访", [f[k] for k in ("inspectors", "revisit_sampled", "revisit_done")]),
        ]


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def _period_quarter(row: dict) -> int:
    """The quarter an inspection belongs to: its task's quarter, the quarter its once-a-year
    task was drawn in, or, outside any task (定向检查), the quarter it was determined or opened."""
    if row["task__quarter"]:
        return row["task__quarter"]
    if row["task__draw_date"]:
        return quarter_of(row["task__draw_date"])
    day = row["determined_on"] or timezone.localdate(row["created_at"])
    return quarter_of(day)


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
    ):
        figures[key] = Figure(key, label)
    return figures


INSPECTION_FIELDS = (
    "pk",
    "kind",
    "stratum",
    "status",
    "method",
    "method_used",
    "result_category",
    "internal_joint",
    "draw_id",
    "task_id",
    "task__quarter",
    "task__draw_date",
    "task__scope",
    "determined_on",
    "created_at",
)


def statistics_table(organisation: Organisation, year: int, quarter: int | None = None) -> Table:
    inspections = [
        row
        for row in Inspection.objects.active()
        .filter(organisation=organisation, year=year)
        .values(*INSPECTION_FIELDS)
        if quarter is None or _period_quarter(row) == quarter
    ]
    ids = {row["pk"] for row in inspections}
    figures = _empty_figures()
    for row in inspections:
        figures[row["kind"]].ids.add(row["pk"])
        if row["internal_joint"]:
            figures["internal_joint"].ids.add(row["pk"])
        if row["task__scope"] == SamplingTask.Scope.DEPARTMENT_JOINT:
            figures["department_joint"].ids.add(row["pk"])
        if row["status"] != Inspection.Status.DONE:
            continue
        figures["checked"].ids.add(row["pk"])
        method = row["method_used"] if row["method_used"] in METHODS else "其他"
        figures[f"method:{method}"].ids.add(row["pk"])
        if row["result_category"]:
            figures[f"result:{row['result_category']}"].ids.add(row["pk"])
        if row["result_category"] in VIOLATIONS:
            figures["problems"].ids.add(row["pk"])
    follow_ups = FollowUp.objects.filter(inspection_id__in=ids).values_list("inspection_id", "kind")
    for inspection_id, kind in follow_ups:
        key = {"rectify": "rectify", "case": "case"}.get(kind, "transfer")
        figures[key].ids.add(inspection_id)
    members = InspectionMember.objects.filter(inspection_id__in=ids)
    figures["inspectors"].count = members.values("inspector_id").distinct().count()
    figures["inspectors"].ids = set(members.values_list("inspection_id", flat=True))
    for inspection_id, done_on in Revisit.objects.filter(inspection_id__in=ids).values_list(
        "inspection_id", "done_on"
    ):
        figures["revisit_sampled"].ids.add(inspection_id)
        if done_on:
            figures["revisit_done"].ids.add(inspection_id)
    return Table(
        organisation=organisation,
        year=year,
        quarter=quarter,
        tasks=_tasks(organisation, year, quarter),
        classes=_classes(organisation, year, quarter, inspections),
        figures=figures,
    )


def _tasks(organisation: Organisation, year: int, quarter: int | None) -> Figure:
    tasks = SamplingTask.objects.filter(
        organisation=organisation, plan__year=year, plan__revisions__isnull=False
    ).distinct()
    if quarter:
        tasks = [
            t
            for t in tasks.only("quarter", "draw_date")
            if (t.quarter or quarter_of(t.draw_date)) == quarter
        ]
    else:
        tasks = list(tasks.only("pk"))
    return Figure("tasks", "抽查任务", count=len(tasks))


def _classes(
    organisation: Organisation, year: int, quarter: int | None, inspections: list[dict]
) -> list[ClassRow]:
    """Per class: the quota each draw committed to (selected + shortfall, so a class with too
    few eligible targets still shows what the plan required), the targets drawn, and those
    inspected. Coverage classes count the inspections created for them."""
    in_period = {row["draw_id"] for row in inspections if row["draw_id"]}
    draws = Draw.objects.filter(
        organisation=organisation,
        task__plan__year=year,
        status__in=[Draw.Status.DRAWN, Draw.Status.REVEALED],
    ).only("pk", "params", "result", "task__quarter", "task__draw_date")
    rows: dict[str, ClassRow] = {}
    for draw in draws.select_related("task"):
        draw_quarter = draw.task.quarter or quarter_of(draw.task.draw_date)
        if quarter and draw_quarter != quarter and draw.pk not in in_period:
            continue
        names = {s["code"]: s["name"] for s in json.loads(draw.params)["strata"]}
        for stratum in json.loads(draw.result)["strata"]:
            row = rows.setdefault(
                stratum["code"], ClassRow(stratum["code"], names[stratum["code"]])
            )
            row.required += len(stratum["selected"]) + stratum["shortfall"]
    by_class: dict[str, list[dict]] = defaultdict(list)
    for inspection in inspections:
        if inspection["kind"] in (Inspection.Kind.RANDOM, Inspection.Kind.COVERAGE):
            by_class[inspection["stratum"]].append(inspection)
    for code, members in by_class.items():
        coverage = members[0]["kind"] == Inspection.Kind.COVERAGE
        row = rows.setdefault(code, ClassRow(code, code, coverage=coverage))
        row.coverage = coverage
        for inspection in members:
            row.drawn.ids.add(inspection["pk"])
            if inspection["status"] == Inspection.Status.DONE:
                row.inspected.ids.add(inspection["pk"])
        if coverage:
            row.required = len(row.drawn.ids)  # 全覆盖: every eligible target gets one
    _name_coverage_classes(organisation, rows)
    return sorted(rows.values(), key=lambda r: (r.coverage, r.code))


def _name_coverage_classes(organisation: Organisation, rows: dict[str, ClassRow]) -> None:
    unnamed = [row for row in rows.values() if row.name == row.code]
    if not unnamed:
        return
    from shuangsuiji.planning.policies import NoPolicy, effective_preset, organisation_policy

    try:
        preset = effective_preset(organisation_policy(organisation))
    except NoPolicy:
        return
    for row in unnamed:
        with contextlib.suppress(PolicyError):
            row.name = preset.class_rule(row.code).name


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


def organisation_tables(
    organisation: Organisation, year: int, quarter: int | None = None
) -> tuple[Table, list[Table]]:
    """An organisation's own table and, for a 市局 or 省厅, one per organisation below it; the
    first table is then the total of all of them (own work included)."""
    below = list(
        Organisation.objects.filter(path__startswith=organisation.path, is_active=True)
        .exclude(pk=organisation.pk)
        .order_by("path")
    )
    own = statistics_table(organisation, year, quarter)
    if not below:
        return own, []
    tables = [statistics_table(org, year, quarter) for org in below]
    return merged(organisation, [own, *tables]), tables
