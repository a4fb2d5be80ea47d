"""Where the machine's PostgreSQL server programs are (``pg_dump``, ``initdb`` …).

Backups call ``pg_dump`` from here; the development tools' throwaway cluster uses it too.
"""

from __future__ import annotations

import os
from pathlib import Path

SEARCH_DIRS = [
    Path("/usr/lib/postgresql/15/bin"),
    *sorted(Path("/usr/lib/postgresql").glob("*/bin")),
]


class PostgresUnavailable(RuntimeError):
    """The machine has no PostgreSQL server binaries, or the cluster would not start."""


def find_bin_dir() -> Path:
    override = os.environ.get("SHUANGSUIJI_PG_BIN")
    candidates = [Path(override)] if override else SEARCH_DIRS
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    where = ", ".join(str(d) for d in candidates) or "/usr/lib/postgresql/*/bin"
    raise PostgresUnavailable(f"未找到 PostgreSQL 服务器程序 initdb/pg_ctl（查找位置：{where}）")
