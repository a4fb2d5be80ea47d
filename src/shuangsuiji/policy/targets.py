"""The plan's measurable targets (``targets:`` of a preset): the kinds there are, and which of
them a preset sets on a given day.

Each kind is described once, here: its key in the preset, its Chinese name, the values it must
give, the period it is measured over and the stage of the work that measures it. Everything
else reads a preset's targets through ``plan_targets`` / ``plan_target``: the dashboard
evaluates each kind with one registered evaluator (``reports.evaluators``), the annual plan's
deadlines (``planning.plans.plan_warnings``) and the results' publication deadline
(``inspections.deadlines``) look theirs up by kind. Adding a kind is one ``TargetKind`` here
(and ``KINDS``) and one evaluator there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shuangsuiji.policy.loader import Preset, Reference


class Stage(StrEnum):
    """The stage of the work whose records tell whether a target is met."""

    PLAN = "plan"  # 年度抽查计划：制定、公开
    TASKS = "tasks"  # 抽查任务
    INSPECTIONS = "inspections"  # 检查：抽取、联合、回访
    PUBLICATION = "publication"  # 抽查结果公示
    REPORTING = "reporting"  # 统计报送


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


PERIOD_NAMES = {Period.MONTH: "每月", Period.QUARTER: "每季度", Period.YEAR: "每年"}


@dataclass(frozen=True)
class TargetKind:
    key: str
    #: The name a newcomer searches for (and the dashboard shows where no evaluator labels it).
    name: str
    stage: Stage
    #: The keys the value must give: ``min`` a share (“35%”), ``min_count`` a number,
    #: ``deadline`` a day of the year (“03-31”), ``workdays`` working days, ``enabled`` a duty.
    requires: tuple[str, ...]
    #: The period it is measured over where the value does not say (``per``); ``None`` where it
    #: is no count over a period (a deadline).
    period: Period | None = None


INTERNAL_JOINT_SHARE = TargetKind(
    "internal_joint_share", "内部联合抽查数量占比", Stage.INSPECTIONS, ("min",), Period.QUARTER
)
CREDIT_RISK_SHARE = TargetKind(
    "credit_risk_share",
    "运用信用风险分级分类的抽查次数占比",
    Stage.INSPECTIONS,
    ("min",),
    Period.YEAR,
)
DEPARTMENT_JOINT_TASK_SHARE = TargetKind(
    "department_joint_task_share", "部门联合抽查任务数占比", Stage.TASKS, ("min",), Period.YEAR
)
DEPARTMENT_JOINT_COUNT = TargetKind(
    "department_joint_count", "部门联合抽查次数", Stage.TASKS, ("min_count",), Period.YEAR
)
REVISIT_SHARE = TargetKind("revisit_share", "回访比例", Stage.INSPECTIONS, ("min",), Period.QUARTER)
#: 检查时限 (保定 三、（三） “在规定时限内”, 绛县 四、（五）4 “检查时限要求”): the day by which a
#: task's inspections are to be done, set on each task when its plan is generated
#: (``policy.inspection_deadline``); ``per`` the period whose end it is, ``workdays`` optionally
#: fewer working days after the draw.
INSPECTION_DEADLINE = TargetKind(
    "inspection_deadline", "检查时限", Stage.INSPECTIONS, ("per",), Period.QUARTER
)
TASKS_PER_QUARTER = TargetKind(
    "tasks_per_quarter", "每季度抽查任务数", Stage.TASKS, ("min_count",), Period.QUARTER
)
PLAN_DEADLINE = TargetKind("plan_deadline", "年度抽查计划制定期限", Stage.PLAN, ("deadline",))
PLAN_PUBLICATION_WORKDAYS = TargetKind(
    "plan_publication_workdays", "年度抽查计划公开期限（工作日）", Stage.PLAN, ("workdays",)
)
RESULT_PUBLICATION_WORKDAYS = TargetKind(
    "result_publication_workdays", "抽查结果公示期限（工作日）", Stage.PUBLICATION, ("workdays",)
)
RESULT_PUBLICATION_MONTHLY = TargetKind(
    "result_publication_monthly", "每月公示抽查结果", Stage.PUBLICATION, ("enabled",), Period.MONTH
)
QUARTERLY_REPORT = TargetKind(
    "quarterly_report", "每季度报送统计表", Stage.REPORTING, ("enabled",), Period.QUARTER
)

#: Every kind, in the order the dashboard lists them.
KINDS: tuple[TargetKind, ...] = (
    INTERNAL_JOINT_SHARE,
    CREDIT_RISK_SHARE,
    DEPARTMENT_JOINT_TASK_SHARE,
    DEPARTMENT_JOINT_COUNT,
    TASKS_PER_QUARTER,
    REVISIT_SHARE,
    INSPECTION_DEADLINE,
    RESULT_PUBLICATION_WORKDAYS,
    RESULT_PUBLICATION_MONTHLY,
    PLAN_DEADLINE,
    PLAN_PUBLICATION_WORKDAYS,
    QUARTERLY_REPORT,
)
BY_KEY: dict[str, TargetKind] = {kind.key: kind for kind in KINDS}


@dataclass(frozen=True)
class PlanTarget:
    """One target as a preset sets it on a day: the kind, the value in force, its clause."""

    kind: TargetKind
    value: dict[str, Any]
    ref: Reference
    since: dt.date
    #: The plan is silent here; the value is a default the bureau should review.
    bureau_default: bool = False

    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def period(self) -> Period | None:
        per = self.value.get("per")
        return Period(per) if per else self.kind.period

    @property
    def share(self) -> Fraction:
        """``min`` as an exact fraction ("35%" → 7/20): a share is never compared as a float."""
        from shuangsuiji.policy.loader import percent

        return percent(self.value["min"], self.kind.key)

    @property
    def share_text(self) -> str:
        return str(self.value["min"])

    @property
    def min_count(self) -> int:
        return int(self.value["min_count"])

    @property
    def workdays(self) -> int:
        return int(self.value["workdays"])

    @property
    def enabled(self) -> bool:
        return bool(self.value.get("enabled"))

    def deadline(self, year: int) -> dt.date:
        """``deadline`` ("03-31") as a day of ``year``."""
        month, day = map(int, str(self.value["deadline"]).split("-"))
        return dt.date(year, month, day)

    @property
    def requirement(self) -> str:
        """The value in words, as a page shows what is required (“≥ 35%（每季度）”)."""
        value = self.value
        parts = []
        if "min" in value:
            parts.append(f"≥ {value['min']}")
        if "min_count" in value:
            parts.append(f"≥ {value['min_count']} 次")
        if "deadline" in value:
            month, day = map(int, str(value["deadline"]).split("-"))
            parts.append(f"{month} 月 {day} 日前")
        if "workdays" in value:
            parts.append(f"{value['workdays']} 个工作日内")
        if "enabled" in value:
            parts.append("须执行" if value["enabled"] else "不要求")
        text = "，".join(parts)
        if "per" in value:
            text += f"（{PERIOD_NAMES[Period(value['per'])]}）"
        return text

    @property
    def clause(self) -> str:
        """The clause as the pages show it, flagged where the value is the bureau's default."""
        return str(self.ref) + ("（方案未规定，采用默认值）" if self.bureau_default else "")


def _in_force(preset: Preset, key: str, day: dt.date) -> PlanTarget:
    entry = preset.targets[key].at(day)
    return PlanTarget(BY_KEY[key], entry.value, entry.ref, entry.since, entry.bureau_default)


def plan_targets(preset: Preset, day: dt.date) -> list[PlanTarget]:
    """Every target the preset sets, with its value in force on ``day``, in ``KINDS`` order.
    Raises ``PolicyNotInForce`` for a day before a target's first value, as every query does."""
    return [_in_force(preset, kind.key, day) for kind in KINDS if kind.key in preset.targets]


def plan_target(preset: Preset, kind: TargetKind, day: dt.date) -> PlanTarget | None:
    """The one target of ``kind`` in force on ``day``; ``None`` where the preset sets none."""
    if kind.key not in preset.targets:
        return None
    return _in_force(preset, kind.key, day)
