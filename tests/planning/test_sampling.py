"""Coverage and targeted checks, 回避, manual teams, confidentiality (ZH-2.5, JX-3.1, JX-6.4)."""

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.inspections.creation import (
    coverage_inspections_create,
    inspection_assign_team,
    targeted_inspection_create,
)
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import annual_counts
from shuangsuiji.planning.draws import conflict_declare
from tests.support.tree import adopt_preset

from .conftest import REVEAL, SOURCES, VALUES


def q4(plan):
    return plan.tasks.get(quarter=4)


def drawn(plan, coordinator):
    draw = draw_commit(actor=coordinator, task=q4(plan), sources=SOURCES, reveal_on=REVEAL)
    return draw_execute(actor=coordinator, draw=draw, values=VALUES)


def test_positive_list_coverage_outside_the_draw(published_plan, coordinator):
    """ZH-2.5: 正面清单企业采用非现场监管方式进行日常监管，每季度实现全覆盖."""
    created = coverage_inspections_create(actor=coordinator, task=q4(published_plan))
    assert len(created) == 20
    assert {i.method for i in created} == {"非现场检查"}
    assert {i.kind for i in created} == {Inspection.Kind.COVERAGE}
    assert coverage_inspections_create(actor=coordinator, task=q4(published_plan)) == []


def test_targeted_inspection_is_no_sampling_against_the_annual_cap(
    published_plan, coordinator, county
):
    """JX-3.1: 投诉举报 etc. are checked outside the draw (绛县 三、（一）'s nine cases) and
    labelled; 绛县 四、（五）'s “同一年度内对同一污染源的抽查次数不超过2次” counts 双随机 抽查
    only, so the check is on the year's record (an inspector's load, the 统计表) but not against
    the target's cap."""
    target = Target.objects.filter(organisation=county).first()
    team = list(Inspector.objects.filter(organisation=county, start_year=2010)[:2])
    inspection = targeted_inspection_create(actor=coordinator, target=target, case="complaint",
                                            reference="12369 投诉 2026-1107", inspectors=team)  # fmt: skip
    assert inspection.kind == Inspection.Kind.TARGETED
    assert inspection.get_targeted_case_display() == "投诉举报涉嫌违法违规"
    assert annual_counts(county, inspection.year)[target.pk] == 0
    assert Inspection.objects.counted(inspection.year, county).filter(target=target).count() == 1
    with pytest.raises(ValidationError, match="请选择定向检查的事由"):
        targeted_inspection_create(actor=coordinator, target=target, case="whim", reference="x",
                                   inspectors=team)  # fmt: skip


def test_conflict_of_interest_is_frozen_into_the_draw(published_plan, coordinator, county):
    """JX-6.4 回避: a declared conflict goes into conflicts.txt and the pair is never matched."""
    inspector = Inspector.objects.filter(organisation=county, start_year=2010).first()
    targets = Target.objects.filter(organisation=county, area=inspector.area)
    for target in targets:
        conflict_declare(
            actor=coordinator, inspector=inspector, target=target, reason="亲属在该企业任职"
        )
    draw = drawn(published_plan, coordinator)
    assert f"{inspector.certificate_no}|" in draw.conflicts
    assert not Inspection.objects.filter(draw=draw, members__inspector=inspector).exists()
    with pytest.raises(ValidationError, match="已有回避记录"):
        conflict_declare(actor=coordinator, inspector=inspector, target=targets[0], reason="重复")


def test_inspector_declares_own_conflict_only(county, make_user):
    inspectors = list(Inspector.objects.filter(organisation=county)[:2])
    user = make_user(inspectors[0].certificate_no, county, Role.INSPECTOR)
    target = Target.objects.filter(organisation=county).first()
    conflict_declare(actor=user, inspector=inspectors[0], target=target, reason="曾在该企业工作")
    with pytest.raises(PermissionDenied):
        conflict_declare(actor=user, inspector=inspectors[1], target=target, reason="x")


