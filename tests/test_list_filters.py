"""The list filters (django-filter FilterSets in ``<app>/filters.py``, issue 16 point 7): each
narrows the rows its page lists by the same query parameters as before, refuses what it cannot
read the same way (ignored, named with a 400, or a 404), and never reaches past the rows the
user may read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from tests.support.workbooks import uscc

LONG = "企" * 101  # params.SEARCH_MAX + 1
TOO_LONG = "查询文字不能超过 100 个字（所填为 101 个字）"


@pytest.fixture
def county(organisations):
    from tests.support.county import build_county

    return build_county(organisations["a"])


@pytest.fixture
def coordinator(county, make_user):
    return make_user("coord", county, Role.COORDINATOR)


@pytest.fixture
def portal(organisations, make_user):
    from tests.support.portal import build_portal

    return build_portal(organisations, make_user)


def count(response) -> int:
    assert response.status_code == 200, response.content.decode()[:500]
    return response.context["page"].paginator.count


def queries(client, url, params) -> int:
    client.get("/")  # the menu's to-do counts are read once per change (reports.todo_counts)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


# ---- registers (directory/filters.py) ------------------------------------------------------------


def test_register_filters_narrow_the_list_and_the_export(client, county, coordinator):
    # build_county: 40 重点管理 targets (大气), 200 登记管理 (水), 20 简化管理 on the 正面清单,
    # alternating between two 片区.
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    assert count(client.get(url)) == 260
    assert count(client.get(url, {"permit_category": "重点管理"})) == 40
    assert count(client.get(url, {"positive_list": "是"})) == 20
    assert count(client.get(url, {"tags": "大气"})) == 40
    assert count(client.get(url, {"area": "第一中队"})) == 130
    assert count(client.get(url, {"q": "重点企业1"})) == 11  # 1 and 10–19
    both = client.get(url, {"permit_category": "重点管理", "area": "第一中队"})
    assert count(both) == 20
    assert both.context["applied"] == {
        "permit_category": "重点管理",
        "area": "第一中队",
        "in_register": "1",
    }
    assert 'value="重点管理" selected' in both.content.decode()

    from python_calamine import CalamineWorkbook

    export = client.get(reverse("directory:export", args=["targets"]), {"positive_list": "是"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0)
    names = [row[1] for row in rows.to_python()[1:]]
    assert len(names) == 20 and all(name.startswith("正面清单企业") for name in names)


def test_register_filter_controls_keep_the_chosen_values(
    client, county, coordinator, organisations, make_user
):
    """The filter controls (written in Python, directory/templatetags/register_rows.py; issue
    21 §3): each drop-down offers its options with the chosen one selected, and a register
    across units types 片区 in a box that keeps what was typed, escaped."""
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    page = client.get(url, {"area": "第二中队"}).content.decode()
    areas = page[page.index('<select name="area" aria-label="执法片区">') :].split("</select>")[0]
    assert '<option value="">执法片区：全部</option>' in areas
    assert '<option value="第一中队">第一中队</option>' in areas
    assert '<option value="第二中队" selected>第二中队</option>' in areas
    assert '<select name="permit_category" aria-label="排污许可管理类别">' in page

    city = make_user("coord-city", organisations["city"], Role.COORDINATOR)
    client.force_login(city)
    page = client.get(url, {"area": '第二"中队<'}).content.decode()
    assert '<select name="area"' not in page
    assert (
        '<input type="text" name="area" value="第二&quot;中队&lt;" '
        'placeholder="执法片区（完整名称）" aria-label="执法片区">'
    ) in page


def test_register_area_choices_follow_every_unit_the_list_reads(
    client, county, coordinator, organisations
):
    """A 分局's 片区 drop-down lists every 片区 of the rows it reads: of the bureau and of the
    partner departments registered under it (``readable_by``). It is kept until one of their
    rows changes (``caching.kept_until_changed(lineage=True)``): a partner's new 片区 shows on
    the next view, written in SQL past every service; another bureau's leaves it kept."""
    from shuangsuiji.accounts.models import OrganisationLevel
    from shuangsuiji.accounts.services import organisation_create
    from shuangsuiji.directory.models import Inspector

    def areas() -> list[str]:
        page = client.get(url)
        [area] = [f for f in page.context["filters"] if f["name"] == "area"]
        return area["options"]

    partner = organisation_create(
        actor=None, code=f"{county.code}01", name="住建局", parent=county,
        level=OrganisationLevel.PARTNER,
    )  # fmt: skip
    client.force_login(coordinator)
    url = reverse("directory:list", args=["inspectors"])
    before = areas()
    with CaptureQueriesContext(connection) as kept:
        assert areas() == before
    one = Inspector.objects.filter(organisation=county).first()
    Inspector.objects.filter(pk=one.pk).update(area="东片区")  # in SQL, past every service
    assert "东片区" in areas()
    other = Inspector.objects.filter(organisation=organisations["b"]).first() or Inspector(
        organisation=organisations["b"], name="他局", certificate_no="ZF-B-1"
    )
    other.area = "西片区"
    other.save()
    with CaptureQueriesContext(connection) as still:
        assert "西片区" not in areas()
    assert len(still) == len(kept)
    # The partner's own row: only its counter rises.
    Inspector.objects.bulk_create(
        [Inspector(organisation=partner, name="住建执法", certificate_no="ZJ-1", area="北片区")]
    )
    assert "北片区" in areas()


