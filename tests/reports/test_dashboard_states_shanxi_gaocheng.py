"""The 监管工作看板 of 藁城 (gaocheng-2026) and 绛县 (jiangxian-2025), every check of three quarters
(issue 18): a quarter with no work at all, one with part of the work, one that meets everything
the plan asks. Each figure below is worked out by hand from the plan's clause and the year built
here; the ids are those of ../shared/requirements.md.

Each county is built once for the module, through the services, on the clock of the day each
act happens (``shuangsuiji_demo.year.clock``), so the year reads the same whatever day the suite
runs on. Each list is revealed the day it is drawn, so a result is published the day the team
submits it. Every result is 未发现问题 (a violation would move 绛县 units into 特殊监管对象 next
quarter, 四、（五）3).

藁城 2026 (in force from 2026-01-01; read with ``today`` 2027-01-15):

- Register: 10 重点 (重点管理, 重点排污单位), 20 简化管理, 40 登记管理, and 5 units that are
  重点管理 but 大气绩效评级 C — 特殊监管对象 by 二、（三） (GC-2.3: the 特殊 condition wins).
- Quotas a quarter (二、（四）, GC-2.4, rounded up): 特殊 20 % × 5 = 1; 简化 5 % × 20 = 1;
  登记 0.5 % × 40 = 0.2 → 1; 重点 18 % × 10 = 1.8 → 2: five units a quarter.
- Plan generated, approved and published 2026-01-20. Q1: nothing drawn.
- Q2 drawn 2026-04-15: 重点 ① checked and submitted 05-12; 重点 ② checked 05-13, submitted only
  06-30; 简化 checked and submitted 07-08, after the quarter; 登记 and 特殊 never checked.
- Q3 drawn 2026-07-15: all five checked and submitted 2026-08-11.

绛县 2025 (read with ``today`` 2026-01-15):

- Register: 12 重点排污单位, 40 一般排污单位 (一般101 … 一般140), 1 城镇污水处理厂 (联合抽查对象),
  1 在建工程建设项目. 一般101 has a 行政处罚决定 of 2025-02-20, so it is 特殊监管对象 in Q2 only;
  一般102 a 举报查实 of 2025-05-20, 特殊 in Q3 only (四、（五）3, JX-4.5.3). No 特殊 in Q1.
- Plan generated 2025-02-10 with the 在建 and 联合 tasks' 抽取时间 set to 2025-07-15, approved
  (印发) 2025-02-13, published 2025-02-20 (四、（一）, JX-4.1). Q1: nothing drawn.
- Q2 drawn 2025-04-15: 特殊 1, 重点 3, 一般 2. 重点 ① checked and submitted 05-13; 重点 ②
  checked 06-03, submitted 07-08; 重点 ③ never checked; 一般 ① checked and submitted 07-09,
  after the quarter; 一般 ② and the 特殊 unit never checked.
- Q3 drawn 2025-07-15 (特殊 1, 重点 3, 一般 2) with the two yearly tasks (在建 1, 联合 1): all
  eight checked and submitted 2025-08-12.

A third 分局 (闻喜) runs the 绛县 plan and has done nothing: no register, no plan.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
from shuangsuiji.acts.organisations import organisation_create
from shuangsuiji.directory.models import Target
from shuangsuiji.directory.registers import EVENTS, INSPECTORS, TARGETS
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import (
    RecordData,
    attachment_add,
    inspection_record_save,
    inspection_submit,
)
from shuangsuiji.planning.draws import task_period
from shuangsuiji.planning.plans import (
    plan_approve,
    plan_generate,
    plan_publish,
    plan_submit,
    task_update,
)
from shuangsuiji.reports.compliance import ABSENT, BAD, NA, NONE, OK, RUNNING, dashboard
from shuangsuiji_demo.year import clock
from tests.support.county import load
from tests.support.portal import SOURCES, VALUES, team_user
from tests.support.tree import make_user
from tests.support.workbooks import uscc

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n%test\n"
GC_AFTER = D(2027, 1, 15)  # 藁城's 2026 is over
JX_AFTER = D(2026, 1, 15)  # 绛县's 2025 is over

# ---- building the years ------------------------------------------------------------------------


@contextmanager
def on(day: dt.date):
    """The services run as if it were 10:00 (Beijing time) on ``day``."""
    with clock(dt.datetime.combine(day, dt.time(10), SHANGHAI)):
        yield


def check(inspection: Inspection, day: dt.date) -> None:
    """The team records its check of ``day`` (no problem found, determined that day) with the
    现场检查表 the unit signed (绛县 四、（六）, JX-4.6); the result is submitted separately.
    (``tests.support.portal.record`` saves and submits at once, with no record attached.)"""
    with on(day):
        user = team_user(inspection, make_user)
        data = RecordData(
            checked_at=timezone.now(),
            method_used="现场检查",
            representative="王厂长",
            present_members=tuple(m.inspector.certificate_no for m in inspection.members.all()),
            result_category=ResultCategory.NO_PROBLEM,
            findings="污染防治设施运行正常。",
            public_summary="未发现问题",
            determined_on=day,
        )
        outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
        inspection_record_save(actor=user, inspection=inspection, data=data, outcomes=outcomes)
        upload = SimpleUploadedFile("现场检查表.pdf", PDF)
        attachment_add(actor=user, inspection=inspection, kind="现场检查表", upload=upload)


def submit(inspection: Inspection, day: dt.date) -> None:
    """The team submits on ``day``; the list being public, the result is published that day."""
    with on(day):
        inspection_submit(actor=team_user(inspection, make_user), inspection=inspection)


def done(inspection: Inspection, day: dt.date) -> None:
    check(inspection, day)
    submit(inspection, day)


def drawn(coordinator, task, day: dt.date) -> dict[str, list[Inspection]]:
    """Commit, draw and reveal the task's list on ``day``: its inspections by class, pk order.
    The list may be public only once the inspection period is over (issue 19 §5): the reveal
    is dated ``day`` but let through as on the period's last day, so that results are
    published as they are submitted."""
    end = task_period(task)[1]
    with on(day):
        draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=end)
        draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
        draw_reveal(actor=coordinator, draw=draw, today=end)
    by_class: dict[str, list[Inspection]] = {}
    for inspection in Inspection.objects.filter(draw=draw).order_by("pk"):
        by_class.setdefault(inspection.stratum, []).append(inspection)
    return by_class


def officers(prefix: str, n: int) -> list[list]:
    rows = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
    return rows + [[f"{prefix}执法{k}", f"{prefix}{k:03d}", "执法人员", "是", "2010"]
                   for k in range(n)]  # fmt: skip


@dataclass
class Gaocheng:
    county: object
    q2: dict[str, list[Inspection]]
    q3: dict[str, list[Inspection]]


def build_gaocheng(county) -> Gaocheng:
    code = county.code
    with on(D(2026, 1, 12)):
        rows = [["统一社会信用代码", "单位名称", "排污许可管理类别", "重点排污单位", "大气绩效评级",
                 "经营状态"]]  # fmt: skip
        rows += [[uscc(i, code), f"重点{i}", "重点管理", "是", "B", "存续"] for i in range(1, 11)]
        rows += [[uscc(i, code), f"简化{i}", "简化管理", "否", "无", "存续"] for i in range(11, 31)]
        rows += [[uscc(i, code), f"登记{i}", "登记管理", "否", "无", "存续"] for i in range(31, 71)]
        rows += [[uscc(i, code), f"特殊{i}", "重点管理", "是", "C", "存续"] for i in range(71, 76)]
        load(TARGETS, rows, county)
        load(INSPECTORS, officers("GC", 6), county)
        coordinator = make_user("gc-coord", county, Role.COORDINATOR)
        leader = make_user("gc-leader", county, Role.LEADER)
    with on(D(2026, 1, 20)):
        plan = plan_generate(actor=coordinator, organisation=county, year=2026)
        plan_submit(actor=None, plan=plan)
        plan_approve(actor=leader, plan=plan)
        plan_publish(actor=coordinator, plan=plan)
    q2 = drawn(coordinator, plan.tasks.get(quarter=2), D(2026, 4, 15))
    done(q2["KEY"][0], D(2026, 5, 12))
    check(q2["KEY"][1], D(2026, 5, 13))
    submit(q2["KEY"][1], D(2026, 6, 30))
    done(q2["GENERAL_SIMPLIFIED"][0], D(2026, 7, 8))
    q3 = drawn(coordinator, plan.tasks.get(quarter=3), D(2026, 7, 15))
    for inspection in (i for found in q3.values() for i in found):
        done(inspection, D(2026, 8, 11))
    return Gaocheng(county, q2, q3)


@dataclass
class Jiangxian:
    county: object
    q2: dict[str, list[Inspection]]
    q3: dict[str, list[Inspection]]


def build_jiangxian(county) -> Jiangxian:
    code = county.code
    with on(D(2025, 1, 8)):
        rows = [
            ["统一社会信用代码", "单位名称", "重点排污单位", "对象类型", "项目代码", "经营状态"]
        ]
        rows += [[uscc(i, code), f"重点{i}", "是", "排污单位", None, "存续"] for i in range(1, 13)]
        rows += [[uscc(i, code), f"一般{i}", "否", "排污单位", None, "存续"]
                 for i in range(101, 141)]  # fmt: skip
        rows += [[uscc(900, code), "绛县污水处理中心", "否", "城镇污水处理厂", None, "存续"],
                 [uscc(901, code), "某某项目建设单位", "否", "在建工程建设项目",
                  f"2501-{code}-04-01-000001", "存续"]]  # fmt: skip
        load(TARGETS, rows, county)
        load(INSPECTORS, officers("JX", 8), county)
        coordinator = make_user("jx-coord", county, Role.COORDINATOR)
        leader = make_user("jx-leader", county, Role.LEADER)
    with on(D(2025, 2, 10)):
        plan = plan_generate(actor=coordinator, organisation=county, year=2025)
        for task in plan.tasks.filter(quarter__isnull=True):  # 在建 and 联合: drawn in July
            task_update(actor=coordinator, task=task, draw_date=D(2025, 7, 15))
    with on(D(2025, 2, 13)):
        plan_submit(actor=None, plan=plan)
        plan_approve(actor=leader, plan=plan)  # 印发
    with on(D(2025, 2, 20)):
        plan_publish(actor=coordinator, plan=plan)
    with on(D(2025, 3, 3)):
        load(EVENTS, [EVENTS.headers, [uscc(101, code), "行政处罚决定", "2025-02-20",
                                       "运环罚〔2025〕3号"]], county)  # fmt: skip
    q2 = drawn(coordinator, plan.tasks.get(quarter=2), D(2025, 4, 15))
    done(q2["KEY"][0], D(2025, 5, 13))
    check(q2["KEY"][1], D(2025, 6, 3))
    submit(q2["KEY"][1], D(2025, 7, 8))
    with on(D(2025, 6, 3)):
        load(EVENTS, [EVENTS.headers, [uscc(102, code), "举报查实", "2025-05-20",
                                       "12345 热线举报"]], county)  # fmt: skip
    done(q2["GENERAL"][0], D(2025, 7, 9))
    q3 = drawn(coordinator, plan.tasks.get(quarter=3), D(2025, 7, 15))
    for task in plan.tasks.filter(quarter__isnull=True):
        q3 |= drawn(coordinator, task, D(2025, 7, 15))
    for inspection in (i for found in q3.values() for i in found):
        done(inspection, D(2025, 8, 12))
    return Jiangxian(county, q2, q3)


@dataclass
class World:
    gaocheng: Gaocheng
    jiangxian: Jiangxian
    idle: object


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The three 分局, built in a transaction that stays open for the module and is rolled back
    at its end; each test runs in a savepoint inside it (pytest-django's ``db``)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        ),
        transaction.atomic(),
    ):
        try:
            with on(D(2025, 1, 6)):
                hebei = organisation_create(actor=None, code="130000", name="河北省生态环境厅")
                sjz = organisation_create(actor=None, code="130100", name="石家庄市生态环境局",
                                          parent=hebei)  # fmt: skip
                gaocheng = organisation_create(
                    actor=None, code="130182", name="石家庄市生态环境局藁城区分局", parent=sjz,
                    policy_preset="gaocheng-2026",
                )  # fmt: skip
                shanxi = organisation_create(actor=None, code="140000", name="山西省生态环境厅")
                yuncheng = organisation_create(actor=None, code="140800", name="运城市生态环境局",
                                               parent=shanxi)  # fmt: skip
                jiangxian = organisation_create(
                    actor=None, code="140826", name="运城市生态环境局绛县分局", parent=yuncheng,
                    policy_preset="jiangxian-2025",
                )  # fmt: skip
                idle = organisation_create(
                    actor=None, code="140823", name="运城市生态环境局闻喜县分局", parent=yuncheng,
                    policy_preset="jiangxian-2025",
                )  # fmt: skip
            jx = build_jiangxian(jiangxian)
            gc = build_gaocheng(gaocheng)
            yield World(gc, jx, idle)
        finally:
            transaction.set_rollback(True)


# ---- reading the board -------------------------------------------------------------------------


def figures(board) -> dict[str, tuple[str, str, str]]:
    """Every check of the board: key → (state, required, measured)."""
    return {c.key: (c.state, c.required, c.actual) for c in board.checks}


def shown(board) -> dict[str, tuple[str, str]]:
    """Every check of the board: key → (label, period)."""
    return {c.key: (c.label, c.period) for c in board.checks}


def rows(board, key: str) -> tuple[str, tuple[int, ...], dict[int, str]]:
    found = board.check(key).rows
    return found.kind, found.ids, found.notes


NOTHING = "抽取 0 户，已检查 0 户"

# ---- 藁城 ---------------------------------------------------------------------------------------

GC_DEADLINE = "本季度末（全年任务为年底）前完成检查"
GC_PUBLICATION = "认定后 20 个工作日内"


def gc_report(quarter: str) -> tuple[str, str, str]:
    """Nothing sent through 统计报送 and no deadline in force (the 市局 set none, the preset
    states none): the quarter is not judged (四、（四）, issue 20 §4)."""
    return (
        NONE,
        "季度结束后报送上一季度统计表",
        f"已报送 0/1 个季度：2026 年第{quarter}季度未提交",
    )


def test_gaocheng_checks_and_where_they_stand(world, db):
    """藁城's board has one row per class of 二、（四） (GC-2.4), the 检查时限 (a bureau default:
    the end of the task's quarter, after 四、（四） 季度结束后报送), the 20 working days of
    publication (a bureau default after 绛县 四、（七）, JX-4.7; 藁城 二、（八） GC-2.8b asks only
    “及时”) and 四、（四）'s quarterly report (GC-4.4b), which the platform shows without judging."""
    board = dashboard(world.gaocheng.county, 2026, 2, today=GC_AFTER)
    quarter = "2026 年第 2 季度"
    assert shown(board) == {
        "class:SPECIAL": ("特殊监管对象抽查数量", quarter),
        "class:GENERAL_SIMPLIFIED": ("一般监管对象（排污许可简化管理）抽查数量", quarter),
        "class:GENERAL_REGISTERED": ("一般监管对象（排污登记）抽查数量", quarter),
        "class:KEY": ("重点监管对象抽查数量", quarter),
        "inspection_deadline": ("检查按期完成", quarter),
        "result_publication_workdays": ("抽查结果按期公示", quarter),
        "quarterly_report": ("季度统计表报送", quarter),
    }
    clauses = {c.key: c.clause for c in board.checks}
    assert all(clauses[k].endswith("二、（四）") for k in clauses if k.startswith("class:"))
    assert clauses["inspection_deadline"].endswith("四、（四）（方案未规定，采用默认值）")
    assert "绛县" in clauses["result_publication_workdays"]
    assert clauses["result_publication_workdays"].endswith("四、（七）（方案未规定，采用默认值）")
    assert clauses["quarterly_report"].endswith("四、（四）")


