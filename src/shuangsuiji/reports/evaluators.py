"""One evaluator per kind of target: did the organisation meet what its plan sets?

The kinds, their names, clauses and periods are ``policy.targets``; here each kind (or a few
kinds answered together, such as the plan's deadline and its publication) has exactly one
function, registered with ``@evaluator("key")``. It reads the organisation's period through a
``Scope`` (whose rows are read for all the organisations on the page at once) and returns a
``Verdict``. A target no evaluator knows is still shown, as 未评估 with its clause.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.inspections.deadlines import LATE, ON_TIME, PENDING
from shuangsuiji.inspections.selectors import deadline_state
from shuangsuiji.planning.models import SamplingTask
from shuangsuiji.planning.plans import plan_warnings
from shuangsuiji.policy import Quarter
from shuangsuiji.policy.inspection_deadline import rule_text
from shuangsuiji.policy.targets import BY_KEY, PLAN_DEADLINE, Period, PlanTarget
from shuangsuiji.reports.facts import Facts, Month
from shuangsuiji.reports.statistics import Table

#: The states a check reads (issue 18). Nothing is 达标 unless the data show the work done.
OK, BAD, RUNNING, ABSENT, NA, NONE = "ok", "bad", "running", "absent", "na", "none"
STATE_LABELS = {
    OK: "达标",
    BAD: "未达标",
    RUNNING: "进行中",
    ABSENT: "未开展",
    NA: "不适用",
    NONE: "未评估",
}

#: What a drill-down lists: inspections, register units, or months.
INSPECTIONS, TARGETS, MONTHS, TASKS = "inspections", "targets", "months", "tasks"


class Rows:
    """The rows behind a check's figure, listed on its drill-down page.

    Ordered and annotated only when the drill-down asks (``ids``, ``notes``): a board is
    computed after every change, and a county's year is thousands of checks, each with a word,
    that only the one figure opened shows (issue 21 §3). ``ids`` is any collection of ids;
    ``notes`` a word on each row (why it is late, which quarter it was missed in) by id, or the
    function that gives it for an id. The collections are read when asked, so the caller hands
    over ones nothing changes afterwards."""

    def __init__(
        self,
        kind: str,
        title: str,
        ids: Collection[int] = (),
        notes: Mapping[int, str] | Callable[[int], str] | None = None,
        *,
        months: tuple[Month, ...] = (),
        participations: tuple[int, ...] = (),
    ) -> None:
        self.kind = kind
        self.title = title
        self._ids = ids
        self._notes = notes
        self.months = months
        #: Beside tasks: the bureau's part in other departments' joint checks
        #: (JointParticipation).
        self.participations = participations

    @cached_property
    def ids(self) -> tuple[int, ...]:
        return tuple(sorted(self._ids))

    @cached_property
    def notes(self) -> Mapping[int, str]:
        if callable(self._notes):
            return {pk: self._notes(pk) for pk in self.ids}
        return self._notes or {}


@dataclass(frozen=True)
class Verdict:
    """What an evaluator found: the measured and required figures, the period, the clause and
    the definition the figure follows, and the rows behind it."""

    key: str
    label: str
    required: str
    actual: str
    #: ``None``: not evaluated (nothing the platform records measures it).
    met: bool | None
    #: A shortfall is final: the period measured is over, or the target is missed at once
    #: (a result published late is late the day it happens).
    settled: bool
    clause: str = ""
    #: Whether any of the work the target measures was done in the period: a past period
    #: without it reads 未开展, never 达标.
    started: bool = True
    #: ``False`` where the plan sets the requirement but nothing in the register is subject to
    #: it (a class with no unit): 不适用.
    applicable: bool = True
    period: str = ""
    definition: str = ""
    rows: Rows | None = None

    @property
    def state(self) -> str:
        if not self.applicable:
            return NA
        if self.met is None:
            return NONE
        if self.met and self.started:
            return OK
        if not self.settled:
            return RUNNING
        return BAD if self.started else ABSENT

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def period_over(year: int, quarter: int | None, today: dt.date) -> bool:
    """Whether the period has ended (a check still short in a running period is not red)."""
    if quarter is None:
        return today > dt.date(year, 12, 31)
    return today > Quarter(year, quarter).end


def period_label(year: int, quarter: int | None) -> str:
    return f"{year} 年第 {quarter} 季度" if quarter else f"{year} 年全年"


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

    def measured(self, target: PlanTarget | None = None, *, yearly: bool = False) -> Measured:
        """A per-year target is measured over the year (red only once the year is over), a
        per-quarter one over the chosen quarter (in the year view, the year's total)."""
        yearly = yearly or (target is not None and target.period == Period.YEAR)
        if yearly and self.quarter is not None:
            return Measured(None, period_over(self.year, None, self.today), "（全年）")
        quarterly = target is not None and target.period == Period.QUARTER
        suffix = "（全年合计）" if quarterly and self.quarter is None else ""
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
        started: bool = True,
        late: bool = False,
        rows: Rows | None = None,
    ) -> Verdict:
        """``late``: something is already missed for good (a result published late)."""
        measured = self.measured(target)
        return Verdict(
            target.key,
            label + measured.suffix,
            required,
            actual,
            met,
            settled=late or measured.over,
            clause=target.clause,
            started=started,
            period=period_label(self.year, measured.quarter),
            definition=DEFINITIONS.get(target.key, ""),
            rows=rows,
        )


