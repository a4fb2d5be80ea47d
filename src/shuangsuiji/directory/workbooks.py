"""Reading a bureau's spreadsheet as it is, and writing workbooks (errors, exports, templates)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook

from shuangsuiji import filetypes
from shuangsuiji.directory import codes
from shuangsuiji.directory.limits import (
    HEADER_SEARCH_ROWS,
    ImportLimits,
    LimitError,
    check_extent,
    check_size,
    check_xlsx,
    too_many_columns,
    too_many_rows,
)
from shuangsuiji.spreadsheets import XlsxText
from shuangsuiji.spreadsheets import sheet_name as safe_sheet_name


class WorkbookError(ValueError):
    """The file as a whole cannot be read (not a spreadsheet, no header row …)."""


@dataclass
class Sheet:
    rows: list[list[Any]]
    #: 0-based index of the header row within ``rows``.
    header_index: int = 0


def normalise_header(value: Any) -> str:
    text = codes.fold_width(codes.strip_invisible(str(value or "")))
    return "".join(text.split()).strip("*＊")


def read_rows(content: bytes, filename: str, limits: ImportLimits | None = None) -> list[list[Any]]:
    """The first sheet's rows from A1, as Excel numbers them. With ``limits``, a file over one
    of them is refused before calamine reads it (see ``limits``); the pure ``policy`` commands
    pass none."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in {".csv", ".xlsx", ".xls", ".xlsm"}:
        raise WorkbookError(
            f"{filename}：不支持的文件类型“{suffix or '无扩展名'}”，请上传 .xlsx、.xls 或 .csv 文件"
        )
    try:
        if limits is not None:
            check_size(content, filename, limits)
        if suffix == ".csv":
            return _read_csv(content, filename, limits)
        if limits is not None and filetypes.file_type(content) in (
            filetypes.ZIP,
            filetypes.EMPTY_ZIP,
        ):
            # By content, not by name: calamine reads a zip renamed to .xls as an xlsx.
            check_xlsx(content, filename, limits)
    except LimitError as error:
        raise WorkbookError(str(error)) from error
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not workbook.sheet_names:
            raise WorkbookError(f"{filename}：工作簿中没有工作表")
        sheet = workbook.get_sheet_by_index(0)
        if limits is not None and sheet.end is not None:
            # An .xls is measured only now (its format stops at 65,536 × 256); an xlsx was
            # measured before calamine opened it, and this agrees.
            check_extent(filename, sheet.end[0] + 1, sheet.end[1] + 1, limits)
        return sheet.to_python(skip_empty_area=False)
    except LimitError as error:
        raise WorkbookError(str(error)) from error
    except WorkbookError:
        raise
    except Exception as error:  # calamine raises its own types for every kind of damage
        raise WorkbookError(f"{filename}：无法读取为 Excel 工作簿（{error}）") from error


def _read_csv(content: bytes, filename: str, limits: ImportLimits | None) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _csv_rows(text, filename, limits)
    raise WorkbookError(f"{filename}：无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV")


def _csv_rows(text: str, filename: str, limits: ImportLimits | None = None) -> list[list[str]]:
    """The rows of a CSV text. Strict, so that an opening quote never closed is reported rather
    than silently swallowing every row after it into one cell. With ``limits``, reading stops
    at the first row over them."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if limits is not None:
                while row and row[-1] == "":
                    row.pop()  # trailing empty fields are no columns (Excel writes them)
                if len(row) > limits.max_columns:
                    raise LimitError(too_many_columns(filename, limits.max_columns, len(row)))
                if len(rows) == limits.max_sheet_rows:
                    raise LimitError(too_many_rows(filename, limits.max_rows))
            rows.append(row)
    except LimitError as error:
        raise WorkbookError(str(error)) from error
    except csv.Error as error:
        # The row as Excel numbers it: the records read so far, plus this one.
        where = f"{filename} 第 {len(rows) + 1} 行"
        if "field limit" in str(error):
            raise WorkbookError(
                f"{where}：有一格超过 {csv.field_size_limit()} 个字符，无法读取（多半是一个不成对的"
                "英文双引号把其后的内容并进了这一格）"
            ) from error
        raise WorkbookError(
            f"{where}：英文双引号不成对，或引号后紧跟了其他字符，无法按 CSV 读取；请改正该行，"
            "或用 Excel 打开后另存为 .xlsx 再上传"
        ) from error
    return rows


def locate_header(rows: list[list[Any]], required: list[str], filename: str) -> int:
    """The first row (within the first rows) that holds every required header."""
    wanted = set(required)
    best = (0, -1)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = wanted & {normalise_header(cell) for cell in row}
        if found == wanted:
            return index
        best = max(best, (len(found), index))
    if best[1] >= 0 and best[0] > 0:
        row = {normalise_header(c) for c in rows[best[1]]}
        missing = "、".join(h for h in required if h not in row)
        raise WorkbookError(f"{filename} 第 {best[1] + 1} 行：缺少必填列“{missing}”")
    raise WorkbookError(
        f"{filename}：前 {HEADER_SEARCH_ROWS} 行中找不到表头（应包含“{'、'.join(required)}”）"
    )


def write_workbook(
    headers: list[str],
    rows: list[list[Any]],
    *,
    sheet_name: str = "Sheet1",
    options: dict[int, tuple[str, ...]] | None = None,
    highlight_column: int | None = None,
    above: list[list[Any]] | None = None,
) -> bytes:
    """An xlsx with a bold header row; every cell is text so codes keep their digits.
    ``above``: rows written before the header as they were (a workbook's title rows), so a
    sheet written back keeps its row numbers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet(safe_sheet_name(sheet_name))
    cells = XlsxText(book)  # registers hold users' words: a leading "=" is never a formula
    bold = cells.add_format({"bold": True, "bg_color": "#E8EEF3", "border": 1})
    text = cells.add_format({"num_format": "@"})
    red = cells.add_format({"font_color": "#B42318", "num_format": "@", "text_wrap": True})
    above = above or []
    for r, row in enumerate(above):
        for c, value in enumerate(row):
            if value not in (None, ""):
                cells.write(sheet, r, c, str(value), text)
    top = len(above)
    for col, header in enumerate(headers):
        cells.write(sheet, top, col, header, bold)
        sheet.set_column(col, col, max(10, len(header) * 2 + 2), text)
    if highlight_column is not None:
        sheet.set_column(highlight_column, highlight_column, 60, red)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            cells.write(sheet, r, c, str(value), red if c == highlight_column else text)
    for col, words in (options or {}).items():
        # Excel caps a literal list at 255 characters; our vocabularies are far shorter.
        sheet.data_validation(
            top + 1, col, 1_048_575, col,
            {"validate": "list", "source": list(words), "error_type": "warning",
             "error_message": f"可选：{'、'.join(words)}"},
        )  # fmt: skip
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return buffer.getvalue()
