"""The policy editor (issue 19 §2): a value as labelled fields with its clause, quote and unit; a
preview of the quarter's quotas with the change; saved through the audited service; no key and
no JSON on any page a user reads."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.bureau.models import PolicyAdjustment
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.policy import Quarter
from tests.support.tree import adopt_preset
from tests.support.workbooks import uscc, xlsx

EDIT = reverse("planning:policy_edit")
KEY_QUOTA = "classes.KEY.quota"
#: What a page must not show a user: a mapping or list as data, a quoted key, a parameter path.
RAW = re.compile(r"[{\[]'|'[}\]]|\{\"|\{[a-z_]+:|\b(?:classes|targets|exclusions)\.[A-Za-z_.]+")


@pytest.fixture
def jiangxian(organisations):
    """绛县: 37 重点排污单位 and 100 一般排污单位, 8 inspectors."""
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    rows = [["统一社会信用代码", "单位名称", "重点排污单位", "经营状态"]]
    rows += [[uscc(i), f"重点{i}", "是", "存续"] for i in range(1, 38)]
    rows += [[uscc(i), f"一般{i}", "否", "存续"] for i in range(100, 200)]
    register_import(actor=None, organisation=county, spec=TARGETS, content=xlsx(rows),
                    filename="t.xlsx", reason="建库")  # fmt: skip
    inspectors = [["姓名", "执法证号", "人员类别"]] + [
        [f"人{i}", f"A{i:03d}", "执法人员"] for i in range(8)
    ]
    register_import(actor=None, organisation=county, spec=INSPECTORS, content=xlsx(inspectors),
                    filename="i.xlsx", reason="建库")  # fmt: skip
    return county


@pytest.fixture
def coordinator(jiangxian, make_user):
    return make_user("coord", jiangxian, Role.COORDINATOR)


def since() -> str:
    return Quarter.of(timezone.localdate()).start.isoformat()


def visible(html: str) -> str:
    """The page's text as a user reads it: without markup, scripts and ``<code>``."""
    html = re.sub(r"(?s)<(script|style|code)\b.*?</\1>", "", html)
    return re.sub(r"(?s)<[^>]+>", " ", html)


def test_policy_page_shows_values_in_words_with_edit_links(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("planning:policy")).content.decode()
    text = visible(html)
    assert "抽查比例 25%（每季度）" in text
    assert "重点排污单位 为 是" in text
    assert "同一对象每年随机抽查不超过 2 次（特殊监管对象不受此限）" in text
    assert "<code>" not in html
    assert not RAW.search(text), RAW.search(text)
    assert f"{EDIT}?parameter=classes.KEY.quota" in html
    assert "调整" in text


def test_edit_page_offers_labelled_fields_with_clause_quote_and_unit(client, coordinator):
    client.force_login(coordinator)
    response = client.get(EDIT, {"parameter": KEY_QUOTA})
    assert response.status_code == 200
    html = response.content.decode()
    text = visible(html)
    assert "调整：重点排污单位：抽查比例" in text
    assert "四、（五）2" in text  # the clause
    assert "每季度抽查比例为抽查对象总数的25%" in text  # the original sentence
    assert "抽查比例" in text and "%" in text and "每季度抽取" in text
    assert "自何日起生效" in text and "调整原因" in text
    assert 'name="ratio" value="25"' in html
    assert not RAW.search(text)


