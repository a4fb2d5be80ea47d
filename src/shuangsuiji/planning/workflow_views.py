"""Pages of the annual plan and of the quarterly draw (the coordinator's and 领导's side)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.acts import draws as draw_acts
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.directory.models import Inspector
from shuangsuiji.directory.selectors import target_by_code
from shuangsuiji.draw.bundle import zip_files
from shuangsuiji.inspections import creation
from shuangsuiji.inspections.models import REVISIT_FORMS, Inspection, InspectionMember
from shuangsuiji.planning import draws, labels, plans
from shuangsuiji.planning.forms import (
    AssignTeamForm,
    CommitForm,
    ConflictForm,
    PlanGenerateForm,
    ReasonForm,
    SubstituteForm,
    TaskAddForm,
    TaskForm,
    ValuesForm,
)
from shuangsuiji.planning.models import AnnualPlan, ConflictOfInterest, Draw, SamplingTask
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
    plan = get_object_or_404(AnnualPlan.objects.readable_by(request.user), pk=pk)
    own = plan.organisation_id == request.user.organisation_id
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "tasks": plan.tasks.prefetch_related("items", "draws"),
            "revisions": plan.revisions.all(),
            "warnings": plans.plan_warnings(plan, timezone.localdate()),
            "can_edit": own and plan.editable and has_permission(request.user, "manage_sampling"),
            "can_approve": own and plan.editable and has_permission(request.user, "approve_plans"),
            "can_publish": own
            and plan.status == "approved"
            and has_permission(request.user, "manage_sampling"),
            "can_adjust": own
            and plan.status == "published"
            and has_permission(request.user, "manage_sampling"),
            "reason_form": ReasonForm(),
        },
    )


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


@role_required("approve_plans")
@require_POST
def plan_approve(request, pk: int):
    return _plan_action(request, pk, plans.plan_approve, "计划已审批印发，请抽查管理员向社会公开。")


@role_required("manage_sampling")
@require_POST
def plan_publish(request, pk: int):
    return _plan_action(request, pk, plans.plan_publish, "计划已向社会公开。")


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
    form = TaskAddForm(request.POST or None, class_choices=choices)
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
    form = CommitForm(request.POST or None)
    if request.method == "POST":
        if not can_commit:
            raise PermissionDenied("只有本单位的抽查管理员可以组织抽取。")
        if form.is_valid():
            try:
                draw = draw_acts.draw_commit(
                    actor=request.user,
                    task=task,
                    sources=form.sources(),
                    reveal_on=form.cleaned_data["reveal_on"],
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
            "form": form if can_commit else None,
            "roster_regions": sorted(roster_regions.items()),
            "draws": task.draws.all(),
        },
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


@role_required(*READERS, "record_inspections")
@require_http_methods(["GET", "POST"])
def draw_detail(request, pk: int):
    draw = get_object_or_404(Draw.objects.readable_by(request.user).select_related("task"), pk=pk)
    if not any(has_permission(request.user, p) for p in READERS):
        raise PermissionDenied("执法人员请在“我的任务”中查看本组的检查。")
    coordinator = draw.organisation_id == request.user.organisation_id and has_permission(
        request.user, "manage_sampling"
    )
    values_form = ValuesForm(request.POST or None, sources=draw.sources.all())
    if request.method == "POST":
        if not coordinator:
            raise PermissionDenied("只有本单位的抽查管理员可以录入随机源。")
        if values_form.is_valid():
            try:
                draw_acts.draw_execute(actor=request.user, draw=draw, values=values_form.values())
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(
                    request, "抽取完成：名单和分组仅本单位抽查管理员、领导、监督员和各检查组可见。"
                )
                return redirect("planning:draw_detail", pk=pk)
    inspections = []
    can_see_list = _can_see_list(request.user, draw)
    if can_see_list and draw.result:
        inspections = (
            draw.inspections.select_related("target")
            .prefetch_related(
                Prefetch("members", InspectionMember.objects.select_related("inspector"))
            )
            .order_by("stratum", "pk")
        )
    names = labels.class_names(draw)
    result = json.loads(draw.result) if draw.result and can_see_list else None
    if result:
        for stratum in result["strata"]:
            stratum["name"] = names.get(stratum["code"], stratum["code"])
    for inspection in inspections:
        inspection.stratum_name = names.get(inspection.stratum, inspection.stratum)
        inspection.flag_names = [labels.flag_name(flag) for flag in inspection.flags]
    return render(
        request,
        "planning/draw_detail.html",
        {
            "draw": draw,
            "commitment": [
                (labels.commitment_name(key), key, value)
                for key, value in json.loads(draw.commitment).items()
            ],
            "bundle_name": labels.draw_bundle_name(draw),
            "result": result,
            "counts": _stratum_counts(draw) if not can_see_list else [],
            "inspections": inspections,
            "coordinator": coordinator,
            "values_form": values_form,
            "substitute_form": SubstituteForm(),
            "reason_form": ReasonForm(),
            "substitutions": draw.substitutions.all(),
            "manual": draw.manual_assignments.all(),
            "revisits": draw.revisits.select_related("inspection__target"),
            "revisit_forms": REVISIT_FORMS,
        },
    )


def _draw_action(request, pk: int, action, success: str, **kwargs):
    return _act(request, Draw, "draw", pk, action, success, "planning:draw_detail", **kwargs)


@role_required("manage_sampling")
@require_POST
def draw_reveal(request, pk: int):
    return _draw_action(
        request, pk, draw_acts.draw_reveal, "名单、盐值和全部抽取材料已公开，并已在服务器端核验。"
    )


@role_required("manage_sampling")
@require_POST
def draw_abort(request, pk: int):
    return _draw_action(
        request,
        pk,
        draw_acts.draw_abort,
        "抽取已作废，盐值已公开；如需重新抽取，请重新承诺。",
        reason=request.POST.get("reason", ""),
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
    if not coordinator:
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
