"""The helper process of parallel.py returns results and errors as if run in the caller."""

from __future__ import annotations

import os
import time

import pytest

from shuangsuiji.draw import BundleError, parallel


def _fail() -> None:
    raise BundleError("pool.txt", "第 7 行", "示例错误")


@pytest.fixture
def always_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite may have other threads alive (Playwright's): force the fork path anyway.
    monkeypatch.setattr(parallel, "may_fork", lambda size: True)


@pytest.mark.usefixtures("always_fork")
def test_result_comes_back() -> None:
    pending = parallel.beside(sorted, [3, 1, 2], size=3)
    assert isinstance(pending, parallel._Forked)
    assert pending.result() == [1, 2, 3]


@pytest.mark.usefixtures("always_fork")
def test_error_comes_back_intact() -> None:
    pending = parallel.beside(_fail, size=1)
    with pytest.raises(BundleError) as caught:
        pending.result()
    assert (caught.value.file, caught.value.where, caught.value.message) == (
        "pool.txt",
        "第 7 行",
        "示例错误",
    )


@pytest.mark.usefixtures("always_fork")
def test_cancel_stops_the_helper() -> None:
    pending = parallel.beside(time.sleep, 30, size=1)
    started = time.monotonic()
    pending.cancel()
    assert time.monotonic() - started < 10


def test_small_work_stays_in_the_caller() -> None:
    assert not parallel.may_fork(2)
    pending = parallel.beside(sorted, [2, 1], size=2)
    assert not isinstance(pending, parallel._Forked)
    assert pending.result() == [1, 2]


def _echo_twice(channel: parallel.Channel, first: int) -> None:
    channel.send(first)
    channel.send(channel.receive() * 2)


def _refuse(channel: parallel.Channel) -> None:
    channel.send("ready")
    raise BundleError("roster.txt", "第 3 行", "示例错误")


def test_helper_keeps_what_it_has_between_steps() -> None:
    """pipeline.py's helper answers step after step; lists of bytes travel intact."""
    helper = parallel.Helper(_echo_twice, 21)
    try:
        assert helper.receive() == 21
        helper.send([b"a", b"a", b"\x00" * 40])
        assert helper.receive() == [b"a", b"a", b"\x00" * 40] * 2
    finally:
        helper.close()


def test_helper_error_comes_back_intact() -> None:
    helper = parallel.Helper(_refuse)
    try:
        assert helper.receive() == "ready"
        with pytest.raises(BundleError) as caught:
            helper.receive()
        assert (caught.value.file, caught.value.where) == ("roster.txt", "第 3 行")
    finally:
        helper.close()


def test_a_dead_helper_is_an_end_of_file() -> None:
    helper = parallel.Helper(lambda channel: os._exit(3))
    try:
        with pytest.raises(EOFError):
            helper.receive()
    finally:
        helper.close()


def test_a_waiting_helper_ends_when_the_caller_closes_the_pipe() -> None:
    """When the caller drops the helper between steps (an invalid bundle), the helper reads
    the end of the pipe and ends by itself: it has not kept the caller's end open."""
    helper = parallel.Helper(_echo_twice, 1)
    try:
        assert helper.receive() == 1
        parallel.Channel.close(helper)  # the pipe only, as close() does before it waits
        helper._process.join(timeout=60)  # a bound, so that a regression fails, not hangs
        assert helper._process.exitcode == 0
    finally:
        helper._process.kill()
        helper._process.join()
