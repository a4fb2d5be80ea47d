"""一单两库: the target and inspector registers, the item list, and the 监管记录 events.

Rows are never deleted: a target leaves the register by ``in_register=False`` with a reason
(its 经营状态 停产/注销 is separate data from the bureau's files), an inspector by
``in_register=False`` (调离). Every change is kept by django-simple-history with who and why.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.crypto import EncryptedCharField
from shuangsuiji.directory import codes
from shuangsuiji.directory.vocabulary import (
    AirRating,
    CreditRating,
    EventKind,
    InspectionMethod,
    InspectorCategory,
    ItemClass,
    OperatingStatus,
    PermitCategory,
    TargetType,
)
from shuangsuiji.jobs import UNFINISHED, JobStatus
from shuangsuiji.permanence import (
    PermanentModel,
    PermanentRecordError,
    PermanentScopedQuerySet,
)
from shuangsuiji.scoping import OrgScopedQuerySet


def division_code_validator(value: str) -> None:
    """A 行政区划代码 typed on a register's form, held to the importer's rule."""
    problem = codes.division_problem(value)
    if problem:
        raise ValidationError(f"{problem}。")


def tag_filter(field: str, tag: str) -> models.Q:
    """Match one tag in a comma-joined tag field without matching 辐射 inside 核与辐射."""
    return (
        models.Q(**{field: tag})
        | models.Q(**{f"{field}__startswith": f"{tag},"})
        | models.Q(**{f"{field}__endswith": f",{tag}"})
        | models.Q(**{f"{field}__contains": f",{tag},"})
    )


class TaggedMixin:
    tags: str

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


class Target(TaggedMixin, PermanentModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="targets"
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    project_code = models.CharField("项目代码", max_length=64, blank=True, default="")
    name = models.CharField("单位名称", max_length=200)
    target_type = models.CharField(
        "对象类型", max_length=16, choices=TargetType.choices, default=TargetType.POLLUTER
    )
    address = models.CharField("单位地址", max_length=300, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=100, blank=True)
    division_code = models.CharField(
        "行政区划代码", max_length=6, blank=True, validators=[division_code_validator]
    )
    area = models.CharField("执法片区", max_length=100, blank=True)
    industry = models.CharField("行业类别", max_length=100, blank=True)
    permit_category = models.CharField(
        "排污许可管理类别",
        max_length=16,
        choices=PermitCategory.choices,
        default=PermitCategory.NONE,
    )
    key_polluter = models.BooleanField("重点排污单位", default=False)
    positive_list = models.BooleanField("正面清单", default=False)
    air_rating = models.CharField(
        "大气绩效评级", max_length=8, choices=AirRating.choices, default=AirRating.NONE
    )
    credit_rating = models.CharField(
        "信用等级", max_length=8, choices=CreditRating.choices, default=CreditRating.NONE
    )
    offsite_capable = models.BooleanField("具备非现场监管条件", default=False)
    high_risk = models.BooleanField("其他高风险", default=False)
    tags = models.CharField("要素标签", max_length=200, blank=True)
    status = models.CharField(
        "经营状态",
        max_length=16,
        choices=OperatingStatus.choices,
        default=OperatingStatus.OPERATING,
    )
    in_register = models.BooleanField("在库", default=True)
    removal_reason = models.CharField("移出名录原因", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "检查对象"
        verbose_name_plural = "检查对象名录库"
        ordering = ["name", "project_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "credit_code", "project_code"],
                name="target_unique_code_per_organisation",
                violation_error_message="本单位已有相同统一社会信用代码（和项目代码）的检查对象。",
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "credit_code"]),
            # The public enterprise search looks a code up across every organisation.
            models.Index(fields=["credit_code"], name="target_credit_code"),
            # 企业查询 lists the first names in order: for a common word (“公司”, nearly every
            # name) PostgreSQL walks this index and stops at the fiftieth match, where sorting
            # the hundreds of thousands of matches took 0.4 s (selectors.enterprise_rows).
            models.Index(fields=["name", "credit_code", "organisation"], name="target_name_order"),
            # The open-data API stamps a register's first view with its latest change
            # (``disclosure.selectors.latest_target_change``): the newest entry of this index,
            # where a county's MAX read each of its thousands of rows (issue 21 §1).
            models.Index(fields=["organisation", "updated_at"], name="target_updated"),
            # 检查对象名录库 read page by page in its public order (the open-data API, the
            # portal's page; ``disclosure.selectors.public_targets``): PostgreSQL reads a page
            # from this index alone, passing over the entries before it, where it read every
            # row of the organisation and sorted them (3 ms for a county of 2,500); with every
            # column the pages read in the index, no row is visited. One plan then serves every
            # organisation and page, so the API's query is planned once per connection.
            models.Index(
                fields=["organisation", "name", "credit_code", "id", "address", "project_code"],
                condition=models.Q(in_register=True),
                name="target_register_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.project_code}）" if self.project_code else self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=["targets", self.pk])

    @property
    def draw_id(self) -> str:
        return pool_id(self.project_code, self.credit_code)


def pool_id(project_code: str, credit_code: str) -> str:
    """The id a target has in a draw pool (``Target.draw_id``): the project code for a
    construction project, else the 统一社会信用代码."""
    return project_code or credit_code


class RegulatoryEventQuerySet(OrgScopedQuerySet):
    def delete(self):
        # Imported and entered records are evidence and stay. Only a record derived from an
        # inspection's result (本级检查发现问题) goes, with the result it came from when that is
        # reopened; simple-history and the audit log keep the withdrawal.
        if self.exclude(source=DERIVED_EVENT_SOURCE).exists():
            raise PermanentRecordError(self.model._meta.verbose_name)
        return super().delete()

    delete.queryset_only = True


#: ``RegulatoryEvent.source`` of a record a submitted result made.
DERIVED_EVENT_SOURCE = "inspection"


class RegulatoryEvent(models.Model):
    """A 监管记录 the classification rules read (行政处罚决定, 挂牌督办 …)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="events"
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18, db_index=True)
    kind = models.CharField("记录类型", max_length=32, choices=EventKind.choices)
    date = models.DateField("日期")
    reference = models.CharField("文号或说明", max_length=300, blank=True)
    source = models.CharField("来源", max_length=16, default="import")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = RegulatoryEventQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "监管记录"
        verbose_name_plural = "监管记录"
        ordering = ["-date", "credit_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "credit_code", "kind", "date", "reference"],
                name="event_unique_per_organisation",
                violation_error_message="本单位已有完全相同的监管记录。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.credit_code} {self.get_kind_display()} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=["events", self.pk])

    def delete(self, *args, **kwargs):
        if self.source != DERIVED_EVENT_SOURCE:
            raise PermanentRecordError(self._meta.verbose_name)
        return super().delete(*args, **kwargs)


class InspectorQuerySet(PermanentScopedQuerySet):
    def drawable(self) -> "InspectorQuerySet":
        """The inspectors a draw, a team or a quota may count on (``Inspector.can_be_drawn``):
        in the register, 在编在岗, and 执法人员; 辅助人员 and 专家 are never the law's two
        inspectors."""
        return self.filter(in_register=True, on_duty=True, category=InspectorCategory.ENFORCEMENT)


class Inspector(TaggedMixin, PermanentModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="inspectors"
    )
    name = models.CharField("姓名", max_length=50)
    certificate_no = models.CharField(
        "执法证号",
        max_length=64,
        validators=[
            RegexValidator(r"^[0-9A-Za-z_-]{1,64}$", "执法证号只能由字母、数字、- 和 _ 组成。")
        ],
    )
    #: Encrypted at rest; the pages show it masked (codes.mask_id_number).
    id_number = EncryptedCharField("身份证号", plain_length=18, blank=True)
    #: Encrypted at rest too; shown masked (codes.mask_phone).
    phone = EncryptedCharField("联系电话", plain_length=20, blank=True)
    department = models.CharField("所属部门", max_length=100, blank=True)
    unit = models.CharField("执法机构", max_length=100, blank=True)
    area = models.CharField("执法片区", max_length=100, blank=True)
    tags = models.CharField("业务专长", max_length=200, blank=True)
    start_year = models.PositiveSmallIntegerField(
        "参加执法工作年份", null=True, blank=True, validators=[MinValueValidator(1950)]
    )
    category = models.CharField(
        "人员类别",
        max_length=16,
        choices=InspectorCategory.choices,
        default=InspectorCategory.ENFORCEMENT,
    )
    on_duty = models.BooleanField("在编在岗", default=True)
    in_register = models.BooleanField("在库", default=True)
    removal_reason = models.CharField("移出名录原因", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = InspectorQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "执法检查人员"
        verbose_name_plural = "执法检查人员名录库"
        ordering = ["certificate_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "certificate_no"],
                name="inspector_unique_certificate_per_organisation",
                violation_error_message="本单位已有相同执法证号的执法检查人员。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_no}）"

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=["inspectors", self.pk])

    @property
    def can_be_drawn(self) -> bool:
        """Only on-duty 执法人员 are drawn as the law's two inspectors; 辅助人员 and 专家 never.
        The same rule as ``Inspector.objects.drawable()``, for one row already loaded."""
        return self.in_register and self.on_duty and self.category == InspectorCategory.ENFORCEMENT


class InspectionItem(TaggedMixin, PermanentModel):
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="items"
    )
    sequence = models.PositiveIntegerField("序号", null=True, blank=True)
    category = models.CharField("抽查类别", max_length=100)
    name = models.CharField("抽查事项", max_length=200)
    target_scope = models.CharField("检查对象", max_length=200)
    item_class = models.CharField("事项类别", max_length=16, choices=ItemClass.choices)
    methods = models.CharField("检查方式", max_length=100, blank=True)
    subject = models.CharField("检查主体", max_length=200, blank=True)
    basis = models.TextField("检查依据", blank=True)
    tags = models.CharField("要素标签", max_length=200, blank=True)
    confidential = models.BooleanField("涉密", default=False)
    in_register = models.BooleanField("在清单", default=True)
    removal_reason = models.CharField("移出清单原因", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "随机抽查事项"
        verbose_name_plural = "随机抽查事项清单"
        ordering = ["sequence", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category", "name"],
                name="item_unique_per_organisation",
                violation_error_message="本单位的事项清单中已有同一抽查类别下的同名事项。",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=["items", self.pk])

    @property
    def method_list(self) -> list[str]:
        return [m for m in self.methods.split(",") if m]

    @property
    def methods_display(self) -> str:
        labels = dict(InspectionMethod.choices)
        return "、".join(labels.get(m, m) for m in self.method_list)


class JointItem(PermanentModel):
    """一业一查 (遵化 二、（二） "以全市“一业一查”部门联合随机抽查事项清单为指导"): the city's
    list of 部门联合 random-check items by 行业, with the lead and partner departments, imported
    by the bureau into its own register, each row naming the bureau's own items it covers
    (本局对应事项) so a joint task of that 行业 takes its items from it."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="joint_items"
    )
    sequence = models.PositiveIntegerField("序号", null=True, blank=True)
    industry = models.CharField("行业领域", max_length=100)
    name = models.CharField("联合抽查事项", max_length=200)
    lead = models.CharField("牵头部门", max_length=100)
    partners = models.CharField("配合部门", max_length=300, blank=True)
    own_items = models.CharField("本局对应事项", max_length=1000, blank=True)
    basis = models.TextField("检查依据", blank=True)
    in_register = models.BooleanField("在清单", default=True)
    removal_reason = models.CharField("移出清单原因", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PermanentScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "一业一查联合抽查事项"
        verbose_name_plural = "一业一查部门联合抽查事项清单"
        ordering = ["sequence", "industry", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "industry", "name"],
                name="joint_item_unique_per_organisation",
                violation_error_message="本单位的一业一查清单中已有同一行业领域下的同名事项。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.industry}：{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=["joint_items", self.pk])

    @property
    def own_item_names(self) -> list[str]:
        return [n for n in self.own_items.split("、") if n]

    @property
    def partner_names(self) -> list[str]:
        return [n for n in self.partners.split("、") if n]


class ImportBatch(models.Model):
    """One uploaded workbook: validated, previewed, then applied (or refused) as a whole.

    The file is stored encrypted (``uploads``) while the batch waits for the bureau, and deleted
    once it is applied, has failed, is abandoned (放弃, or replaced by a newer upload of the same
    register) or has waited longer than ``SHUANGSUIJI_IMPORT_KEEP_HOURS``; the row stays, saying
    when and why the file went.
    """

    class Status(models.TextChoices):
        VALIDATING = "validating", "校验中"
        INVALID = "invalid", "有错误，未导入"
        PREVIEW = "preview", "待确认"
        APPLYING = "applying", "导入中"
        APPLIED = "applied", "已导入"
        FAILED = "failed", "导入失败"
        ABANDONED = "abandoned", "已放弃，未导入"

    #: Statuses in which the file is still wanted: to apply it, or to mark up its errors.
    WAITING = (Status.PREVIEW, Status.INVALID)

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    register = models.CharField("名录", max_length=16)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField("原文件名", max_length=255)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATING)
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)
    #: The first SHUANGSUIJI_IMPORT_MAX_PROBLEMS problems (and a line counting the rest).
    problems = models.JSONField(default=list)
    #: Every problem found, listed or not: the pages read this, never ``problems``, to count.
    problem_count = models.PositiveIntegerField("问题数", default=0)
    reason = models.CharField("导入原因", max_length=300, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    file_removed_at = models.DateTimeField("原文件删除时间", null=True, blank=True)
    file_removed_reason = models.CharField("原文件删除原因", max_length=100, blank=True)
    #: The queued validation (django-tasks' result id): the page says 排队中 while it waits.
    task_id = models.CharField("校验任务", max_length=64, blank=True, editable=False)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def expires_at(self):
        return self.created_at + timedelta(hours=settings.SHUANGSUIJI_IMPORT_KEEP_HOURS)

    @property
    def expired(self) -> bool:
        """Waited too long: the file counts as abandoned even before a purge deletes it."""
        return self.status in self.WAITING and timezone.now() >= self.expires_at

    @property
    def has_file(self) -> bool:
        """The uploaded file is still there to apply or to mark up."""
        return bool(self.file) and self.file_removed_at is None and not self.expired


class TaskWorker(models.Model):
    """A running ``shuangsuiji worker`` (issue 21 §5). It writes ``seen_at`` every
    SHUANGSUIJI_WORKER_HEARTBEAT_SECONDS; a worker not seen within
    SHUANGSUIJI_WORKER_LEASE_SECONDS, or whose process on this machine is gone, is dead, and the
    task it was running is queued again (``directory.tasks.tasks_recover``). Its row goes when it
    stops, or when another worker finds it dead."""

    #: The id django-tasks-db records on each task it claims (``DBTaskResult.worker_ids``).
    worker_id = models.CharField("进程标识", max_length=64, primary_key=True)
    hostname = models.CharField("主机", max_length=255)
    pid = models.PositiveIntegerField("进程号")
    started_at = models.DateTimeField("启动时间", auto_now_add=True)
    seen_at = models.DateTimeField("最近心跳", db_index=True)

    class Meta:
        verbose_name = "后台任务进程"
        verbose_name_plural = "后台任务进程"

    def __str__(self) -> str:
        return f"{self.hostname} 进程 {self.pid}"


class ExportJob(models.Model):
    """A register export too large to build within its request (issue 21 §5), built by the task
    ``directory.tasks.register_export_build`` and downloaded from its page.

    The file holds what the export holds: the owning 抽查管理员's export carries 身份证号 and
    联系电话 unmasked (to be imported back), so it is stored encrypted like an upload
    (``uploads.seal``) and kept SHUANGSUIJI_EXPORT_KEEP_HOURS after it is built; then
    ``services.export_files_purge`` deletes it and the row says when. Only the user who asked for it
    downloads it: the rows and the masking are his.
    """

    Status = JobStatus
    UNFINISHED = UNFINISHED

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    register = models.CharField("名录", max_length=16)
    #: The list page's filters as they were asked for (a query string): the task rebuilds
    #: exactly those rows, however often it runs.
    query = models.TextField("筛选条件", blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField("行数", default=0)
    file = models.FileField("文件", upload_to="exports/%Y/%m/", blank=True)
    filename = models.CharField("下载文件名", max_length=255)
    message = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    file_removed_at = models.DateTimeField("文件删除时间", null=True, blank=True)
    #: The queued build (django-tasks' result id).
    task_id = models.CharField("导出任务", max_length=64, blank=True, editable=False)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "名录导出"
        verbose_name_plural = "名录导出"

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("directory:export_job", args=[self.pk])

    @property
    def expires_at(self):
        if self.finished_at is None:
            return None
        return self.finished_at + timedelta(hours=settings.SHUANGSUIJI_EXPORT_KEEP_HOURS)

    @property
    def has_file(self) -> bool:
        """The built file is there to download (a purge deletes it once it has expired)."""
        return (
            self.status == self.Status.DONE
            and bool(self.file)
            and self.file_removed_at is None
            and timezone.now() < self.expires_at
        )
