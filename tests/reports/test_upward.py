"""Reports upward (issue 20 §4): a 分局 sends its 市局 the 统计表 and the register adjustments of
each quarter — 藁城 四、（四） “每季度结束后将上一季度统计表报送市局；每季度统计报送需调整的检查人员
库信息和检查对象名录信息” (GC-4.4b, GC-4.4) — or of each round of checks — 绛县 五、（三） “每次检查
结束后…形成《随机抽查情况统计表》，并上报运城市生态环境局” (JX-5.3); the 市局 sees who has sent and
who is late, accepts a report or returns it with a comment; every version sent is frozen and kept.

The world, built once for the module on the clock of each day (``shuangsuiji_demo.year.clock``):

- 石家庄市生态环境局 (市局) with two 分局: 藁城 (gaocheng-2026, whose 四、（四） asks a quarterly
  report without a deadline) and 新乐 (no preset: no plan asks it anything);
  唐山市生态环境局 with 遵化 beside them, another city's branch.
- 藁城's registers imported 2026-01-12 (reason 建库): 10 重点, 20 简化, 40 登记, 5 特殊 units and
  6 inspectors — 81 additions in Q1. Plan published 2026-01-20; Q1 drawn 2026-02-10 (five units:
  特殊 20 % × 5 = 1, 简化 5 % × 20 = 1, 登记 0.5 % × 40 → 1, 重点 18 % × 10 → 2, 二、（四）), one
  重点 unit checked 2026-03-05. On 2026-03-10 a unit leaves the register (注销) and an inspector
  (调离); on 2026-04-08, in Q2, another unit (停产).

Each test runs in a savepoint of the module's transaction: what one test sends, the next does not
see.
"""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
from shuangsuiji.acts.organisations import organisation_create
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.bureau.policies import organisation_policy, policy_value_set
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import record_remove
from shuangsuiji.inspections.models import Inspection, ResultCategory
from shuangsuiji.permanence import PermanentRecordError
from shuangsuiji.planning.draws import task_period
from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit
from shuangsuiji.reports.models import FrozenReportError, UpwardReport
from shuangsuiji.reports.todo import todos
from shuangsuiji.reports.upward import (
    MISSING,
    NOT_DUE,
    NOT_REQUIRED,
    ReportPeriod,
    period_content,
    upward_branch,
    upward_deadlines_set,
    upward_overview,
    upward_report_accept,
    upward_report_return,
    upward_report_submit,
)
from shuangsuiji_demo.year import clock
from tests.support.county import load
from tests.support.portal import SOURCES, VALUES, record, team_user
from tests.support.tree import make_user
from tests.support.workbooks import uscc

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
Q1 = ReportPeriod(2026, 1)
SUBMITTED, RETURNED, ACCEPTED = "已提交，待审核", "已退回", "已接收"


@contextmanager
def on(day: dt.date, hour: int = 10):
    """The services run as if it were ``hour``:00 (Beijing time) on ``day``."""
    with clock(dt.datetime.combine(day, dt.time(hour), SHANGHAI)):
        yield


@dataclass
class World:
    city: object
    gaocheng: object
    xinle: object
    zunhua: object
    q1_task: object
    q1: dict
    users: dict


def _drawn(coordinator, task, day):
    end = task_period(task)[1]
    with on(day):
        draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=end)
        draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
        draw_reveal(actor=coordinator, draw=draw, today=end)
    by_class: dict[str, list[Inspection]] = {}
    for inspection in Inspection.objects.filter(draw=draw).order_by("pk"):
        by_class.setdefault(inspection.stratum, []).append(inspection)
    return by_class


def _checked(inspection, day):
    with on(day):
        record(inspection, team_user(inspection, make_user), ResultCategory.NO_PROBLEM, day)


