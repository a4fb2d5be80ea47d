"""随机抽查情况统计表 against a year computed by hand (GC-4.4b, JX-5.3).

The county (tests/support/county.py, 遵化 preset) has 40 key, 200 general and 20 positive-list
targets; 重点企业5 carries a 挂牌督办 record, which makes it 特殊 (ZH 二、（一）). So:

- SPECIAL: 1 target × 50 % = 0.5 → 1 (二、（五） “至少”, rounded up);
- KEY: 39 × 25 % = 9.75 → 10;
- GENERAL (正面清单外): 200 × 3 % = 6.

The portal fixture (tests/support/portal.py) then records in Q4: 未发现问题, 发现问题已责令整改
(with a 责令整改 follow-up), a 涉密 未发现问题, and a targeted 未发现问题 outside the draw; in Q3 one
未发现问题 of a draw not yet revealed.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.roles import Role
from shuangsuiji.reports.statistics import organisation_tables, statistics_table
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def test_fourth_quarter_by_hand(portal):
    table = statistics_table(portal.county, 2026, 4)
    assert table.tasks.value == 1
    classes = {r.code: (r.required, r.drawn.value) for r in table.classes}
    assert classes == {"SPECIAL": (1, 1), "KEY": (10, 10), "GENERAL": (6, 6)}
    # Which classes the three checked targets fell in depends on the draw's secret salt.
    done = [portal.clean, portal.ordered, portal.secret]
    assert {r.code: r.inspected.value for r in table.classes} == {
        code: sum(1 for i in done if i.stratum == code) for code in ("SPECIAL", "KEY", "GENERAL")
    }
    f = {key: figure.value for key, figure in table.figures.items()}
    assert f["random"] == 17 and f["targeted"] == 1 and f["coverage"] == 0
    assert f["checked"] == 4  # clean, ordered, secret, targeted
    assert f["method:现场检查"] == 4 and f["method:非现场检查"] == 0
    assert f["result:no_problem"] == 3 and f["result:ordered"] == 1
    assert (f["problems"], f["rectify"], f["case"], f["transfer"]) == (1, 1, 0, 0)
    # 排放检查 is tagged 水、大气, but every team is of one unit (综合执法大队): no draw is
    # 内部联合 (ZH-2.2: two or more of the bureau's units, more than one business line).
    assert f["internal_joint"] == 0 and f["department_joint"] == 0
    assert f["inspectors"] == 12  # every enforcement officer is in some Q4 team
    assert table.figure("result:ordered").ids == {portal.ordered.pk}


def test_third_quarter_and_the_year(portal):
    q3 = statistics_table(portal.county, 2026, 3)
    assert q3.tasks.value == 1 and q3.figures["checked"].ids == {portal.unrevealed.pk}
    year = statistics_table(portal.county, 2026)
    assert year.tasks.value == 4  # the plan's four quarterly tasks
    assert year.figures["checked"].value == 5
    assert {r.code: r.required for r in year.classes} == {
        code: q3_required + q4_required
        for code, q3_required, q4_required in (
            ("SPECIAL", _required(q3, "SPECIAL"), 1),
            ("KEY", _required(q3, "KEY"), 10),
            ("GENERAL", _required(q3, "GENERAL"), 6),
        )
    }


def _required(table, code):
    return next(r.required for r in table.classes if r.code == code)


def test_city_bureau_gets_each_branch_and_the_total(portal, organisations):
    total, branches = organisation_tables(organisations["city"], 2026, 4)
    assert [t.organisation.code for t in branches] == ["130281", "130283"]
    assert total.figures["checked"].value == 4 and branches[1].figures["checked"].value == 0
    assert total.tasks.value == 1


def test_every_figure_links_to_its_rows(client, portal):
    client.force_login(portal.coordinator)
    page = client.get("/reports/statistics/", {"year": 2026, "quarter": 4}).content.decode()
    link = re.search(r'href="(/reports/rows/\?[^"]*figure=result%3Aordered[^"]*)">1</a>', page)
    assert link, "the 1 of 发现问题已责令整改 is a link"
    rows = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    # By the inspection's link: one target's name may be the start of another's (重点企业3 …30).
    assert f'href="/inspections/{portal.ordered.pk}/"' in rows
    assert f'href="/inspections/{portal.clean.pk}/"' not in rows


def test_excel_and_pdf_carry_the_same_figures_as_the_page(client, portal):
    client.force_login(portal.coordinator)
    query = {"year": 2026, "quarter": 4}
    workbook = client.get("/reports/statistics.xlsx", query)
    assert workbook["Content-Disposition"].endswith(
        "130281-2026Q4-%E7%BB%9F%E8%AE%A1%E8%A1%A8.xlsx"
    )
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert cells[0][0] == "随机抽查情况统计表"
    by_label = {row[1]: row[2] for row in cells[3:] if len(row) > 2}
    assert by_label["抽查任务数"] == 1 and by_label["发现问题已责令整改"] == 1
    assert by_label["现场检查"] == 4 and by_label["参与执法人员（人）"] == 12
    pdf = client.get("/reports/statistics.pdf", query)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "随机抽查情况统计表" in text and "2026 年第 4 季度" in text
    for label, value in (("抽查任务数", 1), ("发现问题已责令整改", 1), ("现场检查", 4)):
        assert re.search(rf"{label}\s*{value}\b", text), label


def test_plan_and_item_list_in_the_seed_forms(client, portal):
    """获嘉's plan attachment columns and 绛县's item list with its two-level header."""
    client.force_login(portal.coordinator)
    plan_id = portal.revealed.task.plan_id
    cells = _cells(client.get(f"/reports/plans/{plan_id}.xlsx"))
    assert cells[2] == ["序号", "抽查计划名称", "抽查事项", "事项类别", "抽查对象范围", "抽查比例",
                        "抽查时间", "备注"]  # fmt: skip
    first = cells[3]
    assert first[0] == "2026001" and first[2] == "1.排放检查" and first[3] == "一般检查事项"
    assert "涉密事项" not in str(cells)
    items = _cells(client.get("/reports/items.xlsx"))
    assert items[1][:3] == ["序号", "抽查项目", ""] and items[2][1:3] == ["抽查类别", "抽查事项"]
    assert items[3][:3] == [1, "污染源环境监管", "排放检查"]
    pdf = client.get(f"/reports/plans/{plan_id}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "抽查计划名称" in text and "2026001" in text


def _cells(response):
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return book.get_sheet_by_index(0).to_python()


def test_another_bureau_cannot_read_the_table(client, portal, make_user):
    outsider = make_user("coord-x", portal.neighbour, Role.COORDINATOR)
    client.force_login(outsider)
    response = client.get("/reports/statistics/", {"org": portal.county.code})
    assert response.status_code == 404
    plan_id = portal.revealed.task.plan_id
    assert client.get(f"/reports/plans/{plan_id}.xlsx").status_code == 404


def test_quarter_is_chosen_by_the_task_not_the_day(portal):
    """A result determined in the next quarter still counts in its task's quarter."""
    from shuangsuiji.inspections.models import Inspection

    Inspection.objects.filter(pk=portal.clean.pk).update(determined_on=dt.date(2027, 1, 4))
    assert portal.clean.pk in statistics_table(portal.county, 2026, 4).figures["checked"].ids