def test_gaocheng_quarter_without_work_reads_absent(world, db):
    """Q1 2026, nothing drawn, read in 2027: every class row is there with the quota the register
    gives (二、（四）, GC-2.4) — 特殊 ⌈20 % × 5⌉ = 1, 简化 ⌈5 % × 20⌉ = 1, 登记 ⌈0.5 % × 40⌉ =
    ⌈0.2⌉ = 1, 重点 ⌈18 % × 10⌉ = ⌈1.8⌉ = 2 (the five 大气绩效评级 C units are 特殊, not 重点:
    二、（三）, GC-2.3) — and reads 未开展, never 达标. No inspection was due and no result
    determined: the 检查时限 (四、（三） “严禁随机抽查走过场”) and the 20 working days of publication
    (四、（三） “信息公开不及时”, GC-2.8b, JX-4.7) count 0 and read 未开展 too. The quarterly report
    (四、（四）, GC-4.4b) is 未评估."""
    board = dashboard(world.gaocheng.county, 2026, 1, today=GC_AFTER)
    assert figures(board) == {
        "class:SPECIAL": (ABSENT, "应抽取 1 户", NOTHING),
        "class:GENERAL_SIMPLIFIED": (ABSENT, "应抽取 1 户", NOTHING),
        "class:GENERAL_REGISTERED": (ABSENT, "应抽取 1 户", NOTHING),
        "class:KEY": (ABSENT, "应抽取 2 户", NOTHING),
        "inspection_deadline": (ABSENT, GC_DEADLINE, "按期 0，逾期 0，未到期 0"),
        "result_publication_workdays": (ABSENT, GC_PUBLICATION, "按期 0，逾期 0，未到期 0"),
        "quarterly_report": gc_report("一"),
    }
    assert board.counts == {OK: 0, BAD: 0, RUNNING: 0, ABSENT: 6, NA: 0, NONE: 1}


