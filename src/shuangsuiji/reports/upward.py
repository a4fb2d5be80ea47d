"""Reports upward (issue 20 §4): a 分局 sends its 市局 the 随机抽查情况统计表 and the register
adjustments of each quarter (藁城 四、（四）, GC-4.4b, GC-4.4) or of each round of checks (绛县
五、（三）, JX-5.3); the 市局 sees who has sent, who is late, and accepts a report or sends it
back with a comment.

Writes: ``upward_report_submit``, ``upward_report_return``, ``upward_report_accept`` and
``upward_deadlines_set``, each atomic and audited. Reads: ``upward_overview`` (the 市局's page,
each 分局 × period), ``upward_branch`` (the 分局's own page), ``period_content`` (what a
submission would freeze) and ``upward_todo``; each reads a fixed number of queries however many
分局 a 市局 has.

When a report is due: a quarter's on the day the 市局 sets for it; where it sets none, the
分局's plan decides — ``targets.quarterly_report`` of its preset, counted in working days after
the quarter's end where the value gives ``workdays`` (a bureau default to be marked as such,
since 藁城's plan says only “每季度结束后”). A round's is due a number of working days the
市局 sets after the round's 检查时限; no plan names one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.accounts.models import Organisation, OrganisationLevel
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.calendar import workday_calendars
from shuangsuiji.bureau.policies import effective_presets
from shuangsuiji.directory.models import InspectionItem, Inspector, Target
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.draws import task_period
from shuangsuiji.planning.models import Draw, SamplingTask
from shuangsuiji.policy import PolicyError, Quarter, plan_target
from shuangsuiji.policy.targets import QUARTERLY_REPORT
from shuangsuiji.reports import documents, exports
from shuangsuiji.reports.models import UpwardDeadline, UpwardReport, UpwardReview
from shuangsuiji.reports.statistics import Table, YearRecords, year_records

#: The frozen contents are not read to list reports.
HEAVY = ("table", "adjustments", "table_file", "adjustments_file")
#: The longest a 市局 may give for a round's report, in working days.
ROUND_WORKDAYS = (1, 60)
CARRIED_OUT = (Draw.Status.DRAWN, Draw.Status.REVEALED)
OPEN = (Inspection.Status.NEEDS_TEAM, Inspection.Status.ASSIGNED)


def _day(day: dt.date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


# ---- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """A quarter of a year, or the round of checks of one task (its ``plan`` loaded)."""

    year: int
    quarter: int | None = None
    task: SamplingTask | None = None

    @property
    def key(self) -> str:
        return str(Quarter(self.year, self.quarter)) if self.quarter else f"task-{self.task.pk}"

    @property
    def label(self) -> str:
        if self.quarter:
            return Quarter(self.year, self.quarter).label
        return f"{self.task.name}（{self.task.number}）"

    @property
    def start(self) -> dt.date:
        return Quarter(self.year, self.quarter).start if self.quarter else task_period(self.task)[0]

    @property
    def end(self) -> dt.date:
        """The quarter's last day, or the round's 检查时限."""
        return Quarter(self.year, self.quarter).end if self.quarter else task_period(self.task)[1]


def round_tasks(organisations: list[Organisation], years: list[int]) -> list[SamplingTask]:
    """The tasks of these organisations and years with a draw carried out: the rounds there are
    to report on; each with ``open``, whether any of its checks is still to be done."""
    carried = Draw.objects.filter(task=OuterRef("pk"), status__in=CARRIED_OUT)
    still_open = Inspection.objects.filter(task=OuterRef("pk"), status__in=OPEN)
    return list(
        SamplingTask.objects.filter(organisation__in=organisations, plan__year__in=years)
        .annotate(carried=Exists(carried), open=Exists(still_open))
        .filter(carried=True)
        .select_related("plan")
        .order_by("organisation_id", "plan__year", "sequence")
    )


def round_ended(task: SamplingTask, today: dt.date) -> bool:
    """绛县 每次检查结束后: every check of the round done, or its 检查时限 passed."""
    return not task.open or today > task_period(task)[1]


# ---- deadlines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """When a period's report is due and why; ``required`` where the plan or the 市局 asks for
    it at all (a report not asked for may still be sent)."""

    day: dt.date | None = None
    basis: str = ""
    required: bool = False


def _quarter_due(period: ReportPeriod, preset, calendar, row) -> Due:
    """``calendar()`` gives the 分局's working days, read only where a deadline counts them;
    ``row`` is the 市局's ``UpwardDeadline`` of the year (its ``parent`` loaded), if any."""
    set_by_parent = row.quarter(period.quarter) if row else None
    if set_by_parent:
        return Due(set_by_parent, f"{row.parent.name}规定", True)
    if preset is None or isinstance(preset, Exception):
        return Due()
    try:
        target = plan_target(preset, QUARTERLY_REPORT, period.end)
    except PolicyError:
        return Due()
    if target is None or not target.enabled:
        return Due()
    if "workdays" in target.value:
        day = calendar().deadline(period.end, target.workdays).day
        return Due(day, f"{target.clause}：季度结束后 {target.workdays} 个工作日内", True)
    return Due(None, f"{target.clause}：季度结束后报送，未规定期限", True)


