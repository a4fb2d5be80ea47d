"""Helpers shared by the draw tests: the vector's location and a CLI runner."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterable
from pathlib import Path

from shuangsuiji.draw.cli import main

HERE = Path(__file__).resolve().parent
# The project's copy of the spec's vector (docs/draw-spec.md, "Public test vector"): the tests
# read nothing outside the repository.
VECTOR = HERE / "vector"
SPEC = HERE.parents[1] / "docs" / "draw-spec.md"


def copy_vector(target: Path, *, without: Iterable[str] = ()) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    skip = set(without)
    for path in VECTOR.iterdir():
        if path.name not in skip:
            shutil.copyfile(path, target / path.name)
    return target


def vector_files(*, without: Iterable[str] = ()) -> dict[str, bytes]:
    skip = set(without)
    return {p.name: p.read_bytes() for p in VECTOR.iterdir() if p.name not in skip}


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    """Run ``shuangsuiji draw …`` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["draw", *map(str, argv)])
    return code, out.getvalue(), err.getvalue()
