"""Properties of the partner matching (部门联合) on random small joint draws: each department's
teams respect its caps, regions (``*`` serving all), 回避 and 以老带新, never touch the bureau's
teams, and are reproducible and verifiable (获嘉 二、（三）, 绛县 三、5, JX-6.4 回避)."""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.draw import (
    ANY_REGION,
    DRAW_INPUTS,
    Inspector,
    Partner,
    Source,
    commit,
    compute,
    dumps,
    parse_bundle,
    partner_file,
    render_conflicts,
    render_params,
    render_roster,
    verify,
)
from shuangsuiji.draw.matching import NO_SENIOR, TEAM_INCOMPLETE, match
from tests.draw.test_draw_properties import TAGS, bundles

CODES = ["ZJ", "SL", "SJ"]


def _lines(data: bytes) -> list[list[str]]:
    return [line.split("|") for line in data.decode().splitlines()]


def _params(files: dict[str, bytes], partners: list[Partner]) -> bytes:
    doc = json.loads(files["params.json"])
    return render_params(
        draw_id=doc["draw_id"],
        team_size=doc["team_size"],
        strata=doc["strata"],
        sources=[Source(**source) for source in doc["sources"]],
        committed_at=doc["committed_at"],
        partners=partners,
    )


@st.composite
def joint_bundles(draw: st.DrawFn) -> dict[str, bytes]:
    """A random bundle of test_draw_properties with one to three partner departments."""
    files = draw(bundles())
    regions = sorted({line[2] for line in _lines(files["pool.txt"])}) or ["130182"]
    units = [line[0] for line in _lines(files["pool.txt"])]
    pairs = [tuple(line) for line in _lines(files["conflicts.txt"])]
    partners = [
        Partner(code=code, name=f"{code} 局", team_size=draw(st.integers(1, 3)))
        for code in CODES[: draw(st.integers(1, 3))]
    ]
    for partner in partners:
        # Letters first: the bureau's ids are digits only, so no one is on two rosters.
        ids = [f"{partner.code}{n}" for n in range(draw(st.integers(0, 8)))]
        inspectors = [
            Inspector(
                id=uid,
                region=draw(st.sampled_from([*regions, ANY_REGION])),
                senior=draw(st.booleans()),
                tags=frozenset(draw(st.sets(st.sampled_from(TAGS), max_size=2))),
                load=draw(st.integers(0, 4)),
                cap=draw(st.integers(0, 6)),
            )
            for uid in ids
        ]
        files[partner_file(partner.code)] = render_roster(inspectors)
        if ids and units:
            pairs += draw(
                st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(units)), max_size=8)
            )
    files["conflicts.txt"] = render_conflicts(pairs)
    files["params.json"] = _params(files, partners)
    return files


def _salt(files: dict[str, bytes]) -> bytes:
    return bytes.fromhex(files["salt.hex"][:64].decode())


