"""The public portal's pages (BD-3.5, GC-2.8b, JX-4.7, BD-2): what a citizen finds without an
account, on a phone and without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuangsuiji.bureau.models import OrganisationSettings


def shown(target, page: str) -> bool:
    """The target's name as a link (names such as 重点企业3 and 重点企业34 share a prefix)."""
    return f">{target.name}</a>" in page


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_organisation_page_links_every_public_register(client, portal):
    """BD-3.5: 公开工作方案、计划、两库名单、事项清单、抽查结果."""
    page = text(client.get(f"/gongkai/org/{portal.county.code}/"))
    for title in ("随机抽查事项清单", "检查对象名录库", "执法检查人员名录库", "抽查结果（2 条）",
                  "2026 年度抽查计划（第 1 版"):  # fmt: skip
        assert title in page
    assert portal.revealed.draw_id in page and portal.committed.draw_id in page
    assert page.count("名单将于检查结束后公开") == 2  # the drawn and the committed draw


def test_item_list_leaves_out_items_marked_secret(client, portal):
    """GC-2.2 / BD-3.5: the item list is public, except what is 涉密."""
    page = text(client.get(f"/gongkai/org/{portal.county.code}/items/"))
    assert "排放检查" in page and "《环境保护法》第二十四条" in page
    assert "涉密事项" not in page


def test_target_register_shows_name_code_address_and_finds_by_fragment(client, portal):
    page = text(client.get(f"/gongkai/org/{portal.county.code}/targets/", {"q": "重点企业3"}))
    names = re.findall(r">(重点企业\d+)</a>", page)
    assert sorted(names) == sorted(["重点企业3", *(f"重点企业{i}" for i in range(30, 40))])
    assert "本季度监管类别" not in page  # the bureau has not chosen to publish classes
    full = text(client.get(f"/gongkai/org/{portal.county.code}/targets/"))
    assert "共 260 条" in full  # 40 + 200 + 20 in the register, 50 per page


def test_target_classes_appear_when_the_bureau_publishes_them(client, portal):
    OrganisationSettings.objects.filter(organisation=portal.county).update(
        publish_target_class=True
    )
    page = text(client.get(f"/gongkai/org/{portal.county.code}/targets/", {"q": "重点企业1"}))
    assert "本季度监管类别" in page
    row = re.search(r"重点企业10</a></td><td>\w+</td><td>[^<]*</td><td>([^<]+)</td>", page)
    assert row and row.group(1) == "重点监管对象"


def test_inspector_register_is_name_certificate_and_department(client, portal):
    page = text(client.get(f"/gongkai/org/{portal.county.code}/inspectors/"))
    assert "执法0" in page and "13028120260000" in page and "综合执法大队" in page
    assert "<th>姓名</th><th>执法证号</th><th>所属部门</th></tr>" in page


def test_results_page_filters_by_quarter_and_category(client, portal):
    """JX-4.7: results in the fixed wording, by organisation, quarter and category."""
    url = f"/gongkai/org/{portal.county.code}/results/"
    page = text(client.get(url))
    assert "发现问题已责令整改：危废标识不规范" in page
    assert "责令整改：办理中" in page  # GC-2.8b 后续处理结果
    assert shown(portal.clean.target, page) and shown(portal.ordered.target, page)
    ordered = text(client.get(url, {"year": 2026, "quarter": 4, "category": "ordered"}))
    assert shown(portal.ordered.target, ordered) and not shown(portal.clean.target, ordered)
    assert "暂无公开的抽查结果" in text(client.get(url, {"year": 2026, "quarter": 3}))