def _build() -> World:
    with on(D(2026, 1, 5)):
        hebei = organisation_create(actor=None, code="130000", name="河北省生态环境厅")
        city = organisation_create(actor=None, code="130100", name="石家庄市生态环境局",
                                   parent=hebei)  # fmt: skip
        gaocheng = organisation_create(actor=None, code="130182", name="石家庄市生态环境局藁城区分局",
                                       parent=city, policy_preset="gaocheng-2026")  # fmt: skip
        xinle = organisation_create(actor=None, code="130184", name="石家庄市生态环境局新乐市分局",
                                    parent=city)  # fmt: skip
        tangshan = organisation_create(actor=None, code="130200", name="唐山市生态环境局",
                                       parent=hebei)  # fmt: skip
        zunhua = organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局",
                                     parent=tangshan)  # fmt: skip
        users = {
            "gc-coord": make_user("gc-coord", gaocheng, Role.COORDINATOR),
            "gc-leader": make_user("gc-leader", gaocheng, Role.LEADER),
            "gc-auditor": make_user("gc-auditor", gaocheng, Role.AUDITOR),
            "gc-inspector": make_user("gc-inspector", gaocheng, Role.INSPECTOR),
            "gc-admin": make_user("gc-admin", gaocheng, Role.SYSADMIN),
            "xl-coord": make_user("xl-coord", xinle, Role.COORDINATOR),
            "sjz-coord": make_user("sjz-coord", city, Role.COORDINATOR),
            "sjz-leader": make_user("sjz-leader", city, Role.LEADER),
            "sjz-auditor": make_user("sjz-auditor", city, Role.AUDITOR),
            "ts-coord": make_user("ts-coord", tangshan, Role.COORDINATOR),
            "zh-coord": make_user("zh-coord", zunhua, Role.COORDINATOR),
        }
    code = gaocheng.code
    with on(D(2026, 1, 12)):
        rows = [["统一社会信用代码", "单位名称", "排污许可管理类别", "重点排污单位", "大气绩效评级",
                 "经营状态"]]  # fmt: skip
        rows += [[uscc(i, code), f"重点{i}", "重点管理", "是", "B", "存续"] for i in range(1, 11)]
        rows += [[uscc(i, code), f"简化{i}", "简化管理", "否", "无", "存续"] for i in range(11, 31)]
        rows += [[uscc(i, code), f"登记{i}", "登记管理", "否", "无", "存续"] for i in range(31, 71)]
        rows += [[uscc(i, code), f"特殊{i}", "重点管理", "是", "C", "存续"] for i in range(71, 76)]
        load(TARGETS, rows, gaocheng)
        officers = [["姓名", "执法证号", "人员类别", "在编在岗", "参加执法工作年份"]]
        officers += [[f"藁城执法{k}", f"GC{k:03d}", "执法人员", "是", "2010"] for k in range(6)]
        load(INSPECTORS, officers, gaocheng)
    coordinator = users["gc-coord"]
    with on(D(2026, 1, 20)):
        plan = plan_generate(actor=coordinator, organisation=gaocheng, year=2026)
        plan_submit(actor=None, plan=plan)
        plan_approve(actor=users["gc-leader"], plan=plan)
        plan_publish(actor=coordinator, plan=plan)
    q1_task = plan.tasks.get(quarter=1)
    q1 = _drawn(coordinator, q1_task, D(2026, 2, 10))
    _checked(q1["KEY"][0], D(2026, 3, 5))
    with on(D(2026, 3, 10)):
        record_remove(actor=coordinator, instance=Target.objects.get(name="登记70"), reason="注销")
        record_remove(actor=coordinator, instance=Inspector.objects.get(certificate_no="GC005"),
                      reason="调离")  # fmt: skip
    with on(D(2026, 4, 8)):
        record_remove(actor=coordinator, instance=Target.objects.get(name="登记69"), reason="停产")
    return World(city, gaocheng, xinle, zunhua, q1_task, q1, users)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built in a transaction that stays open for the module and is rolled back at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        ),
        transaction.atomic(),
    ):
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)


def submit(world, day, period=Q1, comment="", hour=10):
    with on(day, hour):
        return upward_report_submit(
            actor=world.users["gc-coord"], organisation=world.gaocheng, period=period,
            comment=comment,
        )  # fmt: skip


