"""检查档案 (issue 10 “Data safety”, JX-5.4 档案资料归档，保存期不少于3年): every inspection of
every year, for those who read the organisation's work, filtered and downloadable as Excel."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    portal = build_portal(organisations, make_user)
    # A record from three years back, as a bureau's archive holds them.
    Inspection.objects.filter(pk=portal.clean.pk).update(year=2023)
    return portal


def _names(response) -> list[str]:
    return [i.target.name for i in response.context["page"]]


def test_the_archive_lists_every_year_and_counts_each(client, portal):
    """JX-5.4: the records of earlier years stay and are found by year."""
    client.force_login(portal.coordinator)
    response = client.get(reverse("reports:archive"))
    assert response.status_code == 200
    county = Inspection.objects.filter(organisation=portal.county)
    assert response.context["page"].paginator.count == county.count()
    years = {year: total for year, total, _done in response.context["years"]}
    assert years[2023] == 1 and years[2026] == county.filter(year=2026).count()
    assert "<th>单位</th>" not in response.content.decode()  # one organisation: no column for it
    old = client.get(reverse("reports:archive"), {"year": 2023})
    assert _names(old) == [portal.clean.target.name]
    assert "2023 年" in old.context["description"]


def test_filters_narrow_by_status_result_and_enterprise(client, portal):
    client.force_login(portal.coordinator)
    url = reverse("reports:archive")
    done = client.get(url, {"status": "done"}).context["page"].paginator.count
    assert done == Inspection.objects.filter(organisation=portal.county, status="done").count()
    ordered = client.get(url, {"result": "ordered"})
    assert portal.ordered.target.name in _names(ordered)
    assert portal.clean.target.name not in _names(ordered)
    by_code = client.get(url, {"q": portal.ordered.target.credit_code.lower()})
    assert set(_names(by_code)) == {portal.ordered.target.name}
    # Values it cannot read are left out rather than failing the page.
    assert client.get(url, {"year": "公元", "status": "x", "kind": "y"}).status_code == 200


def test_cancelled_records_stay_in_the_archive(client, portal):
    Inspection.objects.filter(pk=portal.unrevealed.pk).update(status=Inspection.Status.CANCELLED)
    client.force_login(portal.coordinator)
    response = client.get(reverse("reports:archive"), {"status": "cancelled"})
    assert _names(response) == [portal.unrevealed.target.name]


def test_the_workbook_holds_the_filtered_rows(client, portal):
    client.force_login(portal.leader)
    response = client.get(reverse("reports:archive_file"), {"year": 2026})
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][0] == "随机抽查检查档案"
    header = rows[2]
    assert header[:4] == ["年度", "单位", "检查对象", "统一社会信用代码"]
    body = [r for r in rows[3:] if r[0] == 2026]
    expected = Inspection.objects.filter(organisation=portal.county, year=2026).count()
    assert len(body) == expected
    # 涉密 is said in the internal archive (never on the portal), on exactly the 涉密 rows.
    flagged = [r[2] for r in body if r[9]]
    confidential = Inspection.objects.filter(organisation=portal.county, year=2026).exclude(
        confidentiality=""
    )
    assert len(flagged) == confidential.count() and portal.secret.target.name in flagged


def test_a_city_bureau_reads_its_branches_and_a_neighbour_nothing(client, portal, make_user):
    city = make_user("city-auditor", portal.county.parent, Role.AUDITOR)
    client.force_login(city)
    response = client.get(reverse("reports:archive"), {"org": portal.county.code})
    # Everything of the branch but the inspections of its Q3 draw, whose list is still secret.
    assert (
        response.context["page"].paginator.count
        == Inspection.objects.filter(organisation=portal.county).exclude(draw=portal.hidden).count()
    )
    assert "名单尚未公开的抽取不在此列" in response.content.decode()
    neighbour = make_user("neighbour-coord", portal.neighbour, Role.COORDINATOR)
    client.force_login(neighbour)
    assert client.get(reverse("reports:archive"), {"org": portal.county.code}).status_code == 404
    own = client.get(reverse("reports:archive"))
    assert portal.clean.target.name not in _names(own)


def test_inspectors_and_the_public_are_kept_out(client, portal, make_user):
    assert client.get(reverse("reports:archive")).status_code == 302  # to the login page
    client.force_login(make_user("A001", portal.county, Role.INSPECTOR))
    assert client.get(reverse("reports:archive")).status_code == 403
    assert client.get(reverse("reports:archive_file")).status_code == 403


def test_the_page_reads_in_a_fixed_number_of_queries(client, portal, django_assert_max_num_queries):
    client.force_login(portal.coordinator)
    client.get(reverse("reports:archive"))  # the menu's to-do counts, read once per change
    with django_assert_max_num_queries(13):
        client.get(reverse("reports:archive"))
