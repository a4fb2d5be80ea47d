"""Every staff page costs the same number of queries with few rows as with many, and with one
分局 as with three (issue 21 §3: "no route's query count grows with rows on the page or with
subordinate units (tests count queries)").

One world for the module, built through the services: a province with two 市局, one with one
分局 and one with three (``tests/reports/test_dashboard_queries.build_city``: registers, a
published plan, a revealed draw with results, a 责令整改). Two of the 分局 get more of the year:

- the small one a second draw (Q3) with one result held until its list is revealed;
- the large one a register four times as large, three more draws (Q1–Q3) of it with one such
  result each, and a second year's plan;

and the tasks of those draws are past their 检查时限, so both have inspections overdue. Each page
is read twice by the same user: first with nothing cached (what the first reader after a change
pays), then again; both counts must be equal for the small and the large one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from shuangsuiji.accounts.models import User
from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.registers import TARGETS
from shuangsuiji.inspections.models import Inspection, ResultCategory
from tests.reports.test_dashboard_queries import YEAR, build_city, submit
from tests.support.county import load
from tests.support.portal import REVEAL, SOURCES, VALUES, team_user
from tests.support.tree import build_organisations, make_user
from tests.support.workbooks import uscc

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def more_draws(branch, quarters: list[int], results: int) -> None:
    """Draws of more of the plan's quarters, each with ``results`` results submitted (held until
    the list is revealed); their tasks are past their deadline."""
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.planning.models import AnnualPlan

    coordinator = User.objects.get(username=f"coord-{branch.code}")
    plan = AnnualPlan.objects.get(organisation=branch, year=YEAR)
    for quarter in quarters:
        task = plan.tasks.get(quarter=quarter)
        draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
        draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
        open_ones = Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED)
        for inspection in list(open_ones.order_by("pk")[:results]):
            submit(inspection, team_user(inspection, make_user), ResultCategory.NO_PROBLEM)
    # 检查时限 passed: what is still open is overdue (a test's shortcut for the adjustment).
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    plan.tasks.filter(quarter__in=quarters).update(inspection_deadline=yesterday)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=PASSWORD_HASHERS, MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        organisations = build_organisations()
        one = build_city(organisations, make_user, "130300", 1, "zunhua-2024")
        three = build_city(organisations, make_user, "130400", 3, "zunhua-2024")
        small = one.children.get()
        large = three.children.order_by("code").first()
        # The large one's register grows first (three pages of it), so its draws are larger.
        header = ["统一社会信用代码", "单位名称", "排污许可管理类别", "要素标签", "经营状态"]
        rows = [[uscc(i, large.code), f"{large.code}新增{i}", "登记管理", "水", "存续"]
                for i in range(100, 220)]  # fmt: skip
        load(TARGETS, [header, *rows], large)
        more_draws(small, [3], 1)
        more_draws(large, [1, 2, 3], 1)
        from shuangsuiji.planning.plans import plan_generate

        plan_generate(
            actor=User.objects.get(username=f"coord-{large.code}"),
            organisation=large,
            year=YEAR + 1,
        )
        world = {
            "province": organisations["province"],
            "one": one,
            "three": three,
            "small": small,
            "large": large,
            "city_leaders": {
                city.code: make_user(f"leader-city-{city.code}", city, Role.LEADER)
                for city in (one, three)
            },
            "province_leader": make_user("leader-province", organisations["province"], Role.LEADER),
        }
        try:
            yield world
        finally:
            transaction.set_rollback(True)


def cost(user, url: str) -> tuple[int, int]:
    """The queries of ``url`` for ``user``: with nothing cached, then once more."""
    client = Client()
    client.force_login(user)
    counts = []
    cache.clear()
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(captured))
    return counts[0], counts[1]


def draws(branch):
    from shuangsuiji.planning.models import Draw

    return Draw.objects.filter(organisation=branch)


def coordinator(branch):
    return User.objects.get(username=f"coord-{branch.code}")


def leader(branch):
    return User.objects.get(username=f"leader-{branch.code}")


def inspector(branch, *, most: bool):
    """The officer of the branch on the most (or the fewest) teams that has both an open and a
    finished inspection, signed in by the 执法证号."""
    from collections import Counter

    rows = Inspection.objects.filter(organisation=branch).active()
    done = Counter(
        rows.filter(status=Inspection.Status.DONE).values_list(
            "members__inspector__certificate_no", flat=True
        )
    )
    open_ = Counter(
        rows.filter(status=Inspection.Status.ASSIGNED).values_list(
            "members__inspector__certificate_no", flat=True
        )
    )
    both = [c for c in done if c in open_]
    chosen = (max if most else min)(both, key=lambda c: (done[c] + open_[c], c))
    found = User.objects.filter(username=chosen).first()
    return found or make_user(chosen, branch, Role.INSPECTOR)


def open_inspection(branch, user) -> Inspection:
    return (
        Inspection.objects.filter(
            organisation=branch,
            status=Inspection.Status.ASSIGNED,
            members__inspector__certificate_no=user.username,
        )
        .order_by("pk")
        .first()
    )


def same(small, large, url_of, user_of) -> tuple[int, int]:
    """The counts of one page in the small and the large branch, which must agree."""
    few = cost(user_of(small), url_of(small))
    many = cost(user_of(large), url_of(large))
    assert few == many, (url_of(small), few, many)
    return few


PERIOD = f"?year={YEAR}&quarter=4"

COUNTY_PAGES = {
    "home": lambda b: "/",
    "targets register": lambda b: "/directory/targets/",
    "inspectors register": lambda b: "/directory/inspectors/",
    "items register": lambda b: "/directory/items/",
    "plans": lambda b: "/planning/plans/",
    "plan": lambda b: f"/planning/plans/{b.plans.get(year=YEAR).pk}/",
    "draw": lambda b: (
        f"/planning/draws/{draws(b).filter(status='drawn').order_by('pk').last().pk}/"
    ),
    "revealed draw": lambda b: f"/planning/draws/{draws(b).get(status='revealed').pk}/",
    "publication": lambda b: f"/inspections/publication/?year={YEAR}",
    "overdue": lambda b: "/inspections/overdue/",
    "statistics": lambda b: f"/reports/statistics/{PERIOD}",
    "dashboard": lambda b: f"/reports/dashboard/{PERIOD}",
}


@pytest.mark.parametrize("page", COUNTY_PAGES)
def test_a_coordinators_pages_cost_the_same_with_more_rows(db, world, page):
    """The 抽查管理员 of a 分局 with two draws and of one with four larger ones, four times the
    register, more results waiting and more inspections overdue: the same queries, cold and
    warm."""
    same(world["small"], world["large"], COUNTY_PAGES[page], coordinator)


def test_the_large_branch_has_more_rows_on_its_pages(db, world):
    """The comparison above is between pages that differ: more and larger draws, results held
    for their list, inspections overdue and register pages in the large 分局."""
    from shuangsuiji.inspections.selectors import overdue_inspection_count, publication

    small, large = world["small"], world["large"]
    today = timezone.localdate()
    assert draws(large).count() > draws(small).count()
    assert overdue_inspection_count(large, today) > overdue_inspection_count(small, today) > 0
    assert publication(large, YEAR, today).held_count > publication(small, YEAR, today).held_count
    assert large.targets.count() > 100 and small.targets.count() <= 50

    def latest(branch):
        return draws(branch).filter(status="drawn").order_by("pk").last().inspections.count()

    assert latest(large) > latest(small)


def test_a_leaders_home_costs_the_same(db, world):
    same(world["small"], world["large"], lambda b: "/", leader)


@pytest.mark.parametrize("page", ["/", "/inspections/mine/", "record"])
def test_an_inspectors_pages_cost_the_same_on_more_teams(db, world, page):
    """我的任务, the home page and the record form of an officer on few teams and of one on
    many (issue 21 §3: 我的任务 paged, the record form)."""
    users = {}

    def user_of(branch):
        users[branch.pk] = inspector(branch, most=branch == world["large"])
        return users[branch.pk]

    def url_of(branch):
        if page != "record":
            return page
        user = users.get(branch.pk) or user_of(branch)
        return f"/inspections/{open_inspection(branch, user).pk}/record/"

    if page == "record":
        for branch in (world["small"], world["large"]):
            user_of(branch)
    same(world["small"], world["large"], url_of, user_of)


@pytest.mark.parametrize("page", ["statistics", "dashboard"])
def test_a_citys_reports_cost_the_same_with_three_branches(db, world, page):
    """The 市局's 统计表 and dashboard cover each 分局: one 分局 or three, the same queries."""
    leaders = world["city_leaders"]
    url = f"/reports/{page}/{PERIOD}"
    few = cost(leaders[world["one"].code], url)
    many = cost(leaders[world["three"].code], url)
    assert few == many


