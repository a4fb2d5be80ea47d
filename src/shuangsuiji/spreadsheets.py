"""Cells and file names of every spreadsheet and download the platform writes, made harmless.

A target's name, a 公示摘要 or an organisation's name is typed by someone; opened in Excel or
WPS, a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can run as a
formula (``=HYPERLINK(...)`` sends data away). Following OWASP's CSV-injection guidance, every
export goes through this module:

- CSV: such a cell is prefixed with an apostrophe, which spreadsheet programs take as "text".
- Excel: text is always written as a string cell, never through ``write()`` (which turns
  ``=…`` into a formula), and a formula-like string gets the ``quotePrefix`` style: Excel shows
  the text unchanged and keeps it text when the cell is edited, and the value round-trips through
  our importers unchanged.

Pure Python apart from the XlsxWriter objects it is handed.
"""

from __future__ import annotations

import re
from typing import Any

#: The first characters OWASP lists as starting a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet program evaluates; numbers stay numbers."""
    return "'" + value if formula_like(value) else value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


class XlsxText:
    """Writes the text cells of one XlsxWriter workbook safely.

    Formats are made through ``add_format`` here, so that the quote-prefixed twin of each can be
    made, once and on first need, from the same properties.
    """

    def __init__(self, workbook) -> None:
        self.workbook = workbook
        self._properties: dict[int, dict] = {}
        self._quoted: dict[int | None, object] = {}

    def add_format(self, properties: dict | None = None):
        cell_format = self.workbook.add_format(properties or {})
        self._properties[id(cell_format)] = dict(properties or {})
        return cell_format

    def _quoted_format(self, cell_format):
        key = None if cell_format is None else id(cell_format)
        if key not in self._quoted:
            properties = {} if key is None else self._properties[key]
            self._quoted[key] = self.workbook.add_format({**properties, "quote_prefix": True})
        return self._quoted[key]

    def format_for(self, value: object, cell_format=None):
        return self._quoted_format(cell_format) if formula_like(value) else cell_format

    def write(self, worksheet, row: int, column: int, value: Any, cell_format=None) -> None:
        """A number as a number, anything else as text that is never a formula."""
        if isinstance(value, bool) or value is None:
            value = "" if value is None else ("是" if value else "否")
        if isinstance(value, int | float):
            worksheet.write_number(row, column, value, cell_format)
            return
        text = str(value)
        worksheet.write_string(row, column, text, self.format_for(text, cell_format))

    def merge(self, worksheet, first_row, first_col, last_row, last_col, text, cell_format):
        """``merge_range`` writes its data through ``write()``: write the text ourselves."""
        text = str(text)
        fmt = self.format_for(text, cell_format)
        worksheet.merge_range(first_row, first_col, last_row, last_col, "", fmt)
        worksheet.write_string(first_row, first_col, text, fmt)


#: Excel refuses these in a worksheet's name (and XlsxWriter raises for them).
_UNSAFE_IN_SHEET = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")


def sheet_name(text: str) -> str:
    """A worksheet name from users' words: at most 31 characters, none Excel refuses, and not
    starting or ending with an apostrophe."""
    return _UNSAFE_IN_SHEET.sub("_", text)[:31].strip("'") or "Sheet1"


#: Characters no file name may carry on Windows, macOS or Linux, plus controls.
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(text: str, extension: str) -> str:
    """A download's file name from users' words (an organisation's name, a plan's title):
    path separators and characters Windows refuses become "_"; the header itself is built by
    Django's ``content_disposition_header``, which quotes and encodes the rest."""
    stem = _UNSAFE_IN_NAME.sub("_", text).strip(" ._") or "下载"
    return f"{stem[:120]}.{extension}"