#: How each figure is counted, shown beside the check and in docs/reports.md (issue 18).
DEFINITIONS = {
    "internal_joint_share": (
        "内部联合抽查：检查组由本局两个及以上内部单位（执法人员名录“所属部门”）的人员组成，"
        "且一次检查的事项涉及两个及以上业务条线（事项“要素标签”），即一业一查、进一次门查多项事。"
        "仅事项标签多、或仅人员来自多个部门，均不算。计划时标为内部联合的任务，按实际检查组和事项计。"
        "分母为本期随机抽查的检查数。"
    ),
    "credit_risk_share": (
        "运用信用风险分级分类的抽查：抽取时按信用等级加权（抽取参数写明“按信用等级加权抽取”）"
        "的随机抽查。分母为本期全部检查：随机抽查、全覆盖检查和定向检查。"
    ),
    "revisit_share": "回访比例：已完成回访的检查数 ÷ 本期已完成的随机抽查数。",
    "department_joint_task_share": (
        "部门联合抽查任务占比：（已公开计划中范围为“部门联合”的任务数 + 登记的参与其他部门"
        "牵头的联合抽查次数）÷（全部任务数 + 登记的参与次数）。"
    ),
    "quarterly_report": (
        "季度统计表报送：每个已结束的季度在“统计报送”中报送市局的情况；报送时已过期限，或期限已过仍未"
        "报送，为未达标（期限为市局规定的，或本局政策的）。"
    ),
    "department_joint_count": (
        "部门联合抽查次数：范围为“部门联合”且已实施抽取的任务数，加上登记的参与其他部门"
        "牵头的联合抽查次数（牵头或参与）。"
    ),
    "tasks_per_quarter": (
        "本季度开展的抽查任务数：本季度的任务中已实施抽取的个数，只列入计划、未抽取的不算。"
    ),
    "inspection_deadline": (
        "检查按期完成：每项检查按其任务的检查时限，检查时间在期限内为按期；"
        "超过期限才检查、或期限已过仍未完成，为逾期，逐项列出。"
    ),
    "result_publication_workdays": (
        "结果按期公示：每项应公示的结果自认定之日起按工作日计算公示期限；"
        "超过期限才公示、或期限已过仍未公示，为逾期，逐项列出。"
    ),
    "result_publication_monthly": (
        "每月公示：当月认定的结果在次月公示批次中公示（局默认理解，见政策页）；"
        "有结果应公示的月份，结果均在该月底前公示为按月，否则该月列为缺失。"
    ),
    "plan_deadline": "年度抽查计划按期制定（印发）并在印发后规定工作日内向社会公开。",
    "plan_publication_workdays": "年度抽查计划按期制定（印发）并在印发后规定工作日内向社会公开。",
}


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
        target.key,
        target.name,
        target.requirement,
        "本平台尚不能评估此项",
        None,
        False,
        target.clause,
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


def share_text(part: int, whole: int) -> str:
    # Shown rounded down, so a share just short of its target never reads as meeting it.
    return f"{part}/{whole}（{part * 100 // whole}%）" if whole else "0/0"


def _at_least(part: int, whole: int, share: Fraction) -> bool:
    return whole > 0 and Fraction(part, whole) >= share


def _inspection_rows(
    title: str, ids: Collection[int], notes: Mapping[int, str] | Callable[[int], str] | None = None
) -> Rows:
    return Rows(INSPECTIONS, title, ids, notes)


# ---- 检查 ---------------------------------------------------------------------------------------


