from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.permanence import (
    PermanentModel,
    PermanentQuerySet,
    PermanentScopedQuerySet,
)
from shuangsuiji.planning.models import Draw
from shuangsuiji.policy.schema import METHODS

#: 绛县 三、（一）: the nine cases that are not checked by random draw.
TARGETED_CASES = [
    ("law", "法律法规规章对监督方式有明确规定"),
    ("government", "各级人民政府有专门要求或重点工作部署"),
    ("special", "本部门专项或重点工作部署"),
    ("complaint", "投诉举报涉嫌违法违规"),
    ("emergency", "突发性事件"),
    ("assigned", "上级交办、督办案件"),
    ("found", "履职中发现涉嫌违法违规"),
    ("transferred", "其他部门移交案件线索"),
    ("other", "其他不适宜采用双随机方式"),
]


class ResultCategory(models.TextChoices):
    """绛县 四、（七）: the fixed wording results are published in."""

    NO_PROBLEM = "no_problem", "未发现问题"
    ORDERED = "ordered", "发现问题已责令整改"
    CASE_FILED = "case_filed", "发现问题已立案调查"
    UNCOOPERATIVE = "uncooperative", "不配合检查情节严重"
    NO_ACTIVITY = "no_activity", "未发现开展本次抽查涉及的经营活动"


#: Categories that mean a violation was found (then 绛县 requires 笔录 and 询问笔录; the 统计表
#: counts them as 发现问题). Compares equal to the stored values too.
VIOLATION_CATEGORIES = frozenset({ResultCategory.ORDERED, ResultCategory.CASE_FILED})


class Confidentiality(models.TextChoices):
    """Why a result may be kept from the public: 保定 三、（五） 国家秘密、商业机密和个人隐私;
    藁城 二、（八） "涉及保密、国家安全、公共安全的，可不予公开"."""

    NONE = "", "不涉密"
    STATE = "state", "国家秘密"
    COMMERCIAL = "commercial", "商业秘密"
    PRIVACY = "privacy", "个人隐私"
    NATIONAL_SECURITY = "national_security", "国家安全"
    PUBLIC_SAFETY = "public_safety", "公共安全"


class ConfidentialPublication(models.TextChoices):
    """保定 三、（五） "可以调整抽查结果公示的方式和范围": a 涉密 result is withheld, published
    as a summary the team writes without the secret (公开摘要), or shown only to the partner
    departments named (限定范围)."""

    WITHHELD = "", "不公开"
    SUMMARY = "summary", "公开摘要"
    RESTRICTED = "restricted", "限定范围"


#: The results the portal may show: not 涉密, or 涉密 and published as a summary.
PUBLIC_RESULT = models.Q(confidentiality=Confidentiality.NONE) | models.Q(
    confidential_publication=ConfidentialPublication.SUMMARY
)


class ItemOutcome(models.TextChoices):
    PASS = "pass", "合格"
    PROBLEM = "problem", "发现问题"
    NOT_APPLICABLE = "na", "不涉及"


#: 实际检查方式 (``Inspection.method_used``): one of the policy's methods, or 其他.
METHODS_USED = (*METHODS, "其他")
CHECK_METHODS = [(m, m) for m in METHODS_USED]


#: A drawn inspection whose draw's list is not public yet (``Draw.LIST_PUBLIC``).
def is_internal_joint(departments: Iterable[str], lines: Iterable[str]) -> bool:
    """内部联合抽查 (遵化 二、（二）, ZH-2.2): one visit organised jointly by two or more of the
    bureau's own units — the team's 所属部门 from the inspector register (JX-6.2) — that checks
    items of more than one business line (the items' 要素标签): 一业一查，进一次门查多项事.
    Tags alone (one unit checking water and air) are not a joint check, nor two units checking
    one line. What happened is measured: a task declared 内部联合 at planning time counts only
    where its inspections meet this."""
    return is_joint(*joint_parts(departments, lines))


def joint_parts(departments: Iterable[str], lines: Iterable[str]) -> tuple[int, int]:
    """The team's distinct 所属部门 and the items' distinct business lines, as counted by
    ``is_internal_joint`` (the dashboard shows both beside each drawn check)."""
    return len({d for d in departments if d}), len({t for t in lines if t})


def is_joint(units: int, lines: int) -> bool:
    """``is_internal_joint`` of the counts ``joint_parts`` gives."""
    return units >= 2 and lines >= 2


ON_SECRET_LIST = Q(draw__isnull=False) & ~Q(draw__status__in=Draw.LIST_PUBLIC)


