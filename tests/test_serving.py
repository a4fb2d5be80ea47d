"""``shuangsuiji serve`` (issue 21 §4: granian, chosen by measurement, docs/load.md “服务器的选择”):
``--workers N`` processes answer on one port; the server itself, not our code, replaces a worker
that dies, stops them all on SIGTERM, and stops instead of looping when workers cannot boot; the
forwarded headers are believed from the trusted proxy only (docs/security.md 第九节)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from shuangsuiji import serving
from shuangsuiji.serving import behind_proxy

#: How long a test waits for the server to come up or a worker to be replaced, at most: only a
#: bound, reached when something is wrong. A production start compresses the static files first,
#: over a minute on a busy 2-core machine (tests/test_production_start.py waits with this too).
PATIENCE = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return json.loads(answer.read()) if answer.status == 200 else None
    except OSError:
        return None


def _healthy(port: int) -> bool:
    return _health(port) is not None


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"等待超时：{what}")
        time.sleep(0.2)


def _env(tmp_path: Path) -> dict[str, str]:
    """This run's database: PostgreSQL when the tests run on it (DATABASE_URL), else SQLite."""
    return {
        **os.environ,
        "SHUANGSUIJI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shuangsuiji.config.settings",
    }


# django_db: the PostgreSQL pass runs it too, where each worker opens its own connection to the
# server's database (DATABASE_URL, not the test database: /healthz only pings it).
@pytest.mark.django_db
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="需要 Linux 的 /proc")
def test_workers_share_the_port_are_replaced_and_stop_together(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "shuangsuiji.cli", "serve", "--port", str(port),
               "--workers", "2", "--threads", "2"]  # fmt: skip
    server = subprocess.Popen(
        command, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _until(lambda: len(_children(server.pid)) == 2 and _healthy(port), "两个工作进程就绪")
        first = _children(server.pid)
        answers = [_health(port) for _ in range(10)]
        vendor = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
        assert all(a and a["database"] == {"ok": True, "vendor": vendor} for a in answers)

        victim = min(first)
        os.kill(victim, signal.SIGKILL)  # as the OOM killer does
        _until(
            lambda: len(_children(server.pid)) == 2 and victim not in _children(server.pid),
            "被终止的工作进程由新进程接替",
        )
        assert all(_healthy(port) for _ in range(10))
        workers = _children(server.pid)
        assert workers - first  # a new process, not a survivor counted twice

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=PATIENCE) == 0
        output = server.stdout.read().decode()
        assert "已启动：" in output and "2 个工作进程" in output
        assert output.count("意外退出") == output.count("接替") == 1  # not those SIGTERM stopped
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        assert not _healthy(port)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


BROKEN_WORKERS = """
import sys
import django

django.setup()
from shuangsuiji import serving

def load_application(trusted_proxy, target):  # what a worker meets when, say, a library is broken
    raise RuntimeError("工作进程初始化失败（测试）")

serving.load_application = load_application
sys.exit(serving.serve("shuangsuiji.config.wsgi:application", host="127.0.0.1", port={port},
                       workers=2, threads=2, connections=10,
                       on_ready=lambda: print("已监听", flush=True)))
"""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="需要 Linux 的 /proc")
def test_workers_that_cannot_start_stop_the_server_instead_of_restarting_in_a_loop(tmp_path):
    port = _free_port()
    script = textwrap.dedent(BROKEN_WORKERS).replace("{port}", str(port))
    stopped = subprocess.run(
        [sys.executable, "-c", script], env=_env(tmp_path), capture_output=True, text=True,
        timeout=PATIENCE,
    )  # fmt: skip
    assert stopped.returncode == 1, stopped.stderr[-2000:]
    assert "已监听" in stopped.stdout
    assert "工作进程初始化失败（测试）" in stopped.stderr  # the cause, for whoever reads the log
    assert "服务已停止，不再重启" in stopped.stderr
    assert not _healthy(port)


WORKER_COLLECTOR = """
import gc, json
from shuangsuiji import serving
serving.load_application("", "shuangsuiji.config.wsgi:application")
print(json.dumps({"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_a_worker_freezes_what_the_app_loaded_and_collects_garbage_less_often(tmp_path):
    """docs/load.md “垃圾回收”: with Python's defaults a province's 统计表 after a change spent a
    third of its time walking the worker's whole heap."""
    loaded = subprocess.run(
        [sys.executable, "-c", WORKER_COLLECTOR], env=_env(tmp_path), capture_output=True,
        text=True, timeout=PATIENCE, check=True,
    )  # fmt: skip
    collector = json.loads(loaded.stdout.splitlines()[-1])
    assert tuple(collector["thresholds"]) == serving.COLLECTOR_THRESHOLDS == (50_000, 20, 100)
    assert collector["frozen"] > 10_000  # Django, the app's modules and templates


def _seen(environ: dict) -> dict:
    """What the app sees of a request that arrives with ``environ``."""
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    behind_proxy(app, "127.0.0.1")(dict(environ), lambda *args: None)
    return seen


def test_forwarded_headers_are_believed_from_the_trusted_proxy_only():
    forwarded = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "10.0.0.1, 203.0.113.9",
        "HTTP_X_FORWARDED_HOST": "sjs.example.gov.cn",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
    }
    via_proxy = _seen({**forwarded, "REMOTE_ADDR": "127.0.0.1"})
    # nginx appends the address it saw to what the client sent: only that last entry is true.
    assert via_proxy["REMOTE_ADDR"] == "203.0.113.9"
    assert via_proxy["wsgi.url_scheme"] == via_proxy["HTTP_X_FORWARDED_PROTO"] == "https"
    assert via_proxy["HTTP_HOST"] == "sjs.example.gov.cn"

    direct = _seen({**forwarded, "REMOTE_ADDR": "192.0.2.7"})
    assert direct["REMOTE_ADDR"] == "192.0.2.7"
    assert direct["wsgi.url_scheme"] == "http" and direct["HTTP_HOST"] == "127.0.0.1:8000"
    assert not any(key.startswith("HTTP_X_FORWARDED") for key in direct)
