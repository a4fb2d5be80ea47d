"""专家 and 辅助人员 beside the enforcement officers of an inspection.

BD-3.2 (保定 三、（二）): "对特定领域的抽查，可在满足执法检查人数要求的基础上，吸收检测机构、科研院所
和专家学者等参与" — they join a team that already has its officers, and never count as one.
HJ-1.2 (获嘉 一、（二）) 专家库 and JX-4.4 (绛县 四、（四）) 辅助检查人员名录库 are the registers
they come from. No plan draws them at random: the coordinator names them with a reason.
"""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory.models import Inspector
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.inspections import services
from shuangsuiji.inspections.creation import (
    inspection_add_assistant,
    inspection_remove_assistant,
)
from shuangsuiji.inspections.models import Inspection, InspectionAssistant
from shuangsuiji.inspections.selectors import annual_counts, inspector_loads
from shuangsuiji.planning.draws import conflict_declare
from shuangsuiji.planning.models import Draw

REASON = "辐射安全设施需专业判断"


@pytest.fixture
def s(setup):
    built = setup("zunhua-2024")
    county = built["county"]
    built["expert"] = Inspector.objects.get(organisation=county, certificate_no="ZJ001")
    built["auxiliary"] = Inspector.objects.create(
        organisation=county, name="监测员乙", certificate_no="FZ002", unit="县环境监测站",
        category=InspectorCategory.AUXILIARY,
    )  # fmt: skip
    return built


def add(s, person, reason=REASON, actor=None, inspection=None):
    return inspection_add_assistant(
        actor=actor or s["coordinator"],
        inspection=inspection or s["inspection"],
        person=person,
        reason=reason,
    )


def test_expert_and_auxiliary_join_beside_the_team(s):
    """BD-3.2: both categories of the register join; the role and reason are recorded, each
    act is audited, and the team, its lead and its size are unchanged (行政处罚法 第四十二条)."""
    inspection = s["inspection"]
    team = list(inspection.members.values_list("inspector_id", "is_lead", "position"))
    expert = add(s, s["expert"])
    auxiliary = add(s, s["auxiliary"], reason="现场采样")
    assert expert.role == InspectionAssistant.Role.EXPERT and expert.reason == REASON
    assert auxiliary.role == InspectionAssistant.Role.AUXILIARY
    assert list(inspection.assistants.values_list("person__certificate_no", flat=True)) == [
        "ZJ001",
        "FZ002",
    ]
    assert list(inspection.members.values_list("inspector_id", "is_lead", "position")) == team
    assert inspection.team.count() == len(team) == 2
    events = AuditEvent.objects.filter(action="inspection.assistant_add")
    assert events.count() == 2
    assert events.first().detail["参与理由"] == REASON
    assert events.first().object_id == str(inspection.pk)


def test_removal_is_audited_and_kept_in_history(s):
    """BD-3.2: the coordinator takes an assistant off again; the row's history keeps it."""
    assistant = add(s, s["expert"])
    pk = assistant.pk
    inspection_remove_assistant(
        actor=s["coordinator"], inspection=s["inspection"], assistant=assistant
    )
    assert not s["inspection"].assistants.exists()
    assert list(
        InspectionAssistant.history.filter(id=pk).values_list("history_type", flat=True)
    ) == ["-", "+"]
    assert AuditEvent.objects.filter(action="inspection.assistant_remove").count() == 1


def test_an_enforcement_officer_is_not_an_assistant(s):
    """BD-3.2: the officers are the team (drawn, BD-3.3); one of them never joins beside it."""
    officer = (
        Inspector.objects.drawable()
        .filter(organisation=s["county"])
        .exclude(pk__in=[m.pk for m in s["members"]])
        .first()
    )
    with pytest.raises(ValidationError, match="是执法人员"):
        add(s, officer)
    with pytest.raises(ValidationError, match="是执法人员"):
        add(s, s["members"][0])
    assert not s["inspection"].assistants.exists()


def test_other_bureau_refused(s, organisations, make_user):
    """BD-3.2 and HJ-1.2: the bureau's own register; a neighbour's coordinator may not act."""
    neighbour = organisations["b"]
    foreign = Inspector.objects.create(
        organisation=neighbour, name="外局专家", certificate_no="ZJ900",
        category=InspectorCategory.EXPERT,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="不在本单位"):
        add(s, foreign)
    other = make_user("coord-b", neighbour, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        add(s, s["expert"], actor=other)
    with pytest.raises(PermissionDenied):
        add(s, s["expert"], actor=s["inspector"])
    assert not s["inspection"].assistants.exists()


def test_conflict_of_interest_refused(s):
    """JX-6.4 回避: an expert who must stand aside for this target cannot join."""
    conflict_declare(
        actor=s["coordinator"], inspector=s["expert"], target=s["inspection"].target,
        reason="曾为该企业编制环评报告",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="须回避"):
        add(s, s["expert"])


def test_only_on_duty_and_in_register(s):
    """JX-4.4: the register is adjusted as people move; those not 在岗 or removed cannot join."""
    Inspector.objects.filter(pk=s["expert"].pk).update(on_duty=False)
    s["expert"].refresh_from_db()
    with pytest.raises(ValidationError, match="不在岗"):
        add(s, s["expert"])
    Inspector.objects.filter(pk=s["auxiliary"].pk).update(in_register=False)
    s["auxiliary"].refresh_from_db()
    with pytest.raises(ValidationError, match="移出名录"):
        add(s, s["auxiliary"])


def test_reason_required_and_once_per_inspection(s):
    """BD-3.2 "满足专业抽查需要": the coordinator says why; a person joins once."""
    with pytest.raises(ValidationError, match="理由"):
        add(s, s["expert"], reason="  ")
    add(s, s["expert"])
    with pytest.raises(ValidationError, match="已在本次检查中"):
        add(s, s["expert"])


def test_only_beside_a_complete_team_before_submission(s):
    """BD-3.2 "在满足执法检查人数要求的基础上": not on an inspection still waiting for its
    officers; and not changed after the record is submitted."""
    inspection = s["inspection"]
    assistant = add(s, s["expert"])
    Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.DONE)
    with pytest.raises(ValidationError, match="执法检查人数要求"):
        add(s, s["auxiliary"], inspection=inspection)
    with pytest.raises(ValidationError, match="执法检查人数要求"):
        inspection_remove_assistant(
            actor=s["coordinator"], inspection=inspection, assistant=assistant
        )
    Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.NEEDS_TEAM)
    with pytest.raises(ValidationError, match="执法检查人数要求"):
        add(s, s["auxiliary"], inspection=inspection)