def test_register_total_is_kept_until_a_row_it_counts_changes(client, county, coordinator):
    """A 分局's total, filter by filter, is counted once and kept until a row the list reads
    changes (``kept_until_changed(lineage=True)``, issue 21 §3): the next view counts nothing;
    a search has its own total; a row written in SQL, past every service, is in the next."""
    from shuangsuiji.directory.models import Target

    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    assert count(client.get(url)) == 260
    with CaptureQueriesContext(connection) as kept:
        assert count(client.get(url)) == 260
    assert not [q for q in kept.captured_queries if "COUNT(" in q["sql"].upper()]
    # The total and the 片区 are kept by the same version, read once for both.
    versions = [q for q in kept.captured_queries if "disclosure_publicversion" in q["sql"]]
    assert len(versions) == 1
    found = Target.objects.filter(organisation=county, name__contains="重点企业1").count()
    assert 0 < found < 260
    assert count(client.get(url, {"q": "重点企业1"})) == found
    one = Target.objects.filter(organisation=county).first()
    Target.objects.bulk_create([Target(organisation=county, credit_code=uscc(9999),
                                       name="重点企业1新增", target_type=one.target_type)])  # fmt: skip
    assert count(client.get(url)) == 261
    assert count(client.get(url, {"q": "重点企业1"})) == found + 1


def test_register_values_it_cannot_read_are_ignored(client, county, coordinator):
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    response = client.get(url, {"permit_category": "特级", "tags": "辐", "in_register": "x"})
    assert count(response) == 260
    assert response.context["applied"] == {}  # nothing shown as chosen


def test_register_lists_the_rows_in_the_register_unless_asked(client, county, coordinator):
    from shuangsuiji.directory.models import Target
    from shuangsuiji.directory.services import record_remove

    gone = Target.objects.get(organisation=county, name="重点企业1")
    record_remove(actor=coordinator, instance=gone, reason="企业注销")
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    assert count(client.get(url)) == 259
    assert count(client.get(url, {"in_register": "1"})) == 259
    removed = client.get(url, {"in_register": "0"})
    assert [row["name"] for row in removed.context["page"]] == ["重点企业1"]
    assert count(client.get(url, {"in_register": "all"})) == 260


def test_register_rows_show_markup_as_text_and_link_each_record(client, county, coordinator):
    """A register's rows are written in Python (directory/templatetags/register_rows.py, issue
    21 §3): the first column links to the record, a name or a 片区 holding markup is shown as
    text, as the template language's autoescaping showed it."""
    from shuangsuiji.directory.models import Target

    target = Target.objects.get(organisation=county, name="重点企业1")
    Target.objects.filter(pk=target.pk).update(name="<i>甲&乙</i>公司", area='<b>"北路"</b>')
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    page = client.get(url, {"q": "甲&乙"}).content.decode()
    record = reverse("directory:detail", args=["targets", target.pk])
    assert f'<a href="{record}">' in page
    assert "&lt;i&gt;甲&amp;乙&lt;/i&gt;公司" in page and "<i>甲" not in page
    assert "<td>&lt;b&gt;&quot;北路&quot;&lt;/b&gt;</td>" in page and '<b>"' not in page
    assert f"<td>{county.name}</td>" in page


def test_register_filters_take_no_extra_query(client, county, coordinator):
    client.force_login(coordinator)
    url = reverse("directory:list", args=["targets"])
    params = {"q": "企业", "permit_category": "重点管理", "tags": "大气", "area": "第一中队"}
    # The 片区 offered and each filter's total are kept until a row changes
    # (caching.kept_until_changed): both views compared once they are kept.
    client.get(url)
    client.get(url, params)
    assert queries(client, url, params) == queries(client, url, {})


def test_register_of_another_bureau_stays_out_whatever_the_filter(
    client, county, organisations, make_user
):
    outsider = make_user("coord-b", organisations["b"], Role.COORDINATOR)
    client.force_login(outsider)
    url = reverse("directory:list", args=["targets"])
    assert count(client.get(url, {"in_register": "all", "q": "企业"})) == 0


# ---- audit log (audit/filters.py) ----------------------------------------------------------------


