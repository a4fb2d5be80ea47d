"""The pages of a partner department's part of a 部门联合 inspection."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.views import add_service_errors
from shuangsuiji.inspections import parts
from shuangsuiji.inspections.forms import PartForm
from shuangsuiji.inspections.models import ConfidentialPublication, Inspection, InspectionPart

RECORDERS = ("manage_sampling", "record_inspections")
#: Who reads the inspections of the lead bureau (and so its partners' parts), as on
#: ``inspections:detail``; an inspector reads only the parts of the teams it is on.
LEAD_READERS = ("manage_sampling", "read_org_data", "approve_plans", "view_audit")


def _own_parts(user):
    """The parts of the user's department: all of them for its coordinator, those of the
    teams the user is on for an inspector."""
    rows = InspectionPart.objects.filter(organisation=user.organisation)
    if not has_permission(user, "manage_sampling"):
        rows = rows.filter(team__certificate_no=user.username)
    return rows


@role_required(*RECORDERS)
def part_list(request):
    rows = (
        _own_parts(request.user)
        .select_related("inspection__target", "inspection__task", "inspection__organisation")
        .order_by("status", "-inspection__created_at")
    )
    return render(request, "inspections/part_list.html", {"parts": rows})


def _readable(user, pk: int) -> InspectionPart:
    """The partner department reads its own part; the lead bureau (and those above it)
    read every part of the inspections they can read."""
    readable = Q(pk__in=_own_parts(user).values("pk"))
    if any(has_permission(user, p) for p in LEAD_READERS):
        readable |= Q(inspection__in=Inspection.objects.readable_by(user).values("pk"))
    part = (
        InspectionPart.objects.filter(readable)
        .select_related(
            "inspection__target",
            "inspection__task",
            "inspection__draw",
            "inspection__organisation",
            "organisation",
        )
        .filter(pk=pk)
        .first()
    )
    if part is None:
        raise Http404("没有这项联合部门检查，或您无权查看。")
    return part


@role_required(*RECORDERS, "read_org_data", "approve_plans", "view_audit")
@require_http_methods(["GET", "POST"])
def part_detail(request, pk: int):
    part = _readable(request.user, pk)
    editable = (
        parts.may_record(request.user, part) and part.status != InspectionPart.Status.SUBMITTED
    )
    form = PartForm(
        request.POST if request.method == "POST" and editable else None,
        initial={
            "checked_at": part.checked_at,
            "result_category": part.result_category,
            "findings": part.findings,
            "public_summary": part.public_summary,
        },
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("save", "submit") and editable and form.is_valid():
                part = parts.part_save(actor=request.user, part=part, **form.cleaned_data)
                if action == "submit":
                    parts.part_submit(actor=request.user, part=part)
                    messages.success(request, "已提交本部门的检查情况。")
                else:
                    messages.success(request, "已保存。")
                return redirect("inspections:part", pk=part.pk)
            if action == "publish" and request.POST.get("confirm") == "1":
                parts.part_publish(actor=request.user, part=part)
                messages.success(request, "已公示本部门的检查情况。")
                return redirect("inspections:part", pk=part.pk)
            if action not in ("save", "submit", "publish"):
                messages.error(request, "没有这项操作。")
        except ValidationError as error:
            add_service_errors(form, error)
    inspection = part.inspection
    return render(
        request,
        "inspections/part_detail.html",
        {
            "part": part,
            "inspection": inspection,
            "form": form if editable else None,
            "missing": parts.part_missing(part) if editable else [],
            "may_publish": has_permission(request.user, "manage_sampling")
            and request.user.organisation_id == part.organisation_id,
            "publish_refusal": parts.publish_refusal(part),
            "lead_team": inspection.members.select_related("inspector"),
            "items": inspection.items.all(),
        },
    )


@role_required(*RECORDERS, "read_org_data", "approve_plans", "view_audit")
def shared_results(request):
    """保定 三、（五） 调整公示的范围: the 涉密 results a bureau shared with this department only
    (限定范围), never on the portal."""
    rows = (
        Inspection.objects.filter(
            shared_with=request.user.organisation,
            confidential_publication=ConfidentialPublication.RESTRICTED,
            status=Inspection.Status.DONE,
        )
        .select_related("target", "organisation", "task")
        .order_by("-determined_on", "-pk")
    )
    return render(request, "inspections/shared_results.html", {"results": rows})
