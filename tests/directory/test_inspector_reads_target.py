"""An 执法人员 opens the register record of a target his team is sent to inspect (issue 19 §8),
from 我的任务 and from the inspection's page; no other record of the registers, and not once the
inspection is cancelled with its draw."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji_demo.year import clock
from tests.support.county import build_county

#: In the fourth quarter of 2026, so the draw below is neither ahead of its quarter nor late.
NOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REFUSED = "只能查看本组检查任务的检查对象"


@pytest.fixture
def quarter(organisations, make_user):
    """遵化-like county's published plan, its fourth quarter drawn: the draw, an inspection with
    its team, the account of the team's first member and of an officer on no team of it."""
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    with clock(NOW):
        county = build_county(organisations["a"])
        coordinator = make_user("coord", county, Role.COORDINATOR)
        leader = make_user("leader", county, Role.LEADER)
        plan = plan_generate(actor=coordinator, organisation=county, year=2026)
        plan_submit(actor=coordinator, plan=plan)
        plan_approve(actor=leader, plan=plan)
        plan_publish(actor=coordinator, plan=plan)
        draw = draw_commit(
            actor=coordinator,
            task=plan.tasks.get(quarter=4),
            sources=[("lottery", "中国福利彩票双色球 2026122 期")],
            reveal_on=dt.date(2026, 12, 31),
        )
        draw = draw_execute(actor=coordinator, draw=draw, values=["1.2.3.4.5.6./7./"])
    inspection = Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED).first()
    member = inspection.members.order_by("position").first().inspector
    inspector = make_user(member.certificate_no, county, Role.INSPECTOR)
    sent_to = Inspection.objects.filter(members__inspector=member).values("target_id")
    other = Inspection.objects.filter(draw=draw).exclude(target_id__in=sent_to).first().target
    idle = (
        Inspector.objects.drawable()
        .filter(organisation=county)
        .exclude(pk__in=inspection.members.values("inspector_id"))
        .first()
    )
    return {
        "coordinator": coordinator,
        "draw": draw,
        "inspection": inspection,
        "inspector": inspector,
        "member": member,
        "other": other,
        "colleague": make_user(idle.certificate_no, county, Role.INSPECTOR),
    }


def record_url(target) -> str:
    return reverse("directory:detail", args=["targets", target.pk])


def test_the_team_reads_its_target(client, quarter):
    inspection = quarter["inspection"]
    client.force_login(quarter["inspector"])
    response = client.get(record_url(inspection.target))
    assert response.status_code == 200
    page = response.content.decode()
    assert inspection.target.name in page and inspection.target.credit_code in page
    # Back to the task, and not the register's change log (who changed what, and why).
    assert reverse("inspections:detail", args=[inspection.pk]) in page
    assert "变更记录" not in page
    assert reverse("directory:edit", args=["targets", inspection.target.pk]) not in page


def test_no_other_target_and_no_other_register(client, quarter):
    client.force_login(quarter["inspector"])
    response = client.get(record_url(quarter["other"]))
    assert response.status_code == 403 and REFUSED in response.content.decode()
    # His own row of the officers' register holds his 身份证号 and 联系电话: not for him here.
    own = reverse("directory:detail", args=["inspectors", quarter["member"].pk])
    assert client.get(own).status_code == 403
    assert client.get(reverse("directory:list", args=["targets"])).status_code == 403


def test_an_officer_on_another_team_is_refused(client, quarter):
    client.force_login(quarter["colleague"])
    response = client.get(record_url(quarter["inspection"].target))
    assert response.status_code == 403 and REFUSED in response.content.decode()


def test_a_cancelled_inspection_grants_nothing(client, quarter):
    from shuangsuiji.acts.draws import draw_abort
    from shuangsuiji.inspections.models import Inspection

    url = record_url(quarter["inspection"].target)
    client.force_login(quarter["inspector"])
    assert client.get(url).status_code == 200
    with clock(NOW + dt.timedelta(days=1)):
        draw_abort(actor=quarter["coordinator"], draw=quarter["draw"], reason="随机源停售")
    quarter["inspection"].refresh_from_db()
    assert quarter["inspection"].status == Inspection.Status.CANCELLED
    assert client.get(url).status_code == 403


def test_my_tasks_and_the_inspection_link_to_the_record(client, quarter):
    inspection = quarter["inspection"]
    client.force_login(quarter["inspector"])
    url = record_url(inspection.target)
    mine = client.get(reverse("inspections:mine")).content.decode()
    assert f'href="{url}"' in mine
    detail = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert f'href="{url}"' in detail


def test_readers_still_see_the_change_log(client, quarter):
    client.force_login(quarter["coordinator"])
    response = client.get(record_url(quarter["other"]))
    assert response.status_code == 200 and "变更记录" in response.content.decode()
