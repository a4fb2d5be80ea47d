"""``shuangsuiji draw commit|compute|verify BUNDLE``; verify also checks revisit.json if present."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .bundle import (
    COMMIT_INPUTS,
    COMMITMENT,
    PARAMS,
    RESULT,
    SALT,
    parse_bundle,
    read_files,
    write_atomic,
    write_new,
)
from .documents import format_salt
from .engine import commit, new_salt
from .errors import BundleError
from .jsonfile import dumps
from .matching import NO_SENIOR, TEAM_INCOMPLETE
from .pipeline import compute_files
from .primitives import SPEC_V2, gc_paused
from .verify import verify

PUBLIC = 0o644
SECRET = 0o600


def register(subparsers: Any) -> None:
    """Add the ``draw`` command to an argparse subparsers object."""
    draw = subparsers.add_parser(
        "draw",
        help="可验证的随机抽取（SHUANGSUIJI-DRAW-v1、v2）",
        description="可验证的随机抽取：承诺、计算、核对。BUNDLE 是存放抽取文件的目录。",
    )
    commands = draw.add_subparsers(
        title="子命令", dest="draw_command", metavar="命令", required=True
    )
    for name, func, text in (
        ("commit", _commit, "生成秘密盐值 salt.hex，写出承诺文件 commitment.json"),
        (
            "compute",
            _compute,
            "录入公开随机源取值后，计算抽取种子、抽取结果和人员匹配，写出 result.json",
        ),
        (
            "verify",
            _verify,
            "重新计算并核对承诺、抽取结果和回访名单（目录中有 revisit.json 时），逐项显示 ✓ 或 ✗",
        ),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("bundle", metavar="BUNDLE", type=Path, help="抽取目录")
        if name == "verify":
            command.add_argument(
                "--earlier",
                metavar="DIR",
                type=Path,
                nargs="+",
                default=[],
                help="v2：暂不公开的排除所依据的此前抽取的公开文件目录（可多个），用来核对排除依据",
            )
        command.set_defaults(func=gc_paused()(func))


def main(argv: Sequence[str] | None = None) -> int:
    """``shuangsuiji draw …`` on its own, without the project's main command."""
    parser = argparse.ArgumentParser(prog="shuangsuiji")
    register(parser.add_subparsers(title="子命令", dest="command", metavar="命令", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _fail(error: BundleError | OSError) -> int:
    print(f"错误：{error}", file=sys.stderr)
    print("未写出任何结果文件。", file=sys.stderr)
    return 2


def _commit(args: argparse.Namespace) -> int:
    folder: Path = args.bundle
    try:
        files = read_files(folder)
        for name in (SALT, COMMITMENT):
            if name in files:
                raise BundleError(name, "", "已存在；commit 只能运行一次，不会覆盖已有的盐值或承诺")
        bundle = parse_bundle(files, COMMIT_INPUTS)
        if bundle.params.spec == SPEC_V2:
            # withheld_commit needs the salt and sits in params.json, whose hash is committed.
            raise BundleError(
                PARAMS,
                "",
                f"{SPEC_V2} 的 params.json 含依据盐值计算的 withheld_commit，只能由平台在承诺时"
                "一并生成；此命令只承诺 SHUANGSUIJI-DRAW-v1 的抽取",
            )
        salt = new_salt()
        commitment = commit(bundle, salt)
        write_new(folder / SALT, format_salt(salt), SECRET)
        try:
            write_atomic(folder / COMMITMENT, dumps(commitment.as_dict()), PUBLIC)
        except BaseException:
            (folder / SALT).unlink()  # a salt nobody committed to is worthless; allow a retry
            raise
    except (BundleError, OSError) as error:
        return _fail(error)
    print(dumps(commitment.as_dict()).decode(), end="")
    print(f"已写出 {COMMITMENT}（公开）和 {SALT}（保密，权限 0600，揭晓前不得外传）。")
    return 0


def _compute(args: argparse.Namespace) -> int:
    folder: Path = args.bundle
    try:
        files = read_files(folder)
        params, commitment, result = compute_files(files)
        data = result.parts()
        if COMMITMENT not in files:
            write_atomic(folder / COMMITMENT, dumps(commitment.as_dict()), PUBLIC)
            print(f"已写出 {COMMITMENT}。")
        # The result stays confidential until the reveal.
        write_atomic(folder / RESULT, data, SECRET)
    except (BundleError, OSError) as error:
        return _fail(error)
    selected = sum(len(stratum.selected) for stratum in result.strata)
    manual = sum(
        1 for a in result.assignments if NO_SENIOR in a.flags or TEAM_INCOMPLETE in a.flags
    )
    print(f"抽取种子 seed：{result.seed.hex()}")
    print(
        f"共 {len(result.strata)} 层，入选 {selected} 家；{manual} 项任务未组成检查组，需人工处理。"
    )
    for partner in params.partners:
        missing = sum(1 for a in result.assignments if not a.partner(partner.code).team)
        print(f"{partner.label}：{missing} 项任务未匹配到该部门的执法人员，需人工处理。")
    print(f"已写出 {RESULT}（揭晓前保密，权限 0600）。")
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        files = read_files(args.bundle)
        earlier = {str(folder): read_files(folder) for folder in args.earlier}
    except BundleError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    report = verify(files, earlier)
    for check in report.checks:
        print(check)
    failures = sum(1 for check in report.checks if check.ok is False)
    passed = sum(1 for check in report.checks if check.ok)
    if failures:
        print(f"核对未通过：{failures} 项不一致或有误，{passed} 项一致。")
        return 1
    print(f"核对通过：{passed} 项全部一致。")
    return 0
