"""What awaits each user (issue 19): the acts their roles are to do next, each a count, a link
to where it is done and whether it is already late. The home page lists them; nothing here
writes (the coordinator's list is kept in the cache).

A user holds one or more roles (``accounts.roles``); each role's list is read only for the
holders of its permission, so an inspector's home costs the inspector's queries alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.calendar import calendar_warning
from shuangsuiji.disclosure.caching import kept_until_changed
from shuangsuiji.inspections import selectors
from shuangsuiji.inspections.models import PUBLIC_RESULT, Inspection, InspectionPart
from shuangsuiji.planning.models import AnnualPlan, Draw, SamplingTask
from shuangsuiji.policy import Quarter
from shuangsuiji.reports.upward import upward_todo


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str
    #: Already past a deadline: shown first, in red.
    overdue: bool = False
    #: A word on what is waiting (which plan, which draw).
    note: str = ""


def todos(user, today: dt.date) -> list[Todo]:
    """Everything waiting for ``user``, the late first; an empty list when nothing is."""
    found: list[Todo] = []
    organisation = user.organisation
    if organisation is not None and organisation.is_partner:
        # A partner department keeps no plans: its parts of joint checks are what awaits it.
        found = _partner(user) + (
            _administrator(organisation, today) if has_permission(user, "manage_users") else []
        )
        return sorted((t for t in found if t.count), key=lambda t: not t.overdue)
    if has_permission(user, "approve_plans"):
        found += _plans_to_approve(organisation)
    if has_permission(user, "manage_sampling"):
        found += coordinator_todos(organisation, today)
    if has_permission(user, "record_inspections"):
        found += _inspector(user, today)
    if has_permission(user, "view_audit") and not has_permission(user, "manage_sampling"):
        found += _draws_to_witness(organisation)
    if has_permission(user, "manage_users"):
        found += _administrator(organisation, today)
    if has_permission(user, "manage_sampling") or has_permission(user, "approve_plans"):
        found += _upward(user, today)
    found = [t for t in found if t.count]
    return sorted(found, key=lambda t: not t.overdue)


def _plan_url(plans: list[AnnualPlan]) -> str:
    if len(plans) == 1:
        return reverse("planning:plan_detail", args=[plans[0].pk])
    return reverse("planning:plans")


def _plans_to_approve(organisation: Organisation) -> list[Todo]:
    """领导: the plans the 抽查管理员 has submitted (提交审批) and nobody has yet approved
    (审批印发) or sent back."""
    plans = list(
        AnnualPlan.objects.filter(organisation=organisation, status=AnnualPlan.Status.SUBMITTED)
    )
    note = "、".join(f"{p.year} 年度" for p in plans)
    return [Todo("年度抽查计划待审批", len(plans), _plan_url(plans), note=note)]


def coordinator_todos(organisation: Organisation, today: dt.date) -> list[Todo]:
    """The 抽查管理员's list, kept until the bureau's data changes.

    It is the costliest part (some dozen counts over the bureau's year: 30 ms at province
    scale), and the rest of a user's list is kept only until the next audited act of the
    bureau's lineage (``todo_counts.acts_version``), which under load is every few requests.
    This part reads nothing but the bureau's own rows of versioned tables (a test reads its queries'
    tables against ``versions.NOT_PUBLIC``), so the bureau's version (its ``counter``, which sees
    every change, not only the public's), which the database raises on every write of those rows
    however made, keys it exactly (issue 21 §3)."""
    return kept_until_changed(
        organisation, "todos-coordinator", lambda: _coordinator(organisation, today), today
    )


def _coordinator(organisation: Organisation, today: dt.date) -> list[Todo]:
    found = []
    plans = list(AnnualPlan.objects.filter(organisation=organisation, year__gte=today.year))
    if not any(p.year == today.year for p in plans):
        found.append(Todo(f"尚未制定 {today.year} 年度抽查计划", 1, reverse("planning:plans")))
    editable = [p for p in plans if p.editable]
    found.append(Todo("计划待修改并提交审批", len(editable), _plan_url(editable)))
    approved = [p for p in plans if p.status == AnnualPlan.Status.APPROVED]
    found.append(Todo("已审批的计划待向社会公开", len(approved), _plan_url(approved)))
    due = _tasks_to_draw(organisation, today)
    url = (
        reverse("planning:task_prepare", args=[due[0].pk])
        if len(due) == 1
        else reverse("planning:plans")
    )
    found.append(Todo("到期待抽取的抽查任务", len(due), url, note=_numbers(due)))
    draws = list(
        Draw.objects.filter(
            organisation=organisation,
            status__in=[Draw.Status.COMMITTED, Draw.Status.DRAWING, Draw.Status.DRAWN],
        ).order_by("reveal_on")
    )
    committed = [d for d in draws if d.status == Draw.Status.COMMITTED]
    found.append(_draw_todo("已承诺、待录入随机源并抽取", committed))
    drawing = [d for d in draws if d.status == Draw.Status.DRAWING]
    found.append(_draw_todo("正在后台抽取的抽取", drawing))
    drawn = [d for d in draws if d.status == Draw.Status.DRAWN]
    late = [d for d in drawn if d.reveal_on and d.reveal_on < today]
    found.append(_draw_todo("已过最迟公开日期、名单尚未公开的抽取", late, overdue=True))
    found.append(_draw_todo("名单待公开的抽取", [d for d in drawn if d not in late]))
    unstaffed = Inspection.objects.filter(
        organisation=organisation, status=Inspection.Status.NEEDS_TEAM
    ).count()
    found.append(Todo("待人工指派执法人员的检查", unstaffed, reverse("inspections:overdue")))
    overdue = selectors.overdue_inspection_count(organisation, today)
    found.append(Todo("超过检查时限仍未完成的检查", overdue, reverse("inspections:overdue"), True))
    _, follow_ups = selectors.overdue_follow_ups(organisation, today, 0)  # the count alone
    found.append(Todo("已过期限的后续处置", follow_ups, reverse("inspections:overdue"), True))
    # Only the counts: no result is read as a row (``shown=0``).
    report = selectors.publication(organisation, today.year, today, shown=0)
    url = reverse("inspections:publication")
    found.append(Todo("已过公示期限的检查结果", report.overdue_count, url, overdue=True))
    found.append(Todo("待公开的检查结果", report.to_release_count, url))
    return found


def _numbers(tasks: list[SamplingTask]) -> str:
    return "、".join(t.number for t in tasks[:5]) + ("等" if len(tasks) > 5 else "")


def _tasks_to_draw(organisation: Organisation, today: dt.date) -> list[SamplingTask]:
    """The published plan's tasks whose time has come (their quarter has begun, or a yearly
    task's draw date has passed) and that have no draw but aborted ones."""
    live = Draw.objects.filter(task=OuterRef("pk")).exclude(status=Draw.Status.ABORTED)
    return list(
        SamplingTask.objects.filter(
            organisation=organisation,
            plan__year=today.year,
        )
        # A plan is drawn from once public, and stays so while an adjustment is approved.
        .filter(Q(plan__status=AnnualPlan.Status.PUBLISHED) | Q(plan__version__gt=1))
        .filter(
            Q(quarter__lte=Quarter.of(today).number) | Q(quarter__isnull=True, draw_date__lte=today)
        )
        .exclude(Exists(live))
        .order_by("sequence")
    )