def test_the_province_statistics_cost_what_a_citys_do(db, world):
    """The province's 统计表 covers two 市局 and four 分局, a 市局's one or three 分局: every
    row of them is read in the same queries."""
    url = f"/reports/statistics/{PERIOD}"
    city = cost(world["city_leaders"][world["three"].code], url)
    province = cost(world["province_leader"], url)
    assert province == city


def test_a_second_read_of_a_report_reads_no_inspection(db, world):
    """After the first reader, the 统计表 and the dashboard come from the cache until a row
    behind them changes: no inspection is read, whatever the size of the tree."""
    client = Client()
    client.force_login(world["province_leader"])
    for url in (f"/reports/statistics/{PERIOD}", f"/reports/dashboard/{PERIOD}"):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert not any("inspections_inspection" in q["sql"] for q in captured.captured_queries)


# ---- 市局 and 省厅 registers, 逾期事项 (issue 21 §3: keyset paging, the earliest 50) ----------


def register_leader(world, key: str):
    return world["province_leader"] if key == "province" else world["city_leaders"][world[key].code]


def walk(client, url: str, link: str) -> tuple[list[list[str]], str]:
    """Follow the pages' ``link`` (下一页 or 上一页) from ``url``: each page's names, and the
    address of the last page reached."""
    import re

    pages = []
    while True:
        response = client.get(url)
        assert response.status_code == 200
        pages.append([row["name"] for row in response.context["page"]])
        found = re.search(rf'<a href="(\?[^"]*)">{link}</a>', response.content.decode())
        if not found:
            return pages, url
        url = "/directory/targets/" + found.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("register", ["targets", "inspectors", "items"])
