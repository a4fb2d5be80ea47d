"""The dashboard answers “did we meet our plan?” with each target of the bureau's own preset,
green or red, with its clause (ZH 二、（二）（三）（五）, HJ-3.4, BD 三、（四）, JX-4.1, JX 四、（五）)."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.db.models import Q
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.reports.compliance import BAD, OK, RUNNING, dashboard
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
    assert running["内部联合抽查占比"] == (OK, "17/17（100%）")  # ZH 二、（二） ≥ 35 %
    # ZH 二、（三） ≥ 85 % a year: every drawn check of the year (Q3's and Q4's) out of all of
    # them, the targeted one included.
    year = statistics_table(portal.county, 2026)
    graded = len(year.figures["random"].ids)
    assert graded == 17 + len(Inspection.objects.filter(draw=portal.hidden).active())
    expected = f"{graded}/{graded + 1}（{graded * 100 // (graded + 1)}%）"
    assert running["运用信用风险分级分类的抽查占比（全年）"] == (OK, expected)
    # Timeliness counts by determination date: Q3's held result, determined in November, is
    # not due until 2026-12-18.
    assert running["抽查结果按期公示"] == (OK, "按期 2，逾期 0，未到期 1")
    over = checks(dashboard(portal.county, 2026, 4, today=AFTER_Q4))
    assert over["重点监管对象抽查数量"][0] == BAD
    assert over["内部联合抽查占比"][0] == OK


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
    assert found["同一对象年度抽查次数"] == (OK, "超过的对象 0 个")


def test_baoding_joint_count_is_red_only_once_the_year_is_over(portal):
    """BD 三、（四）: 部门联合抽查年度不少于 3 次."""
    neighbour = portal.neighbour
    adopt_preset(neighbour, "baoding-2021")
    assert checks(dashboard(neighbour, 2026, None, today=IN_Q4))["部门联合抽查次数"] == (
        RUNNING,
        "0 次",
    )
    over = checks(dashboard(neighbour, 2026, None, today=dt.date(2027, 1, 2)))
    assert over["部门联合抽查次数"][0] == BAD


def test_huojia_revisit_share_and_tasks(portal):
    """HJ-3.4 回访 10 %, and at least one task a quarter."""
    neighbour = portal.neighbour
    adopt_preset(neighbour, "huojia-2024")
    found = checks(dashboard(neighbour, 2026, 4, today=AFTER_Q4))
    assert found["回访比例"] == (BAD, "0/0")
    assert found["本季度抽查任务数"] == (BAD, "0 个")  # the plan is still a draft


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


def test_coverage_checks_count_as_graded_supervision(portal):
    """ZH 二、（五） 正面清单 全覆盖 (非现场) is chosen by class too: it must not pull the 85 %
    share down."""
    from shuangsuiji.inspections.creation import coverage_inspections_create

    created = coverage_inspections_create(actor=portal.coordinator, task=portal.revealed.task)
    assert len(created) == 20  # the county's 20 正面清单 targets
    graded = len(statistics_table(portal.county, 2026).figures["random"].ids) + 20
    found = checks(dashboard(portal.county, 2026, 4, today=IN_Q4))
    expected = f"{graded}/{graded + 1}（{graded * 100 // (graded + 1)}%）"
    assert found["运用信用风险分级分类的抽查占比（全年）"] == (OK, expected)
