"""``shuangsuiji serve``: waitress in one process, or in several sharing one listening socket.

One waitress process runs Python on one core at a time (its threads share the interpreter lock):
under load it saturates one core while the machine's others idle (docs/load.md). With
``--workers N`` the parent opens the socket, forks N processes that each run waitress on it (the
kernel hands each new connection to one of them), and supervises them: a worker that dies is
started again, and SIGTERM or Ctrl+C stops them all. Nothing that needs a database connection
is opened before the fork, so no connection is ever shared between processes; each worker opens
its own. Writes stay correct across processes because they rely on the database's own locks
(row locks on PostgreSQL, IMMEDIATE transactions on SQLite), never on process memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

#: A worker that exits by itself sooner than this after its start is not restarted: something is
#: wrong with the installation, and restarting it in a loop would only hide that. A worker killed
#: by a signal (the OOM killer, kill -9) is always replaced.
MIN_WORKER_LIFETIME = 5.0


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: reachable from this machine only."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(application: Callable, *, host: str, port: int, workers: int, **options) -> int:
    """Serve until stopped; return the exit status."""
    from waitress import serve as waitress_serve

    if workers <= 1:
        waitress_serve(application, host=host, port=port, **options)
        return 0
    listener = socket.create_server((host, port), backlog=2048)
    stopping = False
    children: dict[int, float] = {}

    def start_worker() -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            status = 0
            try:
                waitress_serve(application, sockets=[listener], **options)
            except Exception:
                import traceback

                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        children[pid] = time.monotonic()

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start_worker()
    status = 0
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        gave_up = os.WIFEXITED(wait_status)  # not killed (OOM, kill -9): it failed by itself
        if gave_up and time.monotonic() - started < MIN_WORKER_LIFETIME:
            print(f"工作进程 {pid} 启动后即退出，停止服务。", file=sys.stderr, flush=True)
            stop(signal.SIGTERM, None)
            status = 1
            continue
        print(f"工作进程 {pid} 意外退出，已重新启动。", file=sys.stderr, flush=True)
        start_worker()
    listener.close()
    return status
