"""Did we meet our plan? Each requirement the organisation's policy sets, for a quarter or a
year: what is required, what was measured, the period, the clause and how the figure is
counted, with one of five states (issue 18): 达标, 未达标, 进行中 (period running, still
reachable), 未开展 (period over, the work absent) or 不适用 (nothing the plan sets applies) —
and 未评估 where nothing the platform records measures it. Nothing is 达标 unless the data
show the work done: a past quarter without a draw reads 未开展, never 达标.

Which checks appear comes from the preset: every class of its ``classes`` (a class with no
draw in the period is still a row, its quota computed from the register as the 抽取准备 page
computes it), its ``targets`` and ``exclusions``. The targets are judged each by its one
evaluator (``reports.evaluators``); a target no evaluator knows is shown as 未评估.

A 市局's page shows its own board and one per 分局 beside it: ``dashboards`` builds them all
from one ``Facts``, so the page runs the same queries for one 分局 or for ten.
"""

from __future__ import annotations

import datetime as dt
import statistics as stats
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.policy import PolicyError, PolicyNotInForce, Preset, Quarter, plan_targets
from shuangsuiji.policy.loader import ClassRule, DatedValue
from shuangsuiji.reports.evaluators import (
    ABSENT,
    BAD,
    INSPECTIONS,
    NA,
    NONE,
    OK,
    RUNNING,
    STATE_LABELS,
    TARGETS,
    Rows,
    Scope,
    Verdict,
    evaluate,
    period_label,
    period_over,
)
from shuangsuiji.reports.facts import Facts
from shuangsuiji.reports.statistics import OrganisationStore, Table

__all__ = [
    "ABSENT",
    "BAD",
    "NA",
    "NONE",
    "OK",
    "RUNNING",
    "STATE_LABELS",
    "Dashboard",
    "SideBoard",
    "dashboard",
    "dashboards",
]

#: The states in the order a summary counts them.
STATES = (OK, BAD, RUNNING, ABSENT, NA, NONE)

CLASS_DEFINITION = (
    "抽查数量：抽取数为本期已实施的随机抽取选中的对象，已检查为其中检查已完成的；"
    "应抽取数取各次抽取承诺时冻结的数量，本期尚未抽取的，按当前名录与本单位政策计算"
    "（与抽取准备页相同）。"
)
COVERAGE_DEFINITION = (
    "全覆盖：名录中本类每一户在每个季度都有一次已完成的{method}（全覆盖检查）；"
    "应覆盖户数按当前名录计算，未覆盖的对象逐户列出。"
)
ANNUAL_DEFINITION = (
    "全年覆盖：全年随机抽查已检查的不同对象户数（同一对象只计一次）；应覆盖户数为四个季度"
    "应抽取数之和，不超过本类名录户数。尚未覆盖的对象逐户列出。"
)
CAP_DEFINITION = "同一对象年度抽查次数：本年度对同一对象的随机抽查次数（特殊监管对象除外）。"
WORKLOAD_DEFINITION = "执法人员年度任务量：每名执法人员本年度参加的检查数（不含已作废、已替换）。"


@dataclass
class Workload:
    """Inspections per inspector in the period (active inspections they are a member of)."""

    per_inspector: list[tuple[str, int]] = field(default_factory=list)
    cap: int = 0

    @property
    def counts(self) -> list[int]:
        return [n for _, n in self.per_inspector]

    @property
    def summary(self) -> dict:
        if not self.counts:
            return {"min": 0, "median": 0, "max": 0}
        return {
            "min": min(self.counts),
            "median": stats.median(self.counts),
            "max": max(self.counts),
        }


@dataclass
class Dashboard:
    organisation: Organisation
    year: int
    quarter: int | None
    table: Table
    checks: list[Verdict]
    workload: Workload
    error: str = ""
    facts: Facts | None = field(default=None, repr=False)

    def quarter_table(self, quarter: int | None) -> Table:
        """Another period's 统计表 of the organisation, from the rows already read."""
        return self.facts.table(self.organisation, quarter)

    @property
    def counts(self) -> dict[str, int]:
        """How many checks read each state (``STATES``)."""
        found = Counter(c.state for c in self.checks)
        return {state: found[state] for state in STATES}

    @property
    def period(self) -> str:
        return period_label(self.year, self.quarter)

    def check(self, key: str) -> Verdict | None:
        return next((c for c in self.checks if c.key == key), None)


@dataclass(frozen=True)
class SideCell:
    """What the 市局's side-by-side view shows of one check of a board below it."""

    key: str
    label: str
    state: str
    state_label: str
    actual: str
    #: Whether the figure opens the rows behind it (``Verdict.rows``).
    rows: bool


