"""Import 100,000 targets (validate + upsert) on SQLite and PostgreSQL; compare with a bare read.

    uv run python benchmarks/import_targets.py [--rows 100000]

Prints, per database: seconds for the first import (all new), for a second import of the same
file (all unchanged), peak memory, and the ratio to python-calamine's bare read of the file.
Each measurement runs in its own process so its peak memory is its own. Also checks that one bad
row among all of them is reported (row and column) without writing anything.
Goals on a 2-core machine: ≤ 30 s per database, ≤ 3 × the bare read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bare_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    elapsed = time.perf_counter() - start
    assert len(rows) > 1
    return elapsed


def worker(database_url: str, path: Path, data_dir: Path) -> None:
    """One process: migrate a fresh database, import twice, report seconds and peak memory."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["SHUANGSUIJI_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_DEBUG"] = "false"  # measure as deployed: no query logging
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from shuangsuiji.accounts.services import organisation_create
    from shuangsuiji.directory.registers import TARGETS
    from shuangsuiji.directory.services import register_import

    call_command("migrate", verbosity=0)
    organisation = organisation_create(actor=None, code="130281", name="遵化市分局")
    content = path.read_bytes()
    figures = {}
    for label in ("first", "second"):
        start = time.perf_counter()
        outcome = register_import(
            actor=None, organisation=organisation, spec=TARGETS, content=content,
            filename=path.name, reason="基准测试",
        )  # fmt: skip
        figures[label] = time.perf_counter() - start
        figures[f"{label}_applied"] = outcome.applied
    figures["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def run_worker(database_url: str, path: Path, data_dir: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", database_url, str(path), str(data_dir)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def one_bad_row(path: Path, rows: int) -> tuple[float, list]:
    """Break one code deep in the file; the parser must name that row and column."""
    from python_calamine import CalamineWorkbook

    from shuangsuiji.directory.parsing import parse_workbook
    from shuangsuiji.directory.registers import TARGETS
    from shuangsuiji.directory.workbooks import write_workbook

    table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    broken_row = rows * 2 // 3
    table[broken_row][0] = table[broken_row][0][:-1] + (
        "0" if table[broken_row][0][-1] != "0" else "1"
    )
    bad = path.with_name("targets-one-bad-row.xlsx")
    bad.write_bytes(write_workbook(table[0], table[1:]))
    start = time.perf_counter()
    parsed = parse_workbook(TARGETS, bad.read_bytes(), bad.name)
    return time.perf_counter() - start, [(p.row, p.column, p.message) for p in parsed.problems]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return

    from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster
    from shuangsuiji_demo.registers import write_demo_workbooks

    with tempfile.TemporaryDirectory(prefix="sjs-bench-") as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        path = write_demo_workbooks(tmp_path, preset="zunhua-2024", targets=args.rows,
                                    inspectors=10)["targets"]  # fmt: skip
        print(f"生成 {args.rows} 行检查对象工作簿：{time.perf_counter() - start:.1f} 秒，"
              f"{path.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
        floor = min(bare_read(path) for _ in range(3))
        print(f"python-calamine 仅读取（下限，3 次取最小）：{floor:.2f} 秒")

        results = {"SQLite": run_worker(f"sqlite:///{tmp_path / 'bench.sqlite3'}", path, tmp_path)}
        try:
            with throwaway_cluster("bench") as url:
                results["PostgreSQL"] = run_worker(url, path, tmp_path)
        except PostgresUnavailable as error:
            print(f"跳过 PostgreSQL：{error}")
        for name, figures in results.items():
            print(f"\n{name}：")
            new, same = figures["first_applied"]["new"], figures["second_applied"]["unchanged"]
            first, second = figures["first"], figures["second"]
            print(f"  首次导入（全部新增 {new} 条）：{first:.1f} 秒，"
                  f"为仅读取的 {first / floor:.1f} 倍（目标 ≤ 30 秒，≤ 3 倍）")  # fmt: skip
            print(f"  再次导入同一文件（未变 {same} 条）：{second:.1f} 秒，"
                  f"为仅读取的 {second / floor:.1f} 倍")  # fmt: skip
            print(f"  峰值内存：{figures['peak_mib']:.0f} MiB")
        seconds, problems = one_bad_row(path, args.rows)
        print(f"\n{args.rows} 行中有一行错误：校验 {seconds:.1f} 秒，报告 {problems}")


if __name__ == "__main__":
    main()
