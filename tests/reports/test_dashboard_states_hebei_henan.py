"""The 监管工作看板 of 遵化 (zunhua-2024), 保定 (baoding-2021) and 获嘉 (huojia-2024) over a year
whose quarters differ (issue 18): every check's state and figures, computed by hand below from
the plan's clause and what the bureau did.

Each county is built once for the module through the services (registers, a published plan,
draws committed, executed and revealed, results recorded and submitted, 全覆盖 checks, 回访,
policy adjustments), each step on the clock of its day in 2025 (``shuangsuiji_demo.year.clock``),
so every stored time is the one a bureau working through 2025 would have written:

- 第 1 季度: no work at all (the published plan's task is never drawn);
- 第 2 季度: partial work (a draw, some checks done, some never, a result entered late);
- 第 3 季度: everything the plan asks of a quarter.

The boards are read with ``today`` after the year end (2026-01-20), so every period is over, and
once inside 第 2 季度 for a 进行中 state. Checks the plan measures over the year (遵化 二、（三）
85 %, 保定 三、（四） and 三、（一） 一般排污单位, 获嘉 二 60 %) read the year's figure, marked
（全年）, on each quarter's board.

Every register unit sits in the one 执法片区 of its two or four officers, so the draw's matching
(draw-spec "Matching inspectors": a senior lead, then a non-senior first) fixes each team.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.registers import INSPECTORS, ITEMS, TARGETS
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import RecordData, inspection_record_save, inspection_submit
from shuangsuiji.policy.engine import GRADED_BASIS
from shuangsuiji.reports.compliance import ABSENT, BAD, OK, RUNNING, dashboard
from shuangsuiji.reports.facts import Month
from shuangsuiji_demo.year import clock
from tests.support.county import load
from tests.support.portal import SOURCES, VALUES, team_user
from tests.support.tree import adopt_preset, build_organisations, make_user
from tests.support.workbooks import id_number, uscc
from tests.test_demo import SHANGHAI, demo_database

YEAR = 2025
AFTER = dt.date(2026, 1, 20)  # after the year end: every quarter of 2025 is over
AREA = "第一中队"
ITEM = [1, "污染源环境监管", "排污单位污染物排放及污染防治设施检查", "排污单位", "一般检查事项",
        "现场检查、非现场检查", "", "《环境保护法》第二十四条", "水、大气", "否"]  # fmt: skip
SENIORS = [("老甲", "综合执法大队", 2010), ("老乙", "综合执法大队", 2012)]
JUNIORS = [("新丙", "大气环境科", 2024), ("新丁", "大气环境科", 2024)]
WEIGHTS = {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}


def day(month: int, day_: int) -> dt.date:
    return dt.date(YEAR, month, day_)


@contextmanager
def on(date: dt.date, hour: int = 10):
    """Run the block on ``date`` (Asia/Shanghai): ``timezone.now()`` and every stored time."""
    with clock(dt.datetime.combine(date, dt.time(hour), tzinfo=SHANGHAI)):
        yield


def check(inspection, checked, determined=None, *, submitted=None, method="现场检查"):
    """The team checks on ``checked``, the result is determined on ``determined`` (that day by
    default) and submitted on ``submitted`` (the determination day by default)."""
    inspection = Inspection.objects.get(pk=inspection.pk)
    user = team_user(inspection, make_user)
    determined = determined or checked
    with on(checked, 15):
        data = RecordData(
            checked_at=timezone.now(),
            method_used=method,
            representative="王厂长",
            present_members=tuple(m.inspector.certificate_no for m in inspection.members.all()),
            result_category=ResultCategory.NO_PROBLEM,
            findings="污染防治设施运行正常（内部记录）。",
            public_summary="未发现问题",
            determined_on=determined,
        )
        outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
        inspection_record_save(actor=user, inspection=inspection, data=data, outcomes=outcomes)
    with on(submitted or determined, 16):
        return inspection_submit(actor=user, inspection=inspection)


def officers(rows, code: str) -> list[list]:
    """Inspector register rows from (姓名, 所属部门, 参加执法工作年份), all in ``AREA``."""
    header = ["姓名", "执法证号", "身份证号", "所属部门", "执法片区", "参加执法工作年份",
              "人员类别", "在编在岗"]  # fmt: skip
    return [header] + [
        [name, f"{code}{n:04d}", id_number(n), department, AREA, str(start), "执法人员", "是"]
        for n, (name, department, start) in enumerate(rows, start=1)
    ]


@dataclass
class County:
    """One county's year through the services."""

    organisation: object
    coordinator: object = None
    leader: object = None
    plan: object = None
    draws: dict = field(default_factory=dict)
    #: Named inspections and units, for the drill-down assertions.
    named: dict = field(default_factory=dict)

    @classmethod
    def start(cls, organisation, targets, inspectors):
        county = cls(organisation)
        item = [*ITEM[:6], organisation.name, *ITEM[7:]]
        with on(day(1, 2), 9):
            load(TARGETS, targets, organisation)
            load(INSPECTORS, officers(inspectors, organisation.code), organisation)
            load(ITEMS, [ITEMS.headers, item], organisation)
            code = organisation.code
            county.coordinator = make_user(f"coord-{code}", organisation, Role.COORDINATOR)
            county.leader = make_user(f"leader-{code}", organisation, Role.LEADER)
        return county

    def make_plan(self, joint_quarters=(), partners=(), added=()):
        """Generated in January, joint tasks marked and added in the draft, approved, published."""
        from shuangsuiji.planning.models import SamplingTask
        from shuangsuiji.planning.plans import (
            plan_approve,
            plan_generate,
            plan_publish,
            plan_submit,
            task_add,
            task_update,
        )

        with on(day(1, 6)):
            self.plan = plan_generate(actor=self.coordinator, organisation=self.organisation,
                                      year=YEAR)  # fmt: skip
            for task in self.plan.tasks.filter(quarter__in=joint_quarters):
                task_update(actor=self.coordinator, task=task,
                            scope=SamplingTask.Scope.DEPARTMENT_JOINT, partners=list(partners),
                            lead_department=self.organisation.name)  # fmt: skip
            for spec in added:
                self.named[spec["name"]] = task_add(actor=self.coordinator, plan=self.plan, **spec)
        with on(day(1, 8)):
            plan_submit(actor=None, plan=self.plan)
            plan_approve(actor=self.leader, plan=self.plan)
        with on(day(1, 10)):
            plan_publish(actor=self.coordinator, plan=self.plan)

    def draw(self, task, drawn_on, reveal_on):
        from shuangsuiji.acts.draws import draw_commit, draw_execute

        if isinstance(task, int):
            task = self.plan.tasks.get(quarter=task, sequence__lte=4)
        with on(drawn_on, 9):
            draw = draw_commit(actor=self.coordinator, task=task, sources=SOURCES,
                               reveal_on=reveal_on)  # fmt: skip
        with on(drawn_on, 11):
            return draw_execute(actor=self.coordinator, draw=draw, values=VALUES)

    def reveal(self, draw, revealed_on):
        from shuangsuiji.acts.draws import draw_reveal

        with on(revealed_on):
            return draw_reveal(actor=self.coordinator, draw=draw)

    def policy(self, path, value, since, reason):
        from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

        with on(max(since, day(1, 2)), 8):
            policy_value_set(actor=self.coordinator, policy=organisation_policy(self.organisation),
                             path=path, value=value, since=since, reason=reason)  # fmt: skip

    def coverage(self, quarter, arranged_on):
        """遵化 二、（五）: the quarter's 全覆盖 checks of the 正面清单, staffed by hand."""
        from shuangsuiji.inspections.creation import (
            coverage_inspections_create,
            inspection_assign_team,
        )

        task = self.plan.tasks.get(quarter=quarter, sequence__lte=4)
        with on(arranged_on):
            created = coverage_inspections_create(actor=self.coordinator, task=task)
            team = list(self.organisation.inspectors.order_by("certificate_no")[:2])
            for inspection in created:
                inspection_assign_team(actor=self.coordinator, inspection=inspection,
                                       inspectors=team, reason="正面清单非现场全覆盖检查")  # fmt: skip
        return sorted(created, key=lambda i: i.target.name)