@pytest.fixture
def log(county, make_user):
    from shuangsuiji.audit.services import audit_record

    wang = make_user("王芳", county, Role.COORDINATOR)
    li = make_user("李强", county, Role.COORDINATOR)
    audit_record(actor=wang, action="draw.commit", organisation=county, summary="承诺 2026Q4 抽取")
    audit_record(actor=wang, action="draw.reveal", organisation=county, summary="公开 2026Q4 名单")
    audit_record(actor=li, action="inspection.submit", organisation=county, summary="提交检查记录")
    return make_user("auditor", county, Role.AUDITOR)


def actions(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:500]
    return [event.action for event in response.context["page"]]


def test_audit_filters_narrow_by_action_actor_and_object(client, log):
    client.force_login(log)
    assert actions(client.get("/audit/", {"action": "draw."})) == ["draw.reveal", "draw.commit"]
    assert actions(client.get("/audit/", {"action": "commit"})) == []  # a prefix, not a fragment
    # The page names actions in Chinese and its filter takes the name or part of it.
    assert actions(client.get("/audit/", {"action": "抽取"})) == ["draw.reveal", "draw.commit"]
    assert actions(client.get("/audit/", {"action": "提交检查结果"})) == ["inspection.submit"]
    assert actions(client.get("/audit/", {"action": "没有这种操作"})) == []
    assert actions(client.get("/audit/", {"actor": "李"})) == ["inspection.submit"]
    assert actions(client.get("/audit/", {"object": "名单", "actor": "王芳"})) == ["draw.reveal"]
    page = client.get("/audit/", {"actor": "  王芳 "}).content.decode()
    assert 'name="actor" value="王芳"' in page  # stripped, as the field shows it


def test_audit_dates_include_both_ends(client, log):
    client.force_login(log)
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    every = actions(client.get("/audit/"))  # all written today: the registers, the users, …
    assert every[:3] == ["inspection.submit", "draw.reveal", "draw.commit"]
    assert actions(client.get("/audit/", {"since": today, "until": today})) == every
    assert actions(client.get("/audit/", {"until": today - day})) == []
    assert actions(client.get("/audit/", {"since": today + day})) == []


