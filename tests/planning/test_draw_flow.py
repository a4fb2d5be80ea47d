"""A quarter's draw through the services: commit → draw → teams → substitute → reveal (BD-3.3)."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuangsuiji import draw as engine
from shuangsuiji.acts.draws import draw_abort, draw_commit, draw_execute, draw_prepare, draw_reveal
from shuangsuiji.inspections.creation import inspection_substitute
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw

from .conftest import REVEAL, SOURCES, VALUES


def q4(plan):
    return plan.tasks.get(quarter=4)


def test_preparation_uses_the_policy(published_plan):
    """ZH-2.5: 重点 25% × 40 = 10, 一般 3% × 200 = 6, 特殊 50% × 1 = 1 (挂牌督办 in Q3)."""
    preparation = draw_prepare(q4(published_plan))
    quotas = {q.code: q.quota for q in preparation.strata}
    assert quotas == {"SPECIAL": 1, "KEY": 10, "GENERAL": 6}
    assert [q.code for q in preparation.coverage] == ["GENERAL_POSITIVE"]
    assert len(preparation.candidates) == 240
    assert len(preparation.inspectors) == 12  # the 专家 is never drawn as one of the two
    assert sum(i.senior for i in preparation.inspectors) == 6


def test_commit_draw_and_reveal_verify(published_plan, coordinator):
    task = q4(published_plan)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    assert draw.status == Draw.Status.COMMITTED
    commitment = json.loads(draw.commitment)
    assert commitment["draw_id"] == draw.draw_id == f"130281-{task.number}-1"
    assert "salt.hex" not in draw.bundle_files(with_salt=False)
    report = engine.verify(draw.bundle_files(with_salt=False))
    assert report.ok

    draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
    result = json.loads(draw.result)
    selected = [s["id"] for stratum in result["strata"] for s in stratum["selected"]]
    assert len(selected) == 17
    inspections = Inspection.objects.filter(draw=draw)
    assert inspections.count() == 17
    staffed = inspections.filter(status=Inspection.Status.ASSIGNED)
    for inspection in staffed:
        members = list(inspection.members.select_related("inspector"))
        assert len(members) == 2 and members[0].is_lead
        assert members[0].inspector.start_year <= 2023  # 以老带新: a senior leads
        assert {m.inspector.area for m in members} == {inspection.target.area}

    with pytest.raises(ValidationError, match="检查未完成"):
        draw_reveal(actor=coordinator, draw=draw, today=REVEAL.replace(day=1))
    draw = draw_reveal(actor=coordinator, draw=draw, today=REVEAL)
    assert draw.status == Draw.Status.REVEALED and draw.verified is True
    report = engine.verify(draw.bundle_files(with_salt=True))
    assert report.ok and all(check.ok for check in report.checks)


def test_no_second_live_draw_and_abort_then_redraw(published_plan, coordinator):
    task = q4(published_plan)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    with pytest.raises(ValidationError, match="已有一次未作废的抽取"):
        draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    draw_execute(actor=coordinator, draw=draw, values=VALUES)
    with pytest.raises(ValidationError, match="不能再次抽取"):
        draw_execute(actor=coordinator, draw=draw, values=VALUES)
    aborted = draw_abort(actor=coordinator, draw=draw, reason="随机源开奖延期")
    assert aborted.salt_public and aborted.verified is True
    assert not Inspection.objects.filter(draw=draw).exclude(status="cancelled").exists()
    again = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    assert again.draw_id.endswith("-2") and again.attempt == 2


def test_substitution_takes_the_top_of_the_reserve(published_plan, coordinator):
    task = q4(published_plan)
    draw = draw_execute(actor=coordinator, values=VALUES,
                        draw=draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL))  # fmt: skip
    general = next(s for s in json.loads(draw.result)["strata"] if s["code"] == "GENERAL")
    first = Inspection.objects.get(draw=draw, target__credit_code=general["selected"][0]["id"])
    replacement = inspection_substitute(actor=coordinator, inspection=first, reason="suspended",
                                        evidence="企业停产证明（2026-11-20）")  # fmt: skip
    assert replacement.target.credit_code == general["reserve"][0]
    first.refresh_from_db()
    assert first.status == Inspection.Status.SUBSTITUTED
    second = Inspection.objects.get(draw=draw, target__credit_code=general["selected"][1]["id"])
    replacement2 = inspection_substitute(actor=coordinator, inspection=second, reason="unreachable",
                                         evidence="三次电话无人接听")  # fmt: skip
    assert replacement2.target.credit_code == general["reserve"][1]
    with pytest.raises(ValidationError, match="请从规定的原因中选择"):
        inspection_substitute(
            actor=coordinator, inspection=replacement, reason="不想查", evidence="x"
        )


def test_only_published_plans_are_drawn(county, coordinator):
    """JX-2.2: 无计划清单不检查."""
    from shuangsuiji.planning.plans import plan_generate

    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    with pytest.raises(ValidationError, match="向社会公开后才能抽取"):
        draw_commit(actor=coordinator, task=q4(plan), sources=SOURCES, reveal_on=REVEAL)


def test_leader_cannot_draw(published_plan, leader):
    with pytest.raises(PermissionDenied):
        draw_commit(actor=leader, task=q4(published_plan), sources=SOURCES, reveal_on=REVEAL)
