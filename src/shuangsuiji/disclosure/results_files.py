"""The portal's large Excel downloads of published results, built once by the worker (issue 21
§5, “draws of large pools … and large exports run as tasks … with a progress bar on the page and
resumption after a kill”).

A province's or a busy city's results run to hundreds of thousands of rows: written within the
request, the workbook would hold a server thread for minutes, once per visitor. Above
SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows the download is a ``ResultsFile`` instead, one for each
(organisation, filters, public version): the first visitor's POST queues its build
(``tasks.results_file_build``), every visitor asking the same thing meanwhile sees the same
progress, and once built everyone is served the same stored file. The version is the
organisation's public version (disclosure/versions.py) and the code's release, so a
publication or a withdrawal — any write of the rows the file is made of — gives a new key, and
a stale file is never found again; ``results_files_purge`` deletes it.

An anonymous visitor's POST (never a GET: a crawler following links queues nothing) writes here:
what bounds the table is not the visitors but the data. A row is keyed by validated filters
(``ResultFilter.chosen``, never the raw query), so however a crawler varies the address there
is at most one row per distinct download; a new row
is refused while SHUANGSUIJI_RESULTS_FILES_WAITING builds are unfinished (the worker builds
one at a time: more would only wait), and the table never holds more than
SHUANGSUIJI_RESULTS_FILES_KEPT rows (the oldest finished file makes room). Disk use is at most
that many files, each deleted SHUANGSUIJI_EXPORT_KEEP_HOURS after it was built
or as soon as its data changes.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from shuangsuiji.directory.uploads import loose_files_delete, stored_file_delete
from shuangsuiji.disclosure import caching, exports, selectors, versions
from shuangsuiji.disclosure.filters import ResultFilter
from shuangsuiji.disclosure.models import ResultsFile
from shuangsuiji.disclosure.tasks import results_file_build as build_task
from shuangsuiji.jobs import job_claim

logger = logging.getLogger(__name__)

#: A failed build is tried again by the next visitor this long after it failed.
RETRY_AFTER = timedelta(minutes=10)

BROKE = (
    "生成下载文件时发生系统错误，未生成文件。请稍后再试；仍不成功请联系本单位"
    "（错误详情已记入日志）。"
)


# ---- reads --------------------------------------------------------------------------------------


def results_version(organisation) -> str:
    """The key of the organisation's published results as they are now: its public version and
    the release (a new release may write other columns)."""
    return f"{versions.organisation_version(organisation.code)}:{caching.release()}"


def results_file_find(organisation, filters: str, version: str) -> ResultsFile | None:
    return ResultsFile.objects.filter(
        organisation=organisation, filters=filters, version=version
    ).first()


def results_file_usable(found: ResultsFile | None) -> bool:
    """It answers the visitor as it is: building, built (its file still there), or failed a
    moment ago (the page says so rather than queueing the same failure again and again)."""
    if found is None:
        return False
    if found.status in ResultsFile.UNFINISHED:
        return True
    if found.status == ResultsFile.Status.FAILED:
        return found.finished_at is not None and found.finished_at > timezone.now() - RETRY_AFTER
    return found.has_file and found.file.storage.exists(found.file.name)


def _rows(found: ResultsFile):
    """The results the file holds: the portal's own selector and filters, read now."""
    filterset = ResultFilter(
        QueryDict(found.filters), queryset=selectors.public_results(found.organisation)
    )
    return selectors.with_public_details(filterset.qs).order_by("-published_at", "-pk")


# ---- writes -------------------------------------------------------------------------------------


def results_file_request(
    *, organisation, filters: str, version: str, title: str
) -> ResultsFile | None:
    """The shared download of these filters at this version, queued if it is not there (or its
    file went, or it failed a while ago). None when SHUANGSUIJI_RESULTS_FILES_WAITING builds
    are already unfinished: the visitor is asked to come back, and nothing is queued."""
    found = results_file_find(organisation, filters, version)
    if results_file_usable(found):
        return found
    # First the stale builds go (their data changed): they would wait for nothing.
    results_files_purge()
    if (
        ResultsFile.objects.filter(status__in=ResultsFile.UNFINISHED).count()
        >= settings.SHUANGSUIJI_RESULTS_FILES_WAITING
    ):
        return None
    _make_room(settings.SHUANGSUIJI_RESULTS_FILES_KEPT - 1)
    try:
        # The queue is a table of the same database: the row and its task commit together.
        with transaction.atomic():
            if found is not None:
                ResultsFile.objects.filter(pk=found.pk).delete()
                _file_delete(found)
            found = ResultsFile.objects.create(
                organisation=organisation, filters=filters, version=version, title=title
            )
            found.task_id = str(build_task.enqueue(found.pk).id)
            found.save(update_fields=["task_id"])
    except IntegrityError:
        # Another visitor's request queued the same download a moment before: it is this one.
        return results_file_find(organisation, filters, version)
    return found


