"""``shuangsuiji policy …``: presets, classification and quotas from register workbooks.

Pure: reads the workbooks with the registers' own rules and never sets up Django.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path

from shuangsuiji.policy import (
    PolicyError,
    Quarter,
    available_presets,
    classify,
    load_preset,
    quotas,
)
from shuangsuiji.policy.loader import Reference


def _read_register(key: str, path: str):
    from shuangsuiji.directory.parsing import parse_workbook
    from shuangsuiji.directory.registers import register_by_key

    file = Path(path)
    if not file.is_file():
        raise PolicyError(f"找不到文件 {file}")
    parsed = parse_workbook(register_by_key(key), file.read_bytes(), file.name)
    if parsed.problems:
        _print_problems(parsed.problems)
        raise PolicyError(f"{file.name} 有 {len(parsed.problems)} 处问题，请先改正")
    return [values for _, values in parsed.records]


def _print_problems(problems) -> None:
    """The import's error table (行号, 列, 值, 问题) on stderr."""
    print("行号\t列\t值\t问题", file=sys.stderr)
    for p in problems:
        print(f"{p.row or ''}\t{p.column}\t{p.value}\t{p.message}", file=sys.stderr)


def _parse_setting(text: str, preset, day: dt.date) -> tuple[str, dict]:
    """``SPECIAL.ratio=20%`` (or ``=0.2``) → (``classes.SPECIAL.quota``, {"ratio": "20%"});
    ``GENERAL.take=smaller`` → the class's alternatives read the other way (获嘉 “或”);
    ``KEY.no_repeat=false`` → (``classes.KEY.no_repeat``, False)."""
    try:
        target, raw = text.split("=", 1)
        code, key = target.strip().split(".", 1)
    except ValueError as error:
        raise PolicyError(
            f"--set 的格式应为 类别.ratio=20% 或 类别.take=smaller，实为“{text}”"
        ) from error
    if key == "take":
        current = preset.class_rule(code.strip()).quota.at(day).value
        parts = current.get("either") or current.get("min_of")
        if not parts:
            raise PolicyError(f"--set：类别 {code} 的抽查数量没有“或”连接的几项要求，不能设定 take")
        return f"classes.{code}.quota", {"either": parts, "take": raw.strip()}
    if code.strip() == "grading" and key == "weights":
        # 信用风险 差别化抽查: each grade's draw weight, e.g. A:1,B:1,C:2,D:4,无:1.
        try:
            pairs = [part.split(":", 1) for part in raw.replace("：", ":").split(",")]
            weights = {grade.strip(): int(weight) for grade, weight in pairs}
        except ValueError as error:
            raise PolicyError(
                f"--set grading.weights 的格式应为 A:1,B:1,C:2,D:4,无:1，实为“{raw}”"
            ) from error
        return "grading", {"weights": weights}
    if key == "no_repeat":
        # 绛县 四、（五）1–2: whether a target drawn at random this year may be drawn again.
        words = {"true": True, "是": True, "false": False, "否": False}
        if raw.strip().lower() not in words:
            raise PolicyError(f"--set {code}.no_repeat 应为 true 或 false，实为“{raw.strip()}”")
        return f"classes.{code}.no_repeat", words[raw.strip().lower()]
    if key != "ratio":
        raise PolicyError(
            f"--set 目前只能设定 ratio、take、no_repeat 或 grading.weights，实为“{key}”"
        )
    raw = raw.strip()
    if not raw.endswith("%"):
        try:
            raw = f"{float(raw) * 100:g}%"
        except ValueError as error:
            raise PolicyError(f"--set 的比例无法识别：“{raw}”") from error
    return f"classes.{code}.quota", {"ratio": raw}