def by_class(draw) -> dict[str, list[Inspection]]:
    found: dict[str, list[Inspection]] = {}
    for inspection in draw.inspections.order_by("pk"):
        found.setdefault(inspection.stratum, []).append(inspection)
    return found


def build_zunhua(organisation) -> County:
    """遵化: 2 特殊 (其他高风险), 4 重点 (重点管理), 2 正面清单, 20 一般; two senior officers of the
    综合执法大队 until two juniors of the 大气环境科 join on 2025-07-01; one item of two lines."""
    with on(day(1, 2), 8):
        adopt_preset(organisation, "zunhua-2024")
    header = ["统一社会信用代码", "单位名称", "排污许可管理类别", "正面清单", "其他高风险",
              "执法片区", "经营状态"]  # fmt: skip
    rows = [header]
    rows += [[uscc(i), f"特殊{i}", "简化管理", "否", "是", AREA, "存续"] for i in (1, 2)]
    rows += [[uscc(i), f"重点{i}", "重点管理", "否", "否", AREA, "存续"] for i in range(11, 15)]
    rows += [[uscc(i), f"正面清单{i}", "简化管理", "是", "否", AREA, "存续"] for i in (21, 22)]
    rows += [[uscc(i), f"一般{i}", "登记管理", "否", "否", AREA, "存续"] for i in range(31, 51)]
    county = County.start(organisation, rows, SENIORS)
    county.make_plan()
    # 第 2 季度: drawn without grading weights; 一般 never checked; one 正面清单 unit of two.
    q2 = county.draws[2] = county.draw(2, day(4, 15), reveal_on=day(6, 30))
    drawn = by_class(q2)
    covered, missed = county.coverage(2, day(4, 20))
    check(drawn["SPECIAL"][0], day(5, 6))
    check(covered, day(5, 20), method="非现场检查")
    check(drawn["KEY"][0], day(6, 16))
    county.reveal(q2, day(7, 1))
    county.named.update(q2_special=drawn["SPECIAL"][0], q2_key=drawn["KEY"][0],
                        q2_general=drawn["GENERAL"][0], q2_covered=covered,
                        q2_missed=missed)  # fmt: skip
    # 第 3 季度: two juniors of another unit join; the bureau sets the grading weights.
    with on(day(7, 1), 8):
        load(INSPECTORS, officers(SENIORS + JUNIORS, organisation.code), organisation)
    county.policy("grading", {"weights": WEIGHTS}, day(7, 1), "局务会确定各信用等级抽取权重")
    q3 = county.draws[3] = county.draw(3, day(7, 15), reveal_on=day(9, 30))
    coverage = county.coverage(3, day(7, 16))
    for inspection in q3.inspections.all():
        check(inspection, day(7, 22))
    county.reveal(q3, day(7, 25))
    for inspection in coverage:
        check(inspection, day(8, 5), method="非现场检查")
    return county