def test_gaocheng_quarter_with_part_of_the_work(world, db):
    """Q2 2026, drawn 2026-04-15 with the quotas of Q1 (the register did not change): 重点 2, 简化
    1, 登记 1, 特殊 1 (二、（四）, GC-2.4).

    - 重点: both checked (05-12, 05-13) → 2 of 2, 达标. 简化: checked 07-08 → 1 of 1, 达标 (a
      class row counts what was drawn and checked; lateness is the 检查时限's). 登记 and 特殊:
      drawn, never checked → 0 of 1, 未达标.
    - 检查时限 (四、（三）, BD-3.3c), 2026-06-30 for Q2's task: the two 重点 checked in May are 按期;
      简化 checked 07-08 is 逾期, and so are 登记 and 特殊, still open after 06-30 → 按期 2，
      逾期 3，未到期 0, 未达标, each late inspection listed with its deadline.
    - Publication (GC-2.8b, 20 working days of JX-4.7 on the 2026 calendar), counted by the
      quarter of the 认定 date: 重点 ① determined 05-12 is due 06-09 (05-13…05-29 are 13 working
      days, 06-01…06-05 18, 06-08 and 06-09 make 20) and published 05-12, 按期; 重点 ② determined
      05-13 is due 06-10 and published 06-30, 逾期 → 按期 1，逾期 1，未到期 0, 未达标. 简化's
      result, determined 07-08, is Q3's.
    """
    q2 = world.gaocheng.q2
    board = dashboard(world.gaocheng.county, 2026, 2, today=GC_AFTER)
    assert figures(board) == {
        "class:SPECIAL": (BAD, "应抽取 1 户", "抽取 1 户，已检查 0 户"),
        "class:GENERAL_SIMPLIFIED": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL_REGISTERED": (BAD, "应抽取 1 户", "抽取 1 户，已检查 0 户"),
        "class:KEY": (OK, "应抽取 2 户", "抽取 2 户，已检查 2 户"),
        "inspection_deadline": (BAD, GC_DEADLINE, "按期 2，逾期 3，未到期 0"),
        "result_publication_workdays": (BAD, GC_PUBLICATION, "按期 1，逾期 1，未到期 0"),
        "quarterly_report": gc_report("二"),
    }
    simplified, registered, special = (
        q2["GENERAL_SIMPLIFIED"][0], q2["GENERAL_REGISTERED"][0], q2["SPECIAL"][0],
    )  # fmt: skip
    late = {
        simplified.pk: "期限 2026-06-30，检查于 2026-07-08",
        registered.pk: "期限 2026-06-30，尚未完成",
        special.pk: "期限 2026-06-30，尚未完成",
    }
    assert rows(board, "inspection_deadline") == ("inspections", tuple(sorted(late)), late)
    published_late = {q2["KEY"][1].pk: "认定 2026-05-13，期限 2026-06-10，公示于 2026-06-30"}
    assert rows(board, "result_publication_workdays") == (
        "inspections",
        tuple(published_late),
        published_late,
    )
    assert rows(board, "class:GENERAL_REGISTERED")[2] == {registered.pk: "尚未完成检查"}


