"""The revisit sample (回访, HJ-3.4 获嘉 三、（四）“按照 10% 的比例进行回访”) of the spec's vector.

docs/draw-spec.md, "The revisit sample", specifies it; tests/draw/vector/revisit.json is its
vector. The pure function reproduces it, a plain-hashlib rewrite of the formula agrees, and
`draw verify` passes on it and fails on any tampering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from shuangsuiji.draw import dumps, verify
from shuangsuiji.draw.revisit import draw_revisit, rank_revisits, revisit_count, revisit_key
from shuangsuiji.draw.selection import ticket_keys
from tests.draw.drawkit import SPEC, VECTOR, copy_vector, run_cli, vector_files

RESULT = json.loads((VECTOR / "result.json").read_text(encoding="utf-8"))
SEED = bytes.fromhex(RESULT["seed"])
DRAW_ID = RESULT["draw_id"]
PUBLISHED = json.loads((VECTOR / "revisit.json").read_text(encoding="utf-8"))


def vector_candidates() -> list[str]:
    """The inputs docs/draw-spec.md states: the 15 selected units, the KEY unit
    91130182EYLXBKR9XP replaced by the top of its reserve, 91130182W3MN1KAGFC not yet done."""
    units = [a["unit"] for a in RESULT["assignments"]]
    assert len(units) == 15
    key = next(s for s in RESULT["strata"] if s["code"] == "KEY")
    assert key["reserve"][0] == "911301823RH5BU55NE"
    units.remove("91130182EYLXBKR9XP")
    units.append(key["reserve"][0])
    units.remove("91130182W3MN1KAGFC")
    return units


def spec_rkey(seed: bytes, draw_id: str, unit: str) -> bytes:
    """rkey, written out again from the spec with hashlib, not from the engine."""

    def lp(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    message = b"SHUANGSUIJI-DRAW-v1" + b"REVISIT" + seed + lp(draw_id.encode()) + lp(unit.encode())
    return hashlib.sha256(message).digest()


def test_pure_function_reproduces_the_vector() -> None:
    sample = draw_revisit(SEED, DRAW_ID, vector_candidates(), 1, 10, basis=PUBLISHED["basis"])
    assert sample.as_dict() == PUBLISHED
    assert dumps(sample.as_dict()) == (VECTOR / "revisit.json").read_bytes()
    assert sample.k == 2  # ⌈14 × 1/10⌉ = ⌈1.4⌉
    assert [unit.id for unit in sample.selected] == ["911301829MFRWLATDQ", "91130182R86599LUPE"]


def test_the_spec_formula_written_out_agrees() -> None:
    candidates = sorted(vector_candidates())
    ranked = sorted(
        candidates,
        key=lambda u: (-int.from_bytes(spec_rkey(SEED, DRAW_ID, u), "big"), u.encode()),
    )
    engine = rank_revisits(SEED, DRAW_ID, candidates)
    assert [u.id for u in engine] == ranked
    assert [u.key for u in engine] == [spec_rkey(SEED, DRAW_ID, u) for u in ranked]


def test_the_spec_page_lists_the_vector_values() -> None:
    """The table in docs/draw-spec.md names the first three of the order with their keys."""
    text = SPEC.read_text(encoding="utf-8")
    for rank, unit in enumerate(rank_revisits(SEED, DRAW_ID, vector_candidates())[:3], 1):
        assert f"| {rank} | `{unit.id}` | `{unit.key.hex()}` |" in text
    assert "k = ⌈14 · 1 / 10⌉ = (14 + 9) div 10 = 2" in text


@pytest.mark.parametrize(
    ("n", "p", "q", "k"),
    [(14, 1, 10, 2), (10, 1, 10, 1), (11, 1, 10, 2), (0, 1, 10, 0), (1, 1, 10, 1), (7, 0, 5, 0),
     (7, 5, 5, 7), (3, 1, 3, 1), (4, 1, 3, 2), (200, 1, 200, 1), (201, 1, 200, 2)],
)  # fmt: skip
def test_k_is_the_ceiling_of_the_share(n: int, p: int, q: int, k: int) -> None:
    """“不低于 10%” rounds up: the exact fraction's ceiling, as the policy engine computes it."""
    assert revisit_count(n, p, q) == k
    assert k == -(-Fraction(n * p, q).numerator // Fraction(n * p, q).denominator)


def test_equal_shares_give_the_same_sample() -> None:
    assert (
        draw_revisit(SEED, DRAW_ID, vector_candidates(), 10, 100).selected
        == draw_revisit(SEED, DRAW_ID, vector_candidates(), 1, 10).selected
    )


def test_a_key_does_not_depend_on_the_other_candidates() -> None:
    """One candidate more or less moves nobody else in the order."""
    full = [u.id for u in rank_revisits(SEED, DRAW_ID, sorted(vector_candidates()))]
    fewer = [u.id for u in rank_revisits(SEED, DRAW_ID, sorted(vector_candidates()[1:]))]
    assert fewer == [u for u in full if u != vector_candidates()[0]]


def test_revisit_keys_are_not_selection_tickets() -> None:
    """Own tag: a stratum may be called REVISIT, and its tickets still differ from revisit keys
    (the sample used to be ticket_keys(seed, draw_id + "/REVISIT", …), which collided)."""
    units = sorted(vector_candidates())
    tickets = ticket_keys(SEED, f"{DRAW_ID}/REVISIT", [u.encode() for u in units], [1] * len(units))
    keys = [revisit_key(SEED, DRAW_ID, u) for u in units]
    assert not set(tickets) & set(keys)


@pytest.mark.parametrize(
    ("candidates", "p", "q", "message"),
    [
        (["A1", "A1"], 1, 10, "重复"),
        (["A 1"], 1, 10, "[0-9A-Za-z_-]"),
        (["企业"], 1, 10, "[0-9A-Za-z_-]"),
        (["A1"], 11, 10, "0 ≤ 分子 ≤ 分母"),
        (["A1"], 1, 0, "分母 ≥ 1"),
        (["A1"], True, 10, "整数"),
    ],
)
def test_inputs_outside_the_spec_are_refused(
    candidates: list[str], p: int, q: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        draw_revisit(SEED, DRAW_ID, candidates, p, q)


# `draw verify` on revisit.json -------------------------------------------------------------


def test_verify_passes_on_a_good_revisit_list(tmp_path: Path) -> None:
    code, out, err = run_cli("verify", copy_vector(tmp_path))
    assert code == 0, out + err
    lines = out.splitlines()
    for check in (
        "✓ 回访名单 revisit.json 符合规范",
        "✓ 回访名单的抽取编号 draw_id 一致",
        "✓ 回访候选 candidates 均为本次抽取的对象（14 项）",
        "✓ 回访数量 k 一致（14 项 × 1/10，向上取整为 2）",
        "✓ 回访名单 selected 一致（2 项）",
    ):
        assert check in lines


def test_verify_without_revisit_json_checks_no_revisit() -> None:
    report = verify(vector_files(without=["revisit.json"]))
    assert report.ok
    assert not any("回访" in check.text for check in report.checks)


def test_verify_before_the_reveal_says_it_cannot_check_the_revisit_list() -> None:
    report = verify(vector_files(without=["salt.hex"]))
    assert report.ok
    assert any(check.ok is None and "revisit.json" in check.text for check in report.checks)


def _swap_selected(doc: dict) -> None:
    doc["selected"].reverse()


def _other_unit(doc: dict) -> None:
    doc["selected"][1] = {
        "id": "91130182KKEC48QKB0",
        "key": "8e946cc0bbe95c6c771e4d4b9f2071a3fd8a54ddba15fbc86456eecadbe1cc5b",
    }


def _key_byte(doc: dict) -> None:
    key = doc["selected"][0]["key"]
    doc["selected"][0]["key"] = key[:-1] + ("0" if key[-1] != "0" else "1")


def _drop_one(doc: dict) -> None:
    doc["selected"].pop()


def _k_down(doc: dict) -> None:
    doc["k"] = 1


def _share(doc: dict) -> None:
    doc["share"] = {"numerator": 1, "denominator": 20}


def _stranger(doc: dict) -> None:
    doc["candidates"] = sorted([*doc["candidates"], "91130182ZZZZZZZZZZ"])


def _dropped_candidate(doc: dict) -> None:
    """Leave out the unit drawn first: the sample changes and no longer matches."""
    doc["candidates"].remove("911301829MFRWLATDQ")


def _draw_id(doc: dict) -> None:
    doc["draw_id"] = "130182-2026Q1-2"


def _unsorted(doc: dict) -> None:
    doc["candidates"].reverse()


def _float_share(doc: dict) -> None:
    doc["share"]["numerator"] = 1.0


def _upper_key(doc: dict) -> None:
    doc["selected"][0]["key"] = doc["selected"][0]["key"].upper()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_swap_selected, "✗ 回访名单 selected 不一致：第 1 项应为"),
        (_other_unit, "✗ 回访名单 selected 不一致：第 2 项应为"),
        (_key_byte, "✗ 回访名单 selected 不一致：第 1 项应为"),
        (_drop_one, "✗ 回访名单 selected 不一致：应有 2 项，revisit.json 有 1 项"),
        (_k_down, "✗ 回访数量 k 不一致：14 项 × 1/10 向上取整应为 2，revisit.json 为 1"),
        (_share, "✗ 回访数量 k 不一致：14 项 × 1/20 向上取整应为 1，revisit.json 为 2"),
        (_stranger, "✗ 回访候选 candidates 中有不属于本次抽取（入选或备选）的对象：91130182ZZZZZZZZZZ"),
        (_dropped_candidate, "✗ 回访名单 selected 不一致：第 1 项应为"),
        (_draw_id, "✗ 回访名单的抽取编号 draw_id 不一致"),
        (_unsorted, "✗ revisit.json 键 candidates[1]：回访候选 91130182R86599LUPE 未按字节升序排列"),
        (_float_share, "✗ revisit.json 键 share："),
        (_upper_key, "✗ revisit.json 键 selected[0].key：必须是 64 个小写十六进制数字"),
    ],
)  # fmt: skip
def test_verify_fails_on_a_tampered_revisit_list(
    tmp_path: Path, change: Callable[[dict], None], named: str
) -> None:
    folder = copy_vector(tmp_path)
    doc = json.loads((folder / "revisit.json").read_text(encoding="utf-8"))
    change(doc)
    (folder / "revisit.json").write_bytes(dumps(doc))
    code, out, _ = run_cli("verify", folder)
    assert code == 1, out
    failed = [line for line in out.splitlines() if line.startswith("✗")]
    assert any(line.startswith(named) for line in failed), out
    # Only the revisit list is wrong: the draw itself still checks out.
    assert all("回访" in line or "revisit.json" in line for line in failed), out
