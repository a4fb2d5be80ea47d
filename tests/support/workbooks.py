"""Building test workbooks with real cell types and valid codes."""

import datetime
import io

import xlsxwriter

from shuangsuiji.directory import codes

TARGET_HEADERS = [
    "统一社会信用代码",
    "单位名称",
    "对象类型",
    "项目代码",
    "行政区划代码",
    "要素标签",
]


def uscc(serial: int, division: str = "130281") -> str:
    """A valid 统一社会信用代码 for test rows."""
    body = f"91{division}MA{serial:07d}"
    return body + codes.uscc_check_digit(body)


def id_number(serial: int) -> str:
    body = f"130281198{serial % 10}0101{serial % 1000:03d}"
    return body + codes.id_check_digit(body)


def xlsx(rows: list[list], *, title: str | None = None) -> bytes:
    """A workbook with real cell types: numbers stay numbers, dates are Excel dates."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    offset = 0
    if title:
        sheet.write_string(0, 0, title)
        offset = 1
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.date):
                sheet.write_datetime(r + offset, c, value, date_format)
            elif isinstance(value, int | float):
                sheet.write_number(r + offset, c, value)
            else:
                sheet.write_string(r + offset, c, value)
    book.close()
    return buffer.getvalue()