def _prepare(args):
    preset = load_preset(args.preset)
    quarter = Quarter.parse(args.quarter)
    for setting in args.set or []:
        path, value = _parse_setting(setting, preset, quarter.start)
        preset = preset.with_value(
            path, value, quarter.start, Reference(document="命令行设定", clause=f"--set {setting}")
        )
    from shuangsuiji.directory.policy_input import event_record, target_record

    targets = [target_record(v) for v in _read_register("targets", args.targets)]
    events = [event_record(v) for v in _read_register("events", args.events)] if args.events else []
    archive = None
    if args.inspections:
        targets, archive = _with_draws(targets, args.inspections, quarter.year)
    return preset, quarter, classify(preset, targets, events, quarter), archive


def _with_draws(targets, path: str, year: int):
    """Each target with its random draws of the year from the 检查档案 (绛县 四、（五）), and
    what the workbook held: {"file", "year", "counted", "targets", "not_in_register"}."""
    from shuangsuiji.cli.inspections_workbook import ArchiveProblems, read_year_draws

    try:
        draws = read_year_draws(path, year)
    except ArchiveProblems as error:
        _print_problems(error.problems)
        raise
    known = {t.id for t in targets}
    counted = [replace(t, inspections_this_year=draws.counts[t.id]) if t.id in draws.counts else t
               for t in targets]  # fmt: skip
    archive = {
        "file": draws.filename,
        "year": year,
        "counted": sum(n for code, n in draws.counts.items() if code in known),
        "targets": sum(1 for code in draws.counts if code in known),
        "not_in_register": sum(n for code, n in draws.counts.items() if code not in known),
    }
    return counted, archive


def _archive_lines(archive) -> list[str]:
    if archive is None:
        return []
    lines = [f"检查档案 {archive['file']}：{archive['year']} 年随机抽查（不含已替补、已撤销）"
             f"计入 {archive['counted']} 条，涉及 {archive['targets']} 家"]  # fmt: skip
    if archive["not_in_register"]:
        lines.append(
            f"检查档案中 {archive['not_in_register']} 条随机抽查记录的对象不在名录中，未计入"
        )
    return ["", *lines]


def _inspector_count(path: str | None) -> int | None:
    if not path:
        return None
    rows = _read_register("inspectors", path)
    return sum(1 for v in rows if v["category"] == "enforcement" and v["on_duty"])


def _list(args) -> int:
    for name in available_presets():
        preset = load_preset(name)
        print(f"{name}\t{preset.title}（{preset.issuer}）")
    return 0


def _show(args) -> int:
    preset = load_preset(args.preset)
    print(f"{preset.title}\n出处：《{preset.document}》\n")
    for parameter in preset.parameters():
        for entry in parameter.entries:
            value = json.dumps(entry.value, ensure_ascii=False)
            mark = "（方案未明确，默认值，局可调整）" if entry.bureau_default else ""
            print(f"{parameter.path}  自 {entry.since.isoformat()}：{value}")
            print(f"    出处：{entry.ref}{mark}")
            if entry.ref.quote:
                print(f"    原文：“{entry.ref.quote}”")
            if entry.ref.note:
                print(f"    说明：{entry.ref.note}")
    return 0


def _classify(args) -> int:
    preset, quarter, results, archive = _prepare(args)
    names = {rule.code: rule.name for rule in preset.classes}
    rows = [
        {
            "id": c.target.id,
            "name": c.target.name,
            "class": c.class_code,
            "class_name": names.get(c.class_code, ""),
            "eligible": c.eligible,
            "reason": c.reason,
            "method": c.method,
            "clauses": {k: str(v) + (v.note or "") for k, v in c.clauses.items()},
        }
        for c in results
    ]
    if args.format == "json":
        payload = {"preset": preset.name, "quarter": str(quarter), "targets": rows}
        if archive is not None:
            payload["inspections"] = archive
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"{preset.title}，{quarter.label}\n")
    print("对象\t名称\t类别\t可抽取\t检查方式\t原因\t依据")
    for row in rows:
        clause = "；".join(f"{k}：{v}" for k, v in row["clauses"].items())
        eligible = "是" if row["eligible"] else "否"
        cells = [row["id"], row["name"], row["class_name"] or "—", eligible, row["method"],
                 row["reason"], clause]  # fmt: skip
        print("\t".join(cells))
    for line in _archive_lines(archive):
        print(line)
    return 0


