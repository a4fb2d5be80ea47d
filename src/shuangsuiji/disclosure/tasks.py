"""The portal's background task: a large Excel download of published results
(``results_files``). It runs on the project's one queue, served by ``shuangsuiji worker``, and
survives a killed worker as the register's tasks do (directory/tasks.py: ``tasks_recover``
queues it again, and a run starts from the published results and ends the row once)."""

from __future__ import annotations

from django_tasks import task

from shuangsuiji.directory.tasks import QUEUE


@task(queue_name=QUEUE)
def results_file_build(file_id: int) -> str:
    """生成公示结果下载文件: returns the download's status (empty if it was deleted meanwhile)."""
    # results_files queues this task: imported here, when it runs, not when the module loads.
    from shuangsuiji.disclosure.results_files import results_file_build as build

    return build(file_id)
