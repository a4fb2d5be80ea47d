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


#: Lines set close, as on a printed form, so a quarter's 统计表 and a county's plan of a few items
#: each take one page.
PRINT_CSS = "th, td { line-height: 1.3; padding-top: 1mm; padding-bottom: 1mm; }"
#: A column of numbers needs on paper no more than its heading at a few characters a line: its
#: share of the printed width is capped at this many of the workbook's width units, leaving
#: the rest to the columns of words (the 统计表's 项目 and 指标).
NUMBER_COLUMN_WIDTH = 10


def print_css(sheet: Sheet) -> str:
    """The print rules added to reports/sheet_pdf.html for ``sheet``: close lines, and the
    sheet's column widths (its workbook's) as a fixed table layout, so the printed page gives
    each column its share of the width instead of squeezing a column of long words (a plan's
    抽查事项, the 统计表's 合计) to a character or two a line. A heading that spans columns
    takes their widths together."""
    if not sheet.widths:
        return PRINT_CSS
    widths = [
        min(width, NUMBER_COLUMN_WIDTH)
        if sheet.rows and all(isinstance(row[column], int) for row in sheet.rows)
        else width
        for column, width in enumerate(sheet.widths)
    ]
    total = sum(widths)
    # A cell's width takes in its padding, so the shares add up to the page's width.
    rules = [PRINT_CSS, "table { table-layout: fixed; }", "th, td { box-sizing: border-box; }"]
    column = 0
    for position, cell in enumerate(sheet.header[0], start=1):
        share = sum(widths[column : column + cell.colspan]) / total
        rules.append(
            f"thead tr:first-child th:nth-child({position}) {{ width: {share * 100:.2f}%; }}"
        )
        column += cell.colspan
    return "\n".join(rules)


def layout(sheet: Sheet):
    """The sheet laid out on A4 pages by WeasyPrint: a ``weasyprint.Document``, whose pages
    the tests read back box by box."""
    try:
        from weasyprint import CSS, HTML
    except OSError as error:
        raise PdfUnavailable(
            "服务器缺少 PDF 组件，请系统管理员安装 libpango-1.0-0、libpangoft2-1.0-0 和 "
            "fonts-noto-cjk。"
        ) from error
    html = render_to_string("reports/sheet_pdf.html", {"sheet": sheet})
    return HTML(string=html).render(stylesheets=[CSS(string=print_css(sheet))])


def to_pdf(sheet: Sheet) -> bytes:
    return layout(sheet).write_pdf()
