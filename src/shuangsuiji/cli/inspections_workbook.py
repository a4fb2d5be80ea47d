"""The 检查档案 workbook as ``policy classify|quota --inspections`` reads it: how many times each
target was drawn at random in the year (绛县 四、（五） JX-4.5.c “同一年度内对同一污染源的抽查次数
不超过2次”; 四、（五）1–2 JX-4.5.1b, JX-4.5.2b: 本年度已随机抽中的不再抽取).

The workbook is the one the platform exports (``reports.documents.archive_sheet``): a title row
and a subtitle row, then the header 年度, 单位, 检查对象, 统一社会信用代码, 任务, 性质, 状态, …,
then one row per inspection and a note beneath. Counted for a target: the rows of the year whose
性质 is 随机抽查 and whose 状态 is neither 已替补 nor 已撤销 — drawn, inspected or not. 定向 and
全覆盖 checks are no 抽查; other years do not count. 统一社会信用代码 holds the draw id (the credit
code, or the 项目代码 of a construction project), as ``TargetRecord.id`` does.

Pure, like the rest of ``policy``: the words of the model (``Inspection.Kind`` and ``.Status``
labels, ``ARCHIVE_HEADERS``) are repeated here, not imported, and a test keeps them equal. A file
is measured against the import limits before calamine opens it, as a register upload is.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shuangsuiji.directory.codes import fold_width, strip_invisible
from shuangsuiji.directory.limits import (
    ImportLimits,
    LimitError,
    limits_from_environment,
    problems_omitted,
    too_many_rows,
)
from shuangsuiji.directory.parsing import Problem, display_cell
from shuangsuiji.directory.registers import CellError, is_blank, read_code
from shuangsuiji.directory.workbooks import (
    WorkbookError,
    locate_header,
    normalise_header,
    read_rows,
)
from shuangsuiji.policy import PolicyError

YEAR, CODE, KIND, STATUS = "年度", "统一社会信用代码", "性质", "状态"
#: The columns read; the archive's others (单位, 检查对象, 检查时间 …) may be there or not.
REQUIRED = (YEAR, CODE, KIND, STATUS)
#: ``Inspection.Kind`` labels: only the first is an 抽查.
RANDOM = "随机抽查"
KINDS = (RANDOM, "全覆盖检查", "定向检查（非随机）")
#: ``Inspection.Status`` labels; the last two (``INACTIVE_STATUSES``) no longer count.
STATUSES = ("待人工指派执法人员", "待检查", "已完成", "已替补", "已撤销")
NOT_COUNTED = ("已替补", "已撤销")


def archive_limits() -> ImportLimits:
    """The upload's limits (``SHUANGSUIJI_IMPORT_*``), so the command refuses what it would."""
    try:
        return limits_from_environment(os.environ)
    except LimitError as error:
        raise PolicyError(str(error)) from error


class ArchiveProblems(PolicyError):
    """Cells that cannot be read: listed like a register's (row, column, value, problem)."""

    def __init__(self, filename: str, problems: list[Problem], omitted: int) -> None:
        super().__init__(f"{filename} 有 {len(problems) + omitted} 处问题，请先改正")
        self.problems = problems
        if omitted:
            self.problems = [
                *problems,
                Problem(0, "", "", problems_omitted(filename, len(problems), omitted)),
            ]


@dataclass(frozen=True)
class YearDraws:
    """What the workbook says of one year."""

    filename: str
    year: int
    #: Random draws that count, by draw id.
    counts: Counter[str]


def _word(raw: Any) -> str:
    return "".join(fold_width(strip_invisible(str(raw))).split())


_KINDS = {_word(k): k for k in KINDS}
_STATUSES = {_word(s): s for s in STATUSES}


def _read_year(raw: Any) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _word(raw)
    if not re.fullmatch(r"[0-9]{4}", text):
        raise CellError("年度应为四位数字的年份，如 2025")
    return int(text)


def _read_word(raw: Any, words: dict[str, str]) -> str:
    try:
        return words[_word(raw)]
    except KeyError:
        choices = "、".join(words.values())
        raise CellError(f"“{display_cell(raw)}”不是有效值，可选：{choices}") from None


READERS = {YEAR: _read_year, CODE: read_code, KIND: lambda raw: _read_word(raw, _KINDS),
           STATUS: lambda raw: _read_word(raw, _STATUSES)}  # fmt: skip


def read_year_draws(path: str, year: int) -> YearDraws:
    """The random draws of ``year`` per target. Every row is checked, whatever its year: a file
    with any problem is refused as a whole (``ArchiveProblems``), and nothing is computed."""
    file = Path(path)
    if not file.is_file():
        raise PolicyError(f"找不到文件 {file}")
    limits = archive_limits()
    try:
        rows = read_rows(file.read_bytes(), file.name, limits)
    except WorkbookError as error:
        raise PolicyError(str(error)) from error
    try:
        header_index = locate_header(rows, list(REQUIRED), file.name)
    except WorkbookError as error:
        raise PolicyError(f"{error}（--inspections 应为平台导出的检查档案）") from error
    if len(rows) - header_index - 1 > limits.max_rows:
        raise PolicyError(too_many_rows(file.name, limits.max_rows, len(rows)))
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(rows[header_index]):
        header = normalise_header(cell)
        if header in columns:
            message = f"表头重复（第 {columns[header] + 1} 列已有）"
            problems.append(Problem(header_index + 1, header, header, message))
        elif header in REQUIRED:
            columns[header] = index
    counts: Counter[str] = Counter()
    omitted = 0
    for offset, row in enumerate(rows[header_index + 1 :]):
        row_number = header_index + offset + 2
        cells = {h: row[i] if i < len(row) else None for h, i in columns.items()}
        if all(is_blank(cells[h]) for h in (CODE, KIND, STATUS)):
            continue  # a blank line, or the note the export writes beneath the table
        values: dict[str, Any] = {}
        for header in REQUIRED:
            raw = cells[header]
            try:
                if is_blank(raw):
                    raise CellError("必填项为空")
                values[header] = READERS[header](raw)
            except CellError as error:
                if len(problems) < limits.max_problems:
                    problems.append(Problem(row_number, header, display_cell(raw), str(error)))
                else:
                    omitted += 1
        if len(values) < len(REQUIRED):
            continue
        if values[YEAR] == year and values[KIND] == RANDOM and values[STATUS] not in NOT_COUNTED:
            counts[values[CODE]] += 1
    if problems or omitted:
        raise ArchiveProblems(file.name, problems, omitted)
    return YearDraws(file.name, year, counts)
