"""The product package ships without the demo and the development tools (issue 16, point 6)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "module",
    [
        "shuangsuiji.demo",
        "shuangsuiji.demo_year",
        "shuangsuiji.directory.demo_data",
        "shuangsuiji.devtools.pgcluster",
    ],
)
def test_demo_modules_are_not_in_the_product(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_product_never_imports_the_demo():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import grimp; g = grimp.build_graph('shuangsuiji', 'shuangsuiji_demo');"
            "print(sorted(m for m in g.modules if m.startswith('shuangsuiji.')"
            " and any(i.startswith('shuangsuiji_demo') for i in"
            " g.find_modules_directly_imported_by(m))))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]"


def test_wheel_holds_no_demo_module(tmp_path):
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = zipfile.ZipFile(wheel).namelist()
    assert "shuangsuiji/cli/__init__.py" in names
    assert "shuangsuiji/pgbin.py" in names
    assert "shuangsuiji/policy/presets/zunhua-2024.yaml" in names
    assert [n for n in names if "demo" in n or "devtools" in n] == []
