"""Each kind of target has exactly one evaluator (``reports.evaluators``), every target the
shipped presets set among them; a target no evaluator knows is shown as 未评估 with its clause,
never dropped (issue 16). And what a few evaluators find on the county of tests/support/portal.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.policy import available_presets, load_preset, plan_targets
from shuangsuiji.reports.compliance import ABSENT, BAD, NONE, RUNNING, dashboard
from shuangsuiji.reports.evaluators import EVALUATORS, Scope, evaluate, evaluator
from shuangsuiji.reports.facts import Facts
from tests.support.portal import build_portal
from tests.support.tree import adopt_preset

IN_Q4 = dt.date(2026, 11, 23)
AFTER_Q4 = dt.date(2027, 1, 5)


def test_every_target_of_the_shipped_presets_has_one_evaluator():
    keys = set()
    for name in available_presets():
        preset = load_preset(name)
        missing = sorted(set(preset.targets) - set(EVALUATORS))
        assert not missing, f"{name} 的计划目标没有评估函数：{missing}"
        keys |= set(preset.targets)
    # Every kind is set by some preset: 12 keys, inspection_deadline (issue 17) included.
    assert len(available_presets()) == 5 and len(keys) == 12
    assert "inspection_deadline" in keys


def test_a_kind_cannot_get_a_second_evaluator():
    before = dict(EVALUATORS)
    with pytest.raises(ValueError, match="revisit_share 已有评估函数 revisit_share"):
        evaluator("revisit_share")(lambda scope, target: None)
    with pytest.raises(ValueError, match="没有这种计划目标：revisit_ratio"):
        evaluator("revisit_ratio")(lambda scope, target: None)
    assert before == EVALUATORS


@pytest.fixture
def portal(organisations, make_user):
    portal = build_portal(organisations, make_user)
    # Published on 2026-11-21, whatever day the suite runs on, so timeliness is fixed.
    Inspection.objects.filter(published_at__isnull=False).update(
        published_at=timezone.make_aware(dt.datetime(2026, 11, 21, 9))
    )
    return portal


def verdicts(organisation, quarter, today):
    """Every verdict of the organisation's targets, by label."""
    facts = Facts([organisation], 2026, today)
    preset = facts.presets[organisation.pk]
    scope = Scope(organisation, 2026, quarter, today, facts)
    targets = plan_targets(preset, dt.date(2026, 3 * (quarter or 4) - 2, 1))
    return {v.label: v for v in evaluate(scope, targets)}


def test_zunhua_shares_on_the_county(portal):
    """ZH 二、（二） 35 % a quarter; 二、（三） 85 % a year, measured over the year in Q4's view."""
    found = verdicts(portal.county, 4, IN_Q4)
    joint = found["内部联合抽查占比"]
    # One unit's teams (综合执法大队) checking two business lines: no 内部联合 (ZH-2.2).
    assert (joint.actual, joint.met, joint.settled) == ("0/17（0%）", False, False)
    assert joint.required == "≥ 35%" and len(joint.rows.ids) == 17
    assert set(joint.rows.notes.values()) == {"非内部联合：1 个部门，2 个业务条线"}
    assert "二、（二）" in joint.clause
    credit = found["运用信用风险分级分类的抽查占比（全年）"]
    # No draw was weighted by 信用等级: the bureau has not set the weights.
    assert credit.actual.startswith("0/") and not credit.met
    assert set(credit.rows.notes.values()) == {"未运用信用风险分级"}
    publication = found["抽查结果按期公示"]
    assert publication.actual == "按期 2，逾期 0，未到期 1"
    assert publication.clause.endswith("（方案未规定，采用默认值）")


def test_huojia_task_share_and_revisits_on_the_county(portal):
    """HJ 二 部门联合抽查任务占比 60 % a year; HJ 三、（四） 回访 10 % a quarter."""
    adopt_preset(portal.county, "huojia-2024")
    found = verdicts(portal.county, 4, IN_Q4)
    tasks = found["部门联合抽查任务占比（全年）"]
    assert (tasks.actual, tasks.met, tasks.settled) == ("0/4（0%）", False, False)
    revisits = found["回访比例"]
    assert revisits.actual == "0/3（0%）" and set(revisits.rows.notes.values()) == {"未回访"}
    assert found["本季度抽查任务数"].actual == "1 个" and found["本季度抽查任务数"].met
    # The year's view: the task count is a quarter's, not measured; the shares are the year's.
    year = verdicts(portal.county, None, AFTER_Q4)
    assert "本季度抽查任务数" not in year
    assert year["回访比例（全年合计）"].settled and not year["回访比例（全年合计）"].met