@dataclass(frozen=True)
class SideBoard:
    """A board as the side-by-side view of the organisation above shows it: its states and
    figures, without the rows behind them. Small, so the boards below a 市局 or a 省厅 are kept
    between requests, each under its own organisation's version (``reports.views``)."""

    counts: dict[str, int]
    checks: tuple[SideCell, ...]
    #: Not kept with the board: the caller sets the organisation it has in hand.
    organisation: Organisation | None = None

    @classmethod
    def of(cls, board: Dashboard) -> SideBoard:
        cells = tuple(
            SideCell(c.key, c.label, c.state, c.state_label, c.actual, bool(c.rows))
            for c in board.checks
        )
        return cls(board.counts, cells)

    def check(self, key: str) -> SideCell | None:
        return next((c for c in self.checks if c.key == key), None)


def dashboards(
    organisations: list[Organisation],
    year: int,
    quarter: int | None = None,
    today: dt.date | None = None,
    registers: OrganisationStore | None = None,
) -> list[Dashboard]:
    """The boards of several organisations (a 市局 and its 分局), their rows read together;
    their classified registers kept in ``registers`` when given (``Facts``)."""
    facts = Facts(organisations, year, today or timezone.localdate(), registers)
    return [_dashboard(organisation, facts, quarter) for organisation in organisations]


def dashboard(
    organisation: Organisation, year: int, quarter: int | None = None, today: dt.date | None = None
) -> Dashboard:
    return dashboards([organisation], year, quarter, today)[0]


def _dashboard(organisation: Organisation, facts: Facts, quarter: int | None) -> Dashboard:
    year = facts.year
    table = facts.table(organisation, quarter)
    workload = _workload(organisation, facts, quarter)

    def board(checks: list[Verdict], error: str = "") -> Dashboard:
        return Dashboard(organisation, year, quarter, table, checks, workload, error, facts)

    preset = facts.presets[organisation.pk]
    if not isinstance(preset, Preset):
        return board([], str(preset))
    day = Quarter(year, quarter or 4).start
    try:
        targets = plan_targets(preset, day)
    except PolicyError as error:
        return board([], str(error))
    scope = Scope(organisation, year, quarter, facts.today, facts)
    checks = _class_checks(scope, preset)
    checks += evaluate(scope, targets)
    checks += _cap_checks(scope, preset, day)
    if quarter is None:
        checks += _workload_checks(scope, workload)
    return board(checks)


# ---- 各类对象 -----------------------------------------------------------------------------------


def _class_checks(scope: Scope, preset: Preset) -> list[Verdict]:
    """One row per class of the preset in force in the period, whether or not it was drawn, and
    a year's coverage row for each class that is not drawn twice in a year (绛县 四、（五）)."""
    day = Quarter(scope.year, scope.quarter or 1).start
    checks = []
    for rule in preset.classes:
        try:
            entry = rule.quota.at(day)
        except PolicyNotInForce:
            continue
        if "coverage" in entry.value:
            checks.append(_coverage_check(scope, rule, entry))
            continue
        checks.append(_draw_check(scope, rule, entry, yearly=entry.value.get("per") == "year"))
        if rule.no_repeat is not None and rule.no_repeat.at(day).value:
            checks.append(_annual_coverage(scope, rule, entry))
    return checks


def _quarters(quarter: int | None) -> tuple[int, ...]:
    return (quarter,) if quarter else (1, 2, 3, 4)


def _reference_quarter(scope: Scope) -> int:
    """The quarter whose register a yearly requirement is computed from: today's quarter in the
    running year, the last one of a past year, the first of a future one."""
    if scope.year < scope.today.year:
        return 4
    if scope.year > scope.today.year:
        return 1
    return Quarter.of(scope.today).number


def _required(scope: Scope, code: str, quarter: int | None) -> int | None:
    """What the period's draws of a class committed to (frozen at commitment), or, for a
    quarter without a draw, the quota the register gives now; ``None`` where that cannot be
    computed (a value the bureau has still to set)."""
    total = 0
    quarters = (None,) if quarter is None and _once_a_year(scope, code) else _quarters(quarter)
    for q in quarters:
        row = _class_row(scope.facts.table(scope.organisation, q), code)
        if row is not None and row.required:
            total += row.required
            continue
        classified = scope.facts.classified(scope.organisation, q or _reference_quarter(scope))
        quota = classified.quotas.get(code) if classified else None
        if quota is None:
            return None
        total += quota.required
    return total


