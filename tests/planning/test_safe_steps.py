"""Issue 19 §4–§5: irreversible steps are confirmed on a page that says what follows, actions
that cannot succeed are not offered (the reason is shown instead), and the draw's inputs are
checked: 最迟公开日期 not before the task's inspection period ends, a reason to draw ahead."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.planning.draws import commit_rules, task_period
from shuangsuiji.planning.models import Draw
from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

from .conftest import REVEAL, SOURCES, VALUES


def q4(plan):
    return plan.tasks.get(quarter=4)


def test_the_list_is_not_public_before_the_inspection_period_ends(published_plan, coordinator):
    task = q4(published_plan)
    _, end = task_period(task)
    assert end == (task.inspection_deadline or dt.date(2026, 12, 31))
    assert commit_rules(task, dt.date(2026, 10, 8)) == (end, False)
    with pytest.raises(ValidationError, match=f"最迟公开日期不能早于 {end:%Y-%m-%d}"):
        draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=end - dt.timedelta(1))
    assert not task.draws.exists()
    assert (
        draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=end).reveal_on == end
    )


def test_drawing_ahead_of_the_quarter_needs_a_reason(county, coordinator, leader, client):
    plan = plan_generate(actor=coordinator, organisation=county, year=2027)
    plan_submit(actor=coordinator, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    task = plan.tasks.get(quarter=1)
    assert commit_rules(task, dt.date(2026, 12, 4))[1] is True
    reveal = task_period(task)[1]
    with pytest.raises(ValidationError, match="属于提前抽取"):
        draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=reveal)
    client.force_login(coordinator)
    page = client.get(reverse("planning:task_prepare", args=[task.pk])).content.decode()
    assert "提前抽取原因" in page and "2027-01-01 开始" in page
    draw = draw_commit(
        actor=coordinator, task=task, sources=SOURCES, reveal_on=reveal,
        ahead_reason="春节前后企业停产，一季度检查须在一月上旬开始",
    )  # fmt: skip
    assert draw.ahead_reason.startswith("春节前后企业停产")
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert "提前抽取原因：春节前后企业停产" in page


def test_a_second_commit_is_not_offered(published_plan, coordinator, client):
    task = q4(published_plan)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    client.force_login(coordinator)
    page = client.get(reverse("planning:task_prepare", args=[task.pk])).content.decode()
    assert f"本任务已有抽取 {draw.draw_id}" in page and "承诺并公开候选名单" not in page


def test_a_draft_plan_offers_no_draw(county, coordinator, client):
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    client.force_login(coordinator)
    page = client.get(reverse("planning:plan_detail", args=[plan.pk])).content.decode()
    assert ">抽取</a>" not in page and "向社会公开后才能抽取（无计划清单不检查）" in page
    assert "JX-" not in page  # the reason is the rule in words, not another county's clause code


def test_each_source_is_typed_in_its_own_form(published_plan, coordinator, client):
    draw = draw_commit(
        actor=coordinator, task=q4(published_plan), sources=SOURCES, reveal_on=REVEAL
    )
    client.force_login(coordinator)
    url = reverse("planning:draw_detail", args=[draw.pk])
    page = client.get(url).content.decode()
    assert "双色球开奖号码：6 个红球（1–33）和 1 个蓝球（1–16）" in page
    assert "见证人现场写下的数字：1 至 32 位阿拉伯数字" in page
    page = client.post(url, {"value_0": "3 7 12 19 25 31 + 9", "value_1": "2026 11 22"})
    text = page.content.decode()
    assert "是否应为：3.7.12.19.25.31./9./" in text and "不含空格、字母或标点" in text
    assert "确认取值并抽取" not in text
    draw.refresh_from_db()
    assert draw.status == Draw.Status.COMMITTED


def test_reveal_is_not_offered_while_checks_run(published_plan, coordinator, client):
    task = q4(published_plan)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    draw_execute(actor=coordinator, draw=draw, values=VALUES)
    client.force_login(coordinator)
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert "项检查未完成" in page and "公开名单与盐值…" not in page
    url = reverse("planning:draw_reveal", args=[draw.pk])
    page = client.get(url).content.decode()
    assert "现在不能公开" in page and 'name="confirm"' not in page
    client.post(url, {"confirm": "1"})
    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWN


def test_abort_is_set_apart_and_needs_a_reason(published_plan, coordinator, client):
    draw = draw_commit(
        actor=coordinator, task=q4(published_plan), sources=SOURCES, reveal_on=REVEAL
    )
    client.force_login(coordinator)
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert "作废本次抽取…" in page and 'name="reason"' not in page
    url = reverse("planning:draw_abort", args=[draw.pk])
    page = client.get(url).content.decode()
    assert "盐值立即公开" in page and "作废原因" in page
    client.post(url, {"reason": "", "confirm": "1"})
    client.post(url, {"reason": "随机源当期停售"})
    draw.refresh_from_db()
    assert draw.status == Draw.Status.COMMITTED  # no reason, or no confirmation: nothing done
    client.post(url, {"reason": "随机源当期停售", "confirm": "1"})
    draw.refresh_from_db()
    assert (draw.status, draw.aborted_reason) == (Draw.Status.ABORTED, "随机源当期停售")
