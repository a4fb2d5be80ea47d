"""绛县's year as its plan runs it: each quarter's pool leaves out the units drawn earlier that
year, so 重点排污单位 are covered once each (四、（五）2 “每季度25%，全年抽查4次，抽查比例为
100%”, JX-4.5.2b) and 一般排污单位 20 % without repeats (四、（五）1, JX-4.5.1b). Where the earlier
lists are still secret, the exclusion is withheld (draw-spec v2) and nothing public tells who is
on them (绛县 六、四 保密, JX-6.4); after the reveal, ``draw verify`` checks it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from shuangsuiji import draw as engine
from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw
from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit
from tests.support.tree import adopt_preset
from tests.support.workbooks import uscc, xlsx

KEY_UNITS, GENERAL_UNITS = 31, 100
SOURCES = [("lottery", "中国福利彩票双色球 2025 年开奖号码"), ("witness", "监督员 王")]
REVEAL_ON = dt.date(2027, 1, 29)


def load(organisation, spec, rows):
    outcome = register_import(actor=None, organisation=organisation, spec=spec, content=xlsx(rows),
                              filename="x.xlsx", reason="建库")  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems


@pytest.fixture
def year(organisations, make_user):
    """绛县 2025 with 31 重点 and 100 一般 units, eight officers and a published plan."""
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    rows = [["统一社会信用代码", "单位名称", "重点排污单位", "经营状态"]]
    rows += [[uscc(i), f"重点{i}", "是", "存续"] for i in range(1, KEY_UNITS + 1)]
    rows += [[uscc(i), f"一般{i}", "否", "存续"] for i in range(100, 100 + GENERAL_UNITS)]
    load(county, TARGETS, rows)
    people = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
    people += [[f"执法{n}", f"ZF{n:03d}", "执法人员", "是", "2010"] for n in range(8)]
    load(county, INSPECTORS, people)
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    leader = make_user("jx-leader", county, Role.LEADER)
    plan = plan_generate(actor=coordinator, organisation=county, year=2025)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    return county, plan, coordinator


def quarter_draw(plan, coordinator, quarter, values=("3.7.12.19.25.31./9./", "20250401")):
    task = plan.tasks.get(quarter=quarter)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL_ON)
    return draw_execute(actor=coordinator, draw=draw, values=list(values))


def reveal(draw, coordinator):
    return draw_reveal(actor=coordinator, draw=draw, today=REVEAL_ON)


def drawn_by_class(county):
    """Per class, how often each unit was drawn at random this year (active inspections)."""
    rows = Inspection.objects.counted(2025, county, kind=Inspection.Kind.RANDOM).values_list(
        "target__name", flat=True
    )
    names = Counter(rows)
    return (
        Counter({n: c for n, c in names.items() if n.startswith("重点")}),
        Counter({n: c for n, c in names.items() if n.startswith("一般")}),
    )


def assert_covered_once(county):
    key, general = drawn_by_class(county)
    assert len(key) == KEY_UNITS and set(key.values()) == {1}  # every 重点 unit, once
    assert len(general) == GENERAL_UNITS // 5 and set(general.values()) == {1}  # 20 %, no repeat


def test_revealed_each_quarter_the_year_covers_every_key_unit_once(year):
    """Each list revealed before the next commit: the exclusions are public in the pool, with
    the draws they rest on, and the draws stay v1."""
    county, plan, coordinator = year
    draws = []
    for quarter in (1, 2, 3, 4):
        draw = quarter_draw(plan, coordinator, quarter)
        assert draw.params.startswith('{\n  "spec": "SHUANGSUIJI-DRAW-v1"')
        draws.append(reveal(draw, coordinator))
    assert_covered_once(county)
    q2_pool = draws[1].pool.splitlines()
    excluded = [line for line in q2_pool if "|0|" in line]
    assert len(excluded) == 8 + 5  # Q1: ⌈25% × 31⌉ = 8 重点, ⌈5% × 100⌉ = 5 一般
    assert all(line.endswith(f"|本年度已被随机抽中（{draws[0].draw_id}）") for line in excluded)
    q4 = engine.parse_bundle(draws[3].bundle_files(with_salt=True))
    assert [s.k for s in q4.params.strata if s.code == "KEY"] == [KEY_UNITS - 3 * 8]  # 7 left


def test_secret_lists_are_withheld_and_the_year_still_covers_each_unit_once(year):
    """No list revealed until December: Q2–Q4 are v2 draws whose pools show every unit as
    eligible; the withheld file leaves out the earlier draws' units all the same. A list can
    only be revealed after those it rests on, and then ``draw verify`` checks each exclusion
    against them."""
    county, plan, coordinator = year
    draws = [quarter_draw(plan, coordinator, q) for q in (1, 2, 3, 4)]
    assert_covered_once(county)
    for earlier, draw in enumerate(draws[1:], start=1):
        params = engine.parse_bundle(draw.bundle_files(with_salt=False)).params
        assert params.spec == "SHUANGSUIJI-DRAW-v2"
        assert params.withheld_from == tuple(d.draw_id for d in draws[:earlier])
        assert "|0|" not in draw.pool  # nothing public says who was drawn before
        assert len(draw.withheld.splitlines()) == earlier * (8 + 5)
    q4_key = engine.parse_bundle(draws[3].bundle_files(with_salt=True))
    assert [s.k for s in q4_key.params.strata if s.code == "KEY"] == [8]  # ⌈25% × 31⌉

    with pytest.raises(ValidationError) as refused:
        reveal(draws[2], coordinator)
    assert f"依据此前抽取 {draws[0].draw_id}、{draws[1].draw_id} 的名单" in str(refused.value)
    for draw in draws:
        reveal(draw, coordinator)
    files = {d.draw_id: Draw.objects.get(pk=d.pk).public_files() for d in draws}
    assert all("withheld.txt" in f for f in list(files.values())[1:])
    report = engine.verify(
        files[draws[3].draw_id], {d.draw_id: files[d.draw_id] for d in draws[:3]}
    )
    assert report.ok, [str(c) for c in report.checks if c.ok is False]
    assert "✓ withheld.txt 中 39 家均在其所引用的此前抽取名单中" in [str(c) for c in report.checks]
    result = json.loads(files[draws[3].draw_id]["result.json"])
    key = next(s for s in result["strata"] if s["code"] == "KEY")
    assert (key["k"], len(key["selected"]), key["shortfall"]) == (8, 7, 1)  # what is left


HEX = re.compile(rb"[0-9a-f]{32,64}")
CSRF = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+')
TIME = re.compile(rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(\+08:00|Z)?")
#: A year of draw ids, times and hashes differ between two worlds; nothing else may.
PUBLIC_HEADERS = ("Content-Type", "Content-Disposition", "Content-Length")


def public_view(client, draw):
    """Everything the public can fetch about a committed draw: its page, files, bundle, API."""
    urls = [
        reverse("disclosure:draw", args=[draw.draw_id]),
        reverse("disclosure:draw_bundle", args=[draw.draw_id]),
        reverse("api:draw_bundle", args=[draw.draw_id]),
        f"/api/draws/{draw.draw_id}",
        f"/api/draws?organisation={draw.organisation.code}",
        reverse("disclosure:organisation", args=[draw.organisation.code]),
    ]
    urls += [reverse("disclosure:draw_file", args=[draw.draw_id, n]) for n in engine.FILES]
    seen = {}
    for url in urls:
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        if response.get("Content-Type") == "application/zip":
            # The archive's bytes carry file times; its files are what must not differ.
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                body = b"|".join(archive.read(n) for n in sorted(archive.namelist()))
        headers = tuple(
            (name, TIME.sub(b"T", HEX.sub(b"H", response.get(name, "").encode())))
            for name in PUBLIC_HEADERS
            if name != "Content-Length" or response.get("Content-Type") != "application/zip"
        )
        body = CSRF.sub(rb"\1C", TIME.sub(b"T", HEX.sub(b"H", body)))
        seen[url] = (response.status_code, headers, body)
    return seen


def test_nothing_public_tells_who_is_on_the_unrevealed_lists(year, client):
    """Two worlds with the same register and different entropy for Q1 and Q2, so different
    secret lists; Q3 is committed in each. Every public page, file, API answer and header of
    the three draws reads the same in both, once hashes and times (the salt's, the clock's)
    are set aside: nobody can tell who was drawn."""
    _county, plan, coordinator = year

    def world(q1: str, q2: str):
        with transaction.atomic():
            first = quarter_draw(plan, coordinator, 1, (q1, "1"))
            second = quarter_draw(plan, coordinator, 2, (q2, "2"))
            task = plan.tasks.get(quarter=3)
            third = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL_ON)
            lists = {
                d.draw_id: set(
                    Inspection.objects.filter(draw=d).values_list("target_id", flat=True)
                )
                for d in (first, second)
            }
            seen = {d.draw_id: public_view(client, d) for d in (first, second, third)}
            withheld = third.withheld
            transaction.set_rollback(True)
        return lists, seen, withheld

    lists_a, seen_a, withheld_a = world("1.2.3.4.5.6./7./", "8.9.10.11.12.13./14./")
    lists_b, seen_b, withheld_b = world("20.21.22.23.24.25./1./", "2.4.6.8.10.12./3./")
    assert lists_a != lists_b and withheld_a != withheld_b  # the secret lists differ …
    assert withheld_a.count("\n") == withheld_b.count("\n") == 2 * (8 + 5)
    assert seen_a.keys() == seen_b.keys()
    for draw_id, pages in seen_a.items():
        for url, answer in pages.items():
            assert answer == seen_b[draw_id][url], url  # … and nothing public shows it


def test_the_coordinator_sees_the_withheld_units_and_the_city_bureau_does_not(
    year, organisations, make_user, client
):
    """Before the reveal the bureau's 抽查管理员 reviews what will be withheld, with the draws it
    rests on; a 市局 leader reading the same page learns no more than the public."""
    _county, plan, coordinator = year
    first = quarter_draw(plan, coordinator, 1)
    drawn = Inspection.objects.filter(draw=first).select_related("target")
    names = sorted(i.target.name for i in drawn)
    url = reverse("planning:task_prepare", args=[plan.tasks.get(quarter=2).pk])
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert f"暂不公开的排除（{len(names)} 家）" in page
    assert all(name in page for name in names) and first.draw_id in page
    city = make_user("city-leader", organisations["city"], Role.LEADER)
    client.force_login(city)
    response = client.get(url)
    assert response.status_code == 200
    assert "暂不公开的排除" not in response.content.decode()


def test_a_graded_register_is_drawn_with_the_bureaus_weights(organisations, make_user):
    """JX-4.5.r 绛县 四、（五）“并应用信用风险等级分类”: the commit is refused until the bureau
    has set each grade's weight; then each pool line carries its grade's weight and the draw
    keeps the grade it used for each unit."""
    from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    grades = "ABCD"
    rows = [["统一社会信用代码", "单位名称", "重点排污单位", "经营状态", "信用等级"]]
    rows += [[uscc(i), f"重点{i}", "是", "存续", grades[i % 4]] for i in range(1, 13)]
    load(county, TARGETS, rows)
    people = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
    load(county, INSPECTORS, people + [[f"执法{n}", f"ZF{n:03d}", "执法人员", "是", "2010"]
                                       for n in range(4)])  # fmt: skip
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2025)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=make_user("jx-leader", county, Role.LEADER), plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    task = plan.tasks.get(quarter=1)
    with pytest.raises(ValidationError) as refused:
        draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL_ON)
    assert "未规定各等级的抽取权重，名录中有 12 家已评定信用等级" in str(refused.value)
    assert not Draw.objects.filter(task=task).exists()

    policy_value_set(actor=None, policy=organisation_policy(county), path="grading",
                     value={"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}},
                     since=dt.date(2025, 1, 1), reason="局务会确定")  # fmt: skip
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL_ON)
    weights = {line.split("|")[0]: line.split("|")[3] for line in draw.pool.splitlines()}
    assert weights == {uscc(i): {"A": "1", "B": "1", "C": "2", "D": "4"}[grades[i % 4]]
                       for i in range(1, 13)}  # fmt: skip
    assert draw.grades == {uscc(i): grades[i % 4] for i in range(1, 13)}
    params = json.loads(draw.params)
    key = next(s for s in params["strata"] if s["code"] == "KEY")
    assert "；按信用等级加权抽取，权重 A 1、B 1、C 2、D 4、无 1（" in key["basis"]


def test_a_secret_annual_draw_of_other_classes_holds_back_no_quarterly_reveal(
    organisations, make_user
):
    """绛县 四、（五）4 draws 在建工程建设项目 once for the year, in January, and reveals it when
    the year's checks are done. The quarterly draws share no class with it: they stay v1, rest
    on no exclusion from it and are revealed each quarter."""
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    rows = [["统一社会信用代码", "单位名称", "重点排污单位", "经营状态", "对象类型", "项目代码"]]
    rows += [[uscc(i), f"重点{i}", "是", "存续", "排污单位", None] for i in range(1, 9)]
    rows += [[uscc(900), "建设单位", "否", "存续", "在建工程建设项目", f"2501-140826-04-01-00000{n}"]
             for n in range(1, 4)]  # fmt: skip
    load(county, TARGETS, rows)
    people = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
    load(county, INSPECTORS, people + [[f"执法{n}", f"ZF{n:03d}", "执法人员", "是", "2010"]
                                       for n in range(4)])  # fmt: skip
    coordinator = make_user("jx-coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2025)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=make_user("jx-leader", county, Role.LEADER), plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    annual = plan.tasks.get(quarter=None, classes=["CONSTRUCTION"])
    yearly = draw_commit(actor=coordinator, task=annual, sources=SOURCES, reveal_on=REVEAL_ON)
    yearly = draw_execute(actor=coordinator, draw=yearly, values=["3.7.12.19.25.31./9./", "1"])
    first = quarter_draw(plan, coordinator, 1)
    assert json.loads(first.params)["spec"] == "SHUANGSUIJI-DRAW-v1"
    assert reveal(first, coordinator).status == Draw.Status.REVEALED
    second = quarter_draw(plan, coordinator, 2)
    assert "本年度已被随机抽中（" in second.pool  # Q1's exclusions, public
    assert Draw.objects.get(pk=yearly.pk).status == Draw.Status.DRAWN  # still secret
