"""SHUANGSUIJI-DRAW-v2: exclusions resting on unrevealed lists, committed and checkable later.

The v2 vector (``tests/draw/vector-v2/``) is the second quarter of the v1 vector's county: the
first quarter's list (the v1 vector, draw ``130182-2026Q1-1``) was not public when the second
was committed, so the units it drew in KEY and GEN are withheld (绛县 四、（五）1–2 “全年抽查比例
为 100%/20%”, JX-4.5.1b, JX-4.5.2b) without the public pool saying so (保密, 绛县 六、四).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from shuangsuiji.draw import (
    DRAW_INPUTS,
    FILES,
    commit,
    commit_withheld,
    compute,
    dumps,
    parse_bundle,
    read_files,
    render_withheld,
    verify,
)
from shuangsuiji.draw.errors import BundleError
from tests.draw.drawkit import SPEC, VECTOR, run_cli

VECTOR_V2 = VECTOR.parent / "vector-v2"
Q1 = "130182-2026Q1-1"


def v2_files(**changes: bytes) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in VECTOR_V2.iterdir()}
    files.update(changes)
    return files


def earlier() -> dict[str, dict[str, bytes]]:
    return {"q1": read_files(VECTOR)}


def expected(name: str) -> dict:
    return json.loads((VECTOR_V2 / name).read_text(encoding="utf-8"))


def selected(result: dict) -> set[str]:
    return {item["id"] for stratum in result["strata"] for item in stratum["selected"]}


def test_vector_v2_is_named_by_the_specification_and_complete() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert "`tests/draw/vector-v2/`" in text and "SHUANGSUIJI-DRAW-v2" in text
    names = sorted(p.name for p in VECTOR_V2.iterdir())
    assert names == sorted(set(FILES) - {"revisit.json"})


def test_api_reproduces_the_v2_commitment_and_result_byte_for_byte() -> None:
    files = v2_files()
    bundle = parse_bundle(files, DRAW_INPUTS)
    assert bundle.params.spec == "SHUANGSUIJI-DRAW-v2"
    assert bundle.params.withheld_from == (Q1,)
    assert commit(bundle, bundle.salt).as_dict() == expected("commitment.json")
    assert bundle.params.withheld_commit == commit_withheld(bundle.salt, files["withheld.txt"])
    result = compute(bundle)
    assert dumps(result.as_dict()) == files["result.json"]


def test_withheld_units_look_eligible_in_the_pool_and_are_never_drawn() -> None:
    """The public pool shows every withheld unit as eligible, with no reason; the selection
    leaves them out, and each stratum's ``eligible`` counts without them."""
    files = v2_files()
    withheld = [line.split("|")[0] for line in files["withheld.txt"].decode().splitlines()]
    q1 = json.loads((VECTOR / "result.json").read_text(encoding="utf-8"))
    assert len(withheld) == 5 and set(withheld) <= selected(q1)
    pool = {line.split("|")[0]: line for line in files["pool.txt"].decode().splitlines()}
    assert all(pool[uid].split("|")[4] == "1" and pool[uid].split("|")[6] == "" for uid in withheld)
    result = expected("result.json")
    assert not set(withheld) & selected(result)
    assert not set(withheld) & {u for s in result["strata"] for u in s["reserve"]}
    key = next(s for s in result["strata"] if s["code"] == "KEY")
    key_pool = [line for line in pool.values() if line.split("|")[1] == "KEY"]
    shown = sum(1 for line in key_pool if line.split("|")[4] == "1")
    assert key["eligible"] == shown - sum(1 for uid in withheld if pool[uid].split("|")[1] == "KEY")


def test_v2_verifies_with_the_earlier_draw_and_says_what_it_checked() -> None:
    report = verify(v2_files(), earlier())
    assert report.ok, [str(c) for c in report.checks if c.ok is False]
    texts = [str(c) for c in report.checks]
    assert "✓ 排除承诺 withheld_commit 一致" in texts
    assert f"✓ 此前抽取 {Q1} 的公开文件核对通过" in texts
    assert "✓ withheld.txt 中 5 家均在其所引用的此前抽取名单中" in texts


def test_v2_without_the_earlier_draw_verifies_but_notes_the_unchecked_grounds() -> None:
    report = verify(v2_files())
    assert report.ok
    assert any(
        c.ok is None and "不核对 withheld.txt 中 5 家的排除依据" in c.text for c in report.checks
    )


def test_before_the_reveal_nothing_tells_who_is_withheld() -> None:
    """At commit the public has params, pool and commitment: the withheld file and the salt
    are the bureau's; the check passes and names no unit."""
    public = {
        k: v for k, v in v2_files().items() if k in ("params.json", "pool.txt", "commitment.json")
    }
    report = verify(public)
    assert report.ok
    withheld = v2_files()["withheld.txt"].decode()
    for uid in (line.split("|")[0] for line in withheld.splitlines()):
        assert all(uid not in c.text for c in report.checks)
        assert uid.encode() not in public["params.json"] + public["commitment.json"]