def test_gaocheng_quarter_that_meets_the_plan(world, db):
    """Q3 2026, drawn 2026-07-15 (the same quotas: 特殊 1, 简化 1, 登记 1, 重点 2, GC-2.4), all
    five checked and published 2026-08-11: every class 达标; 检查时限 2026-09-30 → 按期 5; the
    publication counts the five results determined 08-11 (due 09-08) and Q2's 简化, determined
    07-08 (due 08-05: 07-09…07-31 are 17 working days, 08-03…08-05 make 20) and published that
    day → 按期 6，逾期 0 (GC-2.8b, JX-4.7). Nothing is late, nothing listed."""
    board = dashboard(world.gaocheng.county, 2026, 3, today=GC_AFTER)
    assert figures(board) == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL_SIMPLIFIED": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL_REGISTERED": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 2 户", "抽取 2 户，已检查 2 户"),
        "inspection_deadline": (OK, GC_DEADLINE, "按期 5，逾期 0，未到期 0"),
        "result_publication_workdays": (OK, GC_PUBLICATION, "按期 6，逾期 0，未到期 0"),
        "quarterly_report": gc_report("三"),
    }
    assert rows(board, "inspection_deadline")[1:] == ((), {})
    assert rows(board, "result_publication_workdays")[1:] == ((), {})


