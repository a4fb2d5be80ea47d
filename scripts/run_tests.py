"""Run the whole suite on SQLite and every database test again on a throwaway PostgreSQL, the
two passes side by side: each runs in one process, so on a machine of two cores or more they
take about the time of the longer pass instead of the sum (issue 21: CI under 40 minutes on two
cores). ``SHUANGSUIJI_TEST_SERIAL=1`` runs them one after the other, as before.

Each pass writes to its own log, printed whole when the pass ends, so their lines never mix.
With CI=true a missing PostgreSQL is a failure; elsewhere the PostgreSQL pass is skipped with
the reason. (Chromium is handled inside the suite: see tests/conftest.py.)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

CI = os.environ.get("CI", "").lower() == "true"
SERIAL = os.environ.get("SHUANGSUIJI_TEST_SERIAL", "") == "1"
PYTEST = [sys.executable, "-m", "pytest", *sys.argv[1:]]
NO_TESTS_COLLECTED = 5


class Pass:
    """One pass of the suite, running in the background with its output in a file."""

    def __init__(self, label: str, env: dict[str, str], logs: Path):
        self.label = label
        self.log = logs / f"{label}.log"
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(PYTEST, env=env, stdout=out, stderr=subprocess.STDOUT)

    def finish(self) -> int:
        code = self.process.wait()
        minutes = (time.monotonic() - self.started) / 60
        print(f"\n===== 测试轮次：{self.label}（{minutes:.1f} 分钟）=====", flush=True)
        sys.stdout.buffer.write(self.log.read_bytes())
        sys.stdout.flush()
        return 0 if code == NO_TESTS_COLLECTED else code


def main() -> int:
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    with tempfile.TemporaryDirectory(prefix="shuangsuiji-tests-") as folder:
        logs = Path(folder)
        sqlite = Pass("SQLite", {**base_env, "SHUANGSUIJI_TEST_DB": "sqlite"}, logs)
        if SERIAL:
            sqlite_code = sqlite.finish()
        with contextlib.ExitStack() as stack:
            try:
                url = stack.enter_context(throwaway_cluster())
            except PostgresUnavailable as error:
                if not SERIAL:
                    sqlite_code = sqlite.finish()
                if CI:
                    print(f"错误：CI=true 要求运行 PostgreSQL 测试，但 {error}", file=sys.stderr)
                    return 1
                print(f"\n跳过 PostgreSQL 轮次：{error}", flush=True)
                return sqlite_code
            pg_env = {**base_env, "SHUANGSUIJI_TEST_DB": "postgres", "DATABASE_URL": url}
            postgres = Pass("PostgreSQL（临时集群）", pg_env, logs)
            if not SERIAL:
                sqlite_code = sqlite.finish()
            pg_code = postgres.finish()
    return sqlite_code or pg_code


if __name__ == "__main__":
    sys.exit(main())
