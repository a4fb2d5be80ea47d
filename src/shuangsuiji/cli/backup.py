"""``shuangsuiji backup`` and ``restore``: the commands; Django is set up only when they run."""

from __future__ import annotations

from pathlib import Path


def register(commands) -> None:
    backup_parser = commands.add_parser("backup", help="备份数据库和上传的文件")
    backup_parser.add_argument("--out", default="backups", help="备份文件存放目录（默认 backups/）")
    backup_parser.set_defaults(func=_backup_command)
    restore_parser = commands.add_parser("restore", help="从备份恢复数据库和上传的文件")
    restore_parser.add_argument("archive", help="backup 生成的 .tar.gz 文件")
    restore_parser.add_argument("--force", action="store_true", help="当前数据库已有数据时仍覆盖")
    restore_parser.set_defaults(func=_restore_command)


def _backup_command(args) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.backup import BackupError, backup

    try:
        result = backup(Path(args.out))
    except BackupError as error:
        print(f"备份失败：{error}")
        return 1
    rows = sum(result.manifest["counts"].values())
    print(f"✓ 已备份到 {result.path}（{rows} 行数据，审计链头 {result.manifest['audit_head']}）")
    return 0


def _restore_command(args) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.backup import BackupError, restore

    try:
        report = restore(Path(args.archive), force=args.force)
    except BackupError as error:
        print(f"恢复失败：{error}")
        return 1
    for label, (expected, found) in report["differences"].items():
        print(f"✗ {label}：备份时 {expected} 行，恢复后 {found} 行")
    if not report["audit_ok"]:
        expected = report["manifest"]["audit_head"]
        print(f"✗ 审计链头不符：备份时 {expected}，恢复后 {report['audit_head']}")
    if report["differences"] or not report["audit_ok"]:
        return 1
    print(f"✓ 已恢复：各表行数与备份一致，审计链头 {report['audit_head']}")
    return 0