def test_counts_loads_and_drawn_team_unchanged(s, make_user):
    """BD-3.2 and BD-3.3: an assistant is not drawn and not one of the officers: the target's
    annual count, the inspectors' loads, the published drawn team and the team's rights to the
    record stay as they were."""
    from shuangsuiji.disclosure.selectors import draw_disclosure

    inspection, county = s["inspection"], s["county"]
    counts, loads = annual_counts(county, 2026), inspector_loads(county, 2026)
    add(s, s["expert"])
    add(s, s["auxiliary"])
    assert annual_counts(county, 2026) == counts
    assert inspector_loads(county, 2026) == loads
    assert s["expert"].pk not in inspector_loads(county, 2026)
    expert_user = make_user("ZJ001", county, Role.INSPECTOR)
    assert not services.is_team_member(expert_user, inspection)
    Draw.objects.filter(pk=inspection.draw_id).update(status=Draw.Status.REVEALED)
    result = draw_disclosure(Draw.objects.get(pk=inspection.draw_id))["result"]
    teams = {x["id"]: x["team"] for stratum in result["strata"] for x in stratum["selected"]}
    assert teams[inspection.target.draw_id] == [m.name for m in s["members"]]


def test_coordinator_adds_and_removes_on_the_inspection_page(s, client):
    """BD-3.2: the page control posts the choice and the reason; the page lists the assistant
    with role and reason, apart from the team."""
    inspection = s["inspection"]
    url = reverse("inspections:detail", args=[inspection.pk])
    client.force_login(s["coordinator"])
    page = client.get(url).content.decode()
    assert "安排专家或辅助人员" in page and "专家甲（专家" in page
    response = client.post(
        reverse("inspections:assistant_add", args=[inspection.pk]),
        {"person": s["expert"].pk, "reason": REASON},
    )
    assert response.status_code == 302
    assistant = inspection.assistants.get()
    page = client.get(url).content.decode()
    assert f"专家甲（专家）：{REASON}" in page and "不计入执法人员人数" in page
    # A refusal is a message on the page, not an error page: the expert is no longer offered.
    response = client.post(
        reverse("inspections:assistant_add", args=[inspection.pk]),
        {"person": s["expert"].pk, "reason": REASON},
        follow=True,
    )
    assert response.status_code == 200
    assert "专家或辅助人员：选择一个有效的选项" in response.content.decode()
    # A refusal of the service (回避) is shown the same way.
    conflict_declare(
        actor=s["coordinator"], inspector=s["auxiliary"], target=inspection.target, reason="亲属"
    )
    response = client.post(
        reverse("inspections:assistant_add", args=[inspection.pk]),
        {"person": s["auxiliary"].pk, "reason": "现场采样"},
        follow=True,
    )
    assert "监测员乙（FZ002） 对该检查对象须回避" in response.content.decode()
    assert inspection.assistants.count() == 1
    client.post(reverse("inspections:assistant_remove", args=[inspection.pk, assistant.pk]))
    assert not inspection.assistants.exists()


def test_team_member_cannot_add(s, client):
    """BD-3.2: the coordinator arranges who joins; an inspector of the team may not."""
    client.force_login(s["inspector"])
    response = client.post(
        reverse("inspections:assistant_add", args=[s["inspection"].pk]),
        {"person": s["expert"].pk, "reason": REASON},
    )
    assert response.status_code == 403
    assert not s["inspection"].assistants.exists()


def test_record_page_and_checklist_pdf_name_them(s, client):
    """BD-3.3b and JX-4.6: the record page and the printed 现场检查表 name the expert beside the
    officers, with a line for their signature."""
    from pypdf import PdfReader

    inspection = s["inspection"]
    add(s, s["auxiliary"])
    client.force_login(s["inspector"])
    page = client.get(reverse("inspections:record", args=[inspection.pk])).content.decode()
    assert "监测员乙（辅助人员）" in page
    response = client.get(reverse("inspections:checklist_pdf", args=[inspection.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squeezed = "".join(text.split())
    assert "监测员乙（辅助人员，县环境监测站）" in squeezed
    assert "专家、辅助人员签名" in squeezed
    for member in s["members"]:
        assert member.name in squeezed
