"""Files the portal and the open-data API hand out: a draw's bundle, CSV tables, and the
published results as CSV or Excel (the same columns and rows in both)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from shuangsuiji.disclosure import selectors
from shuangsuiji.draw.bundle import zip_files
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw
from shuangsuiji.spreadsheets import XlsxText, csv_row, file_name, sheet_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bundle_zip(draw: Draw) -> HttpResponse:
    archive = zip_files(draw.draw_id, selectors.public_bundle(draw))
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, f"{draw.draw_id}.zip")
    return response


class _Line:
    """A file-like target for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_response(
    filename: str,
    header: list[str],
    rows: Iterable,
    row: Callable[[object], list],
) -> StreamingHttpResponse:
    """Stream every row, so a 500,000-line register never sits in memory. The byte-order mark
    lets Excel, which bureaus open CSV files with, read the Chinese as UTF-8; a cell that a
    spreadsheet would run as a formula is neutralised (shuangsuiji.spreadsheets)."""
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(csv_row(header))
        for item in rows:
            yield writer.writerow(csv_row(row(item)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# -- published results ------------------------------------------------------------------------

#: The columns of a results download, CSV (the API's ``format=csv``) and Excel (the portal's).
RESULT_COLUMNS = [
    "检查单位",
    "检查对象",
    "统一社会信用代码",
    "抽查任务",
    "抽取编号",
    "抽查事项",
    "检查方式",
    "检查结果",
    "公示内容",
    "后续处置",
    "结果认定日期",
    "公示时间",
]
#: Excel column widths (characters) for RESULT_COLUMNS.
_RESULT_WIDTHS = [28, 30, 22, 26, 20, 36, 12, 18, 50, 30, 14, 28]


def result_values(r: Inspection) -> dict:
    """The public fields of one published result (``selectors.public_results``)."""
    return {
        "organisation": r.organisation.code,
        "organisation_name": r.organisation.name,
        "target_name": r.target.name,
        "credit_code": r.target.credit_code,
        "task": r.task.name if r.task else "",
        "draw_id": r.draw.draw_id if r.draw else None,
        "items": [i.name for i in r.items.all()],
        "method": r.method_used or r.method,
        "category": r.result_category,
        "category_label": r.get_result_category_display(),
        "summary": r.public_summary,
        "determined_on": r.determined_on,
        "published_at": timezone.localtime(r.published_at) if r.published_at else None,
        "follow_ups": [
            {"kind": f.get_kind_display(), "opened_on": f.opened_on, "closed_on": f.closed_on}
            for f in r.follow_ups.all()
        ],
    }


def result_row(r: Inspection) -> list:
    """One published result as a row under RESULT_COLUMNS."""
    v = result_values(r)
    follow_ups = "；".join(
        f"{f['kind']}（{'办结 ' + f['closed_on'].isoformat() if f['closed_on'] else '办理中'}）"
        for f in v["follow_ups"]
    )
    return [
        v["organisation_name"],
        v["target_name"],
        v["credit_code"],
        v["task"],
        v["draw_id"] or "",
        "；".join(v["items"]),
        v["method"],
        v["category_label"],
        v["summary"],
        follow_ups,
        v["determined_on"].isoformat() if v["determined_on"] else "",
        v["published_at"].isoformat(),
    ]


def results_workbook(
    target, rows: Iterable[Inspection], on_row: Callable[[int], None] | None = None
) -> int:
    """Write the published results as one worksheet to ``target`` (a path or a binary file):
    the header row, then a row per result, every cell text (users' words are never a formula:
    shuangsuiji.spreadsheets). ``on_row`` hears how many rows are written after each one.
    Returns how many rows there are."""
    import xlsxwriter

    # constant_memory: rows go to a temporary file as they are written, not all into memory.
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    worksheet = workbook.add_worksheet(sheet_name("抽查结果"))
    cells = XlsxText(workbook)
    head = cells.add_format({"bold": True, "border": 1, "bg_color": "#EEEEEE", "text_wrap": True})
    text = cells.add_format({"valign": "top", "text_wrap": True})
    for column, (header, width) in enumerate(zip(RESULT_COLUMNS, _RESULT_WIDTHS, strict=True)):
        worksheet.set_column(column, column, width)
        cells.write(worksheet, 0, column, header, head)
    worksheet.freeze_panes(1, 0)
    number = 0
    for number, result in enumerate(rows, start=1):
        for column, value in enumerate(result_row(result)):
            cells.write(worksheet, number, column, value, text)
        if on_row is not None:
            on_row(number)
    workbook.close()
    return number


def results_download_name(title: str) -> str:
    return file_name(title, "xlsx")


def results_xlsx_response(title: str, rows: Iterable[Inspection]) -> HttpResponse:
    """The published results as an Excel download named ``title``, built within the request:
    for a download of at most SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows (a larger one is a
    ``ResultsFile``, built by the worker)."""
    buffer = io.BytesIO()
    results_workbook(buffer, rows)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, results_download_name(title))
    return response
