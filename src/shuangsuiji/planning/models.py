from django.db import models
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.accounts.scoping import OrgScopedQuerySet


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
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位政策"
        verbose_name_plural = "单位政策"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "preset"], name="policy_unique_preset_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name}：{self.preset}"


class PolicyAdjustment(models.Model):
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

    history = HistoricalRecords()

    class Meta:
        verbose_name = "政策调整"
        verbose_name_plural = "政策调整"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.path} 自 {self.since}"