def figures(report_or_table) -> dict[str, int]:
    """The 统计表's rows (section, label) → the 分局's figure, from the frozen JSON."""
    table = report_or_table.table if isinstance(report_or_table, UpwardReport) else report_or_table
    return {(row[0], row[1]): row[2] for row in table["rows"]}


def state(world, organisation, year, today):
    overview = upward_overview(world.city, year, today)
    row = next(r for r in overview.rows if r.organisation == organisation)
    return [(s.state, s.lateness) for s in row.quarters]


# ---- sending -----------------------------------------------------------------------------------


def test_a_quarter_is_sent_only_once_it_has_ended(world, db):
    """四、（四） 每季度结束后: on 31 March the first quarter cannot be sent yet, and the message
    says when it ends; from 1 April it can."""
    with pytest.raises(ValidationError) as refused:
        submit(world, D(2026, 3, 31), hour=23)
    assert refused.value.messages == [
        "2026 年第一季度尚未结束（2026 年 3 月 31 日结束），季度结束后才能报送上一季度的统计表。"
    ]
    assert not UpwardReport.objects.exists()
    report = submit(world, D(2026, 4, 1), hour=8)
    assert (report.version, report.status, report.period_label) == (
        1,
        "submitted",
        "2026 年第一季度",
    )
    assert report.parent == world.city
    assert AuditEvent.objects.filter(action="upward.submit", object_id=str(report.pk)).exists()


def test_the_report_is_frozen_as_sent(world, db):
    """The 市局 reads exactly what was sent: a check finished after sending changes today's
    统计表 but neither the report's table nor its workbook."""
    report = submit(world, D(2026, 4, 2))
    sent = figures(report)
    assert sent["抽查任务", "抽查任务数"] == 1
    assert sent["检查结果", "未发现问题"] == 1
    assert sent["按监管类别：重点监管对象", "应抽取（户）"] == 2  # 18 % × 10 → 2
    assert sent["按监管类别：重点监管对象", "已检查（户）"] == 1
    workbook = bytes(report.table_file)
    cells = CalamineWorkbook.from_filelike(io.BytesIO(workbook)).get_sheet_by_index(0).to_python()
    assert cells[1][0] == "填报单位：石家庄市生态环境局藁城区分局    统计期间：2026 年第 1 季度"

    _checked(world.q1["KEY"][1], D(2026, 4, 3))  # a Q1 check finished after the report
    now = period_content(world.gaocheng, Q1)
    assert figures(now.table_json())["检查结果", "未发现问题"] == 2
    report = UpwardReport.objects.get(pk=report.pk)
    assert figures(report) == sent and bytes(report.table_file) == workbook


def test_the_register_adjustments_of_the_quarter(world, db):
    """四、（四） 每季度统计报送需调整的检查人员库信息和检查对象名录信息: the quarter's additions
    (the import of 12 January) and removals with their reasons; the Q2 removal is not in Q1.
    The services run here outside a web request, so the history names no user (经办人 blank)."""
    report = submit(world, D(2026, 4, 9))
    adjustments = report.adjustments
    added = [a for a in adjustments if a["change"] == "新增"]
    assert len([a for a in added if a["register"] == "检查对象名录库"]) == 75
    assert len([a for a in added if a["register"] == "执法检查人员名录库"]) == 6
    assert {a["reason"] for a in added} == {"建库"} and {a["day"] for a in added} == {"2026-01-12"}
    removed = [(a["register"], a["name"], a["code"], a["day"], a["reason"], a["by"])
               for a in adjustments if a["change"] == "移出"]  # fmt: skip
    assert removed == [
        ("执法检查人员名录库", "藁城执法5", "GC005", "2026-03-10", "调离", ""),
        ("检查对象名录库", "登记70", uscc(70, "130182"), "2026-03-10", "注销", ""),
    ]
    sheet = bytes(report.adjustments_file)
    cells = CalamineWorkbook.from_filelike(io.BytesIO(sheet)).get_sheet_by_index(0).to_python()
    assert cells[0][0] == "检查人员库和检查对象名录调整信息"
    assert len([row for row in cells if row[2] == "移出"]) == 2
    assert any("检查对象名录库新增 75、恢复 0、移出 1" in str(row[0]) for row in cells)


