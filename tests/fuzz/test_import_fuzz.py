"""Hypothesis-generated workbooks into every register importer (issue 10, “Bad input and faults”).

Generated files: random cells of the wrong type (numbers, dates, times, durations, booleans where
text is expected and the reverse), 32,767-character cells (Excel's limit) and 100,000-character
CSV fields, formulas (``=1/0``, ``=A1`` …), merged cells, title rows, shuffled, duplicated,
misspelt and missing columns, empty sheets, a sheet with only its header, the data on the second
sheet, CSV in UTF-8, UTF-8 with BOM, GBK and GB18030 with junk bytes, bytes that are no
spreadsheet at all named ``.xlsx``, truncated and corrupted real workbooks, wrong extensions.

Properties of ``register_import`` on each (registers already holding rows, so the “changed” and
“absent” paths and the database rules run too):

- it returns an outcome or raises ``ValidationError``; nothing else;
- ``applied is None`` exactly when the file has a problem or it is a dry run, and then nothing
  was written: the registers, their history tables and the audit log keep their row counts;
- when applied, the counts move by exactly what it reports (new rows, one history row per new,
  changed or removed row, one audit entry);
- every problem is said in Chinese and names a real, non-empty row of the sheet and a column of
  the register (or the key, or the duplicated header); a file-level problem has row 0 and names
  the file;
- what the web page stores and offers from the outcome (summary and problems as JSON, the
  error workbook) can be built and read back.

The web import page gets the nastiest files through the real views: never a 500, and a
validation that breaks ends as 导入失败 with a message, never stuck at 校验中.

The bugs these generators found (序号 in other digits or beyond the integer column, text longer
than its column, NUL, CSV the csv module refuses, one 身份证号 on two rows, TRUE read as 1) are
pinned after the properties by plain regression tests, each saying what a bureau sees.

Set ``SHUANGSUIJI_FUZZ_EXPLORE=1`` for fresh random examples on each run (by default they are
derandomised, so the suite gives the same answer every time); ``SHUANGSUIJI_FUZZ_EXAMPLES`` sets
the number of examples (50).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from xlsxwriter.exceptions import OverlappingRange

from shuangsuiji.accounts.roles import Role
from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory import registers, services, tasks
from shuangsuiji.directory.importing import error_workbook
from shuangsuiji.directory.models import (
    ImportBatch,
    InspectionItem,
    Inspector,
    RegulatoryEvent,
    Target,
)
from shuangsuiji.directory.registers import (
    EVENTS,
    INSPECTORS,
    ITEMS,
    TARGETS,
    Column,
    RegisterSpec,
    is_blank,
)
from shuangsuiji.directory.services import ImportOutcome, register_import
from tests.support.fuzzing import fuzz_settings
from tests.support.workbooks import id_number, uscc, xlsx

SPECS = (TARGETS, EVENTS, INSPECTORS, ITEMS)
MODELS = (Target, RegulatoryEvent, Inspector, InspectionItem)
CJK = re.compile(r"[\u4e00-\u9fff]")
FUZZ = fuzz_settings("SHUANGSUIJI_FUZZ_EXAMPLES", 50)

#: Excel keeps at most this many characters in a cell (xlsxwriter cuts longer strings there).
EXCEL_CELL_LIMIT = 32_767
HUGE_CSV_FIELD = 100_000
#: Python's csv module refuses a longer field (see test_csv_field_over_the_csv_module_limit).
CSV_FIELD_LIMIT = csv.field_size_limit()
#: The largest value of a PositiveIntegerField on PostgreSQL (序号).
INTEGER_MAX = 2**31 - 1

SEEDED_TARGETS = [uscc(i) for i in range(1, 6)]
SEEDED_CERTIFICATES = ["A001", "A002", "A003"]
FILENAMES = ["名录.xlsx", "register.XLSX", "导入 2026（第二季度）.xlsx", "x" * 200 + ".xlsx"]


# ---- the registers the fuzzed files are imported into ------------------------------------------


@pytest.fixture
def branch(organisations):
    """A branch whose four registers already hold rows (changed/absent paths, database rules)."""
    organisation = organisations["a"]
    seeds = {
        TARGETS: [
            ["统一社会信用代码", "单位名称", "对象类型", "执法片区", "要素标签"],
            *[[code, f"企业{i}", "排污单位", "第一中队", "水"] for i, code in enumerate(SEEDED_TARGETS)],
        ],
        EVENTS: [["统一社会信用代码", "记录类型", "日期"], [uscc(1), "行政处罚决定", dt.date(2025, 3, 1)]],
        INSPECTORS: [
            ["姓名", "执法证号", "身份证号", "执法片区"],
            *[[f"人员{i}", cert, id_number(i), "第一中队"] for i, cert in enumerate(SEEDED_CERTIFICATES)],
        ],
        ITEMS: [
            ["序号", "抽查类别", "抽查事项", "检查对象", "事项类别"],
            [1, "污染源环境监管", "排放检查", "排污单位", "一般检查事项"],
            [2, "污染源环境监管", "危废检查", "排污单位", "重点检查事项"],
        ],
    }  # fmt: skip
    for spec, rows in seeds.items():
        outcome = register_import(actor=None, organisation=organisation, spec=spec,
                                  content=xlsx(rows), filename="seed.xlsx", reason="建库")  # fmt: skip
        assert outcome.applied, outcome.plan.all_problems
    return organisation


def row_counts() -> dict[str, int]:
    counts = {}
    for model in MODELS:
        counts[model.__name__] = model.objects.count()
        counts[f"{model.__name__}.history"] = model.history.model.objects.count()
    counts["AuditEvent"] = AuditEvent.objects.count()
    return counts


# ---- cell values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` is the result Excel would have saved with it."""

    text: str
    cached: Any = None


