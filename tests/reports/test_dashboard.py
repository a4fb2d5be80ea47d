"""The dashboard answers “did we meet our plan?” with each target of the bureau's own preset,
green or red, with its clause (ZH 二、（二）（三）（五）, HJ-3.4, BD 三、（四）, JX-4.1, JX 四、（五）)."""

from __future__ import annotations

import datetime as dt
import io
import statistics

import pytest
from django.db.models import Q
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.reports.compliance import ABSENT, BAD, OK, RUNNING, dashboard
from shuangsuiji.reports.statistics import statistics_table
from tests.support.portal import build_portal
from tests.support.tree import adopt_preset

IN_Q4 = dt.date(2026, 11, 23)
AFTER_Q4 = dt.date(2027, 1, 5)


@pytest.fixture
def portal(organisations, make_user):
    portal = build_portal(organisations, make_user)
    # Published on 2026-11-21, whatever day the suite runs on, so timeliness is fixed.
    Inspection.objects.filter(published_at__isnull=False).update(
        published_at=timezone.make_aware(dt.datetime(2026, 11, 21, 9))
    )
    return portal


def checks(board) -> dict[str, tuple[str, str]]:
    return {c.label: (c.state, c.actual) for c in board.checks}


def test_zunhua_quarter_running_then_over(portal):
    running = checks(dashboard(portal.county, 2026, 4, today=IN_Q4))
    assert running["重点监管对象抽查数量"][0] == RUNNING  # drawn, not all inspected yet
    # ZH 二、（二） ≥ 35 %: every team is of one unit (综合执法大队), so no check is 内部联合
    # however many business lines its items carry; the quarter is still running.
    assert running["内部联合抽查占比"] == (RUNNING, "0/17（0%）")
    # ZH 二、（三） ≥ 85 % a year: no draw of the year was weighted by 信用等级 (the bureau has
    # not set the weights), so none of the year's checks counts; the year is running.
    year = statistics_table(portal.county, 2026)
    every = len(year.figures["random"].ids) + 1  # the targeted check too
    assert every == 17 + len(Inspection.objects.filter(draw=portal.hidden).active()) + 1
    expected = f"0/{every}（0%）"
    assert running["运用信用风险分级分类的抽查占比（全年）"] == (RUNNING, expected)
    # Timeliness counts by determination date: Q3's held result, determined in November, is
    # not due until 2026-12-18, so the check is still running.
    assert running["抽查结果按期公示"] == (RUNNING, "按期 2，逾期 0，未到期 1")
    over = checks(dashboard(portal.county, 2026, 4, today=AFTER_Q4))
    assert over["重点监管对象抽查数量"][0] == BAD
    assert over["内部联合抽查占比"] == (BAD, "0/17（0%）")
    assert over["运用信用风险分级分类的抽查占比（全年）"] == (BAD, expected)
    assert over["抽查结果按期公示"] == (BAD, "按期 2，逾期 1，未到期 0")


def test_tags_alone_are_no_internal_joint_check(portal):
    """ZH-2.2 (遵化 二、（二）): 内部联合 is a visit organised by two or more of the bureau's own
    units covering more than one business line. The county's item carries 水 and 大气, so before
    issue 18 every check counted as joint (17/17). Now only the teams drawn from two 所属部门
    count: two officers are moved to 监测站, and exactly the Q4 checks whose team mixes one of
    them with another officer become joint."""
    from shuangsuiji.directory.models import Inspector

    before = checks(dashboard(portal.county, 2026, 4, today=IN_Q4))["内部联合抽查占比"]
    assert before[1] == "0/17（0%）"
    odd = ["执法1", "执法2"]
    Inspector.objects.filter(organisation=portal.county, name__in=odd).update(department="监测站")
    q4 = Inspection.objects.active().filter(task__quarter=4, organisation=portal.county)
    mixed = sum(
        1
        for inspection in q4.filter(kind=Inspection.Kind.RANDOM)
        if len({m.inspector.name in odd for m in inspection.members.all()}) == 2
    )
    assert 0 < mixed < 17
    after = checks(dashboard(portal.county, 2026, 4, today=IN_Q4))["内部联合抽查占比"]
    assert after[1] == f"{mixed}/17（{mixed * 100 // 17}%）"
    assert after[0] == (OK if mixed * 100 >= 35 * 17 else RUNNING)


def test_clause_is_shown_with_each_check(portal):
    board = dashboard(portal.county, 2026, 4, today=IN_Q4)
    joint = next(c for c in board.checks if c.label == "内部联合抽查占比")
    assert "二、（二）" in joint.clause and "遵化" in joint.clause


