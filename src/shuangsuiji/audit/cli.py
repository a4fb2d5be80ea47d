"""``shuangsuiji audit verify|heads``: check the log's hash chain; print the daily chain heads."""

from __future__ import annotations

import argparse


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.cli import django_setup

    django_setup()
    from shuangsuiji.audit.services import audit_verify

    count, broken, head = audit_verify()
    if broken is None:
        print(f"✓ 审计日志完整：{count} 条记录，链头 {head}")
        return 0
    print(f"✗ 审计日志在第 {broken.id} 条处断开：{broken.reason}（已核对 {count} 条）")
    return 1


def _heads(args: argparse.Namespace) -> int:
    from shuangsuiji.cli import django_setup

    django_setup()
    from shuangsuiji.audit.selectors import daily_heads

    for day, last_id, digest in daily_heads(days=args.days):
        print(f"{day:%Y-%m-%d}  #{last_id}  {digest}")
    return 0


def register(commands) -> None:
    audit = commands.add_parser("audit", help="审计日志：核验哈希链、列出每日链头")
    audit_commands = audit.add_subparsers(title="子命令", metavar="{verify,heads}")
    verify = audit_commands.add_parser("verify", help="逐条核验哈希链，指出第一条被改动的记录")
    verify.set_defaults(func=_verify)
    heads = audit_commands.add_parser("heads", help="列出每日最后一条记录的哈希（可对外公布）")
    heads.add_argument("--days", type=int, default=30, help="最近多少天（默认 30）")
    heads.set_defaults(func=_heads)