def test_one_version_at_a_time(world, db):
    """A report awaiting the 市局 cannot be sent again; once accepted, never again."""
    submit(world, D(2026, 4, 2))
    with pytest.raises(ValidationError, match="正在等待上级审核，审核前不能再次报送"):
        submit(world, D(2026, 4, 3))
    report = UpwardReport.objects.get()
    upward_report_accept(actor=world.users["sjz-coord"], report=report)
    with pytest.raises(ValidationError, match="已被上级接收，不能再次报送"):
        submit(world, D(2026, 4, 4))
    assert UpwardReport.objects.count() == 1


def test_returned_with_a_comment_and_sent_again(world, db):
    """The 市局 returns a report with what to correct (no comment, no return); the 分局 sees the
    comment and sends a second version; the first stays as it was, both listed."""
    first = submit(world, D(2026, 4, 2))
    with pytest.raises(ValidationError, match="请写明退回的原因"):
        upward_report_return(actor=world.users["sjz-leader"], report=first, comment="  ")
    with on(D(2026, 4, 3)):
        upward_report_return(actor=world.users["sjz-leader"], report=first,
                             comment="重点监管对象检查数偏少，请核实后重报。")  # fmt: skip
    row = upward_branch(world.gaocheng, 2026, D(2026, 4, 3))
    q1 = row.quarters[0]
    assert (q1.state, q1.return_comment) == (RETURNED, "重点监管对象检查数偏少，请核实后重报。")
    assert q1.awaiting and not q1.blocked
    second = submit(world, D(2026, 4, 7), comment="已补录第二户检查结果")
    assert (second.version, second.status) == (2, "submitted")
    first.refresh_from_db()
    assert first.status == "returned"
    row = upward_branch(world.gaocheng, 2026, D(2026, 4, 7))
    assert [(v.version, v.status) for v in row.quarters[0].versions] == [
        (1, "returned"), (2, "submitted"),
    ]  # fmt: skip
    assert [(r.decision, r.comment) for r in first.reviews.all()] == [
        ("submitted", ""), ("returned", "重点监管对象检查数偏少，请核实后重报。"),
    ]  # fmt: skip


def test_who_may_send_and_review(world, db):
    """The 分局's 抽查管理员 sends; the 市局's 抽查管理员 or 领导 reviews; nobody else."""
    users = world.users
    for name in ("gc-leader", "sjz-coord", "xl-coord", "zh-coord"):
        with pytest.raises(PermissionDenied), on(D(2026, 4, 2)):
            upward_report_submit(actor=users[name], organisation=world.gaocheng, period=Q1)
    report = submit(world, D(2026, 4, 2))
    for name in ("gc-coord", "gc-leader", "ts-coord", "sjz-auditor"):
        with pytest.raises(PermissionDenied, match="只有接收单位的抽查管理员或领导"):
            upward_report_return(actor=users[name], report=report, comment="退回")
    upward_report_accept(actor=users["sjz-leader"], report=report)
    with pytest.raises(ValidationError, match="只有待审核的报送可以退回"):
        upward_report_return(actor=users["sjz-coord"], report=report, comment="退回")


def test_a_city_bureau_does_not_report(world, db):
    with pytest.raises(ValidationError, match="本单位不是有上级的分局"), on(D(2026, 4, 2)):
        upward_report_submit(actor=world.users["sjz-coord"], organisation=world.city, period=Q1)


# ---- who is late -------------------------------------------------------------------------------


