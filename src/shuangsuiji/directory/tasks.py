"""Background tasks, and what lets a task survive a killed worker (issue 21 §5).

Tasks go through Django's tasks API (django-tasks) into the database (django-tasks-db; ``TASKS``
in settings): the SQLite file or PostgreSQL that every node already shares. An upload's
validation is one row of the queue, committed together with its batch, and run by
``shuangsuiji worker`` (cli/worker.py). Every task here starts again from what is stored and
writes its end in one conditional update, so running it twice changes nothing: that is how it
survives a kill.

django-tasks-db marks a task RUNNING and appends the worker's id to ``worker_ids`` when a worker
claims it, and records nothing more until the task ends: a worker killed mid-task would leave
it RUNNING for ever. So each worker keeps a ``TaskWorker`` row under the id it claims with,
beating every SHUANGSUIJI_WORKER_HEARTBEAT_SECONDS, and ``tasks_recover`` (when a worker starts,
then at each beat) puts back in the queue, as the same row (one result per task, however many
runs):

- a RUNNING task whose worker is dead: not seen within SHUANGSUIJI_WORKER_LEASE_SECONDS, or a
  process of this machine that is gone (seen at once, so a restarted worker resumes the task
  without waiting out the lease); a worker with no row (a task run within a request, or by
  plain ``manage db_worker``) counts as dead once the task has run longer than the lease;
- a task its worker recorded as failed because a second Ctrl+C or SIGTERM interrupted it
  (SystemExit, KeyboardInterrupt): the task did not fail, it was stopped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.directory.filters import RegisterFilter
from shuangsuiji.directory.models import ExportJob, ImportBatch, TaskWorker
from shuangsuiji.directory.registers import RegisterSpec, register_by_key
from shuangsuiji.directory.selectors import register_rows
from shuangsuiji.directory.uploads import UploadUnreadable, seal, unseal
from shuangsuiji.directory.workbooks import write_workbook

logger = logging.getLogger(__name__)

#: The one queue the project's tasks use and ``shuangsuiji worker`` serves.
QUEUE = DEFAULT_TASK_QUEUE_NAME
#: Exceptions that stop a task rather than fail it: a worker told twice to stop.
INTERRUPTED = ("builtins.SystemExit", "builtins.KeyboardInterrupt")


@task(queue_name=QUEUE)
def import_validate(batch_id: int) -> str:
    """校验: validate an uploaded register file and plan its import (``import_batch_validate``).

    Returns the batch's status. A batch that is no longer 校验中 (validated by an earlier run,
    or given up by ``import_files_purge``) is left as it is."""
    # The services queue this task: imported here, when it runs, not when the module loads.
    from shuangsuiji.directory.services import import_batch_validate

    batch = ImportBatch.objects.select_related("organisation").filter(pk=batch_id).first()
    if batch is None:
        return ""
    if batch.status != ImportBatch.Status.VALIDATING:
        return batch.status
    return import_batch_validate(batch).status


@task(queue_name=QUEUE)
def register_export_build(job_id: int) -> str:
    """导出: build a large register export (``ExportJob``) and store it encrypted.

    Returns the job's status. It starts from the register every time: a run after a kill
    builds the whole file again, and the job ends in one conditional update, so however many
    runs there are it ends once, and a run that finds it ended leaves it."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None:
        return ""
    unfinished = ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.UNFINISHED)
    if not unfinished.update(status=ExportJob.Status.RUNNING, progress=0):
        job.refresh_from_db()
        return job.status
    job.status, job.progress = ExportJob.Status.RUNNING, 0
    try:
        content, rows = _export_content(job)
        # A random name: the stored file says nothing, and it is unreadable without the keys.
        field = ExportJob._meta.get_field("file")
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


#: What the worker prints for each task, by the task's function name.
TITLES = {import_validate.name: "校验导入文件", register_export_build.name: "生成名录导出文件"}


# ---- register exports ---------------------------------------------------------------------------
#
# An export of more rows than SHUANGSUIJI_EXPORT_BACKGROUND_ROWS is an ``ExportJob`` built by
# ``register_export_build``; the page shows its progress and then a link to the file. The file is
# what the list page's export gives at once for fewer rows (same columns, same masking: the owning
# 抽查管理员's own rows unmasked, to import back), stored encrypted (``uploads.seal``) and deleted
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


