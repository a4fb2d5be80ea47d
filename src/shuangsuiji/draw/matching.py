"""Matching inspectors to tasks: 以老带新, tags, workload caps and 回避."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .documents import Partner
from .primitives import DOMAIN, LP, sha256, u32
from .seed import partner_seed
from .tables import Conflicts, Inspector, Roster, Unit

# u32(n) for every id length (ids have 1 to 64 characters).
LENGTHS = [u32(n) for n in range(65)]

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


#: A task as the matching needs it: the unit's id and region as bytes, and its required tags,
#: either a pool line's ``tags`` field or a set of tag names.
Task = tuple[bytes, bytes, "bytes | frozenset[str]"]


def task_order(seed: bytes, units: Iterable[Unit]) -> list[Unit]:
    """Units by ``(H(DOMAIN ‖ "TASK" ‖ seed ‖ LP(id)), id)``."""
    units = list(units)
    keys = task_keys(seed, [unit.id.encode() for unit in units])
    return [unit for _, unit in sorted(zip(keys, units, strict=True), key=_first)]


def order_tasks(seed: bytes, tasks: list[Task], keys: list[bytes] | None = None) -> list[Task]:
    """Tasks in task order; ``keys``: their ``task_keys``, if already known."""
    if keys is None:
        keys = task_keys(seed, [task[0] for task in tasks])
    return [task for _, task in sorted(zip(keys, tasks, strict=True), key=_first)]


def task_keys(seed: bytes, uids: list[bytes]) -> list[bytes]:
    """``H(DOMAIN ‖ "TASK" ‖ seed ‖ LP(id)) ‖ id`` of each unit id: the hash has 32 bytes, so
    these bytes sort exactly as the pair (hash, id) of the task order does."""
    copy = sha256(DOMAIN + b"TASK" + seed).copy
    lengths = LENGTHS
    keys = []
    for uid in uids:
        state = copy()
        state.update((lengths[len(uid)] if len(uid) < 65 else u32(len(uid))) + uid)
        keys.append(state.digest() + uid)
    return keys


def _first(pair: tuple[bytes, Any]) -> bytes:
    return pair[0]


@dataclass(frozen=True)
class Matching:
    """The matching in task order, as compact as the draw can keep it: unit ids, and each
    task's team (inspector ids, bytes) and flags; with partners, each department's teams.
    ``assignments`` builds the public objects."""

    units: list[bytes]
    teams: list[tuple[list[bytes], list[str]]]
    partners: list[list[PartnerTeam]] = field(default_factory=list)

    def assignments(self) -> list[Assignment]:
        result = [
            Assignment(unit=uid.decode(), team=[i.decode() for i in team], flags=flags)
            for uid, (team, flags) in zip(self.units, self.teams, strict=True)
        ]
        if not self.partners:
            return result
        return [
            replace(assignment, partners=tuple(teams[index] for teams in self.partners))
            for index, assignment in enumerate(result)
        ]


class _Board:
    """Who is available, as one list per (region, seniority) kept in pick() order: the
    board of a partner department, whose ``*`` inspectors join every region's lists (the
    bureau's matching, one region at a time, is ``_match_region``).

    An entry is the bytes ``u32(load) ‖ prio ‖ id``, which compare exactly as the triple
    ``(load, prio(i), i)`` of pick() does, so ``pick`` over a list is its first entry that
    qualifies (not excluded, having a wanted tag). Only inspectors below their cap are on a
    list; when a load changes, the entry is taken out and the new one put in its place by
    bisection. A region has a few hundred inspectors and the first qualifying entry is
    usually among the first few, so this beats a heap per tag, whose stale entries and
    per-tag bookkeeping cost more than the lists' memmove.

    Tags are bits of an int, so "has a tag in X" is one ``&``.
    """

    def __init__(self, seed: bytes, inspectors: Sequence[Inspector], bits: dict[str, int]):
        self._prio = sha256(DOMAIN + b"INSP" + seed).copy
        self.ids = [inspector.id for inspector in inspectors]
        self.index = {uid: n for n, uid in enumerate(self.ids)}
        self._uid = [uid.encode() for uid in self.ids]
        self._lp = [LP(uid) for uid in self._uid]
        self.masks = [mask(bits, inspector.tags) for inspector in inspectors]
        self._caps = [inspector.cap for inspector in inspectors]
        self._loads = [inspector.load for inspector in inspectors]
        self._owner: dict[bytes, int] = {}
        self._entry: list[bytes | None] = [None] * len(inspectors)
        self.lanes: dict[tuple[str, bool], list[bytes]] = {}
        self._lane: list[list[bytes]] = []
        for n, inspector in enumerate(inspectors):
            lane = self.lanes.setdefault((inspector.region, inspector.senior), [])
            self._lane.append(lane)
            if inspector.load < inspector.cap:
                lane.append(self._new_entry(n, inspector.load))
        for lane in self.lanes.values():
            lane.sort()

    def _new_entry(self, n: int, load: int) -> bytes:
        count = u32(load)
        state = self._prio()
        state.update(self._lp[n] + count)
        entry = count + state.digest() + self._uid[n]
        self._owner[entry] = n
        self._entry[n] = entry
        return entry

    def lanes_of(self, areas: tuple[str, ...], senior: bool) -> list[list[bytes]]:
        return [lane for area in areas if (lane := self.lanes.get((area, senior)))]

    def first(self, lanes: list[list[bytes]], wanted: int, excluded: set[int]) -> bytes | None:
        """``pick`` over the entries of ``lanes`` not ``excluded`` and, unless ``wanted`` is 0,
        having one of its tags: the smallest of each lane's first such entry."""
        owner, masks = self._owner, self.masks
        best = None
        for lane in lanes:
            for entry in lane:
                n = owner[entry]
                if n in excluded or (wanted and not masks[n] & wanted):
                    continue
                if best is None or entry < best:
                    best = entry
                break
        return best

    def assign(self, n: int) -> None:
        """One more task for inspector ``n``: its entry moves, or leaves at its cap."""
        lane, entry = self._lane[n], self._entry[n]
        del lane[bisect_left(lane, entry)]  # type: ignore[arg-type]
        load = self._loads[n] = self._loads[n] + 1
        if load < self._caps[n]:
            insort(lane, self._new_entry(n, load))
        else:
            self._entry[n] = None

    def excluded(self, by_unit: dict[str, frozenset[str]], unit: str) -> set[int]:
        """The inspectors of this board in a conflict line with ``unit`` (回避)."""
        named = by_unit.get(unit)
        if not named:
            return set()
        index = self.index
        return {index[uid] for uid in named if uid in index}