def test_a_city_chooses_among_itself_and_its_branches(client, portal, organisations, make_user):
    """The 市局's report pages offer the bureaus it reads, each by code and name, the one shown
    chosen (the options are written in Python, reports/templatetags/period_options.py, issue
    21 §3); a name holding markup is shown as text."""
    from shuangsuiji.accounts.models import Organisation

    city = organisations["city"]
    Organisation.objects.filter(pk=portal.neighbour.pk).update(name="<b>迁安</b>&分局")
    client.force_login(make_user("city-leader", city, Role.LEADER))
    for page in ("/reports/statistics/", "/reports/dashboard/"):
        html = client.get(page, {"org": portal.county.code, "year": 2026}).content.decode()
        chosen = re.search(r'<select name="org">(.*?)</select>', html).group(1)
        options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', chosen)
        assert [(code, bool(mark)) for code, mark, _ in options] == [
            (city.code, False),
            (portal.county.code, True),
            (portal.neighbour.code, False),
        ], page
        assert options[2][2] == "&lt;b&gt;迁安&lt;/b&gt;&amp;分局"


def test_a_city_table_links_each_column_to_its_own_organisation(
    client, portal, organisations, make_user
):
    """The 市局's 统计表: the total, its own work, then each 分局, every number but 0 a link to
    the rows of its column's organisation (each column's part of the query encoded once,
    ``Period.queries``)."""
    city = organisations["city"]
    client.force_login(make_user("city-reader", city, Role.LEADER))
    html = client.get("/reports/statistics/", {"year": 2026, "quarter": 4}).content.decode()
    row = re.search(r"<td>现场检查</td>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r'<td class="n">(?:<a href="([^"]*)">)?(\d+)', row)
    assert [int(value) for _, value in cells] == [4, 0, 4, 0]
    query = "year=2026&amp;quarter=4&amp;figure=method%3A%E7%8E%B0%E5%9C%BA%E6%A3%80%E6%9F%A5"
    assert [link for link, _ in cells] == [
        f"/reports/rows/?org={city.code}&amp;{query}",
        "",
        f"/reports/rows/?org={portal.county.code}&amp;{query}",
        "",
    ]
    rows = client.get(cells[2][0].replace("&amp;", "&")).content.decode()
    assert len(set(re.findall(r'href="/inspections/(\d+)/"', rows))) == 4


def test_a_city_table_reads_again_only_the_branch_that_changed(
    client, portal, organisations, make_user, monkeypatch
):
    """Each organisation's numbers are kept under its own version, in the shared cache and in
    the process (``statistics.NEAR``): after one 分局's inspection changes, the 市局's table
    reads that 分局 alone, and from neither copy; another process (nothing kept in it) reads
    the others from the shared cache. Each time, the table is the one counted afresh."""
    from django.core.cache import cache

    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.reports.statistics import NEAR

    city = organisations["city"]
    client.force_login(make_user("city-reader", city, Role.LEADER))

    def on_site() -> list[int]:
        html = client.get("/reports/statistics/", {"year": 2026, "quarter": 4}).content.decode()
        row = re.search(r"<td>现场检查</td>(.*?)</tr>", html, re.S).group(1)
        return [int(n) for n in re.findall(r'<td class="n">(?:<a href="[^"]*">)?(\d+)', row)]

    def afresh() -> list[int]:
        cache.clear()
        NEAR.clear()
        return on_site()

    assert on_site() == [4, 0, 4, 0]  # the total, the 市局's own, the two 分局
    asked: list[str] = []
    shared = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys: asked.extend(keys) or shared(keys))

    done = Inspection.objects.filter(organisation=portal.county, method_used="现场检查")
    Inspection.objects.filter(pk=done.order_by("pk")[0].pk).update(method_used="书面检查")
    assert on_site() == [3, 0, 3, 0]
    assert [key.split(":")[3] for key in asked if ":table:" in key] == [str(portal.county.pk)]

    NEAR.clear()  # as in another worker process
    asked.clear()
    Inspection.objects.filter(pk=done.order_by("pk")[0].pk).update(method_used="书面检查")
    assert on_site() == [2, 0, 2, 0]
    read = sorted(int(key.split(":")[3]) for key in asked if ":table:" in key)
    assert read == sorted(o.pk for o in (city, portal.county, portal.neighbour))
    assert afresh() == [2, 0, 2, 0]


def test_the_parts_kept_in_a_process_are_bounded_and_the_least_recent_goes_first():
    from shuangsuiji.reports.statistics import NearParts

    near = NearParts(limit=2)
    near.put_many({"a": 1, "b": 2})
    assert near.get_many(["a", "x"]) == {"a": 1}  # "a" is now the most recent
    near.put_many({"c": 3})
    assert near.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}