def _export_cell(column, obj, unmasked_org_id: int | None) -> str:
    # As ``importing.export_rows`` writes a cell: the in-request export and this one are the
    # same file (tests/directory/test_export_tasks.py compares them).
    value = getattr(obj, column.field)
    text = "" if value in (None, "") else str(column.write(value))
    if column.sensitive and text and obj.organisation_id != unmasked_org_id:
        return column.mask(text)
    return text


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
    total = rows.count()
    running = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING)
    written = 0

    def lines() -> Iterator[list[str]]:
        nonlocal written
        shown = 0
        for obj in rows.iterator(chunk_size=2000):
            yield [_export_cell(column, obj, unmasked) for column in spec.columns]
            written += 1
            # Up to 95: closing the workbook and encrypting it is the rest.
            percent = 95 * written // max(total, 1)
            if percent > shown:
                shown = percent
                running.update(progress=percent)

    return write_workbook(spec.headers, lines(), sheet_name=spec.label), written


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


def export_job_content(job: ExportJob) -> bytes:
    """The built file, decrypted. ValueError with the reason when it cannot be read."""
    try:
        with job.file.open("rb") as handle:
            return unseal(handle.read())
    except UploadUnreadable as error:
        raise ValueError(
            "导出文件无法解密（加密它的密钥已不在 SHUANGSUIJI_FIELD_KEYS 中），请重新导出。"
        ) from error
    except OSError as error:
        raise ValueError("导出文件已不在系统中，请重新导出。") from error


def export_jobs_recent(spec: RegisterSpec, user, limit: int = 5) -> list[ExportJob]:
    """The user's latest exports of a register (only he downloads them)."""
    return list(
        ExportJob.objects.filter(organisation=user.organisation, requested_by=user,
                                 register=spec.key)[:limit]
    )  # fmt: skip


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
        try:
            field.storage.delete(job.file.name)
        except OSError:
            logger.exception("无法删除导出文件 %s（导出 %s）", job.file.name, job.pk)
            continue  # the next purge finds the row still holding it
        ExportJob.objects.filter(pk=job.pk).update(file="", file_removed_at=now)
        removed += 1
    held = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    media = Path(settings.MEDIA_ROOT)
    folder = media / field.upload_to.split("/", 1)[0]
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.relative_to(media).as_posix() in held:
                continue
            # A run records its file just after storing it: one unrecorded for hours is lost.
            if path.stat().st_mtime < cutoff.timestamp():
                try:
                    path.unlink()
                except OSError:
                    logger.exception("无法删除未登记的导出文件 %s", path)
                    continue
                removed += 1
    return removed


# ---- where a task stands, for the pages ---------------------------------------------------------


def task_waiting(task_id: str) -> bool:
    """Queued and not yet claimed by a worker (排队中)."""
    if not task_id:
        return False
    return DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.READY).exists()


def worker_seen() -> bool:
    """A worker has been heard from within the lease: queued tasks will run."""
    since = timezone.now() - timedelta(seconds=settings.SHUANGSUIJI_WORKER_LEASE_SECONDS)
    return TaskWorker.objects.filter(seen_at__gte=since).exists()


# ---- running tasks ------------------------------------------------------------------------------


def worker_id_new(kind: str = "worker") -> str:
    """An id unique across the worker pool (django-tasks-db allows 64 characters) that says
    where the process runs."""
    return f"{kind}:{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


def worker_create(*, interval: float = 1.0, batch: bool = False, kind: str = "worker") -> Worker:
    """django-tasks-db's worker loop on the project's queue; ``batch``: stop once it is empty."""
    return Worker(
        queue_names=[QUEUE],
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id_new(kind),
        excluded_queue_names=[],
    )


def task_run_now(task_id: str) -> None:
    """Run one queued task here and now, through the worker's own steps (claim, run, record its
    result): for SHUANGSUIJI_BACKGROUND_IMPORTS = False. Nothing happens if a worker took it."""
    runner = worker_create(interval=0, kind="request")
    tasks = DBTaskResult.objects.ready().filter(pk=task_id)
    with exclusive_transaction(tasks.db):
        claimed = tasks.get_locked()
        if claimed is None:
            return
        claimed.claim(runner.worker_id)
    runner.run_task(claimed)


