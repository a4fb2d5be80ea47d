"""Writes to the registers. The web pages and the command line call the same functions."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import close_old_connections, transaction
from django.utils import timezone
from simple_history.utils import update_change_reason

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.importing import (
    ImportPlan,
    Progress,
    apply_import,
    parse_register_file,
    plan_import,
)
from shuangsuiji.directory.models import ImportBatch
from shuangsuiji.directory.registers import RegisterSpec, register_by_key
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


def import_batch_create(*, actor, spec: RegisterSpec, upload) -> ImportBatch:
    check_can_edit(actor, actor.organisation)
    batch = ImportBatch(
        organisation=actor.organisation,
        register=spec.key,
        original_name=upload.name,
        uploaded_by=actor,
    )
    batch.file.save(upload.name, ContentFile(upload.read()), save=False)
    batch.save()
    return batch


def _progress_saver(batch: ImportBatch, share: tuple[int, int]) -> Progress:
    low, high = share

    def save(phase: str, done: int, total: int) -> None:
        batch.progress = low + (high - low) * min(done, total) // max(total, 1)
        ImportBatch.objects.filter(pk=batch.pk).update(progress=batch.progress)

    return save


def import_batch_validate(batch: ImportBatch) -> ImportBatch:
    """Validate and plan an uploaded file: the batch ends as 待确认, 有错误 or, should the
    validation itself break, 导入失败 with a message; never left at 校验中."""
    try:
        return _validate_batch(batch)
    except Exception:
        # Run beside the request, an exception would end the thread silently and the page
        # would show 校验中 forever: the bureau is told, and the traceback goes to the log.
        logger.exception("导入文件校验出错：批次 %s（%s）", batch.pk, batch.original_name)
        batch.status = ImportBatch.Status.FAILED
        batch.problems = [
            ["", "", "", f"{batch.original_name}：校验时发生系统错误，未导入任何数据。"
                         "请将该文件和上传时间告知系统管理员（错误详情已记入日志）。"]
        ]  # fmt: skip
        batch.progress = 100
        batch.save(update_fields=["status", "problems", "progress"])
        return batch


def _validate_batch(batch: ImportBatch) -> ImportBatch:
    spec = register_by_key(batch.register)
    with batch.file.open("rb") as handle:
        content = handle.read()
    with gc_paused():
        progress = _progress_saver(batch, (0, 90))
        parsed = parse_register_file(spec, content, batch.original_name, progress)
        plan = plan_import(parsed, batch.organisation)
    batch.row_count = len(parsed.records)
    batch.summary = plan.summary()
    batch.problems = [p.as_list() for p in plan.all_problems]
    batch.status = ImportBatch.Status.PREVIEW if plan.ok else ImportBatch.Status.INVALID
    batch.progress = 100
    batch.save(update_fields=["row_count", "summary", "problems", "status", "progress"])
    return batch


def import_batch_apply(
    *, actor, batch: ImportBatch, reason: str, remove_absent: bool
) -> ImportBatch:
    check_can_edit(actor, batch.organisation)
    if batch.status != ImportBatch.Status.PREVIEW:
        raise ValidationError("该文件不处于待确认状态，不能导入。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写导入原因（如“2026 年第二季度名录动态调整”）。"})
    spec = register_by_key(batch.register)
    with batch.file.open("rb") as handle:
        content = handle.read()
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
    if outcome.applied is None:
        batch.status = ImportBatch.Status.INVALID
    else:
        batch.status = ImportBatch.Status.APPLIED
        batch.applied_at = timezone.now()
    batch.save(update_fields=["reason", "summary", "problems", "status", "applied_at"])
    return batch


def run_in_background(function, *args: Any, background: bool = True) -> threading.Thread | None:
    """Validation of a large file runs beside the request so the page can show its progress.

    ``function`` must handle its own failures (an exception only ends the thread); the thread is
    returned so that a caller, a test, can wait for it.
    """
    if not background:
        function(*args)
        return None

    def target() -> None:
        try:
            function(*args)
        finally:
            close_old_connections()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


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
    instance.save(update_fields=["in_register", "removal_reason", "updated_at"])
    update_change_reason(instance, reason.strip())
    return instance


@audited("register.restore", "恢复名录记录", subject="instance")
@transaction.atomic
def record_restore(*, actor, instance, reason: str):
    check_can_edit(actor, instance.organisation)
    if not reason.strip():
        raise ValidationError({"reason": "请填写恢复原因。"})
    instance.in_register = True
    instance.removal_reason = ""
    instance.save(update_fields=["in_register", "removal_reason", "updated_at"])
    update_change_reason(instance, reason.strip())
    return instance
