"""The three line files of a bundle: pool.txt, roster.txt and conflicts.txt.

Each parser checks every rule of the specification and keeps only what the draw needs,
in flat lists, because a pool may hold a million lines.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import parallel
from .errors import BundleError, line
from .merkle import block_height, mth, root, subtree_roots
from .textfile import (
    BOM,
    check_id,
    check_id_column,
    check_order,
    ids_valid,
    parse_tags,
    split_fields,
    split_lines,
    tags_valid,
)

POOL_FIELDS = ("id", "stratum", "region", "weight", "eligible", "tags", "reason")
ROSTER_FIELDS = ("id", "region", "senior", "tags", "load", "cap")
CONFLICT_FIELDS = ("inspector_id", "unit_id")
WITHHELD_FIELDS = ("id", "draws", "reason")
# Every valid weight spelled out: one dict lookup replaces int() and four range checks.
WEIGHTS = {str(n).encode(): n for n in range(1, 1001)}
UINT_RE = re.compile(rb"0|[1-9][0-9]{0,9}")
UINT_MAX = 2**32 - 1
# The share of the pool's lines whose Merkle subtrees the helper process hashes while the
# caller validates the lines; the caller then hashes the rest. Validating a line takes about
# two thirds as long as hashing it (benchmarks/draw.py --phases), so both finish together.
HELPER_SHARE = 0.8


@dataclass(frozen=True)
class Unit:
    """What a task needs of a candidate: its id, region and required tags."""

    id: str
    region: str
    tags: frozenset[str]


@dataclass
class StratumPool:
    """The eligible candidates of one stratum, in ascending id order, as parallel lists:
    id, weight and the candidate's whole line (the same object as the pool's line, so
    keeping it costs a pointer)."""

    ids: list[bytes] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)

    def line_of(self, uid: bytes) -> bytes:
        """The line of candidate ``uid`` (ids ascend, so a bisection finds it)."""
        index = bisect_left(self.ids, uid)
        if index == len(self.ids) or self.ids[index] != uid:
            raise KeyError(uid)
        return self.lines[index]


@dataclass(frozen=True)
class Pool:
    root: bytes
    strata: dict[str, StratumPool]


def unit(raw: bytes) -> Unit:
    """The task of a selected candidate, from its pool line: only selected candidates become
    tasks, so their region and tags are read here instead of being kept for all lines."""
    uid, _, region, _, _, tags, _ = raw.split(b"|")
    names = frozenset(tags.decode().split(",")) if tags else frozenset()
    return Unit(id=uid.decode(), region=region.decode(), tags=names)


@dataclass(frozen=True)
class Inspector:
    id: str
    region: str
    senior: bool
    tags: frozenset[str]
    load: int
    cap: int


@dataclass(frozen=True)
class Roster:
    root: bytes
    inspectors: tuple[Inspector, ...]


@dataclass(frozen=True)
class Conflicts:
    root: bytes
    by_unit: dict[str, frozenset[str]]


def parse_pool(data: bytes, codes: Iterable[str]) -> Pool:
    """Validate pool.txt against the stratum codes of params.json.

    Its Merkle root is computed meanwhile: the first runs of lines in a helper process (see
    parallel.py), the rest here once the lines are validated.
    """
    file = "pool.txt"
    codes = tuple(codes)
    lines = pool_lines(data)
    if lines is None:
        lines = split_lines(file, data, POOL_FIELDS)
    height = block_height(len(lines))
    cut = round(len(lines) * HELPER_SHARE) >> height << height
    first = parallel.beside(subtree_roots, lines, 0, cut, height, size=len(lines))
    try:
        strata = scan_candidates(lines, codes)
        if strata is None:
            split_lines(file, data, POOL_FIELDS)  # the whole-file rules come first, as ever
            strata = _parse_candidates(file, lines, codes)
        rest = subtree_roots(lines, cut, len(lines), height)
    except BaseException:
        first.cancel()
        raise
    return Pool(root=root(first.result() + rest), strata=strata)


def pool_lines(data: bytes) -> list[bytes] | None:
    """The lines of pool.txt after the whole-file checks that cost one C call each, or None
    when one fails: ``split_lines`` then decides and names the line. The encoding is
    checked by ``scan_candidates``, field by field."""
    if not data:
        return []
    if data.startswith(BOM) or not data.endswith(b"\n") or b"\r" in data:
        return None
    lines = data.split(b"\n")
    lines.pop()
    return lines


def scan_candidates(lines: list[bytes], codes: Iterable[str]) -> dict[str, StratumPool] | None:
    """The candidates of a valid pool, or None when any rule may be broken (and also, more
    rarely, for a valid pool: an empty line, or text that is not NFC in a way only the full
    check can place); ``_parse_candidates`` then checks line by line and names the first
    error. This loop runs a million times for a province-wide pool: each line is split once,
    and everything that repeats (regions, tag lists, reasons) is checked once per distinct
    value after the loop, the ids in one pass over their column.

    The encoding: ids, codes, weights and the eligible flag are ASCII once valid, and "|",
    "," and "\n" are ASCII and never compose under NFC; so the file is UTF-8 in NFC exactly
    when every distinct region, tag list and reason is.
    """
    pools = {code.encode(): StratumPool() for code in codes}
    add = {
        code: (pool.ids.append, pool.weights.append, pool.lines.append)
        for code, pool in pools.items()
    }
    weights = WEIGHTS
    regions: set[bytes] = set()
    tag_lists: set[bytes] = set()
    reasons: set[bytes] = set()
    excluded: list[bytes] = []  # ids of the lines with eligible 0
    previous = b""
    try:
        for raw in lines:
            uid, stratum, region, weight, eligible, tags, reason = raw.split(b"|")
            if uid <= previous:
                return None
            previous = uid
            if region not in regions:
                regions.add(region)
            if tags not in tag_lists:
                tag_lists.add(tags)
            if eligible == b"1":
                if reason:
                    return None
                add_id, add_weight, add_line = add[stratum]
                add_id(uid)
                add_weight(weights[weight])
                add_line(raw)
            elif eligible == b"0" and reason and stratum in add and weight in weights:
                excluded.append(uid)
                if reason not in reasons:
                    reasons.add(reason)
            else:
                return None
    except (ValueError, KeyError):  # a line without 7 fields, a stratum or weight not allowed
        return None
    if (
        b"" in regions
        or not all(map(tags_valid, tag_lists))
        or not all(ids_valid(pool.ids) for pool in pools.values())
        or not ids_valid(excluded)
        or not _nfc_utf8(regions, tag_lists, reasons)
    ):
        return None
    return {code.decode(): pool for code, pool in pools.items()}


def _nfc_utf8(*fields: set[bytes]) -> bool:
    text = b"\n".join(value for values in fields for value in values)
    if text.isascii():
        return True
    try:
        return unicodedata.is_normalized("NFC", text.decode("utf-8"))
    except UnicodeDecodeError:
        return False


def _parse_candidates(
    file: str, lines: list[bytes], codes: Iterable[str]
) -> dict[str, StratumPool]:
    """Check every line in turn and raise for the first that breaks a rule; for a valid
    pool (which ``scan_candidates`` did not take), its candidates."""
    strata = {code.encode(): StratumPool() for code in codes}
    regions: set[bytes] = set()
    tag_lists: set[bytes] = set()
    ids: list[bytes] = []
    previous = b""
    for row, raw in enumerate(lines):
        fields = raw.split(b"|")
        if len(fields) != len(POOL_FIELDS):
            split_fields(file, row + 1, raw, POOL_FIELDS)
        uid, stratum, region, weight, eligible, tags, reason = fields
        if uid <= previous:
            check_id(file, row + 1, "id", uid)
            check_order(file, row + 1, "id", uid, previous)
        previous = uid
        ids.append(uid)
        pool = strata.get(stratum)
        if pool is None:
            raise BundleError(
                file, line(row + 1), f"stratum {stratum.decode()} 不是 params.json 中的层代码"
            )
        if region not in regions:
            if not region:
                raise BundleError(file, line(row + 1), "region 不得为空")
            regions.add(region)
        w = WEIGHTS.get(weight)
        if w is None:
            raise BundleError(file, line(row + 1), _weight_rule(weight))
        if tags not in tag_lists:
            parse_tags(file, row + 1, tags)
            tag_lists.add(tags)
        if eligible == b"1" and not reason:
            pool.ids.append(uid)
            pool.weights.append(w)
            pool.lines.append(raw)
        elif eligible == b"1":
            raise BundleError(file, line(row + 1), "eligible 为 1 时 reason 必须为空")
        elif eligible != b"0":
            raise BundleError(file, line(row + 1), "eligible 必须是 1 或 0")
        elif not reason:
            raise BundleError(file, line(row + 1), "eligible 为 0 时必须填写 reason（排除理由）")
    check_id_column(file, "id", ids)
    return {code.decode(): pool for code, pool in strata.items()}


def _weight_rule(weight: bytes) -> str:
    rule = "weight 必须是 1–1000 的整数，不得有前导零"
    if not weight.isdigit() or not weight.isascii():
        return f"{rule}（现为 “{weight.decode()}”，不是整数）"
    if len(weight) > 1 and weight.startswith(b"0"):
        return f"{rule}（现为 {weight.decode()}，有前导零）"
    return f"{rule}（现为 {weight.decode()}，超出范围）"


def parse_roster(data: bytes, file: str = "roster.txt") -> Roster:
    """roster.txt, or a partner department's roster (``partner-<code>.txt``, same format)."""
    lines = split_lines(file, data, ROSTER_FIELDS)
    inspectors = _scan_roster(lines)
    if inspectors is None:
        inspectors = _check_roster(file, lines)
    return Roster(root=mth(lines), inspectors=tuple(inspectors))


