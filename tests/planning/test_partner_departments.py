"""部门联合 with real partner departments (issue 20 §1), and the ways a 涉密 result is published
(§7).

获嘉 二、（一）–（三） (seed 002): the partner departments are chosen, "因地制宜匹配各部门执法检查
人员", and each enters and publishes its own part ("谁检查、谁录入、谁公开"). 保定 三、（四） (seed
001, BD-3.4): "主动发起和积极参与部门联合抽查，年度不少于3次" — leading and joining both count.

One 保定 year (2025) is built for the module through the services: a partner department, 保定市
住房和城乡建设局, registered under the bureau with its own coordinator and inspector register; a
部门联合 task added to the draft naming it; the draw committed and executed, which matches the
bureau's teams and the department's teams from both rosters; the bureau's checks recorded; the
department's parts entered, submitted and — after the list is public — published by the
department; and two joint checks led by other departments recorded as participations.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from shuangsuiji import draw as engine
from shuangsuiji.accounts.models import OrganisationLevel
from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.registers import INSPECTORS
from shuangsuiji.inspections.models import Inspection, InspectionPart, ResultCategory
from shuangsuiji.reports.compliance import OK, dashboard
from tests.reports.test_dashboard_states_hebei_henan import (
    AFTER,
    AREA,
    SENIORS,
    YEAR,
    County,
    check,
    day,
    on,
)
from tests.support.county import load
from tests.support.tree import build_organisations, make_user
from tests.support.workbooks import id_number, uscc
from tests.test_demo import SHANGHAI, demo_database

PARTNER_CODE = "13060001"
TASK = "2025 年建筑工地扬尘部门联合随机抽查"


def partner_officers() -> list[list]:
    """住建局's register: four enforcement officers, two of them senior."""
    header = ["姓名", "执法证号", "身份证号", "所属部门", "执法片区", "参加执法工作年份",
              "人员类别", "在编在岗"]  # fmt: skip
    people = [("住建甲", 2008), ("住建乙", 2011), ("住建丙", 2024), ("住建丁", 2025)]
    return [header] + [
        [name, f"ZJ{n:04d}", id_number(50 + n), "建筑市场监管科", "", str(start), "执法人员", "是"]
        for n, (name, start) in enumerate(people, start=1)
    ]


def build(province):
    from shuangsuiji.acts.organisations import organisation_create
    from shuangsuiji.planning.models import SamplingTask
    from shuangsuiji.planning.participations import participation_record

    with on(day(1, 2), 8):
        organisation = organisation_create(actor=None, code="130600", name="保定市生态环境局",
                                           parent=province, policy_preset="baoding-2021")  # fmt: skip
        partner = organisation_create(actor=None, code=PARTNER_CODE,
                                      name="保定市住房和城乡建设局", parent=organisation,
                                      level=OrganisationLevel.PARTNER)  # fmt: skip
        load(INSPECTORS, partner_officers(), partner)
        partner_coordinator = make_user("zjj-coord", partner, Role.COORDINATOR)
    header = ["统一社会信用代码", "单位名称", "重点排污单位", "其他高风险", "执法片区", "经营状态"]
    rows = [header]
    rows += [[uscc(i, "130600"), f"重点{i}", "是", "否", AREA, "存续"] for i in range(11, 21)]
    rows += [[uscc(i, "130600"), f"一般{i}", "否", "否", AREA, "存续"] for i in range(31, 41)]
    county = County.start(organisation, rows, SENIORS)
    added = {"name": TASK, "quarter": 3, "classes": ["KEY"],
             "scope": SamplingTask.Scope.DEPARTMENT_JOINT, "partner_departments": [partner],
             "sample": {"ratio": "20%"}}  # fmt: skip
    county.make_plan(added=[added])
    joint = county.draws["joint"] = county.draw(county.named[TASK], day(7, 16),
                                                reveal_on=day(9, 30))  # fmt: skip
    for inspection in joint.inspections.all():
        check(inspection, day(7, 21))
    # 保定 三、（四） "积极参与": two checks other departments led.
    with on(day(8, 20)):
        for number, lead, checked in (("SJ-2025-031", "保定市市场监督管理局", day(5, 14)),
                                      ("YJ-2025-007", "保定市应急管理局", day(8, 19))):  # fmt: skip
            participation_record(
                actor=county.coordinator, organisation=organisation, lead_department=lead,
                task_number=number, task_name="部门联合随机抽查", checked_on=checked,
                targets="某化工有限公司", officers="老甲、老乙", documents=f"{number} 检查通知书",
            )  # fmt: skip
    county.named.update(partner=partner, partner_coordinator=partner_coordinator)
    secret_results(county, partner)
    return county


