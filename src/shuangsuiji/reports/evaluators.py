"""One evaluator per kind of target: did the organisation meet what its plan sets?

The kinds, their names, clauses and periods are ``policy.targets``; here each kind (or a few
kinds answered together, such as the plan's deadline and its publication) has exactly one
function, registered with ``@evaluator("key")``. It reads the organisation's period through a
``Scope`` (whose rows are read for all the organisations on the page at once) and returns a
``Verdict``. A target no evaluator knows is still shown, as 未评估 with its clause.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.inspections.deadlines import LATE, ON_TIME, PENDING
from shuangsuiji.inspections.selectors import DeadlineFact, deadline_facts, deadline_state
from shuangsuiji.planning.models import SamplingTask
from shuangsuiji.planning.plans import plan_warnings
from shuangsuiji.policy import Quarter
from shuangsuiji.policy.inspection_deadline import rule_text
from shuangsuiji.policy.targets import BY_KEY, PLAN_DEADLINE, Period, PlanTarget
from shuangsuiji.reports.facts import Facts
from shuangsuiji.reports.statistics import Table


@dataclass(frozen=True)
class Verdict:
    """What an evaluator found. The dashboard's states (达标, 未达标, 进行中, 未评估) follow from
    ``met`` and ``settled``; the figures stay here for pages that say more."""

    label: str
    required: str
    actual: str
    #: ``None``: not evaluated (nothing the platform records measures it).
    met: bool | None
    #: A shortfall is final: the period measured is over, or the target is missed at once
    #: (a result published late is late the day it happens).
    settled: bool
    clause: str = ""
    #: The statistics figure behind ``actual``, for the link to its rows.
    figure: str = ""


def period_over(year: int, quarter: int | None, today: dt.date) -> bool:
    """Whether the period has ended (a check still short in a running period is not red)."""
    if quarter is None:
        return today > dt.date(year, 12, 31)
    return today > Quarter(year, quarter).end


@dataclass(frozen=True)
class Measured:
    """The period a target is measured over, whether it is over, and how the label says so."""

    quarter: int | None
    over: bool
    suffix: str


@dataclass
class Scope:
    """One organisation's period on the dashboard."""

    organisation: Organisation
    year: int
    quarter: int | None
    today: dt.date
    facts: Facts

    @property
    def over(self) -> bool:
        return period_over(self.year, self.quarter, self.today)

    def measured(self, target: PlanTarget) -> Measured:
        """A per-year target is measured over the year (red only once the year is over), a
        per-quarter one over the chosen quarter (in the year view, the year's total)."""
        if target.period == Period.YEAR and self.quarter is not None:
            return Measured(None, period_over(self.year, None, self.today), "（全年）")
        suffix = "（全年合计）" if target.period == Period.QUARTER and self.quarter is None else ""
        return Measured(self.quarter, self.over, suffix)

    def table(self, target: PlanTarget) -> Table:
        return self.facts.table(self.organisation, self.measured(target).quarter)

    def verdict(
        self,
        target: PlanTarget,
        label: str,
        required: str,
        actual: str,
        met: bool | None,
        *,
        figure: str = "",
        at_once: bool = False,
    ) -> Verdict:
        measured = self.measured(target)
        return Verdict(
            label + measured.suffix,
            required,
            actual,
            met,
            settled=at_once or measured.over,
            clause=target.clause,
            figure=figure,
        )


#: An evaluator answers for the targets of its keys the preset sets (at least one); ``None``
#: where the target is not measured in the period shown (a quarter's count in the year view).
EvaluatorFunction = Callable[..., Verdict | None]


@dataclass(frozen=True)
class Evaluator:
    keys: tuple[str, ...]
    function: EvaluatorFunction


EVALUATORS: dict[str, Evaluator] = {}


def evaluator(*keys: str) -> Callable[[EvaluatorFunction], EvaluatorFunction]:
    """Register the one evaluator of the kinds ``keys`` (``policy.targets``)."""

    def register(function: EvaluatorFunction) -> EvaluatorFunction:
        for key in keys:
            if key not in BY_KEY:
                raise ValueError(f"没有这种计划目标：{key}（policy.targets.KINDS）")
            if key in EVALUATORS:
                raise ValueError(f"计划目标 {key} 已有评估函数 {EVALUATORS[key].function.__name__}")
        entry = Evaluator(keys, function)
        EVALUATORS.update(dict.fromkeys(keys, entry))
        return function

    return register


def unevaluated(target: PlanTarget) -> Verdict:
    """A target no evaluator knows: shown with its clause, never dropped."""
    return Verdict(
        target.name, target.requirement, "本平台尚不能评估此项", None, False, target.clause
    )


