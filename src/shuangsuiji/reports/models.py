"""Reports a 分局 sends up to its 市局 (issue 20 §4): after each quarter the 随机抽查情况统计表 and
the list of register adjustments (藁城 四、（四） 每季度结束后将上一季度统计表报送市局；每季度统计
报送需调整的检查人员库信息和检查对象名录信息, GC-4.4b, GC-4.4), or after each round of checks
(绛县 五、（三） 每次检查结束后…形成《随机抽查情况统计表》，并上报运城市生态环境局, JX-5.3).

A report is frozen when it is sent: the table and the adjustments as the 分局 saw them, and the
workbooks written from them, are stored in the row and never rewritten, so the 市局 reads exactly
what was sent whatever changes in the data afterwards. A report sent back (退回) stays as it was;
the 分局 sends a new version. Reports and their review log are archive: never deleted.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.db.models import Q
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.permanence import PermanentModel, PermanentQuerySet, PermanentScopedQuerySet

#: The only fields of a sent report that ever change: its state as the 市局 reviews it.
REVIEW_FIELDS = frozenset({"status"})


class FrozenReportError(Exception):
    """An attempt to rewrite what a 分局 sent."""

    def __init__(self) -> None:
        super().__init__("已报送的统计表和名录调整不能修改；如需更正，请重新报送新的版本。")


class UpwardReport(PermanentModel):
    """One version of one period's report of a 分局 to its 市局."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "已提交，待审核"
        RETURNED = "returned", "已退回"
        ACCEPTED = "accepted", "已接收"

    #: While a version is in one of these states, the period cannot be sent again.
    PENDING = (Status.SUBMITTED, Status.ACCEPTED)

    organisation = models.ForeignKey(
        Organisation, verbose_name="报送单位", on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        Organisation, verbose_name="接收单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    #: The quarter of a quarterly report; empty for a round's report.
    quarter = models.PositiveSmallIntegerField("季度", null=True, blank=True)
    #: The task whose round of checks a round's report covers (绛县 每次检查结束后).
    task = models.ForeignKey(
        "planning.SamplingTask", verbose_name="抽查任务", on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    #: One key per period of a 分局 (``2026Q1``, ``task-12``): the versions of a period share it.
    period = models.CharField("期间代码", max_length=32)
    period_label = models.CharField("统计期间", max_length=300)
    version = models.PositiveSmallIntegerField("版本")
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    #: The 统计表 as sent: title, subtitle, header, rows and notes of the workbook.
    table = models.JSONField("统计表")
    #: The register adjustments of the period as sent: one dict per addition or removal.
    adjustments = models.JSONField("名录调整")
    table_file = models.BinaryField("统计表文件")
    adjustments_file = models.BinaryField("名录调整文件")
    #: The deadline in force when the report was sent, and where it came from.
    deadline = models.DateField("报送期限", null=True, blank=True)
    deadline_basis = models.CharField("期限依据", max_length=300, blank=True)
    comment = models.CharField("报送说明", max_length=500, blank=True)
    submitted_at = models.DateTimeField("报送时间")
    submitted_by = models.ForeignKey(
        "accounts.User", verbose_name="报送人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    objects = PermanentScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "上报统计表"
        verbose_name_plural = "上报统计表"
        ordering = ["organisation", "year", "period", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period", "version"],
                name="upward_report_unique_version",
            ),
            # One version at a time awaits the 市局 or stands accepted: sent twice by two
            # clicks or two people, the second is refused by the database itself.
            models.UniqueConstraint(
                fields=["organisation", "period"],
                condition=Q(status__in=["submitted", "accepted"]),
                name="upward_report_one_pending",
                violation_error_message="该期间已有待审核或已接收的报送。",
            ),
        ]
        indexes = [models.Index(fields=["parent", "year"], name="upward_report_parent_year")]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.period_label} 第 {self.version} 版"

    def save(self, *args, **kwargs):
        """A sent report is written once; afterwards only its review state changes."""
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= REVIEW_FIELDS:
                raise FrozenReportError()
        super().save(*args, **kwargs)

    @property
    def late_days(self) -> int:
        """Days after the deadline in force that this version was sent (Beijing days)."""
        if self.deadline is None:
            return 0
        return max((timezone.localdate(self.submitted_at) - self.deadline).days, 0)

    @property
    def table_digest(self) -> str:
        """SHA-256 of the workbook as sent, for a 市局 to check a copy it kept."""
        return hashlib.sha256(bytes(self.table_file)).hexdigest()

    @property
    def adjustments_digest(self) -> str:
        return hashlib.sha256(bytes(self.adjustments_file)).hexdigest()


class UpwardReview(PermanentModel):
    """Each step of a report: sent, sent back with the 市局's comment, or accepted."""

    class Decision(models.TextChoices):
        SUBMITTED = "submitted", "报送"
        RETURNED = "returned", "退回"
        ACCEPTED = "accepted", "接收"

    report = models.ForeignKey(UpwardReport, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField("环节", max_length=16, choices=Decision.choices)
    comment = models.CharField("意见", max_length=500, blank=True)
    actor = models.ForeignKey(
        "accounts.User", verbose_name="经办人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField("时间")

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "上报审核记录"
        verbose_name_plural = "上报审核记录"
        ordering = ["report", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.report} {self.get_decision_display()}"


class UpwardDeadline(models.Model):
    """The deadline a 市局 sets for its 分局's reports of a year: a day for each quarter, and for
    the rounds a number of working days after each round's 检查时限. Where the 市局 sets none,
    the 分局's plan decides (``targets.quarterly_report`` of its preset)."""

    parent = models.ForeignKey(
        Organisation, verbose_name="接收单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    q1 = models.DateField("第一季度报送期限", null=True, blank=True)
    q2 = models.DateField("第二季度报送期限", null=True, blank=True)
    q3 = models.DateField("第三季度报送期限", null=True, blank=True)
    q4 = models.DateField("第四季度报送期限", null=True, blank=True)
    round_workdays = models.PositiveSmallIntegerField(
        "每轮检查时限届满后报送（工作日）", null=True, blank=True
    )
    updated_at = models.DateTimeField("设置时间", auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", verbose_name="设置人", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = "上报期限"
        verbose_name_plural = "上报期限"
        constraints = [
            models.UniqueConstraint(fields=["parent", "year"], name="upward_deadline_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} {self.year} 年报送期限"

    def quarter(self, number: int):
        return getattr(self, f"q{number}")