#: 保定 三、（五） "可以调整抽查结果公示的方式和范围", 藁城 二、（八） 国家安全、公共安全: three
#: 涉密 results of the third quarter, one for each way of publishing them.
SECRETS = {
    "summary": ("state", "公开摘要：对涉密设施的检查未发现问题"),
    "withheld": ("national_security", ""),
    "restricted": ("public_safety", ""),
}


def secret_results(county, partner):
    from shuangsuiji.inspections.models import ConfidentialPublication
    from tests.support.portal import record, team_user

    draw = county.draws[3] = county.draw(3, day(7, 15), reveal_on=day(9, 30))
    inspections = list(draw.inspections.filter(status="assigned").order_by("pk"))
    modes = {"summary": ConfidentialPublication.SUMMARY,
             "withheld": ConfidentialPublication.WITHHELD,
             "restricted": ConfidentialPublication.RESTRICTED}  # fmt: skip
    with on(day(7, 22)):
        for (name, (reason, summary)), inspection in zip(
            SECRETS.items(), inspections, strict=False
        ):
            county.named[name] = record(
                inspection, team_user(inspection, make_user), determined=day(7, 22),
                confidentiality=reason, confidential_reason="涉及重要设施的布局和参数",
                confidential_publication=modes[name], public_summary=summary,
                shared_with=(partner,) if name == "restricted" else (),
            )  # fmt: skip
    # One check is left open: the list is revealed on its 最迟公开日期, the quarter's end.
    assert len(inspections) > len(SECRETS)
    for inspection in inspections[len(SECRETS) : -1]:
        check(inspection, day(7, 23))
    county.named["open"] = inspections[-1]
    county.reveal(draw, day(9, 30))


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker, tmp_path_factory):
    start = dt.datetime(YEAR, 1, 2, 8, tzinfo=SHANGHAI)
    with demo_database(start, tmp_path_factory.mktemp("data"), django_db_blocker):
        yield build(build_organisations()["province"])


def joint_draw(county):
    return county.draws["joint"]


def test_a_partner_department_is_an_organisation_of_its_own(db, county):
    """Registered under the bureau with its own users and register, never a branch: the 市局's
    comparison of its branches and the portal's list of bureaus leave it out."""
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.directory.models import Inspector

    partner = county.named["partner"]
    assert partner.parent == county.organisation and partner.is_partner
    assert Inspector.objects.filter(organisation=partner).count() == 4
    assert list(Organisation.objects.partners_of(county.organisation)) == [partner]
    assert partner not in Organisation.objects.bureaus()


def test_a_partner_is_registered_under_a_bureau_and_takes_no_preset(db, county):
    from shuangsuiji.accounts.services import organisation_create

    province = county.organisation.parent
    with pytest.raises(ValidationError, match="须登记在与其联合检查的市局或分局之下"):
        organisation_create(actor=None, code="13000001", name="省住建厅", parent=province,
                            level=OrganisationLevel.PARTNER)  # fmt: skip
    with pytest.raises(ValidationError, match="不采用生态环境抽查政策预设"):
        organisation_create(actor=None, code="13060002", name="保定市市场监督管理局",
                            parent=county.organisation, level=OrganisationLevel.PARTNER,
                            policy_preset="baoding-2021")  # fmt: skip


