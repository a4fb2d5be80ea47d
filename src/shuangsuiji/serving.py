"""``shuangsuiji serve``: granian, chosen by measurement (docs/load.md “服务器的选择”).

This process becomes granian's main process: it opens the listening socket and starts
``--workers`` processes. In each, granian's Rust runtime reads and writes HTTP outside Python's
interpreter lock, and ``--threads`` threads run the app (one Python process uses one core at a
time, so a multi-core machine needs several). granian, not our code, supervises the workers: one
that dies (the OOM killer, ``kill -9``) is replaced; SIGTERM or Ctrl+C stops them all after the
requests in flight; and when a replaced worker dies again within seconds (an app that cannot
start), it stops the server instead of restarting it in a loop.

The app is loaded here, before the fork, so every worker shares its code pages and an app that
cannot load fails once, at start. No database connection is open at the fork: each worker opens
its own. Writes stay correct across processes because they rely on the database's own locks
(row locks on PostgreSQL, IMMEDIATE transactions on SQLite), never on process memory.
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import sys
from collections.abc import Callable

#: Seconds SIGTERM waits for a worker to finish its requests before it is killed.
STOP_SECONDS = 30

#: The cyclic garbage collector's thresholds in a worker (``gc.set_threshold``): a collection
#: of the youngest objects after this many allocations (Python's default is 700), of the
#: middle ones after 20 of those, of all of them after 100 of those. A worker keeps tens of
#: thousands of rows between requests (``reports.statistics.KEPT``) and a report page after a
#: change allocates some hundred thousand objects, which with the defaults set off a collection
#: of the whole heap every other request: a third of a province's 统计表 (docs/load.md
#: “垃圾回收”, ``benchmarks/staff.py --after-change``). Garbage in cycles still goes, later.
COLLECTOR_THRESHOLDS = (50_000, 20, 100)

#: The headers only a trusted reverse proxy may set (waitress, the former engine, cleared the
#: same set from anyone else).
FORWARDED = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_BY",
    "HTTP_FORWARDED",
)


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1: reachable from this machine only."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def behind_proxy(application: Callable, trusted_proxy: str) -> Callable:
    """The app as the proxy's clients see it. From ``trusted_proxy`` (the address of the reverse
    proxy in front, ``--trusted-proxy``) the scheme, client address and host it forwards are
    believed: Django's SECURE_PROXY_SSL_HEADER reads X-Forwarded-Proto, django-axes the client
    address. From anyone else those headers are removed, so that nobody can claim HTTPS or
    another address by sending them."""

    def last(value: str) -> str:
        # The proxy appends what it saw to what the client sent: only its own entry is true.
        return value.rsplit(",", 1)[-1].strip()

    def forwarded(environ: dict, start_response: Callable):
        if trusted_proxy and environ.get("REMOTE_ADDR") == trusted_proxy:
            proto = last(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
            if proto in ("http", "https"):
                environ["HTTP_X_FORWARDED_PROTO"] = proto
                environ["wsgi.url_scheme"] = proto
            else:
                environ.pop("HTTP_X_FORWARDED_PROTO", None)
            if client := last(environ.get("HTTP_X_FORWARDED_FOR", "")):
                environ["REMOTE_ADDR"] = client
            if host := last(environ.get("HTTP_X_FORWARDED_HOST", "")):
                environ["HTTP_HOST"] = host
        else:
            for key in FORWARDED:
                environ.pop(key, None)
        return application(environ, start_response)

    return forwarded


def load_application(trusted_proxy: str, target: str) -> Callable:
    """granian's loader, run in each worker: the WSGI app named ``module:attribute``. After a
    fork its module is the one ``serve``'s caller imported already; where workers are spawned
    afresh (Python 3.14's default on Linux) it is imported here. A module function, so that it
    can be sent to a spawned worker."""
    import importlib

    module, _, attribute = target.partition(":")
    application = getattr(importlib.import_module(module), attribute)
    tune_collector()
    return behind_proxy(application, trusted_proxy)


def tune_collector() -> None:
    """What the app loaded (modules, templates, settings) lives as long as the process: frozen,
    no collection walks it again, and a forked worker does not copy its pages by marking them;
    then the thresholds above."""
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


class WorkerLines(logging.Filter):
    """granian's lines about its workers, in Chinese for the people who run the platform; its
    other progress lines are left out, its warnings and errors pass as written."""

    LINES = (
        (re.compile(r"Unexpected exit from worker-(\d+)"), "工作进程 {0} 意外退出。"),
        (re.compile(r"Respawning worker-(\d+)"), "已启动新的工作进程 {0} 接替。"),
        (
            re.compile(r"Worker crash loop detected, exiting"),
            "工作进程启动后随即退出，服务已停止，不再重启（原因见上方的错误信息）。",
        ),
    )

    #: Advice against more threads than cores: ours are chosen knowingly (they mostly wait on the
    #: database; docs/load.md measured 8).
    ADVICE = re.compile(r"Configuration allows spawning up to \d+ Python threads.*")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.ADVICE.fullmatch(message):
            return False
        for pattern, text in self.LINES:
            if found := pattern.fullmatch(message):
                record.msg, record.args = text.format(*found.groups()), None
                return True
        return record.levelno >= logging.WARNING


#: granian's logging, to stderr (as our own messages) through WorkerLines.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"workers": {"()": WorkerLines}},
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
            "filters": ["workers"],
        },
    },
    "loggers": {
        "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "granian.access": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}


def serve(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    connections: int,
    trusted_proxy: str = "",
    on_ready: Callable[[], None] = lambda: None,
) -> int:
    """Serve the WSGI app ``target`` (``module:attribute``) until stopped; return the exit
    status. ``on_ready`` runs once the port listens, before the workers start."""
    from django.db import connections as databases
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    server = Server(
        target,
        address=host.strip("[]"),
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # Connections a worker holds open at once (keep-alive ones too); the next ones wait in
        # the listen queue until one closes.
        backpressure=connections,
        backlog=2048,
        websockets=False,
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_SECONDS,
        log_level=LogLevels.info,  # WorkerLines lets the progress lines about workers through
        log_dictconfig=LOGGING,
    )
    ready = False

    def listening() -> None:
        nonlocal ready
        ready = True
        on_ready()

    server.on_startup(listening)
    # Static files were collected and settings read through Django before this point; whatever
    # opened a connection, the workers must not inherit it.
    databases.close_all()
    tune_collector()  # before the fork, so that the workers share the frozen pages
    try:
        server.serve(target_loader=functools.partial(load_application, trusted_proxy))
    except (OSError, RuntimeError) as error:
        if ready:
            raise
        # granian's socket errors come from Rust as RuntimeError("… (os error 98)") and a trace.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"错误：服务未能启动，无法监听 {host}:{port}（{reason}）。", file=sys.stderr)
        return 1
    except SystemExit as stop:
        # granian leaves with 1 when workers kept dying; it has said why (WorkerLines).
        return stop.code if isinstance(stop.code, int) else 1
    return 0
