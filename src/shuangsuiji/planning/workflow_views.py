"""Pages of the annual plan and of the quarterly draw (the coordinator's and 领导's side)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.acts import draws as draw_acts
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.directory import tasks as background
from shuangsuiji.directory.models import Inspector
from shuangsuiji.directory.selectors import target_by_code
from shuangsuiji.draw.bundle import zip_files
from shuangsuiji.inspections import creation
from shuangsuiji.inspections.models import REVISIT_FORMS, Inspection
from shuangsuiji.inspections.selectors import draw_revisits, drawn_count, drawn_rows, team_members
from shuangsuiji.planning import draws, labels, plans
from shuangsuiji.planning import selectors as planning_selectors
from shuangsuiji.planning.forms import (
    AbortForm,
    ApproveForm,
    AssignTeamForm,
    CommitForm,
    ConflictForm,
    PlanGenerateForm,
    ReasonForm,
    ReturnForm,
    SubmitForm,
    SubstituteForm,
    TaskAddForm,
    TaskForm,
    ValuesForm,
)
from shuangsuiji.planning.models import (
    SOURCE_TYPES,
    AnnualPlan,
    ConflictOfInterest,
    Draw,
    SamplingTask,
)
from shuangsuiji.policy import PolicyError

READERS = ("manage_sampling", "read_org_data", "approve_plans")
#: Who sees an unrevealed draw's list and teams: 抽查管理员, 领导, 监督员 (and each team its own).
LIST_READERS = ("manage_sampling", "approve_plans", "view_audit")


def _errors(request, error: ValidationError) -> None:
    messages.error(request, "；".join(error.messages))


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def plan_list(request):
    form = PlanGenerateForm(
        request.POST or None,
        initial={"year": timezone.localdate().year},
        organisation=request.user.organisation,
    )
    if request.method == "POST":
        if not has_permission(request.user, "manage_sampling"):
            raise PermissionDenied("只有抽查管理员可以制定计划。")
        if form.is_valid():
            try:
                plan = plans.plan_generate(
                    actor=request.user,
                    organisation=request.user.organisation,
                    year=form.cleaned_data["year"],
                )
            except (ValidationError, NoPolicy) as error:
                messages.error(request, str(getattr(error, "message", error)))
            else:
                messages.success(request, f"已按本单位政策生成 {plan.year} 年度抽查计划（草稿）。")
                return redirect("planning:plan_detail", pk=plan.pk)
    return render(
        request,
        "planning/plan_list.html",
        {
            "plans": AnnualPlan.objects.readable_by(request.user).select_related("organisation"),
            "form": form if has_permission(request.user, "manage_sampling") else None,
        },
    )


@role_required(*READERS)
def plan_detail(request, pk: int):
    plan = planning_selectors.shown_plan(request.user, pk)
    if plan is None:
        raise Http404("没有这个计划，或无权查看。")
    own = plan.organisation_id == request.user.organisation_id
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "tasks": planning_selectors.planned_tasks(plan.pk),
            "revisions": planning_selectors.plan_revisions(plan.pk),
            "warnings": plans.plan_warnings(plan, timezone.localdate()),
            "can_edit": own and plan.editable and has_permission(request.user, "manage_sampling"),
            "can_approve": own
            and plan.status == "submitted"
            and has_permission(request.user, "approve_plans"),
            "can_publish": own
            and plan.status == "approved"
            and has_permission(request.user, "manage_sampling"),
            "can_adjust": own
            and plan.status == "published"
            and has_permission(request.user, "manage_sampling"),
            "reason_form": ReasonForm(),
            "reviews": planning_selectors.plan_reviews(plan.pk),
            "not_drawable": None if plan.drawable else _not_drawable(plan),
        },
    )


def _not_drawable(plan: AnnualPlan) -> str:
    return (
        f"计划{plan.get_status_display()}：经领导审批并向社会公开后才能抽取（无计划清单不检查）。"
    )


def _confirmed(request) -> bool:
    """An irreversible step runs only from its confirmation page, which says what follows."""
    return request.POST.get("confirm") == "1"


def _confirm(request, **context):
    context.setdefault("back", request.META.get("HTTP_REFERER") or "/")
    context.setdefault("action", request.path)
    return render(request, "planning/confirm.html", context)


def _act(request, model, name: str, pk: int, action, success: str, back: str, **kwargs):
    """POST handlers of plan and draw buttons: one service call, its message, back to the page."""
    obj = get_object_or_404(model.objects.editable_by(request.user), pk=pk)
    try:
        action(actor=request.user, **{name: obj}, **kwargs)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, success)
    return redirect(back, pk=pk)


def _plan_action(request, pk: int, action, success: str, **kwargs):
    return _act(request, AnnualPlan, "plan", pk, action, success, "planning:plan_detail", **kwargs)


@role_required("manage_sampling")
@require_POST
def plan_submit(request, pk: int):
    form = SubmitForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return _plan_action(
        request, pk, plans.plan_submit, "计划已提交审批，等待领导审批印发。", comment=comment
    )


def _own_plan(request, pk: int) -> AnnualPlan:
    return get_object_or_404(AnnualPlan.objects.editable_by(request.user), pk=pk)


@role_required("approve_plans")
@require_http_methods(["GET", "POST"])
def plan_approve(request, pk: int):
    """审批印发, from a page that says what it fixes, beside 退回修改 with the 领导's opinion."""
    plan = _own_plan(request, pk)
    form = ApproveForm(request.POST or None)
    if request.method == "POST" and _confirmed(request) and form.is_valid():
        return _plan_action(
            request,
            pk,
            plans.plan_approve,
            "计划已审批印发，请抽查管理员向社会公开。",
            comment=form.cleaned_data["comment"],
        )
    back = reverse("planning:plan_detail", args=[pk])
    blocked = (
        None
        if plan.status == AnnualPlan.Status.SUBMITTED
        else f"计划当前为“{plan.get_status_display()}”，须由抽查管理员提交审批后才能审批。"
    )
    tasks = plan.tasks.count()
    return _confirm(
        request,
        title=f"审批 {plan}",
        verb="审批",
        blocked=blocked,
        facts=[
            ("版本", f"第 {plan.version} 版"),
            ("抽查任务", f"{tasks} 项"),
            ("调整原因", plan.adjustment_reason or "—"),
        ],
        consequences=[
            f"审批后计划即印发，印发日期记为今天（{timezone.localdate():%Y年%-m月%-d日}），"
            "审批人和审批意见记入审批记录和操作日志。",
            "审批后计划不能再修改；如需修改，须由抽查管理员“调整计划”并说明原因，重新审批和公开。",
            "抽查管理员随后将计划向社会公开，公开后才能抽取。",
        ],
        form=form,
        button="审批印发",
        irreversible=True,
        back=back,
        second=None
        if blocked
        else {
            "title": "退回修改",
            "lead": "退回后计划回到抽查管理员手中，修改后重新提交审批。",
            "action": reverse("planning:plan_return", args=[pk]),
            "form": ReturnForm(prefix="return"),
            "button": "退回修改",
        },
        history=plan.reviews.select_related("actor"),
    )


