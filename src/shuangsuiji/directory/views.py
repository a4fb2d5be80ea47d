from __future__ import annotations

from pathlib import PurePath
from urllib.parse import urlencode

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
from shuangsuiji.accounts.views import add_service_errors
from shuangsuiji.directory import selectors, services, tasks
from shuangsuiji.directory.filters import RegisterFilter
from shuangsuiji.directory.forms import (
    ImportApplyForm,
    ImportUploadForm,
    ReasonForm,
    initial_from,
    kept_values,
    record_form_class,
)
from shuangsuiji.directory.importing import (
    ParsedWorkbook,
    Problem,
    error_workbook,
    export_rows,
    parse_register_file,
    template_workbook,
)
from shuangsuiji.directory.limits import size_text
from shuangsuiji.directory.models import ExportJob, ImportBatch, Target
from shuangsuiji.directory.registers import ITEMS, REGISTERS, RegisterSpec
from shuangsuiji.disclosure.caching import kept_until_changed, staff_version
from shuangsuiji.html import link_maker
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import inspections_this_year
from shuangsuiji.params import whole_number
from shuangsuiji.spreadsheets import file_name

READ = ("manage_registers", "read_org_data")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _spec(register: str) -> RegisterSpec:
    if register not in REGISTERS:
        raise Http404("没有这个名录。")
    return REGISTERS[register]


def _register_filter(spec: RegisterSpec, request) -> RegisterFilter:
    """The rows of the register the user may read, narrowed by the query string."""
    rows = selectors.register_rows(spec, request.user)
    return RegisterFilter(request.GET, spec=spec, queryset=rows)


class _Counted(Paginator):
    """Django's paginator given the number of rows, counted beforehand."""

    def __init__(self, rows, per_page: int, count: int):
        super().__init__(rows, per_page)
        self.__dict__["count"] = count  # what ``Paginator.count`` (a cached property) keeps


def _display(spec: RegisterSpec, obj, field: str) -> str:
    return _shown(spec.column_for_field(field), getattr(obj, field))


def _shown(column, value) -> str:
    """A value of a register's ``column`` as its list and record pages show it (masked if
    sensitive)."""
    if value in (None, ""):
        return ""
    if column.sensitive:
        return column.mask(value)
    return str(column.write(value))