def test_the_city_sets_a_deadline_and_sees_who_is_late(world, db):
    """The 市局 asks the first quarter by 15 April: on the 18th both 分局 are 逾期 3 天; 藁城
    sends on the 20th (逾期 5 天报送); the second quarter is not yet due."""
    with on(D(2026, 4, 1)):
        upward_deadlines_set(actor=world.users["sjz-coord"], organisation=world.city, year=2026,
                             quarters={1: D(2026, 4, 15), 2: None, 3: None, 4: None},
                             round_workdays=None)  # fmt: skip
    today = D(2026, 4, 18)
    late = ("未提交", "逾期 3 天")
    future = [(NOT_DUE, "")] * 3
    assert state(world, world.gaocheng, 2026, today) == [late, *future]
    assert state(world, world.xinle, 2026, today) == [late, *future]
    overview = upward_overview(world.city, 2026, today)
    assert (overview.counts, overview.late) == ({MISSING: 2}, 2)
    report = submit(world, D(2026, 4, 20))
    assert (report.deadline, report.deadline_basis) == (D(2026, 4, 15), "石家庄市生态环境局规定")
    assert state(world, world.gaocheng, 2026, D(2026, 4, 21))[0] == (SUBMITTED, "逾期 5 天报送")
    assert state(world, world.xinle, 2026, D(2026, 4, 21))[0] == ("未提交", "逾期 6 天")


def test_a_deadline_before_the_quarter_ends_is_refused(world, db):
    with pytest.raises(ValidationError) as refused, on(D(2026, 3, 1)):
        upward_deadlines_set(actor=world.users["sjz-coord"], organisation=world.city, year=2026,
                             quarters={1: D(2026, 3, 20), 2: None, 3: None, 4: None},
                             round_workdays=99)  # fmt: skip
    assert refused.value.message_dict == {
        "q1": ["第一季度的报送期限应在季度结束（2026 年 3 月 31 日）之后的一年内。"],
        "round_workdays": ["每轮的报送期限应为 1 至 60 个工作日。"],
    }
    with pytest.raises(PermissionDenied):
        upward_deadlines_set(actor=world.users["gc-coord"], organisation=world.city, year=2026,
                             quarters={}, round_workdays=None)  # fmt: skip


def test_without_the_city_the_plan_decides(world, db):
    """Without a day from the 市局: 藁城's 四、（四） asks the report (未提交) but names no deadline,
    so nobody is late; 新乐 has no plan asking it (未要求报送). Once 藁城 gives its reading of
    “每季度结束后” — 10 working days, a policy adjustment — Q1 falls due on 15 April 2026 (清明
    4 月 4–6 日 off) and on the 17th it is 逾期 2 天."""
    today = D(2026, 4, 17)
    assert state(world, world.gaocheng, 2026, today)[0] == (MISSING, "")
    assert state(world, world.xinle, 2026, today)[0] == (NOT_REQUIRED, "")
    policy = organisation_policy(world.gaocheng)
    with on(D(2026, 1, 21)):
        policy_value_set(actor=world.users["gc-coord"], policy=policy,
                         path="targets.quarterly_report",
                         value={"enabled": True, "per": "quarter", "workdays": 10},
                         since=D(2026, 1, 1), reason="季度结束后 10 个工作日内报送")  # fmt: skip
    row = upward_branch(world.gaocheng, 2026, today)
    q1 = row.quarters[0]
    assert q1.due.day == D(2026, 4, 15)
    assert q1.due.basis.endswith("季度结束后 10 个工作日内")
    assert (q1.state, q1.lateness) == (MISSING, "逾期 2 天")


# ---- rounds (绛县 五、（三）) ------------------------------------------------------------------


