"""The menu, by role. Each later app adds its entries here, guarded by a permission.

Every signed-in page shows the menu and the user's roles. They are read once per request
(``user_access``): the user's groups with their permissions in one query, and the menu of that
set of permissions, its URLs reversed, built once per process for each set (``_menu_of``) —
a pure function of the permissions, so a change of role, group or organisation shows on the
next request with nothing to invalidate (issue 21 §3: the fixed cost of every staff page).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, Value
from django.urls import get_script_prefix, get_urlconf, reverse

from shuangsuiji.accounts.roles import ROLE_PERMISSIONS, Role
from shuangsuiji.prepared import Prepared

APP = "accounts"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    #: Shown when the user holds any of these permissions; empty means every signed-in user.
    permissions: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    #: Whose menu: the 生态环境 bureaus' ("bureau"), a partner department's ("partner": it
    #: keeps its inspector register and its parts of joint checks, nothing of the plans), or
    #: both.
    where: str = "bureau"


REGISTER_READERS = ("manage_registers", "read_org_data")

NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "home", where="both"),
    NavItem("检查对象名录库", "directory:list", REGISTER_READERS, ("targets",)),
    NavItem("监管记录", "directory:list", REGISTER_READERS, ("events",)),
    NavItem(
        "执法检查人员名录库", "directory:list", REGISTER_READERS, ("inspectors",), where="both"
    ),
    NavItem("随机抽查事项清单", "directory:list", REGISTER_READERS, ("items",)),
    NavItem("一业一查联合抽查清单", "directory:list", REGISTER_READERS, ("joint_items",)),
    NavItem("监管工作看板", "reports:dashboard", ("manage_sampling", "read_org_data")),
    NavItem("随机抽查情况统计表", "reports:statistics", ("manage_sampling", "read_org_data")),
    NavItem("统计报送", "reports:upward", ("manage_sampling", "read_org_data")),
    NavItem("数据交换", "exchange:batches", ("read_org_data",)),
    NavItem(
        "检查档案",
        "reports:archive",
        ("manage_sampling", "read_org_data", "approve_plans", "view_audit"),
    ),
    NavItem("本单位政策", "planning:policy", ("manage_sampling", "read_org_data")),
    NavItem("实施方案文件", "bureau:plan_documents", ("manage_sampling", "read_org_data")),
    NavItem("分类与抽查数量", "planning:policy_quarter", ("manage_sampling", "read_org_data")),
    NavItem(
        "年度抽查计划", "planning:plans", ("manage_sampling", "read_org_data", "approve_plans")
    ),
    NavItem("回避", "planning:conflicts", ("manage_sampling", "record_inspections")),
    NavItem(
        "参与联合抽查",
        "planning:participations",
        ("manage_sampling", "read_org_data", "approve_plans"),
    ),
    NavItem("我的任务", "inspections:mine", ("record_inspections",)),
    NavItem(
        "联合检查任务",
        "inspections:parts",
        ("manage_sampling", "record_inspections"),
        where="partner",
    ),
    NavItem(
        "限定范围的检查结果",
        "inspections:shared",
        ("manage_sampling", "record_inspections", "read_org_data", "approve_plans", "view_audit"),
        where="partner",
    ),
    NavItem("登记定向检查", "inspections:targeted_new", ("manage_sampling",)),
    # 检查时限已过仍未完成的检查, and follow-ups past their deadline.
    NavItem("逾期事项", "inspections:overdue", ("manage_sampling",)),
    NavItem("结果公示", "inspections:publication", ("manage_sampling",)),
    NavItem("审计日志", "audit:list", ("view_audit",)),
    NavItem("单位设置", "planning:settings", ("manage_users",)),
    NavItem("工作日历", "planning:calendar", ("manage_users",)),
    NavItem("单位管理", "accounts:organisation_list", ("manage_users",), where="both"),
    NavItem("用户管理", "accounts:user_list", ("manage_users",), where="both"),
]


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    url_name: str


@dataclass(frozen=True)
class Access:
    """What the signed-in user holds, as the menu and the header show it."""

    #: Codenames of the accounts app's permissions the user holds (``has_permission``'s).
    permissions: frozenset[str]
    #: The roles' Chinese names, in ``Role``'s order.
    roles: tuple[str, ...]
    #: The visible entries, URLs reversed.
    menu: tuple[MenuEntry, ...]


ATTRIBUTE = "_shuangsuiji_access"


def user_access(user) -> Access:
    """The user's permissions, roles and menu, read once per request: the ``user`` object is
    the request's, so the answer is kept on it. One query reads the groups (the roles are the
    groups' names) with their permissions and the user's own permissions; the permission
    checks of the rest of the request then read them from Django's own cache on the user
    (``prime_permission_cache``) instead of two more queries."""
    found = getattr(user, ATTRIBUTE, None)
    if found is None:
        groups, granted = _read(user)
        prime_permission_cache(user, granted)
        if not user.is_active:
            permissions = frozenset()
        elif user.is_superuser:
            permissions = frozenset(code for codes in ROLE_PERMISSIONS.values() for code in codes)
        else:
            prefix = f"{APP}."
            permissions = frozenset(
                p.removeprefix(prefix) for p in granted.all if p.startswith(prefix)
            )
        partner = getattr(user.organisation, "is_partner", False)
        found = Access(
            permissions=permissions,
            roles=tuple(role.label for role in Role if role.label in groups),
            menu=_menu_of(permissions, partner, get_urlconf() or settings.ROOT_URLCONF,
                          get_script_prefix()),
        )  # fmt: skip
        setattr(user, ATTRIBUTE, found)
    return found


@dataclass(frozen=True)
class _Granted:
    """Permissions as Django's ModelBackend names them (``app_label.codename``)."""

    own: frozenset[str]
    by_group: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        return self.own | self.by_group