def test_results_tables_escape_what_the_bureau_wrote(client, portal):
    """The results table is written in Python (disclosure/templatetags/results_table.py, issue
    21 §1): a summary, a task or a name holding markup is shown as text, on the bureau's list
    and on the enterprise's page, as the template language's autoescaping would."""
    from shuangsuiji.directory.models import Target
    from shuangsuiji.inspections.models import Inspection

    Inspection.objects.filter(pk=portal.clean.pk).update(public_summary='<b>"A" & B</b>')
    Target.objects.filter(pk=portal.clean.target_id).update(name="<i>甲&乙</i>公司")
    for url in (
        f"/gongkai/org/{portal.county.code}/results/",
        f"/gongkai/enterprise/{portal.clean.target.credit_code}/",
    ):
        page = text(client.get(url))
        assert "&lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;" in page and "<b>" not in page
        # Not secret: the summary stands alone, with no “仅公开摘要” before it.
        assert '<td data-label="公示内容">&lt;b&gt;&quot;A&quot;' in page
        assert ">&lt;i&gt;甲&amp;乙&lt;/i&gt;公司</a>" in page and "<i>" not in page


def test_bad_filter_values_are_named(client, portal):
    response = client.get(f"/gongkai/org/{portal.county.code}/results/", {"quarter": "5"})
    assert response.status_code == 400
    assert "参数 quarter=“5”无效" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"year": "²"}, "参数 year=“²”无效，应为 2000–2100 的整数。"),  # isdigit() took it: a 500
        ({"quarter": "9" * 5000}, "应为 1–4 的整数。"),  # beyond int()'s 4,300 digits: a 500
        ({"month": "9999-12"}, "参数 month=“9999-12”无效"),  # its end, year 10000: a 500
        ({"month": "0001-01"}, "参数 month=“0001-01”无效"),  # before datetime's range: a 500
        ({"month": "2026-1"}, "应为 YYYY-MM（2000-01 至 2100-12）。"),
    ],
)
def test_filter_values_outside_the_calendar_are_named_not_a_500(client, portal, params, named):
    response = client.get(f"/gongkai/org/{portal.county.code}/results/", params)
    assert response.status_code == 400
    assert named in response.content.decode()


def test_monthly_batches_group_results_for_baoding(client, portal):
    """BD-2: 每月向社会公示随机抽查结果 — the setting groups results by month of publication."""
    url = f"/gongkai/org/{portal.county.code}/results/"
    assert "按月公示批次" not in text(client.get(url))
    OrganisationSettings.objects.filter(organisation=portal.county).update(publish_monthly=True)
    month = portal.clean.published_at.astimezone().strftime("%Y-%m")
    page = text(client.get(url))
    year, number = month.split("-")
    assert f"{year} 年 {int(number)} 月公示批次</a>（2 条）" in page
    batch = text(client.get(url, {"month": month}))
    assert shown(portal.clean.target, batch)
    assert "暂无公开的抽查结果" in text(client.get(url, {"month": "2025-01"}))


def test_search_by_name_fragment_and_by_code(client, portal):
    page = text(client.get("/gongkai/search/", {"q": portal.clean.target.name}))
    assert f"/gongkai/enterprise/{portal.clean.target.credit_code}/" in page
    by_code = text(client.get("/gongkai/search/", {"q": portal.clean.target.credit_code.lower()}))
    assert "找到 1 个名录记录" in by_code
    assert "名录库中没有匹配的企业" in text(client.get("/gongkai/search/", {"q": "不存在的公司"}))


def test_search_rows_escape_names_and_link_the_enterprise_and_its_bureau(client, portal):
    """企业查询's rows are written in Python (disclosure/templatetags/enterprise_table.py, issue
    21 §1): a name holding markup is shown as text, each row links the enterprise's page and
    its bureau's, as the template did."""
    from shuangsuiji.directory.models import Target

    target = portal.clean.target
    Target.objects.filter(pk=target.pk).update(name="<i>甲&乙</i>公司")
    page = text(client.get("/gongkai/search/", {"q": target.credit_code}))
    assert (
        f'<tr><td><a href="/gongkai/enterprise/{target.credit_code}/">'
        f"&lt;i&gt;甲&amp;乙&lt;/i&gt;公司</a></td><td>{target.credit_code}</td>"
        f'<td><a href="/gongkai/org/{target.organisation.code}/">{target.organisation.name}</a>'
        "</td></tr>"
    ) in page
    assert "<i>" not in page