def test_gaocheng_quarter_still_running(world, db):
    """On 2026-05-20, inside Q2: the 登记 and 特殊 units drawn 04-15 are not checked yet, and the
    quarter still has six weeks to run — 进行中, not 未达标."""
    found = figures(dashboard(world.gaocheng.county, 2026, 2, today=D(2026, 5, 20)))
    assert found["class:GENERAL_REGISTERED"] == (RUNNING, "应抽取 1 户", "抽取 1 户，已检查 0 户")
    assert found["class:SPECIAL"] == (RUNNING, "应抽取 1 户", "抽取 1 户，已检查 0 户")


# ---- 绛县 ---------------------------------------------------------------------------------------

JX_DEADLINE = "本季度末（全年任务为年底）前完成检查"
JX_PUBLICATION = "认定后 20 个工作日内"
#: The checks of the year, the same in each quarter's view of 2025 read in 2026:
JX_YEAR = {
    # 四、（五）5 (JX-4.5.5) 污水处理中心 100 %, once a year; 四、（五）4 (JX-4.5.4) 在建 100 %:
    # 1 unit each, both drawn 07-15 and checked 08-12.
    "class:JOINT": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
    "class:CONSTRUCTION": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
    # 四、（五）2 (JX-4.5.2b): 25 % a quarter, 全年 100 % — ⌈25 % × 12⌉ = 3 a quarter, 4 × 3 = 12
    # of the 12 units. Covered: distinct units with a random check done — Q2's ① and ②, Q3's
    # three = 5; Q2's ③ was drawn but never checked and is not covered. 7 units left.
    "annual:KEY": (BAD, "全年不重复覆盖 12 户（名录 12 户）", "已覆盖 5 户，尚未覆盖 7 户"),
    # 四、（五）1 (JX-4.5.1b): 5 % a quarter, 全年 20 % — ⌈5 % × 40⌉ = 2 (⌈5 % × 39⌉ = 2 in Q2 and
    # Q3, one unit being 特殊), 4 × 2 = 8 = 20 % × 40. Covered: Q2's ① and Q3's two = 3; the
    # register of Q4 (no 特殊 any more) has 40 units, 37 not covered.
    "annual:GENERAL": (BAD, "全年不重复覆盖 8 户（名录 40 户）", "已覆盖 3 户，尚未覆盖 37 户"),
    # 四、（一） (JX-4.1): 印发 02-13 ≤ 03-31; published 02-20, within 20 working days of 02-13
    # (due 03-13).
    "plan_deadline": (OK, "按期制定并公开", "印发 2025-02-13，公开 2025-02-20"),
    # 四、（五） (JX-4.5.c): no unit drawn more than once at random; 特殊 exempt anyway.
    "cap": (OK, "≤ 2 次（特殊监管对象除外）", "超过的对象 0 个"),
}


