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
    ):
        result = run(env, *args)
        assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "shuangsuiji_demo", "data", "--preset", "zunhua-2024",
         "--targets", "40", "--inspectors", "8", "--out", str(tmp_path / "demo")],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
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


SETUP_UPLOADS = """
from pathlib import Path
from django.conf import settings
from django.core.files.base import ContentFile
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.directory.models import ImportBatch
from shuangsuiji.directory.uploads import seal
org = Organisation.objects.get(code="130281")
plain = "姓名,执法证号,身份证号,联系电话\\n张伟,A001,{person},{phone}\\n".encode()
# Left by the version before: an applied import whose upload stayed in plain text ...
done = ImportBatch(organisation=org, register="inspectors", original_name="人员.csv",
                   status="applied")
done.file.save("人员.csv", ContentFile(plain), save=False)
done.save()
# ... and a plain file no batch names any more.
stray = Path(settings.MEDIA_ROOT) / "imports" / "2026" / "10" / "旧名录.csv"
stray.parent.mkdir(parents=True, exist_ok=True)
stray.write_bytes(plain)
# An upload still awaiting confirmation, stored as uploads now are.
waiting = ImportBatch(organisation=org, register="inspectors", original_name="待确认.csv",
                      status="preview")
waiting.file.save("x.sealed", ContentFile(seal(plain)), save=False)
waiting.save()
print(done.pk)
"""


@pytest.mark.django_db  # runs in both passes; the databases it uses are its own
def test_backup_never_carries_plain_personal_numbers(tmp_path):
    """Uploaded registers stayed in media/imports/ in plain text and every backup carried them
    (issue 15, finding 2): now a backup first deletes the uploads no import needs, and never
    archives an upload that is not encrypted."""
    import tarfile

    from tests.support.workbooks import id_number

    person, phone = id_number(7), "13812345678"
    first, _ = databases(tmp_path)
    base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env = {**base, "DATABASE_URL": first, "SHUANGSUIJI_DATA_DIR": str(tmp_path / "a")}
    (tmp_path / "a").mkdir()
    for args in (("manage", "migrate", "-v", "0"), ("org", "add", "130281", "遵化市分局")):
        result = run(env, *args)
        assert result.returncode == 0, result.stderr
    made = run(env, "manage", "shell", "-c", SETUP_UPLOADS.format(person=person, phone=phone))
    assert made.returncode == 0, made.stderr
    done = made.stdout.strip().splitlines()[-1]  # after the shell's list of auto-imports

    result = run(env, "backup", "--out", str(tmp_path / "backups"))
    assert result.returncode == 0, result.stdout + result.stderr
    (archive_path,) = (tmp_path / "backups").glob("shuangsuiji-*.tar.gz")
    with tarfile.open(archive_path, "r:gz") as archive:
        uploads = [m for m in archive.getmembers() if m.isfile() and "/imports/" in m.name]
        contents = [archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()]
    assert len(uploads) == 1 and uploads[0].name.endswith("x.sealed")
    for content in contents:
        assert person.encode() not in content and phone.encode() not in content
    # The plain copies are gone from the server too, and the applied batch says so.
    media = tmp_path / "a" / "media" / "imports"
    assert [p.name for p in media.rglob("*") if p.is_file()] == ["x.sealed"]
    check = run(env, "manage", "shell", "-c",
                "from shuangsuiji.directory.models import ImportBatch; "
                f"b = ImportBatch.objects.get(pk={done}); print(b.file_removed_reason, bool(b.file))")  # fmt: skip
    assert check.stdout.strip().splitlines()[-1] == "导入完成 False"