def test_coordinator_previews_then_saves_a_ratio(client, coordinator, jiangxian):
    client.force_login(coordinator)
    data = {"parameter": KEY_QUOTA, "ratio": "30", "per": "quarter", "since": since(),
            "reason": "局务会决定提高重点排污单位抽查比例"}  # fmt: skip
    response = client.post(EDIT, {**data, "action": "preview"})
    assert response.status_code == 200
    text = visible(response.content.decode())
    assert "抽查比例 25%（每季度）" in text and "抽查比例 30%（每季度）" in text
    # 30% × 37 = 11.1 → 12 (before: 25% × 37 = 9.25 → 10), computed against the register.
    assert "30% × 37 家 = 11.1，向上取整 12 家" in text
    assert "10 家" in text and "12 家" in text
    assert "确认保存" in text
    assert not RAW.search(text)
    assert not PolicyAdjustment.objects.exists()  # a preview stores nothing

    response = client.post(EDIT, {**data, "action": "save"})
    assert response.status_code == 302
    adjustment = PolicyAdjustment.objects.get()
    assert adjustment.path == KEY_QUOTA
    assert adjustment.value == {"ratio": "30%"}
    assert adjustment.since.isoformat() == data["since"]
    assert adjustment.reason == "局务会决定提高重点排污单位抽查比例"
    assert adjustment.created_by == coordinator
    assert AuditEvent.objects.filter(action="policy.adjust", actor=coordinator).count() == 1
    preset = effective_preset(organisation_policy(jiangxian))
    quarter_start = Quarter.of(timezone.localdate()).start
    assert preset.class_rule("KEY").quota.at(quarter_start).value == {"ratio": "30%"}

    # Editing again starts from the adjusted value and still quotes the plan.
    again = visible(client.get(EDIT, {"parameter": KEY_QUOTA}).content.decode())
    assert "抽查比例 30%（每季度）" in again and "局务会决定提高重点排污单位抽查比例" in again
    assert "方案原定" in again and "每季度抽查比例为抽查对象总数的25%" in again

    page = visible(client.get(reverse("planning:policy")).content.decode())
    assert "抽查比例 30%（每季度）" in page  # in the table and in the adjustment history
    assert "局务会决定提高重点排污单位抽查比例" in page
    public = client.get(reverse("disclosure:policy", args=[jiangxian.code])).content.decode()
    assert "抽查比例 30%（每季度）" in visible(public)
    assert not RAW.search(visible(public))


@pytest.mark.parametrize("ratio", ["150", "150%", "-5"])
def test_a_ratio_beyond_100_percent_is_refused_in_words(client, coordinator, ratio):
    client.force_login(coordinator)
    for action in ("preview", "save"):
        response = client.post(EDIT, {"parameter": KEY_QUOTA, "ratio": ratio, "per": "quarter",
                                      "since": since(), "reason": "试", "action": action})  # fmt: skip
        assert response.status_code == 200
        assert "抽查比例须在 0% 至 100% 之间" in response.content.decode()
    assert not PolicyAdjustment.objects.exists()


def test_unchanged_value_and_missing_reason_are_refused(client, coordinator):
    client.force_login(coordinator)
    response = client.post(EDIT, {"parameter": KEY_QUOTA, "ratio": "25", "per": "quarter",
                                  "since": since(), "reason": "", "action": "save"})  # fmt: skip
    text = response.content.decode()
    assert "请填写调整原因。" in text
    assert "无需调整" in text
    assert not PolicyAdjustment.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.LEADER, Role.INSPECTOR])
def test_roles_that_do_not_run_sampling_cannot_edit(client, jiangxian, make_user, role):
    client.force_login(make_user("other", jiangxian, role))
    assert client.get(EDIT, {"parameter": KEY_QUOTA}).status_code == 403
    response = client.post(EDIT, {"parameter": KEY_QUOTA, "ratio": "30", "per": "quarter",
                                  "since": since(), "reason": "试", "action": "save"})  # fmt: skip
    assert response.status_code == 403
    assert not PolicyAdjustment.objects.exists()
    if role != Role.INSPECTOR:
        page = client.get(reverse("planning:policy")).content.decode()
        assert EDIT not in page


