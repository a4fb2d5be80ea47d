"""``draw compute`` on two cores gives the bytes and the errors of the plain functions
(issue 21 §7: compute within reach of the bare-hash floor, same bytes out).

``pipeline.compute_files`` forks a helper that takes the first part of pool.txt through the
checks, the Merkle runs and the tickets, sorts half of every stratum's key buckets and matches
the tasks of about half of the regions. Here it is forced onto small bundles, with Merkle runs
of one to four lines, the pool cut anywhere and the buckets split anywhere, and compared with
``parse_bundle``, ``commit`` and ``compute`` and with the reference implementation that
follows docs/draw-spec.md word for word (test_draw_reference.py).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.draw import (
    COMMIT_INPUTS,
    DRAW_INPUTS,
    BundleError,
    commit,
    compute,
    dumps,
    parallel,
    parse_bundle,
    pipeline,
    tables,
)
from shuangsuiji.draw.engine import Result
from shuangsuiji.draw.pipeline import compute_files
from tests.draw.drawkit import copy_vector, run_cli, vector_files
from tests.draw.test_draw_partner_properties import joint_bundles
from tests.draw.test_draw_reference import _county, bundles, reference_result
from tests.draw.test_draw_validation import CASES
from tests.draw.test_draw_vector_v2 import v2_files

HEIGHTS = st.sampled_from([0, 1, 2])
SHARES = st.sampled_from([0.05, 0.3, 0.5, 0.8, 0.97])
LOWS = st.sampled_from([0, 1, 100, 128, 255, 256])


@contextmanager
def forced(height: int = 0, share: float = 0.5, low: int = 128) -> Iterator[mock.MagicMock]:
    """The two-process way on any bundle; yields a spy on it, to tell whether it ran."""
    with (
        mock.patch.object(parallel, "may_fork", return_value=True),
        mock.patch.object(pipeline, "RUN_HEIGHT", height),
        mock.patch.object(pipeline, "HELPER_SHARE", share),
        mock.patch.object(pipeline, "LOW", low),
        mock.patch.object(pipeline, "_compute_split", wraps=pipeline._compute_split) as spy,
    ):
        yield spy


def plain(files: dict[str, bytes]) -> tuple[object, Result]:
    bundle = parse_bundle(files, DRAW_INPUTS)
    assert bundle.salt is not None
    return commit(bundle, bundle.salt), compute(bundle)


def standard(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


@settings(max_examples=60, deadline=None)
@given(files=bundles(), height=HEIGHTS, share=SHARES, low=LOWS)
def test_two_processes_equal_the_specification(
    files: dict[str, bytes], height: int, share: float, low: int
) -> None:
    """Seed, selection and matching on two cores are the spec's, byte for byte in
    result.json, wherever the pool and the buckets are cut."""
    expected = reference_result(files)
    with forced(height, share, low):
        _, commitment, result = compute_files(files)
    assert result.dumps() == standard(expected)
    assert result.as_dict() == expected
    bundle = parse_bundle(files, COMMIT_INPUTS)
    assert commitment == commit(bundle, bytes.fromhex(files["salt.hex"][:64].decode()))


def test_busy_counties_take_the_two_process_way_and_equal_the_specification() -> None:
    """Twenty fixed counties, each cut in two: the helper's part and ours meet in the seed,
    in every stratum's order and in the teams."""
    for number in range(20):
        files = _county(random.Random(number))
        rng = random.Random(-number)
        with forced(rng.choice([0, 1, 2]), rng.uniform(0.2, 0.8), rng.choice([1, 64, 128])) as spy:
            _, _, result = compute_files(files)
        assert spy.called
        assert result.dumps() == standard(reference_result(files))


@settings(max_examples=40, deadline=None)
@given(files=joint_bundles(), height=HEIGHTS, share=SHARES, low=LOWS)
def test_joint_draws_on_two_processes_equal_the_plain_functions(
    files: dict[str, bytes], height: int, share: float, low: int
) -> None:
    """部门联合: the partner teams come out as from compute()."""
    _, expected = plain(files)
    with forced(height, share, low):
        _, _, result = compute_files(files)
    assert result.dumps() == dumps(expected.as_dict()) == expected.dumps()
    assert result.as_dict() == expected.as_dict()


def test_a_v2_draw_takes_the_plain_way_and_writes_the_same_bytes() -> None:
    """v2 checks withheld.txt against the whole pool: compute_files leaves it to compute()."""
    files = v2_files()
    _, expected = plain(files)
    with forced() as spy:
        _, _, result = compute_files(files)
    assert not spy.called
    assert result.dumps() == dumps(expected.as_dict())


