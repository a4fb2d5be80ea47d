"""Matching inspectors to tasks: 以老带新, tags, workload caps and 回避."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .primitives import DOMAIN, LP, sha256, u32
from .tables import Conflicts, Inspector, Unit

NO_SENIOR = "NO_SENIOR"
LEAD_WITHOUT_TAG = "LEAD_WITHOUT_TAG"
TEAM_INCOMPLETE = "TEAM_INCOMPLETE"
TAGS_UNCOVERED = "TAGS_UNCOVERED"


@dataclass(frozen=True)
class Assignment:
    unit: str
    team: list[str]
    flags: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "team": self.team, "flags": self.flags}


def task_order(seed: bytes, units: Iterable[Unit]) -> list[Unit]:
    prefix = sha256(DOMAIN + b"TASK" + seed)

    def rank(unit: Unit) -> tuple[bytes, bytes]:
        uid = unit.id.encode()
        state = prefix.copy()
        state.update(LP(uid))
        return state.digest(), uid

    return sorted(units, key=rank)


class _Board:
    """Who is available, kept as heaps per (region, senior, tag) so that pick() never scans
    a whole region.

    A heap entry is the bytes ``u32(load) ‖ prio ‖ id``: bytes compare exactly as the tuple
    ``(load, prio(i), i)`` of pick() does, and faster. An inspector sits in the heap of its
    region and seniority (tag ``None``) and in one heap per tag. When its load changes a new
    entry is pushed; the old ones are no longer ``live`` and are dropped when they surface.
    """

    def __init__(self, seed: bytes, inspectors: Sequence[Inspector]) -> None:
        self._prio = sha256(DOMAIN + b"INSP" + seed).copy
        self.inspectors = {inspector.id.encode(): inspector for inspector in inspectors}
        self.load = {uid: inspector.load for uid, inspector in self.inspectors.items()}
        self._lp = {uid: LP(uid) for uid in self.inspectors}
        self._live: dict[bytes, bytes | None] = {}
        self._heaps: dict[tuple[str, bool, str | None], list[bytes]] = {}
        self._homes: dict[bytes, list[list[bytes]]] = {}
        for uid, inspector in self.inspectors.items():
            names = [None, *inspector.tags]
            homes = [
                self._heaps.setdefault((inspector.region, inspector.senior, n), []) for n in names
            ]
            self._homes[uid] = homes
            self._live[uid] = None
            if inspector.load < inspector.cap:
                self._live[uid] = entry = self._entry(uid, inspector.load)
                for heap in homes:
                    heap.append(entry)
        for heap in self._heaps.values():
            heapq.heapify(heap)

    def _entry(self, uid: bytes, load: int) -> bytes:
        count = u32(load)
        state = self._prio()
        state.update(self._lp[uid] + count)
        return count + state.digest() + uid

    def _top(self, heap: list[bytes], excluded: set[bytes]) -> bytes | None:
        """The smallest live entry of ``heap`` outside ``excluded``, left in place."""
        live = self._live
        skipped: list[bytes] = []
        found = None
        while heap:
            entry = heap[0]
            uid = entry[36:]
            if live[uid] is not entry:
                heapq.heappop(heap)  # stale for good: loads only grow
            elif uid in excluded:
                skipped.append(heapq.heappop(heap))
            else:
                found = entry
                break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def pick(
        self,
        region: str,
        seniority: tuple[bool, ...],
        tags: frozenset[str] | None,
        excluded: set[bytes],
    ) -> bytes | None:
        """``pick`` over the available inspectors of ``region`` with one of ``seniority``,
        restricted to ``T(tags)`` unless ``tags`` is None, minus ``excluded``."""
        best = None
        names = (None,) if tags is None else tags
        for senior in seniority:
            for name in names:
                heap = self._heaps.get((region, senior, name))
                entry = self._top(heap, excluded) if heap else None
                if entry is not None and (best is None or entry < best):
                    best = entry
        return None if best is None else best[36:]

    def assign(self, uid: bytes) -> None:
        load = self.load[uid] = self.load[uid] + 1
        if load < self.inspectors[uid].cap:
            self._live[uid] = entry = self._entry(uid, load)
            for heap in self._homes[uid]:
                heapq.heappush(heap, entry)
        else:
            self._live[uid] = None


SENIOR = (True,)
JUNIOR = (False,)
ANYONE = (False, True)


def match(
    seed: bytes,
    team_size: int,
    units: Iterable[Unit],
    inspectors: Sequence[Inspector],
    conflicts: Conflicts,
) -> list[Assignment]:
    board = _Board(seed, inspectors)
    assignments = []
    for unit in task_order(seed, units):
        excluded = {uid.encode() for uid in conflicts.by_unit.get(unit.id, ())}
        assignments.append(_assign(board, team_size, unit, excluded))
    return assignments


def _assign(board: _Board, team_size: int, unit: Unit, excluded: set[bytes]) -> Assignment:
    region, required = unit.region, unit.tags
    flags: list[str] = []
    lead = board.pick(region, SENIOR, required, excluded) if required else None
    if lead is None:
        lead = board.pick(region, SENIOR, None, excluded)
        if lead is None:
            return Assignment(unit=unit.id, team=[], flags=[NO_SENIOR])
        if required:
            flags.append(LEAD_WITHOUT_TAG)
    team = [lead]
    excluded.add(lead)  # F' = F minus the team
    covered = set(board.inspectors[lead].tags)
    while len(team) < team_size:
        missing = required - covered
        tiers = ((JUNIOR, missing), (ANYONE, missing)) if missing else ()
        member = None
        for seniority, tags in (*tiers, (JUNIOR, None), (ANYONE, None)):
            member = board.pick(region, seniority, tags, excluded)
            if member is not None:
                break
        if member is None:
            flags.append(TEAM_INCOMPLETE)
            return Assignment(unit=unit.id, team=[], flags=flags)
        team.append(member)
        excluded.add(member)
        covered |= board.inspectors[member].tags
    if required - covered:
        flags.append(TAGS_UNCOVERED)
    for uid in team:
        board.assign(uid)
    return Assignment(unit=unit.id, team=[board.inspectors[uid].id for uid in team], flags=flags)