def mask(bits: dict[str, int], tags: Iterable[str]) -> int:
    """The tags as bits, giving each new tag the next bit."""
    value = 0
    for tag in tags:
        bit = bits.get(tag)
        if bit is None:
            bit = bits[tag] = 1 << len(bits)
        value |= bit
    return value


def _staff(
    board: _Board,
    team_size: int,
    seniors: list[list[bytes]],
    juniors: list[list[bytes]],
    required: int,
    excluded: set[int],
) -> tuple[list[int], list[str]]:
    """Steps 2 to 4 of the matching for one task: the team (board indices, loads already
    raised) and the flags. ``seniors`` and ``juniors`` are the lanes of F by seniority."""
    first = board.first
    masks = board.masks
    lead = first(seniors, required, excluded) if required else None
    flags: list[str] = []
    if lead is None:
        lead = first(seniors, 0, excluded)
        if lead is None:
            return [], [NO_SENIOR]
        if required:
            flags.append(LEAD_WITHOUT_TAG)
    owner = board._owner
    team = [owner[lead]]
    excluded.add(team[0])  # F' = F minus the team
    covered = masks[team[0]]
    while len(team) < team_size:
        missing = required & ~covered
        member = None
        if missing:
            # J ∩ T(M), then F' ∩ T(M): its juniors are J ∩ T(M), empty here.
            member = first(juniors, missing, excluded) or first(seniors, missing, excluded)
        if member is None:
            member = first(juniors, 0, excluded) or first(seniors, 0, excluded)  # J, then F'
        if member is None:
            flags.append(TEAM_INCOMPLETE)
            return [], flags
        n = owner[member]
        team.append(n)
        excluded.add(n)
        covered |= masks[n]
    if required & ~covered:
        flags.append(TAGS_UNCOVERED)
    for n in team:
        board.assign(n)
    return team, flags


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
    tasks = task_order(seed, units)
    work: list[Task] = [(unit.id.encode(), unit.region.encode(), unit.tags) for unit in tasks]
    return match_ordered(seed, team_size, work, inspectors, conflicts, partners).assignments()


