"""The helper process of parallel.py returns results and errors as if run in the caller."""

from __future__ import annotations

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