def test_jiangxian_plan_deadline_and_annual_cap(portal):
    """JX-4.1 计划 3 月底前制定: a plan still in draft in November is red; the cap of 2 a year
    (特殊 exempt) holds while nobody is checked three times."""
    neighbour = portal.neighbour
    adopt_preset(neighbour, "jiangxian-2025")
    found = checks(dashboard(neighbour, 2026, None, today=IN_Q4))
    assert found["年度抽查计划制定与公开"] == (BAD, "未印发")
    # Nobody checked at all: nothing shows the cap kept, and the year is still running.
    assert found["同一对象年度抽查次数"] == (RUNNING, "超过的对象 0 个")


def test_baoding_joint_count_is_red_only_once_the_year_is_over(portal):
    """BD 三、（四）: 部门联合抽查年度不少于 3 次. None was done: 进行中 while the year runs,
    未开展 (never 达标, nor a mere 未达标) once it is over."""
    neighbour = portal.neighbour
    adopt_preset(neighbour, "baoding-2021")
    assert checks(dashboard(neighbour, 2026, None, today=IN_Q4))["部门联合抽查次数"] == (
        RUNNING,
        "0 次",
    )
    over = checks(dashboard(neighbour, 2026, None, today=dt.date(2027, 1, 2)))
    assert over["部门联合抽查次数"] == (ABSENT, "0 次")


def test_huojia_revisit_share_and_tasks(portal):
    """HJ-3.4 回访 10 %, and at least one task a quarter: a past quarter without a task or a
    check reads 未开展 on both."""
    neighbour = portal.neighbour
    adopt_preset(neighbour, "huojia-2024")
    found = checks(dashboard(neighbour, 2026, 4, today=AFTER_Q4))
    assert found["回访比例"] == (ABSENT, "0/0")
    assert found["本季度抽查任务数"] == (ABSENT, "0 个")  # the plan is still a draft


def test_workload_distribution(portal):
    board = dashboard(portal.county, 2026, 4, today=IN_Q4)
    counts = dict(board.workload.per_inspector)
    assert len(counts) == 12  # every enforcement officer, 0 included; not the expert
    q4 = Inspection.objects.active().filter(
        Q(task__quarter=4) | Q(task__isnull=True),  # the targeted check, determined in Q4
        organisation=portal.county,
    )
    expected = [
        InspectionMember.objects.filter(inspection__in=q4, inspector__name=name).count()
        for name in counts
    ]
    assert list(counts.values()) == expected
    assert board.workload.summary == {
        "min": min(expected),
        "median": statistics.median(expected),
        "max": max(expected),
    }


def test_city_sees_branches_side_by_side(client, portal, organisations, make_user):
    adopt_preset(portal.neighbour, "jiangxian-2025")
    leader = make_user("city-leader", organisations["city"], Role.LEADER)
    client.force_login(leader)
    page = client.get("/reports/dashboard/", {"year": 2026, "quarter": ""}).content.decode()
    assert "下级单位对比" in page
    # A 市局 without a plan of its own is not warned as if it lacked one: it compares branches.
    assert "尚未设置政策预设" not in page and "没有自己的抽查计划，不单独考核" in page
    assert portal.county.name in page and portal.neighbour.name in page
    assert "本单位方案无此要求" in page  # 遵化 has no annual cap; 绛县 has no 35 % share
    own = client.get("/reports/dashboard/", {"org": portal.county.code, "year": 2026}).content
    assert "内部联合抽查占比" in own.decode()


def test_late_publication_is_red_at_once(portal):
    """JX-4.7: a result published after its 20 working days is late the day it happens."""
    Inspection.objects.filter(pk=portal.clean.pk).update(
        publication_due=dt.date(2026, 11, 20)  # before its publication on 2026-11-21
    )
    found = checks(dashboard(portal.county, 2026, 4, today=IN_Q4))
    assert found["抽查结果按期公示"][0] == BAD


