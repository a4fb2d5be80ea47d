"""Import limits (issue 15, finding 3): an 888 KB xlsx of 3 million rows took the server to
4.5 GB, stored 560 MB of problems in one row and left the import page at 10 s a view.

Every limit is crossed here with a small file under a low limit set for the test; a file over a
limit is refused as a whole, with a message naming the file and the limit, at the command line
and on the web page alike, and an xlsx is refused before python-calamine opens it (the reader is
replaced by one that fails the test if called).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shuangsuiji.cli import main
from shuangsuiji.directory import workbooks
from shuangsuiji.directory.models import ImportBatch, Target
from shuangsuiji.directory.registers import TARGETS
from shuangsuiji.directory.services import register_import
from tests.support.workbooks import uscc, xlsx

HEADER = ["统一社会信用代码", "单位名称"]


def rows(count: int, start: int = 1) -> list[list]:
    return [[uscc(n), f"企业{n}"] for n in range(start, start + count)]


def run(content: bytes, organisation, filename: str = "名录.xlsx"):
    return register_import(actor=None, organisation=organisation, spec=TARGETS, content=content,
                           filename=filename, reason="季度调整")  # fmt: skip


def only_problem(outcome) -> str:
    assert outcome.applied is None
    [problem] = outcome.plan.all_problems
    assert problem.row == 0
    return problem.message


class CalamineMustNotRun:
    """Stands in for python-calamine: a file over a limit must be refused before it is read."""

    @classmethod
    def from_filelike(cls, *args, **kwargs):
        raise AssertionError("python-calamine opened a file that is over a limit")


@pytest.fixture
def no_calamine(monkeypatch):
    monkeypatch.setattr(workbooks, "CalamineWorkbook", CalamineMustNotRun)


def long_sheet(count: int, *, columns: int = 2) -> bytes:
    """A workbook as XlsxWriter's streaming mode writes one: each row written out as it comes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for n in range(1, count + 1):
        sheet.write_row(n, 0, [uscc(n), "企"][:columns])
    book.close()
    return buffer.getvalue()


