"""Did we meet our plan? Each target the organisation's policy sets, for a quarter or a year:
what is required, what was done, and the clause — green, red, or still running.

Which checks appear comes from the preset (its class quotas, ``targets`` and ``exclusions``):
a bureau whose plan sets no 35 % internal-joint share is not measured against one. The targets
are listed by ``policy.targets.plan_targets`` and each kind is judged by its one evaluator
(``reports.evaluators``); a target no evaluator knows is shown as 未评估, never dropped.

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
from shuangsuiji.policy import PolicyError, Preset, Quarter, plan_targets
from shuangsuiji.policy.loader import Reference
from shuangsuiji.reports.evaluators import Scope, Verdict, evaluate
from shuangsuiji.reports.facts import Facts
from shuangsuiji.reports.statistics import Table

OK, BAD, RUNNING, NONE = "ok", "bad", "running", "none"
STATE_LABELS = {OK: "达标", BAD: "未达标", RUNNING: "进行中", NONE: "未评估"}


@dataclass
class Check:
    label: str
    required: str
    actual: str
    state: str
    clause: str = ""
    #: The statistics figure behind the actual value, for the link to its rows.
    figure: str = ""

    @classmethod
    def of(cls, verdict: Verdict) -> Check:
        return cls(
            verdict.label,
            verdict.required,
            verdict.actual,
            _verdict_state(verdict),
            verdict.clause,
            verdict.figure,
        )

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def _verdict_state(verdict: Verdict) -> str:
    if verdict.met is None:
        return NONE
    return _state(verdict.met, verdict.settled)


def _state(met: bool, over: bool) -> str:
    return OK if met else (BAD if over else RUNNING)


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
    checks: list[Check]
    workload: Workload
    error: str = ""
    facts: Facts | None = field(default=None, repr=False)

    def quarter_table(self, quarter: int | None) -> Table:
        """Another period's 统计表 of the organisation, from the rows already read."""
        return self.facts.table(self.organisation, quarter)


def dashboards(
    organisations: list[Organisation],
    year: int,
    quarter: int | None = None,
    today: dt.date | None = None,
) -> list[Dashboard]:
    """The boards of several organisations (a 市局 and its 分局), their rows read together."""
    facts = Facts(organisations, year, today or timezone.localdate())
    return [_dashboard(organisation, facts, quarter) for organisation in organisations]


def dashboard(
    organisation: Organisation, year: int, quarter: int | None = None, today: dt.date | None = None
) -> Dashboard:
    return dashboards([organisation], year, quarter, today)[0]


def _dashboard(organisation: Organisation, facts: Facts, quarter: int | None) -> Dashboard:
    year, today = facts.year, facts.today
    table = facts.table(organisation, quarter)
    workload = _workload(organisation, facts, quarter)

    def board(checks: list[Check], error: str = "") -> Dashboard:
        return Dashboard(organisation, year, quarter, table, checks, workload, error, facts)

    preset = facts.presets[organisation.pk]
    if not isinstance(preset, Preset):
        return board([], str(preset))
    day = Quarter(year, quarter or 4).start
    try:
        targets = plan_targets(preset, day)
    except PolicyError as error:
        return board([], str(error))
    scope = Scope(organisation, year, quarter, today, facts)
    checks = _class_checks(preset, table, day, scope.over)
    checks += [Check.of(verdict) for verdict in evaluate(scope, targets)]
    checks += _cap_checks(organisation, preset, day, facts)
    cap = facts.settings[organisation.pk].inspector_annual_cap
    if workload.per_inspector and quarter is None:
        heaviest = workload.summary["max"]
        checks.append(
            Check(
                "执法人员年度任务量",
                f"每人 ≤ {cap} 项",
                f"最多 {heaviest} 项",
                OK if heaviest <= cap else BAD,
                "单位设置：执法人员年度检查任务上限",
            )
        )
    return board(checks)


def _class_checks(preset: Preset, table: Table, day: dt.date, over: bool) -> list[Check]:
    checks = []
    for row in table.classes:
        try:
            ref: Reference | str = preset.class_rule(row.code).quota.at(day).ref
        except (KeyError, ValueError):
            ref = ""
        required = "全覆盖" if row.coverage else f"应抽取 {row.required} 户"
        actual = f"抽取 {row.drawn.value} 户，已检查 {row.inspected.value} 户"
        met = row.inspected.value >= row.required and row.drawn.value >= row.required
        checks.append(
            Check(
                f"{row.name}抽查数量",
                required,
                actual,
                _state(met, over),
                str(ref),
                row.inspected.key,
            )
        )
    return checks


def _cap_checks(organisation, preset: Preset, day: dt.date, facts: Facts) -> list[Check]:
    """绛县 四、（五）: 同一年度内对同一污染源的抽查次数不超过 2 次 (特殊监管对象除外)."""
    cap = preset.exclusions.get("annual_cap")
    if cap is None:
        return []
    entry = cap.at(day)
    limit = entry.value["max"]
    exempt = set(entry.value.get("exempt", []))
    exempt_names = "、".join(preset.class_rule(code).name for code in sorted(exempt))
    per_target: Counter[int] = Counter()
    for target_id, stratum, count in facts.inspections_per_target.get(organisation.pk, []):
        if stratum not in exempt:
            per_target[target_id] += count
    over = sum(1 for count in per_target.values() if count > limit)
    return [
        Check(
            "同一对象年度抽查次数",
            f"≤ {limit} 次（{exempt_names or '无'}除外）",
            f"超过的对象 {over} 个",
            OK if over == 0 else BAD,
            str(entry.ref),
        )
    ]


def _workload(organisation: Organisation, facts: Facts, quarter: int | None) -> Workload:
    """Every enforcement officer's count of active inspections in the period (0 included, so
    the minimum shows who was left out)."""
    records = facts.records
    counts: Counter[int] = Counter()
    for row in records.rows(organisation, quarter):
        counts.update(records.members.get(row["pk"], ()))
    per_inspector = [(name, counts[pk]) for pk, name in facts.inspectors.get(organisation.pk, [])]
    return Workload(per_inspector, facts.settings[organisation.pk].inspector_annual_cap)
