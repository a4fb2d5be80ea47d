"""The portal's results download in Excel as well as CSV (issue 19 §8): the same columns and rows
as the open-data CSV for the same filters, named in Chinese, nothing confidential, and users'
words never a formula."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from python_calamine import CalamineWorkbook

from shuangsuiji.inspections.models import Inspection, ResultCategory
from tests.disclosure.test_spreadsheet_safety import csv_rows


def xlsx_rows(response) -> list[list[str]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["抽查结果"]
    return [[str(cell) for cell in row] for row in book.get_sheet_by_index(0).to_python()]


def downloaded_name(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(disposition.split("filename*=utf-8''", 1)[1])


def excel(client, code: str, **filters):
    response = client.get(f"/gongkai/org/{code}/results.xlsx", filters)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return response


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 2),
        ({"year": "2026"}, 2),
        ({"category": ResultCategory.ORDERED.value}, 1),
        ({"year": "2025"}, 0),
    ],
)
def test_excel_has_exactly_the_rows_and_columns_of_the_csv(client, portal, filters, count):
    code = portal.county.code
    csv = csv_rows(client.get("/api/results", {"organisation": code, "format": "csv", **filters}))
    rows = xlsx_rows(excel(client, code, **filters))
    assert rows == csv
    assert len(rows) == 1 + count
    assert rows[0][:3] == ["检查单位", "检查对象", "统一社会信用代码"]


def test_excel_is_named_in_chinese_after_its_filters(client, portal):
    code, name = portal.county.code, portal.county.name
    assert downloaded_name(excel(client, code)) == f"{name}-抽查结果.xlsx"
    quarter = excel(client, code, year="2026", quarter="4")
    assert downloaded_name(quarter) == f"{name}-2026年第四季度-抽查结果.xlsx"
    ordered = excel(client, code, year="2026", category=ResultCategory.ORDERED.value)
    label = ResultCategory.ORDERED.label
    assert downloaded_name(ordered) == f"{name}-2026年-{label}-抽查结果.xlsx"


def test_excel_holds_nothing_confidential(client, portal):
    rows = xlsx_rows(excel(client, portal.county.code))
    text = "\n".join("\t".join(row) for row in rows)
    for withheld in (portal.secret, portal.unrevealed, portal.targeted):
        assert withheld.target.credit_code not in text
    for words in (
        "涉及企业工艺参数",
        "名单未公开时不得出现",
        "举报核查",
        "举报 2026-031",
        "内部记录",
    ):
        assert words not in text
    published = {portal.clean.target.credit_code, portal.ordered.target.credit_code}
    assert {row[2] for row in rows[1:]} == published


def quoted_inline_texts(content: bytes) -> tuple[int, list[str]]:
    """The formula cells of the (row by row written, inline-string) sheet, and the texts of
    its quote-prefixed cells."""
    book = zipfile.ZipFile(io.BytesIO(content))
    xml = book.read("xl/worksheets/sheet1.xml").decode()
    cell_xfs = re.search(
        r"<cellXfs[^>]*>(.*?)</cellXfs>", book.read("xl/styles.xml").decode(), re.S
    )
    quoted_styles = {
        str(i)
        for i, xf in enumerate(re.findall(r"<xf [^>]*>", cell_xfs.group(1)))
        if "quotePrefix" in xf
    }
    cells = re.findall(
        r'<c r="[A-Z]+\d+" s="(\d+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', xml
    )
    return xml.count("<f>"), [text for style, text in cells if style in quoted_styles]


def test_users_words_stay_text(client, portal):
    Inspection.objects.filter(pk=portal.clean.pk).update(public_summary="=1+2 未发现问题")
    response = excel(client, portal.county.code)
    formulas, quoted = quoted_inline_texts(response.content)
    assert formulas == 0 and quoted == ["=1+2 未发现问题"]
    assert any("=1+2 未发现问题" in row for row in xlsx_rows(response))


def test_results_page_offers_excel_with_its_filters(client, portal):
    code = portal.county.code
    page = client.get(f"/gongkai/org/{code}/results/", {"year": "2026", "quarter": "4"})
    html = page.content.decode()
    assert f'href="/gongkai/org/{code}/results.xlsx?year=2026&amp;quarter=4">下载 Excel</a>' in html
    plain = client.get(f"/gongkai/org/{code}/results/").content.decode()
    assert f'href="/gongkai/org/{code}/results.xlsx">下载 Excel</a>' in plain


def test_a_bad_filter_answers_with_the_page_naming_it(client, portal):
    response = client.get(f"/gongkai/org/{portal.county.code}/results.xlsx", {"year": "abc"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "参数 year=“abc”无效" in response.content.decode()


def test_an_unknown_organisation_has_no_download(client, portal):
    assert client.get("/gongkai/org/999999/results.xlsx").status_code == 404