def build_baoding(province) -> County:
    """保定: 2 特殊 (其他高风险), 10 重点排污单位, 20 一般; two senior officers."""
    from shuangsuiji.acts.organisations import organisation_create
    from shuangsuiji.planning.models import SamplingTask

    with on(day(1, 2), 8):
        organisation = organisation_create(actor=None, code="130600", name="保定市生态环境局",
                                           parent=province, policy_preset="baoding-2021")  # fmt: skip
    header = ["统一社会信用代码", "单位名称", "重点排污单位", "其他高风险", "执法片区", "经营状态"]
    rows = [header]
    rows += [[uscc(i, "130600"), f"特殊{i}", "否", "是", AREA, "存续"] for i in (1, 2)]
    rows += [[uscc(i, "130600"), f"重点{i}", "是", "否", AREA, "存续"] for i in range(11, 21)]
    rows += [[uscc(i, "130600"), f"一般{i}", "否", "否", AREA, "存续"] for i in range(31, 51)]
    county = County.start(organisation, rows, SENIORS)
    added = {"name": "2025 年危险化学品使用单位部门联合随机抽查", "quarter": 3, "classes": ["KEY"],
             "scope": SamplingTask.Scope.DEPARTMENT_JOINT, "partners": ["保定市应急管理局"],
             "sample": {"ratio": "10%"}}  # fmt: skip
    county.make_plan(joint_quarters=(2, 3), partners=["保定市市场监督管理局"], added=[added])
    # 第 2 季度: the list revealed on 06-30, its checks still open (the latest day the plan
    # allows); one 一般 entered on 07-10; two 一般 never checked.
    q2 = county.draws[2] = county.draw(2, day(4, 15), reveal_on=day(6, 30))
    drawn = by_class(q2)
    check(drawn["SPECIAL"][0], day(4, 21))
    check(drawn["KEY"][0], day(5, 12))
    county.reveal(q2, day(6, 30))
    check(drawn["GENERAL"][0], day(5, 20), submitted=day(7, 10))
    county.named.update(q2_late=drawn["GENERAL"][0], q2_open=drawn["GENERAL"][1:])
    # 第 3 季度: both tasks drawn and checked; two 一般 determined on 08-11, the list revealed
    # the day after, once every check is done.
    q3 = county.draws[3] = county.draw(3, day(7, 15), reveal_on=day(9, 30))
    joint = county.draws["joint"] = county.draw(county.named[added["name"]], day(7, 16),
                                                reveal_on=day(9, 30))  # fmt: skip
    drawn = by_class(q3)
    for inspection in [*drawn["SPECIAL"], *drawn["KEY"], drawn["GENERAL"][0]]:
        check(inspection, day(7, 21))
    for inspection in joint.inspections.all():
        check(inspection, day(7, 21))
    county.reveal(joint, day(7, 25))
    for inspection in drawn["GENERAL"][1:]:
        check(inspection, day(8, 11))
    county.reveal(q3, day(8, 12))
    return county


