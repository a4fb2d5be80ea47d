"""The bureau's configuration: its adopted policy (a frozen preset plus dated adjustments), its
settings, the working-day calendar (national days and its own), and its 实施方案 as issued
(``PlanDocument``, the file the public policy page offers beside the parameters).

The first tables were created by the planning app and keep their names (``planning_*``); the models
moved here in migration ``bureau/0001`` without touching the database.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.permanence import PermanentModel, PermanentQuerySet, PermanentScopedQuerySet
from shuangsuiji.scoping import OrgScopedQuerySet


class OrganisationPolicy(models.Model):
    """An organisation's own copy of a preset.

    The preset's text is frozen when the organisation adopts it, so a later release of the
    software never changes a bureau's rules behind its back; the bureau's changes are dated
    adjustments on top, each with a reason.
    """

    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="policies"
    )
    preset = models.CharField("政策预设", max_length=64)
    text = models.TextField("预设原文（采用时的快照）")
    adopted_at = models.DateTimeField("采用时间", auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()
    history = HistoricalRecords(table_name="planning_historicalorganisationpolicy")

    class Meta:
        db_table = "planning_organisationpolicy"
        verbose_name = "单位政策"
        verbose_name_plural = "单位政策"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "preset"], name="policy_unique_preset_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name}：{self.preset}"


class PolicyAdjustment(PermanentModel):
    """One value a bureau changed, from a date on, with its reason. Never edited or deleted."""

    policy = models.ForeignKey(
        OrganisationPolicy, on_delete=models.PROTECT, related_name="adjustments"
    )
    path = models.CharField("参数", max_length=100)
    since = models.DateField("自何日起生效")
    value = models.JSONField("取值")
    reason = models.CharField("调整原因", max_length=300)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name="调整人",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField("调整时间", auto_now_add=True)

    objects = PermanentQuerySet.as_manager()
    history = HistoricalRecords(table_name="planning_historicalpolicyadjustment")

    class Meta:
        db_table = "planning_policyadjustment"
        verbose_name = "政策调整"
        verbose_name_plural = "政策调整"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.path} 自 {self.since}"


#: 《中华人民共和国行政处罚法》第四十二条: the floor of an inspection team.
PENALTY_LAW_ARTICLE_42 = "《中华人民共和国行政处罚法》第四十二条“执法人员不得少于两人”"


class OrganisationSettings(models.Model):
    """Per-organisation settings the plans leave to the bureau.

    The numbers below are no reading of any of the plans: they are the bureau's own defaults,
    each with the note ``BUREAU_DEFAULTS`` gives, shown as such on the settings page (help
    text) and the policy pages (``bureau.organisation_settings.bureau_default_settings``).
    """

    #: field → (note, legal or plan basis): the numbers no plan states.
    BUREAU_DEFAULTS = {
        "inspector_annual_cap": (
            "五份方案都没有规定执法人员的年度检查任务上限（绛县 四、（四）只要求“建立检查人员"
            "年度检查次数标记制度”）。平台默认每名执法人员全年最多参加 40 项检查，达到后不再被"
            "抽中，为本局默认值，局可调整。",
            "",
        ),
        "seniority_years": (
            "保定 三、（三）要求按“以老带新”原则统筹执法力量、绛县 四、（四）要求按工作年限分类"
            "标注，都没有规定何为“老同志”。平台默认参加执法工作满 3 年的为老同志（可带队），为"
            "本局默认值，局可调整。",
            "",
        ),
        "team_size": (
            "每组不少于 2 人是法律规定；每组 2 人为平台默认值（法定最少人数），"
            "局可增加，不能少于 2 人。",
            PENALTY_LAW_ARTICLE_42,
        ),
        "draft_draw_day": (
            "方案没有规定抽取日期（绛县 四、（一）只要求年度计划写明抽取时间）。"
            "生成年度计划草稿时，季度任务的抽取日期默认为该季度第一个月的 15 日，"
            "全年一次的任务为一季度第一个月的同一日；为本局默认值，草稿中的日期可逐项修改，"
            "局可调整。",
            "",
        ),
    }

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="settings"
    )
    task_name_template = models.CharField(
        "任务名称模板",
        max_length=200,
        default="{单位}{年度}年{时间}{任务类型}",
        help_text="可用：{市}、{县区}、{单位}（单位全称）、{年度}、{时间}（如“一季度”“全年”）、"
        "{任务类型}。默认按获嘉“市+县区+部门+时间+任务类型”。",
    )
    seniority_years = models.PositiveSmallIntegerField(
        "以老带新：参加执法工作满几年为老同志",
        default=3,
        help_text="本局默认值 3 年（方案未规定）：保定 三、（三）“以老带新”、"
        "绛县 四、（四）按工作年限标注，均未规定年限。",
    )
    inspector_annual_cap = models.PositiveIntegerField(
        "执法人员年度检查任务上限",
        default=40,
        help_text="本局默认值 40 项（方案未规定）：达到上限的执法人员本年度不再被抽中。",
    )
    team_size = models.PositiveSmallIntegerField(
        "每组执法人员人数",
        default=2,
        validators=[
            MinValueValidator(2, f"每组执法人员不得少于 2 人（{PENALTY_LAW_ARTICLE_42}）。")
        ],
        help_text=f"不少于 2 人：{PENALTY_LAW_ARTICLE_42}。默认 2 人（法定最少人数），局可增加。",
    )
    draft_draw_day = models.PositiveSmallIntegerField(
        "计划草稿的抽取日（每季度第一个月的几日）",
        default=15,
        validators=[
            MinValueValidator(1, "抽取日应在 1 日到 28 日之间。"),
            MaxValueValidator(28, "抽取日应在 1 日到 28 日之间（每个月都有的日子）。"),
        ],
        help_text="本局默认值 15 日（方案未规定抽取日期）：生成年度计划草稿时季度任务的抽取日期；"
        "全年一次的任务为一季度第一个月的这一日。草稿中的日期可逐项修改。",
    )
    publish_monthly = models.BooleanField("抽查结果按月集中公示", default=False)
    require_release = models.BooleanField("抽查结果须经抽查管理员发布后公示", default=False)
    publish_target_class = models.BooleanField(
        "检查对象名录公开监管类别",
        default=False,
        help_text="勾选后，公开门户的检查对象名录同时显示本季度的监管类别。",
    )

    history = HistoricalRecords(table_name="planning_historicalorganisationsettings")

    class Meta:
        db_table = "planning_organisationsettings"
        verbose_name = "单位设置"
        verbose_name_plural = "单位设置"

    def __str__(self) -> str:
        return f"{self.organisation.name}设置"


class WorkdayOverride(models.Model):
    """A day marked working or not. National (no organisation): a day of the State Council's
    notice the ``holidays`` package lacks, entered by the province's administrator, counted for
    every bureau. Local: one bureau's own adjustment (a county's 放假 or 上班 day), counted for
    that bureau's deadlines only, not for those above or below it (docs/security.md 工作日历)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name="单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="空：全国日历（国务院办公厅放假通知）；否则为该单位自己的调整。",
    )
    day = models.DateField("日期")
    is_workday = models.BooleanField("上班")
    note = models.CharField("说明", max_length=100, blank=True)

    history = HistoricalRecords(table_name="planning_historicalworkdayoverride")

    class Meta:
        db_table = "planning_workdayoverride"
        verbose_name = "工作日历调整"
        verbose_name_plural = "工作日历调整"
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day"],
                condition=models.Q(organisation__isnull=True),
                name="workday_national_once",
            ),
            models.UniqueConstraint(
                fields=["organisation", "day"],
                condition=models.Q(organisation__isnull=False),
                name="workday_local_once",
            ),
        ]

    def __str__(self) -> str:
        scope = "全国" if self.organisation_id is None else self.organisation.name
        return f"{scope} {self.day} {'上班' if self.is_workday else '放假'}"


