"""参与其他部门联合抽查: the bureau's record of the joint checks other departments led."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.planning import participations
from shuangsuiji.planning.forms import ParticipationForm

READERS = ("manage_sampling", "read_org_data", "approve_plans")


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def participation_list(request):
    organisation = request.user.organisation
    may_record = has_permission(request.user, "manage_sampling")
    form = ParticipationForm(request.POST or None) if may_record else None
    if request.method == "POST":
        if form is None:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                row = participations.participation_record(
                    actor=request.user, organisation=organisation, **form.cleaned_data
                )
            except ValidationError as error:
                from shuangsuiji.accounts.views import add_service_errors

                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"已登记参与{row.lead_department}的联合抽查（{row.task_number}）。"
                )
                return redirect("planning:participations")
    year = timezone.localdate().year
    rows = participations.participations(organisation).select_related("recorded_by")
    return render(
        request,
        "planning/participations.html",
        {"form": form, "rows": rows.order_by("-checked_on", "-pk"), "year": year,
         "this_year": rows.filter(year=year).count()},
    )  # fmt: skip
