"""Did we meet our plan? Each target the organisation's policy sets, for a quarter or a year:
what is required, what was done, and the clause — green, red, or still running.

Which checks appear comes from the preset (its class quotas, ``targets`` and ``exclusions``):
a bureau whose plan sets no 35 % internal-joint share is not measured against one.
"""

from __future__ import annotations

import datetime as dt
import statistics as stats
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.inspections.selectors import publication
from shuangsuiji.planning.models import AnnualPlan, Draw, SamplingTask
from shuangsuiji.planning.plans import organisation_settings, plan_warnings
from shuangsuiji.planning.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.policy.loader import Reference
from shuangsuiji.reports.statistics import Table, quarter_of, statistics_table

OK, BAD, RUNNING, NONE = "ok", "bad", "running", "none"
STATE_LABELS = {OK: "达标", BAD: "未达标", RUNNING: "进行中", NONE: "无数据"}


@dataclass
class Check:
    label: str
    required: str
    actual: str
    state: str
    clause: str = ""
    #: The statistics figure behind the actual value, for the link to its rows.
    figure: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


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


def _share(part: int, whole: int) -> str:
    # Shown rounded down, so a share just short of its target never reads as meeting it.
    return f"{part}/{whole}（{part * 100 // whole}%）" if whole else "0/0"


def _period_over(year: int, quarter: int | None, today: dt.date) -> bool:
    """Whether the period has ended (a check still short in a running period is not red)."""
    if quarter is None:
        return today > dt.date(year, 12, 31)
    end_month = quarter * 3
    end = dt.date(year + (end_month == 12), end_month % 12 + 1, 1) - dt.timedelta(days=1)
    return today > end


def _state(met: bool, over: bool) -> str:
    return OK if met else (BAD if over else RUNNING)


def _ratio(value: str) -> Fraction:
    return Fraction(value.rstrip("%")) / 100