def test_targets_booleans_and_grading_are_edited_by_fields(client, coordinator, jiangxian):
    client.force_login(coordinator)
    base = {"since": since(), "reason": "局务会决定", "action": "save"}
    edits = [
        ("targets.result_publication_workdays", {"workdays": "15"}, {"workdays": 15}),
        ("targets.plan_deadline", {"deadline_month": "4", "deadline_day": "30"},
         {"deadline": "04-30"}),
        ("classes.GENERAL.no_repeat", {"no_repeat": "0"}, False),
        ("grading", {f"weight_{i}": w for i, w in enumerate(["1", "1", "2", "4", "1"])},
         {"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}}),
        ("exclusions.annual_cap", {"max": "3", "exempt": ["SPECIAL", "KEY"]},
         {"max": 3, "exempt": ["SPECIAL", "KEY"]}),
    ]  # fmt: skip
    for path, fields, value in edits:
        page = client.get(EDIT, {"parameter": path})
        assert page.status_code == 200, path
        response = client.post(EDIT, {"parameter": path, **fields, **base})
        assert response.status_code == 302, (path, response.context["form"].errors)
        assert PolicyAdjustment.objects.filter(path=path).get().value == value
    text = visible(client.get(reverse("planning:policy")).content.decode())
    assert "15 个工作日内" in text and "每年 4 月 30 日前" in text
    assert "否：本年度已随机抽中的仍可再次抽取" in text
    assert "按信用等级加权抽取，权重：A 级 1、B 级 1、C 级 2、D 级 4、未评定 1" in text


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("targets.result_publication_workdays", {"workdays": "0"}, "期限须在 1 至 250 个工作日之间"),
        ("targets.plan_deadline", {"deadline_month": "2", "deadline_day": "30"}, "2 月 30 日不存在"),
        ("grading", {"weight_0": "0", "weight_1": "1", "weight_2": "1", "weight_3": "1",
                     "weight_4": "1"}, "抽取权重须在 1 至 1000 之间"),
        ("exclusions.annual_cap", {"max": "abc"}, "请填写整数（单位：次）"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_the_limit(client, coordinator, path, fields, message):
    client.force_login(coordinator)
    response = client.post(EDIT, {"parameter": path, **fields, "since": since(),
                                  "reason": "试", "action": "preview"})  # fmt: skip
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PolicyAdjustment.objects.exists()


def test_a_condition_is_edited_by_its_values(client, coordinator, jiangxian):
    """绛县 联合抽查对象: 对象类型 为 城镇污水处理厂 — the values offered as checkboxes."""
    client.force_login(coordinator)
    path = "classes.JOINT.condition"
    html = client.get(EDIT, {"parameter": path}).content.decode()
    assert "名录中“对象类型”为以下之一的归入本类别" in html
    response = client.post(EDIT, {"parameter": path, "values": ["城镇污水处理厂", "其他"],
                                  "since": since(), "reason": "局务会", "action": "save"})  # fmt: skip
    assert response.status_code == 302
    value = PolicyAdjustment.objects.get().value
    assert value == {"field": "对象类型", "in": ["城镇污水处理厂", "其他"]}


def test_a_condition_of_many_parts_is_shown_in_words_not_offered(client, organisations, make_user):
    """遵化 特殊监管对象: records, ratings and risks combined — read in Chinese, with where it
    comes from; nothing to type."""
    county = organisations["b"]
    adopt_preset(county, "zunhua-2024")
    client.force_login(make_user("zh", county, Role.COORDINATOR))
    response = client.get(EDIT, {"parameter": "classes.SPECIAL.condition"})
    text = visible(response.content.decode())
    assert (
        "符合下列任一项：①上一季度内有 行政处罚决定、挂牌督办、超标排放通报、举报查实 之一" in text
    )
    assert "本页只能查看" in text
    assert "预览调整" not in text
    assert not RAW.search(text)


def test_an_unknown_parameter_is_sent_back_with_a_message(client, coordinator):
    client.force_login(coordinator)
    response = client.get(EDIT, {"parameter": "classes.NOPE.quota"}, follow=True)
    assert "没有这项可调整的取值" in response.content.decode()
    response = client.get(EDIT, {"parameter": "precedence"}, follow=True)
    assert "没有这项可调整的取值" in response.content.decode()


def test_an_effective_date_outside_the_policy_is_refused(client, coordinator):
    client.force_login(coordinator)
    response = client.post(EDIT, {"parameter": KEY_QUOTA, "ratio": "30", "per": "quarter",
                                  "since": "9999-12-31", "reason": "局务会", "action": "save"})  # fmt: skip
    assert response.status_code == 200
    [message] = response.context["form"].errors["since"]
    assert message.startswith("自何日起生效须在 2025-01-01 至 ")
    assert not PolicyAdjustment.objects.exists()


@pytest.mark.parametrize("ratio", ["9" * 5000, "1e999", "NaN", "Infinity", "三十", "30%%"])
def test_numbers_python_cannot_hold_are_refused_not_500(client, coordinator, ratio):
    client.force_login(coordinator)
    response = client.post(EDIT, {"parameter": KEY_QUOTA, "ratio": ratio, "per": "quarter",
                                  "since": since(), "reason": "试", "action": "preview"})  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["ratio"][0].startswith("抽查比例")
    assert not PolicyAdjustment.objects.exists()
