"""The public test vector of SHUANGSUIJI-DRAW-v1 is reproduced exactly (BD-3.3, JX-6.4)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shuangsuiji.draw import (
    DRAW_INPUTS,
    FILES,
    WITHHELD,
    commit,
    compute,
    dumps,
    parallel,
    parse_bundle,
    read_files,
    verify,
)
from shuangsuiji.draw.primitives import DOMAIN, LP, TXT, H
from shuangsuiji.draw.seed import entropy_bytes
from tests.draw.drawkit import SPEC, VECTOR, copy_vector, run_cli, vector_files

DOCS = Path(__file__).resolve().parents[2] / "docs" / "draw.md"


def expected(name: str) -> dict:
    return json.loads((VECTOR / name).read_text(encoding="utf-8"))


def test_vector_is_the_one_the_specification_names() -> None:
    """docs/draw-spec.md names tests/draw/vector as the project's vector, and the folder holds
    every file of a v1 bundle, revisit.json included, and nothing else (withheld.txt is v2's:
    ``tests/draw/vector-v2/``)."""
    assert "`tests/draw/vector/`" in SPEC.read_text(encoding="utf-8")
    assert sorted(p.name for p in VECTOR.iterdir()) == sorted(set(FILES) - {WITHHELD})


def test_api_reproduces_commitment_and_result() -> None:
    """The engine, called on bytes, yields the vector's commitment.json and result.json."""
    bundle = parse_bundle(vector_files(), DRAW_INPUTS)
    assert bundle.salt is not None
    assert commit(bundle, bundle.salt).as_dict() == expected("commitment.json")
    result = compute(bundle).as_dict()
    assert result == expected("result.json")
    # Not required by the spec, but the files are also byte-identical.
    assert dumps(result) == (VECTOR / "result.json").read_bytes()


def test_intermediate_values() -> None:
    """The values that docs/draw.md walks through."""
    files = read_files(VECTOR)
    bundle = parse_bundle(files, DRAW_INPUTS)
    assert bundle.entropy is not None
    b = entropy_bytes(bundle.entropy)
    assert b.startswith(LP(b"lottery") + LP("中国福利彩票双色球 2026045 期".encode()))
    assert b.endswith(LP(b"578417054"))  # TXT strips the witness's spaces
    assert len(b) == 120
    assert (
        H(DOMAIN + b"SALT" + bytes.fromhex(files["salt.hex"].decode()[:64])).hex()
        == (expected("commitment.json")["salt_commit"])
    )
    assert TXT("  578417054  ") == b"578417054"
    assert compute(bundle).seed.hex().startswith("af9b0ebe")


def test_cli_compute_writes_both_files(tmp_path: Path) -> None:
    """`draw compute` on the inputs alone writes commitment.json and result.json."""
    folder = copy_vector(tmp_path / "b", without=["commitment.json", "result.json"])
    code, out, err = run_cli("compute", folder)
    assert code == 0, err
    assert "af9b0ebef1ebc6f011df27b97e5e706bef61f16bb41db6e1a6ae2b2777e722eb" in out
    for name in ("commitment.json", "result.json"):
        assert json.loads((folder / name).read_text(encoding="utf-8")) == expected(name)
    assert (folder / "result.json").stat().st_mode & 0o777 == 0o600


def test_cli_compute_accepts_a_matching_commitment(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path / "b", without=["result.json"])
    before = (folder / "commitment.json").read_bytes()
    code, _, err = run_cli("compute", folder)
    assert code == 0, err
    assert (folder / "commitment.json").read_bytes() == before
    assert json.loads((folder / "result.json").read_text(encoding="utf-8")) == expected(
        "result.json"
    )


def test_cli_verify_passes_on_the_vector() -> None:
    """Every check is ✓, the matching included, and the exit code is 0."""
    code, out, err = run_cli("verify", VECTOR)
    assert code == 0, out + err
    lines = out.splitlines()
    assert "✗" not in out
    for check in (
        "✓ 参数文件哈希 params_hash 一致",
        "✓ 候选名单默克尔根 pool_root 一致",
        "✓ 执法人员名录默克尔根 roster_root 一致",
        "✓ 回避名单默克尔根 conflicts_root 一致",
        "✓ 盐值承诺 salt_commit 一致",
        "✓ 抽取种子 seed 一致",
        "✓ 层 KEY 入选名单 selected 一致（3 项）",
        "✓ 层 GEN 备选名单 reserve 一致（27 项）",
        "✓ 人员匹配 assignments 一致（15 项）",
        "✓ 回访名单 revisit.json 符合规范",
        "✓ 回访候选 candidates 均为本次抽取的对象（14 项）",
        "✓ 回访数量 k 一致（14 项 × 1/10，向上取整为 2）",
        "✓ 回访名单 selected 一致（2 项）",
    ):
        assert check in lines
    assert lines[-1].startswith("核对通过")


def test_verify_without_auditor_files_checks_seed_selection_and_task_order() -> None:
    """A citizen without roster.txt and conflicts.txt still checks the seed and selection."""
    report = verify(vector_files(without=["roster.txt", "conflicts.txt"]))
    assert report.ok
    texts = [str(check) for check in report.checks]
    assert "✓ 抽取种子 seed 一致" in texts
    assert "✓ 任务顺序 assignments[].unit 一致（15 项）" in texts
    assert any(text.startswith("· 未提供 roster.txt") for text in texts)


def test_forked_helpers_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-core path (Merkle root and tickets in a child process) changes nothing."""
    forks = []

    class Counted(parallel._Forked):
        def __init__(self, *args: object) -> None:
            forks.append(args)
            super().__init__(*args)

    monkeypatch.setattr(parallel, "may_fork", lambda size: True)
    monkeypatch.setattr(parallel, "_Forked", Counted)
    bundle = parse_bundle(vector_files(), DRAW_INPUTS)
    assert compute(bundle).as_dict() == expected("result.json")
    assert verify(vector_files()).ok
    assert len(forks) == 2 * (1 + 4)  # per run: the pool root and one per stratum


def test_docs_snippet_prints_the_vector_values(tmp_path: Path) -> None:
    """The standard-library snippet in docs/draw.md recomputes the seed and one stratum."""
    text = DOCS.read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(# verify_vector\.py.*?)```", text, re.S)
    assert snippet is not None, "docs/draw.md 中找不到 verify_vector.py 代码段"
    copy_vector(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", snippet.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "af9b0ebef1ebc6f011df27b97e5e706bef61f16bb41db6e1a6ae2b2777e722eb" in run.stdout
    assert "91130182N0PWH4GD4A" in run.stdout
    assert "与 result.json 一致：True" in run.stdout