def test_no_senior_task_gets_a_manual_team(published_plan, coordinator, county):
    """BD-3.3 以老带新: no senior in a 片区 → NO_SENIOR, never silently redrawn; assigned by hand."""
    Inspector.objects.filter(organisation=county, area="第二中队", start_year=2010).update(
        on_duty=False
    )
    draw = drawn(published_plan, coordinator)
    flagged = Inspection.objects.filter(draw=draw, status=Inspection.Status.NEEDS_TEAM)
    assert flagged.exists()
    assert all(i.flags == ["NO_SENIOR"] for i in flagged)
    inspection = flagged.first()
    junior = list(
        Inspector.objects.filter(organisation=county, area="第二中队", start_year=2025)[:2]
    )
    with pytest.raises(ValidationError, match="以老带新"):
        inspection_assign_team(
            actor=coordinator, inspection=inspection, inspectors=junior, reason="人手不足"
        )
    senior = Inspector.objects.filter(organisation=county, area="第一中队", start_year=2010).first()
    inspection_assign_team(actor=coordinator, inspection=inspection, inspectors=[senior, junior[0]],
                           reason="第二中队无带队人员，由第一中队支援")  # fmt: skip
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.ASSIGNED
    assert draw.manual_assignments.get().reason == "第二中队无带队人员，由第一中队支援"


def test_unrevealed_list_never_reaches_the_public(published_plan, coordinator, client):
    """The public sees the commitment and pool, never the selection or teams before reveal."""
    draw = drawn(published_plan, coordinator)
    result = json.loads(draw.result)
    selected = [s["id"] for stratum in result["strata"] for s in stratum["selected"]]
    page = client.get(reverse("disclosure:draw", args=[draw.draw_id])).content.decode()
    assert "名单将于检查结束后公开" in page
    assert result["seed"] not in page and bytes(draw.salt).hex() not in page
    for name in ("result.json", "salt.hex", "roster.txt", "conflicts.txt", "entropy.json"):
        response = client.get(reverse("disclosure:draw_file", args=[draw.draw_id, name]))
        assert response.status_code == 404, name
    pool = client.get(reverse("disclosure:draw_file", args=[draw.draw_id, "pool.txt"]))
    assert pool.status_code == 200
    import io
    import zipfile

    archive = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("disclosure:draw_bundle", args=[draw.draw_id])).content)
    )
    assert sorted(n.split("/")[1] for n in archive.namelist()) == [
        "commitment.json",
        "params.json",
        "pool.txt",
    ]
    # Pool lines name every candidate, so a selected id may appear there: but never a team.
    names = set(Inspector.objects.values_list("name", flat=True))
    assert not any(name in page for name in names)
    assert selected  # the draw did select


def test_inspector_sees_only_own_team(published_plan, coordinator, county, client, make_user):
    draw = drawn(published_plan, coordinator)
    mine = Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED).first()
    member = mine.members.first().inspector
    user = make_user(member.certificate_no, county, Role.INSPECTOR)
    client.force_login(user)
    page = client.get(reverse("inspections:mine")).content.decode()
    own = Inspection.objects.filter(draw=draw, members__inspector=member)
    others = Inspection.objects.filter(draw=draw).exclude(members__inspector=member)
    # Exact headings: 一般企业1 is a substring of 一般企业10.
    for inspection in own:
        assert f"<h2>{inspection.target.name}</h2>" in page
    for inspection in others:
        assert f"<h2>{inspection.target.name}</h2>" not in page
    assert client.get(reverse("inspections:detail", args=[mine.pk])).status_code == 200
    other = others.first()
    assert client.get(reverse("inspections:detail", args=[other.pk])).status_code == 403
    assert client.get(reverse("planning:draw_detail", args=[draw.pk])).status_code == 403


def test_joint_partners_recorded_by_name(published_plan, coordinator, client):
    draw = drawn(published_plan, coordinator)
    inspection = Inspection.objects.filter(draw=draw).first()
    client.force_login(coordinator)
    client.post(
        reverse("inspections:detail", args=[inspection.pk]),
        {"partners": "住建局 王强、住建局 李丽"},
    )
    inspection.refresh_from_db()
    assert inspection.partner_inspectors == ["住建局 王强", "住建局 李丽"]


