from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.bureau.dates import policy_start
from shuangsuiji.bureau.policies import (
    NoPolicy,
    effective_preset,
    organisation_policy,
    policy_value_set,
)
from shuangsuiji.bureau.services import policy_adopt, policy_update, release_changes
from shuangsuiji.params import horizon
from shuangsuiji.planning import labels
from shuangsuiji.planning.policy_editor import (
    PolicyValueForm,
    editable,
    editable_paths,
    parameter_rows,
    preview_quarter,
    quota_preview,
    read_only_reason,
    readable,
)
from shuangsuiji.planning.quarters import quarter_view
from shuangsuiji.policy import Quarter
from shuangsuiji.policy.loader import Reference

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
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if request.POST.get("action") == "update":
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
    rows = parameter_rows(preset)
    offered = set(editable_paths(preset)) if can_edit else set()
    today = timezone.localdate()
    for row in rows:
        item = editable(preset, row["path"], today) if row["path"] in offered else None
        row["edit"] = "" if item is None else ("查看" if read_only_reason(item) else "调整")
    # A class the plan is silent on may still be drawn without repeats (the bureau's choice).
    silent = [
        {
            "path": f"classes.{rule.code}.no_repeat",
            "name": labels.parameter_name(preset, f"classes.{rule.code}.no_repeat"),
            "edit": "调整" if can_edit else "",
        }
        for rule in preset.classes
        if rule.no_repeat is None
    ]
    return render(
        request,
        "planning/policy.html",
        {
            "policy": policy,
            "preset": preset,
            "rows": rows,
            "silent": silent,
            "adjustments": policy.adjustments.select_related("created_by").order_by("-created_at"),
            "release_changes": release_changes(policy),
            "can_update": can_edit,
        },
    )


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    """调整 one value of the bureau's policy: the fields of the value in force, then a preview
    of the change in words and of the quarter's quotas with it, then 确认保存 (audited)."""
    organisation = request.user.organisation
    try:
        policy = organisation_policy(organisation)
    except NoPolicy as error:
        messages.error(request, str(error))
        return redirect("planning:policy")
    preset = effective_preset(policy)
    today = timezone.localdate()
    path = request.POST.get("parameter") or request.GET.get("parameter", "")
    item = editable(preset, path, today)
    if item is None:
        messages.error(request, "没有这项可调整的取值，请从本单位政策页的“调整”进入。")
        return redirect("planning:policy")
    first, last = _quarters(organisation)
    since = max(Quarter.of(today).start, policy_start(organisation))
    action = request.POST.get("action", "")
    form = PolicyValueForm(
        request.POST if action in ("preview", "save", "edit") else None,
        item=item,
        preset=preset,
        organisation=organisation,
        since=since,
    )
    context = {
        "preset": preset,
        "item": item,
        "form": form,
        "read_only": read_only_reason(item),
        "later": form.later(today),
    }
    if action in ("preview", "save") and form.editable and form.is_valid():
        data = form.cleaned_data
        if action == "save":
            try:
                policy_value_set(
                    actor=request.user,
                    policy=policy,
                    path=item.path,
                    value=data["value"],
                    since=data["since"],
                    reason=data["reason"],
                )
            except ValidationError as error:
                _service_errors(form, error)
            else:
                old, new = form.change_words()
                messages.success(
                    request,
                    f"已调整“{item.name}”：{new}，自 {data['since']:%Y-%m-%d} 起生效"
                    "（已记入审计日志）。",
                )
                return redirect("planning:policy")
        else:
            after = preset.with_value(
                item.path,
                data["value"],
                data["since"],
                Reference(document=f"{organisation.name}调整", clause="本次调整"),
            )
            quarter = preview_quarter(today, data["since"], first, last)
            old, new = form.change_words()
            context.update(
                old_words=old,
                new_words=new,
                preview=quota_preview(organisation, preset, after, quarter),
                this_quarter=quarter == Quarter.of(today),
            )
            return render(request, "planning/policy_preview.html", context)
    return render(request, "planning/policy_edit.html", context)


def _service_errors(form, error: ValidationError) -> None:
    """The service's refusal on the form, in the words a user reads (``value`` is the fields')."""
    for name, problems in getattr(error, "message_dict", {None: error.messages}).items():
        target = name if name in form.fields else None
        form.add_error(target, [readable(problem) for problem in problems])


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
