"""A process killed (SIGKILL) in the middle of writing an import or a draw leaves the database
as it was before: every write of a service is one transaction (issue 10)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SETUP = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.config.settings")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from shuangsuiji.accounts.services import organisation_create
county = organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
"""

IMPORT = """
from tests.support.workbooks import uscc, xlsx
from shuangsuiji.directory.registers import TARGETS
from shuangsuiji.directory.services import register_import
rows = [["统一社会信用代码", "单位名称"]] + [[uscc(i), f"企业{i}"] for i in range(1, 3001)]

def progress(phase, done, total):
    if phase == "写入" and 0 < done < total:
        print("WRITING", flush=True)
        time.sleep(60)  # killed here, rows written, transaction open

register_import(actor=None, organisation=county, spec=TARGETS, content=xlsx(rows),
                filename="t.xlsx", reason="导入", on_progress=progress)
print("FINISHED", flush=True)
"""

DRAW = """
import datetime as dt
from tests.support.county import build_county
from shuangsuiji.acts import draws
from shuangsuiji.planning.plans import plan_approve, plan_submit, plan_generate, plan_publish
build_county(county)
plan = plan_generate(actor=None, organisation=county, year=2026)
plan_submit(actor=None, plan=plan)
plan_approve(actor=None, plan=plan)
plan_publish(actor=None, plan=plan)
draw = draws.draw_commit(actor=None, task=plan.tasks.get(quarter=4),
                         sources=[("lottery", "双色球 2026136 期")], reveal_on=dt.date(2026, 12, 31))
original = draws.inspections_create_from_draw

def slow(*args, **kwargs):
    original(*args, **kwargs)
    print("WRITING", flush=True)
    time.sleep(60)  # killed here: result saved, inspections created, transaction open

draws.inspections_create_from_draw = slow
draws.draw_execute(actor=None, draw=draw, values=["1.2.3.4.5.6./7./"])
print("FINISHED", flush=True)
"""


def killed_midway(tmp_path: Path, body: str) -> Path:
    """Run SETUP + body in a fresh process on its own SQLite file; SIGKILL it once it says it
    is writing. Returns the database file."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SHUANGSUIJI_DATA_DIR": str(tmp_path), "PYTHONPATH": str(Path.cwd())}
    script = textwrap.dedent(SETUP) + textwrap.dedent(body)
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.strip() == "WRITING", process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    return tmp_path / "shuangsuiji.sqlite3"


def count(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_killed_import_writes_nothing(tmp_path):
    database = killed_midway(tmp_path, IMPORT)
    assert count(database, "SELECT count(*) FROM directory_target") == 0
    assert count(database, "SELECT count(*) FROM directory_historicaltarget") == 0
    assert (
        count(database, "SELECT count(*) FROM audit_auditevent WHERE action = 'register.import'")
        == 0
    )
    # The organisation created before the import is still there: only the import rolled back.
    assert count(database, "SELECT count(*) FROM accounts_organisation") == 1


@pytest.mark.slow
def test_killed_draw_stays_committed_with_no_inspections(tmp_path):
    database = killed_midway(tmp_path, DRAW)
    assert count(database, "SELECT count(*) FROM planning_draw WHERE status = 'committed'") == 1
    assert count(database, "SELECT count(*) FROM planning_draw WHERE result != ''") == 0
    assert count(database, "SELECT count(*) FROM inspections_inspection") == 0
    assert (
        count(database, "SELECT count(*) FROM audit_auditevent WHERE action = 'draw.execute'") == 0
    )
    assert (
        count(database, "SELECT count(*) FROM audit_auditevent WHERE action = 'draw.commit'") == 1
    )