def test_a_citys_registers_cost_the_same_with_three_branches(db, world, register):
    """A 市局's register holds its 分局's rows: one 分局 or three (four times the register), the
    same queries; the 省厅's, over both 市局, too. No count, no list of every 片区."""
    url = f"/directory/{register}/"
    few = cost(register_leader(world, "one"), url)
    many = cost(register_leader(world, "three"), url)
    province = cost(world["province_leader"], url)
    assert few == many == province
    client = Client()
    client.force_login(world["province_leader"])
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert not any("DISTINCT" in q["sql"].upper() for q in captured.captured_queries)


def test_a_citys_register_pages_forward_and_back(db, world):
    """The 市局 of three 分局 reads its targets 50 a page by 登记顺序: 下一页 to the end lists
    every row it may read once, 上一页 from the end gives the same pages back, and a filter
    stays chosen on every page."""
    from shuangsuiji.directory.models import Target

    client = Client()
    client.force_login(register_leader(world, "three"))
    readable = Target.objects.filter(
        organisation__path__startswith=world["three"].path, in_register=True
    ).order_by("pk")
    forward, last = walk(client, "/directory/targets/", "下一页")
    assert len(forward) >= 3 and all(len(page) == 50 for page in forward[:-1])
    assert [name for page in forward for name in page] == [t.name for t in readable]
    back, _ = walk(client, last, "上一页")
    assert back == forward[::-1]
    assert "上一页" not in client.get("/directory/targets/").content.decode()

    # A filter (the large 分局's 120 targets added to its register) is kept on every page.
    chosen = readable.filter(name__contains="新增")
    pages, last = walk(client, "/directory/targets/?q=%E6%96%B0%E5%A2%9E", "下一页")
    assert [len(page) for page in pages] == [50, 50, 20]
    assert [name for page in pages for name in page] == [t.name for t in chosen]
    assert walk(client, last, "上一页")[0] == pages[::-1]
    text = client.get(last).content.decode()
    assert "q=%E6%96%B0%E5%A2%9E&amp;before=" in text
    assert "不统计总数" in text and "共 " not in text


def test_overdue_lists_the_longest_overdue_with_the_count_of_all(db, world, monkeypatch):
    """逾期事项 shows the count of every overdue inspection and lists the longest overdue first,
    at most ``OVERDUE_SHOWN`` of them (like 结果公示); here the limit is lowered to 2 so the
    large 分局's handful is more than a page."""
    from shuangsuiji.inspections import views
    from shuangsuiji.inspections.selectors import overdue_inspection_count, overdue_inspections

    monkeypatch.setattr(views, "OVERDUE_SHOWN", 2)
    large = world["large"]
    today = timezone.localdate()
    total = overdue_inspection_count(large, today)
    assert total > 2
    client = Client()
    client.force_login(coordinator(large))
    response = client.get("/inspections/overdue/")
    page = response.content.decode()
    assert f"逾期未完成的检查（{total} 项）" in page and "仅列出逾期最久的 2 项" in page
    shown = [row.pk for row in response.context["inspections"]]
    assert shown == [row.pk for row in overdue_inspections(large, today)[:2]]
