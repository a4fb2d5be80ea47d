"""The layers contract (pyproject [tool.importlinter], docs/architecture.md) holds, and it
catches a module that imports upwards (issue 16, point 1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
        cwd=src,
        env=env,
    )


def copy_of_the_product(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "shuangsuiji",
        src / "shuangsuiji",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    return src


def test_the_layers_hold(tmp_path):
    result = lint_imports(copy_of_the_product(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    src = copy_of_the_product(tmp_path)
    (src / "shuangsuiji" / "planning" / "scratch.py").write_text(
        "from shuangsuiji.inspections.models import Inspection  # planning reading upwards\n"
    )
    result = lint_imports(src)
    assert result.returncode != 0
    assert "shuangsuiji.planning is not allowed to import shuangsuiji.inspections" in result.stdout


def test_pure_packages_import_no_django(tmp_path):
    src = copy_of_the_product(tmp_path)
    (src / "shuangsuiji" / "draw" / "scratch.py").write_text("import django  # noqa: F401\n")
    result = lint_imports(src)
    assert result.returncode != 0
    assert "shuangsuiji.draw is not allowed to import django" in result.stdout