def _round_due(period: ReportPeriod, calendar, row) -> Due:
    if row is None or not row.round_workdays:
        return Due()
    day = calendar().deadline(period.end, row.round_workdays).day
    basis = f"{row.parent.name}规定：检查时限届满后 {row.round_workdays} 个工作日内"
    return Due(day, basis, True)


# ---- the state of a period -------------------------------------------------------------------

NOT_DUE = "未到报送时间"
NOT_REQUIRED = "未要求报送"
MISSING = "未提交"
#: The badge of each state (static/css/app.css ``.badge``).
BADGES = {
    NOT_DUE: "none",
    NOT_REQUIRED: "na",
    MISSING: "bad",
    UpwardReport.Status.SUBMITTED.label: "running",
    UpwardReport.Status.RETURNED.label: "bad",
    UpwardReport.Status.ACCEPTED.label: "ok",
}


@dataclass
class PeriodStatus:
    """One period of one 分局: its deadline, its versions (oldest first) and its state."""

    organisation: Organisation
    period: ReportPeriod
    due: Due
    ended: bool
    today: dt.date
    versions: list[UpwardReport] = field(default_factory=list)

    @property
    def latest(self) -> UpwardReport | None:
        return self.versions[-1] if self.versions else None

    @property
    def state(self) -> str:
        if self.latest is not None:
            return self.latest.get_status_display()
        if not self.ended:
            return NOT_DUE
        return MISSING if self.due.required else NOT_REQUIRED

    @property
    def badge(self) -> str:
        return BADGES[self.state]

    @property
    def late_days(self) -> int:
        """Days late: judged at the first submission against the deadline then in force, or,
        while nothing is sent, today against the deadline now."""
        if self.versions:
            return self.versions[0].late_days
        if self.ended and self.due.day:
            return max((self.today - self.due.day).days, 0)
        return 0

    @property
    def lateness(self) -> str:
        if not self.late_days:
            return ""
        return f"逾期 {self.late_days} 天" + ("报送" if self.versions else "")

    @property
    def return_comment(self) -> str:
        """The 市局's comment on the latest version, once sent back (its reviews prefetched)."""
        latest = self.latest
        if latest is None or latest.status != UpwardReport.Status.RETURNED:
            return ""
        returned = [r for r in latest.reviews.all() if r.decision == UpwardReview.Decision.RETURNED]
        return returned[-1].comment if returned else ""

    @property
    def awaiting(self) -> bool:
        """Ended, asked for, and not (or no longer) with the 市局."""
        latest = self.latest
        return self.ended and (
            (latest is None and self.due.required)
            or (latest is not None and latest.status == UpwardReport.Status.RETURNED)
        )

    @property
    def blocked(self) -> str:
        """Why the period cannot be sent now, in words; empty when it can."""
        latest = self.latest
        if latest is not None and latest.status == UpwardReport.Status.SUBMITTED:
            return (
                f"第 {latest.version} 版已于 {_day(timezone.localdate(latest.submitted_at))}报送，"
                "正在等待上级审核，审核前不能再次报送。"
            )
        if latest is not None and latest.status == UpwardReport.Status.ACCEPTED:
            return f"第 {latest.version} 版已被上级接收，不能再次报送。"
        if self.ended:
            return ""
        if self.period.quarter:
            return (
                f"{self.period.label}尚未结束（{_day(self.period.end)}结束），"
                "季度结束后才能报送上一季度的统计表。"
            )
        return (
            f"该轮检查尚未结束：检查时限为 {_day(self.period.end)}，仍有检查未完成；"
            "全部检查完成或检查时限届满后才能报送。"
        )