# Where the pool is cut matters for pool.txt: its broken line falls in the helper's part or
# in ours. For the other files one cut will do.
ERRORS = [
    (f"{name}-{share}", file, edit, share)
    for name, file, edit, _, _ in CASES
    for share in ([0.02, 0.6] if file == "pool.txt" else [0.5])
]


@pytest.mark.parametrize(
    ("file", "edit", "share"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_two_processes_name_the_error_the_plain_functions_name(
    file: str, edit: object, share: float
) -> None:
    """Every rule the validation tests break, wherever the pool is cut: the same file, place
    and message, however the helper's part and ours split the error."""
    files = vector_files(without=["commitment.json", "result.json"])
    if edit is None:
        del files[file]
    else:
        files[file] = edit(files[file])  # type: ignore[operator]
    with pytest.raises(BundleError) as wanted:
        parse_bundle(files, DRAW_INPUTS)
    with forced(share=share), pytest.raises(BundleError) as found:
        compute_files(files)
    assert (found.value.file, found.value.where, found.value.message) == (
        wanted.value.file,
        wanted.value.where,
        wanted.value.message,
    )


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_ids_out_of_order_across_the_cut_are_refused(share: float) -> None:
    """Each process sees its own part sorted; the two lines around the cut are not."""
    files = vector_files(without=["commitment.json", "result.json"])
    pool = files["pool.txt"]
    with forced(share=share):
        cut = pipeline._cut(pool, share)
    assert cut is not None
    lines = pool.split(b"\n")
    last, first = pool.count(b"\n", 0, cut) - 1, pool.count(b"\n", 0, cut)  # around the cut
    a, b = lines[last].split(b"|", 1), lines[first].split(b"|", 1)
    assert len(a[0]) == len(b[0])  # swapping the ids keeps every line's length, and the cut
    lines[last], lines[first] = b"|".join([b[0], a[1]]), b"|".join([a[0], b[1]])
    files["pool.txt"] = b"\n".join(lines)
    with pytest.raises(BundleError) as wanted:
        parse_bundle(files, DRAW_INPUTS)
    with forced(share=share), pytest.raises(BundleError) as found:
        compute_files(files)
    assert (found.value.where, found.value.message) == (wanted.value.where, wanted.value.message)
    assert "未按字节升序排列" in found.value.message


def test_a_disagreeing_commitment_stops_both_ways_alike() -> None:
    files = vector_files(without=["result.json"])
    files["commitment.json"] = files["commitment.json"].replace(
        b'"pool_root": "166c', b'"pool_root": "0000'
    )
    with forced() as spy, pytest.raises(BundleError) as found:
        compute_files(files)
    assert spy.called
    assert (found.value.file, found.value.where) == ("commitment.json", "键 pool_root")


def test_a_helper_that_dies_leaves_the_work_to_this_process() -> None:
    """Killed, out of memory, whatever: the plain functions compute the same result."""
    files = _county(random.Random(7))

    def dies(*args: object) -> None:
        os._exit(3)

    with forced(), mock.patch.object(pipeline, "_helper", dies):
        _, _, result = compute_files(files)
    assert result.dumps() == standard(reference_result(files))


def test_cli_compute_on_two_processes_writes_the_vector(tmp_path: Path) -> None:
    """The public vector through ``shuangsuiji draw compute`` with the helper forced on."""
    folder = copy_vector(tmp_path, without=["commitment.json", "result.json"])
    expected = vector_files()
    with forced(share=0.4) as spy:
        code, _, err = run_cli("compute", folder)
    assert code == 0, err
    assert spy.called
    assert (folder / "result.json").read_bytes() == expected["result.json"]
    assert (folder / "commitment.json").read_bytes() == expected["commitment.json"]


@settings(max_examples=60, deadline=None)
@given(files=bundles())
def test_the_quick_pool_scan_equals_the_line_by_line_check(files: dict[str, bytes]) -> None:
    """pool.txt's candidates as scan_candidates reads them (every check per distinct value,
    ids per column) are those of the line-by-line check."""
    codes = [s["code"] for s in json.loads(files["params.json"])["strata"]]
    lines = tables.pool_lines(files["pool.txt"])
    assert lines is not None
    assert tables.scan_candidates(lines, codes) == tables._parse_candidates(
        "pool.txt", lines, codes
    )


@settings(max_examples=60, deadline=None)
@given(files=bundles())
def test_the_quick_roster_scan_equals_the_line_by_line_check(files: dict[str, bytes]) -> None:
    lines = tables.split_lines("roster.txt", files["roster.txt"], tables.ROSTER_FIELDS)
    assert tables._scan_roster(lines) == tables._check_roster("roster.txt", lines)