def test_jiangxian_checks_and_where_they_stand(world, db):
    """绛县's board: a row per class of 四、（三）/（五） (five, JX-4.3), a 全年覆盖 row for the two
    classes covered without repeats over the year (重点, 一般: JX-4.5.2b, JX-4.5.1b), the plan's
    checks (检查时限, a bureau default on 四、（五）4; 四、（一） 计划; 四、（七） 公示) and the cap of
    四、（五）. The yearly rows are measured over 2025 in a quarter's view too."""
    board = dashboard(world.jiangxian.county, 2025, 2, today=JX_AFTER)
    quarter, year = "2025 年第 2 季度", "2025 年全年"
    assert shown(board) == {
        "class:SPECIAL": ("特殊监管对象抽查数量", quarter),
        "class:JOINT": ("联合抽查对象（城镇污水处理厂）抽查数量（全年）", year),
        "class:CONSTRUCTION": ("在建工程建设项目抽查数量（全年）", year),
        "class:KEY": ("重点排污单位抽查数量", quarter),
        "annual:KEY": ("重点排污单位全年覆盖（全年）", year),
        "class:GENERAL": ("一般排污单位抽查数量", quarter),
        "annual:GENERAL": ("一般排污单位全年覆盖（全年）", year),
        "inspection_deadline": ("检查按期完成", quarter),
        "plan_deadline": ("年度抽查计划制定与公开", year),
        "result_publication_workdays": ("抽查结果按期公示", quarter),
        "cap": ("同一对象年度抽查次数", year),
    }
    clauses = {c.key: c.clause for c in board.checks}
    assert clauses["class:SPECIAL"].endswith("四、（五）3")
    assert clauses["class:JOINT"].endswith("四、（五）5")
    assert clauses["class:CONSTRUCTION"].endswith("四、（五）4")
    assert clauses["class:KEY"].endswith("四、（五）2")
    assert clauses["annual:KEY"].endswith("四、（五）2")
    assert clauses["class:GENERAL"].endswith("四、（五）1")
    assert clauses["annual:GENERAL"].endswith("四、（五）1")
    assert clauses["plan_deadline"].endswith("四、（一）")
    assert clauses["result_publication_workdays"].endswith("四、（七）")
    assert clauses["cap"].endswith("四、（五）")


