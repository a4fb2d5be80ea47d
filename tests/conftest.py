"""Suite-wide fixtures and the rules that decide which tests run where.

- ``scripts/run_tests.py`` runs the suite twice: SQLite (everything) and PostgreSQL (only tests
  that touch the database, selected here). ``@pytest.mark.postgres`` tests need PostgreSQL's
  locking and run only in the PostgreSQL pass.
- Browser tests (tests/e2e) drive the machine's Chromium. With CI=true a missing Chromium fails
  them; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CI = os.environ.get("CI", "").lower() == "true"
TEST_DB = os.environ.get("SHUANGSUIJI_TEST_DB", "sqlite")
CHROMIUM = os.environ.get("SHUANGSUIJI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}
E2E_DIR = Path(__file__).parent / "e2e"


def _uses_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DB_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselected = []
    kept = []
    chromium_missing = not Path(CHROMIUM).exists()
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if chromium_missing and not CI:
                item.add_marker(
                    pytest.mark.skip(reason=f"未安装 Chromium（{CHROMIUM}），跳过浏览器测试")
                )
        if TEST_DB == "postgres" and not _uses_database(item):
            deselected.append(item)
            continue
        if TEST_DB != "postgres" and item.get_closest_marker("postgres"):
            item.add_marker(
                pytest.mark.skip(reason="需要 PostgreSQL（行锁、触发器），在 PostgreSQL 轮次运行")
            )
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"CI=true 要求运行浏览器测试，但未找到 Chromium（{CHROMIUM}）")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # PBKDF2's deliberate slowness is for production; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Each test's database is rolled back, and the public version counters with it
    # (disclosure/versions.py): a page cached by an earlier test would match a later one's key.
    from django.core.cache import cache

    from shuangsuiji.reports.statistics import NEAR

    cache.clear()
    # As after a restore, when each node's ``serve`` is restarted (docs/deployment.md): the
    # parts a process keeps of the cache are keyed by the same counters.
    NEAR.clear()


@pytest.fixture
def organisations(db):
    """A province → city → two branches tree, built through the services."""
    from tests.support.tree import build_organisations

    return build_organisations()


@pytest.fixture
def make_user(db):
    from tests.support.tree import make_user

    return make_user
