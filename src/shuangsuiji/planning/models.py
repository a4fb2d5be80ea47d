from django.db import models
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.draw import partner_file
from shuangsuiji.permanence import (
    PermanentModel,
    PermanentQuerySet,
    PermanentScopedQuerySet,
)
from shuangsuiji.scoping import OrgScopedQuerySet


class AnnualPlan(PermanentModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已提交，待审批"
        APPROVED = "approved", "已审批，待公开"
        PUBLISHED = "published", "已公开"
        ADJUSTING = "adjusting", "调整中"

    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="plans"
    )
    year = models.PositiveSmallIntegerField("年度")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveSmallIntegerField("版本", default=1)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User", verbose_name="审批人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    adjustment_reason = models.CharField("调整原因", max_length=300, blank=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度抽查计划"
        verbose_name_plural = "年度抽查计划"
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year"],
                name="plan_unique_year_per_organisation",
                violation_error_message="本单位该年度已有抽查计划。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.year} 年度抽查计划"

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.ADJUSTING)

    @property
    def drawable(self) -> bool:
        """Tasks are drawn once the plan is public (无计划清单不检查); a plan published before
        stays in force while an adjustment is made, approved and published again."""
        return self.status == self.Status.PUBLISHED or self.version > 1


class PlanReview(PermanentModel):
    """Each step of a plan version's approval: 提交审批, 审批印发 or 退回修改, with its comment,
    so the 领导's opinion and any send-back stay with the plan."""

    class Decision(models.TextChoices):
        SUBMITTED = "submitted", "提交审批"
        APPROVED = "approved", "审批印发"
        RETURNED = "returned", "退回修改"

    plan = models.ForeignKey(AnnualPlan, on_delete=models.PROTECT, related_name="reviews")
    version = models.PositiveSmallIntegerField("版本")
    decision = models.CharField("环节", max_length=16, choices=Decision.choices)
    comment = models.CharField("意见", max_length=500, blank=True)
    actor = models.ForeignKey(
        "accounts.User", verbose_name="经办人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField("时间", auto_now_add=True)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "计划审批记录"
        verbose_name_plural = "计划审批记录"
        ordering = ["plan", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.plan} 第 {self.version} 版 {self.get_decision_display()}"


class PlanRevision(PermanentModel):
    """Each published version of a plan, frozen, so the adjustment history stays public."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveSmallIntegerField("版本")
    published_at = models.DateTimeField("公开时间")
    reason = models.CharField("调整原因", max_length=300, blank=True)
    snapshot = models.JSONField("计划内容")

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "计划版本"
        verbose_name_plural = "计划版本"
        ordering = ["plan", "version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="revision_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.plan} 第 {self.version} 版"


def period_label(quarter: int | None) -> str:
    """A task's period as the lists name it: 一季度 to 四季度, or 全年 for a task of the year."""
    return f"{'一二三四'[quarter - 1]}季度" if quarter else "全年"


class SamplingTask(PermanentModel):
    class Kind(models.TextChoices):
        UNDIRECTED = "undirected", "不定向抽查"
        DIRECTED = "directed", "定向抽查"

    class Scope(models.TextChoices):
        OWN = "own", "本部门"
        INTERNAL_JOINT = "internal_joint", "内部联合"
        DEPARTMENT_JOINT = "department_joint", "部门联合"

    plan = models.ForeignKey(AnnualPlan, on_delete=models.PROTECT, related_name="tasks")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField("序号")
    number = models.CharField("任务编号", max_length=16)
    name = models.CharField("抽查任务名称", max_length=200)
    kind = models.CharField(
        "抽查类型", max_length=16, choices=Kind.choices, default=Kind.UNDIRECTED
    )
    scope = models.CharField("联合类型", max_length=20, choices=Scope.choices, default=Scope.OWN)
    #: 1–4 for a quarterly task, null for a task drawn once for the whole year.
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)
    classes = models.JSONField("抽取类别", default=list)
    items = models.ManyToManyField(
        "directory.InspectionItem", verbose_name="抽查事项", blank=True, related_name="tasks"
    )
    target_scope = models.TextField("抽查对象范围")
    ratio_text = models.TextField("抽查比例或数量")
    draw_date = models.DateField("抽取时间")
    #: 检查时限 (保定 三、（三）, 绛县 四、（五）4): set at plan generation from the policy's
    #: ``inspection_deadline`` (``policy.inspection_deadline``), changed by the coordinator while
    #: the plan is editable; empty for a task made before deadlines existed until it is set.
    inspection_deadline = models.DateField("检查时限", null=True, blank=True)
    initiator = models.CharField("发起主体", max_length=200)
    guidance_unit = models.CharField("指导单位", max_length=200, blank=True)
    basis = models.TextField("检查依据")
    partners = models.JSONField("联合部门", default=list, blank=True)
    #: The partners registered on the platform (``OrganisationLevel.PARTNER``): their inspectors
    #: are matched by this task's draw from their own registers, and each enters and publishes
    #: its own part of every inspection (获嘉 二、（一）–（三） 谁检查、谁录入、谁公开).
    #: ``partners`` keeps every partner's name, registered or not.
    partner_departments = models.ManyToManyField(
        Organisation, verbose_name="联合部门（已登记）", blank=True, related_name="joint_tasks"
    )
    lead_department = models.CharField("牵头部门", max_length=200, blank=True)
    #: 一业一查 (遵化 二、（二）): the 行业 of the city's joint list the task follows; its items
    #: are the bureau's items that list links to that 行业 (``directory.JointItem``).
    joint_industry = models.CharField("一业一查行业领域", max_length=100, blank=True)
    #: 定向抽查 (藁城 二、（六）, 遵化 二、（四）): the pool restricted to an industry, an area, a
    #: 要素 or a period of records (``policy.targeting``); empty for an undirected task.
    filters = models.JSONField("定向抽查范围", default=dict, blank=True)
    #: A task's own share of each drawn class, e.g. {"ratio": "10%"} for a 专项 task added
    #: through the adjustment procedure; empty: the plan's quota of each class.
    sample = models.JSONField("本任务抽查比例", default=dict, blank=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[items, partner_departments])

    class Meta:
        verbose_name = "抽查任务"
        verbose_name_plural = "抽查任务"
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="task_unique_sequence"),
            models.UniqueConstraint(
                fields=["organisation", "number"], name="task_unique_number_per_organisation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def period_label(self) -> str:
        return period_label(self.quarter)


class ConflictOfInterest(models.Model):
    """回避: an inspector who must not inspect a target, with the reason."""

    class DeclaredBy(models.TextChoices):
        INSPECTOR = "inspector", "执法人员本人申报"
        COORDINATOR = "coordinator", "抽查管理员录入"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        "directory.Inspector", verbose_name="执法人员", on_delete=models.PROTECT,
        related_name="conflicts",
    )  # fmt: skip
    target = models.ForeignKey(
        "directory.Target", verbose_name="检查对象", on_delete=models.PROTECT,
        related_name="conflicts",
    )  # fmt: skip
    reason = models.CharField("回避原因", max_length=300)
    declared_by = models.CharField("来源", max_length=16, choices=DeclaredBy.choices)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField("有效", default=True)

    objects = OrgScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "回避"
        verbose_name_plural = "回避"
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "target"],
                condition=models.Q(active=True),
                name="conflict_unique_active_pair",
                violation_error_message="该执法人员对该检查对象已有回避记录。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspector} 回避 {self.target}"


