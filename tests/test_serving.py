"""``shuangsuiji serve --workers N`` (docs/load.md: one waitress process uses one core): N
processes answer on one port, a worker that dies is replaced, and SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

#: How long the test waits for the server to come up or a worker to be replaced, at most.
PATIENCE = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(child) for child in text.split()}


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"等待超时：{what}")
        time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="需要 Linux 的 /proc")
def test_workers_share_the_port_are_replaced_and_stop_together(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SHUANGSUIJI_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shuangsuiji.config.settings",
    }
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "shuangsuiji.cli", "serve", "--port", str(port),
               "--workers", "2", "--threads", "2"]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _until(lambda: len(_children(server.pid)) == 2 and _healthy(port), "两个工作进程就绪")
        first = _children(server.pid)
        assert all(_healthy(port) for _ in range(10))

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _until(
            lambda: len(_children(server.pid)) == 2 and victim not in _children(server.pid),
            "被终止的工作进程由新进程接替",
        )
        assert _healthy(port)
        workers = _children(server.pid)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=PATIENCE) == 0
        output = server.stdout.read().decode()
        assert "2 个工作进程" in output and "已重新启动" in output
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        assert not _healthy(port)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