def dashboard(
    organisation: Organisation, year: int, quarter: int | None = None, today: dt.date | None = None
) -> Dashboard:
    today = today or timezone.localdate()
    table = statistics_table(organisation, year, quarter)
    workload = inspector_workload(organisation, year, quarter)
    try:
        preset = effective_preset(organisation_policy(organisation))
    except NoPolicy as error:
        return Dashboard(organisation, year, quarter, table, [], workload, str(error))
    day = dt.date(year, 3 * (quarter or 4) - 2, 1)
    over = _period_over(year, quarter, today)
    checks = _class_checks(preset, table, day, over)
    targets = {name: parameter.at(day) for name, parameter in preset.targets.items()}
    year_table = table if quarter is None else None

    def scope(name: str) -> tuple[Table, int | None, bool, str]:
        """The period a target is measured over: a per-year target over the year (red only
        once the year is over), a per-quarter one over the chosen quarter (in the year view,
        the year's total)."""
        nonlocal year_table
        per = targets[name].value.get("per")
        if per == "year" and quarter is not None:
            year_table = year_table or statistics_table(organisation, year)
            return year_table, None, _period_over(year, None, today), "（全年）"
        suffix = "（全年合计）" if per == "quarter" and quarter is None else ""
        return table, quarter, over, suffix

    def add(name, label, required, actual, met, figure="", running_can_fail=False):
        entry = targets[name]
        _, _, ended, suffix = scope(name)
        clause = str(entry.ref) + ("（方案未规定，采用默认值）" if entry.bureau_default else "")
        state = BAD if (running_can_fail and not met) else _state(met, ended)
        checks.append(Check(label + suffix, required, actual, state, clause, figure))

    if "internal_joint_share" in targets:
        t, _, _, _ = scope("internal_joint_share")
        need = targets["internal_joint_share"].value["min"]
        drawn = len(t.figures["random"].ids)
        joint = len(t.figures["internal_joint"].ids & t.figures["random"].ids)
        add(
            "internal_joint_share",
            "内部联合抽查占比",
            f"≥ {need}",
            _share(joint, drawn),
            drawn > 0 and Fraction(joint, drawn) >= _ratio(need),
            "internal_joint",
        )
    if "credit_risk_share" in targets:
        # Checks chosen by supervision class (drawn by class, or 全覆盖 of a class such as
        # 遵化's 正面清单) over every check, 定向检查 included.
        t, _, _, _ = scope("credit_risk_share")
        need = targets["credit_risk_share"].value["min"]
        graded = len(t.figures["random"].ids | t.figures["coverage"].ids)
        every = graded + len(t.figures["targeted"].ids)
        add(
            "credit_risk_share",
            "运用信用风险分级分类的抽查占比",
            f"≥ {need}",
            _share(graded, every),
            every > 0 and Fraction(graded, every) >= _ratio(need),
            "random",
        )
    if "department_joint_task_share" in targets:
        _, period_quarter, _, _ = scope("department_joint_task_share")
        need = targets["department_joint_task_share"].value["min"]
        tasks = _tasks(organisation, year, period_quarter)
        joint = sum(1 for t in tasks if t.scope == SamplingTask.Scope.DEPARTMENT_JOINT)
        add(
            "department_joint_task_share",
            "部门联合抽查任务占比",
            f"≥ {need}",
            _share(joint, len(tasks)),
            bool(tasks) and Fraction(joint, len(tasks)) >= _ratio(need),
        )
    if "department_joint_count" in targets:
        _, period_quarter, _, _ = scope("department_joint_count")
        need = targets["department_joint_count"].value["min_count"]
        drawn_tasks = [t for t in _tasks(organisation, year, period_quarter) if t.drawn]
        joint = sum(1 for t in drawn_tasks if t.scope == SamplingTask.Scope.DEPARTMENT_JOINT)
        add(
            "department_joint_count",
            "部门联合抽查次数",
            f"≥ {need} 次/年",
            f"{joint} 次",
            joint >= need,
        )
    if "tasks_per_quarter" in targets and quarter:
        need = targets["tasks_per_quarter"].value["min_count"]
        add(
            "tasks_per_quarter",
            "本季度抽查任务数",
            f"≥ {need}",
            f"{table.tasks.value} 个",
            table.tasks.value >= need,
        )
    if "revisit_share" in targets:
        t, _, _, _ = scope("revisit_share")
        need = targets["revisit_share"].value["min"]
        done = len(t.figures["revisit_done"].ids)
        checked = len(t.figures["checked"].ids & t.figures["random"].ids)
        add(
            "revisit_share",
            "回访比例",
            f"≥ {need}",
            _share(done, checked),
            checked > 0 and Fraction(done, checked) >= _ratio(need),
            "revisit_done",
        )
    if "result_publication_workdays" in targets:
        report = publication(organisation, year, today, quarter)
        limit = targets["result_publication_workdays"].value["workdays"]
        # A result published late, or overdue, is late now: no waiting for the period's end.
        add(
            "result_publication_workdays",
            "抽查结果按期公示",
            f"认定后 {limit} 个工作日内",
            f"按期 {report.on_time}，逾期 {report.late}，未到期 {report.pending}",
            report.late == 0,
            running_can_fail=True,
        )
    checks += _plan_checks(organisation, year, targets, today)
    checks += _cap_checks(organisation, preset, year, day)
    settings = organisation_settings(organisation)
    if workload.per_inspector and quarter is None:
        heaviest = workload.summary["max"]
        checks.append(
            Check(
                "执法人员年度任务量",
                f"每人 ≤ {settings.inspector_annual_cap} 项",
                f"最多 {heaviest} 项",
                OK if heaviest <= settings.inspector_annual_cap else BAD,
                "单位设置：执法人员年度检查任务上限",
            )
        )
    return Dashboard(organisation, year, quarter, table, checks, workload)


def _class_checks(preset, table: Table, day: dt.date, over: bool) -> list[Check]:
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


