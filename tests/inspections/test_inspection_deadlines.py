"""检查时限: each task's inspection deadline and the inspections past it (issue 17, point 6).

保定 三、（三） “以季度为周期阶段性推进……执法人员在规定时限内对随机抽查对象开展现场检查” and 绛县
四、（五）4 “按照市局下发的在建工程建设项目名单和检查时限要求，一次性抽取全年检查任务” ask for a
time limit that no plan states: each preset's ``targets.inspection_deadline`` is a bureau default
(the end of the task's quarter, of the year for a task drawn once a year), set on each task when
the plan is generated and changed by the coordinator while the plan is editable. Inspections still
open after it are listed for the coordinator (逾期事项) and marked on the inspector's 我的任务.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.inspections import selectors
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import (
    RecordData,
    inspection_record_save,
    inspection_submit,
)
from shuangsuiji.planning.models import SamplingTask
from shuangsuiji.planning.plans import (
    plan_adjust,
    plan_approve,
    plan_generate,
    plan_publish,
    plan_submit,
    task_update,
)
from shuangsuiji.policy import Quarter, available_presets, load_preset
from shuangsuiji.policy.inspection_deadline import task_inspection_deadline
from shuangsuiji.policy.targets import INSPECTION_DEADLINE, plan_target
from shuangsuiji.reports.evaluators import RUNNING, Scope, evaluate
from shuangsuiji.reports.facts import Facts
from shuangsuiji.workdays import WorkdayCalendar
from tests.support.county import build_county
from tests.support.tree import adopt_preset

from .conftest import REVEAL, SOURCES

D = dt.date
#: A day the fixture's Q4 inspections are past their deadline (set to 2026-11-30 below).
DEADLINE = D(2026, 11, 30)
AFTER = D(2026, 12, 4)


def _today(monkeypatch, day: dt.date) -> None:
    """The pages' “today”; ``timezone.localdate(value)`` still converts ``value``."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return day if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def _set_deadline(task: SamplingTask, day: dt.date, coordinator) -> SamplingTask:
    """The coordinator changes a published plan's task through the adjustment procedure."""
    plan = plan_adjust(actor=coordinator, plan=task.plan, reason="市局下达检查时限")
    task = task_update(actor=coordinator, task=task, inspection_deadline=day)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    return task


def _link(url_name: str, inspection: Inspection) -> str:
    """The link to one inspection's page, exactly (the names of drawn units share prefixes)."""
    return f'href="{reverse(url_name, args=[inspection.pk])}"'


def _done(s, inspection: Inspection, checked_at: dt.datetime) -> Inspection:
    members = [m.inspector for m in inspection.members.all()]
    data = RecordData(
        checked_at=checked_at, method_used="现场检查", representative="王厂长",
        present_members=tuple(m.certificate_no for m in members),
        result_category=ResultCategory.NO_PROBLEM, findings="现场检查污染防治设施运行正常。",
        public_summary="未发现问题", determined_on=checked_at.date(),
    )  # fmt: skip
    outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
    inspection_record_save(
        actor=s["inspector"], inspection=inspection, data=data, outcomes=outcomes
    )
    return inspection_submit(actor=s["inspector"], inspection=inspection)


# ---- the deadline from the preset ---------------------------------------------------------------


@pytest.mark.parametrize("preset", available_presets())
def test_each_preset_states_its_deadline_as_a_bureau_default(preset):
    """No plan states a time limit (保定 三、（三） “规定时限”, 绛县 四、（五）4 “检查时限”): each
    value is marked as the bureau's default, with a note saying why."""
    policy = load_preset(preset)
    target = plan_target(
        policy, INSPECTION_DEADLINE, policy.targets["inspection_deadline"].entries[0].since
    )
    assert target.value == {"per": "quarter"}
    assert target.bureau_default and "未规定" in target.ref.note
    assert target.clause.endswith("（方案未规定，采用默认值）")