def test_draw_pages_walk_through(published_plan, coordinator, client):
    client.force_login(coordinator)
    task = q4(published_plan)
    page = client.get(reverse("planning:task_prepare", args=[task.pk])).content.decode()
    assert "50% × 1 家 = 0.5，向上取整 1 家" in page and "重点监管对象" in page
    form = {
        "source_type_1": "lottery", "source_label_1": SOURCES[0][1],
        "source_type_2": "witness", "source_label_2": SOURCES[1][1], "reveal_on": REVEAL.isoformat(),
    }  # fmt: skip
    # Issue 19 §4: the commit is read back with what it makes public, and waits for “确认”.
    page = client.post(reverse("planning:task_prepare", args=[task.pk]), form).content.decode()
    assert "承诺后不能更换随机源" in page and SOURCES[0][1] in page and not task.draws.exists()
    response = client.post(
        reverse("planning:task_prepare", args=[task.pk]), {**form, "confirm": "1"}
    )
    draw = task.draws.get()
    assert response["Location"] == reverse("planning:draw_detail", args=[draw.pk])
    values = {"value_0": VALUES[0], "value_1": VALUES[1]}
    page = client.post(response["Location"], values).content.decode()
    assert "确认取值并抽取" in page and VALUES[0] in page
    draw.refresh_from_db()
    assert draw.status == "committed"
    client.post(response["Location"], {**values, "confirm": "1"})
    draw.refresh_from_db()
    assert draw.status == "drawn"
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert "保密，检查结束后公开" in page and "替补" in page


def test_unset_bureau_value_is_a_message_not_an_error_page(organisations, make_user, client):
    """HJ-att: 特殊监管对象“根据实际自行设定” — drawing waits until the bureau sets it."""
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit
    from tests.support.county import build_county

    county = build_county(organisations["b"])
    adopt_preset(county, "huojia-2024")
    coordinator = make_user("hj", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=make_user("hj-lead", county, Role.LEADER), plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    client.force_login(coordinator)
    response = client.get(reverse("planning:task_prepare", args=[plan.tasks.first().pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "根据实际自行设定" in text and "请在“本单位政策”中设定后再抽取" in text
    with pytest.raises(ValidationError, match="根据实际自行设定"):
        draw_commit(actor=coordinator, task=plan.tasks.first(), sources=SOURCES, reveal_on=REVEAL)


def test_one_visit_covers_every_applicable_item(published_plan, coordinator):
    """JX-4.1b 进一次门，查多项事; ZH-2.2 内部联合: items of several business lines in one visit."""
    draw = drawn(published_plan, coordinator)
    for inspection in Inspection.objects.filter(draw=draw).select_related("target"):
        names = set(inspection.items.values_list("name", flat=True))
        # “排放检查” (水、大气) applies to every tagged target here; the 涉密事项 has no tags.
        assert names == {"排放检查", "涉密事项"}, inspection.target
        # 水 and 大气 are two business lines, but the team is of one unit: no 内部联合 (ZH-2.2).
        assert inspection.internal_joint is False
    coverage = coverage_inspections_create(actor=coordinator, task=q4(published_plan))
    untagged = [i for i in coverage if not i.target.tag_list]
    assert untagged and all(
        set(i.items.values_list("name", flat=True)) == {"排放检查", "涉密事项"} for i in untagged
    )


def test_a_value_not_in_its_source_form_draws_nothing(published_plan, coordinator):
    """Issue 19 §5: “3 7 12 19 25 31 + 9” is how a 双色球 result is read out, not how it is
    written in the draw files: refused, and the draw stays committed with nothing recorded."""
    from shuangsuiji.planning.models import Draw

    task = q4(published_plan)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    with pytest.raises(ValidationError, match=re.escape("是否应为：3.7.12.19.25.31./9./")):
        draw_execute(actor=coordinator, draw=draw, values=["3 7 12 19 25 31 + 9", "20261122"])
    draw = Draw.objects.get(pk=draw.pk)
    assert draw.status == Draw.Status.COMMITTED and draw.entropy == "" and draw.result == ""
    assert not Inspection.objects.filter(draw=draw).exists()
    assert list(draw.sources.values_list("value", flat=True)) == ["", ""]
