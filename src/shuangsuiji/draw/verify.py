"""Verification: recompute a bundle from its inputs and hold it against what was published."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import jsonfile
from .bundle import (
    COMMITMENT,
    CONFLICTS,
    ENTROPY,
    PARAMS,
    POOL,
    RESULT,
    REVISIT,
    ROSTER,
    SALT,
    WITHHELD,
    stray_partner_files,
)
from .documents import (
    PARTNER_ROSTERS,
    Commitment,
    Params,
    Partner,
    parse_commitment,
    parse_entropy,
    parse_params,
    parse_salt,
    partner_file,
)
from .errors import BundleError
from .matching import match, match_partner, task_order
from .primitives import SPEC_V2, H, gc_paused
from .revisit import draw_revisit, parse_revisit
from .seed import derive_seed, entropy_bytes, salt_commit, withheld_commit
from .selection import StratumDraw, draw_strata
from .tables import (
    Conflicts,
    Roster,
    Unit,
    Withheld,
    check_distinct_ids,
    parse_conflicts,
    parse_pool,
    parse_roster,
    parse_withheld,
)

T = TypeVar("T")
MAX_LISTED = 10


@dataclass(frozen=True)
class Check:
    ok: bool | None  # None marks a note: something that cannot be checked yet
    text: str

    def __str__(self) -> str:
        mark = {True: "✓", False: "✗", None: "·"}[self.ok]
        return f"{mark} {self.text}"


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok is not False for check in self.checks)

    def passed(self, text: str) -> None:
        self.checks.append(Check(True, text))

    def failed(self, text: str) -> None:
        self.checks.append(Check(False, text))

    def note(self, text: str) -> None:
        self.checks.append(Check(None, text))

    def same(self, label: str, computed: object, published: object, where: str) -> bool:
        if computed == published:
            self.passed(f"{label} 一致")
            return True
        self.failed(f"{label} 不一致：重新计算得 {computed}，{where}中为 {published}")
        return False

    def attempt(self, valid: str, parse: Callable[[], T]) -> T | None:
        """Run a parser; a BundleError becomes a failed check naming file, place and rule."""
        try:
            value = parse()
        except BundleError as exc:
            self.failed(str(exc))
            return None
        self.passed(valid)
        return value


@gc_paused()
def verify(
    files: Mapping[str, bytes], earlier: Mapping[str, Mapping[str, bytes]] | None = None
) -> Report:
    """Check everything the files present allow, in the order a reader would. ``earlier``: the
    public files of the draws a v2 bundle's withheld exclusions rest on, by folder name."""
    report = Report()
    if COMMITMENT not in files or PARAMS not in files or POOL not in files:
        missing = [name for name in (COMMITMENT, PARAMS, POOL) if name not in files]
        report.failed(f"缺少文件 {'、'.join(missing)}，无法核对")
        return report
    commitment = report.attempt(
        "承诺文件 commitment.json 格式正确", lambda: parse_commitment(files[COMMITMENT])
    )
    if commitment is None:
        return report
    report.same("参数文件哈希 params_hash", H(files[PARAMS]).hex(), commitment.params_hash, "承诺")
    params = report.attempt("参数文件 params.json 符合规范", lambda: parse_params(files[PARAMS]))
    if params is None:
        return report
    report.same("抽取编号 draw_id", params.draw_id, commitment.draw_id, "承诺")
    report.same("规范版本 spec", params.spec, commitment.spec, "承诺")
    codes = [s.code for s in params.strata]
    pool = report.attempt("候选名单 pool.txt 符合规范", lambda: parse_pool(files[POOL], codes))
    if pool is not None:
        report.same("候选名单默克尔根 pool_root", pool.root.hex(), commitment.pool_root, "承诺")

    roster = conflicts = None
    if ROSTER in files:
        roster = report.attempt(
            "执法人员名录 roster.txt 符合规范", lambda: parse_roster(files[ROSTER])
        )
        if roster is not None:
            report.same(
                "执法人员名录默克尔根 roster_root",
                roster.root.hex(),
                commitment.roster_root,
                "承诺",
            )
    else:
        report.note("未提供 roster.txt（仅向审计人员提供）：不核对 roster_root，也不核对人员匹配")
    if CONFLICTS in files:
        conflicts = report.attempt(
            "回避名单 conflicts.txt 符合规范", lambda: parse_conflicts(files[CONFLICTS])
        )
        if conflicts is not None:
            report.same(
                "回避名单默克尔根 conflicts_root",
                conflicts.root.hex(),
                commitment.conflicts_root,
                "承诺",
            )
    else:
        report.note(
            "未提供 conflicts.txt（仅向审计人员提供）：不核对 conflicts_root，也不核对人员匹配"
        )
    partner_rosters = _check_partner_rosters(report, files, params, commitment, roster)

    if params.spec == SPEC_V2:
        report.note(
            f"本次抽取为 {SPEC_V2}：承诺时 {'、'.join(params.withheld_from)} 的名单尚未公开，"
            f"依据这些名单排除的对象（{WITHHELD}）在 pool.txt 中仍显示为可抽取，"
            "随盐值一并公开"
        )
    if SALT not in files:
        report.note(
            "盐值尚未公开（目录中没有 salt.hex）：以上只核对了承诺；"
            "抽取种子和抽取结果要等盐值公开后才能核对"
        )
        _cannot_check_revisit(report, files)
        return report
    salt = report.attempt("盐值 salt.hex 格式正确", lambda: parse_salt(files[SALT]))
    if salt is not None:
        report.same("盐值承诺 salt_commit", salt_commit(salt).hex(), commitment.salt_commit, "承诺")
    withheld = None
    if params.spec == SPEC_V2:
        withheld = _check_withheld(report, files, params, pool, salt, earlier)
        if withheld is None:
            report.note("暂不公开的排除文件有误，无法核对抽取结果")
            _cannot_check_revisit(report, files)
            return report
    if ENTROPY not in files:
        report.note("尚无 entropy.json（公开随机源的取值尚未录入）：暂不能计算抽取种子")
        _cannot_check_revisit(report, files)
        return report
    entropy = report.attempt(
        "公开随机源取值 entropy.json 与参数一致", lambda: parse_entropy(files[ENTROPY], params)
    )
    if pool is None or salt is None or entropy is None:
        report.note("上面的文件有误，无法计算抽取种子，也无法核对抽取结果")
        _cannot_check_revisit(report, files)
        return report

    # Without the auditors' files the committed roots stand in: anyone can still get the seed.
    seed = derive_seed(
        salt,
        params.params_hash,
        pool.root,
        roster.root if roster else bytes.fromhex(commitment.roster_root),
        conflicts.root if conflicts else bytes.fromhex(commitment.conflicts_root),
        entropy_bytes(entropy),
    )
    if RESULT not in files:
        report.note(f"尚无 result.json；按本目录文件计算的抽取种子为 {seed.hex()}")
        _cannot_check_revisit(report, files)
        return report
    result = report.attempt(
        "抽取结果 result.json 是合法的 JSON", lambda: jsonfile.load(RESULT, files[RESULT])
    )
    if result is None:
        _cannot_check_revisit(report, files)
        return report
    report.same("抽取结果的 spec", params.spec, result.get("spec"), "result.json ")
    report.same("抽取结果的抽取编号 draw_id", params.draw_id, result.get("draw_id"), "result.json ")
    report.same("抽取种子 seed", seed.hex(), result.get("seed"), "result.json ")

    strata = draw_strata(seed, params, pool, withheld.ids if withheld else frozenset())
    _compare_strata(report, [stratum.as_dict() for stratum in strata], result.get("strata"))
    units = [unit for stratum in strata for unit in stratum.selected]
    found = result.get("assignments")
    if params.partners:
        _compare_joint(report, seed, params, units, roster, conflicts, partner_rosters, found)
    elif roster is not None and conflicts is not None:
        assignments = match(seed, params.team_size, units, roster.inspectors, conflicts)
        _compare_list(report, "人员匹配 assignments", [a.as_dict() for a in assignments], found)
    else:
        # The task order needs only the seed and the selection, so it is checked anyway.
        units_found = (
            [item.get("unit") if isinstance(item, dict) else item for item in found]
            if isinstance(found, list)
            else found
        )
        _compare_list(
            report,
            "任务顺序 assignments[].unit",
            [u.id for u in task_order(seed, units)],
            units_found,
        )
    if REVISIT in files:
        _check_revisit(report, files[REVISIT], seed, params.draw_id, strata)
    return report