#: The bundle files public before reveal, and those only the bureau's auditors ever hold: the
#: inspectors' roster (load, cap, seniority) and the 回避 pairs; the commitment publishes their
#: Merkle roots, which is all a citizen's verify needs.
PRE_REVEAL_PUBLIC = ("params.json", "pool.txt", "commitment.json")
AUDITORS_ONLY = ("roster.txt", "conflicts.txt")
#: 部门联合: the partner departments' rosters stay with the auditors like roster.txt.
PARTNER_PREFIX = partner_file("")[: -len(".txt")]


class Draw(PermanentModel):
    """One random draw of a task: the bundle of SHUANGSUIJI-DRAW-v1, kept byte for byte."""

    class Status(models.TextChoices):
        COMMITTED = "committed", "已承诺，待录入随机源"
        #: The sources' values are recorded (irreversible); a large pool is drawn by the worker.
        DRAWING = "drawing", "抽取中"
        DRAWN = "drawn", "已抽取，名单保密"
        REVEALED = "revealed", "已公开"
        ABORTED = "aborted", "作废"

    #: The statuses whose list (and salt) is public: revealed, or aborted in public.
    LIST_PUBLIC = (Status.REVEALED, Status.ABORTED)

    class Step(models.IntegerChoices):
        """Where a draw 抽取中 stands (issue 21 §5): the worker writes each step as it starts."""

        QUEUED = 0, "排队等待后台任务进程"
        COMPUTE = 1, "计算随机种子、抽取并匹配检查组"
        INSPECTIONS = 2, "生成检查任务"

    task = models.ForeignKey(SamplingTask, on_delete=models.PROTECT, related_name="draws")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    draw_id = models.CharField("抽取编号", max_length=64, unique=True)
    attempt = models.PositiveSmallIntegerField("第几次抽取", default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMMITTED)
    quarter = models.CharField("季度", max_length=8)
    # The bundle's files exactly as published: their hashes are what the commitment binds.
    params = models.TextField()
    pool = models.TextField()
    roster = models.TextField()
    conflicts = models.TextField()
    #: 部门联合: each partner department's roster.txt, by department code (auditors only).
    partner_rosters = models.JSONField("联合部门执法人员名录", default=dict, blank=True)
    commitment = models.TextField()
    entropy = models.TextField(blank=True)
    result = models.TextField(blank=True)
    #: Each pooled unit's inspection method (现场/非现场 …) as classified at commit, frozen with
    #: the pool so that the draw, and any substitution, never re-read the live register.
    methods = models.JSONField("检查方式（承诺时冻结）", default=dict, blank=True)
    #: Each pooled unit's 信用等级 as the draw weighted it (its pool ``weight`` follows from the
    #: bureau's grading), frozen at commit, so that the checks sampled with the grading can be
    #: told later (遵化 二、（三） 运用信用风险分级分类的抽查次数占比).
    grades = models.JSONField("信用等级（承诺时冻结）", default=dict, blank=True)
    #: revisit.json: the 回访 sample drawn from this draw's seed (docs/draw-spec.md), published
    #: with the bundle once taken, so anyone can recompute it with ``shuangsuiji draw verify``.
    revisit = models.TextField("回访名单", blank=True)
    #: draw-spec v2: withheld.txt, the exclusions resting on earlier lists not public at commit,
    #: kept with the salt and published with it; and those earlier draws (empty for v1).
    withheld = models.TextField("暂不公开的排除", blank=True)
    withheld_from = models.JSONField("排除所依据的此前抽取", default=list, blank=True)
    #: Secret until reveal (or abort): nothing in the app shows it before.
    salt = models.BinaryField(editable=False)
    reveal_on = models.DateField("最迟公开日期")
    committed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    committed_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    drawn_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    aborted_at = models.DateTimeField(null=True, blank=True)
    aborted_reason = models.CharField("作废原因", max_length=300, blank=True)
    #: Why the draw was committed before its task's quarter began (issue 19 §5): drawing ahead
    #: leaves the list secret for longer, so the reason is recorded and shown with the draw.
    ahead_reason = models.CharField("提前抽取原因", max_length=300, blank=True)
    verified = models.BooleanField("服务器端核验通过", null=True)
    #: A draw of more candidates than SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES is computed by the
    #: worker: the queued task (django-tasks result id) and the step it has reached.
    background_task = models.CharField("后台抽取任务", max_length=64, blank=True)
    drawing_step = models.PositiveSmallIntegerField(
        "抽取进度", choices=Step.choices, default=Step.QUEUED
    )

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["salt"])

    class Meta:
        verbose_name = "随机抽取"
        verbose_name_plural = "随机抽取"
        ordering = ["-committed_at"]
        constraints = [
            # A task has at most one live draw: a redraw needs the old one aborted, in public.
            models.UniqueConstraint(
                fields=["task"],
                condition=~models.Q(status="aborted"),
                name="draw_one_live_per_task",
                violation_error_message="该任务已有一次未作废的抽取。",
            ),
            models.UniqueConstraint(fields=["task", "attempt"], name="draw_unique_attempt"),
        ]

    def __str__(self) -> str:
        return self.draw_id

    def withheld_pending(self) -> list[str]:
        """The earlier draws of ``withheld_from`` whose lists are not public yet."""
        if not self.withheld_from:
            return []
        public = Draw.objects.filter(
            draw_id__in=self.withheld_from, status__in=Draw.LIST_PUBLIC
        ).values_list("draw_id", flat=True)
        return sorted(set(self.withheld_from) - set(public))

    @property
    def salt_public(self) -> bool:
        """Revealed, or aborted in public. An aborted v2 draw keeps its salt and withheld file
        until the earlier lists they rest on are public: with the salt, the withheld
        commitment could be tested against guessed lists."""
        if self.status not in Draw.LIST_PUBLIC:
            return False
        return self.status == Draw.Status.REVEALED or not self.withheld_pending()

    def public_files(self) -> dict[str, bytes]:
        """What anyone outside the bureau may hold: before reveal the params, the pool and the
        commitment only; at reveal the entropy, the result and the salt join them (the salt also
        at an abort). The roster and the conflicts of interest stay with the bureau's auditors."""
        files = self.bundle_files(with_salt=self.salt_public)
        if not self.salt_public:
            files = {name: files[name] for name in PRE_REVEAL_PUBLIC}
        return {
            name: content
            for name, content in files.items()
            if name not in AUDITORS_ONLY and not name.startswith(PARTNER_PREFIX)
        }

    def bundle_files(self, *, with_salt: bool) -> dict[str, bytes]:
        files = {
            "params.json": self.params.encode(),
            "pool.txt": self.pool.encode(),
            "roster.txt": self.roster.encode(),
            "conflicts.txt": self.conflicts.encode(),
            **{partner_file(code): r.encode() for code, r in self.partner_rosters.items()},
            "commitment.json": self.commitment.encode(),
        }
        if self.entropy:
            files["entropy.json"] = self.entropy.encode()
        if self.result:
            files["result.json"] = self.result.encode()
        if self.revisit:
            files["revisit.json"] = self.revisit.encode()
        if with_salt:
            files["salt.hex"] = bytes(self.salt).hex().encode() + b"\n"
            if self.withheld_from:
                files["withheld.txt"] = self.withheld.encode()
        return files


