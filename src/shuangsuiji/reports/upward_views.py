"""Pages of the reports a 分局 sends up to its 市局 (issue 20 §4, reports/upward.py).

- 报送市局 (``upward``): a 分局 sees its quarters and rounds, what is due and what it sent; a
  市局 sees each 分局 × period with its state and lateness, and sets the year's deadlines.
- 报送 (``upward_submit``): the 分局's 抽查管理员 reviews what will be frozen, then sends it.
- a report (``upward_detail``): exactly what was sent, its versions and review log; the 市局's
  抽查管理员 or 领导 accepts it (a confirmation page) or sends it back with a comment.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from shuangsuiji import spreadsheets
from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.models import Organisation, OrganisationLevel
from shuangsuiji.params import YEARS, RangedDateField, whole_number
from shuangsuiji.planning.models import SamplingTask
from shuangsuiji.reports import upward
from shuangsuiji.reports.exports import XLSX
from shuangsuiji.reports.models import UpwardReport

READERS = ("manage_sampling", "read_org_data")
REVIEWERS = ("manage_sampling", "approve_plans")


class SubmitForm(forms.Form):
    comment = forms.CharField(
        label="报送说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="可不填。如有需要说明的数据情况，或按退回意见作了哪些修改，请写在这里。",
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回原因和修改意见",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请写明退回的原因和需要修改的内容。"},
    )


class AcceptForm(forms.Form):
    comment = forms.CharField(
        label="接收意见",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeadlineForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=YEARS[0], max_value=YEARS[1])
    q1 = RangedDateField(label="第一季度报送期限", required=False, future=True)
    q2 = RangedDateField(label="第二季度报送期限", required=False, future=True)
    q3 = RangedDateField(label="第三季度报送期限", required=False, future=True)
    q4 = RangedDateField(label="第四季度报送期限", required=False, future=True)
    round_workdays = forms.IntegerField(
        label="按轮次报送：每轮检查时限届满后几个工作日内",
        required=False,
        min_value=upward.ROUND_WORKDAYS[0],
        max_value=upward.ROUND_WORKDAYS[1],
        help_text="不填则不要求按轮次报送。季度期限不填的，按各分局实施方案（方案未规定期限的不计逾期）。",
    )  # fmt: skip


def _year(data) -> int:
    return whole_number(data.get("year", ""), *YEARS) or timezone.localdate().year


def _page(year: int, organisation: Organisation | None = None) -> str:
    query = f"?year={year}" + (f"&org={organisation.code}" if organisation else "")
    return reverse("reports:upward") + query


@role_required(*READERS)
def upward_page(request):
    """报送市局: the 分局's own periods, or the 市局's view of its 分局."""
    own = request.user.organisation
    today = timezone.localdate()
    year = _year(request.GET)
    code = request.GET.get("org", "")
    chosen = (
        get_object_or_404(Organisation.objects.subtree_of(own).filter(is_active=True), code=code)
        if code
        else own
    )
    context = {"year": year, "organisation": chosen, "today": today}
    if upward.reports_to_parent(chosen):
        row = upward.upward_branch(chosen, year, today)
        context |= {
            "row": row,
            "parent": chosen.parent,
            "can_submit": chosen == own and has_permission(request.user, "manage_sampling"),
            "versions": [v for status in row.periods for v in reversed(status.versions)],
        }
        return render(request, "reports/upward_branch.html", context)
    overview = upward.upward_overview(chosen, year, today)
    can_set = chosen == own and has_permission(request.user, "manage_sampling") and overview.rows
    deadline = overview.deadline
    initial = {"year": year}
    if deadline:
        initial |= {f"q{n}": deadline.quarter(n) for n in (1, 2, 3, 4)}
        initial["round_workdays"] = deadline.round_workdays
    context |= {
        "overview": overview,
        "form": DeadlineForm(initial=initial) if can_set else None,
        # A 省厅 has no 分局 of its own: it opens each 市局's page.
        "cities": []
        if overview.rows
        else list(
            Organisation.objects.subtree_of(chosen)
            .filter(is_active=True, level=OrganisationLevel.CITY)
            .order_by("code")
        ),
    }
    return render(request, "reports/upward_overview.html", context)


def _period(organisation: Organisation, data) -> upward.ReportPeriod | None:
    """The period named by ``year`` and ``quarter``, or by ``task`` (a task of the 分局)."""
    year = whole_number(data.get("year", ""), *YEARS)
    quarter = data.get("quarter", "")
    if year and quarter in ("1", "2", "3", "4"):
        return upward.ReportPeriod(year, int(quarter))
    task = whole_number(data.get("task", ""), 1, 2**31 - 1)
    if task:
        found = get_object_or_404(
            SamplingTask.objects.select_related("plan").filter(organisation=organisation), pk=task
        )
        return upward.ReportPeriod(found.plan.year, task=found)
    return None


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def upward_submit(request):
    """报送: what will be frozen, shown first; sent from this page's confirmation."""
    organisation = request.user.organisation
    data = request.POST if request.method == "POST" else request.GET
    period = _period(organisation, data)
    year = period.year if period else _year(data)
    if period is None:
        messages.error(request, "请从报送页面选择要报送的季度或抽查轮次。")
        return redirect(_page(year))
    if not upward.reports_to_parent(organisation):
        messages.error(request, "只有分局向上级市局报送统计表和名录调整；本单位无需报送。")
        return redirect(_page(year))
    form = SubmitForm(request.POST or None)
    if request.method == "POST" and request.POST.get("confirm") == "1" and form.is_valid():
        try:
            report = upward.upward_report_submit(
                actor=request.user,
                organisation=organisation,
                period=period,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect(_page(year))
        messages.success(
            request,
            f"已向{organisation.parent.name}报送{report.period_label}的统计表和名录调整"
            f"（第 {report.version} 版），等待审核。",
        )
        return redirect("reports:upward_detail", pk=report.pk)
    try:
        status, content = upward.upward_preview(organisation, period, timezone.localdate())
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_page(year))
    return render(
        request,
        "reports/upward_submit.html",
        {
            "organisation": organisation,
            "parent": organisation.parent,
            "period": period,
            "status": status,
            "content": content,
            "table": content.table_json() if content else None,
            "counts": upward.adjustment_counts(content.adjustments) if content else [],
            "form": form,
            "back": _page(year),
        },
    )