@role_required("approve_plans")
@require_POST
def plan_return(request, pk: int):
    # Prefixed: the review page holds the 审批意见 and the 退回 opinion, each with its label.
    form = ReturnForm(request.POST, prefix="return")
    if not form.is_valid():
        messages.error(request, "退回时请写明退回原因和修改意见。")
        return redirect("planning:plan_approve", pk=pk)
    return _plan_action(
        request,
        pk,
        plans.plan_return,
        "计划已退回抽查管理员修改。",
        comment=form.cleaned_data["comment"],
    )


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def plan_publish(request, pk: int):
    plan = _own_plan(request, pk)
    if request.method == "POST" and _confirmed(request):
        return _plan_action(request, pk, plans.plan_publish, "计划已向社会公开。")
    blocked = (
        None
        if plan.status == AnnualPlan.Status.APPROVED
        else f"计划当前为“{plan.get_status_display()}”，经领导审批印发后才能向社会公开。"
    )
    return _confirm(
        request,
        title=f"向社会公开 {plan}",
        verb="公开",
        blocked=blocked,
        facts=[("版本", f"第 {plan.version} 版"), ("印发日期", f"{plan.issued_on or '—'}")],
        consequences=[
            "计划的全部任务（名称、事项、对象范围、比例、抽取时间、检查依据）将在公开门户发布，"
            "任何人都可以查看和下载；涉密事项不公开。",
            "公开的这一版永久保留在公开门户的“公开与调整记录”中，不能撤回。",
            "公开后即可按计划抽取；此后修改计划须“调整计划”、说明原因，重新审批并再次公开。",
        ],
        button="向社会公开",
        irreversible=True,
        back=reverse("planning:plan_detail", args=[pk]),
    )


