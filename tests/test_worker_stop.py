"""Stopping ``shuangsuiji worker`` between tasks (issue 21 §5 “后台任务……进程被杀后能恢复”): Ctrl+C
or SIGTERM leaves at once while the loop sleeps between polls, and never in the middle of the
poll's query. Python runs a signal handler wherever the main thread is; a handler that raised
inside a query left the connection mid-command, the worker's clean-up then failed on it
("another command is already in progress") and the worker exited 1 instead of 0.

The signal is delivered by calling the installed handler with the frame the main thread would
be in, at the two places it can arrive between tasks: the loop's sleep and a database call."""

from __future__ import annotations

import signal
import sys

import pytest
from django.db import connection
from django_tasks_db.management.commands import db_worker

from shuangsuiji.cli.worker import _stop_on_signals
from shuangsuiji.directory.tasks import worker_create


@pytest.fixture
def worker(monkeypatch):
    kept = {handled: signal.getsignal(handled) for handled in (signal.SIGINT, signal.SIGTERM)}
    # Between requests Django closes a connection found inside a transaction, which the test's
    # is: the loop's connection checks are left out here.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    worker = worker_create(interval=5)
    _stop_on_signals(worker)
    yield worker
    for handled, handler in kept.items():
        signal.signal(handled, handler)


def deliver(frame) -> None:
    """SIGTERM arriving while the main thread runs ``frame``."""
    signal.getsignal(signal.SIGTERM)(signal.SIGTERM, frame)


@pytest.mark.django_db
def test_a_stop_while_the_loop_sleeps_leaves_at_once(worker, monkeypatch):
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        deliver(sys._getframe(1))  # the loop's frame: sleep is a C call, it has none of its own

    monkeypatch.setattr(db_worker.time, "sleep", sleep)
    with pytest.raises(SystemExit) as stopped:
        worker.run()
    assert stopped.value.code == 0
    assert slept == [5]  # left in the first wait, not after it


@pytest.mark.django_db
def test_a_stop_during_the_polls_query_lets_it_finish(worker, monkeypatch):
    queries = []

    def during(execute, sql, params, many, context):
        if not queries:
            deliver(sys._getframe())  # inside the query, not in the loop's own code
        queries.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(
        db_worker.time, "sleep", lambda seconds: pytest.fail("不应再等待下一次查询")
    )
    with connection.execute_wrapper(during):
        worker.run()  # returns: the poll ran to its end, then the loop stopped without waiting
    assert worker.running is False
    assert any("django_tasks_database_dbtaskresult" in sql for sql in queries)
    assert connection.is_usable()  # the clean-up can use it
