"""``shuangsuiji audit verify|heads``: check the log's hash chain; print the daily chain heads."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: A line of the public page's text (``2026-11-22<TAB>1284<TAB>hash``) or of ``audit heads``
#: (``2026-11-22  #1284  hash``).
HEAD_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+#?(\d+)\s+([0-9a-f]{64})\s*$")


def read_published_heads(path: Path):
    """The daily heads in a file someone kept; a line that is neither a head nor the header
    is an error naming the line, never skipped."""
    import datetime as dt

    from shuangsuiji.audit.chain import PublishedHead

    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip() or line.startswith("日期"):
            continue
        match = HEAD_LINE.match(line.strip())
        if match is None:
            raise ValueError(
                f"{path.name} 第 {number} 行：不是链头（应为“日期 记录编号 64 位十六进制哈希”）"
            )
        day, last_id, digest = match.groups()
        heads.append(
            PublishedHead(dt.date.fromisoformat(day), int(last_id), digest, f"{path.name} 所载")
        )
    return heads


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.cli.base import django_setup

    published = []
    for name in args.heads:
        try:
            published += read_published_heads(Path(name))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            print(f"错误：{error}", file=sys.stderr)
            return 2
    django_setup()
    from shuangsuiji.audit.services import audit_verify

    count, broken, head = audit_verify(published)
    if broken is None:
        print(f"✓ 审计日志完整：{count} 条记录，链头 {head}")
        return 0
    print(f"✗ 审计日志在第 {broken.id} 条处断开：{broken.reason}（已核对 {count} 条）")
    return 1


def _heads(args: argparse.Namespace) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.audit.selectors import daily_heads

    for day, last_id, digest in daily_heads(days=args.days):
        print(f"{day:%Y-%m-%d}  #{last_id}  {digest}")
    return 0


def register(commands) -> None:
    audit = commands.add_parser("audit", help="审计日志：核验哈希链、列出每日链头")
    audit_commands = audit.add_subparsers(title="子命令", metavar="{verify,heads}")
    verify = audit_commands.add_parser("verify", help="逐条核验哈希链，指出第一条被改动的记录")
    verify.add_argument(
        "--heads",
        action="append",
        default=[],
        metavar="FILE",
        help="对照保存的每日链头文件（公开页面下载的文本或 audit heads 的输出），可多次指定",
    )
    verify.set_defaults(func=_verify)
    heads = audit_commands.add_parser("heads", help="列出每日最后一条记录的哈希（可对外公布）")
    heads.add_argument("--days", type=int, default=30, help="最近多少天（默认 30）")
    heads.set_defaults(func=_heads)