def _check_partner_rosters(
    report: Report,
    files: Mapping[str, bytes],
    params: Params,
    commitment: Commitment,
    roster: Roster | None,
) -> dict[str, Roster]:
    """部门联合: each partner roster present against its committed root; the partner rosters
    held are returned by code. A bundle without partners adds no line here."""
    for name in stray_partner_files(files, params):
        report.failed(f"{name}：params.json 的 partners 中没有这个配合部门，文件多余")
    committed = commitment.partner_rosters or {}
    codes = [partner.code for partner in params.partners]
    if not codes and not committed:
        return {}
    if sorted(committed) != sorted(codes):
        report.failed(
            f"承诺中的配合部门名录 {PARTNER_ROSTERS}（{'、'.join(committed) or '无'}）"
            f"与 params.json 的 partners（{'、'.join(codes) or '无'}）不一致"
        )
    else:
        report.passed(f"承诺中的配合部门名录 {PARTNER_ROSTERS} 与 params.json 的 partners 一致")
    rosters: dict[str, Roster] = {}
    for partner in params.partners:
        if partner.file not in files:
            report.note(
                f"未提供 {partner.file}（仅向审计人员提供）："
                f"不核对 {PARTNER_ROSTERS}.{partner.code}，也不核对{partner.label}的人员匹配"
            )
            continue
        own = report.attempt(
            f"{partner.label}执法人员名录 {partner.file} 符合规范",
            lambda partner=partner: parse_roster(files[partner.file], partner.file),
        )
        if own is None:
            continue
        rosters[partner.code] = own
        if partner.code in committed:
            report.same(
                f"{partner.label}名录默克尔根 {PARTNER_ROSTERS}.{partner.code}",
                own.root.hex(),
                committed[partner.code],
                "承诺",
            )
    if rosters:
        named = [(ROSTER, roster)] if roster is not None else []
        named += [(partner_file(code), own) for code, own in rosters.items()]
        report.attempt(
            "各部门名录中没有同一执法人员（id 不重复）", lambda: check_distinct_ids(named)
        )
    return rosters