class InspectionQuerySet(PermanentScopedQuerySet):
    def readable_from(self, path: str, organisation_id: int) -> "InspectionQuerySet":
        """Above the bureau (a 市局, the 省厅), a drawn inspection is readable only once its
        draw's list is public: before reveal who was drawn stays with the bureau's own staff
        (JX-6.4 保密; docs/security.md). Counts are not affected: they never name anyone."""
        rows = super().readable_from(path, organisation_id)
        return rows.exclude(ON_SECRET_LIST & ~Q(organisation_id=organisation_id))

    def active(self) -> "InspectionQuerySet":
        """Inspections that count (toward a target's annual number and an inspector's load):
        all but those cancelled with an aborted draw or replaced by a substitute."""
        return self.exclude(status__in=INACTIVE_STATUSES)

    def counted(
        self, year: int, organisation: Organisation | None = None, *, kind: str | None = None
    ) -> "InspectionQuerySet":
        """The inspections a year's counts are made of — the year's active inspections, of one
        organisation and of one ``kind`` when given. All kinds make an inspector's load (绛县
        四、（四） 年度检查次数标记: every check an officer takes part in) and the 统计表; a
        target's number against 绛县's cap of 2 counts ``Kind.RANDOM`` only (四、（五）
        “抽查次数”: the nine cases of 三、（一） checked 定向, and 全覆盖 checks, are no 抽查).
        A random inspection's year is its plan's, so only the draws of that year count."""
        rows = self.filter(year=year).active()
        if kind is not None:
            rows = rows.filter(kind=kind)
        return rows if organisation is None else rows.filter(organisation=organisation)


