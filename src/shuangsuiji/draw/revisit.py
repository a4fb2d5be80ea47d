"""The revisit sample (回访): a share of a revealed draw's completed inspections, from its seed.

获嘉方案三、（四）“对日常监管对象按照 10% 的比例进行回访”. The sample follows the section
"The revisit sample" of docs/draw-spec.md: every candidate gets a key from the draw's seed under
its own tag, the candidates are ranked by key, and the first ⌈n·p/q⌉ are revisited. Nobody picks
them, and anyone holding the revealed bundle and revisit.json can recompute them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import jsonfile
from .bundle import REVISIT as FILE
from .documents import DRAW_ID_RE, HEX64_RE
from .errors import BundleError, key
from .primitives import DOMAIN, LP, SPEC, H
from .textfile import ID_RE, ID_RULE

#: The tag of the revisit keys. No tag of the spec (SALT, SEL, TASK, INSP, REVISIT) is a
#: prefix of another, so a revisit key is never a selection ticket, whatever the stratum codes.
TAG = b"REVISIT"


@dataclass(frozen=True)
class Revisited:
    id: str
    key: bytes

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "key": self.key.hex()}


@dataclass(frozen=True)
class RevisitDraw:
    """The inputs and the outcome of one revisit sample: what revisit.json holds."""

    draw_id: str
    numerator: int
    denominator: int
    candidates: tuple[str, ...]  # ascending by bytes
    k: int
    selected: tuple[Revisited, ...]  # in rank order
    basis: str = ""

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "spec": SPEC,
            "draw_id": self.draw_id,
            "share": {"numerator": self.numerator, "denominator": self.denominator},
        }
        if self.basis:
            document["basis"] = self.basis
        document["candidates"] = list(self.candidates)
        document["k"] = self.k
        document["selected"] = [unit.as_dict() for unit in self.selected]
        return document


def revisit_key(seed: bytes, draw_id: str, unit: str) -> bytes:
    """``rkey(d) = H(DOMAIN ‖ "REVISIT" ‖ seed ‖ LP(draw_id) ‖ LP(d))``."""
    return H(DOMAIN + TAG + seed + LP(draw_id.encode("ascii")) + LP(unit.encode("ascii")))


def revisit_count(candidates: int, numerator: int, denominator: int) -> int:
    """``k = ⌈n·p/q⌉`` in integers: “不低于” the share rounds up, never down, and never by float."""
    return (candidates * numerator + denominator - 1) // denominator


def check_share(numerator: int, denominator: int) -> str | None:
    """What is wrong with a share ``p/q``, or None: integers with ``q ≥ 1`` and ``0 ≤ p ≤ q``."""
    if type(numerator) is not int or type(denominator) is not int:
        return "回访比例的分子和分母必须是整数"
    if denominator < 1 or not 0 <= numerator <= denominator:
        return "回访比例必须满足 分母 ≥ 1 且 0 ≤ 分子 ≤ 分母（即 0% 到 100%）"
    return None


def rank_revisits(seed: bytes, draw_id: str, candidates: Iterable[str]) -> list[Revisited]:
    """Every candidate with its key, by key descending, then id ascending."""
    ranked = [Revisited(unit, revisit_key(seed, draw_id, unit)) for unit in candidates]
    # Ids are ASCII, so str order is byte order; a stable sort on the id first, then on the
    # key in reverse, gives "key descending, then id ascending".
    ranked.sort(key=lambda unit: unit.id)
    ranked.sort(key=lambda unit: unit.key, reverse=True)
    return ranked


def draw_revisit(
    seed: bytes,
    draw_id: str,
    candidates: Iterable[str],
    numerator: int,
    denominator: int,
    *,
    basis: str = "",
) -> RevisitDraw:
    """The revisit sample of a revealed draw.

    ``seed`` and ``draw_id`` are the draw's; ``candidates`` are the ids (pool ids) of its units
    whose inspection is complete, in any order; ``numerator/denominator`` is the plan's share
    (10% is 1/10). Raises ValueError for input the specification does not allow.
    """
    if DRAW_ID_RE.fullmatch(draw_id) is None:
        raise ValueError(f"draw_id {draw_id!r} 必须是 1–64 个 [0-9A-Za-z_.-] 字符")
    problem = check_share(numerator, denominator)
    if problem:
        raise ValueError(problem)
    ids = sorted(candidates)
    for unit in ids:
        if not unit.isascii() or ID_RE.fullmatch(unit.encode("ascii")) is None:
            raise ValueError(f"回访候选 {unit!r} {ID_RULE}")
    if len(set(ids)) != len(ids):
        raise ValueError("回访候选有重复的 id")
    k = revisit_count(len(ids), numerator, denominator)
    return RevisitDraw(
        draw_id=draw_id,
        numerator=numerator,
        denominator=denominator,
        candidates=tuple(ids),
        k=k,
        selected=tuple(rank_revisits(seed, draw_id, ids)[:k]),
        basis=basis,
    )


def parse_revisit(data: bytes) -> RevisitDraw:
    """Read a published revisit.json strictly; its k and selected are checked by ``verify``."""
    doc = jsonfile.load(FILE, data)
    if _require(doc, "spec", "spec") != SPEC:
        raise BundleError(FILE, key("spec"), f"必须是 {SPEC}")
    draw_id = _require(doc, "draw_id", "draw_id")
    if not isinstance(draw_id, str) or DRAW_ID_RE.fullmatch(draw_id) is None:
        raise BundleError(FILE, key("draw_id"), "必须是 1–64 个 [0-9A-Za-z_.-] 字符")
    share = _require(doc, "share", "share")
    if not isinstance(share, dict):
        raise BundleError(FILE, key("share"), "必须是 JSON 对象 {numerator, denominator}")
    numerator = _require(share, "numerator", "share.numerator")
    denominator = _require(share, "denominator", "share.denominator")
    problem = check_share(numerator, denominator)
    if problem:
        raise BundleError(FILE, key("share"), f"{problem}（JSON 整数，不得写作 1.0 或 true）")
    basis = doc.get("basis", "")
    if not isinstance(basis, str):
        raise BundleError(FILE, key("basis"), "若填写，必须是字符串")
    k = _require(doc, "k", "k")
    if type(k) is not int or k < 0:
        raise BundleError(FILE, key("k"), "必须是不小于 0 的 JSON 整数（不得写作 2.0 或 true）")
    return RevisitDraw(
        draw_id=draw_id,
        numerator=numerator,
        denominator=denominator,
        candidates=_parse_candidates(_require(doc, "candidates", "candidates")),
        k=k,
        selected=_parse_selected(_require(doc, "selected", "selected")),
        basis=basis,
    )


def _require(obj: dict[str, Any], name: str, path: str) -> Any:
    if name not in obj:
        raise BundleError(FILE, key(path), "缺少此键")
    return obj[name]


def _parse_candidates(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BundleError(FILE, key("candidates"), "必须是列表")
    previous: bytes | None = None
    for index, unit in enumerate(value):
        path = key(f"candidates[{index}]")
        raw = unit.encode("utf-8") if isinstance(unit, str) else None
        if raw is None or ID_RE.fullmatch(raw) is None:
            raise BundleError(FILE, path, f"必须是字符串，且 {ID_RULE}")
        if previous is not None and raw <= previous:
            rule = "重复" if raw == previous else "未按字节升序排列"
            raise BundleError(FILE, path, f"回访候选 {unit} {rule}")
        previous = raw
    return tuple(value)


def _parse_selected(value: Any) -> tuple[Revisited, ...]:
    if not isinstance(value, list):
        raise BundleError(FILE, key("selected"), "必须是列表")
    result: list[Revisited] = []
    for index, item in enumerate(value):
        path = f"selected[{index}]"
        if not isinstance(item, dict):
            raise BundleError(FILE, key(path), "必须是 JSON 对象 {id, key}")
        unit = _require(item, "id", f"{path}.id")
        if not isinstance(unit, str) or ID_RE.fullmatch(unit.encode("utf-8")) is None:
            raise BundleError(FILE, key(f"{path}.id"), f"必须是字符串，且 {ID_RULE}")
        hex_key = _require(item, "key", f"{path}.key")
        if not isinstance(hex_key, str) or HEX64_RE.fullmatch(hex_key) is None:
            raise BundleError(FILE, key(f"{path}.key"), "必须是 64 个小写十六进制数字")
        result.append(Revisited(unit, bytes.fromhex(hex_key)))
    return tuple(result)
