"""Caps and classes as the plans say, and the numbers no plan states marked, through the app
(issue 17, points 5 and 8).

- 绛县 四、（五） (JX-4.5.c) “同一年度内对同一污染源的抽查次数不超过2次” counts 双随机 抽查 only: the
  nine cases of 三、（一） (JX-3.1) checked 定向 and 全覆盖 checks are no 抽查.
- 绛县 四、（五）3 (JX-4.5.3): a violation the 上级 found, recorded as a 监管记录, keeps a unit special.
- 获嘉 附件 (HJ-att) “或”: the default reading requires more checks; no officer on duty refuses the
  draw naming the 执法检查人员名录库.
- Team size (行政处罚法 第四十二条), a lead's seniority, an inspector's annual cap and the draft
  plan's draw day are the bureau's settings, marked as its defaults on the settings and policy
  pages.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_prepare
from shuangsuiji.bureau.models import OrganisationSettings
from shuangsuiji.bureau.organisation_settings import (
    bureau_default_settings,
    organisation_settings,
)
from shuangsuiji.bureau.policies import organisation_policy, policy_value_set
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.directory.registers import EVENTS, INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.inspections.selectors import annual_counts, inspector_loads
from shuangsuiji.planning.plans import plan_generate
from tests.support.tree import adopt_preset
from tests.support.workbooks import uscc, xlsx

Kind, Status = Inspection.Kind, Inspection.Status


def load(organisation, spec, rows):
    outcome = register_import(actor=None, organisation=organisation, spec=spec, content=xlsx(rows),
                              filename="x.xlsx", reason="建库")  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems


def officers(organisation, count, *extra):
    rows = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
    rows += [[f"执法{n}", f"ZF{n:03d}", "执法人员", "是", "2010"] for n in range(count)]
    load(organisation, INSPECTORS, rows + list(extra))


@pytest.fixture
def jiangxian(organisations, make_user):
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    rows = [["统一社会信用代码", "单位名称", "重点排污单位", "经营状态"]]
    rows += [[uscc(i), f"重点{i}", "是", "存续"] for i in range(1, 9)]
    rows += [[uscc(i), f"一般{i}", "否", "存续"] for i in range(100, 120)]
    load(county, TARGETS, rows)
    officers(county, 4)
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2025)
    return county, plan


def key_target(county, serial):
    return Target.objects.get(organisation=county, credit_code=uscc(serial))


def inspect(target, kind, status, year=2025, *team):
    row = Inspection.objects.create(organisation=target.organisation, target=target, year=year,
                                    kind=kind, status=status)  # fmt: skip
    for position, member in enumerate(team, start=1):
        InspectionMember.objects.create(
            inspection=row, inspector=member, position=position, is_lead=position == 1
        )
    return row


def test_jiangxian_cap_counts_random_checks_only(jiangxian):
    """JX-4.5.c 绛县 四、（五）“原则上，在同一年度内对同一污染源的抽查次数不超过2次” and JX-3.1 三、（一）
    “除下列九种情形外……采用‘双随机、一公开’监管方式”: 投诉举报, 上级交办 … are checked 定向, not
    抽查. Three complaint checks and a 全覆盖 check leave a unit in the Q2 pool; two random checks
    of this year's draws (one inspected, one not yet) take it out; a cancelled (aborted draw) and a
    substituted-away one do not count; last year's do not either."""
    county, plan = jiangxian
    # Without the no-repeat rule of 四、（五）2, which would take "once" out as well.
    policy_value_set(actor=None, policy=organisation_policy(county), path="classes.KEY.no_repeat",
                     value=False, since=dt.date(2025, 1, 1), reason="只看年度抽查次数上限")  # fmt: skip
    complaints, twice, once, last_year = (key_target(county, i) for i in (1, 2, 3, 4))
    for _ in range(3):
        inspect(complaints, Kind.TARGETED, Status.DONE)
    inspect(complaints, Kind.COVERAGE, Status.DONE)
    inspect(twice, Kind.RANDOM, Status.DONE)
    inspect(twice, Kind.RANDOM, Status.ASSIGNED)
    inspect(once, Kind.RANDOM, Status.DONE)
    inspect(once, Kind.RANDOM, Status.CANCELLED)
    inspect(once, Kind.RANDOM, Status.SUBSTITUTED)
    inspect(last_year, Kind.RANDOM, Status.DONE, 2024)
    inspect(last_year, Kind.RANDOM, Status.DONE, 2024)

    assert annual_counts(county, 2025) == {twice.pk: 2, once.pk: 1}

    task = plan.tasks.get(quarter=2)
    preparation = draw_prepare(task, today=dt.date(2025, 4, 20))
    by_code = {c.target.credit_code: c for c in preparation.classifications}
    assert by_code[complaints.credit_code].eligible
    assert by_code[once.credit_code].eligible
    assert by_code[last_year.credit_code].eligible
    capped = by_code[twice.credit_code]
    assert (capped.class_code, capped.eligible) == ("KEY", False)
    assert capped.clauses["排除"].clause == "四、（五）"
    key = next(q for q in preparation.strata if q.code == "KEY")
    assert (key.population, key.eligible) == (8, 7)  # 25% of all 8: ⌈2⌉ = 2
    assert key.quota == 2


