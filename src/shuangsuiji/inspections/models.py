from django.db import models
from simple_history.models import HistoricalRecords

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.accounts.scoping import OrgScopedQuerySet

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


class Inspection(models.Model):
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
        "planning.SamplingTask", on_delete=models.PROTECT, null=True, blank=True,
        related_name="inspections",
    )  # fmt: skip
    draw = models.ForeignKey(
        "planning.Draw", on_delete=models.PROTECT, null=True, blank=True,
        related_name="inspections",
    )  # fmt: skip
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
    #: 内部联合: the items span more than one business line (要素), checked in one visit.
    internal_joint = models.BooleanField("内部联合抽查", default=False)
    flags = models.JSONField("抽取标记", default=list, blank=True)
    targeted_case = models.CharField(
        "定向检查事由", max_length=16, choices=TARGETED_CASES, blank=True
    )
    case_reference = models.CharField("案件或线索编号", max_length=200, blank=True)
    partner_inspectors = models.JSONField("联合部门执法人员", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "检查"
        verbose_name_plural = "检查"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "year"])]

    def __str__(self) -> str:
        return f"{self.target}（{self.get_kind_display()}）"


class InspectionMember(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="members")
    inspector = models.ForeignKey("directory.Inspector", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("顺序")
    is_lead = models.BooleanField("带队", default=False)

    class Meta:
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "inspector"], name="member_once")
        ]

    def __str__(self) -> str:
        return f"{self.inspector}"
