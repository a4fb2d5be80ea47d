"""Handing a pure function to a second core while the caller goes on.

A large draw has two parts that need nothing from the caller's next steps: most of the
pool's Merkle tree (while the lines are validated) and half of every large stratum's tickets.
They run in a forked child; the child inherits the data instead of receiving a copy, and
only sends back its result. Without ``fork``, with other threads running (forking them
is unsafe) or for small inputs, the function simply runs in the caller.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Below this many items a fork costs more than the work it takes away.
MIN_ITEMS = 100_000


class Pending(Generic[T]):
    """A result computed in the caller already."""

    def __init__(self, value: T) -> None:
        self._value = value

    def result(self) -> T:
        return self._value

    def cancel(self) -> None:
        pass


class _Forked(Pending[T]):
    def __init__(self, func: Callable[..., T], args: tuple[Any, ...]) -> None:
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(sender, func, args))
        self._process.start()
        sender.close()

    def result(self) -> T:
        try:
            ok, value = self._receiver.recv()
        except EOFError:
            raise RuntimeError("子进程异常退出，未返回结果") from None
        finally:
            self._receiver.close()
            self._process.join()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        self._process.kill()
        self._process.join()
        self._receiver.close()


def _serve(sender: Connection, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        outcome = (True, func(*args))
    except BaseException as exc:
        outcome = (False, exc)
    sender.send(outcome)
    sender.close()


def may_fork(size: int) -> bool:
    """Fork only for large work, only where fork exists, and never beside other threads."""
    return (
        size >= MIN_ITEMS
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def beside(func: Callable[..., T], *args: Any, size: int) -> Pending[T]:
    """Start ``func(*args)``, on another core when ``size`` items make it worthwhile."""
    if not may_fork(size):
        return Pending(func(*args))
    try:
        return _Forked(func, args)
    except OSError:  # no process to spare (memory, limits): do the work here
        return Pending(func(*args))
