"""The fast draw engine equals the specification read word for word (issue 21 §7).

The engine batches its hashes, splits the pool's Merkle tree between two processes, merges
sorted halves and writes result.json a column at a time, all for speed. Here a reference
implementation follows docs/draw-spec.md line by line, with none of that: every hash on its
own, the tree by its recursive definition, ``pick`` as a minimum over plain sets and the
output through ``json.dumps``. On random bundles, with the batches cut small, the helper
process forced on or off and the tree cut at random places, both must give the same bytes.
"""

from __future__ import annotations

import hmac
import json
import random
import unicodedata
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.draw import (
    DRAW_INPUTS,
    Candidate,
    EntropyValue,
    Inspector,
    Source,
    compute,
    dumps,
    parallel,
    parse_bundle,
    primitives,
    render_conflicts,
    render_entropy,
    render_params,
    render_pool,
    render_roster,
    tables,
)
from shuangsuiji.draw.merkle import block_height, mth, root, subtree_roots
from shuangsuiji.draw.primitives import H, digests, sha256

DOMAIN = b"SHUANGSUIJI-DRAW-v1"
ID_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXYabcxyz_-"
TAGS = ["水", "大气", "危废", "辐射", "噪声"]
REGIONS = ["130182", "东城中队", "R-3"]
SOURCES = [Source(type="lottery", label="双色球 2026045 期"), Source(type="witness", label="甲")]


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def lp(data: bytes) -> bytes:
    return u32(len(data)) + data