def _once_a_year(scope: Scope, code: str) -> bool:
    """A class drawn once for the whole year (绛县 在建、联合: a ratio ``per: year``), as the
    plan's tasks are generated (``planning.plans``). A yearly count drawn quarter by quarter
    (保定 一般 人均 5 家/年) is the sum of its quarters."""
    preset = scope.facts.presets[scope.organisation.pk]
    value = preset.class_rule(code).quota.at(Quarter(scope.year, scope.quarter or 1).start).value
    return value.get("per") == "year" and "ratio" in value


def _class_row(table: Table, code: str):
    return next((r for r in table.classes if r.code == code and not r.coverage), None)


def _members(scope: Scope, code: str, quarter: int) -> set[int] | None:
    classified = scope.facts.classified(scope.organisation, quarter)
    return None if classified is None else classified.members.get(code, set())


def _quota_error(scope: Scope, quarter: int) -> str:
    classified = scope.facts.classified(scope.organisation, quarter)
    return classified.error if classified else ""


def _draw_check(scope: Scope, rule: ClassRule, entry: DatedValue, *, yearly: bool) -> Verdict:
    """A drawn class: the targets drawn and inspected against what the plan requires (遵化
    二、（五）, 保定 三、（一）, 获嘉 一、, 藁城 二、（四）, 绛县 四、（五）)."""
    measured = scope.measured(yearly=yearly)
    quarter, facts = measured.quarter, scope.facts
    row = _class_row(facts.table(scope.organisation, quarter), rule.code)
    drawn = row.drawn.ids if row else set()
    inspected = row.inspected.ids if row else set()
    required = _required(scope, rule.code, quarter)
    reference = quarter or _reference_quarter(scope)
    members = _members(scope, rule.code, reference)
    applicable = bool(drawn) or required is None or required > 0 or bool(members)
    if required is None:
        required_text = f"{_rule_words(entry)}（{_quota_error(scope, reference)}）"
    else:
        required_text = f"应抽取 {required} 户"
    met = None if required is None else required > 0 and min(len(drawn), len(inspected)) >= required
    return Verdict(
        f"class:{rule.code}",
        f"{rule.name}抽查数量{measured.suffix}",
        required_text if applicable else "名录中无此类对象",
        f"抽取 {len(drawn)} 户，已检查 {len(inspected)} 户",
        met,
        settled=measured.over,
        clause=str(entry.ref),
        started=bool(drawn),
        applicable=applicable,
        period=period_label(scope.year, quarter),
        definition=CLASS_DEFINITION,
        rows=Rows(
            INSPECTIONS,
            f"{rule.name}：本期抽取的对象",
            drawn,
            lambda pk: "已检查" if pk in inspected else "尚未完成检查",
        ),
    )


def _rule_words(entry: DatedValue) -> str:
    value = entry.value
    if "ratio" in value:
        return f"不低于 {value['ratio']}"
    return "按方案计算"


def _inspections_of(scope: Scope, code: str, quarter: int | None, kind: str) -> list[dict]:
    """The period's active inspections of ``kind`` of one class."""
    return [
        row
        for row in scope.facts.records.rows(scope.organisation, quarter)
        if row["kind"] == kind and row["stratum"] == code
    ]


def _covered(rows: list[dict]) -> set[int]:
    """The units with a completed inspection among ``rows``."""
    return {row["target_id"] for row in rows if row["status"] == Inspection.Status.DONE}


def _coverage_check(scope: Scope, rule: ClassRule, entry: DatedValue) -> Verdict:
    """遵化 二、（五）: 正面清单 一般监管对象 非现场监管 每季度全覆盖 — every listed unit has a
    completed check in each quarter. The row is there whether or not any was arranged."""
    method = entry.value.get("method", "检查")
    missing: dict[int, list[int]] = {}
    listed_now: set[int] = set()
    touched = False
    quarters = _quarters(scope.quarter)
    for q in quarters:
        listed = _members(scope, rule.code, q) or set()
        arranged = _inspections_of(scope, rule.code, q, Inspection.Kind.COVERAGE)
        covered = _covered(arranged)
        touched = touched or bool(arranged)
        listed_now |= listed
        for pk in listed - covered:
            missing.setdefault(pk, []).append(q)
    if scope.quarter:
        required = f"全覆盖 {len(listed_now)} 户（{method}）"
        actual = f"已检查 {len(listed_now) - len(missing)} 户，未检查 {len(missing)} 户"
    else:
        done = sum(1 for q in quarters if not any(q in qs for qs in missing.values()))
        required = f"每季度全覆盖 {len(listed_now)} 户（{method}）"
        actual = f"全覆盖的季度 {done}/4，未覆盖的对象 {len(missing)} 户"
    return Verdict(
        f"class:{rule.code}",
        f"{rule.name}全覆盖",
        required if listed_now else "名录中无此类对象",
        actual,
        not missing,
        settled=scope.over,
        clause=str(entry.ref),
        started=touched,
        applicable=bool(listed_now),
        period=period_label(scope.year, scope.quarter),
        definition=COVERAGE_DEFINITION.format(method=method),
        rows=Rows(
            TARGETS,
            f"{rule.name}：未覆盖的对象",
            missing,
            lambda pk: "、".join(f"第 {q} 季度" for q in missing[pk]) + "未检查",
        ),
    )