def test_a_changed_withheld_file_breaks_its_commitment() -> None:
    """Dropping one exclusion after the commit (to let a unit back in) is caught."""
    lines = v2_files()["withheld.txt"].splitlines(keepends=True)
    report = verify(v2_files(**{"withheld.txt": b"".join(lines[1:])}), earlier())
    assert not report.ok
    assert any(c.ok is False and "排除承诺 withheld_commit 不一致" in c.text for c in report.checks)


def withheld_instead(files: dict[str, bytes], withheld: bytes, pool: bytes) -> dict[str, bytes]:
    """The v2 bundle as a bureau would have committed it with another withheld file."""
    salt = bytes.fromhex(files["salt.hex"].decode().strip())
    params = json.loads(files["params.json"])
    params["withheld_commit"] = commit_withheld(salt, withheld).hex()
    changed = {**files, "params.json": dumps(params), "withheld.txt": withheld, "pool.txt": pool}
    bundle = parse_bundle(changed, DRAW_INPUTS)
    changed["commitment.json"] = dumps(commit(bundle, salt).as_dict())
    changed["result.json"] = dumps(compute(bundle).as_dict())
    return changed


def test_an_exclusion_the_earlier_list_does_not_support_fails() -> None:
    """A bureau that withholds a unit Q1 never drew (to spare it) is caught once Q1 is public:
    the commitment matches (it was made that way), but the grounds do not. The unit was out of
    Q1's pool (停产 then) and is back in Q2's."""
    files = v2_files()
    spared = "91130182C6R9C7QFU6"
    pool = files["pool.txt"].replace(
        f"{spared}|BUILD|130182|1|0||停产".encode(), f"{spared}|BUILD|130182|1|1||".encode()
    )
    withheld = render_withheld([(spared, [Q1], "本年度已被随机抽中")])
    report = verify(withheld_instead(files, withheld, pool), earlier())
    assert not report.ok
    failed = [c.text for c in report.checks if c.ok is False]
    assert failed == [f"withheld.txt 中有对象不在其所引用的此前抽取名单中：{spared}（{Q1}）"]


def test_a_reserve_unit_is_accepted_only_as_a_substitute_to_check_by_hand() -> None:
    """A unit on Q1's reserve list counts only if it replaced a drawn one (替补): the bundle
    does not say, so the check names it beside the published substitution record."""
    files = v2_files()
    q1 = json.loads((VECTOR / "result.json").read_text(encoding="utf-8"))
    reserve = next(s["reserve"][0] for s in q1["strata"] if s["code"] == "GEN")
    withheld = render_withheld([(reserve, [Q1], "本年度已被随机抽中（替补）")])
    report = verify(withheld_instead(files, withheld, files["pool.txt"]), earlier())
    assert report.ok
    notes = [c.text for c in report.checks if c.ok is None]
    assert any(reserve in text and "替补记录" in text for text in notes)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        (b"NOT-IN-POOL|130182-2026Q1-1|x\n", "不在 pool.txt 中"),
        (b"9113018200369TNPAU||x\n", "draws 不得为空"),
        (b"9113018200369TNPAU|130182-2026Q9-1|x\n", "不在 params.json 的 withheld_from 中"),
        (b"9113018200369TNPAU|130182-2026Q1-1|\n", "reason 不得为空"),
    ],
)
def test_a_malformed_withheld_line_is_named(line: bytes, rule: str) -> None:
    with pytest.raises(BundleError) as info:
        parse_bundle(v2_files(**{"withheld.txt": line}), DRAW_INPUTS)
    assert str(info.value).startswith("withheld.txt 第 1 行") and rule in str(info.value)


def test_compute_refuses_a_v2_bundle_without_its_withheld_file(tmp_path: Path) -> None:
    folder = tmp_path / "q2"
    shutil.copytree(VECTOR_V2, folder)
    (folder / "withheld.txt").unlink()
    (folder / "result.json").unlink()
    code, _out, err = run_cli("compute", folder)
    assert code == 2 and "withheld.txt" in err and "缺少此文件" in err
    assert not (folder / "result.json").exists()


def test_cli_verify_takes_the_earlier_draws(tmp_path: Path) -> None:
    code, out, _err = run_cli("verify", VECTOR_V2, "--earlier", VECTOR)
    assert code == 0, out
    assert f"✓ 此前抽取 {Q1} 的公开文件核对通过" in out
    assert out.strip().endswith("项全部一致。")


def test_cli_commit_refuses_v2_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "q2"
    shutil.copytree(VECTOR_V2, folder)
    for name in ("salt.hex", "commitment.json", "result.json", "entropy.json"):
        (folder / name).unlink()
    code, _out, err = run_cli("commit", folder)
    assert code == 2 and "只能由平台在承诺时一并生成" in err
    assert not (folder / "salt.hex").exists()