@dataclass
class BranchRow:
    organisation: Organisation
    quarters: list[PeriodStatus]
    rounds: list[PeriodStatus]

    @property
    def periods(self) -> list[PeriodStatus]:
        return [*self.quarters, *self.rounds]


def _rows(
    parent_id: int,
    branches: list[Organisation],
    years: list[int],
    today: dt.date,
    *,
    every_round: bool,
    reviews: bool = False,
    presets: dict | None = None,
    calendars: dict | None = None,
) -> dict[int, list[BranchRow]]:
    """Each branch's periods of each year, by year: every quarter, and the rounds carried out —
    all of them (``every_round``, the 分局's own page) or those the 市局 asks a report of or
    that have one (the 市局's page, the to-do list). A fixed number of queries for any number of
    branches; the rounds and the working-day calendars only where something needs them (the
    home page's to-do list reads this on every change)."""
    reports = UpwardReport.objects.filter(organisation__in=branches, year__in=years).defer(*HEAVY)
    if reviews:
        reports = reports.select_related("submitted_by").prefetch_related(
            Prefetch("reviews", queryset=UpwardReview.objects.select_related("actor"))
        )
    versions: dict[tuple[int, str], list[UpwardReport]] = defaultdict(list)
    for report in reports.order_by("version"):
        versions[report.organisation_id, report.period].append(report)
    deadlines = {
        row.year: row
        for row in UpwardDeadline.objects.filter(parent=parent_id, year__in=years).select_related(
            "parent"
        )
    }
    # A caller that holds them already (the dashboard's facts) passes them in.
    presets = effective_presets(branches) if presets is None else presets
    calendars = {} if calendars is None else dict(calendars)

    def calendar_of(branch: Organisation):
        def calendar():
            if not calendars:
                calendars.update(workday_calendars(branches))
            return calendars[branch.pk]

        return calendar

    tasks: dict[tuple[int, int], list[SamplingTask]] = defaultdict(list)
    rounds_wanted = (
        every_round
        or any(row.round_workdays for row in deadlines.values())
        or any(period.startswith("task-") for _, period in versions)
    )
    for task in round_tasks(branches, years) if rounds_wanted else ():
        tasks[task.organisation_id, task.plan.year].append(task)
    found: dict[int, list[BranchRow]] = {}
    for year in years:
        row = deadlines.get(year)
        found[year] = []
        for branch in branches:
            calendar = calendar_of(branch)
            quarters = []
            for number in (1, 2, 3, 4):
                period = ReportPeriod(year, number)
                quarters.append(
                    PeriodStatus(
                        branch,
                        period,
                        _quarter_due(period, presets.get(branch.pk), calendar, row),
                        today > period.end,
                        today,
                        versions.get((branch.pk, period.key), []),
                    )
                )
            rounds = []
            for task in tasks[branch.pk, year]:
                period = ReportPeriod(year, task=task)
                status = PeriodStatus(
                    branch,
                    period,
                    _round_due(period, calendar, row),
                    round_ended(task, today),
                    today,
                    versions.get((branch.pk, period.key), []),
                )
                if every_round or status.due.required or status.versions:
                    rounds.append(status)
            found[year].append(BranchRow(branch, quarters, rounds))
    return found