def match_ordered(
    seed: bytes,
    team_size: int,
    tasks: list[Task],
    inspectors: Sequence[Inspector],
    conflicts: Conflicts,
    partners: Sequence[tuple[Partner, Roster]] = (),
) -> Matching:
    """The matching of ``tasks``, already in task order."""
    teams = match_tasks(seed, team_size, tasks, inspectors, conflicts)
    own = match_partners(seed, tasks, conflicts, partners)
    return Matching(units=[task[0] for task in tasks], teams=teams, partners=own)


def match_partners(
    seed: bytes, tasks: list[Task], conflicts: Conflicts, partners: Sequence[tuple[Partner, Roster]]
) -> list[list[PartnerTeam]]:
    """部门联合: each partner department's teams for ``tasks`` (in task order)."""
    if not partners:
        return []
    units = [Unit(id=t[0].decode(), region=t[1].decode(), tags=_names(t[2])) for t in tasks]
    return [match_partner(seed, partner, roster, units, conflicts) for partner, roster in partners]


def _names(tags: bytes | frozenset[str]) -> frozenset[str]:
    if isinstance(tags, bytes):
        return frozenset(tags.decode().split(",")) if tags else frozenset()
    return tags


def match_tasks(
    seed: bytes,
    team_size: int,
    tasks: Sequence[Task],
    inspectors: Sequence[Inspector],
    conflicts: Conflicts,
) -> list[tuple[list[bytes], list[str]]]:
    """The bureau's team and flags of each task of ``tasks`` (in task order).

    An inspector serves only its own region, so each region's tasks are matched apart, on
    that region's inspectors alone, region after region: the outcome is the same as one
    pass in task order, and a region's inspectors stay in the processor's cache.
    """
    staff: dict[bytes, list[Inspector]] = {}
    for inspector in inspectors:
        staff.setdefault(inspector.region.encode(), []).append(inspector)
    where: dict[bytes, list[int]] = {}
    for index, task in enumerate(tasks):
        where.setdefault(task[1], []).append(index)
    bits: dict[str, int] = {}
    required: dict[bytes | frozenset[str], int] = {}
    by_unit = conflicts.by_unit
    prio = sha256(DOMAIN + b"INSP" + seed).copy
    teams: list[tuple[list[bytes], list[str]]] = [([], [])] * len(tasks)
    for region, indices in where.items():
        own = staff.get(region, [])
        number = {inspector.id: n for n, inspector in enumerate(own)}
        work = []
        for index in indices:
            uid, _, tags = tasks[index]
            wanted = required.get(tags)
            if wanted is None:
                wanted = required[tags] = mask(bits, _names(tags))
            named = by_unit.get(uid.decode()) if by_unit else None
            work.append((wanted, [number[i] for i in named if i in number] if named else ()))
        done = _match_region(prio, team_size, own, [mask(bits, i.tags) for i in own], work)
        for index, team in zip(indices, done, strict=True):
            teams[index] = team
    return teams


