"""The menu, by role. Each later app adds its entries here, guarded by a permission."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.urls import reverse

from shuangsuiji.accounts.access import has_permission


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


def visible_items(user) -> list[NavItem]:
    partner = getattr(user.organisation, "is_partner", False)
    return [
        item
        for item in NAV_ITEMS
        if item.where in ("both", "partner" if partner else "bureau")
        and (not item.permissions or any(has_permission(user, p) for p in item.permissions))
    ]


def menu_for(user, counts: Mapping[str, object] | None = None) -> list[dict]:
    """The user's menu. ``counts``: what awaits the user by entry (URL name), each with
    ``count``, ``overdue`` and ``detail`` (``reports.todo_counts.MenuCount``); an entry is
    counted once, on its first line (监管记录 and the other registers share a URL name)."""
    counts = dict(counts or {})
    menu = []
    for item in visible_items(user):
        entry = {
            "label": item.label,
            "url": reverse(item.url_name, args=item.args),
            "url_name": item.url_name,
        }
        waiting = counts.pop(item.url_name, None)
        if waiting is not None:
            entry["waiting"] = waiting
        menu.append(entry)
    return menu