@evaluator("internal_joint_share")
def internal_joint_share(scope: Scope, target: PlanTarget) -> Verdict:
    """遵化 二、（二）: drawn checks that were 内部联合 (``is_internal_joint``) over all drawn."""
    table = scope.table(target)
    drawn = table.figures["random"].ids
    joint = table.figures["internal_joint"].ids & drawn
    declared = table.figures["declared_internal_joint"].ids
    parts = scope.facts.records.joint_parts

    def note(pk: int) -> str:
        units, lines = parts.get(pk, (0, 0))
        kind = "内部联合" if pk in joint else "非内部联合"
        joined = f"{kind}：{units} 个部门，{lines} 个业务条线"
        return ("任务计划为内部联合；" if pk in declared else "") + joined

    return scope.verdict(
        target,
        "内部联合抽查占比",
        f"≥ {target.share_text}",
        share_text(len(joint), len(drawn)),
        _at_least(len(joint), len(drawn), target.share),
        started=bool(drawn),
        rows=_inspection_rows("本期随机抽查及是否内部联合", drawn, note),
    )


@evaluator("credit_risk_share")
def credit_risk_share(scope: Scope, target: PlanTarget) -> Verdict:
    """遵化 二、（三）: checks whose draw was weighted by 信用等级 over every check (drawn, 全覆盖
    and 定向). A draw without the grading — weights not set, or no grading rule — counts in the
    whole only."""
    table = scope.table(target)
    figures = table.figures
    every = figures["random"].ids | figures["coverage"].ids | figures["targeted"].ids
    graded = figures["graded"].ids & every
    return scope.verdict(
        target,
        "运用信用风险分级分类的抽查占比",
        f"≥ {target.share_text}",
        share_text(len(graded), len(every)),
        _at_least(len(graded), len(every), target.share),
        started=bool(every),
        rows=_inspection_rows(
            "本期全部检查及是否运用信用风险分级",
            every,
            lambda pk: "按信用等级加权抽取" if pk in graded else "未运用信用风险分级",
        ),
    )


@evaluator("revisit_share")
def revisit_share(scope: Scope, target: PlanTarget) -> Verdict:
    """获嘉 三、（四）: 回访 done over the drawn checks completed."""
    table = scope.table(target)
    checked = table.figures["checked"].ids & table.figures["random"].ids
    done = table.figures["revisit_done"].ids & checked
    return scope.verdict(
        target,
        "回访比例",
        f"≥ {target.share_text}",
        share_text(len(done), len(checked)),
        _at_least(len(done), len(checked), target.share),
        started=bool(checked),
        rows=_inspection_rows(
            "本期已完成的随机抽查及回访情况",
            checked,
            lambda pk: "已回访" if pk in done else "未回访",
        ),
    )


@evaluator("inspection_deadline")
def inspection_deadline(scope: Scope, target: PlanTarget) -> Verdict:
    """保定 三、（三） 在规定时限内开展现场检查; 绛县 四、（五）4 检查时限; 藁城 四、（三） and
    遵化 三、（二） 不走过场: the period's inspections of tasks with a deadline, done by it
    (检查时间), done after it, or still open; one still open after its deadline is late at once.
    Each late one is listed."""
    quarter = scope.measured(target).quarter
    deadlines = scope.facts.deadlines.get(scope.organisation.pk, [])
    facts = [f for f in deadlines if quarter is None or f.quarter == quarter]
    states = {fact.pk: deadline_state(fact, scope.today) for fact in facts}
    counts = Counter(states.values())
    notes = {
        f.pk: f"期限 {f.deadline:%Y-%m-%d}，"
        + (f"检查于 {f.checked_on:%Y-%m-%d}" if f.checked_on else "尚未完成")
        for f in facts
        if states[f.pk] == LATE
    }
    return scope.verdict(
        target,
        "检查按期完成",
        rule_text(target),
        f"按期 {counts[ON_TIME]}，逾期 {counts[LATE]}，未到期 {counts[PENDING]}",
        counts[LATE] == 0 and counts[PENDING] == 0,
        started=bool(facts),
        late=counts[LATE] > 0,
        rows=_inspection_rows("逾期检查", notes, notes),
    )


# ---- 抽查任务 -----------------------------------------------------------------------------------


def _tasks(scope: Scope, target: PlanTarget) -> list[dict]:
    """The published plan's tasks of the period the target is measured over."""
    quarter = scope.measured(target).quarter
    return scope.facts.records.period_tasks(scope.organisation, quarter)


def _department_joint(tasks: list[dict]) -> int:
    return sum(1 for t in tasks if t["scope"] == SamplingTask.Scope.DEPARTMENT_JOINT)


def _participations(scope: Scope, target: PlanTarget) -> list[dict]:
    """The bureau's part in joint checks other departments led, in the measured period."""
    quarter = scope.measured(target).quarter
    return scope.facts.records.period_participations(scope.organisation, quarter)