class WorkdayYear(models.Model):
    """A year whose State Council notice the province's administrator has entered completely
    (national: it ends the provisional counting of that year for every bureau)."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "planning_workdayyear"
        verbose_name = "已确认的工作日历年份"
        verbose_name_plural = "已确认的工作日历年份"

    def __str__(self) -> str:
        return str(self.year)


def file_size_text(size: int) -> str:
    """A file's size as people read it: “1.2 MB”, “860 KB”, “532 字节”."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} 字节"


def _plan_document_path(document: PlanDocument, filename: str) -> str:
    """Stored by the bureau's code, the year and the content's hash: never the uploaded name,
    which may hold anything (the download gives the document its Chinese name again)."""
    return (
        f"plan_documents/{document.organisation.code}/{document.year}/"
        f"{document.sha256[:16]}.{document.kind}"
    )


class PlanDocument(PermanentModel):
    """实施方案 as issued, the PDF or Word file with its 文号 and 印发日期 (保定 三、（五）
    “及时公开随机抽查工作方案”; 藁城 二、（八） “年度计划、实施方案……及时向社会公开”).

    Kept for good: a new version replaces the old one, which stays listed as 已替换; a document
    published by mistake is withdrawn with its reason (it leaves the portal, never the list).
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOC = "doc", "Word 文档（.doc）"
        DOCX = "docx", "Word 文档（.docx）"

    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="plan_documents"
    )
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("标题", max_length=200)
    document_number = models.CharField("文号", max_length=50)
    issued_on = models.DateField("印发日期")
    file = models.FileField("文件", upload_to=_plan_document_path, max_length=255)
    kind = models.CharField("文件类型", max_length=8, choices=Kind.choices)
    original_name = models.CharField("上传时的文件名", max_length=255)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User",
        verbose_name="上传人",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text="空：命令行的操作员。",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name="替换为",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User",
        verbose_name="撤回人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.CharField("撤回原因", max_length=300, blank=True)

    objects = PermanentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "实施方案文件"
        verbose_name_plural = "实施方案文件"
        ordering = ["-year", "-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawal_reason=""),
                name="plan_document_withdrawn_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"《{self.title}》（{self.document_number}）"

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "已撤回"
        if self.replaced_by_id is not None:
            return "已替换"
        return "现行"

    @property
    def size_text(self) -> str:
        return file_size_text(self.size)

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None and self.replaced_by_id is None