def rewritten(content: bytes, part: str, change) -> bytes:
    """The workbook with one part's XML changed (what a crafted file does)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data)
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def with_cell(content: bytes, ref: str, xml: str | None = None) -> bytes:
    """Add a cell far away, in a row of its own after the others."""
    row = int(re.sub(r"[A-Z]", "", ref))
    cell = xml or f'<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>'
    added = f'<row r="{row}">{cell}</row></sheetData>'.encode()
    return rewritten(content, SHEET, lambda data: data.replace(b"</sheetData>", added))


# ---- file size -----------------------------------------------------------------------------


def test_file_over_the_size_limit_is_refused_the_same_way_everywhere(
    branch, coordinator, client, settings, tmp_path, capsys, no_calamine
):
    settings.SHUANGSUIJI_IMPORT_MAX_BYTES = 2048
    content = xlsx([HEADER, *rows(3)])
    size = f"{len(content) / 1024:.1f}".removesuffix(".0")
    expected = f"名录.xlsx：文件大小 {size} KB，超过 2 KB 的上限，请分批导入"

    assert only_problem(run(content, branch)) == expected

    path = tmp_path / "名录.xlsx"
    path.write_bytes(content)
    with pytest.MonkeyPatch.context() as patch:
        # The command refuses by the file's size, without reading it into memory first.
        patch.setattr(type(path), "read_bytes", lambda self: pytest.fail("文件被读入内存"))
        assert main(["import", "targets", str(path), "--org", branch.code, "--reason", "x"]) == 1
    assert expected in capsys.readouterr().err

    client.force_login(coordinator)
    response = client.post(reverse("directory:import", args=["targets"]),
                           {"file": SimpleUploadedFile("名录.xlsx", content)})  # fmt: skip
    assert response.status_code == 200 and expected in response.content.decode()
    assert not ImportBatch.objects.exists() and not Target.objects.exists()


# ---- rows ----------------------------------------------------------------------------------


def test_data_rows_over_the_limit_are_refused_and_up_to_it_imported(branch, settings):
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 5
    message = only_problem(run(xlsx([HEADER, *rows(6)]), branch))
    assert message == "名录.xlsx：超过 5 行的上限（本表 7 行），请分批导入"
    assert not Target.objects.exists()
    # The limit counts data rows: a title block above the header is not one.
    outcome = run(xlsx([HEADER, *rows(5)], title="遵化市检查对象名录"), branch)
    assert outcome.applied["new"] == 5


def test_a_long_sheet_is_refused_from_its_rows_before_it_is_read(branch, settings, no_calamine):
    """The shape of the 3-million-row file, at 3,000 rows against a limit of 50."""
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 50
    message = only_problem(run(long_sheet(3000, columns=1), branch))
    assert message == "名录.xlsx：超过 50 行的上限（本表 3,001 行），请分批导入"


def test_a_sheet_whose_size_is_not_declared_is_measured_all_the_same(branch, settings, no_calamine):
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 50
    content = rewritten(
        long_sheet(200), SHEET, lambda data: re.sub(rb"<dimension [^>]*/>", b"", data)
    )
    assert only_problem(run(content, branch)) == "名录.xlsx：超过 50 行的上限，请分批导入"
    lying = rewritten(
        long_sheet(200), SHEET, lambda data: re.sub(rb'ref="[^"]*"', b'ref="A1:B2"', data)
    )
    assert only_problem(run(lying, branch)) == "名录.xlsx：超过 50 行的上限，请分批导入"


def test_csv_reading_stops_at_the_first_row_over_the_limit(branch, settings):
    """The reader takes the limit's data rows, a title block's worth more, and one row to know
    it is over: the row after that is never read (were it, its unbalanced quote would be the
    problem reported)."""
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 5
    read = 5 + workbooks.HEADER_SEARCH_ROWS + 1
    lines = [",".join(HEADER)] + [f"{uscc(n)},企业{n}" for n in range(1, read)]
    content = "\n".join([*lines, f'{uscc(99)},"never closed', f"{uscc(98)},乙"]).encode()
    message = only_problem(run(content, branch, "名录.csv"))
    assert message == "名录.csv：超过 5 行的上限，请分批导入"
    # Within the limit the same broken row is reported where it is.
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 100
    assert "英文双引号不成对" in only_problem(run(content, branch, "名录.csv"))


# ---- columns and cells -----------------------------------------------------------------------


def test_columns_over_the_limit(branch, settings, no_calamine):
    settings.SHUANGSUIJI_IMPORT_MAX_COLUMNS = 60
    wide = with_cell(xlsx([HEADER, *rows(2)]), "CV4")
    assert only_problem(run(wide, branch)) == (
        "名录.xlsx：超过 60 列的上限（本表用到第 100 列，即 CV 列），请删去多余的列后重新导入"
    )
    csv_text = ",".join(HEADER + [f"备注{n}" for n in range(68)]) + f"\n{uscc(1)},甲\n"
    assert only_problem(run(csv_text.encode(), branch, "名录.csv")) == (
        "名录.csv：超过 60 列的上限（本表用到第 70 列，即 BR 列），请删去多余的列后重新导入"
    )


def test_one_cell_at_the_far_corner_is_refused_before_it_is_read(branch, no_calamine):
    """python-calamine builds a sheet as a full rectangle: this 6 KB file would ask it for
    17 billion cells."""
    bomb = with_cell(xlsx([HEADER, *rows(1)]), "XFD1048576")
    assert len(bomb) < 10_000
    assert only_problem(run(bomb, branch)) == (
        "名录.xlsx：超过 60 列的上限（本表用到第 16,384 列，即 XFD 列），请删去多余的列后重新导入"
    )


def test_formatted_empty_cells_far_away_do_not_count(branch, settings):
    """Borders or colours down to row 5,000 and across to column ZZ hold no data: python-calamine
    keeps nothing of them, and neither does the measure."""
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 50
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    border = book.add_format({"border": 1})
    for r, row in enumerate([HEADER, *rows(3)]):
        sheet.write_row(r, 0, row)
    sheet.write_blank(4999, 701, None, border)
    book.close()
    assert run(buffer.getvalue(), branch).applied["new"] == 3


# ---- zip bombs -------------------------------------------------------------------------------


def test_an_xlsx_that_unpacks_to_more_than_the_limit_is_refused(branch, settings, no_calamine):
    settings.SHUANGSUIJI_IMPORT_MAX_UNPACKED_BYTES = 256 * 1024
    bomb = rewritten(
        long_sheet(3), "docProps/app.xml", lambda data: data + b" " * (4 * 1024 * 1024)
    )
    assert len(bomb) < 30_000
    assert only_problem(run(bomb, branch)) == (
        "名录.xlsx：解压后超过 256 KB 的上限（xlsx 是压缩文件），"
        "请删去多余的工作表、图片后重新导入，或分批导入"
    )


def test_a_part_larger_than_its_zip_records_is_refused(branch, no_calamine):
    """A crafted zip may record a small size for a part that unpacks to far more; the real size
    is measured, not the recorded one."""
    data = bytearray(long_sheet(20))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local = archive.getinfo(SHEET).header_offset
    struct.pack_into("<I", data, local + 22, 100)  # the local header's uncompressed size
    entry = struct.unpack_from("<I", data, bytes(data).rfind(b"PK\x05\x06") + 16)[0]
    while True:  # the part's entry in the central directory
        name_length, extra, comment = struct.unpack_from("<HHH", data, entry + 28)
        if bytes(data[entry + 46 : entry + 46 + name_length]).decode() == SHEET:
            struct.pack_into("<I", data, entry + 24, 100)
            break
        entry += 46 + name_length + extra + comment
    message = only_problem(run(bytes(data), branch))
    assert message.startswith(f"名录.xlsx：无法读取为 Excel 工作簿（部件 {SHEET} 的大小与记录不符")


def test_a_renamed_zip_is_measured_as_well(branch, settings, no_calamine):
    """python-calamine reads a workbook by its content: an xlsx named .xls is still an xlsx."""
    settings.SHUANGSUIJI_IMPORT_MAX_ROWS = 50
    message = only_problem(run(long_sheet(300, columns=1), branch, "名录.xls"))
    assert message == "名录.xls：超过 50 行的上限（本表 301 行），请分批导入"


# ---- problems --------------------------------------------------------------------------------


def bad_rows(count: int) -> bytes:
    return xlsx([HEADER, *([f"BAD{n}", f"企业{n}"] for n in range(count))])


def test_problems_beyond_the_limit_are_counted_not_listed(
    branch, coordinator, client, settings, tmp_path, capsys
):
    settings.SHUANGSUIJI_IMPORT_MAX_PROBLEMS = 3
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False
    note = "名录.xlsx：另有 7 处问题未列出（只列出前 3 处），请先改正以上问题后重新上传"

    outcome = run(bad_rows(10), branch)
    assert [p.row for p in outcome.plan.all_problems] == [2, 3, 4, 0]
    assert outcome.plan.all_problems[-1].message == note
    assert outcome.plan.problem_count == 10

    path = tmp_path / "名录.xlsx"
    path.write_bytes(bad_rows(10))
    assert main(["import", "targets", str(path), "--org", branch.code, "--reason", "x"]) == 1
    err = capsys.readouterr().err
    assert note in err and "共 10 处问题，未写入任何数据。" in err

    client.force_login(coordinator)
    client.post(reverse("directory:import", args=["targets"]),
                {"file": SimpleUploadedFile("名录.xlsx", bad_rows(10))})  # fmt: skip
    batch = ImportBatch.objects.get()
    assert (batch.problem_count, len(batch.problems)) == (10, 4)
    text = client.get(reverse("directory:import_batch", args=[batch.pk])).content.decode()
    assert "发现 10 处问题，未写入任何数据" in text and note in text


def test_import_page_never_reads_stored_problems(branch, coordinator, client):
    """However many problems earlier uploads stored, the import page lists them without reading
    those columns, in the same number of queries."""
    client.force_login(coordinator)
    url = reverse("directory:import", args=["targets"])

    def add_batch(n):
        ImportBatch.objects.create(
            organisation=branch, register="targets", original_name=f"名录{n}.xlsx",
            uploaded_by=coordinator, status=ImportBatch.Status.INVALID,
            problems=[[r, "统一社会信用代码", "x", "统一社会信用代码无效"] for r in range(2, 2000)],
            problem_count=1998,
        )  # fmt: skip

    add_batch(0)
    client.get("/")  # the menu's to-do counts are read once per change (reports.todo_counts)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 6):
        add_batch(n)
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert response.status_code == 200 and "名录5.xlsx" in response.content.decode()
    assert len(six.captured_queries) == len(one.captured_queries)
    for query in six.captured_queries:
        if "directory_importbatch" in query["sql"]:
            assert '"problems"' not in query["sql"] and '"summary"' not in query["sql"]