def _tasks(organisation: Organisation, year: int, quarter: int | None) -> list[SamplingTask]:
    """The published plan's tasks of the period; ``drawn`` tells whether a draw of the task was
    actually carried out (drawn or revealed, not merely committed or aborted)."""
    carried_out = Draw.objects.filter(
        task=OuterRef("pk"), status__in=[Draw.Status.DRAWN, Draw.Status.REVEALED]
    )
    tasks = (
        SamplingTask.objects.filter(
            organisation=organisation, plan__year=year, plan__revisions__isnull=False
        )
        .distinct()
        .annotate(drawn=Exists(carried_out))
    )
    return [t for t in tasks if not quarter or (t.quarter or quarter_of(t.draw_date)) == quarter]


def _plan_checks(organisation, year: int, targets: dict, today: dt.date) -> list[Check]:
    """JX-4.1: 3 月底前制定；印发 20 个工作日内公开 — from the plan's own warnings."""
    wanted = [t for t in ("plan_deadline", "plan_publication_workdays") if t in targets]
    if not wanted:
        return []
    plan = AnnualPlan.objects.filter(organisation=organisation, year=year).first()
    refs = "；".join(str(targets[t].ref) for t in wanted)
    if plan is None:
        state = BAD if today > dt.date(year, 3, 31) else RUNNING
        return [Check("年度抽查计划制定与公开", "按期制定并公开", "尚未制定", state, refs)]
    warnings = plan_warnings(plan, today)
    actual = (f"印发 {plan.issued_on:%Y-%m-%d}" if plan.issued_on else "未印发") + (
        f"，公开 {timezone.localdate(plan.published_at):%Y-%m-%d}" if plan.published_at else ""
    )
    state = BAD if warnings else (OK if plan.published_at else RUNNING)
    return [Check("年度抽查计划制定与公开", "按期制定并公开", actual, state, refs)]


def _cap_checks(organisation, preset, year: int, day: dt.date) -> list[Check]:
    """绛县 四、（五）: 同一年度内对同一污染源的抽查次数不超过 2 次 (特殊监管对象除外)."""
    cap = preset.exclusions.get("annual_cap")
    if cap is None:
        return []
    entry = cap.at(day)
    limit = entry.value["max"]
    exempt = set(entry.value.get("exempt", []))
    exempt_names = "、".join(preset.class_rule(code).name for code in sorted(exempt))
    counts = (
        Inspection.objects.active()
        .filter(organisation=organisation, year=year)
        .exclude(stratum__in=exempt)
        .values("target_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=limit)
    )
    over = counts.count()
    return [
        Check(
            "同一对象年度抽查次数",
            f"≤ {limit} 次（{exempt_names or '无'}除外）",
            f"超过的对象 {over} 个",
            OK if over == 0 else BAD,
            str(entry.ref),
        )
    ]


def inspector_workload(organisation: Organisation, year: int, quarter: int | None) -> Workload:
    """Every enforcement officer's count of active inspections in the period (0 included, so
    the minimum shows who was left out)."""
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.directory.vocabulary import InspectorCategory

    table_rows = InspectionMember.objects.filter(
        inspection__in=Inspection.objects.active().filter(organisation=organisation, year=year)
    ).values(
        "inspector_id",
        "inspection__task__quarter",
        "inspection__task__draw_date",
        "inspection__determined_on",
        "inspection__created_at",
    )
    counts: dict[int, int] = {}
    for row in table_rows:
        if quarter:
            day = row["inspection__task__draw_date"] or row["inspection__determined_on"]
            in_quarter = row["inspection__task__quarter"] or quarter_of(
                day or timezone.localdate(row["inspection__created_at"])
            )
            if in_quarter != quarter:
                continue
        counts[row["inspector_id"]] = counts.get(row["inspector_id"], 0) + 1
    people = Inspector.objects.filter(
        organisation=organisation,
        in_register=True,
        on_duty=True,
        category=InspectorCategory.ENFORCEMENT,
    ).order_by("name")
    per_inspector = [(p.name, counts.get(p.pk, 0)) for p in people]
    return Workload(per_inspector, organisation_settings(organisation).inspector_annual_cap)
