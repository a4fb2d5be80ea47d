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
