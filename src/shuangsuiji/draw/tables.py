"""The three line files of a bundle: pool.txt, roster.txt and conflicts.txt.

Each parser checks every rule of the specification and keeps only what the draw needs,
in flat lists, because a pool may hold a million lines.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from . import parallel
from .errors import BundleError, line
from .merkle import block_height, mth, root, subtree_roots
from .textfile import check_id, check_id_column, check_order, parse_tags, split_fields, split_lines

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
    """The eligible candidates of one stratum, in ascending id order, as parallel lists."""

    ids: list[bytes] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # index of the candidate's line


@dataclass(frozen=True)
class Pool:
    root: bytes
    lines: list[bytes]
    strata: dict[str, StratumPool]

    def unit(self, row: int) -> Unit:
        # Only selected candidates become tasks, so their region and tags are read again
        # here instead of being kept for all eligible lines.
        uid, _, region, _, _, tags, _ = self.lines[row].split(b"|")
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
    lines = split_lines(file, data, POOL_FIELDS)
    height = block_height(len(lines))
    cut = round(len(lines) * HELPER_SHARE) >> height << height
    first = parallel.beside(subtree_roots, lines, 0, cut, height, size=len(lines))
    try:
        strata = _parse_candidates(file, lines, codes)
        rest = subtree_roots(lines, cut, len(lines), height)
    except BaseException:
        first.cancel()
        raise
    return Pool(root=root(first.result() + rest), lines=lines, strata=strata)


def _parse_candidates(
    file: str, lines: list[bytes], codes: Iterable[str]
) -> dict[str, StratumPool]:
    """The loop runs once per candidate, a million times for a large county, so a field is
    looked at once and a region or tag list is validated the first time it is seen."""
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
            pool.rows.append(row)
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
    return Roster(root=mth(lines), inspectors=tuple(inspectors))


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