# ---- surviving a kill ---------------------------------------------------------------------------


def worker_register(worker_id: str) -> None:
    TaskWorker.objects.update_or_create(
        worker_id=worker_id,
        defaults={"hostname": socket.gethostname(), "pid": os.getpid(), "seen_at": timezone.now()},
    )


def worker_heartbeat(worker_id: str) -> None:
    if not TaskWorker.objects.filter(pk=worker_id).update(seen_at=timezone.now()):
        # Taken for dead while it stalled (its task is queued again): it is back.
        worker_register(worker_id)


def _process_gone(pid: int) -> bool:
    """The process no longer runs on this machine (a zombie, killed and not yet reaped by its
    parent, is gone too)."""
    if os.name != "posix":
        return False  # no cheap check: the lease decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # another user's process, alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _requeue(result: DBTaskResult) -> int:
    # Only if nobody has changed it since it was read (another worker's recovery, its own end).
    return DBTaskResult.objects.filter(
        pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
    ).update(status=TaskResultStatus.READY)


def tasks_recover(now: datetime | None = None) -> int:
    """Queue again the tasks of dead workers and the tasks stopped by an interrupt; forget the
    dead workers. Returns how many tasks went back to the queue."""
    now = now or timezone.now()
    expired = now - timedelta(seconds=settings.SHUANGSUIJI_WORKER_LEASE_SECONDS)
    host = socket.gethostname()
    workers = {worker.pk: worker for worker in TaskWorker.objects.all()}
    dead = {
        worker.pk
        for worker in workers.values()
        if worker.seen_at < expired or (worker.hostname == host and _process_gone(worker.pid))
    }
    requeued = 0
    running = DBTaskResult.objects.running().only("pk", "worker_ids", "started_at")
    for result in running:
        last = result.worker_ids[-1] if result.worker_ids else ""
        unknown_and_old = last not in workers and result.started_at < expired
        if last in dead or unknown_and_old:
            logger.warning("后台任务 %s 的进程 %s 已不在运行：重新排队", result.pk, last)
            requeued += _requeue(result)
    requeued += (
        DBTaskResult.objects.failed()
        .filter(exception_class_path__in=INTERRUPTED)
        .update(
            status=TaskResultStatus.READY, finished_at=None, exception_class_path="", traceback=""
        )
    )
    TaskWorker.objects.filter(pk__in=dead).delete()
    return requeued


def tasks_release(worker_id: str) -> int:
    """A worker that stops puts back what it claimed and will not run (a stop between its claim
    and the start of the task)."""
    mine = [
        result
        for result in DBTaskResult.objects.running().only("pk", "worker_ids", "started_at")
        if result.worker_ids and result.worker_ids[-1] == worker_id
    ]
    return sum(_requeue(result) for result in mine)


def _beat(worker_id: str, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.SHUANGSUIJI_WORKER_HEARTBEAT_SECONDS):
            try:
                worker_heartbeat(worker_id)
                tasks_recover()
            except DatabaseError:
                # The database was out of reach or busy for a moment: the next beat tries again
                # (a lease is several beats long).
                logger.exception("后台任务进程 %s 无法写入心跳", worker_id)
    finally:
        connections.close_all()  # this thread's own connections


@contextmanager
def worker_alive(worker_id: str) -> Iterator[None]:
    """While the block runs the worker is registered, beats, and recovers dead workers' tasks
    (first of all before it takes any task); afterwards it puts back what it leaves unfinished
    and is forgotten."""
    worker_register(worker_id)
    tasks_recover()
    stop = threading.Event()
    beating = threading.Thread(
        target=_beat, args=(worker_id, stop), name="shuangsuiji-heartbeat", daemon=True
    )
    beating.start()
    try:
        yield
    finally:
        stop.set()
        beating.join()
        tasks_release(worker_id)
        TaskWorker.objects.filter(pk=worker_id).delete()
        tasks_recover()  # the task a second Ctrl+C stopped, queued again before the worker goes
