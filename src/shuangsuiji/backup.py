"""``shuangsuiji backup`` / ``shuangsuiji restore``: the database and the uploaded files in one
archive, with a manifest of row counts and the audit chain head that the restore checks.

- SQLite: the online backup API copies a consistent database while the server keeps running.
- PostgreSQL: ``pg_dump --format=custom`` of the configured database, restored with
  ``pg_restore`` into an empty one.

The archive is a .tar.gz holding ``manifest.json``, ``database.sqlite3`` or ``database.dump``,
and ``media/`` (photos, scanned records, and uploaded register workbooks still awaiting
confirmation — those only encrypted).

An uploaded register may hold 身份证号 and 联系电话, which the database keeps encrypted: so the
backup first deletes the uploads no import needs any more (``import_files_purge``), and never
archives a file under ``media/imports/`` that is not encrypted (a copy left from before
uploads were encrypted), whatever the purge could or could not delete.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

FORMAT = "shuangsuiji-backup-1"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


def row_counts() -> dict[str, int]:
    """Rows of every table of the project's models (history tables included)."""
    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in ("contenttypes", "sessions", "admin", "axes"):
            continue
        if model._meta.label_lower == "directory.taskworker":
            continue  # the running workers' heartbeats come and go while the backup runs
        counts[model._meta.label_lower] = model._base_manager.count()
    return counts


def _audit_head() -> str:
    from shuangsuiji.audit.models import AuditHead

    head = AuditHead.objects.filter(pk=1).first()
    return head.hash if head else ""


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    from shuangsuiji.pgbin import PostgresUnavailable, find_bin_dir

    try:
        return str(find_bin_dir() / name)
    except PostgresUnavailable as error:
        raise BackupError(f"未找到 PostgreSQL 程序 {name}：{error}") from error


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--host", db.get("HOST") or "localhost", "--port", str(db.get("PORT") or 5432),
            "--username", db.get("USER") or "postgres", "--dbname", db["NAME"]]  # fmt: skip
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败：{result.stderr.strip()[:500]}")


@dataclass
class BackupResult:
    path: Path
    manifest: dict


def _media_filter(media: Path):
    """tarfile's filter: everything under media/, except an unencrypted upload."""
    from shuangsuiji.directory.uploads import FOLDER, is_sealed

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts  # ("media", "imports", ...)
        inside = len(parts) > 2 and parts[1] == FOLDER and not info.isdir()
        if inside and not (info.isfile() and is_sealed(media.joinpath(*parts[1:]))):
            return None
        return info

    return keep


def backup(out_dir: Path) -> BackupResult:
    from shuangsuiji.directory.services import import_files_purge

    out_dir.mkdir(parents=True, exist_ok=True)
    # Before the dump, so that the rows say which files went.
    import_files_purge()
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive_path = out_dir / f"shuangsuiji-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="shuangsuiji-backup-") as work:
        work_dir = Path(work)
        if connection.vendor == "sqlite":
            database = work_dir / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            target = sqlite3.connect(database)
            with target:
                source.backup(target)
            source.close()
            target.close()
        elif connection.vendor == "postgresql":
            database = work_dir / "database.dump"
            args, env = _pg_env()
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file",
                  str(database), *args], env)  # fmt: skip
        else:
            raise BackupError(f"不支持的数据库：{connection.vendor}")
        # Counted after the dump: a write between the two shows up as a mismatch at restore.
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "counts": row_counts(),
            "audit_head": _audit_head(),
        }
        with tarfile.open(archive_path, "w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, arcname=database.name)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                archive.add(media, arcname="media", filter=_media_filter(media))
    return BackupResult(archive_path, manifest)


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only regular files and folders, inside the archive's own tree."""
    members = []
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"备份文件中有不安全的条目：{member.name}")
        members.append(member)
    return members


def restore(archive_path: Path, *, force: bool = False) -> dict:
    """Restore into the configured database, which must be empty unless ``force``; then compare
    the row counts and the audit chain head with the manifest."""
    if not archive_path.exists():
        raise BackupError(f"找不到备份文件：{archive_path}")
    with tempfile.TemporaryDirectory(prefix="shuangsuiji-restore-") as work:
        work_dir = Path(work)
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                archive.extractall(work_dir, members=_safe_members(archive), filter="data")
        except (tarfile.TarError, OSError) as error:
            raise BackupError(f"无法读取备份文件 {archive_path}：{error}") from error
        manifest_path = work_dir / "manifest.json"
        if not manifest_path.exists():
            raise BackupError(f"{archive_path} 不是本系统的备份文件（缺少 manifest.json）。")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"备份格式 {manifest.get('format')} 不受支持。")
        if manifest["database"] != connection.vendor:
            raise BackupError(
                f"备份来自 {manifest['database']}，当前数据库是 {connection.vendor}，不能直接恢复。"
            )
        if not force and _has_data():
            raise BackupError("当前数据库已有数据。恢复会覆盖它：确认无误后加 --force。")
        if connection.vendor == "sqlite":
            target = settings.DATABASES["default"]["NAME"]
            connection.close()
            source = sqlite3.connect(work_dir / "database.sqlite3")
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            source.close()
            destination.close()
        else:
            args, env = _pg_env()
            connection.close()
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                  "--single-transaction", *args, str(work_dir / "database.dump")], env)  # fmt: skip
        media = work_dir / "media"
        if media.exists():
            shutil.copytree(media, settings.MEDIA_ROOT, dirs_exist_ok=True)
    # The public pages are cached under versions the database counts (disclosure/versions.py):
    # a restored database counts from its own, older values again, which the pages of the data
    # it replaced may already be stored under.
    cache.clear()
    counts = row_counts()
    differences = {
        label: (expected, counts.get(label))
        for label, expected in manifest["counts"].items()
        if counts.get(label) != expected
    }
    head = _audit_head()
    return {"manifest": manifest, "differences": differences, "audit_head": head,
            "audit_ok": head == manifest["audit_head"]}  # fmt: skip


def _has_data() -> bool:
    from shuangsuiji.accounts.models import Organisation

    try:
        return Organisation.objects.exists()
    except DatabaseError:  # no tables yet: an empty database
        return False
