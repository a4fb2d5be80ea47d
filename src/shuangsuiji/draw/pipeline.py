"""``draw compute`` on two cores.

``compute_files`` does what ``parse_bundle``, ``commit``, the check of an existing
commitment.json and ``compute`` do one after the other, with the same checks, the same
errors and the same bytes out. On a large pool a helper process is forked as soon as the
files are read, before any line object exists, so that the two processes share nothing
either of them writes to (no copy-on-write faults). Then:

1. The helper checks the first part of pool.txt (``HELPER_SHARE`` of it) and hashes its
   Merkle runs; this process does the same for the rest, and reads the other files. The
   roots meet here, and the seed goes to the helper.
2. Each process computes the tickets of its candidates into 256 buckets by the key's first
   byte, and sorts its low buckets. They swap halves: the helper sends its low buckets
   (``0 … LOW - 1``), this process its high ones; each merges its range of buckets, and
   the helper sends back its part of every stratum's draw order, the ids joined in one
   bytes object.
3. The helper reads the tasks of the selected candidates from its part of the pool (it
   holds their lines) while this process reads its own; this process puts them in task
   order, and the bureau's matching runs region by region (regions do not interact), the
   helper taking ``MATCH_SHARE`` of the tasks. This process then writes result.json.

What crosses between the processes is the subtree roots, the seed, half of the keys, the
helper's part of the draw order, its selected tasks and their teams. Whenever anything is
not as expected (an invalid file, a v2 draw, a dead helper), the helper is dropped and the
plain functions run: they name the error exactly as ever.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from . import parallel
from .bundle import COMMITMENT, CONFLICTS, DRAW_INPUTS, PARAMS, POOL, ROSTER, parse_bundle
from .documents import Commitment, Params, parse_commitment, parse_params
from .engine import Result, _partner_rosters, check_commitment, commit, compute
from .errors import BundleError
from .matching import Matching, Task, match_partners, match_tasks, order_tasks, task_keys
from .merkle import RUN_HEIGHT, root, subtree_roots
from .primitives import SPEC, gc_paused
from .seed import derive_seed, entropy_bytes
from .selection import Ranked, StratumDraw, concat, merge, pack, prefix, rank, unpack
from .tables import Pool, StratumPool, parse_conflicts, parse_roster, pool_lines, scan_candidates
from .textfile import BOM

#: The helper's share of pool.txt. This process also reads the other files and writes
#: result.json, the helper parses the roster again for its matching: about even.
HELPER_SHARE = 0.52
#: Buckets ``0 … LOW - 1`` are sorted here, the others by the helper.
LOW = 112
#: The helper's share of the tasks to match (whole regions).
MATCH_SHARE = 0.5


class _Fallback(Exception):
    """The two-process way cannot go on; the plain functions decide."""


@gc_paused()
def compute_files(files: Mapping[str, bytes]) -> tuple[Params, Commitment, Result]:
    """What ``draw compute`` computes from the bundle's files: parse them all
    (``DRAW_INPUTS`` required), commit, check an existing commitment.json against the
    files, and compute the result. Raises BundleError for the first rule broken."""
    started = _start(files)
    if started is not None:
        params, helper, cut = started
        try:
            return _compute_split(files, params, helper, cut)
        except (_Fallback, EOFError, OSError):
            pass
        finally:
            helper.close()
    bundle = parse_bundle(files, DRAW_INPUTS)
    assert bundle.salt is not None  # required above
    commitment = commit(bundle, bundle.salt)
    if COMMITMENT in files:
        check_commitment(commitment, parse_commitment(files[COMMITMENT]))
    return bundle.params, commitment, compute(bundle)


def _start(files: Mapping[str, bytes]) -> tuple[Params, parallel.Helper, int] | None:
    """The helper, started on the first part of pool.txt, when the pool is large enough."""
    if any(name not in files for name in DRAW_INPUTS):
        return None
    try:
        params = parse_params(files[PARAMS])
    except BundleError:
        return None
    data = files[POOL]
    # v2's withheld.txt is checked against the whole pool: the plain way. The whole-file
    # rules of pool.txt are checked here, the rest by each process on its part.
    if (
        params.spec != SPEC
        or not parallel.may_fork(len(data) // 64)
        or data.startswith(BOM)
        or not data.endswith(b"\n")
        or b"\r" in data
    ):
        return None
    cut = _cut(data, HELPER_SHARE)
    if cut is None:
        return None
    try:
        helper = parallel.Helper(_helper, params, data, cut, files[ROSTER], files[CONFLICTS])
    except OSError:  # no process to spare
        return None
    return params, helper, cut


def _cut(data: bytes, share: float) -> int | None:
    """The offset in ``data`` of the line that starts this process's part: about ``share``
    of the bytes into the file, at a line whose number is a multiple of ``2**RUN_HEIGHT``,
    so that the helper's lines are whole Merkle runs (merkle.subtree_roots)."""
    start = data.rfind(b"\n", 0, int(len(data) * share)) + 1
    extra = data.count(b"\n", 0, start) % (1 << RUN_HEIGHT)
    for _ in range(extra):
        start = data.rfind(b"\n", 0, start - 1) + 1
    return start or None