def _scan_roster(lines: list[bytes]) -> list[Inspector] | None:
    """The inspectors of a valid roster (its lines past ``split_lines``), or None when any
    rule may be broken: ``_check_roster`` then names the first error. As in
    ``scan_candidates``, what repeats (regions, tag lists, loads and caps) is checked and
    decoded once per distinct value."""
    regions: dict[bytes, str] = {}
    tag_sets: dict[bytes, frozenset[str]] = {}
    numbers: dict[bytes, int] = {}
    seniority = {b"1": True, b"0": False}
    ids: list[bytes] = []
    inspectors: list[Inspector] = []
    previous = b""
    try:
        for raw in lines:
            uid, region, senior, tags, load, cap = raw.split(b"|")
            if uid <= previous:
                return None
            previous = uid
            ids.append(uid)
            name = regions.get(region)
            if name is None:
                if not region:
                    return None
                name = regions[region] = region.decode()
            names = tag_sets.get(tags)
            if names is None:
                if not tags_valid(tags):
                    return None
                names = tag_sets[tags] = (
                    frozenset(tags.decode().split(",")) if tags else frozenset()
                )
            count, most = numbers.get(load), numbers.get(cap)
            if count is None or most is None:
                for value in (load, cap):
                    if UINT_RE.fullmatch(value) is None or int(value) > UINT_MAX:
                        return None
                    numbers[value] = int(value)
                count, most = numbers[load], numbers[cap]
            inspectors.append(Inspector(uid.decode(), name, seniority[senior], names, count, most))
    except (ValueError, KeyError):  # not 6 fields; senior neither 1 nor 0
        return None
    return inspectors if ids_valid(ids) else None