def _quota(args) -> int:
    preset, quarter, results, archive = _prepare(args)
    strata = quotas(preset, results, quarter, inspectors=_inspector_count(args.inspectors))
    payload = {
        "preset": preset.name,
        "quarter": str(quarter),
        "strata": [
            {
                "code": q.code,
                "name": q.name,
                "population": q.population,
                "eligible": q.eligible,
                "required": q.required,
                "quota": q.quota,
                "shortfall": q.shortfall,
                "method": "全覆盖" if q.kind == "coverage" else "随机抽取",
                "inspection_method": q.method,
                "period": q.period,
                "basis": q.basis,
                "clause": str(q.clause),
            }
            for q in strata
        ],
        "excluded": [{"id": c.target.id, "reason": c.reason} for c in results if not c.eligible],
    }
    if archive is not None:
        payload["inspections"] = archive
    if args.format == "json":
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    print(f"{preset.title}，{quarter.label}\n")
    for q in payload["strata"]:
        print(f"{q['name']}（{q['code']}）：总数 {q['population']}，可抽 {q['eligible']}，"
              f"应抽 {q['quota']}（{q['method']}，{q['inspection_method']}）")  # fmt: skip
        print(f"    {q['basis']}")
    if payload["excluded"]:
        print(f"\n不参与抽取 {len(payload['excluded'])} 家：")
        for item in payload["excluded"]:
            print(f"    {item['id']}\t{item['reason']}")
    for line in _archive_lines(archive):
        print(line)
    return 0


def _run(handler):
    def run(args) -> int:
        try:
            return handler(args)
        except (PolicyError, ValueError) as error:
            print(f"错误：{error}", file=sys.stderr)
            return 1

    return run


def register(commands) -> None:
    from shuangsuiji.cli.base import ChineseArgumentParser

    policy = commands.add_parser("policy", help="政策预设：查看、分类、计算抽查数量（无需数据库）")
    sub = policy.add_subparsers(title="子命令", metavar="命令", parser_class=ChineseArgumentParser,
                                required=True)  # fmt: skip
    sub.add_parser("list", help="列出全部预设").set_defaults(func=_run(_list))
    show = sub.add_parser("show", help="列出预设的每个取值及其出处条款")
    show.add_argument("preset", metavar="PRESET")
    show.set_defaults(func=_run(_show))
    for name, handler, text in (("classify", _classify, "按预设对名录分类"),
                                ("quota", _quota, "计算各类别本季度抽查数量")):  # fmt: skip
        command = sub.add_parser(name, help=text)
        command.add_argument("--preset", required=True, help="预设名称，如 zunhua-2024")
        command.add_argument("--targets", required=True, metavar="FILE", help="检查对象名录 Excel")
        command.add_argument("--events", metavar="FILE", help="监管记录 Excel")
        if name == "quota":
            command.add_argument("--inspectors", metavar="FILE", help="执法检查人员名录 Excel")
        command.add_argument("--inspections", metavar="FILE",
                             help="平台导出的检查档案 Excel：计入本年度随机抽查次数"
                                  "（已替补、已撤销、定向检查、全覆盖检查不计）")  # fmt: skip
        command.add_argument("--quarter", default=str(Quarter.of(dt.date.today())),
                             help="季度，如 2026Q2（默认本季度）")  # fmt: skip
        command.add_argument("--set", action="append", metavar="类别.ratio=比例",
                             help="设定方案留给本局的值，如 SPECIAL.ratio=20%%；“或”的读法"
                                  "如 GENERAL.take=smaller（取较小者）或 larger；本年度已随机抽中"
                                  "的可否再抽如 KEY.no_repeat=false")  # fmt: skip
        command.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
        command.set_defaults(func=_run(handler))
