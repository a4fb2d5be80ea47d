"""Exchange batches: what was handed to the outside systems, and when (issue 20 §6).

获嘉 一、（四） sends the results to 国家企业信用信息公示系统, 绛县 六、二 keeps the 一单两库 and
the results on the province's platform, 绛县 四、（七） and 遵化 二、（六） put penalties into the
credit system. Each export is a numbered batch per organisation and kind holding only what
changed since the previous one; ``ExchangeRow`` remembers what was last sent of every row, so the
next batch can tell an addition from a change or a withdrawal. ``ExchangeAttempt`` records every
push of a batch to a province's endpoint and what it accepted.

The files themselves live under ``MEDIA_ROOT/exchange/`` (``ExchangeBatch.directory``), so the
backup carries them with the rows that describe them.
"""

from __future__ import annotations

from django.db import models

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.jobs import UNFINISHED, JobStatus
from shuangsuiji.scoping import OrgScopedQuerySet


class ExchangeKind(models.TextChoices):
    RESULTS = "results", "抽查检查结果"
    REGISTERS = "registers", "两库一单"
    PENALTIES = "penalties", "行政处罚信息"


class ExchangeBatch(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name="单位", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("交换内容", max_length=16, choices=ExchangeKind.choices)
    sequence = models.PositiveIntegerField("批次号")
    #: The previous batch's ``through``; empty for the first batch (everything is new).
    since = models.DateTimeField("起始时间", null=True, blank=True)
    #: When the rows were read: the batch holds every change up to this moment.
    through = models.DateTimeField("截至时间")
    added = models.PositiveIntegerField("新增", default=0)
    changed = models.PositiveIntegerField("变更", default=0)
    withdrawn = models.PositiveIntegerField("撤回", default=0)
    #: Relative to MEDIA_ROOT.
    directory = models.CharField("存放目录", max_length=300)
    #: [{"name", "table", "label", "rows", "bytes", "sha256"}], as in manifest.json.
    files = models.JSONField("文件", default=list)
    manifest_sha256 = models.CharField("清单哈希", max_length=64)
    #: The previous batch's manifest hash: the batches form a chain a receiver can check.
    previous_sha256 = models.CharField("上一批清单哈希", max_length=64, blank=True)
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    accepted_endpoint = models.CharField("接收地址", max_length=500, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "交换批次"
        verbose_name_plural = "交换批次"
        ordering = ["organisation", "kind", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "sequence"], name="exchange_batch_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.get_kind_display()} 第 {self.sequence} 批"

    @property
    def rows(self) -> int:
        return self.added + self.changed + self.withdrawn


class ExchangeRow(models.Model):
    """What was last sent of one row of an exchange table: its values (a withdrawal repeats
    them, so the receiver knows which row goes) and their digest (empty once withdrawn)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ExchangeKind.choices)
    table = models.CharField(max_length=16)
    key = models.CharField("记录编号", max_length=64)
    digest = models.CharField(max_length=64, blank=True)
    values = models.JSONField(default=dict)
    batch = models.ForeignKey(ExchangeBatch, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "table", "key"], name="exchange_row_once"
            )
        ]

    def __str__(self) -> str:
        return self.key


class ExchangeAttempt(models.Model):
    """One HTTP push of a batch: where to, when, the answer, and what the endpoint accepted."""

    batch = models.ForeignKey(ExchangeBatch, on_delete=models.PROTECT, related_name="attempts")
    #: Scheme, host and path only: a token in the address's query never reaches the database.
    endpoint = models.CharField("推送地址", max_length=500)
    attempted_at = models.DateTimeField("推送时间")
    number = models.PositiveSmallIntegerField("第几次尝试")
    status_code = models.PositiveSmallIntegerField("HTTP 状态码", null=True, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    accepted = models.BooleanField("已接收", default=False)
    #: Rows the endpoint took: its own count when it answers one, else the whole batch.
    accepted_rows = models.PositiveIntegerField("接收行数", default=0)
    #: 记录编号 the endpoint named as refused, if any (kept for the bureau to correct).
    rejected_keys = models.JSONField("拒收的记录编号", default=list, blank=True)
    response_sha256 = models.CharField("答复哈希", max_length=64, blank=True)

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        ordering = ["batch", "attempted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.batch} 第 {self.number} 次推送"


class PublicVersion(models.Model):
    """How often the rows of an organisation have changed (row 0: of no one organisation), in
    all and as the public sees them. Written only by the database's triggers
    (disclosure/versions.py); read to key the cached public pages and the staff's reports."""

    organisation_id = models.BigIntegerField(primary_key=True)
    #: Every change (the staff's caches).
    counter = models.BigIntegerField(default=0)
    #: The changes the public could see (the public pages): on PostgreSQL a change of an
    #: inspection whose draw's list is still secret raises ``counter`` alone
    #: (``versions.SEEN``).
    public = models.BigIntegerField(default=0, db_default=0)
    #: Changes of the rows a register's classification reads (``versions.REGISTER_TABLES``).
    #: A default in the database too: a trigger installed before this column inserts without it.
    registers = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = "公开数据版本"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"单位 {self.organisation_id}：第 {self.counter} 版"


class InspectionChange(models.Model):
    """Which inspections a raise of an organisation's ``counter`` was about: a write of an
    inspection or of a row of one (``versions.LOGGED``) logs the inspection under the counter
    it raised. The staff's reports keep an organisation's year of inspections in memory and,
    when the counter has risen only by such writes since, read again just the inspections
    logged (``reports.statistics.year_records``) rather than the whole year (issue 21 §3).

    Written only by the database's triggers, on PostgreSQL (disclosure/versions.py). Within
    one organisation the counters are in commit order: the counter row stays locked from the
    raise until the writer commits. The triggers keep the newest ``versions.CHANGES_KEPT``
    counters of each organisation; a reader further behind reads the whole year again."""

    id = models.BigAutoField(primary_key=True)
    # Plain numbers: the inspection may be deleted, and the trigger writes no foreign key.
    organisation_id = models.BigIntegerField()
    counter = models.BigIntegerField()
    inspection_id = models.BigIntegerField()

    class Meta:
        verbose_name = "检查变更记录"
        verbose_name_plural = verbose_name
        indexes = [
            models.Index(fields=["organisation_id", "counter"], name="inspection_change_since")
        ]

    def __str__(self) -> str:
        return f"单位 {self.organisation_id} 第 {self.counter} 版：检查 {self.inspection_id}"


class ResultsFile(models.Model):
    """The portal's Excel download of an organisation's published results, too large to build
    within a request (issue 21 §5), built once by the worker (``disclosure.tasks``) and served
    to everyone who asks for the same filters while the organisation's public data stays as it
    was (``version``, disclosure/versions.py). The file holds only what the portal lists
    (``selectors.public_results``), so it is stored as it is, under ``MEDIA_ROOT/results/``;
    ``results_files.results_files_purge`` deletes it once its version is stale or it is older
    than SHUANGSUIJI_EXPORT_KEEP_HOURS."""

    Status = JobStatus
    UNFINISHED = UNFINISHED

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    #: The filters applied, as the results page writes them (``year=2026&quarter=2``): validated
    #: values in a fixed order, never the visitor's own query string.
    filters = models.CharField("筛选条件", max_length=100, blank=True)
    #: The organisation's public version when the file was asked for, and the code's release.
    version = models.CharField("数据版本", max_length=100)
    title = models.CharField("下载文件名", max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    row_count = models.PositiveIntegerField("行数", default=0)
    file = models.FileField("文件", upload_to="results/", blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    #: The queued build (django-tasks' result id).
    task_id = models.CharField("生成任务", max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "公示结果下载文件"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "filters", "version"], name="results_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def has_file(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