def _check_roster(file: str, lines: list[bytes]) -> list[Inspector]:
    """Check every line in turn and raise for the first that breaks a rule."""
    inspectors: list[Inspector] = []
    previous = None
    for number, raw in enumerate(lines, 1):
        uid, region, senior, tags, load, cap = split_fields(file, number, raw, ROSTER_FIELDS)
        check_id(file, number, "id", uid)
        check_order(file, number, "id", uid, previous)
        previous = uid
        if not region:
            raise BundleError(file, line(number), "region 不得为空")
        if senior not in (b"0", b"1"):
            raise BundleError(file, line(number), "senior 必须是 1 或 0")
        inspectors.append(
            Inspector(
                id=uid.decode(),
                region=region.decode(),
                senior=senior == b"1",
                tags=parse_tags(file, number, tags),
                load=_uint(file, number, "load", load),
                cap=_uint(file, number, "cap", cap),
            )
        )
    return inspectors


def check_distinct_ids(rosters: Iterable[tuple[str, Roster]]) -> None:
    """部门联合: an inspector belongs to one department, so an id is on one roster only; else
    the same person could join one unit twice, and carry two loads against two caps."""
    seen: dict[str, str] = {}
    for file, roster in rosters:
        for number, inspector in enumerate(roster.inspectors, 1):
            other = seen.setdefault(inspector.id, file)
            if other != file:
                raise BundleError(
                    file,
                    line(number),
                    f"id {inspector.id} 已在 {other} 中（一名执法人员只能属于一个部门的名录）",
                )


