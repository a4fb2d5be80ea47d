from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from shuangsuiji.scoping import OrgScopedQuerySet


class OrganisationLevel(models.IntegerChoices):
    PROVINCE = 1, "省厅"
    CITY = 2, "市局"
    BRANCH = 3, "分局"
    #: A department of the same government that joins the bureau's 部门联合 checks (住建局,
    #: 市场监管局 …; 获嘉 二、（一）–（三）, 绛县 三、5): registered under the bureau it works
    #: with, with its own users and inspector register, and never counted as a branch.
    PARTNER = 4, "联合部门"


class OrganisationQuerySet(models.QuerySet):
    def bureaus(self) -> "OrganisationQuerySet":
        """The 生态环境 organisations: partner departments are not branches of anyone."""
        return self.exclude(level=OrganisationLevel.PARTNER)

    def partners_of(self, organisation: "Organisation") -> "OrganisationQuerySet":
        """The partner departments a bureau may check with: those registered under it, and
        those its 市局 registered for the whole city; active ones only."""
        parents = [organisation.pk] + ([organisation.parent_id] if organisation.parent_id else [])
        return self.filter(
            parent__in=parents, level=OrganisationLevel.PARTNER, is_active=True
        ).order_by("code")

    def subtree_of(self, organisation: "Organisation") -> "OrganisationQuerySet":
        """The organisation itself and every organisation below it."""
        return self.filter(path__startswith=organisation.path)

    def in_tree_order(self) -> "OrganisationQuerySet":
        """These organisations ordered as ``in_tree_order`` lists them (not by ``path``). Reads
        their codes and paths once, to write the order into the query."""
        placed = self.select_related(None).order_by().only("pk", "code", "path")
        return self.order_by(tree_position(placed), "pk")


def in_tree_order(organisations) -> list["Organisation"]:
    """``organisations`` as a tree is read: each after the one above it, the ones under the same
    organisation by code. Not by ``path`` alone, which holds primary keys as text: "/1/10/"
    sorts before "/1/9/", so a province's cities and counties listed by it fall out of order as
    soon as their keys reach two digits."""
    found = list(organisations)
    code_of = {o.pk: o.code for o in found}

    def key(organisation: "Organisation") -> tuple[str, ...]:
        # An organisation above those listed (the reader's own parent, say) is the same for
        # all of them; one not listed among them (inactive) keeps its place by key.
        return tuple(
            code_of.get(int(pk), f"{int(pk):020d}")
            for pk in organisation.path.strip("/").split("/")
        )

    return sorted(found, key=key)


def tree_position(organisations, field: str = "pk") -> models.Case | models.F:
    """An ORDER BY term that puts rows in ``in_tree_order`` of their organisation ``field``
    (``"pk"`` for organisations themselves, ``"organisation"`` for rows that belong to one);
    rows of an organisation not among ``organisations`` come last. For the short lists of one
    reader's subtree: a province is some two hundred organisations."""
    ordered = in_tree_order(organisations)
    if not ordered:
        # A CASE of no branches is its default alone, a constant: PostgreSQL reads
        # ``ORDER BY 0`` as a column's position. With nothing to place, rows go by key.
        return models.F(field)
    return models.Case(
        *(models.When(**{field: o.pk}, then=place) for place, o in enumerate(ordered)),
        default=len(ordered),
        output_field=models.IntegerField(),
    )


class Organisation(models.Model):
    code = models.CharField(
        "单位代码",
        max_length=12,
        unique=True,
        validators=[
            RegexValidator(r"^[0-9]{6,12}$", "单位代码须为 6 至 12 位数字（如行政区划代码）。")
        ],
        help_text="通常为 6 位行政区划代码，创建后不可修改。",
    )
    name = models.CharField("单位名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=OrganisationLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # Materialised path of primary keys ("/1/4/9/"): one indexed prefix match gives a subtree on
    # SQLite and PostgreSQL alike, which every organisation-scoped query relies on.
    path = models.CharField(max_length=255, editable=False, db_index=True)
    policy_preset = models.CharField("政策预设", max_length=64, blank=True)
    is_active = models.BooleanField("启用", default=True)

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        permissions = [
            ("manage_users", "管理本单位及下级单位的用户和单位"),
            ("manage_registers", "维护一单两库"),
            ("manage_sampling", "制定抽查计划、组织随机抽取"),
            ("approve_plans", "审批抽查计划"),
            ("read_org_data", "查阅本单位及下级单位的全部业务数据"),
            ("record_inspections", "录入本人承担的检查任务"),
            ("view_audit", "查阅抽取材料与审计日志"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:organisation_edit", args=[self.pk])

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def is_partner(self) -> bool:
        return self.level == OrganisationLevel.PARTNER

    def is_within(self, other: "Organisation") -> bool:
        """True when this organisation is ``other`` or lies below it."""
        return self.path.startswith(other.path)


class UserQuerySet(OrgScopedQuerySet):
    pass


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", on_delete=models.PROTECT, related_name="users"
    )

    objects = ScopedUserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    REQUIRED_FIELDS = ["organisation"]

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_edit", args=[self.pk])
