"""The domain event log: one row per state change a service makes, chained by SHA-256 so that
an edited, deleted or inserted row breaks the chain from that row on (JX-5.4 档案, JX-6.4)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models

from shuangsuiji.audit.actions import action_name
from shuangsuiji.permanence import PermanentModel, PermanentQuerySet, PermanentScopedQuerySet

GENESIS = "0" * 64

#: Actions that bind every bureau, whichever organisation recorded them: every 监督员 reads
#: them (the national working-day calendar moves every bureau's deadlines; docs/security.md).
SHARED_ACTION_PREFIXES = ("calendar.national.",)


#: Entries a reader above the recording bureau may not see yet, as ``Q`` objects built per
#: reader by the layers that know why (the inspections app: entries naming whom an unrevealed
#: draw selected). Registered at start-up, so the log need not import the layers above it.
WITHHELD_FROM_ABOVE: list[Callable[[Any], models.Q]] = []


class AuditEventQuerySet(PermanentScopedQuerySet):
    def readable_by(self, user) -> "AuditEventQuerySet":
        """The entries of the user's organisation and those below it, and the shared ones,
        less what a bureau's own staff alone may see for now (``WITHHELD_FROM_ABOVE``)."""
        if not user.is_authenticated:
            return self.none()
        shared = models.Q()
        for prefix in SHARED_ACTION_PREFIXES:
            shared |= models.Q(action__startswith=prefix)
        own = models.Q(organisation__path__startswith=user.organisation.path)
        rows = self.filter(own | shared)
        for withheld in WITHHELD_FROM_ABOVE:
            rows = rows.exclude(withheld(user) & ~models.Q(organisation_id=user.organisation_id))
        return rows


class AuditEvent(PermanentModel):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, null=True,
        related_name="+",
    )  # fmt: skip
    #: The name at the time: a later rename of the account does not rewrite history.
    actor_name = models.CharField("操作人", max_length=150)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name="单位",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象", max_length=64, blank=True)
    summary = models.CharField("摘要", max_length=500)
    detail = models.JSONField("变更内容", default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["id"]
        indexes = [
            # An organisation's newest entry, one index probe (reports.todo_counts).
            models.Index(fields=["organisation", "id"], name="audit_event_org_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.summary}"

    @property
    def action_name(self) -> str:
        """The action in Chinese, as the audit page shows it."""
        return action_name(self.action)


class AuditHead(models.Model):
    """The chain's last hash, one row. Every writer locks it, so entries are appended one at a
    time even on PostgreSQL with many workers, and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    #: When the last entry was written: the first entry of a new day seals the day before.
    last_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"审计链头 #{self.last_id}"


class AuditDailyHead(PermanentModel):
    """Each closed day's last entry and its hash, exactly what /audit/heads/ publishes, kept
    apart from the log: ``audit verify`` fails when an entry a sealed day covers is missing or
    changed, so wiping or truncating the log (with its head) no longer reads as intact."""

    day = models.DateField("日期", unique=True)
    last_id = models.BigIntegerField("最后一条记录")
    hash = models.CharField("链头", max_length=64)

    objects = PermanentQuerySet.as_manager()

    class Meta:
        verbose_name = "每日链头"
        verbose_name_plural = "每日链头"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} #{self.last_id}"
