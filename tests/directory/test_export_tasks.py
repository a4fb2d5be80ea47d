"""Large register exports as background tasks (issue 21 §5 “大批量导出……作为后台任务运行，在页面上
显示进度，进程被杀后能恢复”): beyond SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows the export page
offers a build in the background; the POST queues an ``ExportJob``, its page shows 排队中 and the
progress, then a link to a file with the very rows and columns of the in-request export. The file
is stored encrypted, downloaded only by whoever asked for it, rebuilt whole by a run after a kill,
and deleted by the purge once it has expired."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory import services, tasks
from shuangsuiji.directory.models import ExportJob
from shuangsuiji.directory.registers import INSPECTORS, TARGETS
from shuangsuiji.directory.services import register_import
from shuangsuiji.directory.uploads import MAGIC
from tests.support.tree import build_organisations, make_user
from tests.support.workbooks import id_number, uscc, xlsx

THRESHOLD = 5
ROWS = 12  # targets and inspectors of the bureau; 6 targets in each 执法片区
NO_WORKER = "后台任务进程没有在运行"


def load(spec, rows, organisation):
    outcome = register_import(actor=None, organisation=organisation, spec=spec,
                              content=xlsx(rows), filename="名录.xlsx", reason="建库")  # fmt: skip
    assert outcome.applied, outcome.plan.all_problems


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Two branches: 12 targets and 12 inspectors (身份证号、联系电话) in one, 3 targets in the
    other; its 抽查管理员 and 领导, and the other branch's 抽查管理员. Built once."""
    with django_db_blocker.unblock(), transaction.atomic():
        organisations = build_organisations()
        a, b = organisations["a"], organisations["b"]
        load(TARGETS, [["统一社会信用代码", "单位名称", "执法片区"]] + [
            [uscc(i), f"遵化企业{i}", "第一中队" if i % 2 else "第二中队"]
            for i in range(1, ROWS + 1)
        ], a)  # fmt: skip
        load(INSPECTORS, [INSPECTORS.headers] + [
            [f"张伟{i}", f"130281201500{i:02d}", id_number(i), "综合执法大队", "第一中队",
             "第一中队", "水", "2015", "执法人员", "是", f"1381234{i:04d}"]
            for i in range(1, ROWS + 1)
        ], a)  # fmt: skip
        load(TARGETS, [["统一社会信用代码", "单位名称"]] + [
            [uscc(800 + i, "130282"), f"邻县企业{i}"] for i in range(3)
        ], b)  # fmt: skip
        try:
            yield SimpleNamespace(
                coordinator=make_user("export-coord-a", a, Role.COORDINATOR),
                leader=make_user("export-leader-a", a, Role.LEADER),
                neighbour=make_user("export-coord-b", b, Role.COORDINATOR),
            )
        finally:
            transaction.set_rollback(True)


@pytest.fixture
def background(settings):
    settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = THRESHOLD
    settings.SHUANGSUIJI_BACKGROUND_EXPORTS = True
    return settings


def sign_in(client, user):
    client.force_login(user)
    return client