def _attachment(content: bytes, filename: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # Django quotes an ASCII name and percent-encodes any other (RFC 6266), so neither a
    # Chinese name nor a “;” in an uploaded file's name can break or extend the header.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _list_columns(spec: RegisterSpec) -> list[str]:
    """What a register's list reads of a row, as values (fifty model objects built and thrown
    away were a tenth of the page, issue 21 §3): its key, the columns it shows, and its
    organisation's name."""
    return ["pk", *spec.list_fields, "organisation__name"]


#: The query string's keys that choose a page rather than rows.
PAGING = ("page", "after", "before")


@role_required(*READ)
def register_list(request, register: str):
    """A register's rows, 50 a page. A 分局's (its own rows, a few thousand) are in the
    register's order with the total; a 市局's or the 省厅's (``selectors.spans_units``) by
    登记顺序, page after page, without a total (issue 21 §3)."""
    spec = _spec(register)
    chosen = _register_filter(spec, request)
    spans = selectors.spans_units(request.user)
    # The columns the list shows: a 分局's page sorts its few thousand rows by name, and every
    # column read is sorted with them (the export reads the rest).
    rows = chosen.qs.values(*_list_columns(spec))
    # What a 分局's total and 片区 below are kept by, read once for both.
    version = None if spans else staff_version(request.user.organisation, lineage=True)
    if spans:
        page = selectors.register_page(
            rows,
            after=whole_number(request.GET.get("after"), 1, 2**62),
            before=whole_number(request.GET.get("before"), 1, 2**62),
        )
    else:
        # The total, kept until a row the user reads changes: counting the bureau's register
        # was a third of the database's time for the page (issue 21 §3).
        total = kept_until_changed(
            request.user.organisation,
            f"total:{spec.key}",
            rows.count,
            urlencode(sorted((name, str(value)) for name, value in chosen.applied.items())),
            lineage=True,
            version=version,
        )
        page = _Counted(rows, selectors.PAGE_SIZE, total).get_page(request.GET.get("page"))
    # Each row's link, by the register's URL reversed once, not by each row's
    # ``get_absolute_url`` (fifty reversals, a tenth of the page).
    link = link_maker("directory:detail", register, number=True)
    # Each column looked up once a page, not once a cell.
    columns = [(spec.column_for_field(field), field) for field in spec.list_fields]
    table = [
        (
            link(row["pk"]),
            [_shown(column, row[field]) for column, field in columns],
            row["organisation__name"],
        )
        for row in page
    ]
    filters = []
    for name in spec.filter_fields:
        column = spec.column_for_field(name)
        if name == "area":
            # Across units, 片区 is typed: each bureau names its own (area_choices).
            # Kept until a row the user reads changes: every 片区 is a read of all of them.
            options = (
                []
                if spans
                else kept_until_changed(
                    request.user.organisation,
                    f"areas:{spec.key}",
                    lambda: selectors.area_choices(spec, request.user),
                    lineage=True,
                    version=version,
                )
            )
        else:
            options = list(column.options)
        typed = name == "area" and spans
        filters.append({"name": name, "label": column.header, "options": options, "typed": typed})
    kept = request.GET.copy()
    for key in PAGING:
        kept.pop(key, None)
    return render(
        request,
        "directory/list.html",
        {
            "spec": spec,
            "headers": [spec.column_for_field(f).header for f in spec.list_fields],
            "table": table,
            "page": page,
            "spans_units": spans,
            # The filters chosen, for the links to the next and the previous page.
            "kept": kept.urlencode(),
            "filters": filters,
            "applied": chosen.applied,
            "has_register_state": chosen.has_register_state,
            "can_edit": has_permission(request.user, "manage_registers"),
        },
    )


def _team_inspections(user, target_pk: int):
    """The inspections of the target whose team the 执法人员 (the user whose login name is the
    执法证号) is on, in his bureau, not cancelled or replaced: those of 我的任务."""
    return (
        Inspection.objects.readable_by(user)
        .active()
        .filter(
            organisation_id=user.organisation_id,
            target_id=target_pk,
            members__inspector__certificate_no=user.username,
        )
        .select_related("task", "target__organisation")
        .order_by("-year", "pk")
        .distinct()
    )


def _history(spec: RegisterSpec, obj) -> list[dict]:
    history = []
    for record in obj.history.select_related("history_user").order_by("-history_date")[:50]:
        changes = []
        if record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
            for change in delta.changes:
                column = next((c for c in spec.columns if c.field == change.field), None)
                label = column.header if column else obj._meta.get_field(change.field).verbose_name
                if column and column.sensitive:
                    changes.append(f"{label}：已修改")
                else:
                    changes.append(f"{label}：{change.old or '（空）'} → {change.new or '（空）'}")
        history.append({"record": record, "changes": changes})
    return history


@role_required(*READ, "record_inspections")
def record_detail(request, register: str, pk: int):
    spec = _spec(register)
    if any(has_permission(request.user, p) for p in READ):
        obj = get_object_or_404(spec.model.objects.readable_by(request.user), pk=pk)
        team = None
    else:
        # An 执法人员 reads the register record of a target his team is sent to inspect, and
        # nothing else of the registers: no other target, officer, event or item.
        team = list(_team_inspections(request.user, pk)) if spec.model is Target else []
        if not team:
            raise PermissionDenied("只能查看本组检查任务的检查对象。")
        obj = team[0].target
    fields = [(c.header, _display(spec, obj, c.field)) for c in spec.columns]
    context = {
        "spec": spec,
        "obj": obj,
        "fields": fields,
        # The register's change log (who changed what, and why) is for those who keep and
        # read the registers, not for a team sent to the target.
        "history": _history(spec, obj) if team is None else None,
        "removable": hasattr(spec.model, "in_register"),
        "can_edit": has_permission(request.user, "manage_registers")
        and obj.organisation_id == request.user.organisation_id,
        "team": team,
    }
    if isinstance(obj, Target):
        context["events"] = selectors.events_of_target(obj)
    context["year"], context["year_count"] = inspections_this_year(obj)
    return render(request, "directory/detail.html", context)


@role_required("manage_registers")
@require_http_methods(["GET", "POST"])
def record_edit(request, register: str, pk: int | None = None):
    spec = _spec(register)
    instance = None
    if pk is not None:
        instance = get_object_or_404(spec.model.objects.editable_by(request.user), pk=pk)
    form_class = record_form_class(spec)
    initial = initial_from(spec, instance) if instance else {}
    form = form_class(request.POST or None, initial=initial, kept=kept_values(spec, instance))
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.record_save(
                actor=request.user,
                spec=spec,
                organisation=request.user.organisation,
                values=form.cleaned_data["values"],
                reason=form.cleaned_data["reason"],
                instance=instance,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已保存：{obj}")
            return redirect(obj.get_absolute_url())
    return _edit_page(request, spec, form, instance)


def _edit_page(request, spec: RegisterSpec, form, instance, *, revealed: bool = False):
    title = f"编辑：{instance}" if instance else f"新增{spec.model._meta.verbose_name}"
    personal = [c.header for c in spec.columns if c.sensitive]
    context = {"spec": spec, "form": form, "title": title, "revealed": revealed}
    if instance is not None:
        context["form_action"] = reverse("directory:edit", args=[spec.key, instance.pk])
        if personal and not revealed:
            context["reveal_url"] = reverse("directory:reveal", args=[spec.key, instance.pk])
            context["personal"] = "和".join(personal)
    return render(request, "directory/form.html", context)


@role_required("manage_registers")
@require_POST
def record_reveal(request, register: str, pk: int):
    """显示: the edit form again with the full personal numbers, once, logged."""
    spec = _spec(register)
    instance = get_object_or_404(spec.model.objects.editable_by(request.user), pk=pk)
    try:
        services.register_reveal_personal(actor=request.user, spec=spec, instance=instance)
    except ValidationError:
        raise Http404("该名录没有需要隐藏的个人信息。") from None
    form = record_form_class(spec)(initial=initial_from(spec, instance, reveal=True))
    return _edit_page(request, spec, form, instance, revealed=True)


@role_required("manage_registers")
@require_http_methods(["GET", "POST"])
def record_remove(request, register: str, pk: int):
    spec = _spec(register)
    if not hasattr(spec.model, "in_register"):
        raise Http404("该名录的记录不能移出。")
    obj = get_object_or_404(spec.model.objects.editable_by(request.user), pk=pk)
    restoring = not obj.in_register
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = services.record_restore if restoring else services.record_remove
        try:
            action(actor=request.user, instance=obj, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"已{'恢复' if restoring else '移出名录'}：{obj}")
            return redirect(obj.get_absolute_url())
    title = f"{'恢复' if restoring else '移出名录'}：{obj}"
    return render(request, "directory/form.html", {"spec": spec, "form": form, "title": title})


@role_required(*READ)
@require_http_methods(["GET", "POST"])
def register_export(request, register: str):
    """The register as the list page filters it. Beyond SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows
    the file is built by the worker (issue 21 §5): the GET offers that, and the POST queues it
    and goes to the export's page (a GET never writes)."""
    spec = _spec(register)
    if request.method == "POST":
        job = services.export_job_create(actor=request.user, spec=spec, query=request.GET)
        if not settings.SHUANGSUIJI_BACKGROUND_EXPORTS:
            # No worker process: the request runs the queued build itself.
            tasks.task_run_now(job.task_id)
        return redirect(job)
    rows = _register_filter(spec, request).qs
    count = rows.count()
    if count > settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS:
        return render(
            request,
            "directory/export_confirm.html",
            {
                "spec": spec,
                "count": count,
                "threshold": settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS,
                "recent": selectors.export_jobs_recent(spec, request.user),
                "keep_hours": settings.SHUANGSUIJI_EXPORT_KEEP_HOURS,
            },
        )
    # 身份证号 leave unmasked only in the owning coordinator's export, which must re-import.
    owner = has_permission(request.user, "manage_registers")
    content = export_rows(
        spec, rows.order_by("pk"), unmasked_org_id=request.user.organisation_id if owner else None
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    return _attachment(content, f"{spec.label}-{stamp}.xlsx")


def _export_job_for(request, pk: int) -> ExportJob:
    # The file holds the rows its requester reads, masked as for him (the coordinator's own
    # 身份证号 unmasked): nobody else downloads it, not even a colleague of the same bureau.
    jobs = ExportJob.objects.editable_by(request.user).filter(requested_by=request.user)
    return get_object_or_404(jobs, pk=pk)


@role_required(*READ)
def export_job(request, pk: int):
    job = _export_job_for(request, pk)
    spec = _spec(job.register)
    unfinished = job.status in ExportJob.UNFINISHED
    if request.htmx and not unfinished:
        # Built (or failed): swap the whole page in so the link or the message appears.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    template = "directory/export_progress.html" if request.htmx else "directory/export_job.html"
    return render(
        request,
        template,
        {
            "job": job,
            "spec": spec,
            # While it waits, the page says so if no worker runs to build it.
            "worker": tasks.worker_seen() if unfinished else True,
            "keep_hours": settings.SHUANGSUIJI_EXPORT_KEEP_HOURS,
        },
    )


@role_required(*READ)
def export_file(request, pk: int):
    job = _export_job_for(request, pk)
    if not job.has_file:
        raise Http404("导出文件尚未生成或已删除。")
    try:
        content = selectors.export_job_content(job)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(job)
    return _attachment(content, job.filename)


@role_required(*READ)
def register_template(request, register: str):
    spec = _spec(register)
    return _attachment(template_workbook(spec), f"{spec.label}-导入模板.xlsx")


@role_required("manage_registers")
@require_http_methods(["GET", "POST"])
def import_upload(request, register: str):
    spec = _spec(register)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_create(
                actor=request.user, spec=spec, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if not settings.SHUANGSUIJI_BACKGROUND_IMPORTS:
                # No worker process: the request runs the queued validation itself.
                tasks.task_run_now(batch.task_id)
            return redirect("directory:import_batch", pk=batch.pk)
    recent = selectors.recent_import_batches(spec, request.user)
    return render(
        request,
        "directory/import.html",
        {"spec": spec, "form": form, "recent": recent, "limits": _limits_text()},
    )


@role_required(*READ)
@require_http_methods(["GET", "POST"])
def items_compare(request):
    """Compare the bureau's 随机抽查事项清单 with the 市局's (绛县 四、（一） “上下一致、只增不减”):
    the file is read with the items register's columns and compared, never stored."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"spec": ITEMS, "form": form, "limits": _limits_text()}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        parsed = parse_register_file(ITEMS, upload.read(), upload.name)
        context["filename"] = upload.name
        if parsed.problems:
            context["problems"] = [p.as_list() for p in parsed.problems]
            context["omitted"] = parsed.omitted
        else:
            context["comparison"] = selectors.items_compared(
                request.user.organisation, parsed.records
            )
    return render(request, "directory/items_compare.html", context)


def _limits_text() -> str:
    return (
        f"文件不超过 {size_text(settings.SHUANGSUIJI_IMPORT_MAX_BYTES)}，"
        f"不超过 {settings.SHUANGSUIJI_IMPORT_MAX_ROWS:,} 行数据、"
        f"{settings.SHUANGSUIJI_IMPORT_MAX_COLUMNS} 列"
    )


def _batch_for(request, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.editable_by(request.user), pk=pk)


@role_required("manage_registers")
def import_batch(request, pk: int):
    batch = _batch_for(request, pk)
    spec = _spec(batch.register)
    form = ImportApplyForm()
    template = "directory/import_batch.html"
    if request.htmx and batch.status == ImportBatch.Status.VALIDATING:
        template = "directory/import_progress.html"
    elif request.htmx:
        # Validation finished: swap the whole page in so the preview or the errors appear.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    queue = {}
    if batch.status == ImportBatch.Status.VALIDATING:
        # 排队中 until a worker takes the task; and if no worker runs, the page says so.
        queue = {"waiting": tasks.task_waiting(batch.task_id), "worker": tasks.worker_seen()}
    return render(
        request,
        template,
        {
            "batch": batch,
            "spec": spec,
            "form": form,
            "queue": queue,
            # Stored already capped (SHUANGSUIJI_IMPORT_MAX_PROBLEMS, then a line counting the
            # rest); the count is its own column.
            "problems": batch.problems,
            "problem_count": batch.problem_count,
            "keep_hours": settings.SHUANGSUIJI_IMPORT_KEEP_HOURS,
        },
    )


@role_required("manage_registers")
@require_POST
def import_apply(request, pk: int):
    batch = _batch_for(request, pk)
    form = ImportApplyForm(request.POST)
    if form.is_valid():
        try:
            batch = services.import_batch_apply(
                actor=request.user,
                batch=batch,
                reason=form.cleaned_data["reason"],
                remove_absent=form.cleaned_data["remove_absent"],
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        except PermissionDenied:
            raise
        else:
            if batch.status == ImportBatch.Status.APPLIED:
                applied = batch.summary["applied"]
                messages.success(
                    request,
                    f"导入完成：新增 {applied['new']} 条，修改 {applied['changed']} 条，"
                    f"未变 {applied['unchanged']} 条，移出名录 {applied['removed']} 条。",
                )
            else:
                messages.error(
                    request, "名录在预览后发生了变化，重新校验发现问题，未导入任何数据。"
                )
    else:
        messages.error(request, "请填写导入原因。")
    return redirect("directory:import_batch", pk=batch.pk)


@role_required("manage_registers")
@require_POST
def import_abandon(request, pk: int):
    batch = _batch_for(request, pk)
    try:
        services.import_batch_abandon(actor=request.user, batch=batch)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已放弃导入 {batch.original_name}，上传的原文件已删除。")
    return redirect("directory:import_batch", pk=batch.pk)


@role_required("manage_registers")
def import_errors(request, pk: int):
    batch = _batch_for(request, pk)
    spec = _spec(batch.register)
    # The original sheet with an 错误 column while its file is kept; once the file is gone (or
    # reading it is what failed), the problems alone.
    parsed = ParsedWorkbook(spec=spec, filename=batch.original_name)
    if batch.status != ImportBatch.Status.FAILED and batch.has_file:
        try:
            content = selectors.import_batch_content(batch)
        except ValidationError:
            pass
        else:
            parsed = parse_register_file(spec, content, batch.original_name)
    problems = [
        Problem(row or 0, column, value, message) for row, column, value, message in batch.problems
    ]
    name = file_name(f"{PurePath(batch.original_name).stem}-错误说明", "xlsx")
    return _attachment(error_workbook(parsed, problems), name)