def _task_rows(title: str, tasks: list[dict], joined: list[dict] = ()) -> Rows:
    """The tasks behind a count, each said 部门联合 or not and drawn or not, and the joint
    checks of other departments the bureau took part in."""
    notes = {
        t["pk"]: ("部门联合" if t["scope"] == SamplingTask.Scope.DEPARTMENT_JOINT else "非部门联合")
        + ("，已抽取" if t["drawn"] else "，尚未抽取")
        for t in tasks
    }
    return Rows(TASKS, title, notes, notes, participations=tuple(p["pk"] for p in joined))


@evaluator("department_joint_task_share")
def department_joint_task_share(scope: Scope, target: PlanTarget) -> Verdict:
    """获嘉 二: 部门联合抽查任务数 over all tasks (本部门抽查任务数 + 部门联合抽查任务数). A joint
    check another department led and the bureau took part in is a 部门联合 task of both."""
    tasks = _tasks(scope, target)
    joined = _participations(scope, target)
    joint = _department_joint(tasks) + len(joined)
    total = len(tasks) + len(joined)
    return scope.verdict(
        target,
        "部门联合抽查任务占比",
        f"≥ {target.share_text}",
        share_text(joint, total),
        _at_least(joint, total, target.share),
        started=bool(total),
        rows=_task_rows("本期已公开计划中的任务，及参与其他部门牵头的联合抽查", tasks, joined),
    )


@evaluator("department_joint_count")
def department_joint_count(scope: Scope, target: PlanTarget) -> Verdict:
    """保定 三、（四） "主动发起和积极参与部门联合抽查，年度不少于3次": 部门联合 tasks the bureau
    led and actually drew (not merely planned or committed), and those of other departments it
    took part in (``JointParticipation``)."""
    tasks = _tasks(scope, target)
    joined = _participations(scope, target)
    led = _department_joint([t for t in tasks if t["drawn"]])
    joint = led + len(joined)
    return scope.verdict(
        target,
        "部门联合抽查次数",
        f"≥ {target.min_count} 次/年",
        f"{joint} 次" + (f"（牵头 {led} 次，参与 {len(joined)} 次）" if joined else ""),
        joint >= target.min_count,
        started=joint > 0,
        rows=_task_rows(
            "部门联合抽查任务，及参与其他部门牵头的联合抽查",
            [t for t in tasks if t["scope"] == SamplingTask.Scope.DEPARTMENT_JOINT],
            joined,
        ),
    )


@evaluator("tasks_per_quarter")
def tasks_per_quarter(scope: Scope, target: PlanTarget) -> Verdict | None:
    """获嘉 附件 每季度开展抽查任务数不少于1次: tasks of the quarter actually drawn (开展), not
    merely planned; measured in a quarter's view only."""
    if scope.quarter is None:
        return None
    planned = _tasks(scope, target)
    tasks = sum(1 for t in planned if t["drawn"])
    return scope.verdict(
        target,
        "本季度抽查任务数",
        f"≥ {target.min_count}",
        f"{tasks} 个",
        tasks >= target.min_count,
        rows=_task_rows("本季度计划中的任务", planned),
        started=tasks > 0,
    )


# ---- 结果公示 -----------------------------------------------------------------------------------


def _late_results(results) -> tuple[dict[int, str], Counter]:
    notes, counts = {}, Counter()
    for result, state in results:
        counts[state] += 1
        if state == LATE:
            published = (
                f"公示于 {result.published_on:%Y-%m-%d}" if result.published_on else "尚未公示"
            )
            notes[result.pk] = (
                f"认定 {result.determined_on:%Y-%m-%d}，期限 {result.due:%Y-%m-%d}，{published}"
            )
    return notes, counts


@evaluator("result_publication_workdays")
def result_publication_workdays(scope: Scope, target: PlanTarget) -> Verdict:
    """绛县 四、（七）: each result published within N working days of its determination (the
    due date stored with it); a result published late, or overdue, is late now."""
    notes, counts = _late_results(scope.facts.publication(scope.organisation, scope.quarter))
    return scope.verdict(
        target,
        "抽查结果按期公示",
        f"认定后 {target.workdays} 个工作日内",
        f"按期 {counts[ON_TIME]}，逾期 {counts[LATE]}，未到期 {counts[PENDING]}",
        counts[LATE] == 0 and counts[PENDING] == 0,
        started=sum(counts.values()) > 0,
        late=counts[LATE] > 0,
        rows=_inspection_rows("逾期公示的结果", notes, notes),
    )


