from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.views import add_service_errors
from shuangsuiji.bureau.dates import policy_start
from shuangsuiji.bureau.policies import (
    NoPolicy,
    effective_preset,
    organisation_policy,
    policy_parameters,
    policy_value_set,
)
from shuangsuiji.bureau.services import policy_adopt, policy_update, release_changes
from shuangsuiji.params import horizon
from shuangsuiji.planning import labels
from shuangsuiji.planning.forms import PolicyAdjustmentForm
from shuangsuiji.planning.quarters import quarter_view
from shuangsuiji.policy import Quarter

POLICY_READERS = ("manage_sampling", "read_org_data")


@role_required(*POLICY_READERS)
@require_http_methods(["GET", "POST"])
def policy_detail(request):
    organisation = request.user.organisation
    can_edit = has_permission(request.user, "manage_sampling")
    try:
        policy = organisation_policy(organisation)
    except NoPolicy as error:
        # The 抽查管理员 may adopt the preset the 系统管理员 chose: an explicit, audited act.
        can_adopt = can_edit and bool(organisation.policy_preset)
        if request.method == "POST" and request.POST.get("action") == "adopt" and can_adopt:
            try:
                policy_adopt(actor=request.user, organisation=organisation)
            except (ValidationError, PermissionDenied, NoPolicy) as refused:
                messages.error(request, "；".join(getattr(refused, "messages", [str(refused)])))
            else:
                messages.success(request, "已采用本单位选定的政策预设（已记入审计日志）。")
            return redirect("planning:policy")
        context = {"message": str(error), "can_adopt": can_adopt}
        return render(request, "planning/no_policy.html", context)
    preset = effective_preset(policy)
    paths = [p.path for p in preset.parameters() if p.path != "precedence"]
    # A class the plan is silent on may still be drawn without repeats (the bureau's choice).
    paths += [f"classes.{r.code}.no_repeat" for r in preset.classes if r.no_repeat is None]
    paths = [(path, labels.parameter_name(preset, path)) for path in paths]
    form = PolicyAdjustmentForm(
        request.POST or None, paths=paths, organisation=request.user.organisation
    )
    if request.method == "POST" and request.POST.get("action") == "update":
        if not can_edit:
            return render(request, "403.html", status=403)
        try:
            update = policy_update(actor=request.user, organisation=organisation)
        except (ValidationError, PermissionDenied, NoPolicy) as refused:
            messages.error(request, "；".join(getattr(refused, "messages", [str(refused)])))
        else:
            messages.success(
                request,
                f"已采用新版预设原文（{len(update.changed)} 项参数有变化，已记入审计日志）。",
            )
        return redirect("planning:policy")
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                policy_value_set(
                    actor=request.user,
                    policy=policy,
                    path=form.cleaned_data["path"],
                    value=form.cleaned_data["value"],
                    since=form.cleaned_data["since"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"已调整 {form.cleaned_data['path']}。")
                return redirect("planning:policy")
    parameters = policy_parameters(preset)
    return render(
        request,
        "planning/policy.html",
        {
            "policy": policy,
            "preset": preset,
            "parameters": parameters,
            "adjustments": policy.adjustments.select_related("created_by").order_by("-created_at"),
            "form": form if can_edit else None,
            "release_changes": release_changes(policy),
            "can_update": can_edit,
        },
    )


@role_required(*POLICY_READERS)
def policy_quarter(request):
    organisation = request.user.organisation
    try:
        quarter = Quarter.parse(request.GET.get("quarter", ""))
    except ValueError:
        quarter = Quarter.of(timezone.localdate())
    first, last = _quarters(organisation)
    if not first <= quarter <= last:
        message = (
            f"{quarter.label}不在本单位政策的适用范围内：可查看的季度为"
            f" {first.label}至 {last.label}。"
        )
        links = [q for q in (first, Quarter.of(timezone.localdate()), last) if first <= q <= last]
        return render(
            request,
            "planning/no_policy.html",
            {"message": message, "quarters": sorted(set(links))},
            status=400,
        )
    try:
        view = quarter_view(organisation, quarter)
    except NoPolicy as error:
        return render(request, "planning/no_policy.html", {"message": str(error)})
    names = {rule.code: rule.name for rule in view.preset.classes}
    chosen = request.GET.get("class", "")
    rows = [
        c
        for c in view.classifications
        if not chosen or c.class_code == chosen or (chosen == "NONE" and c.class_code is None)
    ]
    return render(
        request,
        "planning/quarter.html",
        {
            "view": view,
            "names": names,
            "rows": [(c, names.get(c.class_code, "—")) for c in rows[:500]],
            "row_count": len(rows),
            "chosen": chosen,
            "quarters": [
                q for q in (quarter.previous(), quarter, quarter.next()) if first <= q <= last
            ],
        },
    )


def _quarters(organisation) -> tuple[Quarter, Quarter]:
    """The quarters whose classes the bureau's policy can tell: from the first quarter it is
    in force from the quarter's first day, to the last quarter of next year."""
    start = policy_start(organisation)
    first = Quarter.of(start)
    if first.start < start:
        first = first.next()
    return first, Quarter.of(horizon(future=True))