SOURCE_TYPES = [("lottery", "彩票开奖"), ("drand", "drand 随机信标"), ("witness", "见证人数字")]


#: The columns of a draw that hold its files and frozen inputs: megabytes for a large pool. A
#: list of inspections shows a draw's id, status and reveal date, so it reads the draw without
#: them (``defer(*DRAW_FILES_OF_INSPECTION)`` beside ``select_related("draw")``).
DRAW_FILES = (
    "params", "pool", "roster", "conflicts", "partner_rosters", "commitment", "entropy",
    "result", "methods", "grades", "revisit", "withheld", "withheld_from", "salt",
)  # fmt: skip
DRAW_FILES_OF_INSPECTION = tuple(f"draw__{name}" for name in DRAW_FILES)


class DrawSource(PermanentModel):
    """A public random source named at commit, and its value once it exists."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="sources")
    position = models.PositiveSmallIntegerField()
    type = models.CharField("类型", max_length=32)
    label = models.CharField("名称", max_length=200)
    value = models.CharField("取值", max_length=200, blank=True)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "公开随机源"
        verbose_name_plural = "公开随机源"
        ordering = ["draw", "position"]

    def __str__(self) -> str:
        return self.label

    @property
    def type_label(self) -> str:
        return dict(SOURCE_TYPES).get(self.type, self.type)


SUBSTITUTION_REASONS = [
    ("cancelled", "已注销"),
    ("suspended", "已停产"),
    ("unreachable", "无法联系"),
    ("inspected_elsewhere", "已被其他部门检查"),
    ("relocated", "已迁出本辖区"),
    ("no_activity", "未开展本次抽查涉及的经营活动"),
]


class Substitution(PermanentModel):
    """A selected unit replaced by the next on the reserve list, with reason and evidence."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="substitutions")
    stratum = models.CharField(max_length=32)
    replaced_unit = models.CharField(max_length=64)
    substitute_unit = models.CharField(max_length=64)
    reason = models.CharField("原因", max_length=32, choices=SUBSTITUTION_REASONS)
    evidence = models.CharField("依据", max_length=300)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "替补"
        verbose_name_plural = "替补"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "replaced_unit"], name="substitute_once"),
            models.UniqueConstraint(
                fields=["draw", "substitute_unit"], name="substitute_used_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.replaced_unit} → {self.substitute_unit}"


class ManualAssignment(PermanentModel):
    """A team the coordinator assigned by hand to a task the matching could not staff."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="manual_assignments")
    unit = models.CharField(max_length=64)
    team = models.JSONField("执法人员（执法证号）")
    flags = models.JSONField("抽取时的标记", default=list)
    reason = models.CharField("原因", max_length=300)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "人工指派"
        verbose_name_plural = "人工指派"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.unit}：{'、'.join(self.team)}"


class JointParticipation(PermanentModel):
    """The bureau's part in a 部门联合 check another department led (保定 三、（四） "主动发起
    和积极参与部门联合抽查，年度不少于3次"): the lead department's task, the day, and the papers
    that prove it. It counts beside the bureau's own 部门联合 tasks (保定's ≥ 3 a year, 获嘉
    二 部门联合抽查任务数占比)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="参与单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    lead_department = models.CharField("牵头部门", max_length=100)
    task_number = models.CharField("牵头部门任务编号", max_length=50)
    task_name = models.CharField("抽查任务名称", max_length=200)
    checked_on = models.DateField("检查日期")
    targets = models.CharField("检查对象", max_length=500)
    officers = models.CharField("本局参加人员", max_length=200)
    #: The papers that prove it: the lead's 任务书 or 通知 文号, the 检查记录 numbers.
    documents = models.CharField("文书编号", max_length=300)
    note = models.CharField("说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", verbose_name="登记人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "参与其他部门联合抽查"
        verbose_name_plural = "参与其他部门联合抽查"
        ordering = ["organisation", "checked_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "lead_department", "task_number"],
                name="participation_unique_per_lead_task",
                violation_error_message="已登记过参与该牵头部门的这项任务。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_department} {self.task_number} {self.task_name}"