def test_an_inspectors_load_still_counts_every_check(jiangxian, django_assert_num_queries):
    """JX-4.4 绛县 四、（四）“建立检查人员年度检查次数标记制度”: an officer's count is every check taken
    part in (定向 included); only the target's cap is limited to 抽查."""
    county, _ = jiangxian
    first, second = Inspector.objects.filter(organisation=county).order_by("certificate_no")[:2]
    target = key_target(county, 1)
    inspect(target, Kind.TARGETED, Status.DONE, 2025, first, second)
    inspect(target, Kind.RANDOM, Status.ASSIGNED, 2025, first, second)
    inspect(target, Kind.COVERAGE, Status.DONE, 2025, first, second)
    with django_assert_num_queries(1):  # one grouped count, asked by every draw_prepare
        assert inspector_loads(county, 2025) == {first.pk: 3, second.pk: 3}
    assert annual_counts(county, 2025) == {target.pk: 1}
    assert Inspection.objects.counted(2025, county).count() == 3  # the 统计表 counts all


def test_a_higher_authoritys_finding_keeps_a_unit_special(jiangxian):
    """JX-4.5.3 绛县 四、（五）3 “下一季度未发现违法问题则自动退出”: a 上级检查发现问题 record entered in
    Q2 keeps a unit that entered for Q2 in the Q3 pool of 特殊监管对象; without it, it leaves."""
    county, plan = jiangxian
    kept, left = uscc(5), uscc(6)
    load(county, EVENTS, [
        EVENTS.headers,
        [kept, "挂牌督办", "2025-02-10", "晋环督〔2025〕3号"],
        [left, "挂牌督办", "2025-02-11", "晋环督〔2025〕4号"],
        [kept, "上级检查发现问题", "2025-05-20", "运城市局专项检查"],
    ])  # fmt: skip
    task = plan.tasks.get(quarter=3)
    by_code = {
        c.target.credit_code: c
        for c in draw_prepare(task, today=dt.date(2025, 7, 10)).classifications
    }
    assert by_code[kept].class_code == "SPECIAL"
    assert "上级检查发现问题 2025-05-20" in by_code[kept].clauses["类别依据"].note
    assert by_code[left].class_code == "KEY"


@pytest.fixture
def huojia(organisations, make_user):
    county = organisations["b"]
    adopt_preset(county, "huojia-2024")
    rows = [["统一社会信用代码", "单位名称", "排污许可管理类别", "经营状态"]]
    rows += [[uscc(i, "130283"), f"一般{i}", "登记管理", "存续"] for i in range(100, 140)]
    load(county, TARGETS, rows)
    coordinator = make_user("hj-coord", county, Role.COORDINATOR)
    policy_value_set(actor=coordinator, policy=organisation_policy(county),
                     path="classes.SPECIAL.quota", value={"ratio": "20%"},
                     since=dt.date(2024, 1, 1), reason="局务会决定")  # fmt: skip
    plan = plan_generate(actor=coordinator, organisation=county, year=2024)
    return county, plan.tasks.get(quarter=2)


def test_huojia_with_no_officer_on_duty_refuses_naming_the_register(huojia):
    """HJ-att 获嘉 附件 “不少于人均6家次”: the register has an expert and an officer not on duty,
    no 在编在岗 执法人员. The draw is refused with the register named, not run with 0 一般监管对象."""
    county, task = huojia
    officers(county, 0, ["专家甲", "ZJ001", "专家", "是", "2000"], ["离岗乙", "ZF900", "执法人员", "否", "2005"])  # fmt: skip
    with pytest.raises(ValidationError) as info:
        draw_prepare(task, today=dt.date(2024, 4, 20))
    message = "；".join(info.value.messages)
    assert "执法检查人员名录库中没有在编在岗的执法人员" in message
    assert "一般监管对象" in message
    assert "请在“本单位政策”中设定" not in message  # nothing for the policy page to set