def test_a_bad_audit_date_is_named_and_the_other_filters_still_apply(client, log):
    client.force_login(log)
    response = client.get(
        "/audit/", {"action": "draw.", "since": "2026-02-30", "until": "9999-12-31"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "起始日期“2026-02-30”不是日期，请按 YYYY-MM-DD 填写。" in page
    assert "截止日期须在 2000-01-01 至 2100-12-31 之间（所填为 9999-12-31）。" in page
    assert page.index("起始日期“2026-02-30”") < page.index("截止日期须在")
    assert [e.action for e in response.context["page"]] == ["draw.reveal", "draw.commit"]
    assert response.context["chosen"]["since"] == ""


@pytest.mark.parametrize(
    ("name", "label"), [("action", "操作"), ("actor", "操作人"), ("object", "对象")]
)
def test_too_long_audit_text_is_refused(client, log, name, label):
    client.force_login(log)
    response = client.get("/audit/", {name: LONG})
    assert response.status_code == 400
    assert f"{label}不能超过 100 个字（所填为 101 个字）" in response.content.decode()


# ---- 检查档案 (inspections/filters.py) -------------------------------------------------------------


def test_archive_filters_narrow_and_ignore_what_they_cannot_read(client, portal):
    from shuangsuiji.inspections.models import Inspection

    client.force_login(portal.coordinator)
    url = reverse("reports:archive")
    every = Inspection.objects.filter(organisation=portal.county).count()
    assert count(client.get(url)) == every
    done = client.get(url, {"year": "2026", "status": "done", "kind": "random"})
    expected = Inspection.objects.filter(
        organisation=portal.county, year=2026, status="done", kind="random"
    ).count()
    assert count(done) == expected and "2026 年，随机抽查，已完成" in done.context["description"]
    targeted = client.get(url, {"kind": "targeted"})
    assert [i.pk for i in targeted.context["page"]] == [portal.targeted.pk]
    ignored = client.get(url, {"year": "٢٠٢٦", "kind": "抽查", "result": "x", "status": ""})
    assert count(ignored) == every
    assert ignored.context["description"] == f"{portal.county.name}及下级，全部年度"


def test_archive_of_an_organisation_out_of_reach_is_not_found(client, portal):
    client.force_login(portal.coordinator)
    url = reverse("reports:archive")
    assert client.get(url, {"org": portal.neighbour.code}).status_code == 404
    assert client.get(url, {"org": "999999"}).status_code == 404
    assert client.get(reverse("reports:archive_file"), {"org": "999999"}).status_code == 404
    assert count(client.get(url, {"org": portal.county.code})) > 0


def test_a_city_bureau_narrows_its_archive_to_one_branch(client, portal, organisations, make_user):
    client.force_login(make_user("city", organisations["city"], Role.COORDINATOR))
    url = reverse("reports:archive")
    branch = client.get(url, {"org": portal.county.code})
    assert {i.organisation for i in branch.context["page"]} <= {portal.county}
    assert branch.context["chosen"].organisation == portal.county
    assert count(client.get(url, {"org": portal.neighbour.code})) == 0


@pytest.mark.parametrize("url_name", ["reports:archive", "reports:archive_file"])
def test_too_long_archive_search_is_refused(client, portal, url_name):
    client.force_login(portal.coordinator)
    response = client.get(reverse(url_name), {"q": LONG, "year": "2026"})
    assert response.status_code == 400
    assert TOO_LONG in response.content.decode()


# ---- public results (disclosure/filters.py) ------------------------------------------------------


def results_url(portal) -> str:
    return reverse("disclosure:results", args=[portal.county.code])


def names(response) -> set[str]:
    """The enterprises of the results the page lists."""
    return {result["target_name"] for result in response.context["results"]}


def test_public_results_filters_narrow(client, portal):
    url = results_url(portal)
    both = {portal.clean.target.name, portal.ordered.target.name}
    assert names(client.get(url)) == both
    assert names(client.get(url, {"year": "2026", "quarter": "4"})) == both
    assert names(client.get(url, {"year": "2026", "quarter": "3"})) == set()
    assert names(client.get(url, {"year": "2025"})) == set()
    # Stripped as before: a pasted value with spaces still filters.
    ordered = client.get(url, {"category": " ordered ", "year": " 2026 "})
    assert names(ordered) == {portal.ordered.target.name}
    assert ordered.context["chosen"] == {
        "year": 2026,
        "quarter": None,
        "category": "ordered",
        "month": None,
    }


def test_public_results_name_every_bad_value_in_order(client, portal):
    response = client.get(
        results_url(portal), {"year": "公元", "quarter": "2", "category": "x", "month": "2026-13"}
    )
    assert response.status_code == 400
    assert response.context["problems"] == [
        ("year", "参数 year=“公元”无效，应为 2000–2100 的整数。"),
        ("category", "参数 category=“x”无效。"),
        ("month", "参数 month=“2026-13”无效，应为 YYYY-MM（2000-01 至 2100-12）。"),
        ("quarter", "按季度筛选时请同时指定年度（year）。"),
    ]


def test_public_results_refuse_a_quarter_without_a_year_and_apply_the_rest(client, portal):
    response = client.get(results_url(portal), {"quarter": "4", "category": "ordered"})
    assert response.status_code == 400
    assert "按季度筛选时请同时指定年度（year）。" in response.content.decode()
    assert names(response) == {portal.ordered.target.name}
    assert response.context["chosen"]["quarter"] is None


def test_the_api_reads_the_results_filter_as_the_portal(client, portal):
    answer = client.get("/api/results", {"organisation": portal.county.code, "quarter": "4"})
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        {"field": "quarter", "message": "按季度筛选时请同时指定年度（year）。"}
    ]
    answer = client.get(
        "/api/results",
        {"organisation": portal.county.code, "year": "2026", "category": "ordered"},
    )
    assert answer.status_code == 200
    assert [row["credit_code"] for row in answer.json()["results"]] == [
        portal.ordered.target.credit_code
    ]


# ---- the portal's searches (disclosure/filters.py) -----------------------------------------------


def test_enterprise_search_by_code_or_name(client, county):
    from shuangsuiji.directory.models import Target

    target = Target.objects.get(organisation=county, name="重点企业7")
    by_code = client.get(reverse("disclosure:search"), {"q": f" {target.credit_code.lower()} "})
    assert [row["name"] for row in by_code.context["rows"]] == ["重点企业7"]
    by_name = client.get(reverse("disclosure:search"), {"q": "正面清单企业41"})
    assert [row["name"] for row in by_name.context["rows"]] == [
        f"正面清单企业41{n}" for n in range(10)
    ]
    assert client.get(reverse("disclosure:search")).context["rows"] == []


def test_public_target_register_search(client, county):
    url = reverse("disclosure:targets", args=[county.code])
    assert count(client.get(url, {"q": "正面清单"})) == 20
    response = client.get(url, {"q": "一般企业15"})
    assert count(response) == 10 and response.context["query"] == "一般企业15"  # 150–159


@pytest.mark.parametrize("url_name", ["disclosure:search", "disclosure:targets"])
def test_too_long_public_search_is_refused(client, county, url_name):
    url = reverse(url_name, args=[county.code] if url_name == "disclosure:targets" else [])
    response = client.get(url, {"q": LONG})
    assert response.status_code == 400
    assert TOO_LONG in response.content.decode()
