"""The menu says how much awaits the user next to its entries (issue 19 §1: “counts in the
navigation”), from the home page's own to-do list, for a fixed handful of queries whatever the
size of the county; a role with nothing to do sees no number.

The county is ``tests.support.portal``'s 遵化 year (see tests/accounts/test_home_todo.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.reports.todo import todos
from tests.support.portal import REVEAL, SOURCES, VALUES, build_portal, record, team_user

PAGE = "/password/"  # a plain page: its own queries do not depend on the data


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def menu_counts(client, user) -> dict[str, int]:
    """The numbers the menu shows, by entry, as the user sees them."""
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    menu = page[page.index('aria-label="主菜单"') : page.index("</nav>")]
    return {
        label: int(count)
        for label, count in re.findall(
            r'<li><a href="[^"]*"[^>]*>([^<]+?) <span class="nav-count[^"]*" title="[^"]*">(\d+)',
            menu,
        )
    }


def waiting(user) -> int:
    return sum(t.count for t in todos(user, timezone.localdate()))


def an_inspector(portal, make_user):
    inspection = Inspection.objects.filter(draw=portal.revealed, status="assigned").first()
    return team_user(inspection, make_user)


def test_each_role_sees_its_numbers_where_the_work_is(client, portal, make_user):
    inspector = an_inspector(portal, make_user)
    shown = menu_counts(client, inspector)
    assert shown == {"我的任务": waiting(inspector)} and shown["我的任务"] > 0

    shown = menu_counts(client, portal.coordinator)
    # The plan's tasks to draw and the draws to reveal wait under 年度抽查计划; the late checks
    # under 逾期事项; nothing the home page lists is lost on the way.
    assert shown["年度抽查计划"] >= 2 and shown["逾期事项"] > 0
    assert sum(shown.values()) == waiting(portal.coordinator)
    assert "我的任务" not in shown


def test_a_plan_to_approve_shows_on_the_leaders_menu(client, portal):
    from shuangsuiji.planning.plans import plan_generate, plan_submit

    # The 领导 witnesses the committed Q2 draw; a plan to approve adds to the same entry.
    assert menu_counts(client, portal.leader) == {"年度抽查计划": 1}
    plan = plan_generate(actor=portal.coordinator, organisation=portal.county, year=2027)
    plan_submit(actor=portal.coordinator, plan=plan)
    assert menu_counts(client, portal.leader) == {"年度抽查计划": 2}
    page = client.get(PAGE).content.decode()
    assert "年度抽查计划待审批 1" in page  # what is counted, in words


def test_a_late_count_is_marked(client, portal):
    client.force_login(portal.coordinator)
    page = client.get(PAGE).content.decode()
    late = re.search(r'逾期事项 <span class="nav-count ([^"]*)"', page)
    assert late and late.group(1) == "overdue"
    assert "含已逾期" in page  # said in words too, for a screen reader


def test_nothing_to_do_shows_no_number(client, portal, make_user):
    # The neighbouring bureau: a draft plan (not the 监督员's to approve), no draw committed.
    auditor = make_user("jiandu-b", portal.neighbour, Role.AUDITOR)
    assert waiting(auditor) == 0
    client.force_login(auditor)
    page = client.get("/").content.decode()
    assert "nav-count" not in page and "项待办" not in page


def queries(client, user_pk: int) -> int:
    """The queries of one page for a freshly signed-in user, nothing cached: the counts as the
    first page after a change reads them."""
    from django.core.cache import cache

    cache.clear()
    client.force_login(User.objects.get(pk=user_pk))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE).status_code == 200
    return len(captured)


def test_counts_cost_the_same_queries_for_a_larger_county(client, portal, make_user):
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.directory.models import Inspector, Target
    from shuangsuiji.inspections.creation import targeted_inspection_create
    from shuangsuiji.inspections.services import follow_up_open

    inspector = an_inspector(portal, make_user)
    auditor = make_user("jiandu", portal.county, Role.AUDITOR)
    users = [portal.coordinator, portal.leader, inspector, auditor]
    small = [queries(client, u.pk) for u in users]
    before = [waiting(u) for u in users]

    # A larger year: Q1 drawn (many more inspections, the inspector's among them), results
    # submitted and waiting for publication, follow-ups gone past their deadline.
    plan = portal.revealed.task.plan
    q1 = draw_commit(actor=portal.coordinator, task=plan.tasks.get(quarter=1), sources=SOURCES,
                     reveal_on=REVEAL)  # fmt: skip
    draw_execute(actor=portal.coordinator, draw=q1, values=VALUES)
    mine = Inspector.objects.get(organisation=portal.county, certificate_no=inspector.username)
    partner = portal.county.inspectors.filter(category="enforcement").exclude(pk=mine.pk).first()
    for target in Target.objects.filter(organisation=portal.county)[:3]:
        targeted_inspection_create(actor=portal.coordinator, target=target, case="complaint",
                                   reference=f"举报 {target.pk}", inspectors=[mine, partner])  # fmt: skip
    others = Inspection.objects.filter(draw=portal.revealed, status="assigned").exclude(
        members__inspector=mine
    )
    for inspection in others[:6]:
        done = record(inspection, team_user(inspection, make_user), determined=dt.date(2026, 11, 2))
        follow_up_open(actor=portal.coordinator, inspection=done, kind="rectify",
                       opened_on=dt.date(2026, 11, 2), deadline=dt.date(2026, 11, 10))  # fmt: skip
    after = [waiting(u) for u in users]
    assert after[0] > before[0] and after[2] > before[2]  # more to count…

    larger = [queries(client, u.pk) for u in users]
    assert larger == small  # …for the same queries
    # And few of them: the page itself, the session and the user's roles, then the counts.
    assert max(larger) <= 25, larger


def test_the_counts_are_kept_until_an_act_in_the_bureaus_line(client, portal, monkeypatch):
    """Issue 21 §3: the counts are kept until an audited act of the bureau, of those above it
    or below it, or of no organisation. An act in the neighbouring county (a province's other
    bureaus work all day) leaves them stored; one in the county or in its 市局 is on the next
    page."""
    from django.core.cache import cache

    from shuangsuiji.audit.services import audit_record
    from shuangsuiji.planning.plans import plan_generate
    from shuangsuiji.reports import todo_counts

    counted = []
    monkeypatch.setattr(todo_counts, "todos", lambda *a: counted.append(1) or todos(*a))
    cache.clear()
    before = menu_counts(client, portal.coordinator)
    assert len(counted) == 1
    neighbour = User.objects.get(username="coord-b")
    plan_generate(actor=neighbour, organisation=portal.neighbour, year=2027)
    assert menu_counts(client, portal.coordinator) == before
    assert len(counted) == 1  # kept: nothing of it waits for this county

    plan_generate(actor=portal.coordinator, organisation=portal.county, year=2027)
    after = menu_counts(client, portal.coordinator)
    assert len(counted) == 2
    assert after["年度抽查计划"] == before["年度抽查计划"] + 1  # the draft to submit

    city = portal.county.parent
    audit_record(actor=None, action="upward.accept", organisation=city, summary="市局的操作")
    menu_counts(client, portal.coordinator)
    assert len(counted) == 3
    audit_record(actor=None, action="calendar.national.day", summary="不属于任何单位的操作")
    menu_counts(client, portal.coordinator)
    assert len(counted) == 4


def test_users_alike_share_one_list_and_an_officer_keeps_his_own(
    client, portal, make_user, monkeypatch
):
    """Issue 21 §3: a county's 抽查管理员 all wait for the same things (their bureau's work),
    so their list is read once per change for all of them (``todo_counts.audience``); an
    inspector's tasks are his own, and so is his list."""
    from django.core.cache import cache

    from shuangsuiji.reports import todo_counts

    counted = []
    monkeypatch.setattr(todo_counts, "todos", lambda *a: counted.append(a[0]) or todos(*a))
    cache.clear()
    second = make_user("coord-2", portal.county, Role.COORDINATOR)
    first_sees = menu_counts(client, portal.coordinator)
    assert menu_counts(client, second) == first_sees
    assert counted == [portal.coordinator]  # read once, for both

    # Another role of the same bureau waits for other things: its own list.
    assert menu_counts(client, portal.leader) == {"年度抽查计划": 1}
    assert counted[-1] == portal.leader

    # Two inspectors of one county, on different teams: each list is read for its officer.
    mine = an_inspector(portal, make_user)
    theirs = (
        Inspection.objects.filter(draw=portal.revealed, status="assigned")
        .exclude(members__inspector__certificate_no=mine.username)
        .first()
    )
    other = team_user(theirs, make_user)
    shown = menu_counts(client, mine), menu_counts(client, other)
    assert counted[-2:] == [mine, other]
    assert shown == ({"我的任务": waiting(mine)}, {"我的任务": waiting(other)})