@role_required("manage_sampling")
@require_POST
def plan_adjust(request, pk: int):
    return _plan_action(
        request,
        pk,
        plans.plan_adjust,
        "计划已进入调整，修改后须重新审批并公开。",
        reason=request.POST.get("reason", ""),
    )


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def task_edit(request, pk: int):
    task = get_object_or_404(SamplingTask.objects.editable_by(request.user), pk=pk)
    items = task.organisation.items.filter(in_register=True)
    form = TaskForm(request.POST or None, instance=task, items=items)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["partners"] = data.pop("partners_text")
        try:
            plans.task_update(actor=request.user, task=SamplingTask.objects.get(pk=pk), **data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, f"已保存任务 {task.number}。")
            return redirect("planning:plan_detail", pk=task.plan_id)
    return render(request, "planning/task_form.html", {"form": form, "task": task})


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def task_add(request, pk: int):
    """Add a 专项, 定向 or 部门联合 task to a draft plan, or to a published one after
    “调整计划” (藁城 二、（八）: the adjusted plan is approved and published again)."""
    plan = get_object_or_404(
        AnnualPlan.objects.filter(organisation=request.user.organisation), pk=pk
    )
    try:
        preset = effective_preset(organisation_policy(plan.organisation))
    except (NoPolicy, PolicyError) as error:
        messages.error(request, str(error))
        return redirect("planning:plan_detail", pk=plan.pk)
    choices = [(rule.code, rule.name) for rule in preset.classes]
    form = TaskAddForm(request.POST or None, class_choices=choices, organisation=plan.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            task = plans.task_add(actor=request.user, plan=plan, **form.service_arguments())
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, f"已添加任务 {task.number}：{task.name}。")
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/task_add.html", {"form": form, "plan": plan})


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def task_prepare(request, pk: int):
    """One page to review pool, exclusions, quotas, roster and conflicts, then commit."""
    task = get_object_or_404(
        SamplingTask.objects.readable_by(request.user).select_related("plan"), pk=pk
    )
    can_commit = task.organisation_id == request.user.organisation_id and has_permission(
        request.user, "manage_sampling"
    )
    form = CommitForm(request.POST or None, task=task)
    live = task.draws.exclude(status=Draw.Status.ABORTED).first()
    blocked = _commit_blocked(task, live)
    if request.method == "POST":
        if not can_commit:
            raise PermissionDenied("只有本单位的抽查管理员可以组织抽取。")
        if form.is_valid() and not _confirmed(request):
            return _confirm_commit(request, task, form)
        if form.is_valid():
            try:
                draw = draw_acts.draw_commit(
                    actor=request.user,
                    task=task,
                    sources=form.sources(),
                    reveal_on=form.cleaned_data["reveal_on"],
                    ahead_reason=form.cleaned_data.get("ahead_reason", ""),
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(
                    request, "已承诺：候选名单和承诺值已在公开门户发布，等待随机源开奖。"
                )
                return redirect("planning:draw_detail", pk=draw.pk)
    try:
        preparation = draw_acts.draw_prepare(task)
    except NoPolicy as error:
        return render(request, "planning/no_policy.html", {"message": str(error)})
    except ValidationError as error:
        return render(request, "planning/no_policy.html", {"message": "；".join(error.messages)})
    roster_regions = {}
    for inspector in preparation.inspectors:
        entry = roster_regions.setdefault(inspector.region, [0, 0])
        entry[0] += 1
        entry[1] += inspector.senior
    return render(
        request,
        "planning/task_prepare.html",
        {
            "task": task,
            "p": preparation,
            # The withheld exclusions name units of secret lists: only those who may read
            # the bureau's lists before reveal see them (not a 市局 above it).
            "withheld": preparation.withheld
            if task.organisation_id == request.user.organisation_id
            and any(has_permission(request.user, p) for p in LIST_READERS)
            else None,
            "form": form if can_commit and not blocked else None,
            "blocked": blocked if can_commit else None,
            "roster_regions": sorted(roster_regions.items()),
            "draws": task.draws.all(),
        },
    )


def _commit_blocked(task: SamplingTask, live: Draw | None) -> str | None:
    """Why a commit cannot succeed now, in words, so the form is not offered in vain."""
    if not task.plan.drawable:
        return _not_drawable(task.plan)
    if live is not None:
        return (
            f"本任务已有抽取 {live.draw_id}（{live.get_status_display()}），不能再次承诺；"
            "如确需重新抽取，须先在该抽取页面作废并说明原因。"
        )
    return None


def _confirm_commit(request, task: SamplingTask, form: CommitForm):
    """The commit publishes the pool and binds the draw to sources not yet known: read back."""
    data = form.cleaned_data
    facts = [
        (f"随机源{'一二'[i]}", f"{label}（{dict(SOURCE_TYPES).get(kind, kind)}）")
        for i, (kind, label) in enumerate(form.sources())
    ]
    facts.append(("最迟公开日期", f"{data['reveal_on']:%Y年%-m月%-d日}"))
    if data.get("ahead_reason"):
        facts.append(("提前抽取原因", data["ahead_reason"]))
    hidden = [
        (name, value)
        for name, value in request.POST.items()
        if name not in ("csrfmiddlewaretoken", "confirm")
    ]
    return _confirm(
        request,
        title=f"承诺抽取：{task.name}",
        verb="承诺",
        facts=facts,
        consequences=[
            "候选名单（对象库）、执法人员名录、回避名单和承诺值立即在公开门户发布，任何人都可以下载核对。",
            "承诺后不能更换随机源，也不能改动候选名单；只能作废本次抽取（作废及原因同样公开）。",
            "请确认所列随机源尚未产生（如尚未开奖的一期彩票），开奖后再录入取值。",
        ],
        hidden=hidden,
        button="确认承诺并公开候选名单",
        irreversible=True,
        back=request.path,
    )


def _can_see_list(user, draw: Draw) -> bool:
    """Before reveal only the bureau's own 抽查管理员, 领导 and 监督员 see who was drawn; a
    市局 above it sees the counts and the commitment, as the public does (docs/security.md)."""
    if draw.salt_public:
        return True
    own = draw.organisation_id == user.organisation_id
    return own and any(has_permission(user, p) for p in LIST_READERS)


def _stratum_counts(draw: Draw) -> list[dict]:
    """How many were drawn per class, without who: what a 市局 may see before reveal."""
    if not draw.result:
        return []
    names = labels.class_names(draw)
    return [
        {
            "code": stratum["code"],
            "name": names.get(stratum["code"], stratum["code"]),
            "eligible": stratum["eligible"],
            "k": stratum["k"],
            "selected": len(stratum["selected"]),
            "shortfall": stratum.get("shortfall", 0),
            "reserve": len(stratum["reserve"]),
        }
        for stratum in json.loads(draw.result)["strata"]
    ]


#: Inspections per page of a draw's list.
DRAW_PAGE = 50


@role_required(*READERS, "record_inspections")
@require_http_methods(["GET", "POST"])
def draw_detail(request, pk: int):
    if request.method == "GET":
        draw = planning_selectors.shown_draw(request.user, pk)
        if draw is None:
            raise Http404("没有这次抽取，或无权查看。")
    else:
        draw = get_object_or_404(
            Draw.objects.readable_by(request.user).select_related("task__plan", "organisation"),
            pk=pk,
        )
    if not any(has_permission(request.user, p) for p in READERS):
        raise PermissionDenied("执法人员请在“我的任务”中查看本组的检查。")
    coordinator = draw.organisation_id == request.user.organisation_id and has_permission(
        request.user, "manage_sampling"
    )
    sources = planning_selectors.draw_sources(draw.pk)
    values_form = ValuesForm(request.POST or None, sources=sources)
    if request.method == "POST":
        if not coordinator:
            raise PermissionDenied("只有本单位的抽查管理员可以录入随机源。")
        if values_form.is_valid() and not _confirmed(request):
            return _confirm(
                request,
                title=f"抽取 {draw.draw_id}",
                verb="抽取",
                lead="请对照开奖公告或见证人书写的原件，逐项核对下列取值。",
                facts=values_form.shown(),
                consequences=[
                    "取值一经录入即决定种子、入选名单和检查组，不能更改，也不能重新抽取。",
                    "名单在检查结束后或最迟公开日期起公开；公开前只有本单位抽查管理员、领导、监督员"
                    "和各检查组可见。",
                    *(
                        [
                            "本次对象库较大，确认后由后台任务进程计算名单并生成检查任务，"
                            "本页显示进度，完成后显示名单和分组。"
                        ]
                        if draws.draw_in_background(draw)
                        else []
                    ),
                ],
                hidden=[(name, values_form.cleaned_data[name]) for name in values_form.fields],
                button="确认取值并抽取",
                irreversible=True,
                back=request.path,
            )
        if values_form.is_valid():
            try:
                draw = draw_acts.draw_execute(
                    actor=request.user, draw=draw, values=values_form.values()
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                if draw.status == Draw.Status.DRAWING:
                    if not settings.SHUANGSUIJI_BACKGROUND_IMPORTS:
                        # No worker process: the request runs the queued draw itself.
                        background.task_run_now(draw.background_task)
                    messages.success(
                        request,
                        "随机源取值已录入，不能再更改。对象库较大，正在后台抽取，"
                        "本页显示进度，完成后显示名单和分组。",
                    )
                else:
                    messages.success(
                        request,
                        "抽取完成：名单和分组仅本单位抽查管理员、领导、监督员和各检查组可见。",
                    )
                return redirect("planning:draw_detail", pk=pk)
    if request.htmx:
        # The progress of a draw 抽取中 polls this page: once drawn, the whole page is shown.
        if draw.status != Draw.Status.DRAWING:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(
            request,
            "planning/draw_progress.html",
            {"draw": draw, "progress": draw_acts.draw_progress(draw)},
        )
    inspections = []
    page = None
    can_see_list = _can_see_list(request.user, draw)
    if can_see_list and draw.result:
        # A page at a time: a province's quarterly list can hold hundreds of units, and each row
        # is a team and a form (issue 21 §3); the counts per class above cover all of them.
        paginator = Paginator(draw.inspections.order_by("stratum", "pk"), DRAW_PAGE)
        paginator.count = drawn_count(draw.pk)  # the paginator's own is a cached_property
        page = paginator.get_page(request.GET.get("page"))
        inspections = drawn_rows(draw.pk, (page.number - 1) * DRAW_PAGE, DRAW_PAGE)
        page.object_list = inspections  # the rows read, not the lazy queryset of inspections
    names = labels.class_names(draw)
    result = json.loads(draw.result) if draw.result and can_see_list else None
    if result:
        for stratum in result["strata"]:
            stratum["name"] = names.get(stratum["code"], stratum["code"])
    teams = (
        team_members([i["pk"] for i in inspections], "inspector__certificate_no")
        if inspections
        else {}
    )
    for inspection in inspections:
        inspection["stratum_name"] = names.get(inspection["stratum"], inspection["stratum"])
        inspection["flag_names"] = [labels.flag_name(flag) for flag in inspection["flags"]]
        inspection["team"] = teams.get(inspection["pk"], ())
    return render(
        request,
        "planning/draw_detail.html",
        {
            "draw": draw,
            "sources": sources,
            "commitment": [
                (labels.commitment_name(key), key, value)
                for key, value in json.loads(draw.commitment).items()
            ],
            "bundle_name": labels.draw_bundle_name(draw),
            "result": result,
            "counts": _stratum_counts(draw) if not can_see_list else [],
            "inspections": inspections,
            "page": page,
            "coordinator": coordinator,
            "values_form": values_form,
            "substitute_form": SubstituteForm(),
            "reason_form": ReasonForm(),
            "substitutions": planning_selectors.draw_substitutions(draw.pk),
            "manual": planning_selectors.draw_manual_assignments(draw.pk),
            "revisits": draw_revisits(draw.pk),
            "revisit_forms": REVISIT_FORMS,
            "reveal_blocked": _reveal_blocked(draw, timezone.localdate())
            if coordinator and draw.status == Draw.Status.DRAWN
            else None,
            "progress": draw_acts.draw_progress(draw)
            if draw.status == Draw.Status.DRAWING
            else None,
            "abortable": draw.status in draws.ABORTABLE,
        },
    )


def _draw_action(request, pk: int, action, success: str, **kwargs):
    return _act(request, Draw, "draw", pk, action, success, "planning:draw_detail", **kwargs)


def _reveal_blocked(draw: Draw, today) -> str | None:
    """Why the list cannot be revealed today, as ``planning.draws.draw_reveal`` would refuse."""
    if draw.status != Draw.Status.DRAWN:
        return f"该抽取当前为“{draw.get_status_display()}”，只有已抽取、尚未公开的名单可以公开。"
    pending = draw.withheld_pending()
    if pending:
        return (
            f"本次抽取排除的部分对象依据此前抽取 {'、'.join(pending)} 的名单，"
            "须先公开那些名单，才能公开本次名单（名单保密）。"
        )
    open_inspections = draw.inspections.filter(
        status__in=[Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM]
    ).count()
    if open_inspections and today < draw.reveal_on:
        return (
            f"还有 {open_inspections} 项检查未完成。名单在检查全部结束后，或自最迟公开日期 "
            f"{draw.reveal_on:%Y-%m-%d} 起才能公开，以免被查对象事先知道（名单保密）。"
        )
    return None


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def draw_reveal(request, pk: int):
    draw = get_object_or_404(Draw.objects.editable_by(request.user), pk=pk)
    if request.method == "POST" and _confirmed(request):
        return _draw_action(
            request,
            pk,
            draw_acts.draw_reveal,
            "名单、盐值和全部抽取材料已公开，并已在服务器端核验。",
        )
    return _confirm(
        request,
        title=f"公开抽取 {draw.draw_id} 的名单与盐值",
        verb="公开",
        blocked=_reveal_blocked(draw, timezone.localdate()),
        consequences=[
            "入选名单、备选名单、检查组分组和盐值将在公开门户发布，任何人都可以下载全部抽取材料，"
            "用 shuangsuiji draw verify 重算核对。",
            "已认定、按规定与名单一并公开的检查结果同时公开。",
            "公开后不能撤回，也不能再作废本次抽取。",
        ],
        button="公开名单与盐值",
        irreversible=True,
        back=reverse("planning:draw_detail", args=[pk]),
    )


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def draw_abort(request, pk: int):
    """作废 is set apart from 公开 on its own page and needs a reason, published with it."""
    draw = get_object_or_404(Draw.objects.editable_by(request.user), pk=pk)
    form = AbortForm(request.POST or None)
    if request.method == "POST" and _confirmed(request) and form.is_valid():
        return _draw_action(
            request,
            pk,
            draw_acts.draw_abort,
            "抽取已作废，盐值已公开；如需重新抽取，请重新承诺。",
            reason=form.cleaned_data["reason"],
        )
    blocked = (
        None
        if draw.status in draws.ABORTABLE
        else f"该抽取当前为“{draw.get_status_display()}”，已公开或已作废的抽取不能作废。"
    )
    consequences = [
        "本次抽取的盐值立即公开，抽取记录和作废原因永久保留在公开门户，不能撤回。",
        "如需重新抽取，须重新承诺，抽取编号加一；两次抽取都公开，任何人都能看到作废过一次。",
    ]
    if draw.status == Draw.Status.DRAWING:
        consequences.insert(
            1,
            "随机源取值已录入，后台抽取随即停止、不再生成检查任务；取值随盐值公开，"
            "任何人都能据此重算本应抽中的名单。",
        )
    if draw.status == Draw.Status.DRAWN:
        consequences.insert(
            1,
            "名单随盐值一并公开；本次抽取的检查全部取消（已录入的检查记录保留在档案中，"
            "但不再计入抽查）。",
        )
    return _confirm(
        request,
        title=f"作废抽取 {draw.draw_id}",
        verb="作废",
        blocked=blocked,
        consequences=consequences,
        form=form,
        button="确认作废",
        danger=True,
        irreversible=True,
        back=reverse("planning:draw_detail", args=[pk]),
    )


@role_required("manage_sampling")
@require_POST
def inspection_substitute(request, pk: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    if inspection.draw_id is None:
        # Substitutes come from a draw's 备选名单; a 全覆盖 or 定向 check has neither.
        messages.error(request, f"{_undrawn(inspection)}不经抽取，没有备选名单，不能替补。")
        return redirect("inspections:detail", pk=pk)
    form = SubstituteForm(request.POST)
    if form.is_valid():
        try:
            replacement = creation.inspection_substitute(
                actor=request.user, inspection=inspection, **form.cleaned_data
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, f"已由备选名单首位 {replacement.target} 替补。")
    else:
        messages.error(request, "请选择替补原因并写明依据。")
    return redirect("planning:draw_detail", pk=inspection.draw_id)


def _undrawn(inspection: Inspection) -> str:
    return "全覆盖检查" if inspection.kind == Inspection.Kind.COVERAGE else "定向检查"


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def inspection_assign(request, pk: int):
    inspection = get_object_or_404(
        Inspection.objects.editable_by(request.user).select_related("target", "draw"), pk=pk
    )
    candidates = (
        Inspector.objects.drawable()
        .filter(organisation=inspection.organisation)
        .order_by("area", "name")
    )
    form = AssignTeamForm(request.POST or None, inspectors=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            creation.inspection_assign_team(
                actor=request.user,
                inspection=inspection,
                inspectors=form.team(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            from shuangsuiji.accounts.views import add_service_errors

            add_service_errors(form, error)
        else:
            if inspection.draw_id is None:
                # A 全覆盖 check has no draw page and no list to reveal: back to the check.
                messages.success(request, "已指派执法人员，原因已记入操作日志。")
                return redirect("inspections:detail", pk=pk)
            messages.success(request, "已手工指派执法人员，原因已记录，将在名单公开时一并公开。")
            return redirect("planning:draw_detail", pk=inspection.draw_id)
    return render(request, "planning/assign_team.html", {"form": form, "inspection": inspection})


@role_required(*LIST_READERS)
def draw_bundle(request, pk: int):
    """The bundle for the bureau's auditors: everything but the salt until reveal. Above the
    bureau, before reveal, only what the portal publishes (params, pool, commitment)."""
    draw = get_object_or_404(Draw.objects.readable_by(request.user), pk=pk)
    if _can_see_list(request.user, draw):
        return bundle_response(draw, draw.bundle_files(with_salt=draw.salt_public))
    return bundle_response(draw, draw.public_files())


def bundle_response(draw: Draw, files: dict[str, bytes]) -> HttpResponse:
    response = HttpResponse(zip_files(draw.draw_id, files), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        True, labels.draw_bundle_name(draw)
    )
    return response


@role_required("manage_sampling", "record_inspections")
@require_http_methods(["GET", "POST"])
def conflict_list(request):
    """回避: inspectors declare their own, the coordinator enters any, each with a reason."""
    coordinator = has_permission(request.user, "manage_sampling")
    organisation = request.user.organisation
    inspectors = Inspector.objects.filter(organisation=organisation, in_register=True)
    if coordinator:
        # 部门联合: the partner departments' officers are matched to this bureau's units too.
        inspectors = Inspector.objects.filter(
            organisation__in=[organisation, *Organisation.objects.partners_of(organisation)],
            in_register=True,
        ).select_related("organisation")
    else:
        inspectors = inspectors.filter(pk__in=_own_inspector_ids(request.user))
    form = ConflictForm(request.POST or None, inspectors=inspectors)
    if request.method == "POST" and form.is_valid():
        target = target_by_code(organisation, form.cleaned_data["target"])
        if target is None:
            form.add_error("target", "本单位名录中没有该检查对象。")
        else:
            try:
                draws.conflict_declare(
                    actor=request.user,
                    inspector=form.cleaned_data["inspector"],
                    target=target,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                from shuangsuiji.accounts.views import add_service_errors

                add_service_errors(form, error)
            else:
                messages.success(request, "已登记回避，下次抽取起生效。")
                return redirect("planning:conflicts")
    rows = ConflictOfInterest.objects.filter(organisation=organisation, active=True).select_related(
        "inspector", "target"
    )
    if not coordinator:
        rows = rows.filter(inspector__in=inspectors)
    return render(request, "planning/conflicts.html", {"form": form, "rows": rows})


def _own_inspector_ids(user) -> list[int]:
    """An inspector account is linked to its register entry by the 执法证号 as login name."""
    return list(
        Inspector.objects.filter(
            organisation=user.organisation, certificate_no=user.username
        ).values_list("pk", flat=True)
    )


@role_required("manage_sampling")
@require_POST
def task_coverage(request, pk: int):
    task = get_object_or_404(SamplingTask.objects.editable_by(request.user), pk=pk)
    try:
        created = creation.coverage_inspections_create(actor=request.user, task=task)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request, f"已安排全覆盖检查 {len(created)} 户（不经抽取，按政策的检查方式）。"
        )
    return redirect("planning:task_prepare", pk=pk)


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def settings_edit(request):
    from django import forms as django_forms

    from shuangsuiji.bureau.models import OrganisationSettings
    from shuangsuiji.bureau.organisation_settings import (
        organisation_settings,
        organisation_settings_save,
    )

    settings = organisation_settings(request.user.organisation)
    form_class = django_forms.modelform_factory(OrganisationSettings, exclude=["organisation"])
    form = form_class(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        organisation_settings_save(actor=request.user, form=form, settings=settings)
        messages.success(request, "已保存单位设置。")
        return redirect("planning:settings")
    return render(
        request,
        "accounts/form.html",
        {"form": form, "title": "单位设置", "history": settings.history.all()[:20]},
    )