def test_huojia_default_reading_draws_the_larger_requirement(huojia):
    """HJ-att: 40 一般监管对象, 2 officers: 5% × 40 = 2, 2 × 6 = 12 → 12 (both met, the default)."""
    county, task = huojia
    officers(county, 2)
    general = next(q for q in draw_prepare(task, today=dt.date(2024, 4, 20)).strata
                   if q.code == "GENERAL")  # fmt: skip
    assert (general.required, general.quota) == (12, 12)
    assert "两项均须达到，取较大者 12 家（附件）" in general.basis
    assert "两项均须达到（取较大者）" in task.ratio_text


# ---- numbers no plan states: the bureau's settings, marked ---------------------------------------


def test_numbers_no_plan_states_are_bureau_defaults_with_notes(jiangxian):
    """Issue 17 point 8: 40 checks per officer a year, 3 years for a senior, a team of 2 and the
    draft draw day 15 are no plan's: each is the bureau's setting with its default and a note;
    the team cites 行政处罚法 第四十二条. Stored settings keep the numbers they had."""
    county, _ = jiangxian
    settings = organisation_settings(county)
    rows = {row.field: row for row in bureau_default_settings(settings)}
    assert {name: (row.value, row.default) for name, row in rows.items()} == {
        "inspector_annual_cap": (40, 40),
        "seniority_years": (3, 3),
        "team_size": (2, 2),
        "draft_draw_day": (15, 15),
    }
    assert all(row.is_default and row.note for row in rows.values())
    assert "以老带新" in rows["seniority_years"].note
    assert rows["team_size"].basis == "《中华人民共和国行政处罚法》第四十二条“执法人员不得少于两人”"
    for name in rows:
        assert OrganisationSettings._meta.get_field(name).help_text


def test_a_team_of_one_is_refused_citing_the_law(jiangxian):
    """行政处罚法 第四十二条 “执法人员不得少于两人”: the settings refuse a team of 1."""
    county, _ = jiangxian
    settings = organisation_settings(county)
    settings.team_size = 1
    with pytest.raises(ValidationError) as info:
        settings.full_clean()
    assert "第四十二条" in info.value.message_dict["team_size"][0]


def test_the_draft_draw_day_is_the_bureaus_setting(jiangxian, make_user):
    """JX-4.1 绛县 四、（一）: the plan states 抽取时间 but no plan says which day. The draft draws
    each quarter on the 15th of its first month by default, and on the bureau's day once set."""
    county, plan = jiangxian
    assert [t.draw_date for t in plan.tasks.filter(quarter__isnull=False).order_by("quarter")] == [
        dt.date(2025, 1, 15), dt.date(2025, 4, 15), dt.date(2025, 7, 15), dt.date(2025, 10, 15)
    ]  # fmt: skip
    assert {t.draw_date for t in plan.tasks.filter(quarter__isnull=True)} == {dt.date(2025, 1, 15)}
    OrganisationSettings.objects.filter(organisation=county).update(draft_draw_day=8)
    coordinator = make_user("jx-coord-2", county, Role.COORDINATOR)
    later = plan_generate(actor=coordinator, organisation=county, year=2026)
    assert later.tasks.get(quarter=3).draw_date == dt.date(2026, 7, 8)


def test_policy_pages_show_every_bureau_default(huojia, make_user, client):
    """Issue 17 point 8: the 本单位政策 page and the public 实施方案 page list the settings no plan
    states as the bureau's defaults with their notes, beside the preset's marked values (获嘉's
    “或” reading among them)."""
    county, _ = huojia
    coordinator = make_user("hj-viewer", county, Role.COORDINATOR)
    client.force_login(coordinator)
    pages = [
        client.get(reverse("planning:policy")).content.decode(),
        client.get(reverse("disclosure:policy", args=[county.code])).content.decode(),
    ]
    for text in pages:
        assert "本局设定的数值（方案未规定）" in text
        for label in ("执法人员年度检查任务上限", "以老带新：参加执法工作满几年为老同志",
                      "每组执法人员人数", "计划草稿的抽取日（每季度第一个月的几日）"):  # fmt: skip
            assert label in text
        assert "（本局默认）" in text
        assert "《中华人民共和国行政处罚法》第四十二条" in text
        assert "默认取较大者" in text  # the note of 获嘉's GENERAL quota
        assert "（默认）" in text


def test_the_settings_page_says_which_numbers_are_the_bureaus(organisations, make_user, client):
    """Issue 17 point 8: the 单位设置 form shows each such number as the bureau's default."""
    county = organisations["a"]
    adopt_preset(county, "zunhua-2024")
    client.force_login(make_user("admin", county, Role.SYSADMIN))
    text = client.get(reverse("planning:settings")).content.decode()
    assert "本局默认值 40 项（方案未规定）" in text
    assert "本局默认值 3 年（方案未规定）" in text
    assert "本局默认值 15 日（方案未规定抽取日期）" in text
    assert "第四十二条" in text
