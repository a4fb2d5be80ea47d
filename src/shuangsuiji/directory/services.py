"""Writes to the registers. The web pages and the command line call the same functions."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.importing import (
    ImportPlan,
    Progress,
    apply_import,
    import_limits,
    parse_register_file,
    plan_import,
)
from shuangsuiji.directory.limits import too_large
from shuangsuiji.directory.models import ImportBatch
from shuangsuiji.directory.registers import RegisterSpec, register_by_key
from shuangsuiji.directory.selectors import import_batch_content
from shuangsuiji.directory.tasks import export_files_purge, import_validate
from shuangsuiji.directory.uploads import plain_files, seal
from shuangsuiji.draw.primitives import gc_paused

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
    if name:
        try:
            batch.file.storage.delete(name)
        except OSError:
            # Left for the next purge, which finds the row still holding the file.
            logger.exception("无法删除上传的文件 %s（批次 %s）", name, batch.pk)
            return
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
    for path in plain_files(Path(settings.MEDIA_ROOT)):
        try:
            path.unlink()
        except OSError:
            logger.exception("无法删除未加密的上传文件 %s", path)
            continue
        removed += 1
    # Finished register exports past their keep time go with the uploads (directory/tasks.py).
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
