"""Matching inspectors to tasks: 以老带新, tags, workload caps and 回避."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .documents import Partner
from .primitives import DOMAIN, LP, sha256, u32
from .seed import partner_seed
from .tables import Conflicts, Inspector, Roster, Unit

NO_SENIOR = "NO_SENIOR"
LEAD_WITHOUT_TAG = "LEAD_WITHOUT_TAG"
TEAM_INCOMPLETE = "TEAM_INCOMPLETE"
TAGS_UNCOVERED = "TAGS_UNCOVERED"
#: 部门联合: in a partner roster this region serves every region of the pool (a department
#: whose inspectors cover the whole county). In roster.txt it is an ordinary region.
ANY_REGION = "*"


@dataclass(frozen=True)
class PartnerTeam:
    """One partner department's team for one task (部门联合抽查); ``team`` is empty, with the
    flag saying why, when the department could not field one."""

    code: str
    team: list[str]
    flags: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"team": self.team, "flags": self.flags}


@dataclass(frozen=True)
class Assignment:
    unit: str
    team: list[str]
    flags: list[str]
    #: 部门联合: each partner department's team, in the order of params.json ``partners``;
    #: empty without partners, and then result.json has no ``partners`` key. A tuple, so the
    #: default is shared and a draw of the bureau alone builds nothing more per task.
    partners: tuple[PartnerTeam, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        if self.partners:
            return {
                "unit": self.unit,
                "team": self.team,
                "flags": self.flags,
                "partners": {team.code: team.as_dict() for team in self.partners},
            }
        return {"unit": self.unit, "team": self.team, "flags": self.flags}

    def partner(self, code: str) -> PartnerTeam:
        """The team of partner department ``code``; KeyError for a code the draw has not."""
        for team in self.partners:
            if team.code == code:
                return team
        raise KeyError(code)


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


class _PartnerBoard(_Board):
    """A partner department's board: its ``*`` inspectors serve every region.

    ``pick`` looks in the heaps of the task's region and of ``*`` and takes the smaller
    entry, so the rule stays ``(load, prio, id)`` over the union. The bureau's board keeps
    its own one-region ``pick``, untouched by this.
    """

    def pick(
        self,
        region: str,
        seniority: tuple[bool, ...],
        tags: frozenset[str] | None,
        excluded: set[bytes],
    ) -> bytes | None:
        best = None
        names = (None,) if tags is None else tags
        for area in (region, ANY_REGION):
            for senior in seniority:
                for name in names:
                    heap = self._heaps.get((area, senior, name))
                    entry = self._top(heap, excluded) if heap else None
                    if entry is not None and (best is None or entry < best):
                        best = entry
        return None if best is None else best[36:]


SENIOR = (True,)
JUNIOR = (False,)
ANYONE = (False, True)


def match(
    seed: bytes,
    team_size: int,
    units: Iterable[Unit],
    inspectors: Sequence[Inspector],
    conflicts: Conflicts,
    partners: Sequence[tuple[Partner, Roster]] = (),
) -> list[Assignment]:
    """The bureau's teams in task order; with ``partners`` (部门联合), each assignment also
    carries every partner department's team."""
    board = _Board(seed, inspectors)
    tasks = task_order(seed, units)
    assignments = []
    for unit in tasks:
        excluded = {uid.encode() for uid in conflicts.by_unit.get(unit.id, ())}
        assignments.append(_assign(board, team_size, unit, excluded))
    if not partners:
        return assignments
    teams = [match_partner(seed, partner, roster, tasks, conflicts) for partner, roster in partners]
    return [
        replace(assignment, partners=tuple(own[index] for own in teams))
        for index, assignment in enumerate(assignments)
    ]


def match_partner(
    seed: bytes, partner: Partner, roster: Roster, tasks: Sequence[Unit], conflicts: Conflicts
) -> list[PartnerTeam]:
    """One partner department's teams for ``tasks`` (already in task order), on its own board.

    The department covers its own matters of the joint task, not the bureau's 要素标签, so the
    task's tags play no part (R = ∅). A team of one is the available inspector with the
    smallest (load, prio, id); a larger team follows the bureau's rules (以老带新).
    """
    board = _PartnerBoard(partner_seed(seed, partner.code, roster.root), roster.inspectors)
    teams = []
    for unit in tasks:
        excluded = {uid.encode() for uid in conflicts.by_unit.get(unit.id, ())}
        if partner.team_size == 1:
            member = board.pick(unit.region, ANYONE, None, excluded)
            if member is None:
                teams.append(PartnerTeam(code=partner.code, team=[], flags=[TEAM_INCOMPLETE]))
                continue
            board.assign(member)
            team = [board.inspectors[member].id]
            teams.append(PartnerTeam(code=partner.code, team=team, flags=[]))
            continue
        untagged = Unit(id=unit.id, region=unit.region, tags=frozenset())
        own = _assign(board, partner.team_size, untagged, excluded)
        teams.append(PartnerTeam(code=partner.code, team=own.team, flags=own.flags))
    return teams


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
