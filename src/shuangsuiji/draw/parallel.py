"""Handing work to a second core while the caller goes on.

``beside`` runs one pure function in a forked child: the plain functions use it for most of
the pool's Merkle tree (while the lines are validated) and for half of every large
stratum's tickets. ``Helper`` is a forked child that works in steps and talks with the
caller through a pipe: ``draw compute`` shares the whole pool with one (pipeline.py). The
child inherits the data instead of receiving a copy, and sends back only what the caller
needs. Without ``fork``, with other threads running (forking them is unsafe) or for small
inputs, the work simply runs in the caller.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import pickle
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


class Channel:
    """One end of the pipe between the caller and a ``Helper``.

    Values are pickled without the pickler's memo: a draw sends lists of several hundred
    thousand small bytes objects, and the memo (one dict entry per object, to share
    repeated objects) would more than double the time to send them. Nothing sent refers to
    itself, which is all that mode forbids.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def send(self, value: Any, ok: bool = True) -> None:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo (see above)
        pickler.dump((ok, value))
        self._connection.send_bytes(buffer.getbuffer())

    def receive(self) -> Any:
        """The next value; what the other side raised is raised here."""
        ok, value = pickle.loads(self._connection.recv_bytes())
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._connection.close()


class Helper(Channel):
    """A forked process that runs ``func(channel, *args)`` and talks with the caller
    through ``send`` and ``receive``: for work in several steps, where the helper keeps
    what it computed in one step for the next (see pipeline.py).

    ``receive`` returns what the helper sent, raises what it raised, and raises EOFError
    when it died. ``close`` ends it in any state.
    """

    def __init__(self, func: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        connection, other = context.Pipe(duplex=True)
        self._process = context.Process(target=_talk, args=(other, connection, func, args))
        self._process.start()
        other.close()
        super().__init__(connection)

    def close(self) -> None:
        super().close()
        self._process.join(timeout=1)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _talk(
    connection: Connection, callers: Connection, func: Callable[..., None], args: tuple[Any, ...]
) -> None:
    # The fork copied the caller's end of the pipe too: closed here, so that when the caller
    # closes its end, a helper waiting for its next step reads the end of the file and stops.
    callers.close()
    channel = Channel(connection)
    try:
        func(channel, *args)
    except BaseException as exc:
        with contextlib.suppress(OSError, ValueError):  # unless the caller has gone
            channel.send(exc, ok=False)
    finally:
        channel.close()