def _row(pk: int, kind: str, status: str = "assigned") -> dict:
    """An inspection row as ``YearRecords`` counts it, of the 重点 class, in the fourth quarter."""
    from shuangsuiji.reports.statistics import INSPECTION_DAYS, INSPECTION_FIELDS

    row = dict.fromkeys((*INSPECTION_FIELDS, *INSPECTION_DAYS))
    return row | {"pk": pk, "organisation_id": 1, "kind": kind, "stratum": "KEY",
                  "status": status, "task__quarter": 4}  # fmt: skip


def test_a_class_holding_random_and_coverage_checks_is_what_its_newest_check_is():
    """A class whose policy turned from 随机 to 全覆盖 within the year (绛县's 重点 “全年100%”)
    holds checks of both kinds: its row is read as the class stands now, by its newest check.
    A 全覆盖 row's quota is every check made for it; a random row's, the draws' quota."""
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.reports.statistics import DrawQuota, YearRecords

    county = Organisation(pk=1, code="140826", name="绛县", path="/1/")

    def classes(*rows: dict) -> list[tuple]:
        records = YearRecords(
            year=2026, organisations=[county], inspections={1: list(rows)},
            follow_ups={}, members={}, joint_parts={}, revisits_sampled=set(),
            revisits_done=set(), tasks={},
            draws={1: [DrawQuota(pk=7, quarter=4, strata=[("KEY", "重点监管对象", 5)])]},
        )  # fmt: skip
        return [
            (r.name, r.coverage, r.required, r.drawn.value, r.inspected.value)
            for table in (records.table(county, 4), records.table(county, None))
            for r in table.classes
        ]

    random, coverage = _row(10, "random", "done"), _row(11, "coverage")
    # In whichever order they are read.
    assert classes(random, coverage) == classes(coverage, random) == [
        ("重点监管对象", True, 2, 2, 1), ("重点监管对象", True, 2, 2, 1)
    ]  # fmt: skip
    assert classes(_row(12, "random"), coverage) == [
        ("重点监管对象", False, 5, 2, 0), ("重点监管对象", False, 5, 2, 0)
    ]  # fmt: skip