def _readable(request, pk: int) -> UpwardReport:
    return get_object_or_404(
        upward.readable_reports(request.user).select_related(
            "organisation", "parent", "submitted_by", "task"
        ),
        pk=pk,
    )


def _reviewer(user, report: UpwardReport) -> bool:
    return user.organisation_id == report.parent_id and any(
        has_permission(user, c) for c in REVIEWERS
    )


@role_required(*READERS)
def upward_detail(request, pk: int):
    """One version exactly as it was sent, beside the other versions of its period."""
    report = _readable(request, pk)
    versions = upward.report_versions(report)
    latest = versions[-1]
    return render(
        request,
        "reports/upward_detail.html",
        {
            "report": report,
            "table": report.table,
            "adjustments": report.adjustments,
            "counts": upward.adjustment_counts(report.adjustments),
            "versions": versions,
            "latest": latest,
            "can_review": report.status == UpwardReport.Status.SUBMITTED
            and _reviewer(request.user, report),
            "can_resubmit": report.pk == latest.pk
            and report.status == UpwardReport.Status.RETURNED
            and request.user.organisation_id == report.organisation_id
            and has_permission(request.user, "manage_sampling"),
            "return_form": ReturnForm(prefix="return"),
            "back": _page(report.year),
        },
    )


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, spreadsheets.file_name(name, "xlsx")
    )
    return response


@role_required(*READERS)
def upward_table_file(request, pk: int):
    """The 统计表 workbook as it was sent (never rebuilt from today's data)."""
    report = _readable(request, pk)
    return _download(bytes(report.table_file), report.table["files"]["table"])


@role_required(*READERS)
def upward_adjustments_file(request, pk: int):
    report = _readable(request, pk)
    return _download(bytes(report.adjustments_file), report.table["files"]["adjustments"])


@role_required(*REVIEWERS)
@require_POST
def upward_return(request, pk: int):
    report = _readable(request, pk)
    if not _reviewer(request.user, report):
        raise PermissionDenied("只有接收单位的抽查管理员或领导可以审核下级报送。")
    form = ReturnForm(request.POST, prefix="return")
    if not form.is_valid():
        messages.error(request, "退回时请写明退回的原因和需要修改的内容（最多 500 字）。")
        return redirect("reports:upward_detail", pk=pk)
    try:
        upward.upward_report_return(
            actor=request.user, report=report, comment=form.cleaned_data["comment"]
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已退回{report.organisation.name}，请其修改后重新报送。")
    return redirect("reports:upward_detail", pk=pk)


@role_required(*REVIEWERS)
@require_http_methods(["GET", "POST"])
def upward_accept(request, pk: int):
    """接收, from a page that says what it means."""
    report = _readable(request, pk)
    if not _reviewer(request.user, report):
        raise PermissionDenied("只有接收单位的抽查管理员或领导可以审核下级报送。")
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and request.POST.get("confirm") == "1" and form.is_valid():
        try:
            upward.upward_report_accept(
                actor=request.user, report=report, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(
                request, f"已接收{report.organisation.name}{report.period_label}的报送。"
            )
        return redirect("reports:upward_detail", pk=pk)
    detail = reverse("reports:upward_detail", args=[pk])
    blocked = (
        ""
        if report.status == UpwardReport.Status.SUBMITTED
        else f"第 {report.version} 版当前为“{report.get_status_display()}”，"
        "只有待审核的报送可以接收。"
    )
    return render(
        request,
        "planning/confirm.html",
        {
            "title": f"接收 {report}",
            "verb": "接收",
            "blocked": blocked,
            "facts": [
                ("报送单位", report.organisation.name),
                ("统计期间", report.period_label),
                ("版本", f"第 {report.version} 版"),
                ("报送时间", f"{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}"),
                ("名录调整", f"{len(report.adjustments)} 条"),
            ],
            "consequences": [
                "接收后这一期的报送即告完成，分局不能再报送新的版本；如需更正，只能线下另行沟通。",
                "接收人、接收时间和接收意见记入审核记录和操作日志。",
            ],
            "form": form,
            "button": "接收",
            "irreversible": True,
            "back": detail,
            "action": request.path,
        },
    )


@role_required("manage_sampling")
@require_POST
def upward_deadline(request):
    """The 市局 sets the year's deadlines for its 分局."""
    form = DeadlineForm(request.POST)
    year = _year(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "；".join(
                f"{form.fields[name].label or '年度'}：{'，'.join(errors)}"
                for name, errors in form.errors.items()
            ),
        )
        return redirect(_page(year))
    data = form.cleaned_data
    try:
        upward.upward_deadlines_set(
            actor=request.user,
            organisation=request.user.organisation,
            year=data["year"],
            quarters={n: data[f"q{n}"] for n in (1, 2, 3, 4)},
            round_workdays=data["round_workdays"],
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已设置 {data['year']} 年下级报送期限。")
    return redirect(_page(data["year"]))