@pytest.mark.parametrize(
    ("preset", "year"),
    [("baoding-2021", 2021), ("jiangxian-2025", 2025), ("zunhua-2024", 2024),
     ("huojia-2024", 2024), ("gaocheng-2026", 2026)],
)  # fmt: skip
def test_generated_plan_tasks_carry_the_deadline_of_their_period(
    organisations, make_user, preset, year
):
    """保定 三、（三） 以季度为周期; 绛县 四、（五）1–3 每季度抽查1次 and 4 一次性抽取全年检查任务:
    a quarterly task is due by its quarter's end, a task drawn once a year by 31 December."""
    county = organisations["a"]
    adopt_preset(county, preset)
    coordinator = make_user("coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=year)
    deadlines = {t.quarter: t.inspection_deadline for t in plan.tasks.filter(quarter__isnull=False)}
    assert deadlines == {q: Quarter(year, q).end for q in (1, 2, 3, 4)}
    for task in plan.tasks.filter(quarter__isnull=True):  # 绛县 在建, 联合抽查对象
        assert task.inspection_deadline == D(year, 12, 31)
    if preset == "jiangxian-2025":
        assert plan.tasks.filter(quarter__isnull=True, classes=["CONSTRUCTION"]).count() == 1


def test_a_rule_in_working_days_counts_the_bureaus_own_calendar(organisations, make_user):
    """A bureau that sets 10 working days after the draw: counted on its calendar, with its own
    day off (a local 放假 day), and never past the quarter's end."""
    from shuangsuiji.acts.calendar import local_day_set
    from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    policy_value_set(actor=None, policy=organisation_policy(county),
                     path="targets.inspection_deadline", value={"per": "quarter", "workdays": 10},
                     since=D(2026, 1, 1), reason="局务会：抽取后10个工作日内完成检查")  # fmt: skip
    local_day_set(actor=None, organisation=county, day=D(2026, 1, 20), is_workday=False,
                  note="本县放假")  # fmt: skip
    plan = plan_generate(actor=make_user("coord", county, Role.COORDINATOR),
                         organisation=county, year=2026)  # fmt: skip
    q1 = plan.tasks.get(quarter=1)
    # Drawn Thursday 2026-01-15: 16, 19, 21, 22, 23, 26, 27, 28, 29, 30 (20 is the county's day off).
    assert q1.draw_date == D(2026, 1, 15)
    assert q1.inspection_deadline == D(2026, 1, 30)
    # The neighbouring bureau's calendar does not have the county's day off.
    policy = load_preset("jiangxian-2025").with_value(
        "targets.inspection_deadline", {"per": "quarter", "workdays": 10}, D(2025, 1, 1),
        ref=plan_target(load_preset("jiangxian-2025"), INSPECTION_DEADLINE, D(2025, 1, 1)).ref,
    )  # fmt: skip
    national = WorkdayCalendar()
    assert task_inspection_deadline(
        policy, year=2026, quarter=1, draw_date=D(2026, 1, 15), calendar=national
    ) == D(2026, 1, 29)
    # Drawn late in a quarter, the limit stops at its end (2026-09-21 + 10 would cross 国庆).
    assert task_inspection_deadline(
        policy, year=2026, quarter=3, draw_date=D(2026, 9, 21), calendar=national
    ) == D(2026, 9, 30)


# ---- the coordinator's edit ---------------------------------------------------------------------


def test_coordinator_sets_the_citys_deadline_while_the_plan_is_editable(
    organisations, make_user, client
):
    """绛县 四、（五）4: 在建工程建设项目 按照市局下发的……检查时限要求 — the coordinator replaces the
    default (31 December) with the 市局's day in the task form; refused before the draw date,
    and once the plan is approved until it is reopened for adjustment."""
    county = organisations["a"]
    adopt_preset(county, "jiangxian-2025")
    coordinator = make_user("coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2025)
    task = plan.tasks.get(classes=["CONSTRUCTION"])
    client.force_login(coordinator)
    url = reverse("planning:task_edit", args=[task.pk])
    response = client.get(url)
    form = response.context["form"]
    assert "本季度末（全年任务为年底）前完成检查" in form.fields["inspection_deadline"].help_text
    assert "四、（五）4" in form.fields["inspection_deadline"].help_text
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["items"] = [item.pk for item in task.items.all()]

    response = client.post(url, {**data, "inspection_deadline": "2025-01-10"})
    assert response.context["form"].errors["inspection_deadline"] == [
        "检查时限（2025-01-10）不能早于抽取时间（2025-01-15）。"
    ]
    response = client.post(url, {**data, "inspection_deadline": "2025-06-30"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.inspection_deadline == D(2025, 6, 30)
    assert task.history.first().inspection_deadline == D(2025, 6, 30)

    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    with pytest.raises(ValidationError, match="须先“调整计划”"):
        task_update(actor=coordinator, task=task, inspection_deadline=D(2025, 9, 30))
    response = client.post(url, {**data, "inspection_deadline": "2025-09-30"}, follow=True)
    assert "须先“调整计划”" in response.content.decode()
    assert SamplingTask.objects.get(pk=task.pk).inspection_deadline == D(2025, 6, 30)
    plan_publish(actor=coordinator, plan=plan)
    task = _set_deadline(task, D(2025, 9, 30), coordinator)
    assert SamplingTask.objects.get(pk=task.pk).inspection_deadline == D(2025, 9, 30)


# ---- overdue inspections ------------------------------------------------------------------------


def test_overdue_inspections_are_listed_for_the_coordinator_and_not_for_another_bureau(
    setup, make_user, organisations, client, monkeypatch
):
    """保定 三、（三） 在规定时限内开展现场检查: the inspections still 待检查 or 待指派 after their task's
    deadline, on 逾期事项; one done leaves the list; the deadline day itself is not late."""
    s = setup("zunhua-2024")
    task = _set_deadline(s["inspection"].task, DEADLINE, s["coordinator"])
    open_ = set(
        Inspection.objects.filter(task=task, status__in=selectors.OPEN_STATUSES).values_list(
            "pk", flat=True
        )
    )
    assert s["inspection"].pk in open_
    assert selectors.overdue_inspections(s["county"], DEADLINE) == []
    rows = selectors.overdue_inspections(s["county"], AFTER)
    assert {r.pk for r in rows} == open_
    assert {(r.deadline, r.overdue_days) for r in rows} == {(DEADLINE, 4)}

    _done(s, s["inspection"], timezone.make_aware(dt.datetime(2026, 11, 20, 10, 30)))
    rows = selectors.overdue_inspections(s["county"], AFTER)
    assert {r.pk for r in rows} == open_ - {s["inspection"].pk}

    _today(monkeypatch, AFTER)
    client.force_login(s["coordinator"])
    page = client.get(reverse("inspections:overdue")).content.decode()
    assert f"逾期未完成的检查（{len(open_) - 1} 项）" in page
    other = Inspection.objects.get(pk=min(open_ - {s["inspection"].pk}))
    assert f">{other.target.name}</a>" in page and "逾期 4 天" in page
    assert _link("inspections:detail", s["inspection"]) not in page
    assert "没有逾期的后续处置" in page

    client.force_login(make_user("coord-b", organisations["b"], Role.COORDINATOR))
    page = client.get(reverse("inspections:overdue")).content.decode()
    assert "没有逾期未完成的检查" in page and f">{other.target.name}</a>" not in page

    # One without its team links to 手工指派; a name holding markup is shown as text (the rows
    # are written in Python: inspections/templatetags/overdue_rows.py).
    Inspection.objects.filter(pk=other.pk).update(status=Inspection.Status.NEEDS_TEAM)
    Target.objects.filter(pk=other.target_id).update(name="<i>甲&乙</i>公司")
    client.force_login(s["coordinator"])
    page = client.get(reverse("inspections:overdue")).content.decode()
    assign = reverse("planning:inspection_assign", args=[other.pk])
    assert (
        f'<a href="{assign}">&lt;i&gt;甲&amp;乙&lt;/i&gt;公司</a>'
        '<br><small class="muted">待指派执法人员</small>'
    ) in page


def test_the_inspector_sees_the_deadline_and_the_overdue_mark_on_my_tasks(
    setup, make_user, client, monkeypatch
):
    """我的任务: the inspector's own inspections with their 检查时限 and, past it, 逾期; an
    inspector of another team does not see them."""
    s = setup("zunhua-2024")
    _set_deadline(s["inspection"].task, DEADLINE, s["coordinator"])
    rows = selectors.inspector_inspections(s["inspector"], AFTER)
    mine = next(r for r in rows if r.pk == s["inspection"].pk)
    assert (mine.deadline, mine.overdue, mine.overdue_days) == (DEADLINE, True, 4)

    _today(monkeypatch, DEADLINE)
    client.force_login(s["inspector"])
    page = client.get(reverse("inspections:mine")).content.decode()
    assert "检查时限 2026-11-30" in page and "逾期" not in page

    _today(monkeypatch, AFTER)
    page = client.get(reverse("inspections:mine")).content.decode()
    assert _link("inspections:record", s["inspection"]) in page
    assert "检查时限 2026-11-30" in page and "逾期 4 天" in page
    late = sum(1 for r in rows if r.overdue)
    assert f"有 {late} 项检查已过检查时限" in page

    stranger = (
        Inspector.objects.filter(organisation=s["county"])
        .exclude(pk__in=[m.pk for m in s["members"]])
        .first()
    )
    client.force_login(make_user(stranger.certificate_no, s["county"], Role.INSPECTOR))
    page = client.get(reverse("inspections:mine")).content.decode()
    assert _link("inspections:record", s["inspection"]) not in page


def test_dashboard_counts_inspections_against_their_deadline(setup):
    """The target ``inspection_deadline`` on the 监管工作看板: done by the deadline (检查时间),
    or still open after it, which is late at once."""
    s = setup("zunhua-2024")
    task = _set_deadline(s["inspection"].task, DEADLINE, s["coordinator"])
    _done(s, s["inspection"], timezone.make_aware(dt.datetime(2026, 11, 20, 10, 30)))
    open_ = Inspection.objects.filter(task=task, status__in=selectors.OPEN_STATUSES).count()

    def verdict(today):
        facts = Facts([s["county"]], 2026, today)
        targets = [plan_target(facts.presets[s["county"].pk], INSPECTION_DEADLINE, D(2026, 10, 1))]
        (found,) = evaluate(Scope(s["county"], 2026, 4, today, facts), targets)
        return found

    before = verdict(DEADLINE)
    assert (before.label, before.actual) == ("检查按期完成", f"按期 1，逾期 0，未到期 {open_}")
    # Nothing late, but most still to do before the deadline: 进行中, not yet 达标.
    assert before.state == RUNNING and before.required == "本季度末（全年任务为年底）前完成检查"
    after = verdict(AFTER)
    assert (after.actual, after.met, after.settled) == (
        f"按期 1，逾期 {open_}，未到期 0",
        False,
        True,
    )
    assert "二、（五）" in after.clause and after.clause.endswith("（方案未规定，采用默认值）")


def test_the_lists_cost_the_same_queries_however_many_rows(setup, make_user, client, monkeypatch):
    """逾期事项 and 我的任务 read their rows in a fixed number of queries: a second quarter's
    overdue inspections, or an inspector on more teams, add rows, not queries."""
    from shuangsuiji.acts.draws import draw_commit, draw_execute

    s = setup("zunhua-2024")
    task = _set_deadline(s["inspection"].task, DEADLINE, s["coordinator"])
    q3 = _set_deadline(task.plan.tasks.get(quarter=3), D(2026, 12, 20), s["coordinator"])
    draw = draw_commit(actor=s["coordinator"], task=q3, sources=SOURCES, reveal_on=REVEAL)
    draw_execute(actor=s["coordinator"], draw=draw, values=["7.8.9.10.11.12./3./"])

    def cost(user, url_name, today):
        _today(monkeypatch, today)
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse(url_name)).content.decode()
        return len(queries), page.count("逾期 ")

    q4_only = cost(s["coordinator"], "inspections:overdue", AFTER)
    both = cost(s["coordinator"], "inspections:overdue", D(2026, 12, 21))
    assert both[1] > q4_only[1] > 0
    assert both[0] == q4_only[0]

    teams = Inspection.objects.filter(task__in=[task, q3], members__isnull=False)
    loads = Counter(teams.values_list("members__inspector__certificate_no", flat=True))
    (fewest, _), *_, (most, _) = sorted(loads.items(), key=lambda pair: pair[1])
    assert loads[most] > loads[fewest]

    def inspector(certificate_no):
        if certificate_no == s["inspector"].username:
            return s["inspector"]
        return make_user(certificate_no, s["county"], Role.INSPECTOR)

    day = D(2026, 12, 21)
    light = cost(inspector(fewest), "inspections:mine", day)
    heavy = cost(inspector(most), "inspections:mine", day)
    assert heavy[1] > light[1] and heavy[0] == light[0]


def test_the_draw_preparation_names_the_tasks_deadline(organisations, make_user, client):
    """抽取准备 names the task's 检查时限, so the coordinator sets the 最迟公开日期 after it."""
    county = build_county(organisations["a"])
    coordinator = make_user("coord", county, Role.COORDINATOR)
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    task = plan.tasks.get(quarter=2)
    client.force_login(coordinator)
    page = client.get(reverse("planning:task_prepare", args=[task.pk])).content.decode()
    assert "2026-06-30" in page and "检查时限" in page
