"""The portal's large Excel download of results is built once by the worker and shared (issue 21
§5: “large exports … run as tasks … with a progress bar on the page and resumption after a
kill”): a GET offers the build and writes nothing, the visitor's POST queues it and then sees
正在生成 with a progress bar that refreshes itself, everyone then gets the same stored file; a publication or a withdrawal makes a new one; a killed worker's build
is queued again and the file is built once, with the rows and columns of the small download."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from python_calamine import CalamineWorkbook

from shuangsuiji.directory import tasks
from shuangsuiji.directory.models import TaskWorker
from shuangsuiji.disclosure import results_files
from shuangsuiji.disclosure.models import ResultsFile
from shuangsuiji.disclosure.tasks import results_file_build
from shuangsuiji.inspections.models import Inspection
from tests.disclosure.test_spreadsheet_safety import csv_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUEUED = "排队中：结果较多，下载文件正在等待生成"


@pytest.fixture
def background(settings):
    # The portal fixture publishes two results of the county: one row is “large”.
    settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 1
    settings.SHUANGSUIJI_BACKGROUND_EXPORTS = True
    return settings


def url(portal, query: str = "") -> str:
    return f"/gongkai/org/{portal.county.code}/results.xlsx" + (f"?{query}" if query else "")


def sheet(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return [[str(cell) for cell in row] for row in book.get_sheet_by_index(0).to_python()]


def stored() -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "results"
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def in_request(client, settings, portal, query: str = "") -> list[list[str]]:
    """The download as it is written within the request (the threshold out of reach)."""
    threshold = settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS
    settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 10**9
    try:
        return sheet(client.get(url(portal, query)))
    finally:
        settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = threshold


def test_a_large_download_is_built_once_and_served_to_every_visitor(client, portal, background):
    """Visitor 1 → 202 排队中, a page that refreshes itself (no script) → visitor 2, and a crawler
    adding parameters of its own, find the same build: one row, one task → the worker builds
    it → everyone gets the same file, with the rows and columns of the small download and of the
    open-data CSV, nothing confidential."""
    offer = client.get(url(portal, "year=2026"))  # a GET offers the build and writes nothing
    assert offer.status_code == 200 and offer["Cache-Control"] == "no-store"
    assert "共 <strong>2</strong> 条" in offer.content.decode() and 'method="post"' in (
        offer.content.decode()
    )
    assert not ResultsFile.objects.exists() and not DBTaskResult.objects.exists()
    queued = client.post(url(portal, "year=2026"))
    assert queued.status_code == 302 and queued["Location"] == url(portal, "year=2026&wait=1")
    first = client.get(queued["Location"])
    assert first.status_code == 202 and first["Cache-Control"] == "no-store"
    text = first.content.decode()
    assert QUEUED in text and '<progress max="100">' in text
    assert first["Refresh"] == f"2; url={url(portal, 'year=2026')}&wait=1"
    assert "后台任务进程暂未运行" in text  # no worker heard from: the visitor is told
    for again in ("year=2026", "year=+2026&utm_source=crawler", "year=2026&wait=1"):
        assert client.get(url(portal, again)).status_code == 202
    assert client.post(url(portal, "year=+2026&utm_source=crawler")).status_code == 302
    [built] = ResultsFile.objects.all()
    assert DBTaskResult.objects.count() == 1 and built.filters == "year=2026"

    tasks.task_run_now(built.task_id)
    built.refresh_from_db()
    assert (built.status, built.progress, built.row_count) == ("done", 100, 2)

    done = client.get(url(portal, "year=2026&wait=1"))  # the page that was refreshing itself
    assert done.status_code == 200 and "共 <strong>2</strong> 条结果" in done.content.decode()
    assert done["Refresh"] == f"0; url={url(portal, 'year=2026')}"
    rows = sheet(client.get(url(portal, "year=2026")))
    assert rows == in_request(client, background, portal, "year=2026")
    api = client.get(
        "/api/results", {"organisation": portal.county.code, "format": "csv", "year": "2026"}
    )
    assert rows == csv_rows(api) and len(rows) == 1 + 2
    text = "\n".join("\t".join(row) for row in rows)
    for withheld in (portal.secret, portal.unrevealed, portal.targeted):
        assert withheld.target.credit_code not in text
    assert sheet(client.get(url(portal, "year=2026"))) == rows
    assert ResultsFile.objects.count() == 1 and len(stored()) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_small_download_is_written_at_once_and_stores_nothing(client, portal, background):
    background.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 2
    assert len(sheet(client.get(url(portal)))) == 1 + 2
    assert not ResultsFile.objects.exists() and not DBTaskResult.objects.exists()


def test_the_page_shows_how_far_the_build_is(client, portal, background):
    client.post(url(portal))
    ResultsFile.objects.update(status="running", progress=40)
    tasks.worker_register("worker:test:1:abcdefgh")
    response = client.get(url(portal, "wait=1"))
    text = response.content.decode()
    assert response.status_code == 202 and "正在生成：40%" in text
    assert '<progress max="100" value="40">40%</progress>' in text
    assert "后台任务进程暂未运行" not in text


def test_a_withdrawal_makes_a_new_file_and_the_stale_one_is_never_served(
    client, portal, background
):
    """A result reopened for correction leaves the portal: the next download is built afresh
    without it, and the file of the old data is deleted with its row."""
    from shuangsuiji.inspections.services import inspection_reopen

    client.post(url(portal))
    old = ResultsFile.objects.get()
    tasks.task_run_now(old.task_id)
    assert len(sheet(client.get(url(portal)))) == 1 + 2
    [old_file] = stored()

    inspection_reopen(
        actor=portal.coordinator, inspection=Inspection.objects.get(pk=portal.ordered.pk),
        reason="更正检查结论",
    )  # fmt: skip
    background.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS = 0  # one row left: still to the worker
    assert client.get(url(portal)).status_code == 200  # the offer, not the stale file
    assert client.post(url(portal)).status_code == 302
    new = ResultsFile.objects.get()
    assert new.pk != old.pk and new.version != old.version and not old_file.exists()
    tasks.task_run_now(new.task_id)
    rows = sheet(client.get(url(portal)))
    assert len(rows) == 1 + 1 and portal.ordered.target.credit_code not in str(rows)


def test_a_killed_workers_build_is_queued_again_and_built_once(client, portal, background):
    """The worker dies at 40%: ``tasks_recover`` puts the task back, the next run builds the
    whole file from the published results and ends the row once; a further run changes
    nothing, and one file is stored."""
    client.post(url(portal))
    found = ResultsFile.objects.get()
    dead = "worker:dead:1:abcdefgh"
    tasks.worker_register(dead)
    TaskWorker.objects.filter(pk=dead).update(seen_at=timezone.now() - dt.timedelta(days=1))
    DBTaskResult.objects.get(pk=found.task_id).claim(dead)
    ResultsFile.objects.filter(pk=found.pk).update(status="running", progress=40)
    (Path(django_settings.MEDIA_ROOT) / "results").mkdir(parents=True, exist_ok=True)

    assert tasks.tasks_recover() == 1
    tasks.task_run_now(found.task_id)
    found.refresh_from_db()
    assert (found.status, found.progress, found.row_count) == ("done", 100, 2)
    first = (found.file.name, found.finished_at)
    rows = sheet(client.get(url(portal)))
    assert rows[0][:3] == ["检查单位", "检查对象", "统一社会信用代码"] and len(rows) == 1 + 2
    assert rows == in_request(client, background, portal)

    DBTaskResult.objects.filter(pk=found.task_id).update(status=TaskResultStatus.READY)
    tasks.task_run_now(found.task_id)
    found.refresh_from_db()
    assert (found.file.name, found.finished_at) == first
    assert [p.name for p in stored()] == [Path(found.file.name).name]
    [result] = DBTaskResult.objects.all()
    assert result.status == TaskResultStatus.SUCCESSFUL and len(result.worker_ids) == 3


def test_a_crawler_cannot_grow_the_table(client, portal, background):
    """A GET writes nothing, whatever it asks; bad filters are refused (400) and stored
    nowhere; once SHUANGSUIJI_RESULTS_FILES_WAITING builds are unfinished a new one is refused
    for now (503, 请稍后), writing nothing."""
    for query in ("", "year=2026", "year=2025&category=ok", "year=abc"):
        client.get(url(portal, query))
    assert not ResultsFile.objects.exists() and not DBTaskResult.objects.exists()
    assert client.post(url(portal, "year=abc")).status_code == 400
    background.SHUANGSUIJI_RESULTS_FILES_WAITING = 1
    assert client.post(url(portal)).status_code == 302
    busy = client.post(url(portal, "year=2026"))
    assert busy.status_code == 503 and busy["Retry-After"] == "60"
    assert "当前正在生成的下载文件较多" in busy.content.decode()
    assert ResultsFile.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_the_oldest_finished_file_makes_room(client, portal, background):
    background.SHUANGSUIJI_RESULTS_FILES_KEPT = 1
    client.post(url(portal))
    tasks.task_run_now(ResultsFile.objects.get().task_id)
    client.post(url(portal, "year=2026"))
    [left] = ResultsFile.objects.all()
    assert left.filters == "year=2026" and stored() == []


def test_the_purge_deletes_files_past_their_keep_time(client, portal, background):
    client.post(url(portal))
    found = ResultsFile.objects.get()
    tasks.task_run_now(found.task_id)
    [kept] = stored()
    lost = kept.with_name("killed.part")
    lost.write_bytes(b"PK")
    long_ago = timezone.now() - dt.timedelta(hours=background.SHUANGSUIJI_EXPORT_KEEP_HOURS + 1)
    os.utime(lost, (long_ago.timestamp(), long_ago.timestamp()))
    assert results_files.results_files_purge() == 1  # the lost part; the file is fresh
    ResultsFile.objects.update(finished_at=long_ago)
    assert results_files.results_files_purge() == 1
    assert stored() == [] and not ResultsFile.objects.exists()
    assert client.get(url(portal)).status_code == 200  # offered again
    assert client.post(url(portal)).status_code == 302  # and built again


def test_the_worker_names_the_task_in_chinese():
    assert tasks.TITLES[results_file_build.name] == "生成公示结果下载文件"
