"""`draw commit` freezes a bundle before any randomness exists (BD-3.3, JX-6.4)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from shuangsuiji.draw import parse_commitment
from shuangsuiji.draw.seed import salt_commit
from tests.draw.drawkit import VECTOR, copy_vector, run_cli

# Everything that exists only after the commit: the randomness, the result and the 回访 sample.
INPUTS = ["entropy.json", "salt.hex", "commitment.json", "result.json", "revisit.json"]


def test_commit_writes_a_secret_salt_and_a_commitment(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path, without=INPUTS)
    code, out, err = run_cli("commit", folder)
    assert code == 0, err
    salt_file = folder / "salt.hex"
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    text = salt_file.read_text()
    assert len(text) == 65 and text.endswith("\n")
    commitment = parse_commitment((folder / "commitment.json").read_bytes())
    published = json.loads((VECTOR / "commitment.json").read_text(encoding="utf-8"))
    # Same inputs as the vector, so the same roots; a fresh salt, so a fresh salt_commit.
    for name in ("spec", "draw_id", "params_hash", "pool_root", "roster_root", "conflicts_root"):
        assert getattr(commitment, name) == published[name]
    assert commitment.salt_commit == salt_commit(bytes.fromhex(text[:64])).hex()
    assert commitment.salt_commit != published["salt_commit"]
    assert commitment.salt_commit in out
    assert text[:64] not in out  # the salt itself is never printed


def test_verify_after_commit_says_what_it_cannot_check_yet(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path, without=INPUTS)
    assert run_cli("commit", folder)[0] == 0

    code, out, _ = run_cli("verify", folder)  # the bureau, holding the salt
    assert code == 0, out
    assert "✓ 盐值承诺 salt_commit 一致" in out
    assert "· 尚无 entropy.json" in out

    public = tmp_path / "public"
    public.mkdir()
    for name in ("params.json", "pool.txt", "commitment.json"):
        shutil.copyfile(folder / name, public / name)
    code, out, _ = run_cli("verify", public)  # a citizen, before the reveal
    assert code == 0, out
    lines = out.splitlines()
    assert "✓ 参数文件哈希 params_hash 一致" in lines
    assert "✓ 候选名单默克尔根 pool_root 一致" in lines
    assert any(line.startswith("· 盐值尚未公开") for line in lines)
    assert "salt_commit" not in out and "seed" not in out


def test_commit_then_compute_then_verify(tmp_path: Path) -> None:
    """The whole life of a draw: commit, enter the public values, compute, reveal, verify."""
    folder = copy_vector(tmp_path, without=INPUTS)
    assert run_cli("commit", folder)[0] == 0
    shutil.copyfile(VECTOR / "entropy.json", folder / "entropy.json")
    code, _, err = run_cli("compute", folder)
    assert code == 0, err
    code, out, _ = run_cli("verify", folder)
    assert code == 0, out
    assert "✓ 人员匹配 assignments 一致（15 项）" in out


def test_commit_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path, without=INPUTS)
    assert run_cli("commit", folder)[0] == 0
    salt = (folder / "salt.hex").read_bytes()
    commitment = (folder / "commitment.json").read_bytes()

    code, _, err = run_cli("commit", folder)
    assert code == 2
    assert "salt.hex：已存在" in err
    assert (folder / "salt.hex").read_bytes() == salt
    assert (folder / "commitment.json").read_bytes() == commitment

    (folder / "salt.hex").unlink()
    code, _, err = run_cli("commit", folder)
    assert code == 2
    assert "commitment.json：已存在" in err
    assert not (folder / "salt.hex").exists()


def test_commit_validates_before_writing(tmp_path: Path) -> None:
    folder = copy_vector(tmp_path, without=INPUTS)
    (folder / "roster.txt").write_bytes(b"130100000|130182|1||4|04\n")
    code, _, err = run_cli("commit", folder)
    assert code == 2
    assert "roster.txt 第 1 行：cap" in err
    assert not (folder / "salt.hex").exists()
    assert not (folder / "commitment.json").exists()


def test_missing_folder(tmp_path: Path) -> None:
    for command in ("commit", "compute", "verify"):
        code, _, err = run_cli(command, tmp_path / "nowhere")
        assert code == 2
        assert "目录不存在" in err