def _match_region(
    prio: Callable[[], Any],
    team_size: int,
    inspectors: Sequence[Inspector],
    masks: list[int],
    work: list[tuple[int, Iterable[int]]],
) -> list[tuple[list[bytes], list[str]]]:
    """Steps 2 to 4 of the matching for the tasks of one region, in task order, given as
    (the required tags as bits, the inspectors in conflict with the unit).

    The same rules as ``_staff`` on a ``_Board``, written out for one list of seniors and one
    of juniors, each kept in pick() order as bytes ``u32(load) ‖ prio ‖ id``: with a single
    list per seniority, the tier F' ∩ T(M) after an empty J ∩ T(M) is the seniors' first
    with a tag in M, and F' after an empty J is the first senior.
    """
    uids = [inspector.id.encode() for inspector in inspectors]
    lps = [LP(uid) for uid in uids]
    loads = [inspector.load for inspector in inspectors]
    caps = [inspector.cap for inspector in inspectors]
    seniors: list[bytes] = []
    juniors: list[bytes] = []
    lanes = [seniors if inspector.senior else juniors for inspector in inspectors]
    entries: list[bytes] = [b""] * len(inspectors)
    owner: dict[bytes, int] = {}
    for n, load in enumerate(loads):
        if load < caps[n]:
            count = load.to_bytes(4, "big")
            state = prio()
            state.update(lps[n] + count)
            entry = entries[n] = count + state.digest() + uids[n]
            owner[entry] = n
            lanes[n].append(entry)
    seniors.sort()
    juniors.sort()
    done: list[tuple[list[bytes], list[str]]] = []
    for required, conflicted in work:
        excluded = set(conflicted)
        lead = None
        if required:
            for entry in seniors:
                n = owner[entry]
                if masks[n] & required and n not in excluded:
                    lead = n
                    break
        flags: list[str] = []
        if lead is None:
            for entry in seniors:
                n = owner[entry]
                if n not in excluded:
                    lead = n
                    break
            else:
                done.append(([], [NO_SENIOR]))
                continue
            if required:
                flags.append(LEAD_WITHOUT_TAG)
        team = [lead]
        excluded.add(lead)
        covered = masks[lead]
        while len(team) < team_size:
            member = None
            missing = required & ~covered
            if missing:
                for lane in (juniors, seniors):  # J ∩ T(M), then F' ∩ T(M)
                    for entry in lane:
                        n = owner[entry]
                        if masks[n] & missing and n not in excluded:
                            member = n
                            break
                    if member is not None:
                        break
            if member is None:
                for lane in (juniors, seniors):  # J, then F'
                    for entry in lane:
                        n = owner[entry]
                        if n not in excluded:
                            member = n
                            break
                    if member is not None:
                        break
            if member is None:
                flags.append(TEAM_INCOMPLETE)
                break
            team.append(member)
            excluded.add(member)
            covered |= masks[member]
        else:
            if required & ~covered:
                flags.append(TAGS_UNCOVERED)
            for n in team:  # each member's load rises: its entry moves, or leaves at its cap
                lane = lanes[n]
                del lane[bisect_left(lane, entries[n])]
                load = loads[n] = loads[n] + 1
                if load < caps[n]:
                    count = load.to_bytes(4, "big")
                    state = prio()
                    state.update(lps[n] + count)
                    entry = entries[n] = count + state.digest() + uids[n]
                    owner[entry] = n
                    insort(lane, entry)
            done.append(([uids[n] for n in team], flags))
            continue
        done.append(([], flags))
    return done


def match_partner(
    seed: bytes, partner: Partner, roster: Roster, tasks: Sequence[Unit], conflicts: Conflicts
) -> list[PartnerTeam]:
    """One partner department's teams for ``tasks`` (already in task order), on its own board.

    The department covers its own matters of the joint task, not the bureau's 要素标签, so the
    task's tags play no part (R = ∅). A team of one is the available inspector with the
    smallest (load, prio, id); a larger team follows the bureau's rules (以老带新). Its
    ``*`` inspectors serve every region: their lanes join those of the task's region.
    """
    board = _Board(partner_seed(seed, partner.code, roster.root), roster.inspectors, {})
    by_unit = conflicts.by_unit
    code, size = partner.code, partner.team_size
    areas: dict[str, tuple[list[list[bytes]], list[list[bytes]]]] = {}
    teams = []
    for unit in tasks:
        lanes = areas.get(unit.region)
        if lanes is None:
            here = (unit.region,) if unit.region == ANY_REGION else (unit.region, ANY_REGION)
            lanes = areas[unit.region] = (board.lanes_of(here, True), board.lanes_of(here, False))
        seniors, juniors = lanes
        excluded = board.excluded(by_unit, unit.id)
        if size == 1:
            member = board.first(seniors + juniors, 0, excluded)
            if member is None:
                teams.append(PartnerTeam(code=code, team=[], flags=[TEAM_INCOMPLETE]))
                continue
            n = board._owner[member]
            board.assign(n)
            teams.append(PartnerTeam(code=code, team=[board.ids[n]], flags=[]))
            continue
        team, flags = _staff(board, size, seniors, juniors, 0, excluded)
        teams.append(PartnerTeam(code=code, team=[board.ids[n] for n in team], flags=flags))
    return teams