def build_huojia(province) -> County:
    """获嘉: 2 特殊 (其他高风险), 4 重点 (重点管理), 20 一般; two senior officers; the bureau
    sets the 特殊 ratio at 50 % (附件 “根据实际自行设定”)."""
    from shuangsuiji.acts.organisations import organisation_create
    from shuangsuiji.inspections.services import revisit_record, revisit_sample

    with on(day(1, 2), 8):
        organisation = organisation_create(actor=None, code="410724",
                                           name="新乡市生态环境局获嘉分局", parent=province,
                                           policy_preset="huojia-2024")  # fmt: skip
    header = ["统一社会信用代码", "单位名称", "排污许可管理类别", "其他高风险", "执法片区",
              "经营状态"]  # fmt: skip
    rows = [header]
    rows += [[uscc(i, "410724"), f"特殊{i}", "登记管理", "是", AREA, "存续"] for i in (1, 2)]
    rows += [[uscc(i, "410724"), f"重点{i}", "重点管理", "否", AREA, "存续"] for i in range(11, 15)]
    rows += [[uscc(i, "410724"), f"一般{i}", "登记管理", "否", AREA, "存续"] for i in range(31, 51)]
    county = County.start(organisation, rows, SENIORS)
    reason = "局务会确定特殊监管对象抽查比例"
    county.policy("classes.SPECIAL.quota", {"ratio": "50%"}, day(1, 1), reason)
    county.make_plan(joint_quarters=(2, 3, 4), partners=["获嘉县市场监督管理局"])
    # 第 2 季度: 特殊, 重点 and 6 of the 12 一般 checked; the 回访 drawn, never made.
    q2 = county.draws[2] = county.draw(2, day(4, 15), reveal_on=day(6, 30))
    drawn = by_class(q2)
    for inspection in [*drawn["SPECIAL"], *drawn["KEY"], *drawn["GENERAL"][:6]]:
        check(inspection, day(5, 12))
    county.reveal(q2, day(6, 30))
    with on(day(7, 3)):
        county.named["q2_revisits"] = revisit_sample(actor=county.coordinator, draw=q2)
    # 第 3 季度: everything checked, revealed, the 回访 drawn and made.
    q3 = county.draws[3] = county.draw(3, day(7, 15), reveal_on=day(9, 30))
    for inspection in q3.inspections.all():
        check(inspection, day(7, 21))
    county.reveal(q3, day(7, 25))
    with on(day(7, 28)):
        revisits = county.named["q3_revisits"] = revisit_sample(actor=county.coordinator, draw=q3)
    with on(day(8, 5)):
        for revisit in revisits:
            revisit_record(actor=county.coordinator, revisit=revisit, form="phone",
                           done_on=day(8, 5), opinions="企业对检查过程满意。")  # fmt: skip
    return county


@pytest.fixture(scope="module")
def counties(django_db_setup, django_db_blocker, tmp_path_factory):
    """The three counties' 2025, built once for the module and rolled back after it."""
    start = dt.datetime(YEAR, 1, 2, 8, tzinfo=SHANGHAI)
    with demo_database(start, tmp_path_factory.mktemp("data"), django_db_blocker):
        tree = build_organisations()
        yield {
            "zunhua": build_zunhua(tree["a"]),
            "baoding": build_baoding(tree["province"]),
            "huojia": build_huojia(tree["province"]),
        }


def figures(board) -> dict[str, tuple[str, str, str]]:
    return {c.key: (c.state, c.required, c.actual) for c in board.checks}


def boards(county, today=AFTER):
    return {q: dashboard(county.organisation, YEAR, q, today=today) for q in (1, 2, 3)}


# ---- 遵化 ---------------------------------------------------------------------------------------


