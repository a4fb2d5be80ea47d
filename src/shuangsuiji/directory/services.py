"""Writes to the registers. The web pages and the command line call the same functions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.filters import RegisterFilter
from shuangsuiji.directory.importing import (
    ImportPlan,
    Progress,
    apply_import,
    export_rows,
    import_limits,
    parse_register_file,
    plan_import,
)
from shuangsuiji.directory.limits import too_large
from shuangsuiji.directory.models import ExportJob, ImportBatch
from shuangsuiji.directory.registers import RegisterSpec, register_by_key
from shuangsuiji.directory.selectors import import_batch_content, register_rows
from shuangsuiji.directory.tasks import import_validate, register_export_build
from shuangsuiji.directory.uploads import (
    loose_files_delete,
    plain_files,
    seal,
    stored_file_delete,
)
from shuangsuiji.draw.primitives import gc_paused
from shuangsuiji.jobs import job_claim

logger = logging.getLogger(__name__)


def check_can_edit(actor, organisation: Organisation) -> None:
    """Registers are edited by the 抽查管理员 of the organisation that owns them, nobody above."""
    require_own(actor, organisation.pk, "manage_registers", "只有本单位的抽查管理员可以修改名录。")


@dataclass
class ImportOutcome:
    plan: ImportPlan
    applied: dict[str, int] | None


def import_described(outcome, kwargs):
    """An import is logged when it is applied, with its counts; a dry run or a refused file
    changes nothing and is not."""
    if outcome.applied is None:
        return None
    spec, organisation = kwargs["spec"], kwargs["organisation"]
    summary = f"导入{spec.label}：{kwargs['filename']}（{kwargs['reason']}）"
    return organisation, summary, {"统计": outcome.plan.summary(), "写入": outcome.applied}


@audited("register.import", "导入名录", describe=import_described)
def register_import(
    *,
    actor,
    organisation: Organisation,
    spec: RegisterSpec,
    content: bytes,
    filename: str,
    reason: str,
    remove_absent: bool = False,
    dry_run: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    """Validate the whole file, then apply it atomically unless it has a problem or is a dry run."""
    check_can_edit(actor, organisation)
    if not dry_run and not reason.strip():
        raise ValidationError({"reason": "请填写导入原因（如“2026 年第二季度名录动态调整”）。"})
    # A register of 100,000 rows makes millions of small objects and no cycles: automatic
    # collections would only rescan them (the draw engine measured the same).
    with gc_paused():
        parsed = parse_register_file(spec, content, filename, on_progress)
        plan = plan_import(parsed, organisation)
        if not plan.ok or dry_run:
            return ImportOutcome(plan, None)
        applied = apply_import(
            plan,
            user=actor,
            reason=reason.strip(),
            remove_absent=remove_absent,
            on_progress=on_progress,
        )
    return ImportOutcome(plan, applied)


# ---- imports through the web page: upload → validate (with progress) → preview → apply -------
#
# Validation is a background task (directory/tasks.py), queued with the batch and run by
# ``shuangsuiji worker``; the page shows 排队中, then the progress, then the preview or the errors.
#
# The uploaded file is stored encrypted (``uploads.seal``) and only while it is wanted: to apply
# a preview, or to mark up a refused file's errors. It is deleted once the batch is applied or has
# failed, when the bureau abandons it (放弃, or a newer upload of the same register), and when it
# has waited longer than SHUANGSUIJI_IMPORT_KEEP_HOURS (``import_files_purge``, run at every
# upload and every backup). The row stays and says when and why its file went.


def import_batch_create(*, actor, spec: RegisterSpec, upload) -> ImportBatch:
    """Store an upload, encrypted, as a batch to validate, and queue its validation. The
    bureau's earlier uploads of the same register that still wait are abandoned: only the newest
    one can be applied."""
    check_can_edit(actor, actor.organisation)
    limits = import_limits()
    if upload.size > limits.max_bytes:
        raise ValidationError({"file": too_large(upload.name, upload.size, limits.max_bytes)})
    import_files_purge()
    earlier = ImportBatch.objects.filter(
        organisation=actor.organisation, register=spec.key, status__in=ImportBatch.WAITING,
        file_removed_at__isnull=True,
    ).exclude(file="")  # fmt: skip
    for waiting in earlier:
        _file_remove(waiting, "已上传新的文件", abandon=True)
    batch = ImportBatch(
        organisation=actor.organisation,
        register=spec.key,
        original_name=upload.name,
        uploaded_by=actor,
    )
    # A random name: the stored file says nothing, and it is unreadable without the field keys.
    batch.file.save(f"{uuid.uuid4().hex}.sealed", ContentFile(seal(upload.read())), save=False)
    # The queue is a table of the same database: the batch and its task commit together, so a
    # worker never sees the task before the batch, and no batch waits without a task.
    with transaction.atomic():
        batch.save()
        batch.task_id = str(import_validate.enqueue(batch.pk).id)
        batch.save(update_fields=["task_id"])
    return batch


def _file_remove(batch: ImportBatch, reason: str, *, abandon: bool = False) -> None:
    """Delete a batch's file and say so on the row; ``abandon``: a preview nobody will apply
    becomes 已放弃 (a refused file stays 有错误)."""
    name = batch.file.name
    what = f"上传的文件 {name}（批次 {batch.pk}）"
    if name and not stored_file_delete(batch.file.storage, name, what):
        return  # left for the next purge, which finds the row still holding the file
    batch.file = ""
    batch.file_removed_at = timezone.now()
    batch.file_removed_reason = reason
    fields = ["file", "file_removed_at", "file_removed_reason"]
    if abandon and batch.status == ImportBatch.Status.PREVIEW:
        batch.status = ImportBatch.Status.ABANDONED
        fields.append("status")
    batch.save(update_fields=fields)


_DONE_REASONS = {
    ImportBatch.Status.APPLIED: "导入完成",
    ImportBatch.Status.FAILED: "导入失败",
    ImportBatch.Status.ABANDONED: "已放弃",
}


def import_files_purge() -> int:
    """Delete the uploaded files no batch needs any more, and any unencrypted file under
    ``media/imports/`` (a copy kept before uploads were encrypted). Returns how many went.

    Run at every upload and by ``shuangsuiji backup`` before it archives the media folder.
    """
    hours = settings.SHUANGSUIJI_IMPORT_KEEP_HOURS
    cutoff = timezone.now() - timedelta(hours=hours)
    removed = 0
    holding = (
        ImportBatch.objects.exclude(file="")
        .filter(file_removed_at__isnull=True)
        .only("pk", "file", "status", "created_at", "original_name")
    )
    for batch in holding.iterator():
        if batch.status in _DONE_REASONS:
            _file_remove(batch, _DONE_REASONS[batch.status])
        elif batch.created_at < cutoff:
            if batch.status == ImportBatch.Status.VALIDATING:
                # A validation that never ran: no worker in all that time. Should one start
                # now, its task finds the batch ended and leaves it.
                batch.status = ImportBatch.Status.FAILED
                message = (
                    f"{batch.original_name}：上传后 {hours} 小时内未能完成校验"
                    "（后台任务进程未运行），未导入任何数据，请重新上传。"
                )
                batch.problems = [["", "", "", message]]
                batch.problem_count = 1
                batch.save(update_fields=["status", "problems", "problem_count"])
            _file_remove(batch, f"超过 {hours} 小时未确认", abandon=True)
        else:
            continue
        removed += 1
    removed += loose_files_delete(plain_files(Path(settings.MEDIA_ROOT)), "未加密的上传文件")
    # Finished register exports past their keep time go with the uploads.
    removed += export_files_purge()
    return removed


def _progress_saver(batch: ImportBatch, share: tuple[int, int]) -> Progress:
    low, high = share
    validating = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.VALIDATING)

    def save(phase: str, done: int, total: int) -> None:
        batch.progress = low + (high - low) * min(done, total) // max(total, 1)
        validating.update(progress=batch.progress)

    return save


def _batch_end(batch: ImportBatch, **values) -> bool:
    """Write how a validation ended, in one statement and only on a batch still 校验中: a run
    after a kill, or a second worker on the same task, finds it ended and changes nothing.
    False (and ``batch`` as stored) when another run ended it first."""
    values["progress"] = 100
    if ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.VALIDATING).update(
        **values
    ):
        for name, value in values.items():
            setattr(batch, name, value)
        return True
    batch.refresh_from_db()
    return False


def _batch_failed(batch: ImportBatch, message: str) -> ImportBatch:
    if _batch_end(batch, status=ImportBatch.Status.FAILED, problems=[["", "", "", message]],
                  problem_count=1):  # fmt: skip
        _file_remove(batch, _DONE_REASONS[ImportBatch.Status.FAILED])
    return batch


def import_batch_validate(batch: ImportBatch) -> ImportBatch:
    """Validate and plan an uploaded file (the task ``tasks.import_validate``): the batch ends
    as 待确认, 有错误 or, should the validation itself break, 导入失败 with a message; never
    left at 校验中. It writes nothing but the batch's progress and end, so it can run again from
    the stored file after a kill."""
    try:
        return _validate_batch(batch)
    except ValidationError as error:
        # The stored file is gone or unreadable (import_batch_content says which).
        return _batch_failed(batch, f"{'；'.join(error.messages)}未导入任何数据。")
    except Exception:
        # An exception would end the task with the batch still 校验中, for the page to show
        # for ever: the bureau is told, and the traceback goes to the log.
        logger.exception("导入文件校验出错：批次 %s（%s）", batch.pk, batch.original_name)
        return _batch_failed(
            batch,
            f"{batch.original_name}：校验时发生系统错误，未导入任何数据。"
            "请将该文件和上传时间告知系统管理员（错误详情已记入日志）。",
        )


def _validate_batch(batch: ImportBatch) -> ImportBatch:
    spec = register_by_key(batch.register)
    content = import_batch_content(batch)
    with gc_paused():
        progress = _progress_saver(batch, (0, 90))
        parsed = parse_register_file(spec, content, batch.original_name, progress)
        plan = plan_import(parsed, batch.organisation)
    _batch_end(
        batch,
        row_count=len(parsed.records),
        summary=plan.summary(),
        problems=[p.as_list() for p in plan.all_problems],
        problem_count=plan.problem_count,
        status=ImportBatch.Status.PREVIEW if plan.ok else ImportBatch.Status.INVALID,
    )
    return batch


@transaction.atomic
def import_batch_apply(
    *, actor, batch: ImportBatch, reason: str, remove_absent: bool
) -> ImportBatch:
    check_can_edit(actor, batch.organisation)
    # Two confirmations of one file (a double click, two colleagues, two nodes) take turns on
    # the batch's row: the second finds it applied and is refused, instead of importing twice.
    batch = ImportBatch.objects.select_for_update().select_related("organisation").get(pk=batch.pk)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ValidationError("该文件不处于待确认状态，不能导入。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写导入原因（如“2026 年第二季度名录动态调整”）。"})
    spec = register_by_key(batch.register)
    content = import_batch_content(batch)
    # The register may have changed since the preview: validate and plan again against it now.
    outcome = register_import(
        actor=actor,
        organisation=batch.organisation,
        spec=spec,
        content=content,
        filename=batch.original_name,
        reason=reason,
        remove_absent=remove_absent,
    )
    batch.reason = reason.strip()
    batch.summary = {**outcome.plan.summary(), "applied": outcome.applied}
    batch.problems = [p.as_list() for p in outcome.plan.all_problems]
    batch.problem_count = outcome.plan.problem_count
    if outcome.applied is None:
        batch.status = ImportBatch.Status.INVALID
    else:
        batch.status = ImportBatch.Status.APPLIED
        batch.applied_at = timezone.now()
    batch.save(update_fields=["reason", "summary", "problems", "problem_count", "status",
                              "applied_at"])  # fmt: skip
    if batch.status == ImportBatch.Status.APPLIED:
        _file_remove(batch, _DONE_REASONS[ImportBatch.Status.APPLIED])
    return batch


def abandon_described(batch, kwargs):
    spec = register_by_key(batch.register)
    return batch, f"放弃导入{spec.label}：{batch.original_name}", {"原文件": "已删除"}


@audited("register.import_abandon", "放弃导入", describe=abandon_described)
def import_batch_abandon(*, actor, batch: ImportBatch) -> ImportBatch:
    """放弃: the bureau will not apply this file (or is done with its errors); it is deleted."""
    check_can_edit(actor, batch.organisation)
    if batch.status not in ImportBatch.WAITING or not batch.has_file:
        raise ValidationError("该导入已结束，原文件已不在系统中。")
    _file_remove(batch, _DONE_REASONS[ImportBatch.Status.ABANDONED], abandon=True)
    return batch


# ---- single records through forms --------------------------------------------------------------


@audited("register.save", "保存名录记录", subject="instance")
@transaction.atomic
def record_save(*, actor, spec: RegisterSpec, organisation: Organisation, values: dict, reason: str,
                instance=None):  # fmt: skip
    """Create or edit one record of a register with the same rules as a one-row import."""
    check_can_edit(actor, organisation)
    if not reason.strip():
        raise ValidationError({"reason": "请填写变更原因。"})
    model = spec.model
    if instance is None:
        instance = model(organisation=organisation)
    for name, value in values.items():
        setattr(instance, name, value)
    instance._change_reason = reason.strip()
    instance.full_clean()
    instance.save()
    return instance


def _save_with_reason(instance, reason: str) -> None:
    """Save a move in or out of the register, the reason on its history row. Set on the
    instance: simple-history's update_change_reason finds the row by field values, which never
    match for the encrypted 身份证号 (a 500)."""
    instance._change_reason = reason.strip()
    instance.save(update_fields=["in_register", "removal_reason", "updated_at"])


@audited("register.remove", "移出名录", subject="instance")
@transaction.atomic
def record_remove(*, actor, instance, reason: str):
    """Take a record out of its register (调离, 注销 …); nothing is ever deleted."""
    check_can_edit(actor, instance.organisation)
    if not reason.strip():
        raise ValidationError({"reason": "请填写移出原因。"})
    if not instance.in_register:
        raise ValidationError("该记录已不在名录中。")
    instance.in_register = False
    instance.removal_reason = reason.strip()
    _save_with_reason(instance, reason)
    return instance


@audited("register.restore", "恢复名录记录", subject="instance")
@transaction.atomic
def record_restore(*, actor, instance, reason: str):
    check_can_edit(actor, instance.organisation)
    if not reason.strip():
        raise ValidationError({"reason": "请填写恢复原因。"})
    instance.in_register = True
    instance.removal_reason = ""
    _save_with_reason(instance, reason)
    return instance


def reveal_described(instance, kwargs):
    headers = "和".join(c.header for c in kwargs["spec"].columns if c.sensitive)
    name = getattr(instance, "name", str(instance))
    return instance, f"查看完整{headers}：{name}", {"记录": str(instance)}


@audited("register.reveal_personal", "查看完整个人信息", describe=reveal_described)
def register_reveal_personal(*, actor, spec: RegisterSpec, instance):
    """The full 身份证号 and 联系电话 of one record, for its own bureau's register manager (the
    pages show them masked); every look is in the audit log."""
    check_can_edit(actor, instance.organisation)
    if not any(column.sensitive for column in spec.columns):
        raise ValidationError("该名录没有需要隐藏的个人信息。")
    return instance


# ---- register exports ---------------------------------------------------------------------------
#
# An export of more rows than SHUANGSUIJI_EXPORT_BACKGROUND_ROWS is an ``ExportJob`` built by the
# worker (``tasks.register_export_build`` runs ``export_job_build``); the page shows its progress
# and then a link to the file. The file is what the list page's export gives at once for fewer rows
# (``importing.export_rows``: same columns, same masking, the owning 抽查管理员's own rows
# unmasked, to import back), stored encrypted (``uploads.seal``) and deleted
# SHUANGSUIJI_EXPORT_KEEP_HOURS after it was built (``export_files_purge``).

EXPORT_BROKE = (
    "生成导出文件时发生系统错误，未生成文件。请重新导出；仍不成功请将导出时间告知系统管理员"
    "（错误详情已记入日志）。"
)
#: The list page's own parameters, which choose no rows.
_NOT_FILTERS = ("page",)


def _filters_text(query: QueryDict) -> str:
    filters = query.copy()
    for name in _NOT_FILTERS:
        filters.pop(name, None)
    return filters.urlencode()


def export_job_create(*, actor, spec: RegisterSpec, query: QueryDict) -> ExportJob:
    """Queue the export of the rows of ``spec`` that ``actor`` reads, narrowed by the list
    page's filters (``query``). Asked again while the same export is still unfinished, it is
    that one: a second click queues nothing."""
    if not (has_permission(actor, "manage_registers") or has_permission(actor, "read_org_data")):
        raise PermissionDenied("您的角色无权导出名录。")
    export_files_purge()
    filters = _filters_text(query)
    mine = ExportJob.objects.filter(organisation=actor.organisation, requested_by=actor)
    waiting = mine.filter(register=spec.key, query=filters, status__in=ExportJob.UNFINISHED)
    if (same := waiting.first()) is not None:
        return same
    stamp = timezone.localtime().strftime("%Y%m%d")
    job = ExportJob(
        organisation=actor.organisation,
        register=spec.key,
        query=filters,
        requested_by=actor,
        filename=f"{spec.label}-{stamp}.xlsx",
    )
    # The queue is a table of the same database: the job and its task commit together.
    with transaction.atomic():
        job.save()
        job.task_id = str(register_export_build.enqueue(job.pk).id)
        job.save(update_fields=["task_id"])
    return job


def export_job_build(job_id: int) -> str:
    """Build the job's file and store it encrypted; returns the job's status.

    It starts from the register every time: a run after a kill builds the whole file again, and
    the job ends in one conditional update, so however many runs there are it ends once, and a
    run that finds it ended leaves it."""
    job, claimed = job_claim(ExportJob.objects.select_related("requested_by"), job_id)
    if not claimed:
        return job.status if job is not None else ""
    field = ExportJob._meta.get_field("file")
    try:
        content, rows = _export_content(job)
        # A random name: the stored file says nothing, and it is unreadable without the keys.
        name = field.storage.save(
            field.generate_filename(job, f"{uuid.uuid4().hex}.sealed"), ContentFile(seal(content))
        )
    except Exception:
        # An exception would end the task with the job still 生成中, for the page to show for
        # ever: the user is told, and the traceback goes to the log.
        logger.exception("名录导出出错：导出 %s（%s）", job.pk, job.filename)
        _export_end(job, status=ExportJob.Status.FAILED, message=EXPORT_BROKE)
        return job.status
    if not _export_end(job, status=ExportJob.Status.DONE, file=name, row_count=rows):
        field.storage.delete(name)  # another run ended the job first: its file stands
    return job.status


def _export_content(job: ExportJob) -> tuple[bytes, int]:
    """The workbook of the job's rows, read now with its requester's rights, and how many rows
    it has; the progress is written as the rows are."""
    spec = register_by_key(job.register)
    user = job.requested_by
    rows = RegisterFilter(
        QueryDict(job.query), spec=spec, queryset=register_rows(spec, user)
    ).qs.order_by("pk")
    # 身份证号 leave unmasked only in the owning coordinator's export, which must re-import.
    unmasked = user.organisation_id if has_permission(user, "manage_registers") else None
    running = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING)
    shown, written = 0, 0

    def saved(phase: str, done: int, total: int) -> None:
        nonlocal shown, written
        written = done
        # Up to 95: closing the workbook and encrypting it is the rest.
        percent = 95 * done // max(total, 1)
        if percent > shown:
            shown = percent
            running.update(progress=percent)

    content = export_rows(spec, rows, unmasked_org_id=unmasked, on_progress=saved)
    return content, written


def _export_end(job: ExportJob, **values) -> bool:
    """Write how a build ended, in one statement and only on a job still 生成中; False (and
    ``job`` as stored) when another run, or the purge, ended it first."""
    values.update(progress=100, finished_at=timezone.now())
    ended = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(**values)
    if ended:
        for name, value in values.items():
            setattr(job, name, value)
        return True
    job.refresh_from_db()
    return False


def export_files_purge() -> int:
    """Delete the export files older than SHUANGSUIJI_EXPORT_KEEP_HOURS, and a file a killed
    run stored but never recorded; end the builds no worker took in all that time. Returns how
    many files went. Run at every export that is queued (and by ``import_files_purge``, so
    ``shuangsuiji backup`` runs it before it archives the media folder)."""
    hours = settings.SHUANGSUIJI_EXPORT_KEEP_HOURS
    now = timezone.now()
    cutoff = now - timedelta(hours=hours)
    # Should a worker start later, its task finds the job ended and leaves it.
    ExportJob.objects.filter(status__in=ExportJob.UNFINISHED, created_at__lt=cutoff).update(
        status=ExportJob.Status.FAILED,
        progress=100,
        finished_at=now,
        message=f"申请后 {hours} 小时内未能生成（后台任务进程未运行），请重新导出。",
    )
    field = ExportJob._meta.get_field("file")
    removed = 0
    expired = ExportJob.objects.exclude(file="").filter(
        file_removed_at__isnull=True, finished_at__lt=cutoff
    )
    for job in expired.only("pk", "file"):
        if not stored_file_delete(field.storage, job.file.name, f"导出文件 {job.file.name}"):
            continue  # the next purge finds the row still holding it
        ExportJob.objects.filter(pk=job.pk).update(file="", file_removed_at=now)
        removed += 1
    held = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    media = Path(settings.MEDIA_ROOT)
    folder = media / field.upload_to.split("/", 1)[0]
    if folder.is_dir():
        # A run records its file just after storing it: one unrecorded for hours is lost.
        lost = (
            path
            for path in sorted(folder.rglob("*"))
            if path.is_file()
            and path.relative_to(media).as_posix() not in held
            and path.stat().st_mtime < cutoff.timestamp()
        )
        removed += loose_files_delete(lost, "未登记的导出文件")
    return removed
