"""Annual plans: generated from the policy, approved, published, adjusted in public (JX-4.1, GC-2.8)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangsuiji.planning.models import AnnualPlan, SamplingTask
from shuangsuiji.planning.plans import (
    plan_adjust,
    plan_approve,
    plan_generate,
    plan_publish,
    plan_return,
    plan_submit,
    plan_warnings,
    task_update,
)
from tests.support.tree import adopt_preset


def test_generated_from_policy_with_jiangxian_fields(county, coordinator):
    """JX-4.1: 任务名称、抽查类型、事项、对象范围、比例数量、抽取时间、发起主体及指导单位、检查依据."""
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    tasks = list(plan.tasks.order_by("sequence"))
    assert [t.number for t in tasks] == ["2026001", "2026002", "2026003", "2026004"]
    q1 = tasks[0]
    assert q1.name == "唐山市生态环境局遵化市分局2026年一季度随机抽查"  # HJ-1.3 naming convention
    assert q1.classes == ["SPECIAL", "GENERAL_POSITIVE", "KEY", "GENERAL"]
    assert "重点监管对象：不低于 25%（二、（五））" in q1.ratio_text
    assert "一般监管对象（正面清单内）：非现场检查全覆盖（二、（五））" in q1.ratio_text
    assert q1.draw_date == dt.date(2026, 1, 15)
    assert q1.initiator == county.name and q1.guidance_unit == "唐山市生态环境局"
    assert "唐山市生态环境局遵化市分局 2024 年“双随机、一公开”监管工作实施方案" in q1.basis
    assert set(q1.items.values_list("name", flat=True)) == {"排放检查", "涉密事项"}
    with pytest.raises(ValidationError, match="已有抽查计划"):
        plan_generate(actor=coordinator, organisation=county, year=2026)


def test_jiangxian_gets_annual_construction_and_joint_tasks(organisations, make_user):
    """JX-4.5.4/JX-4.5.5: 在建项目 and 联合抽查对象 are drawn once a year; joint with 住建局."""
    from shuangsuiji.accounts.roles import Role

    county = organisations["b"]
    adopt_preset(county, "jiangxian-2025")
    plan = plan_generate(
        actor=make_user("c", county, Role.COORDINATOR), organisation=county, year=2026
    )
    annual = {t.classes[0]: t for t in plan.tasks.filter(quarter__isnull=True)}
    assert set(annual) == {"JOINT", "CONSTRUCTION"}
    joint = annual["JOINT"]
    assert joint.scope == SamplingTask.Scope.DEPARTMENT_JOINT
    assert joint.partners == ["绛县城乡和住房建设管理局"]
    assert joint.name.endswith("2026年全年联合抽查对象（城镇污水处理厂）随机抽查")
    quarterly = plan.tasks.filter(quarter=1).get()
    assert quarterly.classes == ["SPECIAL", "KEY", "GENERAL"]


def test_workflow_approve_publish_adjust_republish(county, coordinator, leader, client):
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    with pytest.raises(PermissionDenied):
        plan_approve(actor=coordinator, plan=plan)
    with pytest.raises(ValidationError, match="只有已审批的计划可以公开"):
        plan_publish(actor=coordinator, plan=plan)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    task = plan.tasks.first()
    with pytest.raises(ValidationError, match="须先“调整计划”"):
        task_update(actor=coordinator, task=task, name="改名")
    plan_publish(actor=coordinator, plan=plan)
    with pytest.raises(ValidationError, match="请填写调整原因"):
        plan_adjust(actor=coordinator, plan=plan, reason="")
    plan = plan_adjust(actor=coordinator, plan=plan, reason="新增联合抽查任务")
    assert plan.status == AnnualPlan.Status.ADJUSTING and plan.version == 2
    task_update(actor=coordinator, task=task, name="遵化分局2026年一季度内部联合随机抽查",
                scope=SamplingTask.Scope.INTERNAL_JOINT)  # fmt: skip
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    revisions = list(plan.revisions.order_by("version"))
    assert [r.version for r in revisions] == [1, 2]
    assert revisions[1].reason == "新增联合抽查任务"
    assert revisions[0].snapshot["tasks"][0]["name"] != revisions[1].snapshot["tasks"][0]["name"]
    # The history stays public; 涉密 items are not listed.
    page = client.get(reverse("disclosure:plan", args=[county.code, 2026, 1])).content.decode()
    assert "唐山市生态环境局遵化市分局2026年一季度随机抽查" in page and "涉密事项" not in page
    page = client.get(reverse("disclosure:organisation", args=[county.code])).content.decode()
    assert "第 2 版" in page and "新增联合抽查任务" in page


def test_draft_and_unpublished_plans_are_not_public(county, coordinator, leader, client):
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    assert client.get(reverse("disclosure:plan", args=[county.code, 2026, 1])).status_code == 404
    assert (
        "暂无公开的计划"
        in client.get(reverse("disclosure:organisation", args=[county.code])).content.decode()
    )


@pytest.fixture
def jiangxian(organisations, make_user):
    from shuangsuiji.accounts.roles import Role

    county = organisations["b"]
    adopt_preset(county, "jiangxian-2025")
    return (
        county,
        make_user("jx-coord", county, Role.COORDINATOR),
        make_user("jx-lead", county, Role.LEADER),
    )


def test_deadline_warnings(jiangxian):
    """JX-4.1: 3 月底前制定完成；印发之日起 20 个工作日内公开."""
    county, coordinator, _leader = jiangxian
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    assert plan_warnings(plan, dt.date(2026, 3, 20)) == []
    [late] = plan_warnings(plan, dt.date(2026, 4, 1))
    assert late == "年度抽查计划应于 2026-03-31 前制定完成（四、（一）），至今尚未审批印发。"
    plan.issued_on = dt.date(2026, 3, 2)
    plan.status = AnnualPlan.Status.APPROVED
    plan.save()
    # 20 working days from 2026-03-02 is 2026-03-30.
    assert plan_warnings(plan, dt.date(2026, 3, 30)) == []
    [unpublished] = plan_warnings(plan, dt.date(2026, 3, 31))
    assert (
        unpublished
        == "应在印发之日起 20 个工作日内（2026-03-30 前）向社会公开（四、（一）），至今尚未公开。"
    )


def test_no_warnings_where_the_plan_sets_no_deadline(county, coordinator):
    """遵化's plan sets no plan deadline: none is invented."""
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    assert plan_warnings(plan, dt.date(2026, 12, 1)) == []


