"""Reading and validating a register workbook completely, without a database.

If any row is wrong nothing is written: ``parse_workbook`` collects every problem of every row
(one per cell); the database steps in ``importing`` run only on a file without problems. With
import limits, a file over them is refused as a whole before it is read, and only the first
problems are kept one by one (the rest are counted): a file of 100,000 bad rows must not become
100,000 stored messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shuangsuiji.directory.codes import strip_controls
from shuangsuiji.directory.limits import problems_omitted, too_many_rows
from shuangsuiji.directory.registers import CellError, Column, RegisterSpec, is_blank
from shuangsuiji.directory.workbooks import (
    ImportLimits,
    WorkbookError,
    locate_header,
    normalise_header,
    read_rows,
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    row: int  # the row number the user sees in Excel; 0 for the file as a whole
    column: str
    value: str
    message: str

    def as_list(self) -> list:
        return [self.row or "", self.column, self.value, self.message]


@dataclass
class ParsedWorkbook:
    spec: RegisterSpec
    filename: str
    rows: list[list[Any]] = field(default_factory=list)
    header_index: int = 0
    columns: list[tuple[int, Column]] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: The first ``max_problems`` problems; ``omitted`` counts those after them.
    problems: list[Problem] = field(default_factory=list)
    max_problems: int | None = None
    omitted: int = 0

    @property
    def present_fields(self) -> list[str]:
        return [column.field for _, column in self.columns]

    def add(self, problem: Problem) -> None:
        if self.max_problems is None or len(self.problems) < self.max_problems:
            self.problems.append(problem)
        else:
            self.omitted += 1

    def omitted_note(self, listed: int, omitted: int) -> Problem:
        """The file-level line that says how many problems are not listed."""
        return Problem(0, "", "", problems_omitted(self.filename, listed, omitted))


def display_cell(value: Any) -> str:
    """A raw cell as the error table shows it. Without control characters: they are invisible,
    and PostgreSQL cannot keep NUL in the JSON of an import batch."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return strip_controls(str(value))


def parse_workbook(
    spec: RegisterSpec,
    content: bytes,
    filename: str,
    on_progress: Progress | None = None,
    *,
    max_lengths: Mapping[str, int] | None = None,
    limits: ImportLimits | None = None,
) -> ParsedWorkbook:
    """``max_lengths``: the most characters a text value may have, by field name; ``limits``:
    the import limits. The database steps pass both (``importing.parse_register_file``); the
    pure ``policy`` commands store nothing and pass neither."""
    parsed = ParsedWorkbook(
        spec=spec, filename=filename, max_problems=limits.max_problems if limits else None
    )
    try:
        parsed.rows = read_rows(content, filename, limits)
        required = [c.header for c in spec.columns if c.required]
        parsed.header_index = locate_header(parsed.rows, required, filename)
    except WorkbookError as error:
        parsed.add(Problem(0, "", "", str(error)))
        return parsed
    if limits is not None and len(parsed.rows) - parsed.header_index - 1 > limits.max_rows:
        parsed.add(Problem(0, "", "", too_many_rows(filename, limits.max_rows, len(parsed.rows))))
        parsed.rows = []  # nothing of it is read further, nor copied into the error workbook
        return parsed

    by_header = {c.header: c for c in spec.columns}
    seen_headers: dict[str, int] = {}
    header_row_number = parsed.header_index + 1
    for index, cell in enumerate(parsed.rows[parsed.header_index]):
        header = normalise_header(cell)
        if not header:
            continue
        if header in seen_headers:
            parsed.add(
                Problem(
                    header_row_number,
                    header,
                    header,
                    f"表头重复（第 {seen_headers[header] + 1} 列已有）",
                )
            )
        elif header in by_header:
            parsed.columns.append((index, by_header[header]))
        elif header != "错误":  # the column our own error workbook adds
            parsed.unknown_headers.append(header)
        seen_headers.setdefault(header, index)

    data = parsed.rows[parsed.header_index + 1 :]
    total = len(data)
    key_rows: dict[tuple, int] = {}
    caches: list[dict] = [{} for _ in parsed.columns]
    limits = [(max_lengths or {}).get(column.field) for _, column in parsed.columns]
    for offset, row in enumerate(data):
        row_number = header_row_number + offset + 1
        if on_progress and offset % 5000 == 0:
            on_progress("校验", offset, total)
        if all(is_blank(cell) for cell in row):
            continue  # a blank line between rows holds no data
        values, row_ok = _parse_row(parsed, row, row_number, caches, limits)
        if not row_ok:
            continue
        for header, message in spec.row_rules(values):
            parsed.add(Problem(row_number, header, "", message))
            row_ok = False
        key = spec.key_of(values)
        if key in key_rows:
            parsed.add(
                Problem(
                    row_number,
                    spec.key_label(),
                    " ".join(display_cell(k) for k in key if k),
                    f"与第 {key_rows[key]} 行重复（{spec.key_label()}）",
                )
            )
            continue
        key_rows[key] = row_number
        if row_ok:
            parsed.records.append((row_number, values))
    if on_progress:
        on_progress("校验", total, total)
    if not parsed.records and not parsed.problems:
        parsed.add(Problem(0, "", "", f"{filename}：表头下没有数据行"))
    return parsed


_BLANK = object()


def _read_cell(column: Column, raw: Any, limit: int | None):
    """``_BLANK``, ``(True, value)`` or ``(False, why)``."""
    if is_blank(raw):
        return _BLANK
    try:
        value = column.read(raw)
    except CellError as error:
        return (False, str(error))
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return (False, f"不能超过 {limit} 个字符（该格有 {len(value)} 个字符）")
    return (True, value)


def _parse_row(
    parsed: ParsedWorkbook,
    row: list[Any],
    row_number: int,
    caches: list[dict],
    limits: list[int | None],
):
    values: dict[str, Any] = {c.field: c.default for c in parsed.spec.columns}
    ok = True
    width = len(row)
    for (index, column), cache, limit in zip(parsed.columns, caches, limits, strict=True):
        raw = row[index] if index < width else None
        # A register repeats the same enumerations, tags and 片区 on every row: each distinct
        # cell of a column is read once. Keyed by type too: True == 1 == 1.0 in Python, yet a
        # boolean cell TRUE is not the number 1.
        key = (raw.__class__, raw)
        try:
            outcome = cache[key]
        except KeyError:
            outcome = _read_cell(column, raw, limit)
            cache[key] = outcome
        if outcome is _BLANK:
            if column.required:
                parsed.add(Problem(row_number, column.header, "", "必填项为空"))
                ok = False
        elif outcome[0]:
            values[column.field] = outcome[1]
        else:
            # A 身份证号 or 联系电话 refused (a wrong check digit is mostly a typo in a real
            # number) is shown masked: the problems are stored and audited in plain JSON.
            shown = display_cell(raw)
            if column.sensitive:
                shown = column.mask(shown)
            parsed.add(Problem(row_number, column.header, shown, outcome[1]))
            ok = False
    return values, ok
