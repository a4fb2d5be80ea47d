"""A throwaway PostgreSQL cluster from the machine's own binaries.

Tests and benchmarks need a real PostgreSQL without touching any server the machine may run:
``initdb`` into a temporary folder, listen on a free loopback port, trust authentication, and
remove everything on exit. As root, PostgreSQL refuses to run, so the cluster runs as ``postgres``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shuangsuiji.pgbin import PostgresUnavailable, find_bin_dir

__all__ = ["PostgresUnavailable", "find_bin_dir", "throwaway_cluster"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_cluster(database: str = "shuangsuiji", settings: str = "") -> Iterator[str]:
    """Start a cluster, create ``database``, yield its DATABASE_URL; stop and delete afterwards.
    ``settings``: more server settings (``-c name=value …``), e.g. for a benchmark's diagnosis."""
    bin_dir = find_bin_dir()
    root = Path(tempfile.mkdtemp(prefix="shuangsuiji-pg-"))
    data, socket_dir = root / "data", root / "run"
    data.mkdir()
    socket_dir.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as error:
            raise PostgresUnavailable("以 root 运行时需要系统用户 postgres") from error
        for path in (root, data, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*args: str) -> None:
        result = subprocess.run([*as_user, *args], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} 失败：{result.stderr or result.stdout}"
            )

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            f" {settings}"
        ).strip()
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        started = True
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            database)  # fmt: skip
        yield f"postgres://postgres@127.0.0.1:{port}/{database}"
    finally:
        if started:
            subprocess.run(
                [
                    *as_user,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