def test_a_round_is_sent_when_its_checks_are_over(world, db):
    """绛县 五、（三） 每次检查结束后…上报: a round (the checks of one task) can be sent once its
    检查时限 has passed or every check is done; its 统计表 counts that task's checks only. Here
    the Q1 task of 藁城, whose 检查时限 is the quarter's end; the 市局 asks each round within 5
    working days: 31 March + 5 = 8 April 2026 (清明 4 月 4–6 日 off)."""
    period = ReportPeriod(2026, task=world.q1_task)
    with pytest.raises(ValidationError, match="该轮检查尚未结束"):
        submit(world, D(2026, 3, 20), period)
    with on(D(2026, 3, 20)):
        upward_deadlines_set(actor=world.users["sjz-coord"], organisation=world.city, year=2026,
                             quarters={1: None, 2: None, 3: None, 4: None},
                             round_workdays=5)  # fmt: skip
    overview = upward_overview(world.city, 2026, D(2026, 4, 10))
    rounds = {r.organisation: r.rounds for r in overview.rows}
    (status,) = rounds[world.gaocheng]
    assert (status.due.day, status.state, status.lateness) == (D(2026, 4, 8), MISSING, "逾期 2 天")
    assert rounds[world.xinle] == []
    report = submit(world, D(2026, 4, 10), period)
    assert report.period_label == f"{world.q1_task.name}（{world.q1_task.number}）"
    sent = figures(report)
    assert sent["抽查任务", "抽查任务数"] == 1
    assert sent["按监管类别：重点监管对象", "已检查（户）"] == 1
    assert report.table["subtitle"].endswith(f"统计期间：{report.period_label}")


# ---- what awaits whom --------------------------------------------------------------------------


def test_the_home_page_lists_what_is_due(world, db):
    """The 分局's 抽查管理员 is told what to send (the late first) and what came back; the
    市局's 领导 what awaits review."""

    def labels(name, day):
        return {t.label: t for t in todos(world.users[name], day)}

    due = labels("gc-coord", D(2026, 4, 7))["待报送市局的统计表和名录调整"]
    assert (due.count, due.note, due.url) == (1, "2026 年第一季度", reverse("reports:upward"))
    with on(D(2026, 4, 1)):
        upward_deadlines_set(actor=world.users["sjz-coord"], organisation=world.city, year=2026,
                             quarters={1: D(2026, 4, 3), 2: None, 3: None, 4: None},
                             round_workdays=None)  # fmt: skip
    late = labels("gc-coord", D(2026, 4, 7))["已过报送期限、尚未报送市局的统计表"]
    assert (late.count, late.overdue) == (1, True)
    assert "下级报送的统计表待审核" not in labels("sjz-leader", D(2026, 4, 7))
    report = submit(world, D(2026, 4, 7))
    assert labels("sjz-leader", D(2026, 4, 7))["下级报送的统计表待审核"].count == 1
    assert labels("sjz-coord", D(2026, 4, 7))["下级报送的统计表待审核"].count == 1
    upward_report_return(actor=world.users["sjz-leader"], report=report, comment="请补充说明")
    back = labels("gc-coord", D(2026, 4, 8))["市局退回、待修改后重新报送"]
    assert (back.count, back.note) == (1, "2026 年第一季度")


# ---- kept for good -----------------------------------------------------------------------------


def test_a_sent_report_is_never_rewritten_nor_deleted(world, db):
    report = submit(world, D(2026, 4, 2))
    report.table = {"rows": []}
    with pytest.raises(FrozenReportError, match="已报送的统计表和名录调整不能修改"):
        report.save()
    with pytest.raises(PermanentRecordError, match="上报统计表属于执法档案"):
        UpwardReport.objects.all().delete()
    with pytest.raises(PermanentRecordError):
        report.delete()
    assert UpwardReport.objects.count() == 1


@pytest.mark.postgres
def test_postgres_keeps_what_was_sent(world, db):
    """Below the application too: the sent content cannot be changed in SQL, nor a report or its
    review log deleted; its review state can change."""
    report = submit(world, D(2026, 4, 2))
    with connection.cursor() as cursor:
        for sql in (
            "UPDATE reports_upwardreport SET adjustments = '[]'",
            "UPDATE reports_upwardreport SET table_file = ''",
            "DELETE FROM reports_upwardreport",
            "UPDATE reports_upwardreview SET comment = 'x'",
            "DELETE FROM reports_upwardreview",
        ):
            with pytest.raises(IntegrityError, match="属于执法档案"), transaction.atomic():
                cursor.execute(sql)
        cursor.execute("UPDATE reports_upwardreport SET status = 'accepted'")
    report.refresh_from_db()
    assert report.status == "accepted" and len(report.adjustments) == 83


# ---- pages -------------------------------------------------------------------------------------