def _compare_joint(
    report: Report,
    seed: bytes,
    params: Params,
    units: list[Unit],
    roster: Roster | None,
    conflicts: Conflicts | None,
    partner_rosters: dict[str, Roster],
    found: Any,
) -> None:
    """部门联合: the bureau's teams and each partner's teams are checked apart, so that an
    auditor holding one department's roster checks that department's matching."""
    items = found if isinstance(found, list) else None
    tasks = task_order(seed, units)
    if roster is not None and conflicts is not None:
        own = match(seed, params.team_size, units, roster.inspectors, conflicts)
        _compare_list(
            report,
            "本局检查组的人员匹配 assignments",
            [a.as_dict() for a in own],
            None if items is None else [_bureau_part(item) for item in items],
        )
    else:
        _compare_list(
            report,
            "任务顺序 assignments[].unit",
            [u.id for u in tasks],
            None if items is None else [_field(item, "unit") for item in items],
        )
    _check_partner_keys(report, params.partners, items)
    for partner in params.partners:
        own_roster = partner_rosters.get(partner.code)
        if own_roster is None or conflicts is None:
            continue
        teams = match_partner(seed, partner, own_roster, tasks, conflicts)
        _compare_list(
            report,
            f"{partner.label}人员匹配 assignments[].partners.{partner.code}",
            [team.as_dict() for team in teams],
            None if items is None else [_partner_part(item, partner.code) for item in items],
        )


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else item