@evaluator("result_publication_monthly")
def result_publication_monthly(scope: Scope, target: PlanTarget) -> Verdict | None:
    """保定 二 每月向社会公示随机抽查结果: read as each month's batch carrying the results
    determined the month before (a bureau default of the preset), so a result is published by
    the end of the month after its determination. Each month with results due is listed; a
    month whose results were not all published in it is missing."""
    if not target.enabled:
        return None
    months = scope.facts.monthly_publication(scope.organisation, scope.quarter)
    missing = [m for m in months if m.late]
    pending = [m for m in months if m.pending]
    return scope.verdict(
        target,
        "抽查结果每月公示",
        "有结果应公示的月份，当月公示完毕",
        f"应公示的月份 {len(months)} 个，缺失 {len(missing)} 个，未到期 {len(pending)} 个",
        not missing and not pending,
        started=bool(months),
        late=bool(missing),
        rows=Rows(MONTHS, "各月应公示的结果", months=tuple(months)),
    )


# ---- 年度抽查计划 -------------------------------------------------------------------------------


@evaluator("plan_deadline", "plan_publication_workdays")
def plan_made_and_published(scope: Scope, *targets: PlanTarget) -> Verdict:
    """绛县 四、（一）: 3 月底前制定；印发 20 个工作日内公开 — from the plan's own warnings."""
    facts, organisation = scope.facts, scope.organisation
    clause = "；".join(dict.fromkeys(str(t.ref) for t in targets))  # one clause may set both
    label, required = "年度抽查计划制定与公开", "按期制定并公开"
    common = {
        "clause": clause,
        "period": period_label(scope.year, None),
        "definition": DEFINITIONS["plan_deadline"],
    }
    plan = facts.plans.get(organisation.pk)
    if plan is None:
        deadline = next(
            (t.deadline(scope.year) for t in targets if t.kind == PLAN_DEADLINE),
            dt.date(scope.year, 3, 31),
        )
        late = scope.today > deadline
        return Verdict(
            targets[0].key, label, required, "尚未制定", False, late, started=False, **common
        )
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
    return Verdict(targets[0].key, label, required, actual, met, bool(warnings), **common)


# ---- 统计报送 -----------------------------------------------------------------------------------


def _upward_quarters(scope: Scope) -> list:
    """The organisation's quarters of the year as its 市局 sees them on 统计报送
    (``reports.upward``), read once for all the organisations of the board that share its
    parent: the queries do not grow with the 分局."""
    from shuangsuiji.reports.upward import branch_quarters  # upward → documents → here

    facts = scope.facts
    cache = facts.__dict__.setdefault("upward_quarters", {})
    organisation = scope.organisation
    if organisation.parent_id not in cache:
        siblings = [o for o in facts.organisations if o.parent_id == organisation.parent_id]
        cache[organisation.parent_id] = branch_quarters(
            organisation.parent_id, siblings, scope.year, scope.today,
            presets=facts.presets, calendars=facts.calendars,
        )  # fmt: skip
    return cache[organisation.parent_id].get(organisation.pk, [])


def _report_met(quarters: list, sent: list, late: list) -> bool | None:
    """Missed once a quarter is sent late or its deadline passes unsent; met when every ended
    quarter is sent in time; otherwise not judged yet (no deadline, or not passed)."""
    if late:
        return False
    if quarters and len(sent) == len(quarters):
        return True
    return None


@evaluator("quarterly_report")
def quarterly_report(scope: Scope, target: PlanTarget) -> Verdict | None:
    """藁城 四、（四） 每季度结束后将上一季度统计表报送市局: each ended quarter's report sent
    through 统计报送, and by the deadline in force (the 市局's, or the preset's); a quarter
    not sent is missed once its deadline has passed."""
    from shuangsuiji.reports.upward import reports_to_parent

    if not target.enabled or not reports_to_parent(scope.organisation):
        return None  # only a 分局 reports to a 市局
    quarters = [q for q in _upward_quarters(scope) if q.ended]
    if scope.quarter is not None:
        quarters = [q for q in quarters if q.period.quarter == scope.quarter]
    sent = [q for q in quarters if q.versions]
    late = [q for q in quarters if q.late_days]
    words = [f"{q.period.label}{q.state}" + (f"（{q.lateness}）" if q.lateness else "")
             for q in quarters]  # fmt: skip
    return scope.verdict(
        target,
        "季度统计表报送",
        "季度结束后报送上一季度统计表",
        f"已报送 {len(sent)}/{len(quarters)} 个季度" + (f"：{'；'.join(words)}" if words else ""),
        _report_met(quarters, sent, late),
        started=bool(quarters),
        late=bool(late),
    )
