"""``make demo``: every printed demo account can log in; a second run keeps the data and issues
fresh passwords.

The demo is built once for the module (it runs a year of the five counties through the
services), on a clock pinned early in 2026 so this module's year is a short one: plans
published, the first quarter drawn and just begun.
"""

import datetime as dt
import io
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils.html import escape

from shuangsuiji.accounts.roles import Role, user_roles
from shuangsuiji_demo.__main__ import main
from shuangsuiji_demo.build import DEMO_ORGANISATIONS, DEMO_PARTNERS, DEMO_USERS
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
    return run_demo_with_progress()[0]


def run_demo_with_progress() -> tuple[str, str]:
    """The demo's stdout (the year's summary and the accounts) and its stderr (the progress)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main([]) == 0
    analyze_tables()  # the planner sees the demo's sizes (tests/support/autovacuum.py)
    return out.getvalue(), err.getvalue()


#: Dates a bureau sets ahead by their nature: when a task is to be drawn and checked by, the
#: latest day a list is public, a result's publication and a follow-up's deadline, a session's
#: and a lockout's expiry, a calendar's working days.
PLANNED = {
    ("planning", "samplingtask"): {"draw_date", "inspection_deadline"},
    ("planning", "draw"): {"reveal_on"},
    ("inspections", "inspection"): {"publication_due"},
    ("inspections", "followup"): {"deadline"},
    ("sessions", "session"): {"expire_date"},
    ("axes", "accessattemptexpiration"): {"expires_at"},
    ("bureau", "workdayoverride"): {"day"},
}


def dated_after(today: dt.date) -> list[str]:
    """Every date and time field of every row (history rows and audit entries included) that
    holds a day after ``today`` in Beijing time, but for the dates set ahead (``PLANNED``):
    "model.field: count, latest value"."""
    from django.apps import apps
    from django.db import models

    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    found = []
    for model in apps.get_models():
        name = model._meta.model_name.removeprefix("historical")
        planned = PLANNED.get((model._meta.app_label, name), set())
        for field in model._meta.concrete_fields:
            if field.name in planned:
                continue
            if isinstance(field, models.DateTimeField):
                later = model._base_manager.filter(**{f"{field.name}__gte": tomorrow})
            elif isinstance(field, models.DateField):
                later = model._base_manager.filter(**{f"{field.name}__gt": today})
            else:
                continue
            if later.exists():
                latest = later.order_by(f"-{field.name}").values_list(field.name, flat=True)[0]
                found.append(f"{model._meta.label}.{field.name}: {later.count()}，{latest}")
    return found


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
    inspectors = [row for row in rows if row[2] == "执法人员"]
    # Each demo inspector logs in with a real 执法证号, one per preset county.
    assert len(inspectors) == len(PRESET_CODES) and all(row[0].isdigit() for row in inspectors)
    assert {row[0] for row in rows} - {row[0] for row in inspectors} == {
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
    assert runs.after["organisations"] == len(DEMO_ORGANISATIONS) + len(DEMO_PARTNERS)
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


def test_every_county_has_every_role_and_the_city_its_own(db, runs):
    """Issue 19 §8: each preset county bureau has an account of every role, 唐山's 市局 its
    系统管理员, 领导 and 监督员, all printed with the bureau's name."""
    from shuangsuiji.accounts.models import Organisation

    printed: dict[str, set[str]] = {}
    for _username, _password, role, organisation in accounts(runs.second):
        printed.setdefault(organisation, set()).add(role)
    for code in PRESET_CODES:
        name = Organisation.objects.get(code=code).name
        assert printed[name] == {role.label for role in Role}, name
    city = Organisation.objects.get(code="130200").name
    assert printed[city] == {"系统管理员", "领导", "监督员"}


def test_each_printed_inspector_has_this_years_tasks(client, db, runs):
    """The printed 执法人员 of each county is an officer of its register on teams of this
    year's draws: 我的任务 lists them, one at least still to check."""
    from shuangsuiji.accounts.models import User
    from shuangsuiji.directory.models import Inspector
    from shuangsuiji.inspections.models import Inspection

    rows = [row for row in accounts(runs.second) if row[2] == "执法人员"]
    for username, password, _role, organisation in rows:
        user = User.objects.get(username=username)
        assert user.organisation.name == organisation and user_roles(user) == [Role.INSPECTOR]
        officer = Inspector.objects.get(organisation=user.organisation, certificate_no=username)
        assert user.display_name == officer.name
        teams = Inspection.objects.counted(2026, user.organisation).filter(
            members__inspector=officer
        )
        assert teams.filter(status=Inspection.Status.ASSIGNED).exists(), username
        assert (
            client.post("/login/", {"username": username, "password": password}).status_code == 302
        )
        page = client.get(reverse("inspections:mine")).content.decode()
        client.post("/logout/")
        assert "目前没有分配给您的检查任务" not in page
        assert all(escape(i.target.name) in page for i in teams.select_related("target"))


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
