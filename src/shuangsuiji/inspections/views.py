"""Pages of inspections: the team's record on a phone, follow-ups, 回访, the printable form."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST

from shuangsuiji import spreadsheets
from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.accounts.views import add_service_errors
from shuangsuiji.directory.models import Inspector
from shuangsuiji.directory.selectors import target_by_code
from shuangsuiji.disclosure.caching import kept_until_changed
from shuangsuiji.inspections import letters as letter_acts
from shuangsuiji.inspections import selectors, services
from shuangsuiji.inspections.creation import (
    inspection_add_assistant,
    inspection_remove_assistant,
    inspection_set_partners,
    targeted_inspection_create,
)
from shuangsuiji.inspections.forms import (
    AssistantForm,
    AttachmentForm,
    FollowUpCloseForm,
    FollowUpOpenForm,
    NoticeForm,
    RecordForm,
    RevisitForm,
)
from shuangsuiji.inspections.letters import letter_writer, suggested_materials
from shuangsuiji.inspections.models import TARGETED_CASES, Inspection, Revisit
from shuangsuiji.params import YEARS, whole_number
from shuangsuiji.planning.models import Draw
from shuangsuiji.policy.schema import METHODS

READERS = ("manage_sampling", "approve_plans", "view_audit")
ANYONE_INVOLVED = (*READERS, "record_inspections")


def _can_read(user) -> bool:
    return any(has_permission(user, p) for p in READERS)


def _team_or_reader(request, pk: int) -> Inspection:
    """An inspection a reader of the organisation, or a member of its team, may open."""
    inspection = get_object_or_404(
        Inspection.objects.readable_by(request.user).select_related("target", "task", "draw"), pk=pk
    )
    if not _can_read(request.user) and not services.is_team_member(request.user, inspection):
        raise PermissionDenied("只能查看本组的检查任务。")
    return inspection


def _opened(request, pk: int) -> tuple[selectors.RecordRows, bool]:
    """``_team_or_reader``'s inspection for the record form, with what the form lists, and
    whether the user is on its team (asked of the team the form lists too). Its organisation
    comes with it: the form reads the organisation's partners, policy and calendar, each of
    which would read it again."""
    rows = selectors.record_rows(request.user, pk)
    if rows is None:
        raise Http404("没有这项检查。")
    member = services.is_team_member(request.user, rows.inspection, rows.members)
    if not member and not _can_read(request.user):
        raise PermissionDenied("只能查看本组的检查任务。")
    return rows, member


def _run(request, action: Callable[[], object], success: str) -> bool:
    """Call one service; show its refusal or ``success`` as a message."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return False
    messages.success(request, success)
    return True


def _valid(request, form) -> bool:
    """A small form posted from a button row: its errors, naming their fields, as a message."""
    if form.is_valid():
        return True
    messages.error(request, "；".join(form.problems()))
    return False


#: Open inspections 我的任务 shows before “显示全部” (the earliest deadlines, overdue first).
MY_OPEN_SHOWN = 20


@role_required("record_inspections")
def my_inspections(request):
    """我的任务: an inspector sees the inspections of the teams they belong to, and no others,
    each with its 检查时限 and, past it, 逾期 (保定 三、（三））; the open ones with the earliest
    deadlines (all of them with ``?all=1``), then the finished ones a page at a time, latest
    first (``?before=``). The counts are the database's, of all of them."""
    today = timezone.localdate()
    before = whole_number(request.GET.get("before"), 1, 2**62)
    # An older page of the finished ones shows no open cards, only their counts.
    shown = 0 if before is not None else None if request.GET.get("all") == "1" else MY_OPEN_SHOWN
    tasks = selectors.my_tasks(request.user, today, shown=shown, before=before)
    return render(
        request,
        "inspections/mine.html",
        {"tasks": tasks, "more": tasks.open_total - len(tasks.open), "paged": before is not None},
    )