def test_plan_pages(client, county, coordinator, leader):
    """Issue 19 §4: 提交审批 → the 领导's to-do → a review page saying what approval fixes, with
    an opinion → 审批印发; nothing irreversible runs from a bare POST."""
    client.force_login(coordinator)
    response = client.post(reverse("planning:plans"), {"year": 2026})
    plan = AnnualPlan.objects.get()
    assert response["Location"] == reverse("planning:plan_detail", args=[plan.pk])
    page = client.get(response["Location"]).content.decode()
    assert "审批或退回" not in page and "编辑" in page and "提交审批" in page
    client.force_login(leader)
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert "审批或退回" not in page  # nothing to approve before it is submitted
    review = client.get(reverse("planning:plan_approve", args=[plan.pk])).content.decode()
    assert "现在不能审批" in review and "须由抽查管理员提交审批后才能审批" in review
    client.force_login(coordinator)
    client.post(reverse("planning:plan_submit", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.SUBMITTED
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert "等待领导审批印发" in page and ">编辑<" not in page
    client.force_login(leader)
    home = client.get("/").content.decode()
    assert "年度抽查计划待审批" in home
    review = client.get(reverse("planning:plan_approve", args=[plan.pk])).content.decode()
    assert "审批后计划不能再修改" in review and "退回修改" in review
    client.post(reverse("planning:plan_approve", args=[plan.pk]), {"comment": "同意"})
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.SUBMITTED  # no “确认”, nothing done
    client.post(
        reverse("planning:plan_approve", args=[plan.pk]), {"comment": "同意", "confirm": "1"}
    )
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.APPROVED and plan.approved_by == leader
    [submitted, approved] = plan.reviews.all()
    assert (submitted.decision, approved.decision, approved.comment) == (
        "submitted",
        "approved",
        "同意",
    )
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert "审批印发：同意" in page


def test_the_leader_sends_a_plan_back_with_an_opinion(client, county, coordinator, leader):
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=coordinator, plan=plan)
    with pytest.raises(ValidationError, match="须由领导退回后才能修改"):
        task_update(actor=coordinator, task=plan.tasks.first(), name="改名")
    client.force_login(leader)
    client.post(
        reverse("planning:plan_return", args=[plan.pk]), {"return-comment": "", "confirm": "1"}
    )
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.SUBMITTED  # an opinion is required
    client.post(
        reverse("planning:plan_return", args=[plan.pk]),
        {"return-comment": "二季度任务请补充危废专项", "confirm": "1"},
    )
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.DRAFT
    client.force_login(coordinator)
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert "退回修改：二季度任务请补充危废专项" in page and "提交审批" in page
    assert "计划待修改并提交审批" in client.get("/").content.decode()
    task_update(actor=coordinator, task=plan.tasks.first(), name="改名")
    with pytest.raises(PermissionDenied):
        plan_return(actor=coordinator, plan=plan, comment="自己退回")


def test_publishing_is_confirmed_on_a_page_saying_what_becomes_public(
    client, county, coordinator, leader
):
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=coordinator, plan=plan)
    plan_approve(actor=leader, plan=plan)
    client.force_login(coordinator)
    url = reverse("planning:plan_publish", args=[plan.pk])
    page = client.get(url).content.decode()
    assert "任何人都可以查看和下载" in page and "不能撤回" in page
    client.post(url)
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.APPROVED
    client.post(url, {"confirm": "1"})
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.PUBLISHED


