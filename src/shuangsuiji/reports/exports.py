"""Write a ``Sheet`` as an Excel workbook (XlsxWriter) or a PDF (WeasyPrint, Noto CJK)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string

from shuangsuiji.reports.documents import Sheet
from shuangsuiji.spreadsheets import XlsxText, sheet_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PdfUnavailable(RuntimeError):
    """The machine lacks Pango: the message says what to install."""


def to_xlsx(sheet: Sheet) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet_name(sheet.title))
    cells = XlsxText(workbook)  # names and summaries are users' words: never formulas
    title = cells.add_format({"bold": True, "font_size": 14, "align": "center"})
    subtitle = cells.add_format({"align": "center"})
    head = cells.add_format(
        {
            "bold": True,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bg_color": "#EEEEEE",
        }
    )
    cell = cells.add_format({"border": 1, "valign": "top", "text_wrap": True})
    number = cells.add_format({"border": 1, "valign": "top", "num_format": "0"})
    note = cells.add_format({"text_wrap": True, "italic": True})
    last = sheet.columns - 1
    cells.merge(worksheet, 0, 0, 0, last, sheet.title, title)
    row = 1
    if sheet.subtitle:
        cells.merge(worksheet, row, 0, row, last, sheet.subtitle, subtitle)
        row += 1
    taken: set[tuple[int, int]] = set()
    for header_row in sheet.header:
        column = 0
        for header in header_row:
            while (row, column) in taken:
                column += 1
            bottom, right = row + header.rowspan - 1, column + header.colspan - 1
            if (bottom, right) != (row, column):
                cells.merge(worksheet, row, column, bottom, right, header.text, head)
            else:
                cells.write(worksheet, row, column, header.text, head)
            taken |= {(r, c) for r in range(row, bottom + 1) for c in range(column, right + 1)}
            column = right + 1
        row += 1
    worksheet.freeze_panes(row, 0)
    for values in sheet.rows:
        for column, value in enumerate(values):
            cells.write(worksheet, row, column, value, number if isinstance(value, int) else cell)
        row += 1
    for text in sheet.notes:
        row += 1
        cells.merge(worksheet, row, 0, row, last, text, note)
        worksheet.set_row(row, 30)
    for column, width in enumerate(sheet.widths):
        worksheet.set_column(column, column, width)
    worksheet.set_landscape() if sheet.landscape else worksheet.set_portrait()
    worksheet.set_paper(9)  # A4
    worksheet.fit_to_pages(1, 0)
    workbook.close()
    return buffer.getvalue()


def to_pdf(sheet: Sheet) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:
        raise PdfUnavailable(
            "服务器缺少 PDF 组件，请系统管理员安装 libpango-1.0-0、libpangoft2-1.0-0 和 "
            "fonts-noto-cjk。"
        ) from error
    html = render_to_string("reports/sheet_pdf.html", {"sheet": sheet})
    return HTML(string=html).write_pdf()