def test_pages_by_role_and_organisation(world, db, client):
    """Readers of the 分局 and of its 市局 open the report; another city's bureau gets 404, an
    inspector or a 系统管理员 403; only the 市局's reviewers may return it."""
    report = submit(world, D(2026, 4, 2))
    detail = reverse("reports:upward_detail", args=[report.pk])
    returned = reverse("reports:upward_return", args=[report.pk])
    expected = {"gc-coord": 200, "gc-leader": 200, "gc-auditor": 200, "sjz-coord": 200,
                "sjz-leader": 200, "sjz-auditor": 200, "gc-inspector": 403, "gc-admin": 403,
                "ts-coord": 404, "zh-coord": 404, "xl-coord": 404}  # fmt: skip
    for name, status in expected.items():
        client.force_login(world.users[name])
        assert client.get(detail).status_code == status, name
    for name, status in {"gc-coord": 403, "sjz-auditor": 403, "ts-coord": 404}.items():
        client.force_login(world.users[name])
        assert client.post(returned, {"return-comment": "退回"}).status_code == status, name
    report.refresh_from_db()
    assert report.status == "submitted"


def test_the_city_page_and_the_frozen_download(world, db, client):
    report = submit(world, D(2026, 4, 2))
    client.force_login(world.users["sjz-leader"])
    page = client.get(reverse("reports:upward"), {"year": 2026}).content.decode()
    assert "石家庄市生态环境局藁城区分局" in page and "石家庄市生态环境局新乐市分局" in page
    assert SUBMITTED in page
    response = client.get(reverse("reports:upward_table_file", args=[report.pk]))
    assert response.content == bytes(report.table_file)
    assert "130182-2026Q1-%E7%BB%9F%E8%AE%A1%E8%A1%A8.xlsx" in response["Content-Disposition"]
    response = client.post(reverse("reports:upward_return", args=[report.pk]),
                           {"return-comment": ""})  # fmt: skip
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"  # no comment, no return


# ---- the 市局's page reads the same whatever the number of 分局 ---------------------------------


def _city_with(province, code: str, branches: int):
    with on(D(2026, 1, 5)):
        city = organisation_create(actor=None, code=code, name=f"{code}市生态环境局",
                                   parent=province)  # fmt: skip
        for n in range(1, branches + 1):
            branch = organisation_create(actor=None, code=f"{code[:4]}{n:02d}",
                                         name=f"{code}市第{n}分局", parent=city,
                                         policy_preset="gaocheng-2026")  # fmt: skip
            coordinator = make_user(f"coord-{branch.code}", branch, Role.COORDINATOR)
            with on(D(2026, 4, 2)):
                upward_report_submit(actor=coordinator, organisation=branch, period=Q1)
        leader = make_user(f"leader-{code}", city, Role.LEADER)
    with on(D(2026, 4, 1)):
        upward_deadlines_set(actor=None, organisation=city, year=2026,
                             quarters={1: D(2026, 4, 15), 2: None, 3: None, 4: None},
                             round_workdays=3)  # fmt: skip
    return city, leader


def test_the_city_page_reads_a_fixed_number_of_queries(world, db, client,
                                                       django_assert_max_num_queries):  # fmt: skip
    """Each kind of row is read once for all the 分局 of the 市局: one 分局 or six, the same."""
    counted = {}
    for code, branches in (("131000", 1), ("131100", 6)):
        city, leader = _city_with(world.city.parent, code, branches)
        # The log keeps the last 9000 queries: building the world filled it.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as selector:
            overview = upward_overview(city, 2026, D(2026, 4, 20))
            assert [s.state for row in overview.rows for s in row.quarters[:1]] == [
                SUBMITTED
            ] * branches
        client.force_login(leader)
        client.get("/")  # the menu's counts are read once per change
        connection.queries_log.clear()
        with django_assert_max_num_queries(25), CaptureQueriesContext(connection) as page:
            response = client.get(reverse("reports:upward"), {"year": 2026})
        assert response.content.decode().count(f"{code}市第") >= branches
        counted[branches] = (len(selector), len(page))
    assert counted[1] == counted[6]