FORMULAS = [
    Formula("=1/0", "#DIV/0!"),
    Formula("=A1"),
    Formula("=A1", "统一社会信用代码"),
    Formula("=B2", 0),
    Formula("=NA()", "#N/A"),
    Formula("=1+1", 2),
    Formula('="9113"&"0281"', "91130281"),
    Formula("=TODAY()", 46_000),
    Formula("=SUM(A:A)", True),
    Formula('=HYPERLINK("http://example.invalid","点击")', "点击"),
]

TRICKY_TEXT = [
    "", " ", "\u3000", "\u200b", "\ufeff", "\u00ad", "\t\n", "错误", "=1/0", "#DIV/0!", "#N/A",
    "NULL", "None", "nan", "inf", "-0", "1e309", "0x1F", "9.11301820E+17", "1.30281E+05",
    "１２３", "ＴＲＵＥ", "是", "否", "√", "×", "Y", "true", "2026-02-30", "2026年13月1日",
    "19000229", "60", "0000-00-00", "9999-12-31", "'0123", "①", "²", "٣", "<script>alert(1)</script>",
    "../../etc/passwd", "a\r\nb", "\x00", "\x1b[31m", "𠮷", "😀", "Robert'); DROP TABLE x;--",
    "水、大气，水", "现场检查书面检查", "排污单位 ", "重点管理\n", "  张伟  ",
]  # fmt: skip

HUGE_TEXT = ["名" * EXCEL_CELL_LIMIT, "9" * 5000, "A" * 201, "水、" * 2000]


def junk_cells() -> st.SearchStrategy:
    return st.one_of(
        st.none(),
        st.sampled_from(TRICKY_TEXT),
        st.text(max_size=30),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.dates(min_value=dt.date(1900, 1, 1)),
        st.datetimes(min_value=dt.datetime(1900, 1, 1)),
        st.times(),
        st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3000)),
        st.sampled_from(FORMULAS),
        st.sampled_from(HUGE_TEXT),
    )


def _joined(words: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(words), min_size=1, max_size=4).map("、".join)


def plausible_cells(column: Column) -> st.SearchStrategy:
    """Values the column may well accept, so that whole rows get through to the database."""
    read = column.read
    if column.multiple:
        return _joined(column.options)
    if column.options:
        return st.sampled_from(column.options)
    if read is registers.read_credit_code:
        return st.sampled_from([*SEEDED_TARGETS, uscc(77), f" {uscc(78).lower()}\n"])
    if read is registers.read_id_number:
        return st.sampled_from([id_number(i) for i in range(1, 8)])
    if read is registers.read_phone:
        return st.one_of(
            st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
            st.sampled_from(
                ["0315-6612345", "+86 138 1234 5678", 13812345678, "０３１５６６１２３４５"]
            ),
        )
    if read is registers.read_certificate_no:
        return st.one_of(
            st.sampled_from(SEEDED_CERTIFICATES), st.from_regex(r"[0-9A-Z_-]{1,12}", fullmatch=True)
        )
    if read is registers.read_project_code:
        return st.from_regex(r"[0-9A-Za-z_-]{1,20}", fullmatch=True)
    if read is registers.read_division_code:
        return st.sampled_from(["130281", 130281, "1.30281E+05", "１３０２８１"])
    if read is registers.read_date:
        return st.one_of(
            st.dates(dt.date(2000, 1, 1), dt.date(2026, 12, 31)),
            st.dates(dt.date(2000, 1, 1), dt.date(2026, 12, 31)).map(lambda d: d.strftime("%Y年%m月%d日")),
            st.integers(36_526, 46_000),
        )  # fmt: skip
    if read is registers.read_year:
        return st.integers(1950, 2025)
    if read is registers.read_sequence:
        return st.integers(1, 1000)
    return st.text(alphabet=st.characters(categories=["Lo", "Nd", "Lu"]), min_size=1, max_size=12)


