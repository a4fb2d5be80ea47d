"""Validation of an uploaded register as a background task (issue 21 §5 “后台任务……在页面上
显示进度，进程被杀后能恢复”): the upload queues the task with its batch, the page says 排队中
(and that no worker runs, when none does), a worker validates it, and a task of a killed worker
goes back to the queue and ends the batch once. tests/test_worker.py kills a real worker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from shuangsuiji.directory import tasks
from shuangsuiji.directory.models import ImportBatch, Target, TaskWorker
from shuangsuiji.directory.services import import_files_purge
from tests.support.workbooks import TARGET_HEADERS, uscc

ROWS = 300
CSV = (
    ",".join(TARGET_HEADERS)
    + "\n"
    + "".join(f"{uscc(i)},企业{i},排污单位,,130281,水\n" for i in range(1, ROWS + 1))
).encode()
NO_WORKER = "后台任务进程没有在运行"


@pytest.fixture
def web(client, coordinator):
    client.force_login(coordinator)
    return client


def upload(client) -> ImportBatch:
    response = client.post(
        reverse("directory:import", args=["targets"]),
        {"file": SimpleUploadedFile("名录.csv", CSV)},
    )
    assert response.status_code == 302
    return ImportBatch.objects.latest("pk")


def page(client, batch: ImportBatch, **headers) -> str:
    response = client.get(reverse("directory:import_batch", args=[batch.pk]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def task_row(batch: ImportBatch) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=batch.task_id)


def claimed_by(batch: ImportBatch, worker_id: str, *, minutes_ago: float = 0) -> None:
    """As if ``worker_id`` had claimed the batch's task and begun validating it."""
    task_row(batch).claim(worker_id)
    started = timezone.now() - dt.timedelta(minutes=minutes_ago)
    DBTaskResult.objects.filter(pk=batch.task_id).update(started_at=started)
    ImportBatch.objects.filter(pk=batch.pk).update(progress=40)


