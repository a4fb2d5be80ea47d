"""A bureau's copy of its preset: frozen at adoption, adjusted with reasons, applied without code."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.bureau.models import OrganisationPolicy
from shuangsuiji.bureau.policies import (
    NoPolicy,
    effective_preset,
    organisation_policy,
    policy_value_set,
)
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.planning.quarters import quarter_view
from shuangsuiji.policy import Quarter
from tests.support.tree import adopt_preset
from tests.support.workbooks import uscc, xlsx

Q = Quarter(2026, 2)


@pytest.fixture
def county(organisations):
    county = organisations["a"]
    adopt_preset(county, "zunhua-2024")
    rows = [["统一社会信用代码", "单位名称", "排污许可管理类别", "正面清单", "经营状态"]]
    rows += [[uscc(i), f"重点{i}", "重点管理", "否", "存续"] for i in range(1, 38)]
    rows += [[uscc(i), f"一般{i}", "登记管理", "否", "存续"] for i in range(100, 200)]
    rows += [[uscc(300), "停产企业", "登记管理", "否", "停产"]]
    register_import(actor=None, organisation=county, spec=TARGETS, content=xlsx(rows),
                    filename="t.xlsx", reason="建库")  # fmt: skip
    inspectors = [["姓名", "执法证号", "人员类别"]] + [
        [f"人{i}", f"A{i:03d}", "执法人员"] for i in range(8)
    ]
    register_import(actor=None, organisation=county, spec=INSPECTORS, content=xlsx(inspectors),
                    filename="i.xlsx", reason="建库")  # fmt: skip
    return county


def quota_of(view, code):
    return next(q for q in view.quotas if q.code == code)


def test_quarter_view_from_the_registers(county):
    """ZH-2.5: 重点 ≥25%: 25% × 37 = 9.25 → 10; 一般 3% of 101 (停产 counts in N) → 4."""
    view = quarter_view(county, Q)
    key = quota_of(view, "KEY")
    assert (key.population, key.eligible, key.quota) == (37, 37, 10)
    assert key.basis == "25% × 37 家 = 9.25，向上取整 10 家（二、（五））"
    general = quota_of(view, "GENERAL")
    assert (general.population, general.eligible, general.quota) == (101, 100, 4)
    assert view.inspectors == 8


def test_adoption_freezes_the_preset_text(county, monkeypatch, tmp_path):
    policy = organisation_policy(county)
    assert "zunhua-2024" in policy.text
    # A later release changing the shipped file does not change the bureau's rules, not even
    # when the bureau's preset is adopted again (saving the organisation does that).
    import shuangsuiji.bureau.services as services

    changed = tmp_path / "zunhua-2024.yaml"
    changed.write_text(policy.text.replace("value: {ratio: 25%}", "value: {ratio: 90%}"))
    monkeypatch.setattr(services, "PRESET_DIR", tmp_path)
    adoption = services.policy_adopt(actor=None, organisation=county)
    assert not adoption.policy_created and adoption.policy.text == policy.text
    assert organisation_policy(county).pk == policy.pk
    assert quota_of(quarter_view(county, Q), "KEY").quota == 10


def test_adjustment_changes_the_result_without_code(county, make_user):
    coordinator = make_user("coord", county, Role.COORDINATOR)
    policy = organisation_policy(county)
    policy_value_set(actor=coordinator, policy=policy, path="classes.KEY.quota",
                     value={"ratio": "30%"}, since=dt.date(2026, 4, 1), reason="局务会决定提高比例")  # fmt: skip
    assert quota_of(quarter_view(county, Q), "KEY").quota == 12  # 30% × 37 = 11.1 → 12
    assert quota_of(quarter_view(county, Quarter(2026, 1)), "KEY").quota == 10  # before the date
    entry = effective_preset(policy).class_rule("KEY").quota.at(dt.date(2026, 4, 1))
    assert entry.ref.note == "局务会决定提高比例"
    assert policy.adjustments.get().created_by == coordinator


def test_adjustment_refuses_bad_values_and_missing_reason(county, make_user):
    coordinator = make_user("coord", county, Role.COORDINATOR)
    policy = organisation_policy(county)
    with pytest.raises(ValidationError, match="比例应写成百分数"):
        policy_value_set(actor=coordinator, policy=policy, path="classes.KEY.quota",
                         value={"ratio": 0.3}, since=dt.date(2026, 4, 1), reason="x")  # fmt: skip
    with pytest.raises(ValidationError, match="请填写调整原因"):
        policy_value_set(actor=coordinator, policy=policy, path="classes.KEY.quota",
                         value={"ratio": "30%"}, since=dt.date(2026, 4, 1), reason=" ")  # fmt: skip
    assert not policy.adjustments.exists()


def test_only_the_own_coordinator_adjusts(county, organisations, make_user):
    policy = organisation_policy(county)
    for user in (make_user("leader", county, Role.LEADER),
                 make_user("other", organisations["b"], Role.COORDINATOR)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            policy_value_set(actor=user, policy=policy, path="classes.KEY.quota",
                             value={"ratio": "30%"}, since=dt.date(2026, 4, 1), reason="x")  # fmt: skip


def test_no_preset_is_a_clear_message(organisations, client, make_user):
    with pytest.raises(NoPolicy, match="尚未设置政策预设"):
        organisation_policy(organisations["b"])
    client.force_login(make_user("coord-b", organisations["b"], Role.COORDINATOR))
    assert "尚未设置政策预设" in client.get(reverse("planning:policy")).content.decode()


def test_policy_page_lists_values_with_clauses_and_accepts_adjustment(client, county, make_user):
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    text = client.get(reverse("planning:policy")).content.decode()
    assert "重点监管对象：抽查比例" in text and "抽查比例 25%（每季度）" in text
    assert "二、（五）" in text
    assert "每季度至少对本行政区域内 25%的重点监管对象进行抽查" in text
    assert "（默认）" in text  # 遵化 does not state its SPECIAL conditions
    response = client.post(reverse("planning:policy_edit"), {
        "parameter": "classes.GENERAL.quota", "ratio": "5", "per": "quarter", "since": "2026-04-01",
        "reason": "提高一般对象比例", "action": "save",
    })  # fmt: skip
    assert response.status_code == 302
    assert OrganisationPolicy.objects.get().adjustments.get().value == {"ratio": "5%"}
    text = client.get(reverse("planning:policy_quarter"), {"quarter": "2026Q2"}).content.decode()
    assert (
        "5% × 101 家 = 5.05，向上取整 6 家（二、（五））" not in text
    )  # the clause is the bureau's now
    assert "5% × 101 家 = 5.05，向上取整 6 家" in text


def test_leader_reads_but_cannot_adjust(client, county, make_user):
    client.force_login(make_user("leader", county, Role.LEADER))
    page = client.get(reverse("planning:policy")).content.decode()
    assert reverse("planning:policy_edit") not in page
    response = client.post(reverse("planning:policy_edit"), {
        "parameter": "classes.GENERAL.quota", "ratio": "5", "per": "quarter", "since": "2026-04-01",
        "reason": "x", "action": "save",
    })  # fmt: skip
    assert response.status_code == 403
    assert not OrganisationPolicy.objects.get().adjustments.exists()


def test_quarter_page_shows_quotas_and_filters(client, county, make_user):
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    text = client.get(reverse("planning:policy_quarter"), {"quarter": "2026Q2"}).content.decode()
    assert "25% × 37 家 = 9.25，向上取整 10 家（二、（五））" in text
    assert "逐户分类：138 户" in text
    text = client.get(
        reverse("planning:policy_quarter"), {"quarter": "2026Q2", "class": "KEY"}
    ).content.decode()
    assert "逐户分类（已筛选）：37 户" in text


def test_huojia_special_ratio_must_be_set(client, organisations, make_user):
    """HJ-att: 特殊监管对象“根据实际自行设定” — the page says so until the bureau sets it."""
    county = organisations["b"]
    adopt_preset(county, "huojia-2024")
    client.force_login(make_user("coord", county, Role.COORDINATOR))
    text = client.get(reverse("planning:policy_quarter"), {"quarter": "2026Q2"}).content.decode()
    assert "根据实际自行设定" in text and "请先设定" in text