def test_baoding_monthly_publication(portal):
    """BD-2 每月公示: a result determined in November is due in December's batch at the latest.
    The three Q4 results are determined in November: two published on 2026-11-21, one (the Q3
    draw's, list still secret) not. December is the one month with results due: still running
    in November, missing once January comes."""
    adopt_preset(portal.county, "baoding-2021")
    board = {c.label: c for c in dashboard(portal.county, 2026, 4, today=IN_Q4).checks}
    monthly = board["抽查结果每月公示"]
    assert (monthly.state, monthly.actual) == (RUNNING, "应公示的月份 1 个，缺失 0 个，未到期 1 个")
    (december,) = monthly.rows.months
    assert (december.label, december.due, december.on_time, december.pending) == (
        "2026 年 12 月",
        3,
        2,
        1,
    )
    # The reading (the month after determination) is the preset's bureau default, flagged so.
    assert monthly.clause.endswith("》二（方案未规定，采用默认值）")
    later = {c.label: c for c in dashboard(portal.county, 2026, 4, today=AFTER_Q4).checks}
    assert (later["抽查结果每月公示"].state, later["抽查结果每月公示"].actual) == (
        BAD,
        "应公示的月份 1 个，缺失 1 个，未到期 0 个",
    )
    # No 部门联合 check in the whole year: 未开展.
    assert later["部门联合抽查次数（全年）"].state == ABSENT


def test_gaocheng_quarterly_report_follows_what_was_sent(portal, make_user):
    """GC 四、（四） 每季度结束后将上一季度统计表报送市局 (issue 20 §4): unsent and with no
    deadline in force, the quarter is not judged; sent through 统计报送, it is 达标; with the
    市局's deadline passed unsent, 未达标."""
    from shuangsuiji.reports.upward import (
        ReportPeriod,
        upward_deadlines_set,
        upward_report_submit,
    )
    from shuangsuiji_demo.year import clock
    from tests.test_demo import SHANGHAI

    adopt_preset(portal.county, "gaocheng-2026")

    def report():
        board = {c.label: c for c in dashboard(portal.county, 2026, 4, today=AFTER_Q4).checks}
        return board["季度统计表报送"]

    unsent = report()
    assert (unsent.state, unsent.actual) == (NONE, "已报送 0/1 个季度：2026 年第四季度未提交")
    assert "四、（四）" in unsent.clause
    city = make_user("city-coord", portal.county.parent, Role.COORDINATOR)
    upward_deadlines_set(actor=city, organisation=portal.county.parent, year=2026,
                         quarters={4: dt.date(2027, 1, 4)}, round_workdays=None)  # fmt: skip
    assert report().state == BAD and "逾期 1 天" in report().actual
    with clock(dt.datetime(2027, 1, 5, 10, tzinfo=SHANGHAI)):
        sent = upward_report_submit(actor=portal.coordinator, organisation=portal.county,
                                    period=ReportPeriod(2026, 4))  # fmt: skip
    assert sent.version == 1
    assert report().state == BAD  # sent, but after the 市局's day: 逾期报送


def test_a_target_without_an_evaluator_is_shown_as_unevaluated(portal, client, monkeypatch):
    monkeypatch.delitem(EVALUATORS, "internal_joint_share")
    board = {c.label: c for c in dashboard(portal.county, 2026, 4, today=IN_Q4).checks}
    assert "内部联合抽查占比" not in board
    shown = board["内部联合抽查数量占比"]
    assert (shown.state, shown.required) == (NONE, "≥ 35%（每季度）")
    assert "二、（二）" in shown.clause
    client.force_login(portal.leader)
    page = client.get("/reports/dashboard/", {"year": 2026, "quarter": "4"}).content.decode()
    assert "内部联合抽查数量占比" in page and "未评估" in page


def test_a_city_and_its_branches_share_one_read(portal, organisations, make_user, client):
    """The 市局's board and each 分局's beside it are what each shows on its own page."""
    adopt_preset(portal.neighbour, "jiangxian-2025")
    client.force_login(make_user("city-leader", organisations["city"], Role.LEADER))
    page = client.get("/reports/dashboard/", {"year": 2026, "quarter": ""})
    side = {board.organisation: board for board in page.context["side"]}
    for branch in (portal.county, portal.neighbour):
        alone = dashboard(branch, 2026, None)
        assert [(c.label, c.state, c.actual) for c in side[branch].checks] == [
            (c.label, c.state, c.actual) for c in alone.checks
        ]
    plan = {c.label: c for c in side[portal.neighbour].checks}["年度抽查计划制定与公开"]
    assert plan.state in (BAD, RUNNING) and plan.actual == "未印发"