def _helper(
    channel: parallel.Channel,
    params: Params,
    data: bytes,
    cut: int,
    roster: bytes,
    conflicts: bytes,
) -> None:
    """The helper's side, step by step as the module docstring says."""
    lines = data[:cut].split(b"\n")
    lines.pop()
    strata = scan_candidates(lines, [s.code for s in params.strata])
    if strata is None:
        channel.send(None)
        return
    channel.send(subtree_roots(lines, 0, len(lines), RUN_HEIGHT))
    seed = channel.receive()
    if seed is None:
        return
    runs = {
        s.code: rank(_prefix(seed, params, s.code), strata[s.code].ids, strata[s.code].weights)
        for s in params.strata
    }
    for run in runs.values():  # sorted, our low buckets merge with the caller's in one pass
        for bucket in run[:LOW]:
            bucket.sort()
    channel.send({code: pack(run[:LOW]) for code, run in runs.items()})
    theirs = channel.receive()
    channel.send(
        {
            s.code: merge([runs[s.code], unpack(theirs.pop(s.code), LOW)], s.k, range(LOW, 256))
            for s in params.strata
        }
    )
    del runs
    inspectors = parse_roster(roster).inspectors  # while the caller merges its buckets
    found = parse_conflicts(conflicts)
    # Our selected candidates, as the caller names them: their lines, tasks and task keys.
    wanted: dict[str, list[bytes]] = channel.receive()
    lines = [strata[code].line_of(uid) for code, ids in wanted.items() for uid in ids]
    tasks = [_task(line) for line in lines]
    keys = task_keys(seed, _ids(tasks))
    channel.send(
        {task[0]: (line, key, task) for line, key, task in zip(lines, keys, tasks, strict=True)}
    )
    tasks = channel.receive()
    if tasks is not None:
        channel.send(match_tasks(seed, params.team_size, tasks, inspectors, found))
    # Done: end the process as it is, without freeing a million objects one by one (the
    # caller waits for the helper to end).
    os._exit(0)


def _prefix(seed: bytes, params: Params, code: str) -> Any:
    return prefix(seed, f"{params.draw_id}/{code}")


