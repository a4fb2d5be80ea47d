"""The ``shuangsuiji`` command.

Sub-commands that need no database (``draw``, ``policy`` …) never set up Django, so a citizen can
verify a draw with nothing but this package installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from shuangsuiji.cli.base import ChineseArgumentParser, django_setup

__all__ = ["ChineseArgumentParser", "django_setup", "main"]


def _serve(args: argparse.Namespace) -> int:
    # The server people browse shows the platform's own Chinese error pages (404, 403, 500), in
    # development too: Django's debug page is for a developer who asks for it with
    # DJANGO_DEBUG=true. Errors are still logged with their traceback on the console.
    os.environ.setdefault("DJANGO_DEBUG", "false")
    django_setup()
    from django.conf import settings

    from shuangsuiji.config.staticfiles import StaticFilesUnavailable, static_files_collect
    from shuangsuiji.serving import is_loopback, serve

    for option, value in (("--workers", args.workers), ("--threads", args.threads),
                          ("--connections", args.connections)):  # fmt: skip
        if value < 1:
            print(f"错误：{option} 至少为 1。", file=sys.stderr)
            return 2
    if not settings.PRODUCTION and not is_loopback(args.host) and not args.insecure_dev:
        # The development profile signs sessions with a published key, and with DJANGO_DEBUG
        # shows debug pages (settings, paths, SQL) to whoever asks.
        print(
            f"错误：开发模式（DJANGO_ENV=development）只能监听本机地址，不能监听 {args.host}："
            "开发模式的密钥是公开的固定值，开启调试时出错页面还会把配置和数据暴露给网络。"
            "对外服务请设置 DJANGO_ENV=production"
            "（见 docs/security.md“生产环境启动”）；确需在内网临时演示，加 --insecure-dev。",
            file=sys.stderr,
        )
        return 2
    if settings.PRODUCTION:
        try:
            if static_files_collect():
                print(f"已收集静态文件到 {settings.STATIC_ROOT}。", flush=True)
        except StaticFilesUnavailable as error:
            print(f"错误：{error}", file=sys.stderr)
            return 1
    # Only now: whitenoise lists STATIC_ROOT once, when the application loads its middleware.
    # Loaded before the workers start, so that they share it and an app that cannot load fails
    # here, once.
    import shuangsuiji.config.wsgi  # noqa: F401

    workers = f"，{args.workers} 个工作进程" if args.workers > 1 else ""

    def announce() -> None:  # once the port listens, before the workers start
        print(
            f"双随机一公开监管平台已启动：http://{args.host}:{args.port}/{workers}（Ctrl+C 停止）",
            flush=True,
        )

    return serve(
        "shuangsuiji.config.wsgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        connections=args.connections,
        # Behind a TLS proxy: believe its X-Forwarded-Proto, or the HTTPS redirect loops.
        trusted_proxy=args.trusted_proxy,
        on_ready=announce,
    )


def _manage(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shuangsuiji manage", *args.arguments])
    return 0


def _print_validation_error(error) -> None:
    for message in getattr(error, "messages", [str(error)]):
        print(f"错误：{message}", file=sys.stderr)


def _org_add(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from shuangsuiji.accounts.models import Organisation, OrganisationLevel
    from shuangsuiji.acts.organisations import organisation_create

    parent = None
    if args.parent:
        parent = Organisation.objects.filter(code=args.parent).first()
        if parent is None:
            print(f"错误：上级单位代码 {args.parent} 不存在。", file=sys.stderr)
            return 1
    try:
        org = organisation_create(
            actor=None,
            code=args.code,
            name=args.name,
            parent=parent,
            level=OrganisationLevel.PARTNER if args.partner else None,
            policy_preset=args.preset,
        )
    except ValidationError as error:
        _print_validation_error(error)
        return 1
    print(f"已创建单位：{org.code} {org.name}（{org.get_level_display()}）")
    if org.policy_preset:
        print(f"已采用政策预设：{org.policy_preset}")
    return 0


def _org_list(args: argparse.Namespace) -> int:
    django_setup()
    from shuangsuiji.accounts.models import Organisation

    for org in Organisation.objects.all():
        indent = "  " * org.depth
        preset = f" [{org.policy_preset}]" if org.policy_preset else ""
        print(f"{indent}{org.code} {org.name}（{org.get_level_display()}）{preset}")
    return 0


def _user_add(args: argparse.Namespace) -> int:
    django_setup()
    from django.core.exceptions import ValidationError

    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.accounts.roles import role_by_name
    from shuangsuiji.accounts.services import user_create

    organisation = Organisation.objects.filter(code=args.org).first()
    if organisation is None:
        print(f"错误：单位代码 {args.org} 不存在。", file=sys.stderr)
        return 1
    try:
        roles = [role_by_name(name) for name in args.role]
        user, password = user_create(
            actor=None,
            username=args.username,
            organisation=organisation,
            roles=roles,
            display_name=args.name,
            password=args.password,
        )
    except ValueError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    except ValidationError as error:
        _print_validation_error(error)
        return 1
    print(
        f"已创建用户：{user.username}（{organisation.name}；{'、'.join(r.label for r in roles)}）"
    )
    if not args.password:
        print(f"初始密码：{password}")
    return 0


class ProgressBar:
    """A progress bar on stderr for long imports (only when stderr is a terminal)."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        share = min(done, total) / total
        bar = "█" * int(share * 30)
        print(f"\r{phase} [{bar:<30}] {share:6.1%} ({min(done, total)}/{total})", end="",
              file=sys.stderr, flush=True)  # fmt: skip
        if done >= total:
            print(file=sys.stderr)