def test_the_draw_commits_the_partners_roster_and_matches_both_sides(db, county):
    """获嘉 二、（三） 匹配各部门执法检查人员: params.json names the department, its roster is
    committed beside ours, and every drawn unit gets a bureau team and a department team of two
    from the department's own register; the public files never hold either roster."""
    draw = joint_draw(county)
    params = json.loads(draw.params)
    assert params["partners"] == [
        {"code": PARTNER_CODE, "name": "保定市住房和城乡建设局", "team_size": 2}
    ]
    assert list(draw.partner_rosters) == [PARTNER_CODE]
    assert draw.partner_rosters[PARTNER_CODE].count("\n") == 4
    assert engine.partner_file(PARTNER_CODE) not in draw.public_files()
    inspections = list(draw.inspections.all())
    assert len(inspections) == 2  # ⌈20 % × 10 重点⌉
    for inspection in inspections:
        assert inspection.members.count() == 2
        part = inspection.parts.get()
        assert part.organisation == county.named["partner"]
        team = list(part.team.values_list("certificate_no", flat=True))
        assert len(team) == 2 and all(n.startswith("ZJ") for n in team)
    result = json.loads(draw.result)
    for assignment in result["assignments"]:
        assert len(assignment["partners"][PARTNER_CODE]["team"]) == 2


def test_anyone_with_the_bundle_reverifies_both_teams(db, county):
    """The auditors' bundle holds the department's roster; the verifier recomputes the
    selection and both sides' matching from it and finds every check ✓."""
    report = engine.verify(joint_draw(county).bundle_files(with_salt=True))
    assert report.ok, [c for c in report.checks if not c.ok]


def test_the_partner_enters_and_publishes_its_own_part(db, county, client):
    """谁检查、谁录入、谁公开: the department's coordinator enters and submits its part; the
    bureau cannot write it; it is published by the department, and only once the list is
    public (before, a published part would name a drawn unit)."""
    from shuangsuiji.acts.draws import draw_reveal
    from shuangsuiji.inspections.parts import part_publish, part_save, part_submit

    coordinator = county.named["partner_coordinator"]
    draw = joint_draw(county)
    part = InspectionPart.objects.filter(inspection__draw=draw).first()
    with on(day(7, 22)):
        with pytest.raises(PermissionDenied):
            part_save(actor=county.coordinator, part=part, checked_at=timezone.now(),
                      result_category=ResultCategory.NO_PROBLEM, findings="—",
                      public_summary="—")  # fmt: skip
        part = part_save(actor=coordinator, part=part, checked_at=timezone.now(),
                         result_category=ResultCategory.ORDERED,
                         findings="工地东侧裸土未苫盖。", public_summary="发现问题已责令整改")  # fmt: skip
        part = part_submit(actor=coordinator, part=part)
        with pytest.raises(ValidationError, match="抽取名单公开后才能公示"):
            part_publish(actor=coordinator, part=part)
    client.force_login(coordinator)
    page = client.get(reverse("inspections:part", args=[part.pk])).content.decode()
    assert "牵头单位的抽取名单公开后才能公示" in page and "工地东侧裸土未苫盖。" in page
    with on(day(7, 25)):
        draw_reveal(actor=county.coordinator, draw=draw)
        part = part_publish(actor=coordinator, part=InspectionPart.objects.get(pk=part.pk))
    assert part.published_at is not None
    # The exchange file for 国家企业信用信息公示系统 carries it under the department's name.
    from shuangsuiji.disclosure.exchange import result_rows

    rows = dict(result_rows(county.organisation))
    assert rows[f"130600-P{part.pk}"]["检查实施机关"] == "保定市住房和城乡建设局"
    assert rows[f"130600-P{part.pk}"]["检查结果"] == "发现问题已责令整改"
    # The portal shows the department's result beside the bureau's (谁公开: its own words).
    credit_code = part.inspection.target.credit_code
    public = client.get(reverse("disclosure:enterprise", args=[credit_code])).content.decode()
    assert "保定市住房和城乡建设局：发现问题已责令整改。发现问题已责令整改" in public
    # The department's menu holds its register and its parts, none of the bureau's plans.
    home = client.get(reverse("home")).content.decode()
    assert "联合检查任务" in home and "年度抽查计划" not in home