def _compute_split(
    files: Mapping[str, bytes], params: Params, helper: parallel.Helper, cut: int
) -> tuple[Params, Commitment, Result]:
    data = files[POOL]
    lines = pool_lines(data[cut:])
    if lines is None:
        raise _Fallback
    own = scan_candidates(lines, [s.code for s in params.strata])
    # The ids ascend across the cut as well: the helper's last line against our first.
    last = data[data.rfind(b"\n", 0, cut - 1) + 1 : cut].split(b"|", 1)[0]
    boundary = lines[0].split(b"|", 1)[0] if lines else b""
    if own is None or not last < boundary:
        raise _Fallback
    # pool.txt is valid here if the helper's part is: an error in another file is the
    # first error of the bundle, as parse_bundle would find it.
    bundle = parse_bundle(files, DRAW_INPUTS, pool=Pool(root=b"", strata=own))
    own_roots = subtree_roots(lines, 0, len(lines), RUN_HEIGHT)
    roots = helper.receive()
    if roots is None:
        raise _Fallback
    bundle = replace(bundle, pool=Pool(root=root(roots + own_roots), strata=own))
    assert bundle.salt and bundle.roster and bundle.conflicts and bundle.entropy is not None
    partners = _partner_rosters(bundle)
    commitment = commit(bundle, bundle.salt)
    if COMMITMENT in files:
        check_commitment(commitment, parse_commitment(files[COMMITMENT]))
    seed = derive_seed(
        bundle.salt,
        params.params_hash,
        bundle.pool.root,
        bundle.roster.root,
        bundle.conflicts.root,
        entropy_bytes(bundle.entropy),
    )

    helper.send(seed)
    runs = {
        s.code: rank(_prefix(seed, params, s.code), own[s.code].ids, own[s.code].weights)
        for s in params.strata
    }
    for run in runs.values():  # while the helper may still be at its tickets
        for bucket in run[:LOW]:
            bucket.sort()
    # The helper sends first and we answer, so that neither waits on a full pipe.
    theirs = helper.receive()
    helper.send({code: pack(run[LOW:]) for code, run in runs.items()})
    low = {
        s.code: merge([runs.pop(s.code), unpack(theirs.pop(s.code))], s.k, range(LOW))
        for s in params.strata
    }
    high: dict[str, Ranked] = helper.receive()
    ranked = {s.code: concat([low[s.code], high[s.code]], s.k) for s in params.strata}
    # The selected candidates from the helper's part: it holds their lines, and computes
    # their tasks and task keys while we do ours.
    helper.send(
        {
            code: [uid for uid in map(_uid, drawn.top) if uid < boundary]
            for code, drawn in ranked.items()
        }
    )
    ours = [
        _task(own[code].line_of(uid))
        for code, drawn in ranked.items()
        for uid in map(_uid, drawn.top)
        if uid >= boundary
    ]
    keyed = {
        task[0]: (key, task) for key, task in zip(task_keys(seed, _ids(ours)), ours, strict=True)
    }
    prepared: dict[bytes, tuple[bytes, bytes, Task]] = helper.receive()
    keyed.update((uid, (key, task)) for uid, (_, key, task) in prepared.items())
    strata = [
        StratumDraw(
            code=s.code, k=s.k, ranked=ranked[s.code], line_of=_lines(prepared, own[s.code])
        )
        for s in params.strata
    ]
    selected = [keyed[uid] for stratum in strata for uid in stratum.selected_ids()]
    tasks = order_tasks(seed, [task for _, task in selected], [key for key, _ in selected])
    mine, others = _share(tasks)
    helper.send([tasks[index] for index in others])
    teams: list[Any] = [None] * len(tasks)
    done = match_tasks(
        seed,
        params.team_size,
        [tasks[index] for index in mine],
        bundle.roster.inspectors,
        bundle.conflicts,
    )
    for index, team in zip(mine, done, strict=True):
        teams[index] = team
    for index, team in zip(others, helper.receive(), strict=True):
        teams[index] = team
    matching = Matching(
        units=[task[0] for task in tasks],
        teams=teams,
        partners=match_partners(seed, tasks, bundle.conflicts, partners),
    )
    return (
        params,
        commitment,
        Result(
            draw_id=params.draw_id, seed=seed, strata=strata, matching=matching, spec=params.spec
        ),
    )


def _share(tasks: list[Task]) -> tuple[list[int], list[int]]:
    """The tasks (their indices, in task order) matched here and by the helper: whole
    regions, the largest first, about ``MATCH_SHARE`` of the tasks to the helper."""
    regions: dict[bytes, list[int]] = {}
    for index, task in enumerate(tasks):
        regions.setdefault(task[1], []).append(index)
    mine: list[int] = []
    theirs: list[int] = []
    for indices in sorted(regions.values(), key=len, reverse=True):
        if len(theirs) * (1 - MATCH_SHARE) <= len(mine) * MATCH_SHARE:
            theirs += indices
        else:
            mine += indices
    return sorted(mine), sorted(theirs)


def _uid(ranked: bytes) -> bytes:
    return ranked[32:]


def _ids(tasks: list[Task]) -> list[bytes]:
    return [task[0] for task in tasks]


def _task(line: bytes) -> Task:
    uid, _, region, _, _, tags, _ = line.split(b"|")
    return uid, region, tags


def _lines(
    prepared: dict[bytes, tuple[bytes, Any, Any]], own: StratumPool
) -> Callable[[bytes], bytes]:
    def line_of(uid: bytes) -> bytes:
        ready = prepared.get(uid)
        return own.line_of(uid) if ready is None else ready[0]

    return line_of
