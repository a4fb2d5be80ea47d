"""Issue 15, finding 7: inputs that reached a server error now get a Chinese refusal.

Each request here answered 500 before: a 50,001-character enterprise code on the public portal
(SQLite refuses LIKE patterns over 50,000 bytes), a determination date outside the bureau's
policy, a team or a substitution for a 全覆盖 inspection (it has no draw), a quarter before the
bureau's policy starts, an audit filter from year 1, and a 50,001-character staff search.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection

HUGE = "9" * 50_001
SEARCH_MAX = 100  # params.SEARCH_MAX


def counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_portal_enterprise_with_a_huge_code_is_not_found(client, county):
    # SQLite evaluates (and refuses) the LIKE pattern only against rows: the registers are full.
    response = client.get(reverse("disclosure:enterprise", args=[HUGE]))
    assert response.status_code == 404
    assert "统一社会信用代码" in response.content.decode()


@pytest.fixture
def coverage(county, coordinator, published_plan):
    """遵化's 正面清单 targets are checked in full, outside the draw (ZH-2.5)."""
    from shuangsuiji.inspections.creation import coverage_inspections_create

    task = published_plan.tasks.get(quarter=4)
    created = coverage_inspections_create(actor=coordinator, task=task)
    return created[0]


@pytest.fixture
def county(organisations):
    from tests.support.county import build_county

    return build_county(organisations["a"])


@pytest.fixture
def coordinator(county, make_user):
    return make_user("coord", county, Role.COORDINATOR)


@pytest.fixture
def published_plan(county, coordinator, make_user):
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=make_user("leader", county, Role.LEADER), plan=plan)
    return plan_publish(actor=coordinator, plan=plan)


def test_team_for_a_coverage_inspection_goes_back_to_the_inspection(client, coverage, coordinator):
    seniors = coverage.organisation.inspectors.filter(category="enforcement", start_year=2010)
    lead, other = seniors[0], seniors[1]
    client.force_login(coordinator)
    response = client.post(
        reverse("planning:inspection_assign", args=[coverage.pk]),
        {"inspectors": [lead.pk, other.pk], "lead": lead.pk, "reason": "全覆盖检查安排"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:detail", args=[coverage.pk])
    coverage.refresh_from_db()
    assert coverage.status == Inspection.Status.ASSIGNED
    assert [m.inspector for m in coverage.members.order_by("-is_lead", "pk")] == [lead, other]
    page = client.get(response["Location"]).content.decode()
    assert "已指派执法人员" in page and lead.name in page


def test_substitution_of_a_coverage_inspection_is_refused(client, coverage, coordinator):
    client.force_login(coordinator)
    before = counts()
    response = client.post(
        reverse("planning:inspection_substitute", args=[coverage.pk]),
        {"reason": "suspended", "evidence": "停产证明"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == reverse("inspections:detail", args=[coverage.pk])
    assert "全覆盖检查不经抽取，没有备选名单，不能替补" in response.content.decode()
    assert counts() == before
    coverage.refresh_from_db()
    assert coverage.status == Inspection.Status.NEEDS_TEAM


@pytest.mark.parametrize("quarter", ["2023Q4", "1000Q1", "9999Q4"])
def test_quarter_outside_the_policy_is_refused(client, county, coordinator, quarter):
    client.force_login(coordinator)
    response = client.get(reverse("planning:policy_quarter"), {"quarter": quarter})
    assert response.status_code == 400
    page = response.content.decode()
    assert "可查看的季度为 2024 年第一季度至" in page


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"since": "0001-01-01"}, "起始日期须在 2000-01-01 至 2100-12-31 之间（所填为 0001-01-01）"),
        ({"until": "9999-12-31"}, "截止日期须在 2000-01-01 至 2100-12-31 之间（所填为 9999-12-31）"),
        ({"since": "20260101"}, "起始日期“20260101”不是日期，请按 YYYY-MM-DD 填写"),
    ],
)  # fmt: skip
def test_audit_filter_out_of_range_is_refused(client, organisations, make_user, params, problem):
    client.force_login(make_user("auditor", organisations["a"], Role.AUDITOR))
    response = client.get(reverse("audit:list"), params)
    assert response.status_code == 400
    assert problem in response.content.decode()


@pytest.mark.parametrize(
    ("url", "role", "kwargs"),
    [
        ("accounts:user_list", Role.SYSADMIN, {}),
        ("directory:list", Role.COORDINATOR, {"register": "targets"}),
        ("directory:export", Role.COORDINATOR, {"register": "targets"}),
        ("reports:archive", Role.COORDINATOR, {}),
        ("disclosure:search", None, {}),
    ],
)
def test_huge_search_text_is_refused(client, county, make_user, url, role, kwargs):
    if role:
        client.force_login(make_user("user", county, role))
    response = client.get(reverse(url, kwargs=kwargs), {"q": "企" * 50_001})
    assert response.status_code == 400
    assert f"查询文字不能超过 {SEARCH_MAX} 个字（所填为 50001 个字）" in response.content.decode()
    assert client.get(reverse(url, kwargs=kwargs), {"q": "企" * SEARCH_MAX}).status_code == 200


def test_the_substitute_service_refuses_an_undrawn_inspection(coverage, coordinator):
    """The service holds the rule too, not only the page (a command or a later page)."""
    from django.core.exceptions import ValidationError

    from shuangsuiji.inspections.creation import inspection_substitute

    before = counts()
    with pytest.raises(ValidationError, match="没有备选名单，不能替补"):
        inspection_substitute(
            actor=coordinator, inspection=coverage, reason="suspended", evidence="停产证明"
        )
    assert counts() == before