def test_positive_list_coverage_row_is_always_there(portal):
    """ZH-2.5 (遵化 二、（五）) 正面清单 一般对象 非现场 每季度全覆盖: the row is on the board
    before any coverage is arranged (20 listed units, none checked), and the coverage checks
    then count in the 85 % share's whole only: they are no sampling weighted by 信用等级."""
    from shuangsuiji.inspections.creation import coverage_inspections_create

    key = "class:GENERAL_POSITIVE"
    before = dashboard(portal.county, 2026, 4, today=AFTER_Q4).check(key)
    assert (before.required, before.actual) == (
        "全覆盖 20 户（非现场检查）",
        "已检查 0 户，未检查 20 户",
    )
    assert before.state == ABSENT and len(before.rows.ids) == 20
    created = coverage_inspections_create(actor=portal.coordinator, task=portal.revealed.task)
    assert len(created) == 20  # the county's 20 正面清单 targets
    every = len(statistics_table(portal.county, 2026).figures["random"].ids) + 20 + 1
    board = dashboard(portal.county, 2026, 4, today=AFTER_Q4)
    found = checks(board)
    assert found["运用信用风险分级分类的抽查占比（全年）"] == (BAD, f"0/{every}（0%）")
    # Arranged but not done by the quarter's end: 未达标, each unit listed.
    after = board.check(key)
    assert (after.state, after.actual) == (BAD, "已检查 0 户，未检查 20 户")


def test_each_figure_opens_the_rows_behind_it(client, portal, organisations, make_user):
    """Issue 18 §3: a figure links to its rows. The Q4 重点 row lists the units drawn and
    whether each was inspected; the 正面清单 row lists every unit not covered. A 市局 leader
    reads the same counts, but while the county has a list still secret (Q3), no list derived
    from who was drawn — the units not yet covered — is shown to it (JX-6.4)."""
    client.force_login(portal.coordinator)
    query = {"year": 2026, "quarter": 4}
    page = client.get("/reports/dashboard/rows/", {**query, "check": "class:KEY"})
    assert page.status_code == 200
    text = page.content.decode()
    board = dashboard(portal.county, 2026, 4)
    drawn = board.check("class:KEY").rows.ids
    names = Inspection.objects.filter(pk__in=drawn).values_list("target__name", flat=True)
    assert names and all(name in text for name in names)
    assert text.count("尚未完成检查") + text.count("已检查") >= len(drawn)
    positive = client.get("/reports/dashboard/rows/", {**query, "check": "class:GENERAL_POSITIVE"})
    assert positive.content.decode().count("第 4 季度未检查") == 20

    client.force_login(make_user("city-leader", organisations["city"], Role.LEADER))
    city = {**query, "org": portal.county.code, "check": "class:GENERAL_POSITIVE"}
    hidden = client.get("/reports/dashboard/rows/", city).content.decode()
    assert "第 4 季度未检查" not in hidden and "共 20 户" in hidden
    assert client.get("/reports/dashboard/rows/", {**query, "check": "nothing"}).status_code == 404


def test_task_counts_open_their_tasks(client, portal):
    """HJ-att 每季度开展抽查任务数不少于1次 counts tasks drawn, and its rows are the quarter's
    tasks, each said drawn or not (issue 18 §3)."""
    adopt_preset(portal.county, "huojia-2024")
    client.force_login(portal.coordinator)
    found = dashboard(portal.county, 2026, 4, today=IN_Q4).check("tasks_per_quarter")
    assert (found.state, found.actual) == (OK, "1 个")
    page = client.get(
        "/reports/dashboard/rows/", {"year": 2026, "quarter": 4, "check": "tasks_per_quarter"}
    ).content.decode()
    assert portal.revealed.task.name in page and "非部门联合，已抽取" in page