def _granted(user_id):
    text = CharField()
    groups = (
        Group.objects.filter(user=user_id)
        .order_by()
        .values_list("name", "permissions__content_type__app_label", "permissions__codename")
    )
    own = (
        Permission.objects.filter(user=user_id)
        .order_by()
        .values_list(Value("", output_field=text), "content_type__app_label", "codename")
    )
    return groups.union(own, all=True)


#: Compiled once per connection (shuangsuiji.prepared): every staff page asks it.
_GRANTED = Prepared(_granted, user_id=int, planned_once=True)


def _read(user) -> tuple[set[str], _Granted]:
    """The user's group names and permissions in one query: the groups with each permission
    of theirs, and the permissions given to the user directly (the Django admin can)."""
    names, by_group, direct = set(), set(), set()
    for group, app_label, codename in _GRANTED(user_id=user.pk):
        if group:
            names.add(group)
            if codename:
                by_group.add(f"{app_label}.{codename}")
        elif codename:
            direct.add(f"{app_label}.{codename}")
    return names, _Granted(frozenset(direct), frozenset(by_group))


def prime_permission_cache(user, granted: _Granted) -> None:
    """Fill the caches Django's ModelBackend keeps on the user object, as it would fill them
    itself (``_user_perm_cache``, ``_group_perm_cache``, ``_perm_cache``), so that
    ``user.has_perm`` asks the database nothing more in this request. A superuser's are left
    alone: ``has_perm`` answers True for him without reading them."""
    if user.is_superuser or hasattr(user, "_perm_cache"):
        return
    user._user_perm_cache = set(granted.own)
    user._group_perm_cache = set(granted.by_group)
    user._perm_cache = set(granted.all)


@functools.lru_cache(maxsize=256)
def _menu_of(
    permissions: frozenset[str], partner: bool, urlconf: str, script_prefix: str
) -> tuple[MenuEntry, ...]:
    """The entries a holder of ``permissions`` sees, URLs reversed: the same for everyone
    with the same permissions, so built once per process (the URL configuration and the
    prefix the site is served under are part of the key, as ``reverse`` reads them)."""
    shown = ("both", "partner" if partner else "bureau")
    return tuple(
        MenuEntry(item.label, reverse(item.url_name, args=item.args, urlconf=urlconf),
                  item.url_name)
        for item in NAV_ITEMS
        if item.where in shown
        and (not item.permissions or any(p in permissions for p in item.permissions))
    )  # fmt: skip


def menu_for(user, counts: Mapping[str, object] | None = None) -> list[dict]:
    """The user's menu. ``counts``: what awaits the user by entry (URL name), each with
    ``count``, ``overdue`` and ``detail`` (``reports.todo_counts.MenuCount``); an entry is
    counted once, on its first line (监管记录 and the other registers share a URL name)."""
    counts = dict(counts or {})
    # Every entry has ``waiting`` (None when nothing waits): a key missing from a dict makes
    # the template engine try an attribute and an index after it, raising twice per entry.
    return [
        {
            "label": item.label,
            "url": item.url,
            "url_name": item.url_name,
            "waiting": counts.pop(item.url_name, None),
        }
        for item in user_access(user).menu
    ]