def test_zunhua_quarters(db, counties):
    """遵化 2024 plan, in force for 2025.

    Quotas (二、（五）, ZH-2.5, per quarter, rounded up — “至少”): 特殊 50 % × 2 = 1; 重点
    25 % × 4 = 1; 正面清单外一般 3 % × 20 = 0.6 → 1; 正面清单 2 units, 非现场, 全覆盖 each quarter.
    内部联合 ≥ 35 % a quarter (二、（二）, ZH-2.2); 运用信用风险分级 ≥ 85 % (二、（三）, ZH-2.3b,
    per year by the preset's default); inspections by the quarter's end (二、（五） default);
    results published within 20 working days of determination (default from 绛县 四、（七）).

    第 1 季度, nothing done: each class 0 drawn of 1 → 未开展; 正面清单 row still there, 0 of 2
    checked → 未开展; 内部联合 0/0, 按期完成 and 按期公示 nothing → 未开展.

    第 2 季度: 特殊 (checked 05-06) and 重点 (06-16) done, 一般 drawn and never checked → 特殊,
    重点 达标, 一般 1 drawn 0 checked 未达标. 正面清单: 2 arranged, 1 checked → 未达标. Teams are
    the two seniors of one unit (综合执法大队), items 水、大气 → 0/3 内部联合, 未达标. Deadline
    06-30: 特殊, 重点 and 正面清单21 on time, 一般 and 正面清单22 still open after it → 按期 3，
    逾期 2. Publication: 特殊 determined 05-06 (due 06-04), published with the list on 07-01 (39
    working days) → late; 重点 determined 06-16, published 07-01 (11 working days) and 正面清单21
    published at submission on 05-20 → on time: 按期 2，逾期 1.

    第 3 季度: 3 drawn and checked on 07-22, published 07-25; both 正面清单 checked 08-05 → all
    classes 达标. Teams = a senior (综合执法大队) and a junior (大气环境科), items 水、大气 → 3/3.
    Deadline 09-30: 5 on time; publication: 5 on time.

    Year (each board, （全年）): the whole is every check of the year: 随机 3 + 3, 全覆盖 2 + 2 → 10;
    graded are only the 第 3 季度 draw's 3, committed after the weights were set → 3/10 (30 %),
    under 85 % → 未达标.
    """
    q1, q2, q3 = (figures(b) for b in boards(counties["zunhua"]).values())
    deadline = "本季度末（全年任务为年底）前完成检查"
    year = (BAD, "≥ 85%", "3/10（30%）")
    assert q1 == {
        "class:SPECIAL": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:GENERAL_POSITIVE": (ABSENT, "全覆盖 2 户（非现场检查）", "已检查 0 户，未检查 2 户"),
        "class:KEY": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:GENERAL": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "internal_joint_share": (ABSENT, "≥ 35%", "0/0"),
        "credit_risk_share": year,
        "inspection_deadline": (ABSENT, deadline, "按期 0，逾期 0，未到期 0"),
        "result_publication_workdays": (ABSENT, "认定后 20 个工作日内", "按期 0，逾期 0，未到期 0"),
    }
    assert q2 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL_POSITIVE": (BAD, "全覆盖 2 户（非现场检查）", "已检查 1 户，未检查 1 户"),
        "class:KEY": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL": (BAD, "应抽取 1 户", "抽取 1 户，已检查 0 户"),
        "internal_joint_share": (BAD, "≥ 35%", "0/3（0%）"),
        "credit_risk_share": year,
        "inspection_deadline": (BAD, deadline, "按期 3，逾期 2，未到期 0"),
        "result_publication_workdays": (BAD, "认定后 20 个工作日内", "按期 2，逾期 1，未到期 0"),
    }
    assert q3 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL_POSITIVE": (OK, "全覆盖 2 户（非现场检查）", "已检查 2 户，未检查 0 户"),
        "class:KEY": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "internal_joint_share": (OK, "≥ 35%", "3/3（100%）"),
        "credit_risk_share": year,
        "inspection_deadline": (OK, deadline, "按期 5，逾期 0，未到期 0"),
        "result_publication_workdays": (OK, "认定后 20 个工作日内", "按期 5，逾期 0，未到期 0"),
    }