@role_required(*ANYONE_INVOLVED)
def inspection_detail(request, pk: int):
    inspection = _team_or_reader(request, pk)
    coordinator = (
        has_permission(request.user, "manage_sampling")
        and inspection.organisation_id == request.user.organisation_id
    )
    if request.method == "POST":
        if not coordinator:
            raise PermissionDenied("只有抽查管理员可以登记联合部门人员。")
        names = request.POST.get("partners", "").replace("，", "、").replace(",", "、").split("、")
        _run(
            request,
            lambda: inspection_set_partners(actor=request.user, inspection=inspection, names=names),
            "已登记联合部门执法人员。",
        )
        return redirect("inspections:detail", pk=pk)
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "coordinator": coordinator,
            "members": inspection.members.select_related("inspector"),
            "parts": inspection.parts.select_related("organisation").prefetch_related("team"),
            **_assistants_context(inspection, coordinator),
        },
    )


def _assistants_context(inspection: Inspection, coordinator: bool) -> dict:
    """保定 三（二）: who joins beside the team, and the coordinator's form while it may change."""
    open_ = coordinator and inspection.status == Inspection.Status.ASSIGNED
    return {
        "assistants": inspection.assistants.select_related("person"),
        "assistants_open": open_,
        "assistant_form": AssistantForm(inspection=inspection) if open_ else None,
    }


@role_required("manage_sampling")
@require_POST
def assistant_add(request, pk: int):
    """保定 三（二）: name a 专家 or 辅助人员 of the register, with a reason."""
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    form = AssistantForm(request.POST, inspection=inspection)
    if _valid(request, form):
        data = form.cleaned_data
        _run(
            request,
            lambda: inspection_add_assistant(
                actor=request.user,
                inspection=inspection,
                person=data["person"],
                reason=data["reason"],
            ),
            f"已安排{data['person'].get_category_display()} {data['person'].name} 参加检查"
            "（不计入执法人员人数）。",
        )
    return redirect("inspections:detail", pk=pk)