class Inspection(PermanentModel):
    class Kind(models.TextChoices):
        RANDOM = "random", "随机抽查"
        COVERAGE = "coverage", "全覆盖检查"
        TARGETED = "targeted", "定向检查（非随机）"

    class Status(models.TextChoices):
        NEEDS_TEAM = "needs_team", "待人工指派执法人员"
        ASSIGNED = "assigned", "待检查"
        DONE = "done", "已完成"
        SUBSTITUTED = "substituted", "已替补"
        CANCELLED = "cancelled", "已撤销"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(
        "planning.SamplingTask",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    draw = models.ForeignKey(
        "planning.Draw",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections",
    )
    target = models.ForeignKey(
        "directory.Target", on_delete=models.PROTECT, related_name="inspections"
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("性质", max_length=16, choices=Kind.choices)
    stratum = models.CharField("类别", max_length=32, blank=True)
    method = models.CharField("检查方式", max_length=16, default="现场检查")
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    team = models.ManyToManyField(
        "directory.Inspector", through="InspectionMember", related_name="inspections"
    )
    #: 进一次门，查多项事: every item of the task's list that applies to this target.
    items = models.ManyToManyField(
        "directory.InspectionItem", verbose_name="抽查事项", blank=True, related_name="inspections"
    )
    flags = models.JSONField("抽取标记", default=list, blank=True)
    targeted_case = models.CharField(
        "定向检查事由", max_length=16, choices=TARGETED_CASES, blank=True
    )
    case_reference = models.CharField("案件或线索编号", max_length=200, blank=True)
    partner_inspectors = models.JSONField("联合部门执法人员", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The record the team keeps in the field.
    checked_at = models.DateTimeField("检查时间", null=True, blank=True)
    method_used = models.CharField("实际检查方式", max_length=16, choices=CHECK_METHODS, blank=True)
    representative = models.CharField("企业在场人员", max_length=100, blank=True)
    present_members = models.JSONField("在场检查人员（执法证号）", default=list, blank=True)
    # The result.
    result_category = models.CharField(
        "检查结果", max_length=16, choices=ResultCategory.choices, blank=True
    )
    findings = models.TextField("检查情况与发现的问题", blank=True)
    public_summary = models.TextField("公示摘要", blank=True)
    confidentiality = models.CharField(
        "涉密", max_length=20, choices=Confidentiality.choices, blank=True, default=""
    )
    confidential_reason = models.CharField("不予公开的理由", max_length=300, blank=True)
    confidential_publication = models.CharField(
        "涉密结果的公示方式", max_length=16, choices=ConfidentialPublication.choices, blank=True,
        default="",
    )  # fmt: skip
    #: 限定范围: the partner departments that may read a 涉密 result.
    shared_with = models.ManyToManyField(
        Organisation, verbose_name="限定范围（可查阅的联合部门）", blank=True, related_name="+"
    )
    determined_on = models.DateField("结果认定日期", null=True, blank=True)
    publication_due = models.DateField("公示期限", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_reason = models.CharField("退回重填原因", max_length=300, blank=True)
    #: When the result became public (一公开): at submission, at the coordinator's release, or
    #: with its draw's list at the reveal; empty while unpublished, 涉密, or withdrawn.
    published_at = models.DateTimeField("公示时间", null=True, blank=True)
    released_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: Bumped by every change to what the portal shows of this row (published, withdrawn,
    #: follow-up, draw revealed), so the open-data API answers "changed since?" from one index.
    public_changed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = InspectionQuerySet.as_manager()
    history = HistoricalRecords()

    @property
    def internal_joint(self) -> bool:
        """Whether this inspection is 内部联合 (``is_internal_joint``), from its team and items."""
        departments = [m.inspector.department for m in self.members.all()]
        return is_internal_joint(departments, [t for i in self.items.all() for t in i.tag_list])

    class Meta:
        verbose_name = "检查"
        verbose_name_plural = "检查"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "year"]),
            # The public results list: an organisation's published results, newest first.
            models.Index(fields=["organisation", "-published_at"], name="inspection_published"),
            # The open checks of an organisation (待检查、待人工指派): a few hundred among its
            # thousands, which the to-do counts, 逾期事项 and 我的任务 read on every change
            # (issue 21 §3: 0.5–3.4 ms a count at province scale, 0.1–0.7 ms with it). By
            # status too: the coordinator's count of 待人工指派 is one range of it, not every
            # open check of a county whose quarter was just drawn (2,000 and more).
            models.Index(
                fields=["organisation", "status"],
                condition=models.Q(status__in=["assigned", "needs_team"]),
                name="inspection_open",
            ),
            # The year's results against their publication deadlines (结果公示 and its to-dos):
            # by the day they were determined, not every year's inspections of the bureau.
            models.Index(fields=["organisation", "determined_on"], name="inspection_determined"),
            # 结果公示's list of results waiting to be published, and the coordinator's to-do
            # counts of it (``selectors.publication``): the bureau's results determined and not
            # yet published, in due order. Some dozens, where the bureau's index read its
            # thousands of inspections after every change (issue 21 §3).
            models.Index(
                fields=["organisation", "publication_due", "id"],
                condition=models.Q(published_at__isnull=True, determined_on__isnull=False),
                name="inspection_unpublished",
            ),
            # The open-data API stamps a list of results with its latest public change
            # (``disclosure.selectors.latest_public_change``): the newest entry of this index,
            # where a county's MAX read each of its thousands of rows (issue 21 §1).
            models.Index(
                fields=["organisation", "public_changed_at"], name="inspection_public_changed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target}（{self.get_kind_display()}）"


#: Inspections that no longer count: cancelled with an aborted draw, or replaced by a substitute.
INACTIVE_STATUSES = (Inspection.Status.CANCELLED, Inspection.Status.SUBSTITUTED)


class InspectionMember(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="members")
    inspector = models.ForeignKey("directory.Inspector", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("顺序")
    is_lead = models.BooleanField("带队", default=False)

    # Who was on a team and when they left it (a manual assignment, a substitution).
    history = HistoricalRecords()

    class Meta:
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "inspector"], name="member_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspector}"


class InspectionPart(PermanentModel):
    """A partner department's part of a 部门联合 inspection (获嘉 二、（三） "谁检查、谁录入、
    谁公开"): its own team, matched by the task's draw from its own register, and its own
    findings, which it enters, submits and publishes itself. The bureau's part stays the
    inspection's own record; neither department edits the other's."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", "待检查"
        NEEDS_TEAM = "needs_team", "本部门人员未抽足"
        SUBMITTED = "submitted", "已提交"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="parts")
    organisation = models.ForeignKey(
        Organisation, verbose_name="联合部门", on_delete=models.PROTECT, related_name="+"
    )
    #: The department's inspectors the draw matched, in the draw's order (first leads).
    team = models.ManyToManyField(
        "directory.Inspector", verbose_name="本部门检查人员", related_name="partner_parts"
    )
    flags = models.JSONField("抽取标记", default=list, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices)
    checked_at = models.DateTimeField("检查时间", null=True, blank=True)
    result_category = models.CharField(
        "检查结果", max_length=16, choices=ResultCategory.choices, blank=True
    )
    findings = models.TextField("检查情况与发现的问题", blank=True)
    public_summary = models.TextField("公示摘要", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField("公示时间", null=True, blank=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "联合部门检查情况"
        verbose_name_plural = "联合部门检查情况"
        ordering = ["inspection", "organisation__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "organisation"], name="part_once_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection} · {self.organisation}"


class InspectionAssistant(models.Model):
    """A 专家 or 辅助人员 who joins an inspection beside its enforcement officers: 保定 三（二）
    "在满足执法检查人数要求的基础上，吸收检测机构、科研院所和专家学者等参与", from the registers of
    获嘉 一（二）(专家库) and 绛县 四、（四）(辅助检查人员名录库). Named by the coordinator with a
    reason: no plan draws them at random.

    Kept apart from ``InspectionMember`` on purpose: the team (``Inspection.team``, ``members``)
    stays the law's enforcement officers (行政处罚法 第四十二条, at least two) and the drawn team,
    so no count of the team, its lead, an inspector's load or the published draw can include an
    assistant, whatever query reads it."""

    class Role(models.TextChoices):
        EXPERT = InspectorCategory.EXPERT.value, InspectorCategory.EXPERT.label
        AUXILIARY = InspectorCategory.AUXILIARY.value, InspectorCategory.AUXILIARY.label

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="assistants")
    person = models.ForeignKey(
        "directory.Inspector", verbose_name="人员", on_delete=models.PROTECT, related_name="+"
    )
    #: The register category when added (the register may change later; the record may not).
    role = models.CharField("身份", max_length=16, choices=Role.choices)
    reason = models.CharField("参与理由", max_length=300)
    added_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField("安排时间", auto_now_add=True)

    # Who joined and who was taken off again, beside the audit entries of both acts.
    history = HistoricalRecords()

    class Meta:
        verbose_name = "专家或辅助人员"
        verbose_name_plural = "专家和辅助人员"
        ordering = ["inspection", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "person"], name="assistant_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.person}"


class ItemCheck(models.Model):
    """One item of the list checked in this inspection: 合格 / 发现问题 / 不涉及."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="item_checks")
    item = models.ForeignKey("directory.InspectionItem", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("检查结论", max_length=8, choices=ItemOutcome.choices)
    note = models.CharField("说明", max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="item_checked_once")
        ]

    def __str__(self) -> str:
        return f"{self.item}：{self.get_outcome_display()}"


class Attachment(PermanentModel):
    """A photo or document of the inspection: kept for the archive (≥ 3 years), never deleted,
    served only through a permission check."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField("材料类型", max_length=16)
    file = models.FileField(upload_to="inspections/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=255)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "检查材料"
        verbose_name_plural = "检查材料"
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}：{self.original_name}"


class FollowUp(PermanentModel):
    """后续处置 (ZH-2.6, BD-4.2): each step dated, the inspection closed when all are."""

    class Kind(models.TextChoices):
        RECTIFY = "rectify", "责令整改"
        CASE = "case", "立案调查"
        TRANSFER = "transfer", "移送其他部门"
        JUDICIAL = "judicial", "移送司法机关"

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="follow_ups")
    #: The inspection's organisation, copied onto the row: a bureau's follow-ups are then one
    #: index range, where through its inspections PostgreSQL scans the province's quarter of a
    #: million follow-ups (the to-do count on every staff page, 逾期事项, the statistics: 28 ms
    #: each at province scale; issue 21 §3). Set by ``follow_up_open`` from the inspection.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", editable=False
    )
    kind = models.CharField("处置方式", max_length=16, choices=Kind.choices)
    opened_on = models.DateField("开始日期")
    deadline = models.DateField("整改期限", null=True, blank=True)
    case_number = models.CharField("案件编号", max_length=100, blank=True)
    receiver = models.CharField("移送至", max_length=200, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    outcome = models.TextField("办结情况", blank=True)
    penalty_decided_on = models.DateField("行政处罚决定日期", null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    objects = PermanentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "后续处置"
        verbose_name_plural = "后续处置"
        ordering = ["opened_on", "pk"]
        indexes = [
            # 逾期事项 and every staff page's to-dos count a bureau's open follow-ups past their
            # deadline: a range of this index (benchmarks/load.py's pg_stat_statements: 59 ms a
            # count by deadline alone, 20–28 ms through the bureau's inspections; issue 21 §3).
            models.Index(
                fields=["organisation", "deadline"],
                condition=Q(closed_on__isnull=True),
                name="followup_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{'已办结' if self.closed_on else '办理中'}）"


REVISIT_FORMS = [
    ("direct", "直接回访"),
    ("phone", "电话回访"),
    ("survey", "问卷调查"),
    ("meeting", "组织座谈"),
    ("letter", "信函回访"),
]


class Revisit(PermanentModel):
    """回访 (获嘉 三、（四）): a completed inspection drawn for a visit, and its record."""

    inspection = models.OneToOneField(Inspection, on_delete=models.PROTECT, related_name="revisit")
    draw = models.ForeignKey("planning.Draw", on_delete=models.PROTECT, related_name="revisits")
    rank = models.PositiveIntegerField("名次")
    key = models.CharField("排序值", max_length=64)
    form = models.CharField("回访形式", max_length=16, choices=REVISIT_FORMS, blank=True)
    done_on = models.DateField("回访日期", null=True, blank=True)
    opinions = models.TextField("企业意见建议", blank=True)
    escalated = models.BooleanField("问题移交纪检监察", default=False)
    escalation_note = models.CharField("移交情况", max_length=300, blank=True)

    objects = PermanentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["draw", "rank"]

    def __str__(self) -> str:
        return f"回访 {self.inspection.target}"