def test_zunhua_positive_list_row_lists_the_units_not_covered(db, counties):
    """ZH-2.5 二、（五） 正面清单 非现场 每季度全覆盖: the row is there in a quarter where no 全覆盖
    check was even arranged (未开展), listing both units; in 第 2 季度 the one not checked."""
    county = counties["zunhua"]
    q1, q2, q3 = (b.check("class:GENERAL_POSITIVE") for b in boards(county).values())
    listed = {
        county.named["q2_covered"].target_id: "正面清单21",
        county.named["q2_missed"].target_id: "正面清单22",
    }
    assert set(listed.values()) == {"正面清单21", "正面清单22"}
    assert q1.rows.kind == "targets" and set(q1.rows.ids) == set(listed)
    assert set(q1.rows.notes.values()) == {"第 1 季度未检查"}
    assert q2.rows.ids == (county.named["q2_missed"].target_id,)
    assert q2.rows.notes == {county.named["q2_missed"].target_id: "第 2 季度未检查"}
    assert q3.rows.ids == ()


def test_zunhua_internal_joint_needs_two_units_not_two_tags(db, counties):
    """ZH-2.2 二、（二） 内部联合: 第 2 季度's checks carry items of two lines (水、大气) but their
    teams come from one unit (综合执法大队): tags alone do not make them 内部联合 (0/3). In 第 3
    季度 each team has a 综合执法大队 lead and a 大气环境科 member, with the same two lines: 3/3."""
    county = counties["zunhua"]
    notes = (
        (2, 0, "非内部联合：1 个部门，2 个业务条线"),
        (3, 3, "内部联合：2 个部门，2 个业务条线"),
    )
    for quarter, joint, note in notes:
        draw = county.draws[quarter]
        for inspection in draw.inspections.all():
            assert {t for i in inspection.items.all() for t in i.tag_list} == {"水", "大气"}
            departments = {m.inspector.department for m in inspection.members.all()}
            assert len(departments) == (1 if quarter == 2 else 2), departments
            assert inspection.internal_joint is (quarter == 3)
        verdict = dashboard(county.organisation, YEAR, quarter, today=AFTER).check(
            "internal_joint_share"
        )
        ids = set(draw.inspections.values_list("pk", flat=True))
        assert verdict.actual.startswith(f"{joint}/3")
        assert set(verdict.rows.ids) == ids and set(verdict.rows.notes.values()) == {note}


def test_zunhua_credit_share_counts_only_draws_with_grading_weights(db, counties):
    """ZH-2.3b 二、（三） ≥ 85 %: a draw counts as using the grading only where its frozen
    parameters say it was weighted by 信用等级 — the 第 3 季度 draw, committed after the bureau set
    the weights on 07-01. The 第 2 季度 draw (no weights yet) and the four 全覆盖 checks count in
    the whole only: 3/10."""
    county = counties["zunhua"]
    q2, q3 = county.draws[2], county.draws[3]
    assert GRADED_BASIS not in q2.params and GRADED_BASIS in q3.params
    verdict = dashboard(county.organisation, YEAR, 3, today=AFTER).check("credit_risk_share")
    graded = set(q3.inspections.values_list("pk", flat=True))
    every = Inspection.objects.counted(YEAR, county.organisation).values_list("pk", flat=True)
    assert verdict.period == "2025 年全年" and verdict.label.endswith("（全年）")
    assert set(verdict.rows.ids) == set(every) and len(every) == 10
    assert {pk for pk, note in verdict.rows.notes.items() if note == "按信用等级加权抽取"} == graded


def test_zunhua_quarter_still_running(db, counties):
    """Inside 第 2 季度 (2025-06-20) the shortfalls can still be made up: 内部联合 0/3 and the 一般
    class not yet checked read 进行中, not 未达标; the checks already done read 达标."""
    found = figures(dashboard(counties["zunhua"].organisation, YEAR, 2, today=day(6, 20)))
    assert found["internal_joint_share"] == (RUNNING, "≥ 35%", "0/3（0%）")
    assert found["class:GENERAL"] == (RUNNING, "应抽取 1 户", "抽取 1 户，已检查 0 户")
    assert found["class:KEY"][0] == OK


# ---- 保定 ---------------------------------------------------------------------------------------