def read(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def export_url(register: str, query: str = "") -> str:
    return reverse("directory:export", args=[register]) + (f"?{query}" if query else "")


def queue(client, register: str, query: str = "") -> ExportJob:
    response = client.post(export_url(register, query))
    job = ExportJob.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    return job


def page(client, job: ExportJob, **headers) -> str:
    response = client.get(reverse("directory:export_job", args=[job.pk]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def download(client, job: ExportJob):
    return client.get(reverse("directory:export_file", args=[job.pk]))


def in_request(client, settings, register: str, query: str = "") -> bytes:
    """The export as it is answered within the request (the threshold out of reach)."""
    threshold = settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS
    settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 10**9
    try:
        response = client.get(export_url(register, query))
    finally:
        settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = threshold
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def stored_files() -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "exports"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


@pytest.mark.parametrize(
    ("register", "query", "rows"),
    [("inspectors", "", ROWS), ("targets", "area=%E7%AC%AC%E4%B8%80%E4%B8%AD%E9%98%9F", ROWS // 2)],
)
def test_a_large_export_is_queued_built_and_downloaded_as_the_in_request_one(
    db, world, client, background, register, query, rows
):
    """Export beyond the threshold → an offer to build it (a GET writes nothing) → 排队中, with a
    word for the admin while no worker runs → the worker builds it → the page links the file,
    whose rows and columns are those of the in-request export (the coordinator's own 身份证号 and
    联系电话 unmasked, to import back; the list's filter kept)."""
    web = sign_in(client, world.coordinator)
    offer = web.get(export_url(register, query))
    assert offer.status_code == 200 and not ExportJob.objects.exists()
    text = offer.content.decode()
    assert f"所选记录共 <strong>{rows}</strong> 条，超过 {THRESHOLD} 条" in text
    assert "生成导出文件" in text

    job = queue(web, register, query)
    assert (job.status, job.progress, job.requested_by) == (
        ExportJob.Status.QUEUED, 0, world.coordinator
    )  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d")
    label = {"inspectors": INSPECTORS, "targets": TARGETS}[register].label
    assert job.filename == f"{label}-{stamp}.xlsx"
    waiting = page(web, job)
    assert f"排队中：{job.filename} 正在等待后台任务进程生成" in waiting
    assert NO_WORKER in waiting and "<code>shuangsuiji worker</code>" in waiting
    assert "排队中" in page(web, job, HX_Request="true")
    assert download(web, job).status_code == 404  # nothing to download yet

    tasks.worker_register("worker:test:1:abcdefgh")
    assert NO_WORKER not in page(web, job)
    # The worker's own claim → run → result steps (its loop would close the connection, and
    # with it the module's transaction, on PostgreSQL).
    tasks.task_run_now(job.task_id)

    job.refresh_from_db()
    assert (job.status, job.progress, job.row_count) == (ExportJob.Status.DONE, 100, rows)
    [result] = DBTaskResult.objects.all()
    assert (result.status, result.return_value) == (TaskResultStatus.SUCCESSFUL, "done")
    polled = web.get(reverse("directory:export_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert polled.status_code == 204 and polled["HX-Refresh"] == "true"
    done = page(web, job)
    assert f"共 <strong>{rows}</strong> 条" in done
    assert (
        reverse("directory:export_file", args=[job.pk]) in done and f"下载 {job.filename}" in done
    )

    response = download(web, job)
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    sheet = read(response.content)
    assert sheet == read(in_request(web, background, register, query))
    assert (
        len(sheet) == rows + 1
        and sheet[0] == {"inspectors": INSPECTORS, "targets": TARGETS}[register].headers
    )
    if register == "inspectors":
        assert {row[2] for row in sheet[1:]} == {id_number(i) for i in range(1, ROWS + 1)}
        assert {row[10] for row in sheet[1:]} == {f"1381234{i:04d}" for i in range(1, ROWS + 1)}
    else:
        assert {row[7] for row in sheet[1:]} == {"第一中队"}


def test_the_progress_is_written_as_the_rows_are(db, world, client, background):
    """The page polls the job's progress: the build raises it row after row, not at the end."""
    web = sign_in(client, world.coordinator)
    job = queue(web, "targets")
    with CaptureQueriesContext(connection) as queries:
        tasks.task_run_now(job.task_id)
    progress = [
        int(value)
        for query in queries
        if "directory_exportjob" in query["sql"] and query["sql"].lstrip().startswith("UPDATE")
        for value in re.findall(r'"progress" = (\d+)', query["sql"])
    ]
    assert progress[0] == 0 and progress[-1] == 100
    steps = progress[1:-1]
    assert len(steps) == ROWS and steps == sorted(steps) and 0 < steps[0] < steps[-1] <= 95

    # While it runs, the page shows where it stands.
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=40)
    tasks.worker_register("worker:test:1:abcdefgh")
    text = page(web, job, HX_Request="true")
    assert f"正在生成 {job.filename}：40%" in text and "排队中" not in text


def test_a_small_export_is_answered_at_once_and_without_a_worker_a_large_one_too(
    db, world, client, background
):
    """Below the threshold the file comes at once, as before; with background exports off the
    POST builds the queued job within its request and its page links the file."""
    web = sign_in(client, world.coordinator)
    background.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 6  # as many as 执法片区 第二中队 has
    small = web.get(export_url("targets", "area=%E7%AC%AC%E4%BA%8C%E4%B8%AD%E9%98%9F&page=2"))
    assert small.status_code == 200 and len(read(small.content)) == 1 + 6
    background.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 3
    background.SHUANGSUIJI_BACKGROUND_EXPORTS = False
    job = queue(web, "targets", "area=%E7%AC%AC%E4%BA%8C%E4%B8%AD%E9%98%9F&page=2")
    job.refresh_from_db()
    assert (job.status, job.row_count) == (ExportJob.Status.DONE, 6)
    assert job.query == "area=%E7%AC%AC%E4%BA%8C%E4%B8%AD%E9%98%9F"  # the page chooses no rows
    assert f"下载 {job.filename}" in page(web, job)
    assert read(download(web, job).content) == read(small.content)


def test_asking_again_while_it_is_unfinished_queues_nothing_more(db, world, client, background):
    web = sign_in(client, world.coordinator)
    first = queue(web, "targets")
    assert queue(web, "targets") == first
    assert ExportJob.objects.count() == 1 and DBTaskResult.objects.count() == 1
    tasks.task_run_now(first.task_id)
    assert queue(web, "targets") != first  # once built, a new export is a new file


def test_only_the_user_who_asked_reads_the_export(db, world, client, background):
    """Another bureau's coordinator gets 404 for the page and the file; so does a colleague of the
    same bureau, whose export would show other rows, masked (the file holds the coordinator's
    身份证号 unmasked)."""
    job = queue(sign_in(client, world.coordinator), "inspectors")
    tasks.task_run_now(job.task_id)
    for user in (world.neighbour, world.leader):
        sign_in(client, user)
        assert client.get(reverse("directory:export_job", args=[job.pk])).status_code == 404
        assert download(client, job).status_code == 404
    sign_in(client, world.coordinator)
    assert download(client, job).status_code == 200


def test_a_run_after_a_kill_rebuilds_the_file_and_ends_the_job_once(db, world, client, background):
    """A worker killed at 40%: its task, queued again, builds the whole file from the register and
    ends the job 已完成 with every row; a further run changes nothing and leaves one file."""
    web = sign_in(client, world.coordinator)
    job = queue(web, "inspectors")
    DBTaskResult.objects.get(pk=job.task_id).claim("worker:dead:1:abcdefgh")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=40)
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.READY)

    tasks.task_run_now(job.task_id)
    job.refresh_from_db()
    assert (job.status, job.progress, job.row_count) == (ExportJob.Status.DONE, 100, ROWS)
    first = (job.file.name, job.finished_at)
    assert len(read(download(web, job).content)) == ROWS + 1

    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.READY)
    tasks.task_run_now(job.task_id)
    job.refresh_from_db()
    assert (job.status, (job.file.name, job.finished_at), job.row_count) == (
        ExportJob.Status.DONE, first, ROWS
    )  # fmt: skip
    assert [p.relative_to(django_settings.MEDIA_ROOT).as_posix() for p in stored_files()] == [
        job.file.name
    ]
    [result] = DBTaskResult.objects.all()
    assert result.status == TaskResultStatus.SUCCESSFUL and len(result.worker_ids) == 3


def test_the_stored_file_is_encrypted(db, world, client, background):
    """The file at rest is no workbook: no name, 身份证号 or phone of the register is readable in
    it; the download decrypts it."""
    web = sign_in(client, world.coordinator)
    job = queue(web, "inspectors")
    tasks.task_run_now(job.task_id)
    [path] = stored_files()
    stored = path.read_bytes()
    assert stored.startswith(MAGIC) and not zipfile.is_zipfile(io.BytesIO(stored))
    for secret in ("张伟1", id_number(1), "13812340001"):
        assert secret.encode() not in stored
    content = download(web, job).content
    assert zipfile.is_zipfile(io.BytesIO(content)) and read(content)[1][0] == "张伟1"


def test_the_purge_deletes_expired_files_and_gives_up_on_builds_no_worker_ran(
    db, world, client, background
):
    """After SHUANGSUIJI_EXPORT_KEEP_HOURS the file goes (the page says so, the link with it), a
    build no worker took in that time ends 失败 with the cause, and a file a killed run stored but
    never recorded goes too; a worker that starts later leaves the ended job."""
    web = sign_in(client, world.coordinator)
    hours = background.SHUANGSUIJI_EXPORT_KEEP_HOURS
    built = queue(web, "inspectors")
    tasks.task_run_now(built.task_id)
    stale = queue(web, "targets")
    [kept] = stored_files()
    orphan = kept.with_name("orphan.sealed")
    orphan.write_bytes(MAGIC + b"lost")
    long_ago = timezone.now() - dt.timedelta(hours=hours + 1)
    ExportJob.objects.filter(pk=built.pk).update(finished_at=long_ago)
    ExportJob.objects.filter(pk=stale.pk).update(created_at=long_ago)
    os.utime(orphan, (long_ago.timestamp(), long_ago.timestamp()))

    assert services.export_files_purge() == 2
    assert stored_files() == []
    built.refresh_from_db()
    assert built.file_removed_at is not None and not built.file
    assert download(web, built).status_code == 404
    assert f"导出文件已超过保留期限（生成后 {hours} 小时）" in page(web, built)

    tasks.task_run_now(stale.task_id)
    stale.refresh_from_db()
    assert stale.status == ExportJob.Status.FAILED
    assert stale.message == f"申请后 {hours} 小时内未能生成（后台任务进程未运行），请重新导出。"
    assert stale.message in page(web, stale)
    assert DBTaskResult.objects.get(pk=stale.task_id).return_value == "failed"


def test_the_worker_names_the_task_in_chinese():
    assert tasks.TITLES[tasks.register_export_build.name] == "生成名录导出文件"
