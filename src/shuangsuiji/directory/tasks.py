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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from shuangsuiji.directory.models import ImportBatch, TaskWorker

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
    """导出: build a large register export (``ExportJob``) and store it encrypted
    (``export_job_build``). Returns the job's status; a job already ended is left as it is."""
    from shuangsuiji.directory.services import export_job_build

    return export_job_build(job_id)


#: What the worker prints for each task, by the task's function name (the portal's task by its
#: name alone: disclosure sits above this module and is not imported here).
TITLES = {
    import_validate.name: "校验导入文件",
    register_export_build.name: "生成名录导出文件",
    "results_file_build": "生成公示结果下载文件",
}


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