def test_baoding_quarters(db, counties):
    """保定 2021 plan, in force for 2025.

    Quotas (三、（一）, BD-3.1): 特殊 50 % × 2 = 1 a quarter; 重点排污单位 10 % × 10 = 1 a quarter;
    一般排污单位 1:5 a year: 2 officers × 5 = 10 a year, split over four quarters, 10 ÷ 4 → 3 a
    quarter (the preset's note), measured over the year: the four quarters' 3 + 3 + 3 + 3 = 12
    (the 第 2 and 第 3 季度 frozen at their draws, 第 1 and 第 4 季度 computed from the register,
    undrawn) against 6 drawn, 4 checked → 未达标 on every board. 部门联合 ≥ 3 a year (三、（四）,
    BD-3.4): the 第 2 and 第 3 季度 tasks (with 市场监管局) and a task added to the draft for 第 3
    季度 (with 应急管理局), all drawn → 3 → 达标. Monthly publication (二, BD-2): each month's
    batch carries the results determined the month before. Deadline: quarter end (三、（三）,
    BD-3.3c); publication within 20 working days (default).

    第 1 季度: nothing → 特殊, 重点 未开展, 按期完成, 按期公示 and 每月公示 (no month due) 未开展.

    第 2 季度: 特殊 checked 04-21, 重点 05-12; two 一般 never checked, so the list may be revealed
    only on its 最迟公开日期 06-30, the quarter's end (issue 19 §5), and both results wait for
    it; one 一般 checked 05-20 but entered and submitted only on 07-10 (published then). 特殊,
    重点 达标. Deadline 06-30: 3 checked by it (the late entry was checked on 05-20), 2 open →
    按期 3，逾期 2. Working days: 04-21 → 06-30 and 05-12 → 06-30 are over 20 (due 05-21 and
    06-10), 05-20 → 07-10 is 36 (due 06-18): 按期 0，逾期 3. Months: May's batch (April results)
    published 06-30 → missing; June's (May results): 2, one published 06-30, one 07-10 → June
    missing: 2 months, 2 missing.

    第 3 季度: 特殊, 重点, one 一般 and the joint task's 重点 checked 07-21, the joint list
    published 07-25 (4 working days); two 一般 determined 08-11, the list revealed 08-12 (16
    working days after 07-21) → 重点 required 1 + 1 (both draws' frozen quotas), 2 drawn and
    checked. Deadline: 6 on time; 6 published on time; months August (4 July results) and
    September (2 August results) both on time.
    """
    q1, q2, q3 = (figures(b) for b in boards(counties["baoding"]).values())
    deadline = "本季度末（全年任务为年底）前完成检查"
    general = (BAD, "应抽取 12 户", "抽取 6 户，已检查 4 户")
    joint = (OK, "≥ 3 次/年", "3 次")
    monthly = "有结果应公示的月份，当月公示完毕"

    def months(due: int, missing: int) -> str:
        return f"应公示的月份 {due} 个，缺失 {missing} 个，未到期 0 个"

    workdays = "认定后 20 个工作日内"
    assert q1 == {
        "class:SPECIAL": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:KEY": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:GENERAL": general,
        "department_joint_count": joint,
        "inspection_deadline": (ABSENT, deadline, "按期 0，逾期 0，未到期 0"),
        "result_publication_workdays": (ABSENT, workdays, "按期 0，逾期 0，未到期 0"),
        "result_publication_monthly": (ABSENT, monthly, months(0, 0)),
    }
    assert q2 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL": general,
        "department_joint_count": joint,
        "inspection_deadline": (BAD, deadline, "按期 3，逾期 2，未到期 0"),
        "result_publication_workdays": (BAD, workdays, "按期 0，逾期 3，未到期 0"),
        "result_publication_monthly": (BAD, monthly, months(2, 2)),
    }
    assert q3 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 2 户", "抽取 2 户，已检查 2 户"),
        "class:GENERAL": general,
        "department_joint_count": joint,
        "inspection_deadline": (OK, deadline, "按期 6，逾期 0，未到期 0"),
        "result_publication_workdays": (OK, workdays, "按期 6，逾期 0，未到期 0"),
        "result_publication_monthly": (OK, monthly, months(2, 0)),
    }


def test_baoding_monthly_publication_lists_each_month(db, counties):
    """BD-2 二 每月向社会公示随机抽查结果: the drill-down lists each month with results due in its
    batch (determined the month before), how many were published in it and how many late."""
    county = counties["baoding"]
    q1, q2, q3 = (b.check("result_publication_monthly") for b in boards(county).values())
    assert q1.rows.kind == "months" and q1.rows.months == ()
    # Month(year, month, due, on_time, late, pending)
    assert q2.rows.months == (Month(2025, 5, 1, 0, 1, 0), Month(2025, 6, 2, 1, 1, 0))
    assert [m.label for m in q2.rows.months] == ["2025 年 5 月", "2025 年 6 月"]
    assert q3.rows.months == (Month(2025, 8, 4, 4, 0, 0), Month(2025, 9, 2, 2, 0, 0))
    late = dashboard(county.organisation, YEAR, 2, today=AFTER).check("inspection_deadline")
    assert set(late.rows.ids) == {i.pk for i in county.named["q2_open"]}
    publication = dashboard(county.organisation, YEAR, 2, today=AFTER)
    # All three late: two held for the list until 06-30, one entered on 07-10.
    late_ids = publication.check("result_publication_workdays").rows.ids
    assert county.named["q2_late"].pk in late_ids and len(late_ids) == 3