def evaluate(scope: Scope, targets: list[PlanTarget]) -> list[Verdict]:
    """Every target's verdict, in the order of ``targets``; an evaluator of several kinds is
    called once, with all of its kinds the preset sets."""
    verdicts = []
    called: set[tuple[str, ...]] = set()
    for target in targets:
        entry = EVALUATORS.get(target.key)
        if entry is None:
            verdicts.append(unevaluated(target))
            continue
        if entry.keys in called:
            continue
        called.add(entry.keys)
        verdict = entry.function(scope, *(t for t in targets if t.key in entry.keys))
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def _share(part: int, whole: int) -> str:
    # Shown rounded down, so a share just short of its target never reads as meeting it.
    return f"{part}/{whole}（{part * 100 // whole}%）" if whole else "0/0"


def _at_least(part: int, whole: int, share: Fraction) -> bool:
    return whole > 0 and Fraction(part, whole) >= share


# ---- 检查 ---------------------------------------------------------------------------------------


@evaluator("internal_joint_share")
def internal_joint_share(scope: Scope, target: PlanTarget) -> Verdict:
    """遵化 二、（二）: drawn checks made by more than one business line, over all drawn."""
    table = scope.table(target)
    drawn = table.figures["random"].ids
    joint = len(table.figures["internal_joint"].ids & drawn)
    return scope.verdict(
        target,
        "内部联合抽查占比",
        f"≥ {target.share_text}",
        _share(joint, len(drawn)),
        _at_least(joint, len(drawn), target.share),
        figure="internal_joint",
    )


@evaluator("credit_risk_share")
def credit_risk_share(scope: Scope, target: PlanTarget) -> Verdict:
    """遵化 二、（三）: checks chosen by supervision class (drawn by class, or 全覆盖 of a class
    such as 遵化's 正面清单) over every check, 定向检查 included."""
    table = scope.table(target)
    graded = len(table.figures["random"].ids | table.figures["coverage"].ids)
    every = graded + len(table.figures["targeted"].ids)
    return scope.verdict(
        target,
        "运用信用风险分级分类的抽查占比",
        f"≥ {target.share_text}",
        _share(graded, every),
        _at_least(graded, every, target.share),
        figure="random",
    )


@evaluator("revisit_share")
def revisit_share(scope: Scope, target: PlanTarget) -> Verdict:
    """获嘉 三、（四）: 回访 done over the drawn checks completed."""
    table = scope.table(target)
    done = len(table.figures["revisit_done"].ids)
    checked = len(table.figures["checked"].ids & table.figures["random"].ids)
    return scope.verdict(
        target,
        "回访比例",
        f"≥ {target.share_text}",
        _share(done, checked),
        _at_least(done, checked, target.share),
        figure="revisit_done",
    )


#: Each ``Facts``'s inspections against their deadlines, read once for all its organisations.
_DEADLINE_FACTS: weakref.WeakKeyDictionary[Facts, dict[int, list[DeadlineFact]]] = (
    weakref.WeakKeyDictionary()
)


def _deadline_facts(scope: Scope) -> list[DeadlineFact]:
    facts = scope.facts
    if facts not in _DEADLINE_FACTS:
        _DEADLINE_FACTS[facts] = deadline_facts(facts.organisations, facts.year)
    return _DEADLINE_FACTS[facts].get(scope.organisation.pk, [])


@evaluator("inspection_deadline")
def inspection_deadline(scope: Scope, target: PlanTarget) -> Verdict:
    """保定 三、（三） 在规定时限内开展现场检查; 绛县 四、（五）4 检查时限: the period's inspections
    of tasks with a deadline, done by it (检查时间), done after it, or still open; one still open
    after its deadline is late at once."""
    quarter = scope.measured(target).quarter
    counts = Counter(
        deadline_state(fact, scope.today)
        for fact in _deadline_facts(scope)
        if quarter is None or fact.quarter == quarter
    )
    return scope.verdict(
        target,
        "检查按期完成",
        rule_text(target),
        f"按期 {counts[ON_TIME]}，逾期 {counts[LATE]}，未到期 {counts[PENDING]}",
        counts[LATE] == 0,
        at_once=True,
    )


# ---- 抽查任务 -----------------------------------------------------------------------------------


def _tasks(scope: Scope, target: PlanTarget) -> list[dict]:
    """The published plan's tasks of the period the target is measured over."""
    quarter = scope.measured(target).quarter
    return scope.facts.records.period_tasks(scope.organisation, quarter)


def _department_joint(tasks: list[dict]) -> int:
    return sum(1 for t in tasks if t["scope"] == SamplingTask.Scope.DEPARTMENT_JOINT)