def a_gone_pid() -> int:
    """The id of a process of this machine that has ended (and been reaped)."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(ended.stdout)


@pytest.mark.django_db(transaction=True)
def test_an_upload_waits_in_the_queue_until_a_worker_validates_it(web):
    """Upload → 排队中 (with a word for the admin while no worker runs) → the worker runs the
    task → the preview; the task is one result, SUCCESSFUL."""
    batch = upload(web)
    assert batch.status == ImportBatch.Status.VALIDATING and batch.progress == 0
    assert task_row(batch).status == TaskResultStatus.READY
    text = page(web, batch)
    assert "排队中：名录.csv 正在等待后台任务进程校验" in text
    assert NO_WORKER in text and "<code>shuangsuiji worker</code>" in text
    # The progress part the page polls says the same.
    assert "排队中" in page(web, batch, HX_Request="true")

    tasks.worker_register("worker:test:1:abcdefgh")
    assert NO_WORKER not in page(web, batch)
    tasks.worker_create(interval=0, batch=True).run()

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.progress == 100
    assert batch.row_count == ROWS and batch.summary["new"] == ROWS
    response = web.get(reverse("directory:import_batch", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert f"新增 <strong>{ROWS}</strong> 条" in page(web, batch)
    [result] = DBTaskResult.objects.all()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == "preview"
    assert not Target.objects.exists()  # validation writes nothing to the register


def test_the_progress_shows_once_a_worker_has_the_task(web):
    batch = upload(web)
    claimed_by(batch, "worker:test:1:abcdefgh")
    tasks.worker_register("worker:test:1:abcdefgh")
    text = page(web, batch, HX_Request="true")
    assert "正在校验 名录.csv：40%" in text and "排队中" not in text and NO_WORKER not in text


def test_the_task_of_a_killed_worker_is_queued_again_and_ends_the_batch_once(web):
    """A worker gone mid-task (its process ended, its row still there): the next recovery puts
    the same task back in the queue; run again from the stored file it ends 待确认 with every
    row, and a further run changes nothing."""
    batch = upload(web)
    TaskWorker.objects.create(worker_id="worker:dead:1:abcdefgh", hostname=os.uname().nodename,
                              pid=a_gone_pid(), seen_at=timezone.now())  # fmt: skip
    claimed_by(batch, "worker:dead:1:abcdefgh")
    assert "正在校验 名录.csv：40%" in page(web, batch)

    assert tasks.tasks_recover() == 1
    assert task_row(batch).status == TaskResultStatus.READY
    assert not TaskWorker.objects.exists()
    assert "排队中" in page(web, batch)
    tasks.task_run_now(batch.task_id)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW and batch.summary["new"] == ROWS
    first = (batch.summary, batch.row_count, batch.problem_count)

    DBTaskResult.objects.filter(pk=batch.task_id).update(status=TaskResultStatus.READY)
    tasks.task_run_now(batch.task_id)
    batch.refresh_from_db()
    assert (batch.status, (batch.summary, batch.row_count, batch.problem_count)) == (
        ImportBatch.Status.PREVIEW,
        first,
    )
    [result] = DBTaskResult.objects.all()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.worker_ids[0] == "worker:dead:1:abcdefgh" and len(result.worker_ids) == 3


@pytest.mark.parametrize(
    ("hostname", "pid", "seen_minutes_ago", "started_minutes_ago", "requeued"),
    [
        ("this", "gone", 0, 0, True),  # its process on this machine has ended
        ("elsewhere", 1, 5, 5, True),  # not heard from within the lease
        ("elsewhere", 1, 0, 5, False),  # another machine's worker, beating
        ("this", "mine", 0, 5, False),  # alive here
        (None, None, None, 5, True),  # no row (run in a request), claimed beyond the lease
        (None, None, None, 0, False),  # no row, just claimed
    ],
)
def test_which_running_tasks_are_taken_for_orphaned(
    web, hostname, pid, seen_minutes_ago, started_minutes_ago, requeued
):
    batch = upload(web)
    worker_id = "worker:somewhere:1:abcdefgh"
    if hostname is not None:
        TaskWorker.objects.create(
            worker_id=worker_id,
            hostname=os.uname().nodename if hostname == "this" else "另一台服务器",
            pid={"gone": a_gone_pid(), "mine": os.getpid()}.get(pid, pid),
            seen_at=timezone.now() - dt.timedelta(minutes=seen_minutes_ago),
        )
    claimed_by(batch, worker_id, minutes_ago=started_minutes_ago)
    assert tasks.tasks_recover() == int(requeued)
    expected = TaskResultStatus.READY if requeued else TaskResultStatus.RUNNING
    assert task_row(batch).status == expected
    assert TaskWorker.objects.exists() == (hostname is not None and not requeued)


def test_a_task_stopped_by_a_second_ctrl_c_goes_back_but_a_real_failure_does_not(web):
    stopped, failed = upload(web), upload(web)
    for batch, error in ((stopped, "builtins.SystemExit"), (failed, "builtins.ValueError")):
        DBTaskResult.objects.filter(pk=batch.task_id).update(
            status=TaskResultStatus.FAILED, exception_class_path=error, traceback="…"
        )
    assert tasks.tasks_recover() == 1
    assert task_row(stopped).status == TaskResultStatus.READY
    assert task_row(failed).status == TaskResultStatus.FAILED


def test_a_batch_no_worker_validated_in_time_ends_failed_and_its_late_task_leaves_it(web, settings):
    """The 24-hour purge gives up on a batch still 校验中, with a message naming the cause; a
    worker that starts later finds it ended and changes nothing."""
    batch = upload(web)
    hours = settings.SHUANGSUIJI_IMPORT_KEEP_HOURS
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=batch.created_at - dt.timedelta(hours=hours + 1)
    )
    assert import_files_purge() == 1
    tasks.task_run_now(batch.task_id)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and not batch.has_file
    assert batch.problems == [
        ["", "", "", f"名录.csv：上传后 {hours} 小时内未能完成校验（后台任务进程未运行），"
                     "未导入任何数据，请重新上传。"]
    ]  # fmt: skip
    assert task_row(batch).return_value == "failed"


def test_a_stored_file_gone_from_the_disk_ends_the_batch_with_its_reason(web):
    batch = upload(web)
    batch.file.storage.delete(batch.file.name)
    tasks.task_run_now(batch.task_id)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.problems == [
        ["", "", "", "名录.csv 的原文件已不在系统中，请重新上传。未导入任何数据。"]
    ]
    assert "导入失败" in page(web, batch)