def _annual_coverage(scope: Scope, rule: ClassRule, entry: DatedValue) -> Verdict:
    """绛县 四、（五）1–2 (JX-4.5.2b): a class not drawn twice in a year is covered over the
    year — 重点 25 % a quarter is 100 % of distinct units a year. Measured as distinct units
    inspected by random draws in the year, against the sum of the quarters' quotas."""
    measured = scope.measured(yearly=True)
    reference = _reference_quarter(scope)
    members = _members(scope, rule.code, reference) or set()
    drawn = _inspections_of(scope, rule.code, None, Inspection.Kind.RANDOM)
    covered = _covered(drawn)
    required = _required(scope, rule.code, None)
    missing = members - covered
    if required is not None:
        required = min(required, len(members | covered))
    return Verdict(
        f"annual:{rule.code}",
        f"{rule.name}全年覆盖{measured.suffix}",
        _annual_required(required, members, covered),
        f"已覆盖 {len(covered)} 户，尚未覆盖 {len(missing)} 户",
        None if required is None else required > 0 and len(covered) >= required,
        settled=measured.over,
        clause=str(rule.no_repeat.at(Quarter(scope.year, reference).start).ref),
        started=bool(drawn),
        applicable=bool(members or covered),
        period=period_label(scope.year, None),
        definition=ANNUAL_DEFINITION,
        rows=Rows(
            TARGETS,
            f"{rule.name}：本年度尚未覆盖的对象",
            missing,
            lambda pk: "本年度尚无已完成的随机抽查",
        ),
    )


def _annual_required(required: int | None, members: set[int], covered: set[int]) -> str:
    if not members and not covered:
        return "名录中无此类对象"
    if required is None:
        return "按方案计算"
    return f"全年不重复覆盖 {required} 户（名录 {len(members)} 户）"


# ---- 排除与任务量 -------------------------------------------------------------------------------


def _cap_checks(scope: Scope, preset: Preset, day: dt.date) -> list[Verdict]:
    """绛县 四、（五）: 同一年度内对同一污染源的抽查次数不超过 2 次 (特殊监管对象除外)."""
    cap = preset.exclusions.get("annual_cap")
    if cap is None:
        return []
    entry = cap.at(day)
    limit = entry.value["max"]
    exempt = set(entry.value.get("exempt", []))
    exempt_names = "、".join(preset.class_rule(code).name for code in sorted(exempt))
    per_target: Counter[int] = Counter()
    for target_id, stratum, count in scope.facts.inspections_per_target.get(
        scope.organisation.pk, []
    ):
        if stratum not in exempt:
            per_target[target_id] += count
    over = {pk: f"本年度抽查 {n} 次" for pk, n in per_target.items() if n > limit}
    return [
        Verdict(
            "cap",
            "同一对象年度抽查次数",
            f"≤ {limit} 次（{exempt_names or '无'}除外）",
            f"超过的对象 {len(over)} 个",
            not over,
            settled=bool(over) or period_over(scope.year, None, scope.today),
            clause=str(entry.ref),
            started=bool(per_target),
            period=period_label(scope.year, None),
            definition=CAP_DEFINITION,
            rows=Rows(TARGETS, "超过年度抽查次数的对象", over, over),
        )
    ]


def _workload_checks(scope: Scope, workload: Workload) -> list[Verdict]:
    if not workload.per_inspector:
        return []
    heaviest = workload.summary["max"]
    return [
        Verdict(
            "workload",
            "执法人员年度任务量",
            f"每人 ≤ {workload.cap} 项",
            f"最多 {heaviest} 项",
            heaviest <= workload.cap,
            settled=heaviest > workload.cap or scope.over,
            clause="单位设置：执法人员年度检查任务上限",
            started=heaviest > 0,
            period=period_label(scope.year, None),
            definition=WORKLOAD_DEFINITION,
        )
    ]


def _workload(organisation: Organisation, facts: Facts, quarter: int | None) -> Workload:
    """Every enforcement officer's count of active inspections in the period (0 included, so
    the minimum shows who was left out)."""
    counts = facts.records.workload(organisation, quarter)
    per_inspector = [(name, counts[pk]) for pk, name in facts.inspectors.get(organisation.pk, [])]
    return Workload(per_inspector, facts.settings[organisation.pk].inspector_annual_cap)
