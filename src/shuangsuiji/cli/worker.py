"""``shuangsuiji worker``: the process that runs background tasks (issue 21 §5).

It runs django-tasks-db's worker loop on the project's queue, registered and beating so that
the pages know a worker runs and so that, should it be killed, the next worker queues its task
again (directory/tasks.py). One or more may run, on any node that reaches the database.

Ctrl+C or SIGTERM stops it cleanly: between tasks at once (after the poll under way, if any), or
once the running task ends; a second one stops the task too, which goes back to the queue (tasks
start again from what is stored, so nothing is half-written).
"""

from __future__ import annotations

import argparse
import signal
import sys

from django.utils import timezone


def register(commands) -> None:
    parser = commands.add_parser(
        "worker",
        help="启动后台任务进程（校验上传的名录文件等），Ctrl+C 停止",
        description=(
            "运行后台任务：校验网页上传的名录文件等。可在任一连接同一数据库的服务器上运行一个或多个；"
            "进程被强行结束时，其未完成的任务由下一个启动的后台任务进程从头重新执行。"
        ),
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="秒",
        help="队列为空时每隔多少秒查看一次新任务（默认 1）",
    )
    parser.set_defaults(func=_worker)


def _say(text: str) -> None:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} {text}", flush=True)


def _stop_on_signals(worker) -> None:
    """django-tasks-db's own handler, speaking Chinese and never cutting a query short: the
    first signal stops the loop, a second one the running task as well.

    The first signal leaves at once only while the loop waits between polls. Python runs a
    handler wherever the main thread is, and raising there in the middle of the poll's query or
    transaction leaves the database connection mid-command, so that the clean-up that follows
    cannot use it ("another command is already in progress"). Anywhere else the loop ends
    after the step it is in: it does not wait for the next poll once ``running`` is false."""
    waiting = type(worker).run.__code__

    def stop(signum, frame) -> None:
        if not worker.running:
            _say(
                "再次收到停止信号：中断当前任务并退出，该任务已放回队列，将由后台任务进程重新执行。"
            )
            for handled in (signal.SIGINT, signal.SIGTERM):
                signal.signal(handled, signal.SIG_DFL)
            sys.exit(1)
        worker.running = False
        if worker.running_task:
            _say("正在停止：当前任务完成后退出（再按一次 Ctrl+C 立即中断）。")
        elif frame is not None and frame.f_code is waiting:
            # In the loop's own code, which between polls means its sleep (a C call, so no
            # frame of its own): no query is under way.
            sys.exit(0)

    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, stop)


def _announce_tasks() -> None:
    from django_tasks.signals import task_finished, task_started

    from shuangsuiji.acts.draws import TITLES as DRAW_TITLES
    from shuangsuiji.directory.tasks import TITLES as DIRECTORY_TITLES

    TITLES = {**DIRECTORY_TITLES, **DRAW_TITLES}

    def title(task_result) -> str:
        return TITLES.get(task_result.task.name, task_result.task.name)

    def started(sender, task_result, **kwargs) -> None:
        _say(f"开始：{title(task_result)}（任务 {str(task_result.id)[:8]}）")

    def finished(sender, task_result, **kwargs) -> None:
        ended = "完成" if task_result.status == "SUCCESSFUL" else "失败"
        _say(f"{ended}：{title(task_result)}（任务 {str(task_result.id)[:8]}）")

    # Kept by the signals (weak=False): they live as long as the process.
    task_started.connect(started, weak=False)
    task_finished.connect(finished, weak=False)


def _worker(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        print("错误：--interval 必须大于 0。", file=sys.stderr)
        return 2
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from django.db import DatabaseError, connections

    from shuangsuiji.directory.tasks import worker_alive, worker_create

    worker = worker_create(interval=args.interval)
    _stop_on_signals(worker)
    _announce_tasks()
    try:
        with worker_alive(worker.worker_id):
            _say(f"后台任务进程已启动（{worker.worker_id}），等待任务；Ctrl+C 停止。")
            try:
                worker.run()
            finally:
                # Stopping: a further Ctrl+C must not cut short putting back what is unfinished.
                for handled in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(handled, signal.SIG_IGN)
                # A second signal may have stopped a task in the middle of a query: the
                # clean-up below starts on a fresh connection, whatever state that one is in.
                connections.close_all()
    except SystemExit as stopped:
        code = stopped.code if isinstance(stopped.code, int) else 1
    except DatabaseError as error:
        print(
            f"错误：无法使用数据库（{error}）。请检查 DATABASE_URL，"
            "并确认已运行 shuangsuiji manage migrate。",
            file=sys.stderr,
        )
        return 1
    else:
        code = 0
    _say("后台任务进程已停止。")
    return code