def reports_to_parent(organisation: Organisation) -> bool:
    """Only a 分局 reports upward, to the 市局 above it."""
    return organisation.level == OrganisationLevel.BRANCH and organisation.parent_id is not None


def branches_of(parent: Organisation) -> list[Organisation]:
    return list(
        parent.children.filter(is_active=True, level=OrganisationLevel.BRANCH).order_by("code")
    )


# ---- reads -----------------------------------------------------------------------------------


@dataclass
class Overview:
    """The 市局's page: each 分局 × period of the year, and the deadlines it set."""

    parent: Organisation
    year: int
    today: dt.date
    rows: list[BranchRow]
    deadline: UpwardDeadline | None

    @property
    def quarter_dues(self) -> list[tuple[str, str]]:
        """Each quarter's deadline as the 市局 set it, in words."""
        found = []
        for number in (1, 2, 3, 4):
            day = self.deadline.quarter(number) if self.deadline else None
            found.append(
                (
                    f"第{'一二三四'[number - 1]}季度",
                    f"{day.month} 月 {day.day} 日前" if day else "按各分局方案",
                )
            )
        return found

    @property
    def counts(self) -> dict[str, int]:
        """How many periods are in each state, of those the 分局 were to send (ended)."""
        found: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for status in row.periods:
                if status.ended and status.state != NOT_REQUIRED:
                    found[status.state] += 1
        return dict(found)

    @property
    def late(self) -> int:
        return sum(1 for row in self.rows for s in row.periods if s.late_days)

    @property
    def has_rounds(self) -> bool:
        return any(row.rounds for row in self.rows)


def upward_overview(parent: Organisation, year: int, today: dt.date) -> Overview:
    branches = branches_of(parent)
    rows = _rows(parent.pk, branches, [year], today, every_round=False)[year] if branches else []
    deadline = UpwardDeadline.objects.filter(parent=parent, year=year).first()
    return Overview(parent, year, today, rows, deadline)


def branch_quarters(
    parent_id: int | None,
    branches: list[Organisation],
    year: int,
    today: dt.date,
    *,
    presets: dict,
    calendars: dict,
) -> dict[int, list[PeriodStatus]]:
    """Each 分局's four quarters, by organisation id, read in one set of queries with the
    presets and calendars the dashboard has read already (its 季度统计表报送 check)."""
    branches = [b for b in branches if reports_to_parent(b)]
    if parent_id is None or not branches:
        return {}
    rows = _rows(parent_id, branches, [year], today, every_round=False, presets=presets,
                 calendars=calendars)[year]  # fmt: skip
    return {row.organisation.pk: row.quarters for row in rows}


def upward_branch(organisation: Organisation, year: int, today: dt.date) -> BranchRow:
    """The 分局's own page: every quarter and every round of the year, each version with its
    review log."""
    return _rows(
        organisation.parent_id, [organisation], [year], today, every_round=True, reviews=True
    )[year][0]


def upward_status(organisation: Organisation, period: ReportPeriod, today: dt.date) -> PeriodStatus:
    """One period of one 分局, as the submission page shows it before anything is sent."""
    row = upward_branch(organisation, period.year, today)
    for status in row.periods:
        if status.period.key == period.key:
            return status
    raise ValidationError("这一轮抽查尚未抽取，没有可报送的检查。")


def upward_preview(
    organisation: Organisation, period: ReportPeriod, today: dt.date
) -> tuple[PeriodStatus, Content | None]:
    """What the submission page shows: the period's state and, where it can be sent now, the
    统计表 and adjustments a submission would freeze."""
    status = upward_status(organisation, period, today)
    return status, None if status.blocked else period_content(organisation, period)


