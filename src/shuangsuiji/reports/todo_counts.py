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
from django.db.models import OuterRef, Q, Subquery
from django.urls import Resolver404, resolve

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.accounts.navigation import user_access
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.audit.selectors import chain_head
from shuangsuiji.prepared import PREFIX, Prepared
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


def acts_version(user) -> str:
    """What the user's to-dos are kept under: the newest audited act that can change them.

    Each act that changes a to-do is an audited service, recorded under the organisation of
    what it changed (``audit.services.audit_record``). A bureau's to-dos are its own work, its
    superiors' (a 市局's deadline, the 省厅's calendar) and its subordinates' (their reports):
    the acts of its lineage — the organisations above it, itself, those below — and the acts
    of no organisation. So an inspector's result recorded in one county leaves the other
    counties' menus; under a province's load the log's head moved with nearly every request
    (issue 21 §3). One query: each organisation's newest entry is one probe of the
    (organisation, id) index. A partner department's to-dos are parts of checks other
    bureaus lead, recorded under theirs: it keeps the log's head, as does a user of no
    organisation."""
    organisation = user.organisation
    if organisation is None or organisation.is_partner:
        return chain_head()
    # The path holds the primary keys from the root ("/1/4/9/"): the ancestors and itself.
    above = [int(pk) for pk in organisation.path.strip("/").split("/")]
    found = _LINEAGE_NEWEST(above=above, path=organisation.path)
    newest = max((row[0] or 0 for row in found), default=0)
    unowned = max((row[1] or 0 for row in found), default=0)
    return f"o{newest}.{unowned}"


def _lineage_newest(above, path):
    """Each organisation of a lineage with its newest audited act's id, and the newest of no
    organisation's (the same on every row)."""
    newest = AuditEvent.objects.filter(organisation=OuterRef("pk")).order_by("-id").values("id")
    unowned = AuditEvent.objects.filter(organisation__isnull=True).order_by("-id").values("id")
    return (
        Organisation.objects.filter(Q(pk__in=above) | Q(path__startswith=path))
        .order_by()
        .values_list(Subquery(newest[:1]), Subquery(unowned[:1]))
    )


#: Compiled and planned once per connection (shuangsuiji.prepared): the menu of every staff page
#: asks it, and its plan — a probe of the (organisation, id) index per organisation of the
#: lineage — is the same for a county and a province (some 200 organisations in all).
_LINEAGE_NEWEST = Prepared(_lineage_newest, above=list, path=PREFIX, planned_once=True)


def audience(user) -> str:
    """Whose list of to-dos the user's is, as the cache keeps it: ``todos`` reads a user's
    organisation and permissions, and the user alone only for an officer's own work (the
    inspector's tasks, a partner department's officer's parts of joint checks). The others of
    one organisation holding the same permissions — a county's 抽查管理员 — share one list,
    read once per change for all of them: under a province's load every act of the bureau's
    line changed the list, and each of them read it again (issue 21 §3)."""
    organisation = user.organisation
    permissions = user_access(user).permissions
    own_work = "record_inspections" in permissions or (
        organisation is not None
        and organisation.is_partner
        and "manage_sampling" not in permissions
    )
    if organisation is None or own_work:
        return f"u{user.pk}"
    held = hashlib.sha256("|".join(sorted(permissions)).encode()).hexdigest()[:16]
    return f"o{organisation.pk}.{held}"


def cached_todos(user, today: dt.date, version: str | None = None) -> list[Todo]:
    """``todos``, read once per change as the menu's counts are (``acts_version``, or
    ``version`` where the caller has read it) for everyone with the same list (``audience``),
    for the home page, which lists them: a coordinator's list weighs the year's results
    against their deadlines (issue 21 §3)."""
    key = f"todos:{audience(user)}:{today}:{version or acts_version(user)}"
    found = cache.get(key)
    if found is None:
        found = todos(user, today)
        cache.set(key, found, timeout=600)
    return found


def menu_counts(
    user, today: dt.date, shown: set[str] | None = None, version: str | None = None
) -> dict[str, MenuCount]:
    """The user's to-dos by menu entry (URL name); entries with nothing waiting are absent.

    ``shown``: the entries the user's menu holds; a to-do whose entry is not among them is
    counted on 首页, so nothing waiting goes unmentioned. ``version``: ``acts_version``, where
    the caller has read it in this request."""
    # Every page shows the menu: its counts are read once per change, not once per page. Each
    # act that changes a to-do is an audited service, so its newest act keys the counts.
    entries = hashlib.sha256("|".join(sorted(shown or ())).encode()).hexdigest()[:16]
    version = version or acts_version(user)
    key = f"menu-counts:{audience(user)}:{today}:{version}:{entries}"
    found = cache.get(key)
    if found is None:
        found = _menu_counts(user, today, shown, version)
        cache.set(key, found, timeout=600)
    return found


def _menu_counts(
    user, today: dt.date, shown: set[str] | None, version: str
) -> dict[str, MenuCount]:
    grouped: dict[str, list[Todo]] = {}
    for todo in cached_todos(user, today, version):  # the home page's list, read once for both
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
