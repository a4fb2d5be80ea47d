"""Changing any byte of a published bundle makes `draw verify` fail and name the check (JX-6.4).

Each case edits one file of a copy of the vector, runs `verify` and expects a non-zero exit
and a ✗ line naming either the recomputed value that no longer matches or, when the edit
breaks a format rule, the file itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.draw.drawkit import VECTOR, copy_vector, run_cli

# What a failed check for each file mentions: the committed value, or the file on a format error.
NAMES = {
    "params.json": ("params_hash", "params.json"),
    "pool.txt": ("pool_root", "pool.txt"),
    "roster.txt": ("roster_root", "roster.txt"),
    "conflicts.txt": ("conflicts_root", "conflicts.txt"),
    "salt.hex": ("salt_commit", "salt.hex"),
}


def _other(byte: int) -> int:
    """A different byte of the same kind where possible (digit for digit, letter for letter)."""
    char = chr(byte)
    if char.isdigit():
        return ord(str((int(char) + 1) % 10))
    if char.isascii() and char.isalpha():
        return ord("b" if char in "aA" else "a")
    if char == "\n":
        return ord(" ")
    return ord("x") if byte < 0x80 else byte ^ 0x01


def _failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✗")]


def _positions(name: str, count: int = 9) -> list[int]:
    size = (VECTOR / name).stat().st_size
    return sorted({0, size - 1, *(size * i // count for i in range(1, count))})


@pytest.mark.parametrize(
    ("name", "position"),
    [(name, position) for name in NAMES for position in _positions(name)],
)
def test_any_byte_of_a_hashed_file(tmp_path: Path, name: str, position: int) -> None:
    """params.json, pool.txt, roster.txt, conflicts.txt and salt.hex are hashed or committed
    as bytes, so every byte counts (the JSON files beside them are compared by value)."""
    folder = copy_vector(tmp_path)
    data = bytearray((folder / name).read_bytes())
    data[position] = _other(data[position])
    (folder / name).write_bytes(bytes(data))
    code, out, _ = run_cli("verify", folder)
    assert code != 0
    failed = _failed_lines(out)
    assert failed, out
    assert any(label in line for line in failed for label in NAMES[name]), out


def _edit_text(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def _swap_reserve(text: str) -> str:
    result = json.loads(text)
    reserve = result["strata"][2]["reserve"]
    reserve[3], reserve[4] = reserve[4], reserve[3]
    return json.dumps(result, ensure_ascii=False, indent=2)


def _drop_flag(text: str) -> str:
    result = json.loads(text)
    result["assignments"][8]["flags"] = ["LEAD_WITHOUT_TAG"]
    return json.dumps(result, ensure_ascii=False, indent=2)


@pytest.mark.parametrize(
    ("name", "edit", "named"),
    [
        # pool.txt: an id's character, a weight, a region, an exclusion.
        ("pool.txt", _edit_text("91130182N0PWH4GD4A", "91130182N0PWH4GD4B"), "pool_root"),
        (
            "pool.txt",
            _edit_text("911301827GHB8Q5T3N|KEY|130182|1|", "911301827GHB8Q5T3N|KEY|130182|2|"),
            "pool_root",
        ),
        (
            "pool.txt",
            _edit_text("91130182R86599LUPE|BUILD|130182", "91130182R86599LUPE|BUILD|130183"),
            "pool_root",
        ),
        (
            "pool.txt",
            _edit_text(
                "91130182WA3T1N78QX|GEN|130182|1|1||", "91130182WA3T1N78QX|GEN|130182|1|0||停产"
            ),
            "pool_root",
        ),
        ("pool.txt", _edit_text("9113018200369TNPAU", "9113018200369TNPAV"), "pool_root"),
        (
            "pool.txt",
            _edit_text("9113018200369TNPAU", "Z113018200369TNPAU"),
            "pool.txt 第 2 行：id 未按字节升序排列",
        ),
        # roster.txt and conflicts.txt
        (
            "roster.txt",
            _edit_text("130100005|130182|1|噪声,辐射|5|14", "130100005|130182|1|噪声,辐射|6|14"),
            "roster_root",
        ),
        ("roster.txt", _edit_text("130100003|130182|0|", "130100003|130182|1|"), "roster_root"),
        (
            "conflicts.txt",
            _edit_text("130100006|91130182793PCF422W", "130100005|91130182793PCF422W"),
            "conflicts_root",
        ),
        # entropy.json: only the values count, and TXT() ignores surrounding spaces.
        (
            "entropy.json",
            _edit_text("5.11.13.18.23.31./2./", "5.11.13.18.23.32./2./"),
            "抽取种子 seed",
        ),
        ("entropy.json", _edit_text("578417054", "578417055"), "抽取种子 seed"),
        ("entropy.json", _edit_text("监督员 Ａ", "监督员 A"), "entropy.json 键 values[1].label"),
        ("entropy.json", _edit_text('"witness"', '"lottery"'), "entropy.json 键 values[1].type"),
        # salt.hex
        ("salt.hex", _edit_text("d158", "d159"), "salt_commit"),
        ("salt.hex", _edit_text("d158", "D158"), "salt.hex"),
        # result.json: every part of the result is named when it is wrong.
        ("result.json", _edit_text('"seed": "af9b', '"seed": "af9c'), "抽取种子 seed"),
        ("result.json", _edit_text('"key": "aa18', '"key": "aa19'), "层 SPECIAL 入选名单"),
        (
            "result.json",
            _edit_text('"id": "91130182N0PWH4GD4A"', '"id": "911301823RH5BU55NE"'),
            "层 KEY 入选名单",
        ),
        ("result.json", _swap_reserve, "层 GEN 备选名单 reserve 不一致：第 4 项"),
        ("result.json", _edit_text('"shortfall": 3', '"shortfall": 2'), "层 BUILD 数量"),
        ("result.json", _edit_text('"eligible": 29', '"eligible": true'), "层 GEN 数量"),
        (
            "result.json",
            _edit_text('"130100006",\n        "130100001"', '"130100006",\n        "130100002"'),
            "人员匹配 assignments 第 1 项",
        ),
        ("result.json", _drop_flag, "人员匹配 assignments 第 9 项"),
        (
            "result.json",
            _edit_text('"draw_id": "130182-2026Q1-1"', '"draw_id": "130182-2026Q1-2"'),
            "抽取编号 draw_id",
        ),
        (
            "result.json",
            _edit_text('"spec": "SHUANGSUIJI-DRAW-v1"', '"spec": "SHUANGSUIJI-DRAW-v2"'),
            "spec",
        ),
        (
            "result.json",
            _edit_text(
                '"assignments": [', '"assignments": [{"unit": "x", "team": [], "flags": []},'
            ),
            "人员匹配 assignments 不一致：应有 15 项",
        ),
        ("result.json", _edit_text("{", "["), "result.json"),
        # commitment.json: a published value that differs.
        (
            "commitment.json",
            _edit_text('"pool_root": "166c', '"pool_root": "166d'),
            "候选名单默克尔根 pool_root 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"params_hash": "7a1b', '"params_hash": "7a1c'),
            "参数文件哈希 params_hash 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"roster_root": "b6b2', '"roster_root": "b6b3'),
            "roster_root 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"conflicts_root": "fbb4', '"conflicts_root": "fbb5'),
            "conflicts_root 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"salt_commit": "a82f', '"salt_commit": "a83f'),
            "盐值承诺 salt_commit 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"draw_id": "130182-2026Q1-1"', '"draw_id": "130182-2026Q1-2"'),
            "抽取编号 draw_id 不一致",
        ),
        (
            "commitment.json",
            _edit_text('"salt_commit": "a82f', '"salt_commit": "A82F'),
            "commitment.json 键 salt_commit",
        ),
    ],
)
def test_edits_are_named(tmp_path: Path, name: str, edit: Callable[[str], str], named: str) -> None:
    folder = copy_vector(tmp_path)
    path = folder / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code, out, _ = run_cli("verify", folder)
    assert code == 1
    assert any(named in line for line in _failed_lines(out)), out


def test_whitespace_of_result_json_is_free(tmp_path: Path) -> None:
    """result.json is compared by values: re-serialising it keeps verify passing."""
    folder = copy_vector(tmp_path)
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    (folder / "result.json").write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
    code, out, _ = run_cli("verify", folder)
    assert code == 0, out


def test_missing_result_entries_are_listed_one_per_item(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path)
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    for assignment in result["assignments"]:
        assignment["team"] = list(reversed(assignment["team"]))
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    code, out, _ = run_cli("verify", folder)
    assert code == 1
    wrong = [line for line in _failed_lines(out) if "人员匹配 assignments 第" in line]
    assert len(wrong) == 10  # eleven teams differ; ten are listed, then a count
    assert "✗ 人员匹配 assignments 另有 1 项不一致" in out