def readable_reports(user):
    """The reports a user may read: those of their organisation and of those below it, and those
    sent to their organisation (even by a 分局 since moved elsewhere)."""
    if not user.is_authenticated:
        return UpwardReport.objects.none()
    return UpwardReport.objects.filter(
        Q(organisation__path__startswith=user.organisation.path) | Q(parent=user.organisation)
    )


def report_versions(report: UpwardReport) -> list[UpwardReport]:
    """Every version of the report's period, oldest first, each with its review log."""
    return list(
        UpwardReport.objects.filter(organisation=report.organisation_id, period=report.period)
        .defer(*HEAVY)
        .select_related("submitted_by")
        .prefetch_related(
            Prefetch("reviews", queryset=UpwardReview.objects.select_related("actor"))
        )
        .order_by("version")
    )


@dataclass
class UpwardTodo:
    #: Reports of the 分局 below waiting for this 市局.
    to_review: int = 0
    #: This 分局's periods ended, asked for and not with the 市局: to send, or to send again.
    to_send: list[PeriodStatus] = field(default_factory=list)
    returned: list[PeriodStatus] = field(default_factory=list)


def upward_todo(user, today: dt.date) -> UpwardTodo:
    """What the home page lists: reports awaiting the 市局's review, and for a 分局's
    coordinator the periods to send (this year's, and last year's until they are sent)."""
    organisation = user.organisation
    todo = UpwardTodo()
    reviewer = has_permission(user, "manage_sampling") or has_permission(user, "approve_plans")
    if reviewer and organisation.level != OrganisationLevel.BRANCH:  # a 分局 has none below
        todo.to_review = UpwardReport.objects.filter(
            parent=organisation, status=UpwardReport.Status.SUBMITTED
        ).count()
    if has_permission(user, "manage_sampling") and reports_to_parent(organisation):
        years = [today.year - 1, today.year]
        # The rounds the 市局 asks for, or sent back: a round nobody asked is not a to-do.
        rows = _rows(organisation.parent_id, [organisation], years, today, every_round=False)
        for year in years:
            for status in rows[year][0].periods:
                if not status.awaiting:
                    continue
                if status.latest is not None:
                    todo.returned.append(status)
                else:
                    todo.to_send.append(status)
    return todo


# ---- what a report freezes -------------------------------------------------------------------

#: The registers whose additions and removals the 市局 is told of (藁城 四、（四）
#: 需调整的检查人员库信息和检查对象名录信息), with the field that identifies a row.
REGISTERS = (
    (Target, "检查对象名录库", "credit_code"),
    (Inspector, "执法检查人员名录库", "certificate_no"),
    (InspectionItem, "随机抽查事项清单", "category"),
)
ADDED, RESTORED, REMOVED = "新增", "恢复", "移出"
ADJUSTMENT_COLUMNS = (
    "序号", "名录", "调整", "名称", "信用代码、执法证号或抽查类别", "日期", "原因", "经办人",
)  # fmt: skip


