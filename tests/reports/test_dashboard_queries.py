"""The dashboard and the 统计表 of a 市局 run the same number of queries with one 分局 as with
ten (issue 16): each kind of row is read once for all the organisations on the page, grouped
by organisation, never once per 分局 (it was 27 queries per organisation before).

Each 分局 here has a year's worth of every kind of row the pages read: registers, a published
plan, a revealed draw, a result without and one with a problem (and its 责令整改), a 回访
where the plan sets one, and a policy adjustment where the plan leaves a value to the bureau.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.organisations import organisation_create
from shuangsuiji.bureau.calendar import workday_calendar, workday_calendars
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.bureau.organisation_settings import organisation_settings_many as settings_of
from shuangsuiji.bureau.policies import effective_preset, effective_presets, organisation_policy
from shuangsuiji.directory.registers import INSPECTORS, ITEMS, TARGETS
from shuangsuiji.inspections.models import ItemOutcome, ResultCategory
from shuangsuiji.policy import available_presets
from tests.support.county import load
from tests.support.portal import REVEAL, SOURCES, VALUES, staffed, team_user
from tests.support.workbooks import id_number, uscc

PDF = b"%PDF-1.4\n%test\n"
YEAR = 2026


def submit(inspection, user, category):
    """The team records the result with every record any plan asks for, and submits it."""
    from shuangsuiji.inspections.services import (
        RecordData,
        attachment_add,
        inspection_record_save,
        inspection_submit,
    )

    outcome = ItemOutcome.PROBLEM if category == ResultCategory.ORDERED else ItemOutcome.PASS
    data = RecordData(
        checked_at=timezone.now(),
        method_used="现场检查",
        representative="王厂长",
        present_members=tuple(m.inspector.certificate_no for m in inspection.members.all()),
        result_category=category,
        findings="内部记录",
        public_summary="检查结果",
        determined_on=dt.date(YEAR, 11, 20),
    )
    outcomes = {item.pk: (outcome, "") for item in inspection.items.all()}
    inspection_record_save(actor=user, inspection=inspection, data=data, outcomes=outcomes)
    for kind in ("现场检查表", "现场检查笔录", "询问笔录"):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF)
        attachment_add(actor=user, inspection=inspection, kind=kind, upload=upload)
    return inspection_submit(actor=user, inspection=inspection)


def build_branch(branch, make_user, serial: int):
    """A small 分局 with a year of work under its preset."""
    from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
    from shuangsuiji.bureau.policies import policy_value_set
    from shuangsuiji.inspections.services import follow_up_open, revisit_sample
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    code = branch.code
    header = ["统一社会信用代码", "单位名称", "排污许可管理类别", "重点排污单位", "正面清单",
              "要素标签", "经营状态"]  # fmt: skip
    rows = [header]
    rows += [[uscc(i, code), f"{code}重点{i}", "重点管理", "是", "否", "大气", "存续"]
             for i in range(1, 5)]  # fmt: skip
    rows += [[uscc(i, code), f"{code}一般{i}", "登记管理", "否", "否", "水", "存续"]
             for i in range(10, 40)]  # fmt: skip
    load(TARGETS, rows, branch)
    inspectors = [INSPECTORS.headers]
    inspectors += [[f"执法{k}", f"{code}2026{k:04d}", id_number(serial * 10 + k), "综合执法大队",
                    "", "", "水、大气", "2010", "执法人员", "是"] for k in range(4)]  # fmt: skip
    load(INSPECTORS, inspectors, branch)
    load(ITEMS, [ITEMS.headers, [1, "污染源环境监管", "排放检查", "排污单位", "一般检查事项",
                                 "现场检查", branch.name, "《环境保护法》第二十四条", "水、大气",
                                 "否"]], branch)  # fmt: skip
    coordinator = make_user(f"coord-{code}", branch, Role.COORDINATOR)
    leader = make_user(f"leader-{code}", branch, Role.LEADER)
    if branch.policy_preset == "huojia-2024":
        # 获嘉 leaves the 特殊监管对象 ratio to the bureau (附件 “根据实际自行设定”).
        policy_value_set(actor=coordinator, policy=organisation_policy(branch),
                         path="classes.SPECIAL.quota", value={"ratio": "20%"},
                         since=dt.date(YEAR, 1, 1), reason="本局设定")  # fmt: skip
    plan = plan_generate(actor=coordinator, organisation=branch, year=YEAR)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    task = plan.tasks.filter(quarter=4).first() or plan.tasks.order_by("sequence").first()
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
    clean, ordered = staffed(draw, 2)
    submit(clean, team_user(clean, make_user), ResultCategory.NO_PROBLEM)
    ordered = submit(ordered, team_user(ordered, make_user), ResultCategory.ORDERED)
    follow_up_open(actor=coordinator, inspection=ordered, kind="rectify",
                   opened_on=dt.date(YEAR, 11, 20), deadline=dt.date(YEAR, 12, 20))  # fmt: skip
    draw = draw_reveal(actor=coordinator, draw=draw, today=REVEAL)
    if "revisit_share" in effective_preset(organisation_policy(branch)).targets:
        assert revisit_sample(actor=coordinator, draw=draw)


def build_city(organisations, make_user, code: str, branches: int, preset: str):
    city = organisation_create(actor=None, code=code, name=f"{code}市生态环境局",
                               parent=organisations["province"], policy_preset=preset)  # fmt: skip
    for n in range(1, branches + 1):
        branch = organisation_create(actor=None, code=f"{code[:4]}{n:02d}",
                                     name=f"{code}市第{n}分局", parent=city,
                                     policy_preset=preset)  # fmt: skip
        build_branch(branch, make_user, int(code[2:4]) * 100 + n)
    return city


def queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"year": YEAR, "quarter": "4"})
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


@pytest.mark.parametrize("preset", available_presets())
def test_dashboard_and_statistics_queries_do_not_grow_with_branches(
    organisations, make_user, client, preset, django_assert_max_num_queries
):
    """Every preset, since each kind of target reads what it needs: the same count for a city
    of one 分局 and of ten, and both a small number."""
    counted = {}
    for code, branches in (("130300", 1), ("130400", 10)):
        city = build_city(organisations, make_user, code, branches, preset)
        client.force_login(make_user(f"leader-{code}", city, Role.LEADER))
        client.get("/")  # the menu's to-do counts are read once per change (reports.todo_counts)
        with django_assert_max_num_queries(30):
            dashboard, page = queries(client, "/reports/dashboard/")
        assert page.count(f"{code}市第") >= branches  # every 分局 is on the page
        with django_assert_max_num_queries(20):
            statistics, page = queries(client, "/reports/statistics/")
        assert f"{code}市第{branches}分局" in page
        counted[branches] = (dashboard, statistics)
    assert counted[1] == counted[10]


def test_batched_bureau_reads_equal_the_single_ones(organisations, make_user):
    """``bureau``'s batch readers read for many organisations what ``bureau`` reads for one: the same
    preset (with the bureau's adjustments), settings and calendar."""
    city = build_city(organisations, make_user, "130300", 2, "huojia-2024")
    branches = list(city.children.order_by("code"))
    everyone = [city, *branches, organisations["province"]]  # the province has no preset
    presets = effective_presets(everyone)
    settings = settings_of(everyone, presets)
    calendars = workday_calendars(everyone)
    for branch in [city, *branches]:
        assert presets[branch.pk] == effective_preset(organisation_policy(branch))
        assert settings[branch.pk].pk == organisation_settings(branch).pk
        single = workday_calendar(branch)
        assert calendars[branch.pk].overrides == single.overrides
        assert calendars[branch.pk].confirmed_years == single.confirmed_years
    adjusted = presets[branches[0].pk].class_rule("SPECIAL").quota.at(dt.date(YEAR, 6, 1))
    assert adjusted.value == {"ratio": "20%"}
    assert "尚未设置政策预设" in str(presets[organisations["province"].pk])
