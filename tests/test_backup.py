"""``shuangsuiji backup`` / ``restore`` (issue 10): a populated database with uploaded files goes
into one archive and comes back into a fresh database with the same row counts and the same
audit chain head — on SQLite here, on PostgreSQL in the PostgreSQL pass."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import TEST_DB

CLI = [sys.executable, "-m", "shuangsuiji.cli"]


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, check=False)
    return result


def populate(env: dict, tmp_path: Path) -> None:
    for args in (
        ("manage", "migrate", "-v", "0"),
        ("org", "add", "130281", "唐山市生态环境局遵化市分局"),
        ("demo-data", "--preset", "zunhua-2024", "--targets", "40", "--inspectors", "8",
         "--out", str(tmp_path / "demo")),
    ):  # fmt: skip
        result = run(env, *args)
        assert result.returncode == 0, result.stderr
    for register in ("targets", "inspectors", "items"):
        files = list((tmp_path / "demo").glob(f"*{register}*.xlsx"))
        result = run(env, "import", register, str(files[0]), "--org", "130281", "--reason", "建库")
        assert result.returncode == 0, result.stdout + result.stderr
    photo = Path(env["SHUANGSUIJI_DATA_DIR"]) / "media" / "inspections" / "2026" / "11" / "a.pdf"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"%PDF-1.4\n%photo\n")


def databases(tmp_path: Path) -> tuple[str, str]:
    """Two database URLs: the populated one and the fresh one to restore into."""
    if TEST_DB != "postgres":
        return (f"sqlite:///{tmp_path / 'a' / 'db.sqlite3'}",
                f"sqlite:///{tmp_path / 'b' / 'db.sqlite3'}")  # fmt: skip
    import psycopg

    base = os.environ["DATABASE_URL"]
    names = [f"backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(base, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    root = base.rsplit("/", 1)[0]
    return f"{root}/{names[0]}", f"{root}/{names[1]}"


@pytest.mark.django_db  # runs in both passes; the databases it uses are its own
def test_backup_round_trips_into_a_fresh_database(tmp_path):
    first, second = databases(tmp_path)
    base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env_a = {**base, "DATABASE_URL": first, "SHUANGSUIJI_DATA_DIR": str(tmp_path / "a")}
    env_b = {**base, "DATABASE_URL": second, "SHUANGSUIJI_DATA_DIR": str(tmp_path / "b")}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    populate(env_a, tmp_path)

    made = run(env_a, "backup", "--out", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.startswith("✓ 已备份到")
    (archive,) = (tmp_path / "backups").glob("shuangsuiji-*.tar.gz")

    restored = run(env_b, "restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "各表行数与备份一致" in restored.stdout
    head_a = run(env_a, "audit", "verify").stdout
    head_b = run(env_b, "audit", "verify").stdout
    assert head_a.startswith("✓") and head_a == head_b  # same entries, same chain head
    photo = tmp_path / "b" / "media" / "inspections" / "2026" / "11" / "a.pdf"
    assert photo.read_bytes() == b"%PDF-1.4\n%photo\n"

    again = run(env_b, "restore", str(archive))
    assert again.returncode == 1 and "当前数据库已有数据" in again.stdout


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "SHUANGSUIJI_DATA_DIR": str(tmp_path)}  # fmt: skip
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not a tar file")
    result = run(env, "restore", str(bogus))
    assert result.returncode == 1 and "无法读取备份文件" in result.stdout