def _uint(file: str, number: int, name: str, value: bytes) -> int:
    if UINT_RE.fullmatch(value) is None or int(value) > UINT_MAX:
        raise BundleError(
            file,
            line(number),
            f"{name} 必须是 0 到 2³²−1（4294967295）的整数，不得有前导零"
            f"（现为 “{value.decode()}”）",
        )
    return int(value)


def parse_conflicts(data: bytes) -> Conflicts:
    file = "conflicts.txt"
    lines = split_lines(file, data, CONFLICT_FIELDS)
    by_unit: defaultdict[str, set[str]] = defaultdict(set)
    previous = None
    for number, raw in enumerate(lines, 1):
        inspector, unit = split_fields(file, number, raw, CONFLICT_FIELDS)
        check_id(file, number, "inspector_id", inspector)
        check_id(file, number, "unit_id", unit)
        check_order(file, number, "整行", raw, previous)
        previous = raw
        by_unit[unit.decode()].add(inspector.decode())
    frozen = {unit: frozenset(ids) for unit, ids in by_unit.items()}
    return Conflicts(root=mth(lines), by_unit=frozen)


@dataclass(frozen=True)
class Withheld:
    """v2: the candidates left out for reasons resting on lists not public at commit."""

    root: bytes
    #: id → (the earlier draws the reason rests on, the reason)
    entries: dict[str, tuple[tuple[str, ...], str]]

    @property
    def ids(self) -> frozenset[bytes]:
        return frozenset(uid.encode() for uid in self.entries)


def parse_withheld(data: bytes, pool: Pool, earlier: Iterable[str]) -> Withheld:
    """Validate withheld.txt: each line a pool candidate shown eligible, the earlier draws
    its exclusion rests on (all named in params.json ``withheld_from``) and the reason."""
    file = "withheld.txt"
    lines = split_lines(file, data, WITHHELD_FIELDS)
    named = set(earlier)
    shown_eligible = {uid for stratum in pool.strata.values() for uid in stratum.ids}
    entries: dict[str, tuple[tuple[str, ...], str]] = {}
    previous = None
    for number, raw in enumerate(lines, 1):
        uid, draws, reason = split_fields(file, number, raw, WITHHELD_FIELDS)
        check_id(file, number, "id", uid)
        check_order(file, number, "id", uid, previous)
        previous = uid
        if uid not in shown_eligible:
            raise BundleError(
                file, line(number), f"对象 {uid.decode()} 不在 pool.txt 中，或在其中已标为不可抽取"
            )
        cited = draws.decode().split(",") if draws else []
        if not cited:
            raise BundleError(file, line(number), "draws 不得为空（须写明所依据的此前抽取编号）")
        if cited != sorted(set(cited), key=str.encode):
            raise BundleError(file, line(number), "draws 中的抽取编号须按字节升序排列且不得重复")
        strangers = [d for d in cited if d not in named]
        if strangers:
            raise BundleError(
                file,
                line(number),
                f"抽取编号 {'、'.join(strangers)} 不在 params.json 的 withheld_from 中",
            )
        if not reason:
            raise BundleError(file, line(number), "reason 不得为空（须写明排除理由）")
        entries[uid.decode()] = (tuple(cited), reason.decode())
    return Withheld(root=mth(lines), entries=entries)
