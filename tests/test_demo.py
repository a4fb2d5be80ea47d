"""``make demo``: every printed demo account can log in; a second run keeps the data and issues
fresh passwords.

The demo is built once for the module (it runs a year of the five counties through the
services), on a clock pinned early in 2026 so this module's year is a short one: plans
published, the first quarter drawn and just begun.
"""

import datetime as dt
import io
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test.utils import override_settings

from shuangsuiji.accounts.roles import Role, user_roles
from shuangsuiji_demo.__main__ import main
from shuangsuiji_demo.build import DEMO_ORGANISATIONS, DEMO_USERS
from shuangsuiji_demo.year import clock
from tests.support.autovacuum import analyze_tables, hold_off_autovacuum

SHANGHAI = ZoneInfo("Asia/Shanghai")
EARLY = dt.datetime(2026, 1, 21, 18, 0, tzinfo=SHANGHAI)
PRESET_CODES = [code for code, _, _, preset in DEMO_ORGANISATIONS if preset]


@contextmanager
def demo_database(moment, data_dir, django_db_blocker):
    """The test database for a module's demo, on the clock of ``moment``; rolled back after."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            DATA_DIR=data_dir,
            MEDIA_ROOT=str(data_dir / "media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        clock(moment),
        transaction.atomic(),
    ):
        hold_off_autovacuum()  # its ANALYZE would see the tables empty (tests/support/autovacuum.py)
        try:
            yield
        finally:
            transaction.set_rollback(True)


def run_demo() -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main([]) == 0
    analyze_tables()  # the planner sees the demo's sizes (tests/support/autovacuum.py)
    return out.getvalue()


def accounts(output: str) -> list[list[str]]:
    """The rows of the printed account table (below its header)."""
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("登录名"))
    return [line.split() for line in lines[header + 1 :] if line.strip()]


@dataclass
class Runs:
    first: str
    second: str
    before: dict
    after: dict


def counts() -> dict:
    from shuangsuiji.accounts.models import Organisation, User
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.models import Draw

    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "draws": Draw.objects.count(),
        "inspections": Inspection.objects.count(),
    }


@pytest.fixture(scope="module")
def runs(django_db_setup, django_db_blocker, tmp_path_factory):
    with demo_database(EARLY, tmp_path_factory.mktemp("demo"), django_db_blocker):
        first = run_demo()
        before = counts()
        second = run_demo()
        yield Runs(first, second, before, counts())


def test_demo_accounts_log_in(client, db, runs):
    rows = accounts(runs.first)
    inspector = next(row for row in rows if row[2] == "执法人员")
    assert inspector[0].isdigit()  # the demo inspector logs in with a real 执法证号
    assert {row[0] for row in rows} - {inspector[0]} == {
        username for username, *_, role in DEMO_USERS if role != Role.INSPECTOR
    }
    for username, password, *_ in accounts(runs.second):
        response = client.post("/login/", {"username": username, "password": password})
        assert response.status_code == 302, username  # the login form accepts it
        assert client.get("/").status_code == 200
        client.post("/logout/")


def test_demo_is_idempotent_and_rotates_passwords(db, runs):
    from shuangsuiji.accounts.models import User

    assert runs.before == runs.after
    assert runs.after["organisations"] == len(DEMO_ORGANISATIONS)
    assert runs.first != runs.second
    first = {row[0]: row[1] for row in accounts(runs.first)}
    second = {row[0]: row[1] for row in accounts(runs.second)}
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)
    roles = {user_roles(u)[0] for u in User.objects.filter(organisation__code="130281")}
    assert roles == set(Role)
    # Every other account belongs to a team member who entered a result: 执法证号, 执法人员.
    printed = set(first)
    for user in User.objects.exclude(username__in=printed):
        assert user.username.isdigit() and user_roles(user) == [Role.INSPECTOR], user


def test_early_in_the_year_the_first_quarter_is_under_way(db, runs):
    from shuangsuiji.planning.models import AnnualPlan, Draw

    for code in PRESET_CODES:
        plan = AnnualPlan.objects.get(organisation__code=code, year=2026)
        assert plan.status == AnnualPlan.Status.PUBLISHED
        draws = Draw.objects.filter(organisation__code=code)
        assert draws.exists() and set(draws.values_list("status", flat=True)) == {"drawn"}
        assert {d.task.quarter or 1 for d in draws} == {1}
    # 绛县 draws its once-a-year tasks with the first quarter.
    assert Draw.objects.filter(organisation__code="140826", task__quarter=None).count() == 2
    summary = runs.first.split("演示账号")[0].strip().splitlines()
    assert len(summary) == len(PRESET_CODES) and all("2026 年" in line for line in summary)
    assert all("已存在" in line for line in runs.second.split("演示账号")[0].strip().splitlines())
