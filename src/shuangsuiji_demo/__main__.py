"""``python -m shuangsuiji_demo [data …]``: the demo's own command line, outside the product's."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shuangsuiji.cli import ChineseArgumentParser, django_setup
from shuangsuiji_demo.registers import register as register_data


def _build(args: argparse.Namespace) -> int:
    django_setup()
    from shuangsuiji_demo.build import demo_build

    # Progress goes to stderr, so stdout holds only the summary and the accounts.
    accounts = demo_build(progress=lambda line: print(line, file=sys.stderr, flush=True))
    print("演示账号（每次运行 make demo 重新生成密码）：")
    print(f"{'登录名':<22}{'密码':<20}{'角色':<8}单位")
    for account in accounts:
        print(
            f"{account.username:<24}{account.password:<22}{account.role:<8}{account.organisation}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="python -m shuangsuiji_demo",
        description="演示数据：不带子命令时建立演示单位、名录、演示账号与演示年度"
        "（make demo 使用）。",
    )
    parser.set_defaults(func=_build)
    commands = parser.add_subparsers(
        title="子命令", metavar="命令", parser_class=ChineseArgumentParser
    )
    register_data(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