def _draw_todo(label: str, draws: list[Draw], overdue: bool = False) -> Todo:
    url = (
        reverse("planning:draw_detail", args=[draws[0].pk])
        if len(draws) == 1
        else reverse("planning:plans")
    )
    return Todo(label, len(draws), url, overdue, "、".join(d.draw_id for d in draws[:5]))


def _inspector(user, today: dt.date) -> list[Todo]:
    open_count, late = selectors.inspector_open_counts(user, today)
    url = reverse("inspections:mine")
    return [
        Todo("超过检查时限的检查任务", late, url, overdue=True),
        Todo("待完成的检查任务", open_count - late, url),
    ]


def _partner(user) -> list[Todo]:
    """A partner department's parts of 部门联合 checks: to enter and submit, and (for its
    coordinator) to publish once the lead's list is public (获嘉 二、（三） 谁录入、谁公开)."""
    rows = InspectionPart.objects.filter(organisation=user.organisation)
    coordinator = has_permission(user, "manage_sampling")
    if not coordinator:
        rows = rows.filter(team__certificate_no=user.username)
    url = reverse("inspections:parts")
    found = [
        Todo("联合检查待录入本部门检查情况",
             rows.exclude(status=InspectionPart.Status.SUBMITTED).count(), url)
    ]  # fmt: skip
    if coordinator:
        publishable = rows.filter(
            status=InspectionPart.Status.SUBMITTED,
            published_at__isnull=True,
            inspection__draw__status__in=Draw.LIST_PUBLIC,
            inspection__in=Inspection.objects.filter(PUBLIC_RESULT),
        ).count()
        found.append(Todo("联合检查待公示本部门检查情况", publishable, url))
    return found


def _draws_to_witness(organisation: Organisation) -> list[Todo]:
    """监督员: the draws committed and waiting for their sources to be entered — the moment
    the draw is witnessed (the demo's witness source is a number the 监督员 writes on site)."""
    draws = list(
        Draw.objects.filter(organisation=organisation, status=Draw.Status.COMMITTED).order_by("pk")
    )
    return [_draw_todo("待现场监督的抽取（已承诺、尚未抽取）", draws)]


def _administrator(organisation: Organisation, today: dt.date) -> list[Todo]:
    found = []
    if calendar_warning(today):
        found.append(Todo("工作日历待确认下一年度放假安排", 1, reverse("planning:calendar")))
    without = (
        Organisation.objects.subtree_of(organisation)
        .bureaus()
        .filter(is_active=True, policy_preset="")
        .count()
    )
    found.append(Todo("尚未设置政策预设的单位", without, reverse("accounts:organisation_list")))
    return found


def _upward(user, today: dt.date) -> list[Todo]:
    """报送市局 (issue 20 §4, 藁城 四、（四）): a 市局's reports from its 分局 awaiting review; a
    分局's periods ended and not yet sent (the late first), and those the 市局 sent back."""
    waiting = upward_todo(user, today)
    url = reverse("reports:upward")
    late = [s for s in waiting.to_send if s.late_days]
    due = [s for s in waiting.to_send if not s.late_days]

    def labels(found) -> str:
        return "、".join(s.period.label for s in found[:4]) + ("等" if len(found) > 4 else "")

    return [
        Todo("下级报送的统计表待审核", waiting.to_review, url),
        Todo("已过报送期限、尚未报送市局的统计表", len(late), url, True, labels(late)),
        Todo("待报送市局的统计表和名录调整", len(due), url, note=labels(due)),
        Todo(
            "市局退回、待修改后重新报送", len(waiting.returned), url, note=labels(waiting.returned)
        ),
    ]