@role_required("manage_sampling")
@require_POST
def assistant_remove(request, pk: int, assistant_id: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    assistant = get_object_or_404(inspection.assistants, pk=assistant_id)
    _run(
        request,
        lambda: inspection_remove_assistant(
            actor=request.user, inspection=inspection, assistant=assistant
        ),
        f"已撤下{assistant.get_role_display()} {assistant.person.name}。",
    )
    return redirect("inspections:detail", pk=pk)


class TargetedForm(forms.Form):
    target = forms.CharField(label="检查对象（统一社会信用代码或项目代码）", max_length=64)
    case = forms.ChoiceField(label="事由（不适用双随机的情形）", choices=TARGETED_CASES)
    reference = forms.CharField(label="案件、交办文件或线索编号", max_length=200)
    method = forms.ChoiceField(label="检查方式", choices=[(m, m) for m in METHODS])
    lead = forms.ModelChoiceField(label="带队人", queryset=Inspector.objects.none())
    others = forms.ModelMultipleChoiceField(
        label="其他执法人员", queryset=Inspector.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = inspectors
        self.fields["others"].queryset = inspectors


@role_required("manage_sampling")
def targeted_new(request):
    """绛县 三、（一）: a check outside the draw, with its case."""
    organisation = request.user.organisation
    inspectors = Inspector.objects.drawable().filter(organisation=organisation)
    form = TargetedForm(request.POST or None, inspectors=inspectors)
    if request.method == "POST" and form.is_valid():
        target = target_by_code(organisation, form.cleaned_data["target"])
        if target is None:
            form.add_error("target", "本单位名录中没有该检查对象。")
        else:
            lead = form.cleaned_data["lead"]
            team = [lead, *[i for i in form.cleaned_data["others"] if i != lead]]
            try:
                inspection = targeted_inspection_create(
                    actor=request.user,
                    target=target,
                    case=form.cleaned_data["case"],
                    reference=form.cleaned_data["reference"],
                    inspectors=team,
                    method=form.cleaned_data["method"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "已登记定向检查，计入该对象的年度检查次数。")
                return redirect("inspections:detail", pk=inspection.pk)
    return render(request, "accounts/form.html", {"form": form, "title": "登记定向检查（非随机）"})


@role_required(*ANYONE_INVOLVED)
def record(request, pk: int):
    """The team's check form, phone first: items, method, time, people present, result."""
    rows, member = _opened(request, pk)
    inspection, members, items, checks = rows.inspection, rows.members, rows.items, rows.checks
    editable = member and inspection.status == Inspection.Status.ASSIGNED
    # The policy the form's dates and the three questions below ask, read once (each read is
    # two queries); a reader's form is disabled and reads it for its dates only.
    preset = services.records_preset(inspection) if editable else None
    form = RecordForm(
        request.POST or None,
        inspection=inspection,
        items=items,
        checks=checks,
        members=members,
        preset=preset,
    )
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("只有本组执法人员可以填写尚未提交的检查记录。")
        submit = "submit" in request.POST
        # Submitting saves and submits in one transaction: a refusal keeps the draft as it was.
        service = services.inspection_record_submit if submit else services.inspection_record_save

        def save() -> None:
            service(
                actor=request.user,
                inspection=inspection,
                data=form.record_data(),
                outcomes=form.outcomes(),
            )

        if form.is_valid() and _run(
            request, save, "检查结果已提交。" if submit else "已保存草稿。"
        ):
            return redirect("inspections:record", pk=pk)
        # The form shows what was posted; the rest of the page, what is stored.
        inspection.refresh_from_db()
    from copy import copy

    from shuangsuiji.inspections.models import VIOLATION_CATEGORIES, ItemOutcome, ResultCategory

    # The files uploaded, listed below; their kinds answer the records rule's three questions.
    attachments = rows.attachments
    kinds = {attachment.kind for attachment in attachments}

    def records_needed(violation: bool) -> str:
        """The 现场检查 records rule's words for a result with or without a violation, with the
        files uploaded so far, for the live 提交前还需 list; the probe is never saved."""
        probe = copy(inspection)
        probe.method_used = "现场检查"
        probe.result_category = ResultCategory.ORDERED if violation else ResultCategory.NO_PROBLEM
        return "".join(services._missing_records(probe, preset, kinds))

    return render(
        request,
        "inspections/record.html",
        {
            "inspection": inspection,
            "form": form,
            "editable": editable,
            "item_fields": [
                (item, form[f"item_{item.pk}"], form[f"note_{item.pk}"]) for item in items
            ],
            "attachments": attachments,
            "assistants": rows.assistants,
            "attachment_form": AttachmentForm(),
            "problems": (
                services.submission_problems(
                    inspection, preset, items=items, checks=checks, kinds=kinds
                )
                if editable
                else []
            ),
            # What the browser needs to keep 提交前还需 live (``submission_problems``' rules).
            "submit_rules": {
                "records_violation": records_needed(True) if editable else "",
                "records_clean": records_needed(False) if editable else "",
                "violation_categories": " ".join(sorted(VIOLATION_CATEGORIES)),
                "no_problem_categories": " ".join(
                    [ResultCategory.NO_PROBLEM, ResultCategory.NO_ACTIVITY]
                ),
                "problem": ItemOutcome.PROBLEM,
                "onsite": "现场检查",
            },
            "follow_ups": inspection.follow_ups.all(),
            "publication_state": services.publication_state(inspection),
            "coordinator": inspection.organisation_id == request.user.organisation_id
            and has_permission(request.user, "manage_sampling"),
        },
    )


@role_required("record_inspections")
@require_POST
def attachment_upload(request, pk: int):
    inspection = _team_or_reader(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        _run(
            request,
            lambda: services.attachment_add(
                actor=request.user,
                inspection=inspection,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            ),
            "已上传。",
        )
    else:
        messages.error(request, "请选择材料类型和文件。")
    return redirect("inspections:record", pk=pk)


@role_required(*ANYONE_INVOLVED)
def attachment_file(request, pk: int, attachment_id: int):
    """Attachments are never served from the media URL: only here, after the same check."""
    inspection = _team_or_reader(request, pk)
    attachment = get_object_or_404(inspection.attachments, pk=attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )


@role_required(*ANYONE_INVOLVED)
@require_http_methods(["GET", "POST"])
def letters(request, pk: int):
    """告知书: the 一次告知书 before the check, the 检查结果告知书 after it (获嘉 二、（三）,
    三、（二）), each frozen among the inspection's 材料 when issued."""
    inspection = _team_or_reader(request, pk)
    writer = letter_writer(request.user, inspection)
    form = NoticeForm(
        request.POST if request.POST.get("action") == "notice" else None,
        organisation=inspection.organisation,
        initial={"materials": "\n".join(suggested_materials(inspection))},
    )
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("只有本组执法人员或本单位抽查管理员可以出具告知书。")
        action = request.POST.get("action")
        try:
            if action == "notice" and form.is_valid():
                letter_acts.notice_issue(
                    actor=request.user,
                    inspection=inspection,
                    visit_on=form.cleaned_data["visit_on"],
                    materials=form.material_lines(),
                )
                messages.success(request, "已出具一次告知书，已存入本次检查的材料。")
                return redirect("inspections:letters", pk=pk)
            if action == "result":
                letter_acts.result_notice_issue(actor=request.user, inspection=inspection)
                messages.success(request, "已出具检查结果告知书，已存入本次检查的材料。")
                return redirect("inspections:letters", pk=pk)
        except ValidationError as error:
            if action == "notice":
                add_service_errors(form, error)
            else:
                messages.error(request, "；".join(error.messages))
        except letter_acts.LetterUnavailable as error:
            return render(request, "unavailable.html", {"reason": str(error)}, status=503)
    return render(
        request,
        "inspections/letters.html",
        {
            "inspection": inspection,
            "form": form if writer and inspection.status == Inspection.Status.ASSIGNED else None,
            "can_result": writer and inspection.status == Inspection.Status.DONE,
            "issued": inspection.attachments.filter(kind__in=letter_acts.LETTER_KINDS),
        },
    )


@role_required(*ANYONE_INVOLVED)
def checklist_pdf(request, pk: int):
    """现场检查表 pre-filled with target, items and team, to print and sign (绛县 四、（六））."""
    inspection = _team_or_reader(request, pk)
    try:
        from weasyprint import HTML
    except OSError:  # the machine lacks Pango: say what to install instead of failing
        reason = (
            "服务器缺少 PDF 组件，请系统管理员安装 libpango-1.0-0、libpangoft2-1.0-0 和 "
            "fonts-noto-cjk。"
        )
        return render(request, "unavailable.html", {"reason": reason}, status=503)
    html = render_to_string(
        "inspections/checklist_pdf.html",
        {
            "inspection": inspection,
            "items": inspection.items.all(),
            "members": inspection.members.select_related("inspector"),
        },
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    name = spreadsheets.file_name(f"现场检查表-{inspection.target.name}", "pdf")
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


@role_required("manage_sampling")
@require_POST
def reopen(request, pk: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    _run(
        request,
        lambda: services.inspection_reopen(
            actor=request.user, inspection=inspection, reason=request.POST.get("reason", "")
        ),
        "已退回检查组重新填写，原提交记录保留在变更历史中。",
    )
    return redirect("inspections:record", pk=pk)


@role_required("manage_sampling")
@require_POST
def follow_up_open_view(request, pk: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    form = FollowUpOpenForm(request.POST, organisation=inspection.organisation)
    if _valid(request, form):
        data = form.cleaned_data
        _run(
            request,
            lambda: services.follow_up_open(
                actor=request.user,
                inspection=inspection,
                kind=data["kind"],
                opened_on=data["opened_on"] or timezone.localdate(),
                deadline=data["deadline"],
                case_number=data["case_number"],
                receiver=data["receiver"],
            ),
            "已登记后续处置。",
        )
    return redirect("inspections:record", pk=pk)


@role_required("manage_sampling")
@require_POST
def follow_up_close_view(request, pk: int, follow_up_id: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    follow_up = get_object_or_404(inspection.follow_ups, pk=follow_up_id)
    form = FollowUpCloseForm(request.POST, organisation=inspection.organisation)
    if _valid(request, form):
        data = form.cleaned_data
        _run(
            request,
            lambda: services.follow_up_close(
                actor=request.user,
                follow_up=follow_up,
                closed_on=data["closed_on"] or timezone.localdate(),
                outcome=data["outcome"],
                penalty_decided_on=data["penalty_decided_on"],
            ),
            "已办结。",
        )
    return redirect("inspections:record", pk=pk)


#: Rows of each list 逾期事项 shows (the longest overdue first); the counts are of all of them.
OVERDUE_SHOWN = 50


@role_required("manage_sampling")
def overdue(request):
    """逾期事项, for the coordinator to chase: inspections still open after their task's 检查时限
    (保定 三、（三）; 绛县 四、（五）4), and follow-ups past their deadline. Each list shows the
    longest overdue ``OVERDUE_SHOWN`` under the count of all, as 结果公示 does (issue 21 §3)."""
    today = timezone.localdate()
    organisation = request.user.organisation
    # Kept until the bureau's data changes: both lists read only the bureau's own rows.
    lists = kept_until_changed(
        organisation, "overdue", lambda: _overdue(organisation, today), today
    )
    return render(request, "inspections/overdue.html", {**lists, "shown": OVERDUE_SHOWN})


def _overdue(organisation, today) -> dict:
    # The bureau's open follow-ups are one range of an index (``followup_open_due``): the
    # count and the shown rows are two short reads, not every row built in Python.
    rows, follow_up_count = selectors.overdue_follow_ups(organisation, today, OVERDUE_SHOWN)
    return {
        "inspections": selectors.overdue_inspections(organisation, today, shown=OVERDUE_SHOWN),
        "inspection_count": selectors.overdue_inspection_count(organisation, today),
        "rows": rows,
        "follow_up_count": follow_up_count,
    }


#: Rows of each list 结果公示 shows (the earliest due first); the counts are of all of them.
PUBLICATION_SHOWN = 50


@role_required("manage_sampling")
def publication(request):
    """结果公示: results waiting for release or for their draw's reveal, and the overdue ones."""
    today = timezone.localdate()
    year = _year(request.GET.get("year", ""), today.year)
    organisation = request.user.organisation
    return render(
        request,
        "inspections/publication.html",
        {
            # Kept until the bureau's data changes: the report reads only its own rows.
            "report": kept_until_changed(
                organisation,
                "publication",
                lambda: selectors.publication(organisation, year, today, shown=PUBLICATION_SHOWN),
                year,
                today,
            ),
            "shown": PUBLICATION_SHOWN,
            "year": year,
        },
    )


def _year(raw: str, default: int) -> int:
    return whole_number(raw, *YEARS) or default


@role_required("manage_sampling")
@require_POST
def release(request, pk: int):
    inspection = get_object_or_404(Inspection.objects.editable_by(request.user), pk=pk)
    _run(
        request,
        lambda: services.result_release(actor=request.user, inspection=inspection),
        "已公示。",
    )
    return redirect("inspections:publication")


@role_required("manage_sampling")
@require_POST
def revisit_sample_view(request, draw_pk: int):
    draw = get_object_or_404(Draw.objects.editable_by(request.user), pk=draw_pk)
    _run(
        request,
        lambda: services.revisit_sample(actor=request.user, draw=draw),
        "已抽取回访对象（按本次抽取公开的种子计算）。",
    )
    return redirect("planning:draw_detail", pk=draw_pk)


@role_required("manage_sampling")
@require_POST
def revisit_record_view(request, pk: int):
    revisit = get_object_or_404(
        Revisit.objects.filter(draw__organisation=request.user.organisation), pk=pk
    )
    form = RevisitForm(request.POST, organisation=revisit.draw.organisation)
    if _valid(request, form):
        data = form.cleaned_data
        _run(
            request,
            lambda: services.revisit_record(
                actor=request.user,
                revisit=revisit,
                form=data["form"],
                done_on=data["done_on"] or timezone.localdate(),
                opinions=data["opinions"],
                escalated=data["escalated"],
                escalation_note=data["escalation_note"],
            ),
            "已记录回访。",
        )
    return redirect("planning:draw_detail", pk=revisit.draw_id)