def test_enterprise_page_shows_every_public_result_of_the_enterprise(client, portal):
    page = text(client.get(f"/gongkai/enterprise/{portal.ordered.target.credit_code}/"))
    assert "公开的抽查结果（1 条）" in page and "发现问题已责令整改" in page
    assert portal.county.name in page
    assert client.get("/gongkai/enterprise/91000000000000000X/").status_code == 404
    missing = client.get("/gongkai/org/999999/results/")
    assert missing.status_code == 404 and "没有单位代码为“999999”的单位" in missing.content.decode()


def test_committed_draw_shows_sources_commitment_and_pool_only(client, portal):
    page = text(client.get(f"/gongkai/draws/{portal.committed.draw_id}/"))
    assert "名单将于检查结束后公开" in page
    assert "中国福利彩票双色球 2026130 期" in page
    assert "commitment.json" in page and "pool.txt" in page
    assert "result.json" not in page and "盐值：" not in page  # its commitment only
    pool = client.get(f"/gongkai/draws/{portal.committed.draw_id}/files/pool.txt")
    assert pool.status_code == 200 and portal.clean.target.credit_code.encode() in pool.content


def test_revealed_draw_shows_list_teams_verification_and_command(client, portal):
    page = text(client.get(f"/gongkai/draws/{portal.revealed.draw_id}/"))
    assert "✓ 通过" in page
    assert f"shuangsuiji draw verify {portal.revealed.draw_id}" in page
    assert "3.7.12.19.25.31./9./" in page  # the source's value
    team = [m.inspector.name for m in portal.clean.members.all()]
    assert portal.clean.target.name in page and "、".join(team) in page
    bundle = client.get(f"/gongkai/draws/{portal.revealed.draw_id}/bundle.zip")
    assert bundle.status_code == 200 and bundle["Content-Type"] == "application/zip"


def count_queries(client, url) -> tuple[int, str]:
    client.get(url)  # warm caches (content types, settings rows)
    with CaptureQueriesContext(connection) as queries:
        page = text(client.get(url))
    return len(queries), page


@pytest.mark.parametrize(
    "url",
    [
        "/gongkai/org/{code}/results/",
        "/gongkai/enterprise/{code_of_first}/",
        "/api/results?organisation={code}",
    ],
)
def test_result_lists_take_the_same_queries_for_2_or_8_rows(client, portal, make_user, url):
    """No N+1: items, follow-ups, targets and draws come in a fixed number of queries."""
    from shuangsuiji.inspections.models import Inspection
    from tests.support.portal import record, team_user

    url = url.format(code=portal.county.code, code_of_first=portal.clean.target.credit_code)
    before, _ = count_queries(client, url)
    more = Inspection.objects.filter(draw=portal.revealed, status="assigned").order_by("pk")[:6]
    for inspection in more:
        record(inspection, team_user(inspection, make_user))
    Inspection.objects.filter(pk__in=[i.pk for i in more]).update(
        target=portal.clean.target  # the enterprise page then has 7 results
    )
    after, page = count_queries(client, url)
    assert page.count(portal.clean.target.credit_code) >= 7
    assert after == before


def test_implementation_plan_is_public_with_clauses_and_adjustments(client, portal, organisations):
    """BD-3.5 / GC-2.8b 公开工作方案: every rule the draws follow, with its clause and the
    bureau's adjustments with their reasons, but not who entered them."""
    import datetime as dt

    from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

    policy_value_set(actor=portal.coordinator, policy=organisation_policy(portal.county),
                     path="classes.GENERAL.quota", value={"ratio": "6%"},
                     since=dt.date(2026, 10, 1), reason="局务会研究提高比例")  # fmt: skip
    page = text(client.get(f"/gongkai/org/{portal.county.code}/policy/"))
    assert "唐山市生态环境局遵化市分局" in page and "抽查比例 6%（每季度）" in page
    assert "原文：“" in page and "局务会研究提高比例" in page
    assert portal.coordinator.username not in page.split("<main")[1]
    neighbour = text(client.get(f"/gongkai/org/{organisations['province'].code}/policy/"))
    assert "本单位尚未公开实施方案" in neighbour
