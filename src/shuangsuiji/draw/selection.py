"""Selection of targets: weighted sampling without replacement by hash tickets."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from operator import getitem
from typing import Any

from . import parallel
from .documents import Params
from .primitives import DOMAIN, LP, TXT, sha256, u32
from .tables import Pool, StratumPool, Unit, unit

# u32(j) for every ticket number a weight can reach, and u32(n) for every id length.
TICKETS = [u32(j) for j in range(1001)]
LENGTHS = [u32(n) for n in range(65)]
#: Maps every byte b to 255 - b: the complement of a key sorts ascending where the key
#: sorts descending, so "key descending, then id ascending" is the plain ascending order of
#: the bytes ``complement(key) ‖ id`` (keys have 32 bytes), ties included, and the sort
#: needs no key function.
COMPLEMENT = bytes(range(255, -1, -1))
_ID = slice(32, None)

#: ``ranked`` lists are kept in buckets by their first byte: the keys are uniform, so each
#: bucket holds 1/256 of a stratum and is sorted, and its ids sliced off, while it is in the
#: processor's cache. One sort of a million keys scattered over 90 MB, and slicing them in
#: that random order, take twice as long (benchmarks/draw.py).
Buckets = list[list[bytes]]


@dataclass(frozen=True)
class Ranked:
    """A stretch of a stratum's draw order: the first keys (at most ``k``) as
    ``complement(key) ‖ id``, and every id, joined by ``\\n`` into one bytes object."""

    top: list[bytes]
    ids: bytes
    count: int


@dataclass(frozen=True, eq=False)
class StratumDraw:
    """One stratum's draw, the eligible candidates in draw order. The selected units and
    the reserve's strings are made when asked for: writing result.json needs neither
    (``jsonfile.result_parts``), and a million ids stay in one bytes object."""

    code: str
    k: int
    ranked: Ranked = field(repr=False)
    line_of: Callable[[bytes], bytes] = field(repr=False)

    @property
    def eligible(self) -> int:
        return self.ranked.count

    @property
    def shortfall(self) -> int:
        return self.k - len(self.ranked.top)

    @cached_property
    def selected(self) -> list[Unit]:
        return [unit(self.line_of(uid)) for uid in self.selected_ids()]

    @cached_property
    def keys(self) -> list[bytes]:
        """The selected units' keys (their winning tickets)."""
        return [ranked[:32].translate(COMPLEMENT) for ranked in self.ranked.top]

    @cached_property
    def reserve(self) -> list[str]:
        rest = self.reserve_ids()
        return rest.decode("ascii").split("\n") if rest else []

    def tasks(self) -> list[tuple[bytes, bytes, bytes]]:
        """The selected candidates as tasks: id, region and the ``tags`` field, as bytes."""
        tasks = []
        for uid in self.selected_ids():
            _, _, region, _, _, tags, _ = self.line_of(uid).split(b"|")
            tasks.append((uid, region, tags))
        return tasks

    def selected_ids(self) -> list[bytes]:
        return list(map(getitem, self.ranked.top, repeat(_ID)))

    def reserve_ids(self) -> bytes:
        """The reserve's ids joined by ``\\n``."""
        selected = self.ranked.top
        if not selected:
            return self.ranked.ids
        # Past each selected id and its "\n": a ranked key is 32 bytes longer than its id.
        return self.ranked.ids[sum(map(len, selected)) - 31 * len(selected) :]

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
    """``key(d)`` for every candidate: the largest of its ``w`` tickets."""
    ranked = _tickets(prefix(seed, label), ids, weights)
    return [key[:32].translate(COMPLEMENT) for key in ranked]


def prefix(seed: bytes, label: str) -> Any:
    """The hash state of the part of every ticket a stratum shares, to be copied."""
    return sha256(DOMAIN + b"SEL" + seed + LP(TXT(label)))