def test_task_form_shows_dates_in_iso_form(client, county, coordinator):
    """Django's zh-hans format writes 2026/01/15, which a date input rejects as empty."""
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    client.force_login(coordinator)
    page = client.get(reverse("planning:task_edit", args=[plan.tasks.first().pk])).content.decode()
    assert 'value="2026-01-15"' in page


def test_the_plan_page_lists_each_tasks_items_and_draws(
    client, county, coordinator, leader, organisations, make_user
):
    """计划详情 (its queries compiled once, planning.selectors; issue 21 §3): each task's row
    names its 抽查事项 in the register's order and links its draws with their status; a
    bureau's plan is not shown to another bureau, and a 市局 reads its 分局's."""
    from shuangsuiji.accounts.roles import Role
    from shuangsuiji.acts.draws import draw_commit
    from shuangsuiji.directory.models import InspectionItem
    from tests.support.portal import REVEAL, SOURCES

    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    q1, q2 = plan.tasks.order_by("sequence")[:2]
    first = InspectionItem.objects.filter(organisation=county).order_by("sequence", "name")
    names = list(first.values_list("name", flat=True))
    q2.items.set([])
    client.force_login(coordinator)
    url = reverse("planning:plan_detail", args=[plan.pk])
    page = client.get(url).content.decode()
    q1_row = page[page.index(f"<td>{q1.number}</td>") :].split("</tr>", 1)[0]
    assert f"<td>{'；'.join(names)}</td>" in q1_row
    q2_row = page[page.index(f"<td>{q2.number}</td>") :].split("</tr>", 1)[0]
    assert "<td>—</td>" in q2_row and "planning/draws/" not in q2_row

    plan_submit(actor=coordinator, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    draw = draw_commit(actor=coordinator, task=q1, sources=SOURCES, reveal_on=REVEAL)
    q1_row = client.get(url).content.decode().split(f"<td>{q1.number}</td>", 1)[1]
    q1_row = q1_row.split("</tr>", 1)[0]
    link = reverse("planning:draw_detail", args=[draw.pk])
    assert f'<a href="{link}">{draw.draw_id}</a>（{draw.get_status_display()}）' in q1_row

    neighbour = make_user("coord-neighbour", organisations["b"], Role.COORDINATOR)
    client.force_login(neighbour)
    assert client.get(url).status_code == 404
    city = make_user("coord-city", organisations["city"], Role.COORDINATOR)
    client.force_login(city)
    assert client.get(url).status_code == 200
