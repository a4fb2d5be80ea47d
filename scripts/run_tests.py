"""Run the whole suite on SQLite, then every database test again on a throwaway PostgreSQL.

With CI=true a missing PostgreSQL is a failure; elsewhere the PostgreSQL pass is skipped with
the reason. (Chromium is handled inside the suite: see tests/conftest.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys

from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

CI = os.environ.get("CI", "").lower() == "true"
PYTEST = [sys.executable, "-m", "pytest", *sys.argv[1:]]
NO_TESTS_COLLECTED = 5


def run_pass(label: str, env: dict[str, str]) -> int:
    print(f"\n===== 测试轮次：{label} =====", flush=True)
    code = subprocess.run(PYTEST, env=env, check=False).returncode
    return 0 if code == NO_TESTS_COLLECTED else code


def main() -> int:
    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    sqlite_code = run_pass("SQLite", {**base_env, "SHUANGSUIJI_TEST_DB": "sqlite"})
    try:
        with throwaway_cluster() as url:
            pg_env = {**base_env, "SHUANGSUIJI_TEST_DB": "postgres", "DATABASE_URL": url}
            pg_code = run_pass("PostgreSQL（临时集群）", pg_env)
    except PostgresUnavailable as error:
        if CI:
            print(f"错误：CI=true 要求运行 PostgreSQL 测试，但 {error}", file=sys.stderr)
            return 1
        print(f"\n跳过 PostgreSQL 轮次：{error}", flush=True)
        pg_code = 0
    return sqlite_code or pg_code


if __name__ == "__main__":
    sys.exit(main())
