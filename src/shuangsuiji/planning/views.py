import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.views import add_service_errors
from shuangsuiji.planning.forms import PolicyAdjustmentForm
from shuangsuiji.planning.policies import (
    NoPolicy,
    effective_preset,
    organisation_policy,
    policy_parameters,
    policy_value_set,
    quarter_view,
)
from shuangsuiji.policy import Quarter

POLICY_READERS = ("manage_sampling", "read_org_data")


@role_required(*POLICY_READERS)
@require_http_methods(["GET", "POST"])
def policy_detail(request):
    try:
        policy = organisation_policy(request.user.organisation)
    except NoPolicy as error:
        return render(request, "planning/no_policy.html", {"message": str(error)})
    preset = effective_preset(policy)
    can_edit = has_permission(request.user, "manage_sampling")
    paths = [(p.path, p.path) for p in preset.parameters() if p.path != "precedence"]
    form = PolicyAdjustmentForm(request.POST or None, paths=paths)
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
        },
    )


@role_required(*POLICY_READERS)
def policy_quarter(request):
    try:
        quarter = Quarter.parse(request.GET.get("quarter", ""))
    except ValueError:
        quarter = Quarter.of(dt.date.today())
    try:
        view = quarter_view(request.user.organisation, quarter)
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
            "quarters": [quarter.previous(), quarter, quarter.next()],
        },
    )