def test_jiangxian_quarter_without_work(world, db):
    """Q1 2025, nothing drawn, read in 2026: no unit had a record in the quarter before, so there
    is no 特殊监管对象 (四、（五）3, JX-4.5.3): 不适用. 重点 ⌈25 % × 12⌉ = 3 (JX-4.5.2) and 一般
    ⌈5 % × 40⌉ = 2 (JX-4.5.1) read 未开展; so do the 检查时限 and the publication (JX-4.7),
    with nothing due. The yearly rows are the year's (``JX_YEAR``)."""
    board = dashboard(world.jiangxian.county, 2025, 1, today=JX_AFTER)
    assert figures(board) == JX_YEAR | {
        "class:SPECIAL": (NA, "名录中无此类对象", NOTHING),
        "class:KEY": (ABSENT, "应抽取 3 户", NOTHING),
        "class:GENERAL": (ABSENT, "应抽取 2 户", NOTHING),
        "inspection_deadline": (ABSENT, JX_DEADLINE, "按期 0，逾期 0，未到期 0"),
        "result_publication_workdays": (ABSENT, JX_PUBLICATION, "按期 0，逾期 0，未到期 0"),
    }


def test_jiangxian_quarter_with_part_of_the_work(world, db):
    """Q2 2025, drawn 2025-04-15: 特殊 ⌈30 % × 1⌉ = 1 (一般101, penalised 2025-02-20: JX-4.5.3),
    重点 ⌈25 % × 12⌉ = 3 (JX-4.5.2), 一般 ⌈5 % × 39⌉ = ⌈1.95⌉ = 2 (JX-4.5.1).

    - 特殊: 0 of 1 checked; 重点: 2 of 3; 一般: 1 of 2 (its check of 07-09 is late, but done):
      all 未达标.
    - 检查时限 2025-06-30 (bureau default on 四、（五）4): 重点 ① (05-13) and ② (06-03) 按期;
      一般 ① checked 07-09, and 重点 ③, 一般 ②, 特殊 still open → 按期 2，逾期 4，未到期 0.
    - Publication, 20 working days of 四、（七） (JX-4.7) on the 2025 calendar: 重点 ① determined
      05-13, published 05-13, 按期; 重点 ② determined 06-03 is due 07-01 (06-04…06-30 are 19
      working days, 07-01 the 20th) and published 07-08, 逾期 → 按期 1，逾期 1，未到期 0.
    """
    q2 = world.jiangxian.q2
    board = dashboard(world.jiangxian.county, 2025, 2, today=JX_AFTER)
    assert figures(board) == JX_YEAR | {
        "class:SPECIAL": (BAD, "应抽取 1 户", "抽取 1 户，已检查 0 户"),
        "class:KEY": (BAD, "应抽取 3 户", "抽取 3 户，已检查 2 户"),
        "class:GENERAL": (BAD, "应抽取 2 户", "抽取 2 户，已检查 1 户"),
        "inspection_deadline": (BAD, JX_DEADLINE, "按期 2，逾期 4，未到期 0"),
        "result_publication_workdays": (BAD, JX_PUBLICATION, "按期 1，逾期 1，未到期 0"),
    }
    late = {q2["GENERAL"][0].pk: "期限 2025-06-30，检查于 2025-07-09"}
    late |= dict.fromkeys(
        (q2["KEY"][2].pk, q2["GENERAL"][1].pk, q2["SPECIAL"][0].pk), "期限 2025-06-30，尚未完成"
    )
    assert rows(board, "inspection_deadline") == ("inspections", tuple(sorted(late)), late)
    published_late = {q2["KEY"][1].pk: "认定 2025-06-03，期限 2025-07-01，公示于 2025-07-08"}
    assert rows(board, "result_publication_workdays") == (
        "inspections",
        tuple(published_late),
        published_late,
    )
    key = [i.pk for i in q2["KEY"]]
    assert rows(board, "class:KEY")[1:] == (
        tuple(sorted(key)),
        {key[0]: "已检查", key[1]: "已检查", key[2]: "尚未完成检查"},
    )


