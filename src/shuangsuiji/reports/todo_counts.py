"""What awaits the user, counted per menu entry (issue 19 §1, “counts in the navigation”).

The counts are the home page's to-do list (``reports.todo``) and nothing else, so the menu and
the home page never disagree: each to-do goes to the menu entry of the page its link opens (a
plan, a draw or a task to draw under 年度抽查计划; late inspections under 逾期事项), and a to-do
whose page has no entry of its own is counted on 首页. ``todos`` reads a fixed handful of rows
per role whatever the size of the county, and nothing at all for a role with nothing to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import Resolver404, resolve

from shuangsuiji.audit.selectors import chain_head
from shuangsuiji.reports.todo import Todo, todos

#: The page a to-do's link opens → the menu entry (its URL name) that counts it.
MENU_ENTRY_OF_PAGE: dict[str, str] = {
    "planning:plans": "planning:plans",
    "planning:plan_detail": "planning:plans",
    "planning:task_prepare": "planning:plans",
    "planning:draw_detail": "planning:plans",
    "inspections:mine": "inspections:mine",
    "inspections:overdue": "inspections:overdue",
    "inspections:publication": "inspections:publication",
    "planning:calendar": "planning:calendar",
    "accounts:organisation_list": "accounts:organisation_list",
    "reports:upward": "reports:upward",
    "inspections:parts": "inspections:parts",
}
HOME = "home"


@dataclass(frozen=True)
class MenuCount:
    """The to-dos counted on one menu entry."""

    count: int
    #: Any of them already late: the count is shown in red.
    overdue: bool
    #: What is counted, in words: “年度抽查计划待审批 1；名单待公开的抽取 2”.
    detail: str


def menu_entry(todo: Todo) -> str:
    try:
        page = resolve(todo.url).view_name
    except Resolver404:
        return HOME
    return MENU_ENTRY_OF_PAGE.get(page, HOME)


def cached_todos(user, today: dt.date) -> list[Todo]:
    """``todos``, read once per change as the menu's counts are (keyed by the audit log's head:
    each act that changes a to-do is an audited service), for the home page, which lists them:
    a coordinator's list weighs the year's results against their deadlines (issue 21 §3)."""
    key = f"todos:{user.pk}:{today}:{chain_head()}"
    found = cache.get(key)
    if found is None:
        found = todos(user, today)
        cache.set(key, found, timeout=600)
    return found


def menu_counts(user, today: dt.date, shown: set[str] | None = None) -> dict[str, MenuCount]:
    """The user's to-dos by menu entry (URL name); entries with nothing waiting are absent.

    ``shown``: the entries the user's menu holds; a to-do whose entry is not among them is
    counted on 首页, so nothing waiting goes unmentioned."""
    # Every page shows the menu: its counts are read once per change, not once per page. Each
    # act that changes a to-do is an audited service, so the log's head keys the counts.
    entries = hashlib.sha256("|".join(sorted(shown or ())).encode()).hexdigest()[:16]
    key = f"menu-counts:{user.pk}:{today}:{chain_head()}:{entries}"
    found = cache.get(key)
    if found is None:
        found = _menu_counts(user, today, shown)
        cache.set(key, found, timeout=600)
    return found


def _menu_counts(user, today: dt.date, shown: set[str] | None) -> dict[str, MenuCount]:
    grouped: dict[str, list[Todo]] = {}
    for todo in cached_todos(user, today):  # the home page's list, read once for both
        entry = menu_entry(todo)
        if shown is not None and entry not in shown:
            entry = HOME
        grouped.setdefault(entry, []).append(todo)
    return {
        entry: MenuCount(
            count=sum(t.count for t in found),
            overdue=any(t.overdue for t in found),
            detail="；".join(f"{t.label} {t.count}" for t in found),
        )
        for entry, found in grouped.items()
    }
