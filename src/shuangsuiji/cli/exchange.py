"""``shuangsuiji exchange export|push|verify|list``: the exchange batches for the outside systems,
run by a province's scheduler (docs/exchange.md).

Exit codes, for the scheduler:

- ``export``: 0 every batch written (an empty one included); 1 an organisation unknown or
  stopped, or a batch not written; 2 a wrong command line.
- ``push``: 0 nothing left to send; 1 a batch not accepted (the next run sends it again);
  2 a wrong command line or no endpoint configured.
- ``verify``: 0 the batch is intact; 1 it is not; 2 it cannot be read.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

KINDS = ("results", "registers", "penalties")
KIND_HELP = "results 抽查检查结果 / registers 两库一单 / penalties 行政处罚信息；默认全部"
ORG_HELP = "单位代码；all 为公开门户列出的全部单位"


def _organisations(code: str):
    """The organisations ``--org`` names (``all``: every one the portal shows), or an error
    message."""
    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.disclosure.selectors import public_organisations

    if code == "all":
        return list(public_organisations().in_tree_order()), ""
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        return [], f"单位代码 {code} 不存在（shuangsuiji org list 列出全部单位）。"
    return [organisation], ""


def _kinds(args) -> list[str]:
    return list(KINDS) if args.kind in (None, "all") else [args.kind]


def _messages(error) -> str:
    return "；".join(getattr(error, "messages", [str(error)]))


def _copy_out(batch, out: Path) -> Path:
    """A copy of the batch's directory under ``out``, named as the batch's files are."""
    from shuangsuiji.disclosure.exchange import batch_path

    workbook = next(e["name"] for e in batch.files if e["format"] == "xlsx")
    target = out / workbook.removesuffix(".xlsx")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(batch_path(batch), target)
    return target


def _export(args: argparse.Namespace) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError, IntegrityError

    from shuangsuiji.disclosure.exchange import batch_path, exchange_export

    organisations, problem = _organisations(args.org)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else None
    code = 0
    for organisation in organisations:
        for kind in _kinds(args):
            try:
                batch = exchange_export(actor=None, organisation=organisation, kind=kind)
                where = _copy_out(batch, out) if out else batch_path(batch)
            except ValidationError as error:
                print(f"错误：{organisation.name}：{_messages(error)}", file=sys.stderr)
                code = 1
                continue
            except IntegrityError:
                # Two exports of one organisation and kind at once: the second takes the same
                # number and is refused whole by the database; nothing of it remains.
                print(f"错误：{organisation.name} 的另一次导出正在进行，本次未生成，请稍后重试。",
                      file=sys.stderr)  # fmt: skip
                code = 1
                continue
            except (DatabaseError, OSError) as error:
                print(f"错误：{organisation.name} {kind} 未生成：{error}", file=sys.stderr)
                code = 1
                continue
            counts = (
                f"新增 {batch.added} 行，变更 {batch.changed} 行，撤回 {batch.withdrawn} 行"
                if batch.rows
                else "自上一批以来没有变化（空批次）"
            )
            print(f"✓ {batch}：{counts} → {where}")
    return code


def _push(args: argparse.Namespace) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from django.core.exceptions import ValidationError

    from shuangsuiji.disclosure.exchange_push import (
        ExchangeConfigError,
        NoEndpoint,
        configured_endpoint,
        exchange_push,
    )

    organisations, problem = _organisations(args.org)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 1
    endpoints = {}
    for kind in _kinds(args):
        try:
            endpoints[kind] = configured_endpoint(kind, args.endpoint)
        except NoEndpoint as error:
            # A province may take some kinds only (the results, say): with every kind asked
            # for, those without an endpoint are left alone; a kind named must have one.
            if args.kind not in (None, "all"):
                print(f"错误：{error}", file=sys.stderr)
                return 2
        except ExchangeConfigError as error:
            print(f"错误：{error}", file=sys.stderr)
            return 2
    if not endpoints:
        print(
            "错误：没有配置推送地址：请设置环境变量 SHUANGSUIJI_EXCHANGE_ENDPOINT（或按内容设置 "
            "SHUANGSUIJI_EXCHANGE_ENDPOINT_RESULTS 等），或用 --endpoint 指定"
            "（见 docs/exchange.md）。",
            file=sys.stderr,
        )
        return 2
    code = 0
    for kind, endpoint in endpoints.items():
        for organisation in organisations:
            try:
                results = exchange_push(
                    actor=None, organisation=organisation, kind=kind, endpoint=endpoint,
                    attempts=args.attempts, backoff=args.backoff, timeout=args.timeout,
                )  # fmt: skip
            except ValidationError as error:
                print(f"错误：{_messages(error)}", file=sys.stderr)
                return 2
            for result in results:
                last = result.attempts[-1] if result.attempts else None
                if result.accepted:
                    print(
                        f"✓ {result.batch} 已被接收（{endpoint.shown}，HTTP {last.status_code}，"
                        f"第 {last.number} 次尝试，接收 {last.accepted_rows} 行"
                        + (f"，拒收 {len(last.rejected_keys)} 行" if last.rejected_keys else "")
                        + "）"
                    )
                    continue
                code = 1
                why = result.problem or (last.error if last else "")
                tried = f"（已尝试 {len(result.attempts)} 次）" if result.attempts else ""
                print(f"✗ {result.batch} 未被接收：{why}{tried}；下次运行时重新推送。",
                      file=sys.stderr)  # fmt: skip
    return code


def _verify(args: argparse.Namespace) -> int:
    from shuangsuiji.disclosure.exchange_files import verify_batch

    try:
        manifest, problems = verify_batch(
            Path(args.directory), Path(args.previous) if args.previous else None
        )
    except (OSError, ValueError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    title = (
        f"{manifest.get('organisation', {}).get('name', '')} {manifest.get('kind_label', '')} "
        f"第 {manifest.get('sequence')} 批"
    )
    if problems:
        for problem in problems:
            print(f"✗ {problem}")
        return 1
    rows = manifest["rows"]
    chained = "，与上一批衔接" if args.previous else ""
    counts = f"新增 {rows['added']} 行，变更 {rows['changed']} 行，撤回 {rows['withdrawn']} 行"
    files = len(manifest["files"])
    print(f"✓ {title} 完整：{files} 个文件的 SHA-256 与清单一致，{counts}{chained}。")
    return 0


def _list(args: argparse.Namespace) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from django.utils import timezone

    from shuangsuiji.accounts.models import tree_position
    from shuangsuiji.disclosure.models import ExchangeBatch

    organisations, problem = _organisations(args.org)
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 1
    batches = ExchangeBatch.objects.filter(
        organisation__in=organisations, kind__in=_kinds(args)
    ).select_related("organisation")
    by_tree = tree_position(organisations, "organisation")
    for batch in batches.order_by(by_tree, "kind", "sequence"):
        accepted = (
            f"已接收 {timezone.localtime(batch.accepted_at):%Y-%m-%d %H:%M}"
            if batch.accepted_at
            else "未推送或未接收"
        )
        print(
            f"{batch}\t{timezone.localtime(batch.through):%Y-%m-%d %H:%M}\t"
            f"{batch.rows} 行\t{accepted}\t{batch.directory}"
        )
    return 0


def register(commands) -> None:
    from shuangsuiji.cli.base import ChineseArgumentParser

    exchange = commands.add_parser(
        "exchange", help="数据交换：向公示系统、省级平台和信用信息系统生成、推送交换批次"
    )
    sub = exchange.add_subparsers(
        title="子命令",
        metavar="{export,push,verify,list}",
        parser_class=ChineseArgumentParser,
        required=True,
    )

    export = sub.add_parser("export", help="生成自上一批以来的变化（新增、变更、撤回）")
    export.add_argument("--org", required=True, metavar="CODE", help=ORG_HELP)
    export.add_argument("--kind", choices=[*KINDS, "all"], help=KIND_HELP)
    export.add_argument("--out", metavar="DIR", help="另把批次文件复制到此目录（供上传或转交）")
    export.set_defaults(func=_export)

    push = sub.add_parser("push", help="把尚未被接收的批次按顺序推送到配置的接收地址")
    push.add_argument("--org", required=True, metavar="CODE", help=ORG_HELP)
    push.add_argument("--kind", choices=[*KINDS, "all"], help=KIND_HELP)
    push.add_argument(
        "--endpoint",
        default="",
        metavar="URL",
        help="接收地址；默认读环境变量 SHUANGSUIJI_EXCHANGE_ENDPOINT[_<KIND>]",
    )
    push.add_argument("--attempts", type=int, default=3, help="每批最多尝试次数（默认 3）")
    push.add_argument("--backoff", type=float, default=2.0,
                      help="第一次重试前等待的秒数，之后每次加倍（默认 2）")  # fmt: skip
    push.add_argument("--timeout", type=float, default=30.0, help="每次请求的超时秒数（默认 30）")
    push.set_defaults(func=_push)

    verify = sub.add_parser("verify", help="核验一个批次目录：文件哈希、行数、与上一批的衔接")
    verify.add_argument("directory", metavar="DIR", help="批次目录（含 manifest.json）")
    verify.add_argument("--previous", metavar="DIR", help="上一批的目录，核验哈希链")
    verify.set_defaults(func=_verify)

    listing = sub.add_parser("list", help="列出已生成的批次及接收情况")
    listing.add_argument("--org", required=True, metavar="CODE", help=ORG_HELP)
    listing.add_argument("--kind", choices=[*KINDS, "all"], help=KIND_HELP)
    listing.set_defaults(func=_list)