def test_jiangxian_quarter_that_meets_the_plan(world, db):
    """Q3 2025, drawn 2025-07-15: 特殊 1 (一般102, 举报查实 05-20; 一般101 has left, no violation
    found in Q2: JX-4.5.3), 重点 3 out of the 9 not drawn this year (JX-4.5.2b), 一般 2 (JX-4.5.1),
    and the yearly 在建 and 联合 tasks, whose 抽取时间 in the plan is 07-15 (JX-4.1) so their
    checks are Q3's. All eight checked and published 08-12: every quarter's row 达标; 检查时限 →
    按期 8; publication → Q2's 一般 ① determined and published 07-09 plus the eight of 08-12
    (due 09-09) → 按期 9 (JX-4.7)."""
    board = dashboard(world.jiangxian.county, 2025, 3, today=JX_AFTER)
    assert figures(board) == JX_YEAR | {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 3 户", "抽取 3 户，已检查 3 户"),
        "class:GENERAL": (OK, "应抽取 2 户", "抽取 2 户，已检查 2 户"),
        "inspection_deadline": (OK, JX_DEADLINE, "按期 8，逾期 0，未到期 0"),
        "result_publication_workdays": (OK, JX_PUBLICATION, "按期 9，逾期 0，未到期 0"),
    }
    assert rows(board, "inspection_deadline")[1:] == ((), {})


def test_jiangxian_key_year_counts_distinct_units_and_lists_those_left(world, db):
    """重点 “全年抽查4次，抽查比例为100%” (四、（五）2, JX-4.5.2b) is measured as distinct units
    with a completed random check over the year, not as draws: two draws chose 6 units, 5 were
    checked, so 5 are covered. The drill-down names the 7 units left — the 4 never drawn and Q2's
    ③, drawn but not checked — each “本年度尚无已完成的随机抽查”."""
    q2, q3 = world.jiangxian.q2, world.jiangxian.q3
    board = dashboard(world.jiangxian.county, 2025, 3, today=JX_AFTER)
    units = set(Target.objects.filter(organisation=world.jiangxian.county, name__startswith="重点")
                .values_list("pk", flat=True))  # fmt: skip
    covered = {i.target_id for i in (q2["KEY"][0], q2["KEY"][1], *q3["KEY"])}
    assert len(units) == 12 and len(covered) == 5
    left = units - covered
    assert q2["KEY"][2].target_id in left
    assert rows(board, "annual:KEY") == (
        "targets",
        tuple(sorted(left)),
        dict.fromkeys(left, "本年度尚无已完成的随机抽查"),
    )


def test_jiangxian_quarter_still_running(world, db):
    """On 2025-05-20, inside Q2: the 特殊 unit drawn 04-15 is not checked yet, with six weeks of
    the quarter left — 进行中 (JX-4.5.3)."""
    found = figures(dashboard(world.jiangxian.county, 2025, 2, today=D(2025, 5, 20)))
    assert found["class:SPECIAL"] == (RUNNING, "应抽取 1 户", "抽取 1 户，已检查 0 户")


def test_jiangxian_plan_not_made_by_march_reads_absent(world, db):
    """四、（一） (JX-4.1) “年度抽查工作计划应于当年 3 月底前制定完成”: 闻喜 has made no plan. Up to
    2025-03-31 it can still be made (进行中); from 04-01 the work is absent (未开展). Nothing of
    its idle year reads 达标: no register, so every class is 不适用; no draw, so the quarter's
    检查时限 and publication are 未开展; the cap of the running year is 进行中."""
    before = figures(dashboard(world.idle, 2025, 1, today=D(2025, 3, 31)))
    assert before["plan_deadline"] == (RUNNING, "按期制定并公开", "尚未制定")
    board = dashboard(world.idle, 2025, 1, today=D(2025, 4, 1))
    assert figures(board)["plan_deadline"] == (ABSENT, "按期制定并公开", "尚未制定")
    assert {c.key: c.state for c in board.checks} == {
        "class:SPECIAL": NA,
        "class:JOINT": NA,
        "class:CONSTRUCTION": NA,
        "class:KEY": NA,
        "annual:KEY": NA,
        "class:GENERAL": NA,
        "annual:GENERAL": NA,
        "inspection_deadline": ABSENT,
        "plan_deadline": ABSENT,
        "result_publication_workdays": ABSENT,
        "cap": RUNNING,
    }
    assert board.counts[OK] == 0