def test_dashboard_files_carry_the_page(client, portal):
    """Issue 18 §5: the board as Excel and PDF, from the same sheet as the 统计表."""
    from python_calamine import CalamineWorkbook

    client.force_login(portal.coordinator)
    query = {"year": 2026, "quarter": 4}
    response = client.get("/reports/dashboard.xlsx", query)
    assert response.status_code == 200
    assert (
        "%E7%9B%91%E7%AE%A1%E5%B7%A5%E4%BD%9C%E7%9C%8B%E6%9D%BF" in response["Content-Disposition"]
    )
    cells = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = cells.to_python()
    board = dashboard(portal.county, 2026, 4)
    body = [row for row in rows[3:] if row[0] == portal.county.name]
    assert [row[1] for row in body] == [c.label for c in board.checks]
    assert [row[4] for row in body] == [c.state_label for c in board.checks]
    pdf = client.get("/reports/dashboard.pdf", query)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_classified_register_is_kept_until_the_register_changes(portal):
    """Issue 21 §3: the board recomputed after a result is submitted no longer classifies the
    register again; it keeps each organisation's classified register under the version of the
    rows it is computed from (disclosure.versions.REGISTER_TABLES). Every table that
    computation reads raises that version or row 0's counter, so no write, by a service or by
    hand in SQL, leaves it stale; an inspection recorded keeps it."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.directory.models import Target
    from shuangsuiji.disclosure import versions
    from shuangsuiji.reports.facts import Facts
    from shuangsuiji.reports.statistics import OrganisationStore
    from tests.demo_nov.test_reads_never_write import read_tables

    county = portal.county

    def classified():
        store = OrganisationStore(
            cache, "test:classified", versions.register_versions([county.pk]), 60
        )
        facts = Facts([county], 2026, IN_Q4, store)
        with CaptureQueriesContext(connection) as captured:
            found = facts.classified(county, 4)
        return found, read_tables(captured.captured_queries)

    first, read = classified()
    assert {"directory_target", "directory_regulatoryevent", "directory_inspector"} <= read
    assert "planning_organisationpolicy" in read  # the policy is part of what is kept
    everyone = versions.versioned_tables()
    assert read and all(
        table in versions.REGISTER_TABLES or everyone[table] == str(versions.EVERYONE)
        for table in read
    )
    members = first.members["KEY"]
    assert members and first.quotas["KEY"].required > 0

    # A result recorded changes the public version, not the register's: nothing is read.
    page, registers = (
        versions.organisation_version(county.code, column="counter"),
        versions.register_versions([county.pk]),
    )
    Inspection.objects.filter(organisation=county).update(findings="改写的内部记录")
    assert versions.organisation_version(county.code, column="counter") != page
    assert versions.register_versions([county.pk]) == registers
    kept, read = classified()
    assert kept == first and read == set()

    # A unit leaving the register, in SQL past every service, is seen on the next read.
    leaving = min(members)
    Target.objects.filter(pk=leaving).update(in_register=False)
    again, read = classified()
    assert "directory_target" in read
    assert again.members["KEY"] == members - {leaving}


def test_the_boards_below_are_kept_until_their_own_rows_change(
    client, portal, organisations, make_user, monkeypatch
):
    """Issue 21 §3: a result recorded in one 分局 recomputes the 市局's dashboard with that
    分局's board and the 市局's own; the boards of the other 分局 are kept, each under its own
    organisation's version (as its 统计表 is), and the page shows the change. A write past every
    service (SQL) is seen as well: the database raises the version."""
    import re

    from shuangsuiji.reports import compliance

    adopt_preset(portal.neighbour, "jiangxian-2025")
    client.force_login(make_user("city-leader", organisations["city"], Role.LEADER))
    computed = []
    board_of = compliance._dashboard

    def counted(organisation, facts, quarter):
        computed.append(organisation.pk)
        return board_of(organisation, facts, quarter)

    monkeypatch.setattr(compliance, "_dashboard", counted)
    below = sorted([portal.county, portal.neighbour], key=lambda o: o.code)
    column = below.index(portal.county)

    def county_cell(label: str) -> str:
        page = client.get("/reports/dashboard/", {"year": 2026, "quarter": 4}).content.decode()
        row = re.search(f"<tr><td>{label}</td>(.*?)</tr>", page).group(1)
        return re.findall(r"<td>(.*?)</td>", row)[column]

    label = "抽查结果按期公示"
    before = county_cell(label)
    assert computed == [organisations["city"].pk, *(o.pk for o in below)]
    assert "未达标" not in before

    # JX-4.7: published after its due day, the result is late the day it happens.
    computed.clear()
    Inspection.objects.filter(pk=portal.clean.pk).update(publication_due=dt.date(2026, 11, 20))
    after = county_cell(label)
    assert computed == [organisations["city"].pk, portal.county.pk]
    assert "未达标" in after and after != before

    # Nothing changed: the page itself is kept, no board is computed.
    computed.clear()
    assert county_cell(label) == after and computed == []


def test_a_board_reads_only_its_own_organisations_rows(portal):
    """What keeps a board below a 市局 between requests under its own organisation's version
    (and row 0's) holds: computing it reads only tables whose every write raises the version of
    the organisation the row belongs to, or row 0's (disclosure.versions), beside the
    organisations themselves and, on PostgreSQL, the versions and the log of changed
    inspections that the kept year of rows is brought up to date from."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.disclosure import versions
    from tests.demo_nov.test_reads_never_write import read_tables

    with CaptureQueriesContext(connection) as captured:
        board = dashboard(portal.county, 2026, 4, today=IN_Q4)
    read = read_tables(captured.captured_queries)
    assert board.checks and "inspections_inspection" in read
    machinery = {"accounts_organisation", "disclosure_publicversion", "disclosure_inspectionchange"}
    assert read - machinery <= set(versions.versioned_tables())