def register_adjustments(organisation: Organisation, start: dt.date, end: dt.date) -> list[dict]:
    """Every row that entered or left a register of the organisation between ``start`` and
    ``end`` (Beijing days), from the registers' history: created in the register (新增, by
    form or import), taken back in (恢复), taken out with its reason (移出). One query a
    register; each change is compared with the row's previous version in the database."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    found = []
    for model, register, code in REGISTERS:
        history = model.history.model
        before = (
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("in_register")[:1]
        )
        rows = (
            history.objects.filter(
                organisation_id=organisation.pk, history_date__gte=since, history_date__lt=until
            )
            .annotate(was=Subquery(before))
            .filter(
                Q(history_type="+", in_register=True)
                | (Q(history_type="~") & ~Q(was=F("in_register")))
            )
            .order_by("history_date", "history_id")
            .values(
                "history_type", "history_date", "history_change_reason", "in_register", "was",
                "removal_reason", "name", code, "history_user__display_name",
                "history_user__username",
            )
        )  # fmt: skip
        for row in rows:
            if row["history_type"] == "+":
                change = ADDED
            elif row["was"] is None or row["was"] == row["in_register"]:
                continue
            else:
                change = RESTORED if row["in_register"] else REMOVED
            reason = row["history_change_reason"] or ""
            if change == REMOVED:
                reason = row["removal_reason"] or reason
            found.append(
                {
                    "register": register,
                    "change": change,
                    "name": row["name"],
                    "code": row[code],
                    "day": timezone.localdate(row["history_date"]).isoformat(),
                    "reason": reason,
                    # Blank where the history kept no user (a command-line import).
                    "by": row["history_user__display_name"] or row["history_user__username"] or "",
                }
            )
    return sorted(found, key=lambda e: (e["day"], e["register"], e["change"], e["name"]))


def adjustment_counts(entries: list[dict]) -> list[tuple[str, int, int, int]]:
    """(register, 新增, 恢复, 移出) for each register, in ``REGISTERS`` order."""
    return [
        (
            register,
            sum(1 for e in entries if e["register"] == register and e["change"] == ADDED),
            sum(1 for e in entries if e["register"] == register and e["change"] == RESTORED),
            sum(1 for e in entries if e["register"] == register and e["change"] == REMOVED),
        )
        for _, register, _ in REGISTERS
    ]


def adjustments_sheet(
    organisation: Organisation, period: ReportPeriod, entries: list[dict], filename: str
) -> documents.Sheet:
    summary = "；".join(
        f"{register}新增 {added}、恢复 {restored}、移出 {removed}"
        for register, added, restored, removed in adjustment_counts(entries)
    )
    return documents.Sheet(
        title="检查人员库和检查对象名录调整信息",
        subtitle=f"填报单位：{organisation.name}    统计期间：{period.label}"
        f"（{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}）",
        header=[[documents.Cell(text) for text in ADJUSTMENT_COLUMNS]],
        rows=[
            [n, e["register"], e["change"], e["name"], e["code"], e["day"], e["reason"], e["by"]]
            for n, e in enumerate(entries, start=1)
        ],
        notes=[
            f"本期合计：{summary}。" if entries else "本期名录和清单没有新增、恢复或移出的记录。",
            "新增：本期新建入库的记录（含导入）；恢复：本期重新入库的记录；移出：本期移出名录或"
            "清单的记录（记录本身永久保留，只是不再参与抽取）。",
        ],
        widths=[6, 18, 8, 30, 24, 12, 30, 12],
        landscape=True,
        filename=filename,
    )


def _round_table(records: YearRecords, organisation: Organisation, task: SamplingTask) -> Table:
    """The 统计表 of one round: the year's records narrowed to the task's checks and draws."""
    draws = set(Draw.objects.filter(task=task, status__in=CARRIED_OUT).values_list("pk", flat=True))
    own = organisation.pk
    narrowed = replace(
        records,
        inspections={own: [r for r in records.inspections.get(own, []) if r["task_id"] == task.pk]},
        tasks={own: [t for t in records.tasks.get(own, []) if t["pk"] == task.pk]},
        draws={own: [d for d in records.draws.get(own, []) if d.pk in draws]},
    )
    return narrowed.table(organisation)


@dataclass
class Content:
    """What a submission freezes: the 统计表 and the adjustments, as sheets and as entries."""

    sheet: documents.Sheet
    adjustments: list[dict]
    adjustments_sheet: documents.Sheet

    def table_json(self) -> dict:
        sheet = self.sheet
        return {
            "title": sheet.title,
            "subtitle": sheet.subtitle,
            "header": [cell.text for cell in sheet.header[0]],
            "rows": sheet.rows,
            "notes": sheet.notes,
            "files": {"table": sheet.filename, "adjustments": self.adjustments_sheet.filename},
        }


def period_content(organisation: Organisation, period: ReportPeriod) -> Content:
    """The 统计表 and the register adjustments of the period as they stand now."""
    records = year_records([organisation], period.year)
    if period.quarter:
        table = records.table(organisation, period.quarter)
        sheet = documents.statistics_sheet([table], [organisation.name])
        stem = f"{organisation.code}-{period.key}"
    else:
        table = _round_table(records, organisation, period.task)
        stem = f"{organisation.code}-{period.task.number}"
        sheet = replace(
            documents.statistics_sheet([table], [organisation.name]),
            subtitle=f"填报单位：{organisation.name}    统计期间：{period.label}",
            filename=f"{stem}-统计表",
        )
    entries = register_adjustments(organisation, period.start, period.end)
    return Content(
        sheet=sheet,
        adjustments=entries,
        adjustments_sheet=adjustments_sheet(organisation, period, entries, f"{stem}-名录调整"),
    )


# ---- writes ----------------------------------------------------------------------------------


def _described(verb: str):
    def describe(report: UpwardReport, kwargs: dict):
        summary = f"{verb}{report.organisation.name}{report.period_label}统计表和名录调整"
        detail = {
            "期间": report.period_label,
            "版本": report.version,
            "状态": report.get_status_display(),
        }
        if verb == "报送":
            detail |= {
                "名录调整": len(report.adjustments),
                "报送期限": report.deadline.isoformat() if report.deadline else "未规定",
                "统计表文件校验值": report.table_digest,
            }
        if kwargs.get("comment"):
            detail["意见"] = kwargs["comment"].strip()
        return report, f"{summary}（第 {report.version} 版）", detail

    return describe


@audited("upward.submit", "报送统计表和名录调整", describe=_described("报送"))
@transaction.atomic
def upward_report_submit(
    *, actor, organisation: Organisation, period: ReportPeriod, comment: str = ""
) -> UpwardReport:
    """The 分局's 抽查管理员 sends the period's 统计表 and register adjustments to the 市局
    above: both are frozen as they stand now, with the workbooks written from them."""
    require_own(actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以报送统计表。")
    # One submission of an organisation at a time: the versions are numbered in turn.
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not reports_to_parent(organisation):
        raise ValidationError("只有分局向上级市局报送统计表和名录调整；本单位不是有上级的分局。")
    if period.task is not None and period.task.organisation_id != organisation.pk:
        raise PermissionDenied("这项抽查任务不属于本单位。")
    comment = comment.strip()
    if len(comment) > 500:
        raise ValidationError({"comment": f"报送说明最多 500 字，现有 {len(comment)} 字。"})
    now = timezone.now()
    status = upward_status(organisation, period, timezone.localdate(now))
    if status.blocked:
        raise ValidationError(status.blocked)
    content = period_content(organisation, period)
    report = UpwardReport(
        organisation=organisation,
        parent=organisation.parent,
        year=period.year,
        quarter=period.quarter,
        task=period.task,
        period=period.key,
        period_label=period.label,
        version=(status.latest.version if status.latest else 0) + 1,
        status=UpwardReport.Status.SUBMITTED,
        table=content.table_json(),
        adjustments=content.adjustments,
        table_file=exports.to_xlsx(content.sheet),
        adjustments_file=exports.to_xlsx(content.adjustments_sheet),
        deadline=status.due.day,
        deadline_basis=status.due.basis[:300],
        comment=comment,
        submitted_at=now,
        submitted_by=actor,
    )
    try:
        with transaction.atomic():
            report.save(force_insert=True)
    except IntegrityError as error:
        raise ValidationError("该期间已有待审核或已接收的报送，不能重复报送。") from error
    UpwardReview.objects.create(
        report=report,
        decision=UpwardReview.Decision.SUBMITTED,
        comment=comment,
        actor=actor,
        at=now,
    )
    return report


def _reviewable(actor, report: UpwardReport, act: str) -> UpwardReport:
    if actor is not None and (
        actor.organisation_id != report.parent_id
        or not (has_permission(actor, "manage_sampling") or has_permission(actor, "approve_plans"))
    ):
        raise PermissionDenied(f"只有接收单位的抽查管理员或领导可以{act}下级报送。")
    report = (
        UpwardReport.objects.select_for_update().select_related("organisation").get(pk=report.pk)
    )
    if report.status != UpwardReport.Status.SUBMITTED:
        raise ValidationError(
            f"第 {report.version} 版当前为“{report.get_status_display()}”，"
            f"只有待审核的报送可以{act}。"
        )
    return report


def _review(report: UpwardReport, status: str, decision: str, actor, comment: str) -> None:
    report.status = status
    report.save(update_fields=["status"])
    UpwardReview.objects.create(
        report=report, decision=decision, comment=comment, actor=actor, at=timezone.now()
    )


@audited("upward.return", "退回下级报送", describe=_described("退回"))
@transaction.atomic
def upward_report_return(*, actor, report: UpwardReport, comment: str) -> UpwardReport:
    """The 市局 sends the report back with what to correct; the 分局 sends a new version."""
    report = _reviewable(actor, report, "退回")
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": "请写明退回的原因和需要修改的内容。"})
    if len(comment) > 500:
        raise ValidationError({"comment": f"退回意见最多 500 字，现有 {len(comment)} 字。"})
    _review(report, UpwardReport.Status.RETURNED, UpwardReview.Decision.RETURNED, actor, comment)
    return report


@audited("upward.accept", "接收下级报送", describe=_described("接收"))
@transaction.atomic
def upward_report_accept(*, actor, report: UpwardReport, comment: str = "") -> UpwardReport:
    report = _reviewable(actor, report, "接收")
    comment = comment.strip()
    if len(comment) > 500:
        raise ValidationError({"comment": f"接收意见最多 500 字，现有 {len(comment)} 字。"})
    _review(report, UpwardReport.Status.ACCEPTED, UpwardReview.Decision.ACCEPTED, actor, comment)
    return report


def _deadlines_described(row: UpwardDeadline, kwargs: dict):
    parts = [
        f"{'一二三四'[n - 1]}季度 {row.quarter(n):%Y-%m-%d}" if row.quarter(n) else
        f"{'一二三四'[n - 1]}季度 未规定"
        for n in (1, 2, 3, 4)
    ]  # fmt: skip
    parts.append(
        f"每轮检查时限届满后 {row.round_workdays} 个工作日内"
        if row.round_workdays
        else "每轮 未规定"
    )
    return row, f"设置 {row.year} 年下级报送期限：{'，'.join(parts)}", {"期限": parts}


@audited("upward.deadline", "设置下级报送期限", describe=_deadlines_described)
@transaction.atomic
def upward_deadlines_set(
    *,
    actor,
    organisation: Organisation,
    year: int,
    quarters: dict[int, dt.date | None],
    round_workdays: int | None,
) -> UpwardDeadline:
    """The 市局's 抽查管理员 sets when its 分局 are to report for the year: a day for each
    quarter (none: each 分局's plan decides) and the working days after each round."""
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以设置下级报送期限。"
    )
    if not branches_of(organisation):
        raise ValidationError("本单位没有下级分局，无需设置报送期限。")
    errors = {}
    for number, day in quarters.items():
        end = Quarter(year, number).end
        if day is not None and not end < day <= end + dt.timedelta(days=366):
            errors[f"q{number}"] = (
                f"第{'一二三四'[number - 1]}季度的报送期限应在季度结束（{_day(end)}）之后的一年内。"
            )
    low, high = ROUND_WORKDAYS
    if round_workdays is not None and not low <= round_workdays <= high:
        errors["round_workdays"] = f"每轮的报送期限应为 {low} 至 {high} 个工作日。"
    if errors:
        raise ValidationError(errors)
    row, _ = UpwardDeadline.objects.select_for_update().get_or_create(
        parent=organisation, year=year
    )
    for number, day in quarters.items():
        setattr(row, f"q{number}", day)
    row.round_workdays = round_workdays
    row.updated_by = actor
    row.save(update_fields=[*(f"q{n}" for n in quarters), "round_workdays", "updated_by",
                            "updated_at"])  # fmt: skip
    return row