@evaluator("department_joint_task_share")
def department_joint_task_share(scope: Scope, target: PlanTarget) -> Verdict:
    """获嘉 二: 部门联合抽查任务数 over all tasks (本部门 + 部门联合)."""
    tasks = _tasks(scope, target)
    joint = _department_joint(tasks)
    return scope.verdict(
        target,
        "部门联合抽查任务占比",
        f"≥ {target.share_text}",
        _share(joint, len(tasks)),
        _at_least(joint, len(tasks), target.share),
    )


@evaluator("department_joint_count")
def department_joint_count(scope: Scope, target: PlanTarget) -> Verdict:
    """保定 三、（四）: 部门联合抽查 actually drawn (not merely planned or committed)."""
    joint = _department_joint([t for t in _tasks(scope, target) if t["drawn"]])
    return scope.verdict(
        target,
        "部门联合抽查次数",
        f"≥ {target.min_count} 次/年",
        f"{joint} 次",
        joint >= target.min_count,
    )


@evaluator("tasks_per_quarter")
def tasks_per_quarter(scope: Scope, target: PlanTarget) -> Verdict | None:
    """获嘉 附件: at least one task a quarter; measured in a quarter's view only."""
    if scope.quarter is None:
        return None
    tasks = scope.table(target).tasks.value
    return scope.verdict(
        target,
        "本季度抽查任务数",
        f"≥ {target.min_count}",
        f"{tasks} 个",
        tasks >= target.min_count,
    )


# ---- 结果公示 -----------------------------------------------------------------------------------


@evaluator("result_publication_workdays")
def result_publication_workdays(scope: Scope, target: PlanTarget) -> Verdict:
    """绛县 四、（七）: each result published within N working days of its determination (the
    due date stored with it); a result published late, or overdue, is late now."""
    counts = scope.facts.publication(scope.organisation, scope.quarter)
    return scope.verdict(
        target,
        "抽查结果按期公示",
        f"认定后 {target.workdays} 个工作日内",
        f"按期 {counts.on_time}，逾期 {counts.late}，未到期 {counts.pending}",
        counts.late == 0,
        at_once=True,
    )


@evaluator("result_publication_monthly")
def result_publication_monthly(scope: Scope, target: PlanTarget) -> Verdict | None:
    """保定 二 每月向社会公示随机抽查结果: read as each month's batch carrying the results
    determined the month before, so a result is published by the end of the month after its
    determination; one published later, or still unpublished then, is late at once."""
    if not target.enabled:
        return None
    counts = scope.facts.monthly_publication(scope.organisation, scope.quarter)
    return scope.verdict(
        target,
        "抽查结果每月公示",
        "认定次月底前公示",
        f"按月 {counts.on_time}，逾月 {counts.late}，未到期 {counts.pending}",
        counts.late == 0,
        at_once=True,
    )


# ---- 年度抽查计划 -------------------------------------------------------------------------------


@evaluator("plan_deadline", "plan_publication_workdays")
def plan_made_and_published(scope: Scope, *targets: PlanTarget) -> Verdict:
    """绛县 四、（一）: 3 月底前制定；印发 20 个工作日内公开 — from the plan's own warnings."""
    facts, organisation = scope.facts, scope.organisation
    clause = "；".join(str(t.ref) for t in targets)
    label, required = "年度抽查计划制定与公开", "按期制定并公开"
    plan = facts.plans.get(organisation.pk)
    if plan is None:
        deadline = next(
            (t.deadline(scope.year) for t in targets if t.kind == PLAN_DEADLINE),
            dt.date(scope.year, 3, 31),
        )
        return Verdict(label, required, "尚未制定", False, scope.today > deadline, clause)
    warnings = plan_warnings(
        plan,
        scope.today,
        preset=facts.presets[organisation.pk],
        calendar=facts.calendars[organisation.pk],
    )
    actual = (f"印发 {plan.issued_on:%Y-%m-%d}" if plan.issued_on else "未印发") + (
        f"，公开 {timezone.localdate(plan.published_at):%Y-%m-%d}" if plan.published_at else ""
    )
    met = not warnings and plan.published_at is not None
    return Verdict(label, required, actual, met, bool(warnings), clause)


# ---- 统计报送 -----------------------------------------------------------------------------------


@evaluator("quarterly_report")
def quarterly_report(scope: Scope, target: PlanTarget) -> Verdict | None:
    """藁城 四、（四） 每季度结束后将上一季度统计表报送市局: the platform keeps no record of a
    report sent, and the 市局 reads the 分局's 统计表 here directly; shown, not judged."""
    if not target.enabled:
        return None
    return scope.verdict(
        target,
        "季度统计表报送",
        "季度结束后报送上一季度统计表",
        "上级单位可在本平台直接查阅本单位统计表；报送情况本平台不记录",
        None,
    )