def _bureau_part(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    return {name: item.get(name) for name in ("unit", "team", "flags")}


def _partner_part(item: Any, code: str) -> Any:
    partners = _field(item, "partners")
    return partners.get(code) if isinstance(partners, dict) else None


def _check_partner_keys(report: Report, partners: tuple[Partner, ...], items: Any) -> None:
    """Every assignment names exactly the partner departments of params.json."""
    if items is None:
        return  # _compare_list has said the assignments are missing
    codes = sorted(partner.code for partner in partners)
    for index, item in enumerate(items):
        found = _field(item, "partners")
        if not isinstance(found, dict) or sorted(found) != codes:
            shown = "、".join(found) if isinstance(found, dict) else "缺失"
            report.failed(
                f"result.json 的 assignments 第 {index + 1} 项 partners 应含配合部门 "
                f"{'、'.join(codes)}，实为 {shown}"
            )
            return
    report.passed(f"每项任务都有配合部门 {'、'.join(p.code for p in partners)} 的匹配结果")


def _check_withheld(report, files, params, pool, salt, earlier) -> Withheld | None:
    """v2: withheld.txt matches its commitment, and each exclusion rests on the earlier draws
    it cites — each of which must itself verify, with the unit on its list."""
    if WITHHELD not in files:
        report.failed(f"缺少 {WITHHELD}：{SPEC_V2} 的抽取在公开盐值时须同时公开暂不公开的排除")
        return None
    if pool is None or salt is None:
        return None
    withheld = report.attempt(
        f"暂不公开的排除 {WITHHELD} 符合规范",
        lambda: parse_withheld(files[WITHHELD], pool, params.withheld_from),
    )
    if withheld is None:
        return None
    computed = withheld_commit(salt, withheld.root).hex()
    if not report.same(
        "排除承诺 withheld_commit", computed, params.withheld_commit.hex(), "params.json "
    ):
        return None
    if not earlier:
        report.note(
            f"未提供此前抽取 {'、'.join(params.withheld_from)} 的公开文件（--earlier）："
            f"不核对 {WITHHELD} 中 {len(withheld.entries)} 家的排除依据"
        )
        return withheld
    lists: dict[str, tuple[set[str], set[str]]] = {}
    for name, other in earlier.items():
        sub = verify(other)
        draw_id = _draw_id(other)
        if not sub.ok or draw_id is None or RESULT not in other:
            report.failed(f"此前抽取 {name} 的公开文件核对未通过或尚无抽取结果，不能作为排除依据")
            continue
        report.passed(f"此前抽取 {draw_id} 的公开文件核对通过")
        result = jsonfile.load(RESULT, other[RESULT])
        selected = {item["id"] for stratum in result["strata"] for item in stratum["selected"]}
        reserve = {unit for stratum in result["strata"] for unit in stratum["reserve"]}
        lists[draw_id] = (selected, reserve)
    missing = [d for d in params.withheld_from if d not in lists]
    if missing:
        report.note(f"未提供此前抽取 {'、'.join(missing)} 的公开文件：引用它们的排除未核对")
    unsupported: list[str] = []
    substitutes: list[str] = []
    for uid, (cited, _reason) in withheld.entries.items():
        for draw_id in cited:
            if draw_id not in lists:
                continue
            selected, reserve = lists[draw_id]
            if uid in reserve and uid not in selected:
                # Drawn only if it replaced a selected unit: the bundle does not say, the
                # published substitution record (替补记录) of that draw does.
                substitutes.append(f"{uid}（{draw_id}）")
            elif uid not in selected:
                unsupported.append(f"{uid}（{draw_id}）")
    if unsupported:
        report.failed(f"{WITHHELD} 中有对象不在其所引用的此前抽取名单中：{_listed(unsupported)}")
    else:
        checked = len(withheld.entries) - len({s.split("（")[0] for s in substitutes})
        report.passed(f"{WITHHELD} 中 {checked} 家均在其所引用的此前抽取名单中")
    if substitutes:
        report.note(
            f"{WITHHELD} 中以下对象是此前抽取的备选对象，只有作为替补被检查过才能排除，"
            f"请对照该次抽取公开的替补记录：{_listed(substitutes)}"
        )
    return withheld


def _listed(items: list[str]) -> str:
    shown = "、".join(items[:MAX_LISTED])
    return shown + (f" 等 {len(items)} 项" if len(items) > MAX_LISTED else "")


def _draw_id(files: Mapping[str, bytes]) -> str | None:
    try:
        return parse_params(files[PARAMS]).draw_id if PARAMS in files else None
    except BundleError:
        return None


def _cannot_check_revisit(report: Report, files: Mapping[str, bytes]) -> None:
    if REVISIT in files:
        report.note(f"有 {REVISIT}，但上面尚不能核对抽取结果，所以也不能核对回访名单")


def _check_revisit(
    report: Report, data: bytes, seed: bytes, draw_id: str, strata: list[StratumDraw]
) -> None:
    """The revisit sample (回访): recomputed from the seed, the candidates and the share."""
    published = report.attempt("回访名单 revisit.json 符合规范", lambda: parse_revisit(data))
    if published is None:
        return
    if not report.same("回访名单的抽取编号 draw_id", draw_id, published.draw_id, "revisit.json "):
        return
    # A candidate is a unit of this draw: selected, or taken from a reserve as a substitute.
    # Whether its inspection was complete is not in the bundle: the published results tell.
    units = {unit.id for stratum in strata for unit in stratum.selected}
    units.update(unit for stratum in strata for unit in stratum.reserve)
    strangers = [unit for unit in published.candidates if unit not in units]
    if strangers:
        shown = "、".join(strangers[:MAX_LISTED])
        more = f" 等 {len(strangers)} 项" if len(strangers) > MAX_LISTED else ""
        report.failed(f"回访候选 candidates 中有不属于本次抽取（入选或备选）的对象：{shown}{more}")
    else:
        report.passed(f"回访候选 candidates 均为本次抽取的对象（{len(published.candidates)} 项）")
    computed = draw_revisit(
        seed, draw_id, published.candidates, published.numerator, published.denominator
    )
    count = f"{len(published.candidates)} 项 × {published.numerator}/{published.denominator}"
    if computed.k == published.k:
        report.passed(f"回访数量 k 一致（{count}，向上取整为 {computed.k}）")
    else:
        report.failed(
            f"回访数量 k 不一致：{count} 向上取整应为 {computed.k}，revisit.json 为 {published.k}"
        )
    _compare_items(
        report,
        "回访名单 selected",
        [unit.as_dict() for unit in computed.selected],
        [unit.as_dict() for unit in published.selected],
        where="revisit.json",
    )


def _compare_strata(report: Report, expected: list[dict[str, Any]], found: Any) -> None:
    if not isinstance(found, list):
        report.failed("抽取结果 strata 缺失或不是列表")
        return
    if len(found) != len(expected):
        report.failed(f"抽取结果 strata 有 {len(found)} 层，按 params.json 应有 {len(expected)} 层")
    for index, wanted in enumerate(expected):
        code = wanted["code"]
        got = found[index] if index < len(found) else None
        if not isinstance(got, dict) or got.get("code") != code:
            report.failed(
                f"层 {code}：result.json 的 strata[{index}] 不是层 {code}（须按参数顺序）"
            )
            continue
        wrong = [
            f"{name} 应为 {wanted[name]}，result.json 为 {got.get(name)}"
            for name in ("k", "eligible", "shortfall")
            # type() keeps `true` and 1.0 from passing for 1.
            if type(got.get(name)) is not int or got.get(name) != wanted[name]
        ]
        if wrong:
            report.failed(f"层 {code} 数量不一致：{'；'.join(wrong)}")
        else:
            report.passed(f"层 {code} 数量 k、eligible、shortfall 一致")
        for name, label in (("selected", "入选名单 selected"), ("reserve", "备选名单 reserve")):
            _compare_items(report, f"层 {code} {label}", wanted[name], got.get(name))


def _compare_items(
    report: Report, label: str, expected: list[Any], found: Any, where: str = RESULT
) -> None:
    """Compare one ordered list and name its first difference."""
    if found == expected:
        report.passed(f"{label} 一致（{len(expected)} 项）")
        return
    if not isinstance(found, list):
        report.failed(f"{label} 不一致：{where} 中缺失或不是列表")
        return
    for index, (wanted, got) in enumerate(zip(expected, found, strict=False)):
        if wanted != got:
            report.failed(
                f"{label} 不一致：第 {index + 1} 项应为 {_show(wanted)}，{where} 为 {_show(got)}"
            )
            return
    report.failed(f"{label} 不一致：应有 {len(expected)} 项，{where} 有 {len(found)} 项")


def _compare_list(report: Report, label: str, expected: list[Any], found: Any) -> None:
    """Compare the assignments (or their units) and list each differing item."""
    if found == expected:
        report.passed(f"{label} 一致（{len(expected)} 项）")
        return
    if not isinstance(found, list):
        report.failed(f"{label} 不一致：result.json 的 assignments 缺失或不是列表")
        return
    if len(found) != len(expected):
        report.failed(f"{label} 不一致：应有 {len(expected)} 项，result.json 有 {len(found)} 项")
    wrong = [i for i, (a, b) in enumerate(zip(expected, found, strict=False)) if a != b]
    for index in wrong[:MAX_LISTED]:
        report.failed(
            f"{label} 第 {index + 1} 项不一致：应为 {_show(expected[index])}，"
            f"result.json 为 {_show(found[index])}"
        )
    if len(wrong) > MAX_LISTED:
        report.failed(f"{label} 另有 {len(wrong) - MAX_LISTED} 项不一致")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