# ---- 获嘉 ---------------------------------------------------------------------------------------


def test_huojia_quarters(db, counties):
    """获嘉 2024 notice, in force for 2025.

    Quotas (附件, HJ-att, per quarter): 特殊 set by the bureau at 50 % × 2 = 1; 重点 25 % × 4 = 1;
    一般 the larger of 5 % × 20 = 1 and 6 per officer × 2 officers = 12 → 12 (the preset's
    default reading of “或”). ≥ 1 task carried out each quarter (附件); 部门联合 tasks ≥ 60 % of
    the published plan's tasks, per year (二, HJ-2): 第 2, 3, 4 季度 tasks joint of 4 → 3/4 (75 %)
    → 达标 on every board; 回访 ≥ 10 % of the quarter's checked draws (三、（四）, HJ-3.4);
    deadline quarter end; publication 20 working days.

    第 1 季度: nothing → every class 未开展 (the quotas computed from the register: 1, 1, 12);
    no task carried out → 0, 未开展 (a planned task never drawn is not 开展); 回访 0/0,
    按期完成, 按期公示 未开展.

    第 2 季度: 特殊, 重点 and 6 of 12 一般 checked 05-12; 6 never checked, so the list waits for
    its 最迟公开日期 06-30 (issue 19 §5) and the 8 results are published with it, over 20 working
    days after 05-12 (due 06-10). 一般 12 drawn, 6 checked → 未达标; 1 task drawn → 达标; 回访: 1
    drawn of the 8 checked (⌈10 % × 8⌉), never made → 0/8 未达标; deadline 06-30: 8 on time, 6
    open → 按期 8，逾期 6; publication 按期 0，逾期 8 → 未达标.

    第 3 季度: all 14 checked 07-21, published 07-25; 2 回访 (⌈10 % × 14⌉) made on 08-05 → 2/14
    (14 %) 达标; 14 on time, 14 published on time.
    """
    county = counties["huojia"]
    assert len(county.named["q2_revisits"]) == 1 and len(county.named["q3_revisits"]) == 2
    q1, q2, q3 = (figures(b) for b in boards(county).values())
    deadline = "本季度末（全年任务为年底）前完成检查"
    share = (OK, "≥ 60%", "3/4（75%）")
    workdays = "认定后 20 个工作日内"
    assert q1 == {
        "class:SPECIAL": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:KEY": (ABSENT, "应抽取 1 户", "抽取 0 户，已检查 0 户"),
        "class:GENERAL": (ABSENT, "应抽取 12 户", "抽取 0 户，已检查 0 户"),
        "department_joint_task_share": share,
        "tasks_per_quarter": (ABSENT, "≥ 1", "0 个"),
        "revisit_share": (ABSENT, "≥ 10%", "0/0"),
        "inspection_deadline": (ABSENT, deadline, "按期 0，逾期 0，未到期 0"),
        "result_publication_workdays": (ABSENT, workdays, "按期 0，逾期 0，未到期 0"),
    }
    assert q2 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL": (BAD, "应抽取 12 户", "抽取 12 户，已检查 6 户"),
        "department_joint_task_share": share,
        "tasks_per_quarter": (OK, "≥ 1", "1 个"),
        "revisit_share": (BAD, "≥ 10%", "0/8（0%）"),
        "inspection_deadline": (BAD, deadline, "按期 8，逾期 6，未到期 0"),
        "result_publication_workdays": (BAD, workdays, "按期 0，逾期 8，未到期 0"),
    }
    assert q3 == {
        "class:SPECIAL": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:KEY": (OK, "应抽取 1 户", "抽取 1 户，已检查 1 户"),
        "class:GENERAL": (OK, "应抽取 12 户", "抽取 12 户，已检查 12 户"),
        "department_joint_task_share": share,
        "tasks_per_quarter": (OK, "≥ 1", "1 个"),
        "revisit_share": (OK, "≥ 10%", "2/14（14%）"),
        "inspection_deadline": (OK, deadline, "按期 14，逾期 0，未到期 0"),
        "result_publication_workdays": (OK, workdays, "按期 14，逾期 0，未到期 0"),
    }
