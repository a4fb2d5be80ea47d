"""Properties of the draw on random small bundles (BD-3.3 以老带新, JX-6.4 回避, GC-2.1 tags)."""

from __future__ import annotations

import json
from collections import Counter
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.draw import (
    DRAW_INPUTS,
    Candidate,
    EntropyValue,
    Inspector,
    Source,
    commit,
    compute,
    dumps,
    parallel,
    parse_bundle,
    render_conflicts,
    render_entropy,
    render_params,
    render_pool,
    render_roster,
    verify,
)
from shuangsuiji.draw.matching import NO_SENIOR, TEAM_INCOMPLETE
from shuangsuiji.draw.merkle import mth
from shuangsuiji.draw.primitives import H

TAGS = ["水", "大气", "危废", "辐射", "噪声"]
REGIONS = ["130182", "东城中队", "R-3"]
REASONS = ["年度已检查2次", "停产", "上级已检查未发现问题"]
SOURCES = [Source(type="lottery", label="双色球 2026045 期"), Source(type="witness", label="甲")]


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, bytes]:
    codes = [f"S{i}" for i in range(draw(st.integers(1, 4)))]
    regions = REGIONS[: draw(st.integers(1, 3))]
    ids = draw(
        st.lists(st.text("0123456789ABCXYZabc_-", min_size=1, max_size=8), max_size=60, unique=True)
    )
    candidates = []
    for uid in ids:
        eligible = draw(st.integers(0, 4)) > 0
        candidates.append(
            Candidate(
                id=uid,
                stratum=draw(st.sampled_from(codes)),
                region=draw(st.sampled_from(regions)),
                weight=draw(st.integers(1, 5)),
                eligible=eligible,
                tags=draw(st.sets(st.sampled_from(TAGS), max_size=3)),
                reason="" if eligible else draw(st.sampled_from(REASONS)),
            )
        )
    names = draw(st.lists(st.text("0123456789", min_size=1, max_size=6), max_size=15, unique=True))
    inspectors = [
        Inspector(
            id=name,
            region=draw(st.sampled_from(regions)),
            senior=draw(st.booleans()),
            tags=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=3))),
            load=draw(st.integers(0, 6)),
            cap=draw(st.integers(0, 8)),
        )
        for name in names
    ]
    pairs = (
        draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(ids)), max_size=25))
        if names and ids
        else []
    )
    strata = [{"code": code, "k": draw(st.integers(0, len(ids) + 2))} for code in codes]
    values = [
        EntropyValue(
            type=s.type,
            label=s.label,
            value=draw(st.text("0123456789./ ", min_size=1, max_size=12).filter(str.strip)),
        )
        for s in SOURCES
    ]
    return {
        "params.json": render_params(
            draw_id="T-1",
            team_size=draw(st.integers(2, 3)),
            strata=strata,
            sources=SOURCES,
            committed_at="2026-04-01T09:00:00+08:00",
        ),
        "pool.txt": render_pool(candidates),
        "roster.txt": render_roster(inspectors),
        "conflicts.txt": render_conflicts(pairs),
        "entropy.json": render_entropy(values),
        "salt.hex": draw(st.binary(min_size=32, max_size=32)).hex().encode() + b"\n",
    }


def _check(files: dict[str, bytes]) -> None:
    bundle = parse_bundle(files, DRAW_INPUTS)
    result = compute(bundle)
    data = result.as_dict()
    assert compute(parse_bundle(files, DRAW_INPUTS)).as_dict() == data  # deterministic

    params = json.loads(files["params.json"])
    pool = [line.split("|") for line in files["pool.txt"].decode().splitlines()]
    eligible = {
        code["code"]: {c[0] for c in pool if c[1] == code["code"] and c[4] == "1"}
        for code in params["strata"]
    }
    units = {c[0]: c for c in pool}
    selected_all = []
    for stratum, wanted in zip(data["strata"], params["strata"], strict=True):
        code, k = wanted["code"], wanted["k"]
        selected = [item["id"] for item in stratum["selected"]]
        assert stratum["code"] == code and stratum["k"] == k
        assert len(selected) == min(k, len(eligible[code])) <= k
        assert stratum["shortfall"] == k - len(selected)
        drawn = selected + stratum["reserve"]
        assert len(drawn) == len(set(drawn))  # no duplicates
        assert set(drawn) == eligible[code]  # ineligible never selected nor reserved
        assert stratum["eligible"] == len(eligible[code])
        selected_all += selected

    roster = {
        line.split("|")[0]: line.split("|") for line in files["roster.txt"].decode().splitlines()
    }
    conflicts = {tuple(line.split("|")) for line in files["conflicts.txt"].decode().splitlines()}
    assert sorted(a["unit"] for a in data["assignments"]) == sorted(selected_all)
    assigned = Counter()
    for assignment in data["assignments"]:
        unit, team, flags = units[assignment["unit"]], assignment["team"], assignment["flags"]
        if not team:
            assert flags[-1] in (NO_SENIOR, TEAM_INCOMPLETE)  # BD-3.3: no team without a lead
            continue
        assert NO_SENIOR not in flags and TEAM_INCOMPLETE not in flags
        assert len(team) == len(set(team)) == params["team_size"]
        assert roster[team[0]][2] == "1"  # 以老带新: a senior leads
        for member in team:
            assert roster[member][1] == unit[2]  # same region as the task
            assert (member, unit[0]) not in conflicts  # JX-6.4 回避
        assigned.update(team)
    for name, row in roster.items():
        load, cap = int(row[4]), int(row[5])
        if load >= cap:
            assert assigned[name] == 0  # unavailable inspectors are never used
        else:
            assert load + assigned[name] <= cap

    published = {
        **files,
        "commitment.json": dumps(
            commit(bundle, bytes.fromhex(files["salt.hex"][:64].decode())).as_dict()
        ),
        "result.json": dumps(data),
    }
    assert verify(published).ok


@settings(max_examples=150, deadline=None)
@given(bundles())
def test_draw_properties(files: dict[str, bytes]) -> None:
    """Determinism; per stratum min(k, |E|) selected, none ineligible, selected + reserve = E;
    loads within caps; no conflicted pair; every team led by a senior of the task's region."""
    _check(files)


@settings(max_examples=15, deadline=None)
@given(bundles())
def test_forked_helpers_agree(files: dict[str, bytes]) -> None:
    """Computing in a second process gives the same result as computing in one."""
    single = compute(parse_bundle(files, DRAW_INPUTS)).as_dict()
    with mock.patch.object(parallel, "may_fork", return_value=True):
        assert compute(parse_bundle(files, DRAW_INPUTS)).as_dict() == single


def _mth_reference(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1, word for word."""
    if not leaves:
        return H(b"")
    if len(leaves) == 1:
        return H(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return H(b"\x01" + _mth_reference(leaves[:k]) + _mth_reference(leaves[k:]))


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_merkle_root_is_rfc6962(leaves: list[bytes]) -> None:
    assert mth(leaves) == _mth_reference(leaves)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    )
)
def test_json_output_is_standard_indentation(value: object) -> None:
    """dumps() writes exactly json.dumps(value, ensure_ascii=False, indent=2) plus a newline."""
    assert dumps(value) == (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()
