"""Selection of targets: weighted sampling without replacement by hash tickets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import parallel
from .documents import Params
from .primitives import DOMAIN, LP, TXT, sha256, u32
from .tables import Pool, StratumPool, Unit

# u32(j) for every ticket number a weight can reach, and u32(n) for every id length.
TICKETS = [u32(j) for j in range(1001)]
LENGTHS = [u32(n) for n in range(65)]


@dataclass(frozen=True)
class StratumDraw:
    code: str
    k: int
    eligible: int
    selected: list[Unit]
    keys: list[bytes]
    reserve: list[str]

    @property
    def shortfall(self) -> int:
        return self.k - len(self.selected)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "k": self.k,
            "eligible": self.eligible,
            "selected": [
                {"id": unit.id, "key": key.hex()}
                for unit, key in zip(self.selected, self.keys, strict=True)
            ],
            "reserve": self.reserve,
            "shortfall": self.shortfall,
        }


def ticket_keys(seed: bytes, label: str, ids: list[bytes], weights: list[int]) -> list[bytes]:
    """``key(d)`` for every candidate: the largest of its ``w`` tickets.

    The hash state of the prefix shared by a whole stratum is computed once and copied;
    this loop is the heart of the draw's running time.
    """
    copy = sha256(DOMAIN + b"SEL" + seed + LP(TXT(label))).copy
    first = TICKETS[1]
    keys: list[bytes] = []
    append = keys.append
    for uid, weight in zip(ids, weights, strict=True):
        state = copy()
        if weight == 1:
            state.update(LENGTHS[len(uid)] + uid + first)
            append(state.digest())
            continue
        state.update(LENGTHS[len(uid)] + uid)
        best = b""
        for ticket in TICKETS[1 : weight + 1]:
            candidate = state.copy()
            candidate.update(ticket)
            ticket_hash = candidate.digest()
            if ticket_hash > best:
                best = ticket_hash
        append(best)
    return keys


def _rank(
    seed: bytes, label: str, ids: list[bytes], weights: list[int], start: int
) -> tuple[list[bytes], list[int]]:
    """The keys of a run of candidates and their positions (from ``start``) in draw order."""
    keys = ticket_keys(seed, label, ids, weights)
    # Candidates arrive in ascending id order and a reversed sort stays stable, so equal
    # keys keep ascending ids: "key descending, then id ascending".
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
    return keys, [start + i for i in order]


def _decode(ids: Iterable[bytes]) -> list[str]:
    # Ids are ASCII without "\n": one join, decode and split beat a million decode() calls.
    joined = b"\n".join(ids)
    return joined.decode("ascii").split("\n") if joined else []


def draw_stratum(
    seed: bytes, draw_id: str, code: str, k: int, pool: Pool, skip: frozenset[bytes] = frozenset()
) -> StratumDraw:
    """``skip``: v2's withheld candidates, shown eligible in the pool but not drawn."""
    candidates = pool.strata[code]
    if skip:
        kept = [i for i, uid in enumerate(candidates.ids) if uid not in skip]
        candidates = StratumPool(
            ids=[candidates.ids[i] for i in kept],
            weights=[candidates.weights[i] for i in kept],
            rows=[candidates.rows[i] for i in kept],
        )
    label = f"{draw_id}/{code}"
    ids, weights = candidates.ids, candidates.weights
    half = len(ids) // 2
    if parallel.may_fork(half):
        # Each half is hashed and sorted on its own core; sorting the two sorted runs back
        # to back is then a single merge, and it keeps ties in ascending id order.
        second = parallel.beside(_rank, seed, label, ids[half:], weights[half:], half, size=half)
        keys, order = _rank(seed, label, ids[:half], weights[:half], 0)
        more_keys, more_order = second.result()
        keys += more_keys
        order += more_order
        order.sort(key=keys.__getitem__, reverse=True)
    else:  # one core: one sort, and no merge to pay for
        keys, order = _rank(seed, label, ids, weights, 0)
    count = min(k, len(order))
    rows = candidates.rows
    return StratumDraw(
        code=code,
        k=k,
        eligible=len(order),
        selected=[pool.unit(rows[i]) for i in order[:count]],
        keys=[keys[i] for i in order[:count]],
        reserve=_decode(map(ids.__getitem__, order[count:])),
    )


def draw_strata(
    seed: bytes, params: Params, pool: Pool, skip: frozenset[bytes] = frozenset()
) -> list[StratumDraw]:
    return [draw_stratum(seed, params.draw_id, s.code, s.k, pool, skip) for s in params.strata]