def results_file_build(file_id: int) -> str:
    """Build the download's workbook and store it; returns its status.

    It starts from the published results every time: a run after a kill builds the whole file
    again, and the row ends in one conditional update, so however many runs there are it ends
    once, and a run that finds it ended (or deleted, its data stale) leaves it."""
    found, claimed = job_claim(ResultsFile.objects.select_related("organisation"), file_id)
    if not claimed:
        return found.status if found is not None else ""
    field = ResultsFile._meta.get_field("file")
    name = field.generate_filename(found, f"{uuid.uuid4().hex}.xlsx")
    final = Path(field.storage.path(name))
    final.parent.mkdir(parents=True, exist_ok=True)
    # Written beside its final name and renamed once whole: a kill leaves a ``.part`` file the
    # purge deletes, never a truncated workbook under a name a row holds.
    handle, partial = tempfile.mkstemp(dir=final.parent, suffix=".part")
    os.close(handle)
    try:
        rows = _rows(found)
        total = rows.count()
        running = ResultsFile.objects.filter(pk=found.pk, status=ResultsFile.Status.RUNNING)
        shown = 0

        def written(done: int) -> None:
            nonlocal shown
            # Up to 95: closing the workbook is the rest.
            percent = 95 * done // max(total, 1)
            if percent > shown:
                shown = percent
                running.update(progress=percent)

        count = exports.results_workbook(partial, rows.iterator(chunk_size=2000), written)
        # mkstemp makes it private to the worker's user; the web server may run as another.
        os.chmod(partial, field.storage.file_permissions_mode or 0o644)
        os.replace(partial, final)
    except Exception:
        # The page would show 生成中 for ever: the visitor is told, the traceback is logged.
        logger.exception("公示结果下载文件生成出错：%s（%s）", found.pk, found.title)
        Path(partial).unlink(missing_ok=True)
        _end(found, status=ResultsFile.Status.FAILED, message=BROKE)
        return found.status
    if not _end(found, status=ResultsFile.Status.DONE, file=name, row_count=count):
        final.unlink(missing_ok=True)  # another run ended it first, or its data changed
    results_files_purge()
    return found.status


def _end(found: ResultsFile, **values) -> bool:
    """Write how a build ended, in one statement and only on a row still 生成中; False when
    another run ended it first or the purge deleted it (its data changed meanwhile)."""
    values.update(progress=100, finished_at=timezone.now())
    running = ResultsFile.objects.filter(pk=found.pk, status=ResultsFile.Status.RUNNING)
    if running.update(**values):
        for name, value in values.items():
            setattr(found, name, value)
        return True
    return False


def _file_delete(found: ResultsFile) -> bool:
    if not found.file:
        return True
    return stored_file_delete(
        found.file.storage, found.file.name, f"公示结果下载文件 {found.file.name}"
    )


def _rows_delete(doomed) -> int:
    """Delete rows and their files; a file the disk keeps keeps its row for the next purge."""
    removed = 0
    for found in doomed:
        if _file_delete(found):
            ResultsFile.objects.filter(pk=found.pk).delete()
            removed += 1
    return removed


def _make_room(kept: int) -> None:
    """The oldest finished downloads go until at most ``kept`` rows are left."""
    extra = ResultsFile.objects.count() - kept
    if extra > 0:
        finished = ResultsFile.objects.exclude(status__in=ResultsFile.UNFINISHED)
        _rows_delete(finished.order_by("finished_at", "pk")[:extra])


def results_files_purge() -> int:
    """Delete the downloads whose organisation's public data changed since (never served
    again), those built more than SHUANGSUIJI_EXPORT_KEEP_HOURS ago, the builds no worker took
    in that time, and files no row holds (a killed run's ``.part``). Returns how many went.
    Run at every new download and at the end of every build."""
    cutoff = timezone.now() - timedelta(hours=settings.SHUANGSUIJI_EXPORT_KEEP_HOURS)
    rows = ResultsFile.objects.select_related("organisation").only(
        "pk", "file", "version", "status", "created_at", "finished_at", "organisation__code"
    )
    current: dict[int, str] = {}
    doomed = []
    for found in rows:
        organisation = found.organisation
        if organisation.pk not in current:
            current[organisation.pk] = results_version(organisation)
        old = (found.finished_at or found.created_at) < cutoff
        if found.version != current[organisation.pk] or old:
            doomed.append(found)
    removed = _rows_delete(doomed)
    field = ResultsFile._meta.get_field("file")
    folder = Path(settings.MEDIA_ROOT) / field.upload_to.strip("/")
    if folder.is_dir():
        held = {Path(name).name for name in ResultsFile.objects.exclude(file="").values_list(
            "file", flat=True)}  # fmt: skip
        # A build renames its file just before recording it: one unrecorded for hours is lost.
        lost = (
            path
            for path in sorted(folder.iterdir())
            if path.is_file()
            and path.name not in held
            and path.stat().st_mtime < cutoff.timestamp()
        )
        removed += loose_files_delete(lost, "未登记的公示结果下载文件")
    return removed
