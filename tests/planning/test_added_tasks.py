"""Added tasks and 定向抽查 (ZH-2.4 遵化 二、（四）, 藁城 二、（六）, GC-2.8 藁城 二、（八）).

A coordinator adds a 专项, 定向 or 部门联合 task to a published plan only through the adjustment
procedure: a reason, the 领导's approval, a new public version. A 定向 task draws at random inside
its range (an industry, an area, a 要素, records in a period); the range is in params.json and on
the public plan, and the pool holds the units inside it only.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_commit
from shuangsuiji.planning.models import PlanRevision, SamplingTask
from shuangsuiji.planning.plans import (
    plan_adjust,
    plan_approve,
    plan_generate,
    plan_publish,
    plan_submit,
    task_add,
)
from tests.support.county import AREAS, build_county
from tests.support.workbooks import uscc

SOURCES = [("lottery", "中国福利彩票双色球 2026140 期")]
REVEAL_ON = dt.date(2027, 1, 29)


@pytest.fixture
def published(organisations, make_user):
    county = build_county(organisations["a"])
    coordinator = make_user("coord", county, Role.COORDINATOR)
    leader = make_user("leader", county, Role.LEADER)
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    return plan, coordinator, leader


DIRECTED = {
    "name": "2026 年第一执法中队大气专项随机抽查",
    "quarter": 4,
    "classes": ["KEY", "GENERAL"],
    "filters": {"执法片区": [AREAS[0]], "要素标签": ["大气"]},
    "sample": {"ratio": "50%"},
}


def directed_draw(plan, coordinator, leader):
    """The 定向 task added through the adjustment, approved, published and committed."""
    plan_adjust(actor=coordinator, plan=plan, reason="市局部署大气专项行动")
    task = task_add(actor=coordinator, plan=plan, **DIRECTED)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    return draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL_ON)


def test_a_published_plan_takes_a_new_task_only_through_the_adjustment(published):
    """GC-2.8 “调整年度计划须履行程序并公开”: refused while published; after 调整计划 with a reason
    the task is added, and approval and publication make version 2, which shows its range."""
    plan, coordinator, leader = published
    with pytest.raises(ValidationError) as refused:
        task_add(actor=coordinator, plan=plan, **DIRECTED)
    assert "须先“调整计划”并说明原因" in str(refused.value)
    plan_adjust(actor=coordinator, plan=plan, reason="市局部署大气专项行动")
    directed = task_add(actor=coordinator, plan=plan, **DIRECTED)
    joint = task_add(actor=coordinator, plan=plan, name="2026 年危废部门联合抽查", quarter=4,
                     classes=["KEY"], scope=SamplingTask.Scope.DEPARTMENT_JOINT,
                     partners=["遵化市应急管理局"])  # fmt: skip
    assert (directed.kind, directed.number) == (
        SamplingTask.Kind.DIRECTED,
        f"2026{directed.sequence:03d}",
    )
    assert (joint.kind, joint.partners) == (SamplingTask.Kind.UNDIRECTED, ["遵化市应急管理局"])
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    revision = PlanRevision.objects.get(plan=plan, version=2)
    assert revision.reason == "市局部署大气专项行动"
    shown = {t["number"]: t for t in revision.snapshot["tasks"]}
    assert shown[directed.number]["filter"] == "定向抽查：执法片区为 第一中队；要素标签为 大气"
    assert shown[directed.number]["kind"] == "定向抽查"
    assert shown[joint.number]["scope"] == "部门联合" and shown[joint.number]["partners"] == [
        "遵化市应急管理局"
    ]
    assert shown[directed.number]["ratio"] == "本任务各类别抽取 50%"


def test_a_directed_draw_pools_only_the_range_and_says_so_in_its_params(published):
    """The pool of the 定向 task holds the 大气 units of 第一中队 only; each class's quota is the
    task's 50 % of the units inside the range; params.json states the range."""
    draw = directed_draw(*published)
    pooled = [line.split("|")[0] for line in draw.pool.splitlines()]
    # 重点企业 1–40 carry 大气; those in 第一中队 are the even ones; 一般企业 carry 水.
    assert sorted(pooled) == sorted(uscc(i) for i in range(2, 41, 2))
    params = json.loads(draw.params)
    assert params["filter"] == "定向抽查：执法片区为 第一中队；要素标签为 大气"
    key = next(s for s in params["strata"] if s["code"] == "KEY")
    assert key["k"] == 10  # ⌈50% × 20⌉
    assert key["basis"].startswith("50% × 20 家 = 10 家（任务 ")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"classes": []}, "请从本单位政策的监管类别中选择至少一类"),
        ({"classes": ["JOINT"]}, "请从本单位政策的监管类别中选择至少一类"),
        ({"scope": SamplingTask.Scope.DEPARTMENT_JOINT}, "部门联合抽查须写明联合部门"),
        ({"sample": {"ratio": "一半"}}, "本任务抽查比例"),
        (
            {
                "filters": {
                    "监管记录": {"kinds": ["罚款"], "from": "2026-01-01", "to": "2026-06-30"}
                }
            },
            "监管记录类型应为",
        ),
        (
            {
                "filters": {
                    "监管记录": {"kinds": ["举报查实"], "from": "2026-07-01", "to": "2026-06-30"}
                }
            },
            "截止日期早于起始日期",
        ),
    ],
)
def test_a_task_that_cannot_be_drawn_is_refused_and_nothing_is_added(published, change, words):
    plan, coordinator, _leader = published
    plan_adjust(actor=coordinator, plan=plan, reason="专项")
    before = plan.tasks.count()
    with pytest.raises(ValidationError) as refused:
        task_add(actor=coordinator, plan=plan, **{**DIRECTED, **change})
    assert words in str(refused.value)
    assert plan.tasks.count() == before


def test_the_coordinator_adds_a_task_from_the_plan_page(published, client, make_user):
    plan, coordinator, leader = published
    plan_adjust(actor=coordinator, plan=plan, reason="市局部署专项行动")
    url = reverse("planning:task_add", args=[plan.pk])
    client.force_login(coordinator)
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert url in page
    refused = client.post(url, {"name": "举报专项", "quarter": "4", "classes": ["GENERAL"],
                                "scope": "own", "record_kinds": ["举报查实"]})  # fmt: skip
    assert refused.status_code == 200
    assert "按监管记录定向时，请填写记录的起始和截止日期" in refused.content.decode()
    response = client.post(url, {"name": "举报专项", "quarter": "4", "classes": ["GENERAL"],
                                 "scope": "own", "record_kinds": ["举报查实"],
                                 "record_from": "2026-01-01", "record_to": "2026-09-30",
                                 "ratio": "20%"})  # fmt: skip
    assert response.status_code == 302
    task = plan.tasks.get(name="举报专项")
    assert task.filters == {
        "监管记录": {"kinds": ["举报查实"], "from": "2026-01-01", "to": "2026-09-30"}
    }
    assert task.sample == {"ratio": "20%"}
    client.force_login(leader)
    assert client.get(url).status_code == 403


def test_the_public_draw_page_states_the_range(published, client):
    draw = directed_draw(*published)
    page = client.get(reverse("disclosure:draw", args=[draw.draw_id])).content.decode()
    assert "定向抽查：执法片区为 第一中队；要素标签为 大气" in page