def _tickets(prefix: Any, ids: list[bytes], weights: list[int]) -> list[bytes]:
    """``complement(key(d)) ‖ d`` for every candidate, in their order.

    This loop is the heart of the draw's running time: per ticket, copy the stratum's hash
    state, feed it the rest and finish. (Batching the calls in ``map`` was measured slower
    here: a batch of live hash states costs more memory traffic than the interpreter saves.)
    """
    copy = prefix.copy
    first = TICKETS[1]
    lengths = LENGTHS
    comp = COMPLEMENT
    keys: list[bytes] = []
    append = keys.append
    for uid, weight in zip(ids, weights, strict=True):
        if weight == 1:
            state = copy()
            state.update(lengths[len(uid)] + uid + first)
            append(state.digest().translate(comp) + uid)
            continue
        base = copy()
        base.update(lengths[len(uid)] + uid)
        best = b""
        for ticket in TICKETS[1 : weight + 1]:
            state = base.copy()
            state.update(ticket)
            digest = state.digest()
            if digest > best:
                best = digest
        append(best.translate(comp) + uid)
    return keys


def rank(prefix: Any, ids: list[bytes], weights: list[int], *, sort: bool = False) -> Buckets:
    """The ranked keys of a run of candidates, in buckets; sorted ones when ``sort`` (for a
    helper process: ``merge`` then only merges its buckets with the caller's)."""
    buckets: Buckets = [[] for _ in range(256)]
    into = [bucket.append for bucket in buckets]
    for key in _tickets(prefix, ids, weights):
        into[key[0]](key)
    if sort:
        for bucket in buckets:
            bucket.sort()
    return buckets


def pack(buckets: Buckets) -> list[Any]:
    """Buckets to send to another process: a bucket whose keys have one length (nearly
    always: ids of one kind have one length) as that length and their concatenation, which
    pickles and unpickles as one object instead of thousands."""
    packed: list[Any] = []
    for bucket in buckets:
        lengths = set(map(len, bucket))
        packed.append((lengths.pop(), b"".join(bucket)) if len(lengths) == 1 else bucket)
    return packed


def unpack(packed: list[Any], start: int = 0) -> Buckets:
    """What ``pack`` packed, as the buckets ``start …`` (the ones before are empty)."""
    buckets: Buckets = [[] for _ in range(start)]
    for item in packed:
        if isinstance(item, tuple):
            size, joined = item
            buckets.append(list(struct.unpack(f"{size}s" * (len(joined) // size), joined)))
        else:
            buckets.append(item)
    return buckets


def _sorted_rank(prefix: Any, ids: list[bytes], weights: list[int]) -> Buckets:
    return rank(prefix, ids, weights, sort=True)


def merge(runs: list[Buckets], k: int, buckets: Iterable[int] = range(256)) -> Ranked:
    """The draw order of the candidates of one or more runs, from their ``buckets``. Each
    bucket is sorted and its ids sliced off and joined in one go, while it is in the
    processor's cache."""
    top: list[bytes] = []
    pieces: list[bytes] = []
    count = 0
    for index in buckets:
        bucket = runs[0][index]
        for run in runs[1:]:
            bucket += run[index]
        if not bucket:
            continue
        bucket.sort()
        if len(top) < k:
            top += bucket[: k - len(top)]
        pieces.append(b"\n".join(map(getitem, bucket, repeat(_ID))))
        count += len(bucket)
    return Ranked(top=top, ids=b"\n".join(pieces), count=count)


def concat(parts: list[Ranked], k: int) -> Ranked:
    """Consecutive stretches of one stratum's draw order as one."""
    return Ranked(
        top=[key for part in parts for key in part.top][:k],
        ids=b"\n".join(part.ids for part in parts if part.count),
        count=sum(part.count for part in parts),
    )


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
            lines=[candidates.lines[i] for i in kept],
        )
    start = prefix(seed, f"{draw_id}/{code}")
    ids, weights = candidates.ids, candidates.weights
    half = len(ids) // 2
    if parallel.may_fork(half):
        # Each half is hashed and sorted on its own core; the halves' buckets then merge.
        second = parallel.beside(_sorted_rank, start, ids[half:], weights[half:], size=half)
        ranked = merge([rank(start, ids[:half], weights[:half]), second.result()], k)
    else:
        ranked = merge([rank(start, ids, weights)], k)
    return StratumDraw(code=code, k=k, ranked=ranked, line_of=candidates.line_of)


def draw_strata(
    seed: bytes, params: Params, pool: Pool, skip: frozenset[bytes] = frozenset()
) -> list[StratumDraw]:
    return [draw_stratum(seed, params.draw_id, s.code, s.k, pool, skip) for s in params.strata]
