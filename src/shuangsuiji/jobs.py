"""The states of a file built by the worker (issue 21 §5), shared by the staff's register
exports (``directory.ExportJob``) and the portal's results downloads
(``disclosure.ResultsFile``): the same words on both pages."""

from __future__ import annotations

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


#: Statuses a task still has to end.
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def job_claim(rows, pk: int):
    """The job row ``pk`` of ``rows`` (a query of ExportJob or ResultsFile) and whether this run
    took it: one conditional update from an unfinished state to running, so however many runs
    a killed worker's task gets, one builds at a time and a run that finds the job ended (or
    gone) leaves it. Returns (None, False) when the row is gone."""
    job = rows.filter(pk=pk).first()
    if job is None:
        return None, False
    unfinished = rows.model.objects.filter(pk=pk, status__in=UNFINISHED)
    if not unfinished.update(status=JobStatus.RUNNING, progress=0):
        job.refresh_from_db()
        return job, False
    job.status, job.progress = JobStatus.RUNNING, 0
    return job, True