def _print_problems(problems, total: int | None = None) -> None:
    print("行号\t列\t值\t问题", file=sys.stderr)
    for problem in problems:
        print(f"{problem.row or ''}\t{problem.column}\t{problem.value}\t{problem.message}",
              file=sys.stderr)  # fmt: skip
    count = len(problems) if total is None else total  # beyond the listed ones (import limits)
    print(f"共 {count} 处问题，未写入任何数据。", file=sys.stderr)


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    django_setup()
    from django.core.exceptions import ValidationError

    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.directory.registers import register_by_key
    from shuangsuiji.directory.services import register_import

    organisation = Organisation.objects.filter(code=args.org).first()
    if organisation is None:
        print(f"错误：单位代码 {args.org} 不存在。", file=sys.stderr)
        return 1
    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 1
    spec = register_by_key(args.register)
    from shuangsuiji.directory.importing import import_limits
    from shuangsuiji.directory.limits import too_large

    limit = import_limits().max_bytes
    if path.stat().st_size > limit:  # before reading it into memory
        print(f"错误：{too_large(path.name, path.stat().st_size, limit)}", file=sys.stderr)
        return 1
    try:
        outcome = register_import(
            actor=None,
            organisation=organisation,
            spec=spec,
            content=path.read_bytes(),
            filename=path.name,
            reason=args.reason,
            remove_absent=args.remove_absent,
            dry_run=args.dry_run,
            on_progress=ProgressBar(),
        )
    except ValidationError as error:
        _print_validation_error(error)
        return 1
    plan = outcome.plan
    if plan.parsed.unknown_headers:
        print(f"注意：以下列不在模板中，未导入：{'、'.join(plan.parsed.unknown_headers)}")
    if not plan.ok:
        _print_problems(plan.all_problems, plan.problem_count)
        return 1
    counts = f"新增 {len(plan.new)} 条，修改 {len(plan.changed)} 条，未变 {plan.unchanged} 条"
    if spec.removes_absent:
        counts += f"，文件中没有 {len(plan.absent)} 条"
    if args.dry_run:
        print(f"校验通过（试运行，未写入）：{counts}。")
    else:
        removed = outcome.applied["removed"]
        print(f"已导入{spec.label}到 {organisation.name}：{counts}；移出名录 {removed} 条。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="shuangsuiji",
        description="双随机、一公开监管平台命令行工具。",
    )
    commands = parser.add_subparsers(
        title="子命令", metavar="命令", parser_class=ChineseArgumentParser
    )

    serve = commands.add_parser("serve", help="启动 Web 服务")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    serve.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="工作进程数（默认 1）；多核机器上设为核数，可成倍提高每秒处理的请求",
    )
    serve.add_argument("--threads", type=int, default=8, help="每个工作进程的线程数（默认 8）")
    serve.add_argument(
        "--connections",
        type=int,
        default=500,
        help="每个工作进程同时保持的连接数上限（默认 500；超过的连接排队等待）",
    )
    serve.add_argument(
        "--trusted-proxy",
        default="",
        help="前置反向代理的地址（如 127.0.0.1）：信任其 X-Forwarded-Proto 等头，HTTPS 部署时必填",
    )
    serve.add_argument(
        "--insecure-dev",
        action="store_true",
        help="允许开发模式监听非本机地址（开发模式的密钥是公开的，仅限内网临时演示）",
    )
    serve.set_defaults(func=_serve)

    manage = commands.add_parser("manage", help="Django 管理命令（如 migrate、createsuperuser）")
    manage.add_argument("arguments", nargs=argparse.REMAINDER, help="传给 Django 的参数")
    manage.set_defaults(func=_manage)

    org = commands.add_parser("org", help="单位管理")
    org_commands = org.add_subparsers(
        title="子命令", metavar="命令", parser_class=ChineseArgumentParser, required=True
    )
    org_add = org_commands.add_parser("add", help="新建单位")
    org_add.add_argument("code", metavar="CODE", help="单位代码（6 位行政区划代码）")
    org_add.add_argument("name", metavar="NAME", help="单位名称")
    org_add.add_argument("--parent", metavar="CODE", help="上级单位代码")
    org_add.add_argument("--preset", default="", metavar="PRESET", help="政策预设名称")
    org_add.add_argument(
        "--partner",
        action="store_true",
        help="联合部门（如住建局、市场监管局）：登记在与其联合检查的市局或分局之下",
    )
    org_add.set_defaults(func=_org_add)
    org_list = org_commands.add_parser("list", help="列出全部单位")
    org_list.set_defaults(func=_org_list)

    user = commands.add_parser("user", help="用户管理")
    user_commands = user.add_subparsers(
        title="子命令", metavar="命令", parser_class=ChineseArgumentParser, required=True
    )
    user_add = user_commands.add_parser("add", help="新建用户")
    user_add.add_argument("username", metavar="USERNAME", help="登录名")
    user_add.add_argument("--org", required=True, metavar="CODE", help="所属单位代码")
    user_add.add_argument(
        "--role",
        action="append",
        required=True,
        metavar="ROLE",
        help="角色，可多次指定：系统管理员/抽查管理员/执法人员/领导/监督员（或 sysadmin 等代码）",
    )
    user_add.add_argument("--name", default="", help="姓名")
    user_add.add_argument("--password", help="初始密码；不指定则自动生成并打印")
    user_add.set_defaults(func=_user_add)

    importer = commands.add_parser("import", help="从 Excel/CSV 导入一单两库")
    importer.add_argument(
        "register",
        choices=["targets", "events", "inspectors", "items"],
        help="targets 检查对象 / events 监管记录 / inspectors 执法检查人员 / items 抽查事项",
    )
    importer.add_argument("file", metavar="FILE", help=".xlsx、.xls 或 .csv 文件")
    importer.add_argument("--org", required=True, metavar="CODE", help="导入到哪个单位（单位代码）")
    importer.add_argument("--dry-run", action="store_true", help="只校验和预览，不写入")
    importer.add_argument("--reason", default="", help="导入原因（写入变更历史；正式导入时必填）")
    importer.add_argument(
        "--remove-absent", action="store_true", help="将文件中没有的记录移出名录（不删除）"
    )
    importer.set_defaults(func=_import)

    from shuangsuiji.cli.audit import register as register_audit
    from shuangsuiji.cli.backup import register as register_backup
    from shuangsuiji.cli.calendar import register as register_calendar
    from shuangsuiji.cli.exchange import register as register_exchange
    from shuangsuiji.cli.policy import register as register_policy
    from shuangsuiji.cli.worker import register as register_worker
    from shuangsuiji.draw.cli import register as register_draw

    register_policy(commands)
    register_draw(commands)
    register_audit(commands)
    register_backup(commands)
    register_calendar(commands)
    register_exchange(commands)
    register_worker(commands)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except BrokenPipeError:
        # Output piped into `head` and closed early: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