def txt(text: str) -> bytes:
    return unicodedata.normalize("NFC", text.strip()).encode("utf-8")


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1: split at the largest power of two below n."""
    if not leaves:
        return H(b"")
    if len(leaves) == 1:
        return H(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return H(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:]))


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def reference_result(files: dict[str, bytes]) -> dict:
    """result.json of a v1 bundle without partners, computed as docs/draw-spec.md says."""
    params = json.loads(files["params.json"])
    pool = [line.decode().split("|") for line in _lines(files["pool.txt"])]
    roster = [line.decode().split("|") for line in _lines(files["roster.txt"])]
    conflicts = {tuple(line.decode().split("|")) for line in _lines(files["conflicts.txt"])}
    values = json.loads(files["entropy.json"])["values"]
    entropy = b"".join(
        lp(txt(v["type"])) + lp(txt(v["label"])) + lp(txt(v["value"])) for v in values
    )
    salt = bytes.fromhex(files["salt.hex"].decode()[:64])
    message = (
        DOMAIN
        + lp(H(files["params.json"]))
        + lp(reference_mth(_lines(files["pool.txt"])))
        + lp(reference_mth(_lines(files["roster.txt"])))
        + lp(reference_mth(_lines(files["conflicts.txt"])))
        + lp(entropy)
    )
    seed = hmac.new(salt, message, "sha256").digest()

    strata, tasks = [], []
    for stratum in params["strata"]:
        code, k = stratum["code"], stratum["k"]
        label = txt(f"{params['draw_id']}/{code}")
        eligible = [c for c in pool if c[1] == code and c[4] == "1"]
        keys = {
            c[0]: max(
                H(DOMAIN + b"SEL" + seed + lp(label) + lp(c[0].encode()) + u32(j))
                for j in range(1, int(c[3]) + 1)
            )
            for c in eligible
        }
        ranked = sorted(keys, key=str.encode)  # id ascending, then (stably) key descending
        ranked.sort(key=keys.__getitem__, reverse=True)
        selected = ranked[:k]
        strata.append(
            {
                "code": code,
                "k": k,
                "eligible": len(eligible),
                "selected": [{"id": uid, "key": keys[uid].hex()} for uid in selected],
                "reserve": ranked[len(selected) :],
                "shortfall": k - len(selected),
            }
        )
        tasks += [c for c in pool if c[0] in selected]

    tasks.sort(key=lambda c: (H(DOMAIN + b"TASK" + seed + lp(c[0].encode())), c[0].encode()))
    load = {i[0]: int(i[4]) for i in roster}
    info = {i[0]: (i[1], i[2] == "1", set(i[3].split(",")) - {""}, int(i[5])) for i in roster}

    def pick(candidates: set[str]) -> str:
        return min(
            candidates,
            key=lambda i: (
                load[i],
                H(DOMAIN + b"INSP" + seed + lp(i.encode()) + u32(load[i])),
                i.encode(),
            ),
        )

    def having(tags: set[str], among: set[str]) -> set[str]:
        return {i for i in among if info[i][2] & tags}

    assignments = []
    for unit, _, region, _, _, tag_field, _ in tasks:
        required = set(tag_field.split(",")) - {""}
        available = {
            i
            for i, (home, _, _, cap) in info.items()
            if home == region and load[i] < cap and (i, unit) not in conflicts
        }
        seniors = {i for i in available if info[i][1]}
        if not seniors:
            assignments.append({"unit": unit, "team": [], "flags": ["NO_SENIOR"]})
            continue
        flags = []
        if required and having(required, seniors):
            team = [pick(having(required, seniors))]
        else:
            team = [pick(seniors)]
            if required:
                flags.append("LEAD_WITHOUT_TAG")
        while len(team) < params["team_size"]:
            missing = required - set().union(*(info[i][2] for i in team))
            rest = available - set(team)
            juniors = {i for i in rest if not info[i][1]}
            tiers = [having(missing, juniors), having(missing, rest)] if missing else []
            tier = next((t for t in [*tiers, juniors, rest] if t), None)
            if tier is None:
                flags.append("TEAM_INCOMPLETE")
                team = []
                break
            team.append(pick(tier))
        if team:
            if required - set().union(*(info[i][2] for i in team)):
                flags.append("TAGS_UNCOVERED")
            for i in team:
                load[i] += 1
        assignments.append({"unit": unit, "team": team, "flags": flags})
    return {
        "spec": params["spec"],
        "draw_id": params["draw_id"],
        "seed": seed.hex(),
        "strata": strata,
        "assignments": assignments,
    }


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, bytes]:
    """Ids of every length and alphabet the spec allows, heavy weights, tags, caps, 回避."""
    codes = [f"S{i}" for i in range(draw(st.integers(1, 3)))]
    regions = REGIONS[: draw(st.integers(1, 2))]
    ids = draw(st.lists(st.text(ID_CHARS, min_size=1, max_size=64), max_size=50, unique=True))
    candidates = []
    for uid in ids:
        eligible = draw(st.integers(0, 5)) > 0
        candidates.append(
            Candidate(
                id=uid,
                stratum=draw(st.sampled_from(codes)),
                region=draw(st.sampled_from(regions)),
                weight=draw(st.integers(1, 6) | st.sampled_from([1, 37, 1000])),
                eligible=eligible,
                tags=draw(st.sets(st.sampled_from(TAGS), max_size=3)),
                reason="" if eligible else "停产",
            )
        )
    names = draw(st.lists(st.text(ID_CHARS, min_size=1, max_size=12), max_size=24, unique=True))
    inspectors = [
        Inspector(
            id=name,
            region=draw(st.sampled_from(regions)),
            senior=draw(st.booleans()),
            tags=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=3))),
            load=draw(st.integers(0, 4)),
            cap=draw(st.integers(0, 7)),
        )
        for name in names
    ]
    pairs = (
        draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(ids)), max_size=20))
        if names and ids
        else []
    )
    return {
        "params.json": render_params(
            draw_id=draw(st.text(ID_CHARS + ".", min_size=1, max_size=64)),
            team_size=draw(st.integers(2, 3)),
            strata=[{"code": c, "k": draw(st.integers(0, len(ids) + 1))} for c in codes],
            sources=SOURCES,
            committed_at="2026-04-01T09:00:00+08:00",
        ),
        "pool.txt": render_pool(candidates),
        "roster.txt": render_roster(inspectors),
        "conflicts.txt": render_conflicts(pairs),
        "entropy.json": render_entropy(
            [
                EntropyValue(type=s.type, label=s.label, value=f"{n}./")
                for n, s in enumerate(SOURCES)
            ]
        ),
        "salt.hex": draw(st.binary(min_size=32, max_size=32)).hex().encode() + b"\n",
    }


@settings(max_examples=80, deadline=None)
@given(
    files=bundles(),
    batch=st.sampled_from([1, 2, 3, 7, primitives.BATCH]),
    share=st.sampled_from([0.0, 0.3, tables.HELPER_SHARE, 1.0]),
    fork=st.booleans(),
)
def test_engine_equals_the_specification(
    files: dict[str, bytes], batch: int, share: float, fork: bool
) -> None:
    """Selection, seed and matching of the engine are those of the spec's text, byte for
    byte in result.json, however the work is cut into batches and shared between processes
    (issue 21 §7: the draw made faster, same bytes out)."""
    expected = reference_result(files)
    with (
        mock.patch.object(primitives, "BATCH", batch),
        mock.patch.object(tables, "HELPER_SHARE", share),
        mock.patch.object(parallel, "may_fork", return_value=fork),
    ):
        result = compute(parse_bundle(files, DRAW_INPUTS)).as_dict()
    assert result == expected
    assert dumps(result) == (json.dumps(expected, ensure_ascii=False, indent=2) + "\n").encode()


def _county(rng: random.Random) -> dict[str, bytes]:
    """A busy county in miniature: every region has seniors and juniors of every tag, so
    that each rule of the matching (tiers, ties of load, caps, 回避) decides some teams."""
    regions = REGIONS[: rng.randint(1, 2)]
    codes = ["KEY", "GEN"]
    ids = sorted({"".join(rng.choices(ID_CHARS, k=rng.randint(1, 20))) for _ in range(150)})
    candidates = [
        Candidate(
            id=uid,
            stratum=rng.choice(codes),
            region=rng.choice(regions),
            weight=rng.choice([1, 1, 1, 2, 3, 50]),
            eligible=rng.random() > 0.1,
            tags=rng.sample(TAGS, rng.randint(0, 3)),
            reason="",
        )
        for uid in ids
    ]
    candidates = [
        c if c.eligible else Candidate(**{**vars(c), "reason": "停产"}) for c in candidates
    ]
    inspectors = [
        Inspector(
            id=f"{n:05d}",
            region=rng.choice(regions),
            senior=rng.random() < 0.4,
            tags=frozenset(rng.sample(TAGS, rng.randint(0, 2))),
            load=rng.randint(0, 2),
            cap=rng.randint(0, 6),
        )
        for n in range(rng.randint(10, 40))
    ]
    pairs = [(rng.choice(inspectors).id, rng.choice(ids)) for _ in range(30)]
    return {
        "params.json": render_params(
            draw_id=f"C-{rng.randint(1, 99)}",
            team_size=rng.choice([2, 2, 3]),
            strata=[{"code": code, "k": rng.randint(5, 60)} for code in codes],
            sources=SOURCES,
            committed_at="2026-04-01T09:00:00+08:00",
        ),
        "pool.txt": render_pool(candidates),
        "roster.txt": render_roster(inspectors),
        "conflicts.txt": render_conflicts(pairs),
        "entropy.json": render_entropy(
            [EntropyValue(type=s.type, label=s.label, value="7./") for s in SOURCES]
        ),
        "salt.hex": rng.randbytes(32).hex().encode() + b"\n",
    }


def test_busy_counties_equal_the_specification() -> None:
    """Twenty fixed random counties where the matching has choices to make at every task:
    the engine's teams and flags are the spec's (issue 21 §7)."""
    for number in range(20):
        files = _county(random.Random(number))
        assert compute(parse_bundle(files, DRAW_INPUTS)).as_dict() == reference_result(files)


@given(st.lists(st.binary(max_size=70), max_size=300), st.integers(0, 5), st.data())
def test_merkle_root_from_subtrees_of_any_cut(
    leaves: list[bytes], height: int, data: st.DataObject
) -> None:
    """The pool's Merkle root computed in two ranges (one per process) is RFC 6962's MTH,
    wherever the ranges meet on a run boundary."""
    runs = len(leaves) >> height
    cut = data.draw(st.integers(0, runs)) << height
    first = subtree_roots(leaves, 0, cut, height)
    rest = subtree_roots(leaves, cut, len(leaves), height)
    assert root(first + rest) == mth(leaves) == reference_mth(leaves)


def test_block_height_cuts_a_million_lines_into_runs() -> None:
    """About 64 runs for a large pool; single leaves for a small one."""
    assert 1_000_000 >> block_height(1_000_000) in range(64, 129)
    assert block_height(12) == 0


@given(
    st.binary(max_size=90),
    st.lists(st.tuples(st.binary(max_size=40), st.binary(max_size=40)), max_size=30),
    st.sampled_from([1, 2, 5, 4096]),
)
def test_batched_digests_equal_one_hash_each(
    prefix: bytes, pairs: list[tuple[bytes, bytes]], batch: int
) -> None:
    lefts, rights = [a for a, _ in pairs], [b for _, b in pairs]
    with mock.patch.object(primitives, "BATCH", batch):
        assert digests(sha256(prefix), lefts, rights) == [H(prefix + a + b) for a, b in pairs]


TEXT = st.text(st.characters(codec="utf-8"), max_size=6) | st.sampled_from(['"', "\\", "\x1f"])


@given(
    st.lists(TEXT, min_size=60, max_size=120)
    | st.lists(st.text(ID_CHARS, max_size=20), min_size=60, max_size=120),
    st.lists(
        st.fixed_dictionaries(
            {"unit": TEXT, "team": st.lists(TEXT, max_size=3), "flags": st.lists(TEXT, max_size=2)}
        ),
        max_size=8,
    ),
    st.lists(st.fixed_dictionaries({"id": TEXT, "n": st.integers()}), max_size=5),
)
def test_long_lists_and_rows_of_objects_are_standard_json(
    strings: list[str], rows: list[dict], mixed: list[dict]
) -> None:
    """The quick paths of dumps (a reserve of many ids, assignments and selected items as
    rows with the same keys) write exactly json.dumps(indent=2)."""
    value = {"reserve": strings, "assignments": rows, "selected": mixed, "more": [*rows, 1]}
    assert dumps(value) == (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()