def _bad_check_character(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


#: Values just off what each kind of column accepts.
NEAR_MISSES = {
    registers.read_credit_code: [
        _bad_check_character(uscc(1)), uscc(1)[:17], uscc(1) + "0", uscc(1).replace("1", "I"),
        9.11302811e17, "9.11301820E+17", f"{uscc(2)[:9]} {uscc(2)[9:]}", "９１" + uscc(3)[2:],
    ],
    registers.read_id_number: [
        _bad_check_character(id_number(1)), id_number(1)[:15], "130281" + "20991231" + "0011",
        id_number(2).lower(), 1.30281198e17, "990281198001010010", "130281198002300010",
    ],
    registers.read_phone: ["138****5678", "1381234567", "23812345678", "6612345", "0315-661234",
                           1.38123457e10, "138-1234-5678x", "+1 2025550123", "电话13812345678"],
    registers.read_certificate_no: ["A 001", "甲001", "A/001", "x" * 65, 1.5, -1, "A001\u200b"],
    registers.read_project_code: ["2026-130281-01-01-000001 ", "项目1", "p" * 65, 1e20],
    registers.read_division_code: ["1.3028E+05", 13028, "1302810", "13028X", 130281.5, "１３０２８１"],
    registers.read_date: [
        "2026-02-30", "2026/13/01", "26-01-01", 60, 0, -1, 2_958_466, 20260230, 99991231,
        "2026年2月30日", dt.time(12), dt.timedelta(days=2), "45292.5", 45292.5, True,
    ],
    registers.read_year: [1949, 2099, "２０１５", "2015年", 2015.5, "15", True],
    registers.read_sequence: [0, -1, 1.5, "1.0", "１２", "①", "²", "٣", "9" * 20, "9" * 5000, 3e9, True,
                              INTEGER_MAX, INTEGER_MAX + 1],
    registers.read_bool: ["是的", "T", "对", 2, -1, "yes ", "ＹＥＳ", "否\n"],
    registers.read_tags: ["水,大气;噪声", "水水", "辐射、核与辐射", "大 气", "water", "水、、、"],
    registers.read_methods: ["现场检查书面检查", "现场检查书面", "现场", "onsite", "现场检查；；书面检查"],
}  # fmt: skip


def near_misses(spec: RegisterSpec, column: Column) -> st.SearchStrategy:
    values = NEAR_MISSES.get(column.read)
    if values is None and column.options:  # an enumeration: its value, not its label, and typos
        values = [f" {column.options[0]} ", column.options[0] + "类", "polluter", "a", "Ａ"]
    if values is None:  # free text: what Excel and copy-paste leave in a text cell
        values = ["\u200b", " ", "\t", "\u3000张\u3000伟\u3000", 0.1 + 0.2, 1e16, "=A1",
                  "甲\x00乙", "\x1b[31m红\x7f", "\x00"]  # fmt: skip
        limit = getattr(spec.model._meta.get_field(column.field), "max_length", None)
        if limit:  # at its column's length and one past it
            values += ["名" * limit, "名" * (limit + 1)]
    return st.sampled_from(values)


# ---- sheets and files --------------------------------------------------------------------------


def brief(value: Any) -> str:
    """A cell for a failure report: long strings shortened to their start and length."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(brief(v) for v in value) + "]"
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]!r}…（{len(value)} 字符）"
    return repr(value)


@dataclass
class Sheet:
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]]

    def __repr__(self) -> str:
        return f"Sheet(rows={brief(self.rows)}, merges={self.merges})"


def header_variants(header: str) -> st.SearchStrategy[str]:
    return st.sampled_from([header, f"{header}*", f"＊{header}", f" {header[:1]} {header[1:]}\n"])


@st.composite
def sheets(draw, spec: RegisterSpec, *, drop_required: bool = False, clean: bool = False) -> Sheet:
    """A header (under title rows) and data rows; ``clean``: plausible values only, no extra
    columns, no merged cells."""
    required = [c for c in spec.columns if c.required]
    optional = [c for c in spec.columns if not c.required]
    columns = required + [column for column in optional if draw(st.booleans())]
    if drop_required:
        columns.remove(draw(st.sampled_from(required)))
    extras = ["备注", "", "错误", "序号 ", "单位名称", "Unnamed: 3"]
    extra = [] if clean else draw(st.lists(st.sampled_from(extras), unique=True, max_size=1))
    layout: list[Column | str] = draw(st.permutations([*columns, *extra]))
    header = [draw(header_variants(c.header)) if isinstance(c, Column) else c for c in layout]
    titles = draw(
        st.lists(st.sampled_from([["2026 年度名录"], [], ["填报单位：", "遵化市分局"]]), max_size=2)
    )

    def plausible(item):
        return plausible_cells(item) if isinstance(item, Column) else st.none()

    def junk(item):
        return (
            st.one_of(near_misses(spec, item), junk_cells())
            if isinstance(item, Column)
            else junk_cells()
        )

    @st.composite
    def dirty_rows(draw):
        """A plausible row with one or two cells replaced by junk, or junk throughout."""
        if draw(st.integers(0, 4)) == 0:
            return [draw(junk(item)) for item in layout]
        row = [draw(plausible(item)) for item in layout]
        for index in draw(st.lists(st.integers(0, len(layout) - 1), min_size=1, max_size=2)):
            row[index] = draw(junk(layout[index]))
        return row

    clean_rows = st.tuples(*[plausible(item) for item in layout]).map(list)
    rows_of = clean_rows if clean else st.one_of(clean_rows, dirty_rows(), st.just([]))
    data = draw(st.lists(rows_of, min_size=1, max_size=6))
    rows = [*titles, header, *data]
    merges = []
    for _ in range(0 if clean else draw(st.integers(0, 2))):
        top = draw(st.integers(0, len(rows)))
        left = draw(st.integers(0, max(len(header) - 1, 0)))
        merges.append((top, left, top + draw(st.integers(0, 2)), left + draw(st.integers(0, 2))))
    return Sheet(rows, merges)


def write_cell(book, sheet, r: int, c: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        sheet.write_formula(r, c, value.text, None, value.cached if value.cached is not None else 0)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        sheet.write_number(r, c, value)
    elif isinstance(value, dt.timedelta):
        sheet.write_datetime(r, c, value, book.add_format({"num_format": "[h]:mm:ss"}))
    elif isinstance(value, dt.date | dt.datetime | dt.time):
        sheet.write_datetime(r, c, value, book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    else:
        sheet.write_string(r, c, value)  # longer than 32,767 characters: cut there, as Excel does


def to_xlsx(*pages: Sheet) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # A fixed creation time makes the bytes, and so every example, reproducible.
    book.set_properties({"created": dt.datetime(2026, 1, 1)})
    for page in pages:
        sheet = book.add_worksheet()
        for r, row in enumerate(page.rows):
            for c, value in enumerate(row):
                write_cell(book, sheet, r, c, value)
        for top, left, bottom, right in page.merges:
            if (top, left) == (bottom, right):
                continue
            value = (
                page.rows[top][left] if top < len(page.rows) and left < len(page.rows[top]) else ""
            )
            try:
                sheet.merge_range(top, left, bottom, right, "")
                write_cell(book, sheet, top, left, value)
            except OverlappingRange:
                pass
    book.close()
    return buffer.getvalue()


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str) and value == HUGE_TEXT[0]:
        return "名" * HUGE_CSV_FIELD
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class FuzzFile:
    """A generated upload. Its repr, which Hypothesis prints for a failing example, is the
    recipe (cells shortened) rather than the bytes."""

    filename: str
    content: bytes
    recipe: str

    def __repr__(self) -> str:
        return f"FuzzFile({self.filename!r}, {len(self.content)} bytes, {self.recipe})"


@st.composite
def csv_files(draw, spec: RegisterSpec) -> FuzzFile:
    page = draw(sheets(spec))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerows([[csv_text(v) for v in row] for row in page.rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
    content = out.getvalue().encode(encoding, errors="replace")
    junk = b""
    if draw(st.booleans()) and len(content) < CSV_FIELD_LIMIT:
        # Junk bytes (an unbalanced quote among them) must not make a field past the csv limit.
        at = draw(st.integers(0, len(content)))
        junk = draw(st.binary(min_size=1, max_size=8))
        content = content[:at] + junk + content[at:]
    filename = draw(st.sampled_from(["名录.csv", "导出.CSV"]))
    return FuzzFile(filename, content, f"csv {encoding} junk={junk!r} {page!r}")


@st.composite
def xlsx_files(draw, spec: RegisterSpec) -> FuzzFile:
    page = draw(sheets(spec))
    return FuzzFile(draw(st.sampled_from(FILENAMES)), to_xlsx(page), f"xlsx {page!r}")


@st.composite
def odd_workbooks(draw, spec: RegisterSpec) -> FuzzFile:
    """Empty sheets, a header alone, missing required columns, the data on the second sheet."""
    header = [c.header for c in spec.columns]
    kind = draw(st.sampled_from(["empty", "header", "missing", "second-sheet", "title-only"]))
    if kind == "empty":
        pages = [Sheet([], [])]
    elif kind == "header":
        pages = [Sheet([header], [])]
    elif kind == "missing":
        pages = [draw(sheets(spec, drop_required=True))]
    elif kind == "second-sheet":
        pages = [Sheet([], []), draw(sheets(spec))]
    else:
        pages = [Sheet([[f"{spec.label}（{n}）"] for n in range(12)] + [header], [])]
    return FuzzFile(draw(st.sampled_from(FILENAMES)), to_xlsx(*pages), f"{kind} {pages!r}")


@st.composite
def damaged_files(draw, spec: RegisterSpec) -> FuzzFile:
    """Bytes that are not a spreadsheet, truncated or corrupted workbooks, wrong extensions."""
    page = draw(sheets(spec))
    real = to_xlsx(page)
    kind = draw(st.sampled_from(["bytes", "zip", "truncated", "corrupted", "extension", "as-csv"]))
    if kind == "bytes":
        content = draw(st.one_of(
            st.binary(max_size=300),
            st.sampled_from([b"", b"%PDF-1.7\n", b"<html><body>\xe5\x90\x8d\xe5\xbd\x95</body></html>",
                             "统一社会信用代码,单位名称\n".encode("gbk"), b"\xd0\xcf\x11\xe0" + b"\0" * 600]),
        ))  # fmt: skip
        return FuzzFile(draw(st.sampled_from(FILENAMES)), content, f"bytes {content[:40]!r}")
    if kind == "zip":
        return FuzzFile("名录.xlsx", b"PK\x03\x04" + draw(st.binary(max_size=200)), "zip header")
    if kind == "truncated":
        at = draw(st.integers(0, len(real) - 1))
        return FuzzFile("名录.xlsx", real[:at], f"xlsx cut at {at} {page!r}")
    if kind == "corrupted":
        at = draw(st.integers(0, len(real) - 8))
        junk = draw(st.binary(min_size=8, max_size=8))
        return FuzzFile(
            "名录.xlsx", real[:at] + junk + real[at + 8 :], f"xlsx with {junk!r} at {at}"
        )
    names = (
        ["名录.txt", "名录.pdf", "名录", "名录.xlsx.exe", ".xlsx"]
        if kind == "extension"
        else ["名录.csv"]
    )
    return FuzzFile(draw(st.sampled_from(names)), real, f"xlsx {page!r}")


def register_files(spec: RegisterSpec) -> st.SearchStrategy[FuzzFile]:
    """Mostly sheets with rows (where row-level rules run), sometimes whole-file trouble."""
    kinds = [xlsx_files, xlsx_files, xlsx_files, csv_files, csv_files, odd_workbooks, damaged_files]
    return st.sampled_from(kinds).flatmap(lambda kind: kind(spec))


# ---- the properties ----------------------------------------------------------------------------


def assert_problem_names_row_and_column(problem, spec: RegisterSpec, filename: str, parsed) -> None:
    assert isinstance(problem.row, int) and problem.row >= 0, problem
    assert CJK.search(problem.message), f"问题说明应为中文：{problem}"
    if problem.row == 0:
        assert filename in problem.message, f"文件级问题应指明文件：{problem}"
        return
    assert problem.row <= len(parsed.rows), f"指向不存在的行：{problem}"
    assert not all(is_blank(c) for c in parsed.rows[problem.row - 1]), f"指向空行：{problem}"
    assert problem.column, f"行级问题应指明列：{problem}"
    if problem.message.startswith("表头重复"):
        assert problem.row == parsed.header_index + 1, problem
    else:
        assert problem.row > parsed.header_index + 1, problem
        assert problem.column in {*spec.headers, spec.key_label()}, problem


def assert_web_artefacts_build(outcome: ImportOutcome) -> None:
    """What the import page stores (JSON fields) and offers (the error workbook)."""
    plan = outcome.plan
    json.dumps(plan.summary(), ensure_ascii=False)
    json.dumps([p.as_list() for p in plan.all_problems], ensure_ascii=False)
    if plan.all_problems:
        workbook = error_workbook(plan.parsed, plan.all_problems)
        rows = CalamineWorkbook.from_filelike(io.BytesIO(workbook)).get_sheet_by_index(0)
        # The header keeps its row (title rows above it are written back; a reader may skip
        # leading empty ones) and ends with the 错误 column.
        assert any(str(row[-1]).startswith("错误") for row in rows.to_python() if row)


def assert_storable(spec: RegisterSpec, values: dict[str, Any]) -> None:
    """What PostgreSQL would refuse, checked on SQLite too (which stores it): NUL, text longer
    than its column, an integer beyond its column."""
    for name, value in values.items():
        field = spec.model._meta.get_field(name)
        if isinstance(value, str):
            assert "\x00" not in value, (name, brief(value))
            limit = getattr(field, "plain_length", None) or field.max_length
            assert limit is None or len(value) <= limit, (name, brief(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            # The base ranges are PostgreSQL's (SQLite allows 64 bits everywhere).
            low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
            assert low <= value <= high, (name, value)


def import_and_check(spec, organisation, content: bytes, filename: str, *, dry_run: bool,
                     remove_absent: bool) -> ImportOutcome | None:  # fmt: skip
    """One import in a savepoint rolled back afterwards, so each example starts from the seed."""
    with transaction.atomic():
        before = row_counts()
        try:
            outcome = register_import(
                actor=None, organisation=organisation, spec=spec, content=content,
                filename=filename, reason="fuzz", dry_run=dry_run, remove_absent=remove_absent,
            )  # fmt: skip
        except ValidationError:
            assert row_counts() == before
            transaction.set_rollback(True)
            return None
        after = row_counts()
        problems = outcome.plan.all_problems
        assert isinstance(outcome, ImportOutcome)
        assert (outcome.applied is None) == (bool(problems) or dry_run), problems
        if outcome.applied is None:
            assert after == before, "未导入却写入了数据"
        else:
            applied, model = outcome.applied, spec.model.__name__
            assert after[model] - before[model] == applied["new"]
            touched = applied["new"] + applied["changed"] + applied["removed"]
            assert after[f"{model}.history"] - before[f"{model}.history"] == touched
            assert after["AuditEvent"] - before["AuditEvent"] == 1
            others = {k for k in before if not k.startswith(model) and k != "AuditEvent"}
            assert {k: after[k] for k in others} == {k: before[k] for k in others}
            for _, values in [
                *outcome.plan.new,
                *((c.row, c.values) for c in outcome.plan.changed),
            ]:
                assert_storable(spec, values)
        for problem in problems:
            assert_problem_names_row_and_column(problem, spec, filename, outcome.plan.parsed)
        assert_web_artefacts_build(outcome)
        transaction.set_rollback(True)
    return outcome


@pytest.mark.parametrize("spec", SPECS, ids=[s.key for s in SPECS])
@FUZZ
@given(data=st.data(), dry_run=st.booleans(), remove_absent=st.booleans())
def test_any_file_is_refused_row_by_row_or_applied_whole(
    branch, spec, data, dry_run, remove_absent
):
    upload = data.draw(register_files(spec), label="file")
    import_and_check(
        spec, branch, upload.content, upload.filename, dry_run=dry_run, remove_absent=remove_absent
    )


@pytest.mark.parametrize("spec", SPECS, ids=[s.key for s in SPECS])
@settings(FUZZ, max_examples=max(FUZZ.max_examples * 3 // 5, 1))
@given(data=st.data(), as_csv=st.booleans())
def test_an_applied_file_imported_again_changes_nothing(branch, spec, data, as_csv):
    """Plausible rows in any column order under title rows: once applied, the same file again
    finds every row unchanged (what was stored reads back equal to what the file says)."""
    page = data.draw(sheets(spec, clean=True), label="sheet")
    if as_csv:
        text = io.StringIO(newline="")
        csv.writer(text).writerows([[csv_text(v) for v in row] for row in page.rows])
        content, filename = text.getvalue().encode(), "名录.csv"
    else:
        content, filename = to_xlsx(page), "名录.xlsx"
    with transaction.atomic():
        first = run(spec, branch, content, filename)
        if first.applied is not None:
            again = run(spec, branch, content, filename)
            assert again.plan.all_problems == []
            assert again.applied["new"] == again.applied["changed"] == 0, again.plan.summary()
            assert again.applied["unchanged"] == len(first.plan.parsed.records)
        transaction.set_rollback(True)


# ---- fixed nasty files, for the record -----------------------------------------------------------


def target_book(*rows, header=("统一社会信用代码", "单位名称")) -> bytes:
    return xlsx([list(header), *[list(r) for r in rows]])


NASTY = {
    "truncated.xlsx": lambda: target_book([uscc(90), "甲"])[:700],
    "random-bytes.xlsx": lambda: bytes(range(256)) * 4,
    "empty-sheet.xlsx": lambda: to_xlsx(Sheet([], [])),
    "header-only.xlsx": lambda: target_book(),
    "missing-required.xlsx": lambda: xlsx([["单位名称", "行政区划代码"], ["甲", "130281"]]),
    "formulas-merged.xlsx": lambda: to_xlsx(
        Sheet(
            [
                ["统一社会信用代码", "单位名称", "重点排污单位", "行政区划代码"],
                [Formula("=1/0", "#DIV/0!"), Formula("=A1"), dt.date(2026, 1, 1), True],
                [uscc(91), "名" * EXCEL_CELL_LIMIT, 1.5, dt.timedelta(hours=3)],
                [uscc(92), None, None, None],
            ],
            [(2, 1, 3, 1)],
        )
    ),
    "gbk-junk.csv": lambda: (
        b"\xff\xfe\x00"
        + f"统一社会信用代码,单位名称\n{uscc(93)},{'名' * HUGE_CSV_FIELD}\n".encode("gbk")
    ),
    "utf8-bom-controls.csv": lambda: (
        f"\ufeff统一社会信用代码,单位名称\n{uscc(94)},甲\x01\x1b乙\n".encode()
    ),
    "unbalanced-quote.csv": lambda: (
        f'统一社会信用代码,单位名称\n{uscc(96)},"甲\n{uscc(97)},乙\n'.encode()
    ),
    "over-the-csv-limit.csv": lambda: (
        f"统一社会信用代码,单位名称\n{uscc(96)},{'名' * (CSV_FIELD_LIMIT + 1)}\n".encode()
    ),
    # NUL in refused cells: the problems the page stores as JSON must not hold it (PostgreSQL).
    "nul-in-bad-cells.csv": lambda: (
        f"统一社会信用代码\x00,单位名称,重点排污单位\n{uscc(98)[:17]}\x00,甲\x00乙,是\x00的\n".encode()
    ),
    "not-a-workbook.pdf": lambda: b"%PDF-1.7\n",
    ("y" * 240 + ".xlsx"): lambda: target_book([uscc(95), "长文件名公司"]),
}


@pytest.fixture
def web(client, branch, make_user, settings):
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False
    client.force_login(make_user("fuzz-coord", branch, Role.COORDINATOR))
    return client


def upload_through_the_page(
    web, register: str, filename: str, content: bytes
) -> ImportBatch | None:
    url = reverse("directory:import", args=[register])
    response = web.post(url, {"file": SimpleUploadedFile(filename, content)})
    assert response.status_code < 500
    if response.status_code != 302:
        return None  # the form refused the upload (an empty file)
    batch = ImportBatch.objects.latest("pk")
    page = web.get(response["Location"])
    assert page.status_code == 200
    if batch.status == ImportBatch.Status.INVALID:
        errors = web.get(reverse("directory:import_errors", args=[batch.pk]))
        assert errors.status_code == 200
        CalamineWorkbook.from_filelike(io.BytesIO(errors.content)).get_sheet_by_index(0)
    elif batch.status == ImportBatch.Status.PREVIEW:
        applied = web.post(reverse("directory:import_apply", args=[batch.pk]), {"reason": "fuzz"})
        assert applied.status_code == 302
        assert web.get(applied["Location"]).status_code == 200
    batch.refresh_from_db()
    return batch


@pytest.mark.parametrize("filename", list(NASTY))
def test_web_import_page_never_fails_on_a_nasty_file(web, filename):
    before = row_counts()
    batch = upload_through_the_page(web, "targets", filename, NASTY[filename]())
    assert batch is not None and batch.status in (
        ImportBatch.Status.INVALID,
        ImportBatch.Status.APPLIED,
    ), batch
    if batch.status == ImportBatch.Status.INVALID:
        assert row_counts() == before and batch.problems
        for row, column, _value, message in batch.problems:
            assert CJK.search(message) and (row == "" or column), (row, column, message)


def test_web_import_page_refuses_an_empty_upload(web):
    assert upload_through_the_page(web, "items", "empty.xlsx", b"") is None


@pytest.mark.parametrize("spec", SPECS, ids=[s.key for s in SPECS])
def test_web_import_page_every_register_with_a_damaged_file(web, spec):
    content = to_xlsx(Sheet([[c.header for c in spec.columns], ["x"] * len(spec.columns)], []))
    batch = upload_through_the_page(web, spec.key, "damaged.xlsx", content[: len(content) // 2])
    assert batch.status == ImportBatch.Status.INVALID


# ---- bugs the generators found, pinned ----------------------------------------------------------

ITEM_HEADER = ["序号", "抽查类别", "抽查事项", "检查对象", "事项类别"]


def item_book(sequence) -> bytes:
    return xlsx([ITEM_HEADER, [sequence, "污染源环境监管", "新事项", "排污单位", "一般检查事项"]])


def assert_refused_at(outcome: ImportOutcome, row: int, column: str) -> None:
    assert outcome.applied is None
    assert [(p.row, p.column) for p in outcome.plan.all_problems] == [(row, column)]


def run(spec, organisation, content, filename="名录.xlsx"):
    return register_import(actor=None, organisation=organisation, spec=spec, content=content,
                           filename=filename, reason="fuzz")  # fmt: skip


@pytest.mark.parametrize("sequence", ["①", "²", "٣", "١٢", 0, "000"])
def test_sequence_with_a_non_decimal_digit_is_refused_row_by_row(branch, sequence):
    """A 序号 of “①” or “²” (digits to str.isdigit(), not to int()) used to stop the import with
    a server error; the bureau now sees 第 2 行 序号：序号应为正整数. Zero is no 正整数 either."""
    outcome = run(ITEMS, branch, item_book(sequence))
    assert_refused_at(outcome, 2, "序号")
    assert outcome.plan.all_problems[0].message == "序号应为正整数"


@pytest.mark.parametrize(
    "sequence", ["9" * 5000, "9" * 20, str(INTEGER_MAX + 1), 3e9, "0" * 12 + "99999999999"]
)
def test_sequence_beyond_the_integer_column_is_refused_row_by_row(branch, sequence):
    """5,000 digits used to be a server error, 20 digits an overflow on SQLite, anything above
    2147483647 a database error on PostgreSQL (and stored on SQLite); now the row is refused."""
    outcome = run(ITEMS, branch, item_book(sequence))
    assert_refused_at(outcome, 2, "序号")
    assert outcome.plan.all_problems[0].message == f"序号不能大于 {INTEGER_MAX}"


@pytest.mark.parametrize("sequence", [INTEGER_MAX, "0002147483647", "２１４７４８３６４７"])
def test_sequence_up_to_the_integer_column_is_stored(branch, sequence):
    """The largest 序号 both databases hold is accepted: leading zeros, full-width digits and all."""
    assert run(ITEMS, branch, item_book(sequence)).applied["new"] == 1
    assert InspectionItem.objects.get(name="新事项").sequence == INTEGER_MAX


@pytest.mark.parametrize(
    ("spec", "header", "rows", "limit"),
    [
        (TARGETS, "单位名称", [["统一社会信用代码", "单位名称"], [uscc(80), "名" * 201]], 200),
        (INSPECTORS, "姓名", [["姓名", "执法证号"], ["张" * 51, "B001"]], 50),
        (EVENTS, "文号或说明", [["统一社会信用代码", "记录类型", "日期", "文号或说明"],
                                [uscc(1), "挂牌督办", "2026-01-05", "号" * 301]], 300),
    ],
    ids=["targets", "inspectors", "events"],
)  # fmt: skip
def test_text_longer_than_its_database_column_is_refused(branch, spec, header, rows, limit):
    """Text longer than its column used to be stored on SQLite and to break the import page on
    PostgreSQL; the bureau now sees the row, the column and the limit."""
    outcome = run(spec, branch, xlsx(rows))
    assert_refused_at(outcome, 2, header)
    assert outcome.plan.all_problems[0].message.startswith(f"不能超过 {limit} 个字符")


def test_text_as_long_as_its_database_column_is_stored(branch):
    name = "名" * 200
    outcome = run(TARGETS, branch, xlsx([["统一社会信用代码", "单位名称"], [uscc(80), name]]))
    assert outcome.applied["new"] == 1
    assert Target.objects.get(credit_code=uscc(80)).name == name


def test_csv_field_over_the_csv_module_limit_is_a_file_problem(branch):
    """A CSV cell of more than 131,072 characters used to be a server error; now the file is
    refused with a message naming it and the row."""
    content = f"统一社会信用代码,单位名称\n{uscc(81)},{'名' * (CSV_FIELD_LIMIT + 1)}\n".encode()
    outcome = run(TARGETS, branch, content, "名录.csv")
    [problem] = outcome.plan.all_problems
    assert outcome.applied is None and problem.row == 0
    assert problem.message.startswith(f"名录.csv 第 2 行：有一格超过 {CSV_FIELD_LIMIT} 个字符")


@pytest.mark.parametrize(
    "body",
    [f'{uscc(85)},"甲公司\n{uscc(86)},乙公司\n', f'{uscc(85)},"甲"公司\n{uscc(86)},乙公司\n'],
    ids=["never-closed", "text-after-closing"],
)
def test_csv_with_an_unbalanced_quote_is_a_file_problem(branch, body):
    """A quote never closed used to swallow every row after it into one cell, silently; now the
    file is refused at the row where it opens."""
    outcome = run(TARGETS, branch, f"统一社会信用代码,单位名称\n{body}".encode(), "名录.csv")
    [problem] = outcome.plan.all_problems
    assert outcome.applied is None and problem.row == 0
    assert problem.message.startswith("名录.csv 第 2 行：英文双引号不成对")


@pytest.mark.parametrize("filename", ["名录.csv", "名录.xlsx"])
@pytest.mark.parametrize("junk", ["\x00", "\x01\x1b", "\x7f\x9f"])
def test_nul_in_a_cell_is_neither_stored_nor_a_crash(branch, filename, junk):
    """NUL and the other invisible control characters used to be stored on SQLite and to break
    the import on PostgreSQL; they are removed like zero-width spaces, in CSV and xlsx alike."""
    rows = [
        ["统一社会信用代码", f"单位名称{junk}", "执法片区"],
        [f"{uscc(84)}{junk}", f"甲{junk}乙", junk],
    ]
    if filename.endswith(".csv"):
        content = "\n".join(",".join(row) for row in rows).encode()
    else:
        content = to_xlsx(Sheet(rows, []))
    assert run(TARGETS, branch, content, filename).applied["new"] == 1
    target = Target.objects.get(credit_code=uscc(84))
    assert (target.name, target.area) == ("甲乙", "")


def test_a_cell_of_only_invisible_characters_is_empty(branch):
    """A required cell holding only a soft hyphen or a NUL is 必填项为空, not an empty name."""
    rows = [["统一社会信用代码", "单位名称"], [uscc(86), "\u00ad"], [uscc(87), "\x00\u200b"]]
    outcome = run(TARGETS, branch, xlsx(rows))
    assert [(p.row, p.column, p.message) for p in outcome.plan.all_problems] == [
        (2, "单位名称", "必填项为空"),
        (3, "单位名称", "必填项为空"),
    ]


def test_one_id_number_on_two_rows_of_a_file_is_refused(branch):
    """Two rows giving one 身份证号 to two 执法证号 used to be imported both (and the same file
    refused ever after); now the later row is refused, the number not shown."""
    person = id_number(9)
    content = xlsx(
        [["姓名", "执法证号", "身份证号"], ["张伟", "B001", person], ["李娜", "B002", person]]
    )
    outcome = run(INSPECTORS, branch, content)
    assert_refused_at(outcome, 3, "身份证号")
    [problem] = outcome.plan.all_problems
    assert problem.value == "（已隐藏）"
    assert problem.message == "与第 2 行（执法证号 B001）的身份证号相同"


def test_true_and_one_in_one_column_are_read_separately(branch):
    """A boolean TRUE after a number 1 in the same column used to be read as “1”."""
    # tests.support.workbooks.xlsx would write True as the number 1: to_xlsx writes a boolean.
    content = to_xlsx(
        Sheet([["统一社会信用代码", "单位名称"], [uscc(82), 1], [uscc(83), True]], [])
    )
    outcome = run(TARGETS, branch, content)
    assert outcome.applied
    names = dict(
        Target.objects.filter(credit_code__in=[uscc(82), uscc(83)]).values_list(
            "credit_code", "name"
        )
    )
    assert names[uscc(82)] == "1" and names[uscc(83)] != "1"


def test_true_after_one_is_not_a_sequence(branch):
    """A boolean TRUE is refused as a 序号 even after a 1 in the column."""
    rows = [ITEM_HEADER, [1, "类", "甲", "排污单位", "一般检查事项"],
            [True, "类", "乙", "排污单位", "一般检查事项"]]  # fmt: skip
    content = to_xlsx(Sheet(rows, []))
    assert_refused_at(run(ITEMS, branch, content), 3, "序号")


def test_web_import_page_with_a_circled_sequence_number(web):
    """It used to be a 500 (validated in the request) or a batch stuck at 校验中 (in the
    background); now the page lists the problem and offers the marked-up file."""
    batch = upload_through_the_page(web, "items", "事项.xlsx", item_book("①"))
    assert batch.status == ImportBatch.Status.INVALID
    assert batch.problems == [[2, "序号", "①", "序号应为正整数"]]


def test_web_import_page_problems_with_nul_are_stored(web):
    """A refused cell holding NUL is shown without it (PostgreSQL keeps no NUL in JSON)."""
    content = xlsx([["统一社会信用代码", "单位名称"], [f"{uscc(88)[:17]}\x00", "甲"]])
    batch = upload_through_the_page(web, "targets", "名录.xlsx", content)
    assert batch.status == ImportBatch.Status.INVALID
    [[row, column, value, _message]] = batch.problems
    assert (row, column, value) == (2, "统一社会信用代码", uscc(88)[:17])


def break_validation(*args, **kwargs):
    raise RuntimeError("模拟的意外错误")


@pytest.mark.parametrize("background", [False, True], ids=["in-request", "background"])
@pytest.mark.django_db(transaction=True)
def test_web_import_page_when_validation_breaks(
    client, branch, make_user, settings, monkeypatch, caplog, background
):
    """Any unexpected error in validation ends the batch as 导入失败 with a Chinese message and
    the traceback in the log: never a batch stuck at 校验中, nor a 500."""
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = background
    client.force_login(make_user("fuzz-coord", branch, Role.COORDINATOR))
    monkeypatch.setattr(services, "plan_import", break_validation)
    before = row_counts()
    url = reverse("directory:import", args=["targets"])
    content = target_book([uscc(89), "甲"])
    response = client.post(url, {"file": SimpleUploadedFile("名录.xlsx", content)})
    assert response.status_code == 302
    if background:
        # The queued task, run by the worker's own loop until the queue is empty.
        tasks.worker_create(interval=0, batch=True).run()
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.FAILED
    [[row, column, _value, message]] = batch.problems
    assert (row, column) == ("", "") and message.startswith("名录.xlsx：校验时发生系统错误")
    assert "模拟的意外错误" in caplog.text and "Traceback" in caplog.text
    page = client.get(response["Location"])
    assert page.status_code == 200 and "导入失败" in page.content.decode()
    errors = client.get(reverse("directory:import_errors", args=[batch.pk]))
    assert errors.status_code == 200
    assert row_counts() == before