def test_a_partner_reads_only_its_own_parts(db, county, client):
    """The department's coordinator reads its parts, never the bureau's inspection pages; the
    bureau's coordinator reads the department's part without editing it."""
    part = InspectionPart.objects.filter(inspection__draw=joint_draw(county)).first()
    client.force_login(county.named["partner_coordinator"])
    assert client.get(reverse("inspections:parts")).status_code == 200
    assert client.get(reverse("inspections:detail", args=[part.inspection_id])).status_code in (
        403,
        404,
    )
    client.force_login(county.coordinator)
    page = client.get(reverse("inspections:part", args=[part.pk]))
    assert page.status_code == 200 and 'name="action" value="submit"' not in page.content.decode()
    detail = client.get(reverse("inspections:detail", args=[part.inspection_id])).content.decode()
    assert (
        "保定市住房和城乡建设局" in detail and reverse("inspections:part", args=[part.pk]) in detail
    )


def test_leading_and_joining_both_count_on_the_dashboard(db, county):
    """保定 三、（四） ≥ 3 a year: the 部门联合 task the bureau led and drew (1) and the two
    checks other departments led that it joined (2) → 3 次 → 达标; the drill-down lists both."""
    board = dashboard(county.organisation, YEAR, None, today=AFTER)
    joint = next(c for c in board.checks if c.key == "department_joint_count")
    assert (joint.state, joint.actual) == (OK, "3 次（牵头 1 次，参与 2 次）")
    assert len(joint.rows.participations) == 2


def test_participation_is_recorded_once_and_not_in_the_future(db, county):
    from shuangsuiji.planning.participations import participation_record

    values = {"lead_department": "保定市市场监督管理局", "task_number": "SJ-2025-031",
              "task_name": "部门联合随机抽查", "checked_on": day(5, 14),
              "targets": "某化工有限公司", "officers": "老甲",
              "documents": "SJ-2025-031 检查通知书"}  # fmt: skip
    with on(day(9, 1)):
        with pytest.raises(ValidationError, match="已登记过"):
            participation_record(actor=county.coordinator, organisation=county.organisation,
                                 **values)  # fmt: skip
        with pytest.raises(ValidationError, match="不能晚于今天"):
            participation_record(actor=county.coordinator, organisation=county.organisation,
                                 **{**values, "task_number": "X-1",
                                    "checked_on": day(9, 2)})  # fmt: skip


def test_the_bureau_inspection_keeps_its_own_team_of_enforcement_officers(db, county):
    """The department's people never join the bureau's team (行政处罚法 第四十二条: each
    department's own two), so the bureau's counts and loads are unchanged."""
    for inspection in Inspection.objects.filter(draw=joint_draw(county)):
        assert {m.inspector.organisation_id for m in inspection.members.all()} == {
            county.organisation.pk
        }


# ---- 涉密 results: 公开摘要, 不公开, 限定范围 (issue 20 §7) --------------------------------------


def test_a_secret_result_published_as_a_summary_shows_only_the_summary(db, county, client):
    """保定 三、（五）: the 国家秘密 result published as a summary is on the portal with the
    summary the team wrote and the word that it is one; its findings never are. The 国家安全
    result (不公开) and the 公共安全 result (限定范围) are not on the portal at all."""
    summary, withheld, restricted = (county.named[n] for n in ("summary", "withheld", "restricted"))
    page = client.get(
        reverse("disclosure:results", args=[county.organisation.code])
    ).content.decode()
    assert "涉及国家秘密，仅公开摘要：</span>公开摘要：对涉密设施的检查未发现问题" in page
    assert summary.target.name in page
    assert withheld.target.name not in page and restricted.target.name not in page
    assert "涉及重要设施的布局和参数" not in page and "内部记录" not in page