def _check(files: dict[str, bytes]) -> None:
    bundle = parse_bundle(files, DRAW_INPUTS)
    result = compute(bundle)
    data = result.as_dict()
    assert compute(parse_bundle(files, DRAW_INPUTS)).as_dict() == data  # deterministic

    # The bureau's part is exactly what the matching gives without partners.
    assert bundle.roster is not None and bundle.conflicts is not None
    units = [unit for stratum in result.strata for unit in stratum.selected]
    alone = match(
        result.seed, bundle.params.team_size, units, bundle.roster.inspectors, bundle.conflicts
    )
    assert [{k: a[k] for k in ("unit", "team", "flags")} for a in data["assignments"]] == [
        a.as_dict() for a in alone
    ]

    region = {line[0]: line[2] for line in _lines(files["pool.txt"])}
    conflicts = {tuple(line) for line in _lines(files["conflicts.txt"])}
    for partner in bundle.params.partners:
        roster = {line[0]: line for line in _lines(files[partner_file(partner.code)])}
        assigned: Counter[str] = Counter()
        for assignment in data["assignments"]:
            unit = assignment["unit"]
            own = assignment["partners"][partner.code]
            team, flags = own["team"], own["flags"]
            if not team:
                wanted = TEAM_INCOMPLETE if partner.team_size == 1 else (NO_SENIOR, TEAM_INCOMPLETE)
                assert len(flags) == 1 and flags[0] in wanted
                continue
            assert flags == []  # R = ∅: no tag flags for a partner
            assert len(team) == len(set(team)) == partner.team_size
            if partner.team_size > 1:
                assert roster[team[0]][2] == "1"  # 以老带新
            for member in team:
                assert roster[member][1] in (region[unit], ANY_REGION)
                assert (member, unit) not in conflicts  # 回避
                assert member not in assignment["team"]  # one person, one department
            for other in bundle.params.partners:
                if other.code != partner.code:
                    assert not set(team) & set(assignment["partners"][other.code]["team"])
            assigned.update(team)
        for name, line in roster.items():
            load, cap = int(line[4]), int(line[5])
            assert load + assigned[name] <= max(cap, load)  # within cap; unavailable never used
            if load >= cap:
                assert assigned[name] == 0

    published = {
        **files,
        "commitment.json": dumps(commit(bundle, _salt(files)).as_dict()),
        "result.json": dumps(data),
    }
    assert verify(published).ok


@settings(max_examples=120, deadline=None)
@given(joint_bundles())
def test_partner_matching_properties(files: dict[str, bytes]) -> None:
    """Determinism; the bureau's teams untouched; per department: team size, senior lead when
    two or more, region or ``*``, 回避, loads within caps; nobody in two teams of one unit; the
    published bundle verifies."""
    _check(files)


@settings(max_examples=60, deadline=None)
@given(joint_bundles(), st.data())
def test_a_changed_partner_roster_changes_only_its_root_and_its_teams(
    files: dict[str, bytes], data: st.DataObject
) -> None:
    """After the commit nobody can swap a department's roster unseen: the change shows in
    partner_rosters, and the seed, the selection and the bureau's teams stay what they were."""
    bundle = parse_bundle(files, DRAW_INPUTS)
    partner = data.draw(st.sampled_from(bundle.params.partners))
    name = partner_file(partner.code)
    changed = {**files, name: files[name] + f"{partner.code}X|130182|1||0|1\n".encode()}
    before = commit(bundle, _salt(files)).as_dict()
    after = commit(parse_bundle(changed, DRAW_INPUTS), _salt(files)).as_dict()
    assert after["partner_rosters"][partner.code] != before["partner_rosters"][partner.code]
    assert {**after, "partner_rosters": None} == {**before, "partner_rosters": None}
    old, new = compute(bundle), compute(parse_bundle(changed, DRAW_INPUTS))
    assert new.seed == old.seed
    assert [s.as_dict() for s in new.strata] == [s.as_dict() for s in old.strata]
    assert [(a.unit, a.team, a.flags) for a in new.assignments] == [
        (a.unit, a.team, a.flags) for a in old.assignments
    ]
    published = {
        **changed,
        "commitment.json": dumps(before),  # the commitment made before the swap
        "result.json": dumps(new.as_dict()),
    }
    assert not verify(published).ok


@settings(max_examples=60, deadline=None)
@given(joint_bundles())
def test_without_partners_a_draw_writes_what_it_always_wrote(files: dict[str, bytes]) -> None:
    """Remove the partners (params key and files) and nothing of this extension is left: the
    commitment has the seven keys of the specification, each assignment unit, team and flags,
    and params.json is what render_params wrote before partners existed."""
    stripped = {k: v for k, v in files.items() if not k.startswith("partner-")}
    stripped["params.json"] = _params(files, [])
    assert b"partners" not in stripped["params.json"]
    bundle = parse_bundle(stripped, DRAW_INPUTS)
    assert list(commit(bundle, _salt(files)).as_dict()) == [
        "spec",
        "draw_id",
        "params_hash",
        "pool_root",
        "roster_root",
        "conflicts_root",
        "salt_commit",
    ]
    result = compute(bundle).as_dict()
    assert all(list(a) == ["unit", "team", "flags"] for a in result["assignments"])
