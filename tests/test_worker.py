"""``shuangsuiji worker`` killed in the middle of a task (issue 21 §5 “后台任务……进程被杀后能恢复”,
acceptance “tasks surviving a worker kill”): a worker validating the largest register an import
takes (100,000 rows) is killed with SIGKILL; the next worker started queues its task again and
validates the file from the start. The batch ends 待确认 with every row counted, the queue holds
one result for it, and nothing was written to the register. Real processes on a database they
share with the test: a fresh SQLite file, or on the PostgreSQL pass the test database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROWS = 100_000  # SHUANGSUIJI_IMPORT_MAX_ROWS' default: the largest file the page accepts
DEADLINE = 600  # seconds; generous, the test only waits for states (no timing is asserted)
# On SQLite the processes share a file of their own, and the test needs no test database.
ON_POSTGRES = os.environ.get("SHUANGSUIJI_TEST_DB") == "postgres"
pytestmark = [pytest.mark.slow, *([pytest.mark.django_db(transaction=True)] if ON_POSTGRES else [])]

SETUP = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuangsuiji.config.settings")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.services import organisation_create
from shuangsuiji.directory.registers import TARGETS
from shuangsuiji.directory.services import import_batch_create
from tests.support.tree import make_user
from tests.support.workbooks import TARGET_HEADERS, uscc

county = organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
coordinator = make_user("coord", county, Role.COORDINATOR)
lines = [",".join(TARGET_HEADERS)]
lines += [f"{uscc(i)},企业{i},排污单位,,130281,水" for i in range(1, ROWS + 1)]
content = ("\\n".join(lines) + "\\n").encode()
batch = import_batch_create(actor=coordinator, spec=TARGETS,
                            upload=SimpleUploadedFile("名录.csv", content))
print(batch.pk)
"""


class SharedDatabase:
    """Where the test, the setup and the workers meet: the environment for the processes and
    a way for the test to read what they wrote."""

    def __init__(self, tmp_path: Path):
        self.data_dir = tmp_path
        paths = [str(Path.cwd()), os.environ.get("PYTHONPATH", "")]
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env |= {"SHUANGSUIJI_DATA_DIR": str(tmp_path), "PYTHONPATH": os.pathsep.join(paths)}
        if connection.vendor == "postgresql":
            # The test database itself (transactional: what the processes commit is seen here).
            db = connection.settings_dict
            self.env["DATABASE_URL"] = (
                f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}"
                f"@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
            )
        else:
            self.python("from django.core.management import call_command\n"
                        "call_command('migrate', verbosity=0)")  # fmt: skip

    def python(self, body: str) -> str:
        script = (
            textwrap.dedent(body)
            if "django.setup()" in body
            else (
                "import os\n"
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shuangsuiji.config.settings')\n"
                "import django\ndjango.setup()\n" + textwrap.dedent(body)
            )
        )
        done = subprocess.run([sys.executable, "-c", script], env=self.env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def row(self, sql: str, *params) -> tuple:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchone()
        with closing(sqlite3.connect(self.data_dir / "shuangsuiji.sqlite3", timeout=30)) as db:
            return db.execute(sql, params).fetchone()

    def worker(self, log: str) -> subprocess.Popen:
        """``shuangsuiji worker``, its output in ``log``."""
        command = [sys.executable, "-m", "shuangsuiji.cli", "worker", "--interval", "0.2"]
        with open(self.data_dir / log, "w") as out:
            return subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: str, check):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"等待超时：{what}")


@pytest.fixture
def shared(tmp_path):
    return SharedDatabase(tmp_path)


@pytest.fixture
def workers():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_worker_killed_mid_validation_is_resumed_by_the_next_one(shared, workers):
    """Issue 21 §5: queued → a worker validates → SIGKILL mid-file → the next worker validates it
    again from the start → 待确认, 100,000 new rows, one task result claimed twice."""
    batch_id = int(shared.python(SETUP.replace("ROWS", str(ROWS))))
    batch = "SELECT status, progress, row_count, problem_count, task_id FROM directory_importbatch WHERE id = ?"
    task = "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = ?"
    status, progress, _, _, task_id = shared.row(batch, batch_id)
    task_id = task_id.replace("-", "") if connection.vendor == "sqlite" else task_id
    assert (status, progress) == ("validating", 0)
    assert shared.row(task, task_id)[0] == "READY"  # 排队中: queued with the batch

    first = shared.worker("first.log")
    workers.append(first)
    wait_for("第一个后台任务进程开始校验", lambda: shared.row(batch, batch_id)[1] > 0)
    first.send_signal(signal.SIGKILL)
    first.wait()
    status, progress, *_ = shared.row(batch, batch_id)
    # Killed mid-task: the batch half-validated, the task still marked as running.
    assert status == "validating" and 0 < progress < 100
    assert shared.row(task, task_id)[0] == "RUNNING"

    second = shared.worker("second.log")
    workers.append(second)
    wait_for("第二个后台任务进程完成任务", lambda: shared.row(task, task_id)[0] == "SUCCESSFUL")
    assert shared.row(batch, batch_id)[:4] == ("preview", 100, ROWS, 0)
    assert shared.row(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE ?",
        "%import_validate",
    ) == (1,)
    status, worker_ids = shared.row(task, task_id)
    assert status == "SUCCESSFUL"
    worker_ids = worker_ids if isinstance(worker_ids, list) else json.loads(worker_ids)
    assert len(worker_ids) == 2  # claimed by the killed worker, then by the next one
    assert shared.row("SELECT count(*) FROM directory_target") == (0,)
    # The dead worker is forgotten; the live one is registered until it stops.
    assert shared.row("SELECT count(*) FROM directory_taskworker") == (1,)

    second.send_signal(signal.SIGTERM)
    assert second.wait() == 0
    assert shared.row("SELECT count(*) FROM directory_taskworker") == (0,)
    log = (shared.data_dir / "second.log").read_text()
    assert "完成：校验导入文件" in log and "后台任务进程已停止" in log