def test_a_restricted_result_is_read_by_the_departments_named_only(db, county, client):
    """限定范围: the 公共安全 result is listed for 住建局, with its findings, and for nobody
    else; the team's record page says who may read it."""
    restricted = county.named["restricted"]
    client.force_login(county.named["partner_coordinator"])
    page = client.get(reverse("inspections:shared")).content.decode()
    assert restricted.target.name in page and "公共安全：涉及重要设施的布局和参数" in page
    assert county.named["withheld"].target.name not in page
    client.force_login(county.coordinator)
    record = client.get(reverse("inspections:record", args=[restricted.pk])).content.decode()
    assert "涉密，限定范围：仅保定市住房和城乡建设局可查阅" in record


def test_a_secret_result_needs_its_publication_choice_completed(db, county):
    """A summary must be written for 公开摘要, and a department chosen for 限定范围, before the
    result is submitted; the choice of no one else's department is refused."""
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.inspections.services import (
        RecordData,
        inspection_record_save,
        submission_problems,
    )

    open_ = county.named["open"]
    with on(day(9, 29)):
        base = {"checked_at": timezone.now(), "result_category": ResultCategory.NO_PROBLEM,
                "confidentiality": "state", "confidential_reason": "涉及重要设施"}  # fmt: skip
        saved = inspection_record_save(
            actor=None, inspection=open_, outcomes={},
            data=RecordData(**base, confidential_publication="summary"),
        )  # fmt: skip
        assert "涉密结果选择“公开摘要”的，请填写不含涉密内容的公示摘要。" in submission_problems(
            saved
        )
        saved = inspection_record_save(
            actor=None, inspection=open_, outcomes={},
            data=RecordData(**base, confidential_publication="restricted"),
        )  # fmt: skip
        assert "涉密结果选择“限定范围”的，请选择可查阅的联合部门。" in submission_problems(saved)
        stranger = Organisation.objects.get(code="130000")
        with pytest.raises(ValidationError, match="不是本单位登记的联合部门"):
            inspection_record_save(
                actor=None, inspection=open_, outcomes={},
                data=RecordData(**base, confidential_publication="restricted",
                                shared_with=(stranger,)),
            )  # fmt: skip


def test_the_bureau_enters_a_partner_officers_conflict_and_the_draw_honours_it(db, county):
    """回避 (JX-6.4) for the department's officers: the bureau's coordinator (or the
    department's) enters it for a unit of the bureau's register, once, and the next draw's
    conflicts.txt holds the pair."""
    from shuangsuiji.acts.draws import draw_prepare
    from shuangsuiji.directory.models import Inspector, Target
    from shuangsuiji.planning.draws import conflict_declare

    officer = Inspector.objects.get(organisation=county.named["partner"], certificate_no="ZJ0001")
    target = Target.objects.get(organisation=county.organisation, name="重点11")
    with on(day(9, 1)):
        conflict_declare(actor=county.coordinator, inspector=officer, target=target,
                         reason="其配偶任该企业安全负责人")  # fmt: skip
        with pytest.raises(ValidationError, match="已有回避记录"):
            conflict_declare(actor=county.named["partner_coordinator"], inspector=officer,
                             target=target, reason="本部门申报")  # fmt: skip
        task = county.named[TASK]
        assert ("ZJ0001", target.credit_code) in draw_prepare(task).conflicts


def test_the_notice_to_the_enterprise_names_each_departments_officers(db, county):
    """获嘉 二、（三） 一次告知: the notice of a 部门联合 check names each department and the
    officers its draw matched, beside the bureau's team, so the enterprise knows who comes."""
    from django.template.loader import render_to_string

    part = InspectionPart.objects.filter(inspection__draw=joint_draw(county)).first()
    inspection = Inspection.objects.get(pk=part.inspection_id)
    html = render_to_string("inspections/letter_notice.html", {
        "inspection": inspection, "items": [], "members": list(inspection.members.all()),
        "materials": ["排污许可证"], "visit_on": day(7, 21), "issued_on": day(7, 17),
    })  # fmt: skip
    names = "；".join(f"{i.name}（执法证号 {i.certificate_no}）" for i in part.team.all())
    assert f"<th>保定市住房和城乡建设局检查人员</th><td>{names}</td>" in html
