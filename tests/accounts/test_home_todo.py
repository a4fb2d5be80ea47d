"""Each role's home page says what awaits it (issue 19 §1), each item a count and a link to the
act, the late ones first; nobody meets another bureau's table of codes and user counts.

The county is ``tests.support.portal``'s 遵化 year on 2026-11-23: Q1's task never drawn, Q2
committed but not drawn, Q3 drawn with its list still secret (its inspections past the end of
the quarter, their 检查时限), Q4 drawn and revealed, a 责令整改 due on 2026-12-20.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.inspections.selectors import OPEN_STATUSES
from shuangsuiji.reports.todo import todos
from tests.support.portal import build_portal, team_user

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def by_label(user, today=TODAY):
    return {t.label: t for t in todos(user, today)}


def test_coordinator_is_told_what_to_do_next(portal):
    found = by_label(portal.coordinator)
    q1 = portal.revealed.task.plan.tasks.get(quarter=1)
    due = found["到期待抽取的抽查任务"]
    assert (due.count, due.note) == (1, q1.number)
    assert due.url == reverse("planning:task_prepare", args=[q1.pk])
    committed = found["已承诺、待录入随机源并抽取"]
    assert committed.count == 1
    assert committed.url == reverse("planning:draw_detail", args=[portal.committed.pk])
    secret = found["名单待公开的抽取"]  # Q3, due by 2026-12-31: not late yet
    assert (secret.count, secret.note) == (1, portal.hidden.draw_id)
    # Q3's 检查时限 is the quarter's end (遵化's bureau default): its open checks are late.
    late = Inspection.objects.filter(draw=portal.hidden, status__in=OPEN_STATUSES).count()
    assert late > 0
    overdue = found["超过检查时限仍未完成的检查"]
    assert (overdue.count, overdue.overdue) == (late, True)
    assert "尚未制定 2026 年度抽查计划" not in found and "年度抽查计划待审批" not in found
    assert "已过期限的后续处置" not in found  # the 责令整改 is due on 2026-12-20
    # The late come first.
    states = [t.overdue for t in todos(portal.coordinator, TODAY)]
    assert states == sorted(states, reverse=True)


def test_a_deadline_passing_puts_it_on_the_list(portal):
    later = by_label(portal.coordinator, dt.date(2027, 1, 4))
    assert later["已过期限的后续处置"].count == 1
    assert later["已过最迟公开日期、名单尚未公开的抽取"].count == 1  # Q3, due 2026-12-31
    assert "名单待公开的抽取" not in later
    # A new year without a plan: the coordinator is told to make one.
    assert later["尚未制定 2027 年度抽查计划"].url == reverse("planning:plans")


def test_leader_is_told_a_plan_awaits_approval(portal):
    from shuangsuiji.planning.plans import plan_generate, plan_submit

    assert "年度抽查计划待审批" not in by_label(portal.leader)
    plan = plan_generate(actor=portal.coordinator, organisation=portal.county, year=2027)
    # A draft is the coordinator's until submitted (提交审批): then it awaits the leader.
    assert "年度抽查计划待审批" not in by_label(portal.leader)
    assert by_label(portal.coordinator)["计划待修改并提交审批"].count == 1
    plan_submit(actor=portal.coordinator, plan=plan)
    found = by_label(portal.leader)["年度抽查计划待审批"]
    assert (found.count, found.note) == (1, "2027 年度")
    assert found.url == reverse("planning:plan_detail", args=[plan.pk])


def test_inspector_sees_their_own_tasks(portal, make_user):
    inspection = Inspection.objects.filter(
        draw=portal.revealed, status=Inspection.Status.ASSIGNED
    ).first()
    user = team_user(inspection, make_user)
    member = inspection.members.first().inspector
    mine = Inspection.objects.filter(
        pk__in=InspectionMember.objects.filter(inspector=member).values("inspection"),
        status__in=OPEN_STATUSES,
    )
    late = mine.filter(draw=portal.hidden).count()
    found = by_label(user)
    assert found["待完成的检查任务"].count == mine.count() - late
    assert found["待完成的检查任务"].url == reverse("inspections:mine")
    overdue = found.get("超过检查时限的检查任务")
    assert (overdue.count if overdue else 0) == late
    assert "到期待抽取的抽查任务" not in found  # not the coordinator's list


def test_auditor_and_administrator(portal, organisations, make_user):
    auditor = make_user("auditor", portal.county, Role.AUDITOR)
    witness = by_label(auditor)["待现场监督的抽取（已承诺、尚未抽取）"]
    assert (witness.count, witness.note) == (1, portal.committed.draw_id)
    admin = make_user("admin", organisations["province"], Role.SYSADMIN)
    found = by_label(admin)["尚未设置政策预设的单位"]
    from shuangsuiji.accounts.models import Organisation

    without = Organisation.objects.subtree_of(organisations["province"]).filter(
        is_active=True, policy_preset=""
    )
    assert found.count == without.count() > 0


def test_home_page_shows_the_list_and_no_codes(client, portal, make_user):
    client.force_login(portal.coordinator)
    page = client.get("/").content.decode()
    assert "待办事项" in page and "到期待抽取的抽查任务" in page
    assert "zunhua-2024" not in page and "用户数" not in page
    inspection = Inspection.objects.filter(draw=portal.revealed, status="assigned").first()
    client.force_login(team_user(inspection, make_user))
    page = client.get("/").content.decode()
    assert "待完成的检查任务" in page and "到期待抽取的抽查任务" not in page


def test_the_coordinators_list_is_kept_until_the_bureaus_data_changes(portal):
    """Issue 21 §3: the 抽查管理员's list (a dozen counts over the bureau's year) is read once per
    change of the bureau's data, not once per audited act anywhere in the province. It reads
    only tables whose every write raises a version the key holds, so no write, by a service or
    by hand in SQL, leaves it stale; another bureau's writes keep it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.accounts.models import User
    from shuangsuiji.disclosure import versions
    from shuangsuiji.planning.plans import plan_generate
    from shuangsuiji.reports.todo import _coordinator, coordinator_todos
    from tests.demo_nov.test_reads_never_write import read_tables

    county = portal.county
    with CaptureQueriesContext(connection) as computed:
        _coordinator(county, TODAY)
    read = read_tables(computed.captured_queries)
    assert {"inspections_inspection", "inspections_followup", "planning_draw"} <= read
    assert read <= set(versions.versioned_tables())  # nothing NOT_PUBLIC, nothing unversioned

    def unstaffed() -> int:
        found = {t.label: t.count for t in coordinator_todos(county, TODAY)}
        return found.get("待人工指派执法人员的检查", 0)

    before = unstaffed()
    with CaptureQueriesContext(connection) as kept:
        assert unstaffed() == before
    assert len(kept) == 1  # the bureau's version, and the list from the cache

    # A write in SQL, past every service and signal, shows on the next read.
    open_check = Inspection.objects.filter(draw=portal.revealed, status="assigned").first()
    Inspection.objects.filter(pk=open_check.pk).update(status=Inspection.Status.NEEDS_TEAM)
    assert unstaffed() == before + 1

    # The neighbouring bureau's work leaves this list in the cache.
    neighbour = User.objects.get(username="coord-b")
    plan_generate(actor=neighbour, organisation=portal.neighbour, year=2027)
    with CaptureQueriesContext(connection) as kept:
        assert unstaffed() == before + 1
    assert len(kept) == 1
