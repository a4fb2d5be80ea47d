"""``shuangsuiji calendar``: the national working-day calendar at the command line, for the
operator of a deployment without a province organisation (whose 系统管理员 would otherwise do
it on the 工作日历 page). Every change is audited like one made on the page."""

from __future__ import annotations

import datetime as dt
import sys


def register(commands) -> None:
    from shuangsuiji.cli.base import ChineseArgumentParser

    parser = commands.add_parser("calendar", help="全国工作日历（国务院办公厅放假通知）")
    sub = parser.add_subparsers(
        title="子命令", metavar="命令", parser_class=ChineseArgumentParser, required=True
    )
    show = sub.add_parser("show", help="显示某年的放假安排来源和全国日历的调整")
    show.add_argument("year", type=int, metavar="YEAR", help="年份，如 2027")
    show.set_defaults(func=_show)
    day = sub.add_parser("set", help="把一天设为放假或上班（全国，影响所有单位）")
    day.add_argument("day", metavar="YYYY-MM-DD", help="日期")
    state = day.add_mutually_exclusive_group(required=True)
    state.add_argument("--off", action="store_true", help="放假")
    state.add_argument("--work", action="store_true", help="上班（调休）")
    day.add_argument("--note", default="", help="说明，如“国务院办公厅通知：春节调休”")
    day.set_defaults(func=_set)
    confirm = sub.add_parser("confirm", help="确认某年的放假与调休已录入完整（期限随即重新计算）")
    confirm.add_argument("year", type=int, metavar="YEAR", help="年份，如 2027")
    confirm.set_defaults(func=_confirm)


def _show(args) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.bureau.calendar import workday_calendar
    from shuangsuiji.bureau.models import WorkdayOverride
    from shuangsuiji.workdays import has_notice

    calendar = workday_calendar(None)
    if args.year in calendar.confirmed_years:
        print(f"{args.year} 年：已确认")
    elif has_notice(args.year):
        print(f"{args.year} 年：软件已内置国务院办公厅放假通知")
    else:
        days = "、".join(f"{d:%m-%d}" for d in calendar.provisional_holidays(args.year)) or "无"
        print(f"{args.year} 年：暂定（按法定节假日推算，未计调休；推算的工作日放假：{days}）")
    rows = WorkdayOverride.objects.filter(organisation__isnull=True, day__year=args.year)
    for row in rows:
        print(f"{row.day:%Y-%m-%d}\t{'上班' if row.is_workday else '放假'}\t{row.note}")
    return 0


def _report(change) -> None:
    moved = (
        f"{len(change.moved)} 项检查结果的公示期限已重新计算" if change.moved else "没有期限变化"
    )
    print(f"✓ {change.summary}；{moved}。")


def _run(action) -> int:
    from django.core.exceptions import ValidationError

    try:
        change = action()
    except ValidationError as error:
        for message in error.messages:
            print(f"错误：{message}", file=sys.stderr)
        return 1
    _report(change)
    return 0


def _set(args) -> int:
    try:
        day = dt.date.fromisoformat(args.day)
    except ValueError:
        print(f"错误：日期“{args.day[:20]}”不是 YYYY-MM-DD 格式。", file=sys.stderr)
        return 2
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.acts.calendar import national_day_set
    from shuangsuiji.params import default_range

    problem = default_range(future=True).problem(day, "日期")
    if problem:
        print(f"错误：{problem}", file=sys.stderr)
        return 2
    if len(args.note) > 100:
        print(f"错误：说明不能超过 100 个字（所填为 {len(args.note)} 个字）。", file=sys.stderr)
        return 2
    return _run(lambda: national_day_set(actor=None, day=day, is_workday=args.work, note=args.note))


def _confirm(args) -> int:
    from shuangsuiji.cli.base import django_setup

    django_setup()
    from shuangsuiji.acts.calendar import workday_year_confirm
    from shuangsuiji.params import YEARS, horizon

    last = horizon(future=True).year
    if not YEARS[0] <= args.year <= last:
        print(f"错误：年份须在 {YEARS[0]} 至 {last} 之间。", file=sys.stderr)
        return 2
    return _run(lambda: workday_year_confirm(actor=None, year=args.year))
