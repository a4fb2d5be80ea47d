"""The documents a bureau prints, looked at as printed pages (issue 19 §7).

Each PDF is fetched as its user downloads it, rendered to images by PDFium (``pypdfium2``, at
50 dpi) and read back page by page: the page count a printed copy has, ink in every page's body
above the page-number band (no page holds only its footer), table rows on every page of a table
(no page holds only the notes under it) and the 现场检查表's signature block on a page that also
holds the last rows of its items (never alone on a page). Each page is kept as a PNG under
``test-results/pdf/`` to look at.

The data is built once for the module (tests/support/portal.py: a 遵化-like county under a 市局
with a published 2026 plan, Q4 drawn and revealed, four results recorded).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import InspectionItem
from shuangsuiji.directory.registers import ITEMS
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.plans import plan_generate
from tests.support.county import load
from tests.support.portal import build_portal, team_user
from tests.support.tree import build_organisations, make_user
from tests.test_demo import SHANGHAI, demo_database

pytest.importorskip("weasyprint")
pdfium = pytest.importorskip("pypdfium2")

DPI = 50
MM = DPI / 25.4  # pixels per millimetre at this resolution
#: The page-number band: the bottom margin of each document (reports/sheet_pdf.html 14 mm,
#: inspections/checklist_pdf.html 18 mm) holds the “第 X 页，共 Y 页” line and nothing else.
SHEET_MARGIN_MM = 14
CHECKLIST_MARGIN_MM = 18
INK = 128  # a pixel darker than this (0 black … 255 white) is ink
OUT = Path(__file__).resolve().parents[2] / "test-results" / "pdf"
#: Item names as a bureau's 事项清单 words them, long and short.
ITEM_NAMES = [
    "排污单位污染物排放情况的检查",
    "排污许可证执行情况的检查",
    "环境影响评价制度执行情况的检查",
    "突发环境事件应急预案备案及环境安全隐患排查治理情况的检查",
    "危险废物规范化管理情况的检查",
    "自动监控设施运行情况的检查",
    "固体废物污染环境防治情况的检查",
    "建设项目环境保护设施“三同时”制度执行情况的检查",
    "噪声污染防治情况的检查",
    "放射源及射线装置安全和防护情况的检查",
]


@dataclass
class Page:
    number: int
    image: object = field(repr=False)  # the page as a grayscale PIL image
    #: Pixel rows of the body, above the footer band.
    body_height: int
    #: Per pixel row of the body: how many pixels are ink.
    body_ink: list[int] = field(repr=False)
    #: Pixel rows of the body that a ruled table line crosses (ink across most of the width).
    rules: int
    text: str  # the page's text, whitespace removed
    footer_text: str
    textpage: object = field(repr=False)
    page_height: float  # in points

    @property
    def filled(self) -> float:
        """How far down the body the ink reaches, as a share of the body's height."""
        inked = [y for y, count in enumerate(self.body_ink) if count]
        return (inked[-1] + 1) / self.body_height if inked else 0.0

    def cell_width_mm(self, heading: str) -> float:
        """The width of the table cell holding ``heading`` (its first occurrence): from the
        heading's text walk left and right along its middle line to the cell's borders."""
        searcher = self.textpage.search(heading)
        found = searcher.get_next()
        assert found, heading
        index, count = found
        left, bottom, _, top = self.textpage.get_charbox(index)
        right = self.textpage.get_charbox(index + count - 1)[2]
        y = round((self.page_height - (bottom + top) / 2) * DPI / 72)
        pixels, width = self.image.load(), self.image.size[0]
        x = round(left * DPI / 72) - 2
        while x > 0 and pixels[x, y] >= INK:
            x -= 1
        x2 = round(right * DPI / 72) + 2
        while x2 < width - 1 and pixels[x2, y] >= INK:
            x2 += 1
        return (x2 - x) / MM


def pages(pdf: bytes, name: str, margin_mm: float) -> list[Page]:
    """Render each page at ``DPI``, keep it as ``test-results/pdf/<name>-<n>.png`` and read its
    ink and text, split at the footer band (the bottom ``margin_mm``)."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"{name}-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(pdf)
    result = []
    for index in range(len(document)):
        page = document[index]
        image = page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        image.save(OUT / f"{name}-{index + 1}.png")
        width, height = image.size
        body_height = height - round(margin_mm * MM)
        ink = image.point(lambda value: 1 if value < INK else 0).tobytes()
        body = [sum(ink[y * width : (y + 1) * width]) for y in range(body_height)]
        textpage = page.get_textpage()
        result.append(
            Page(
                number=index + 1,
                image=image,
                body_height=body_height,
                body_ink=body,
                rules=sum(1 for count in body if count > width * 0.6),
                text="".join(textpage.get_text_bounded().split()),
                footer_text="".join(
                    textpage.get_text_bounded(bottom=0, top=margin_mm * 72 / 25.4).split()
                ),
                textpage=textpage,
                page_height=page.get_height(),
            )
        )
    return result


def assert_printed(document: list[Page], name: str, *, full: float = 0.75) -> None:
    """Every page: its number in the footer band, and in its body rows of a ruled table, not
    only a footer or the notes under the table; every page but the last filled at least
    ``full`` of the way down (no page left short for what would have fitted)."""
    total = len(document)
    for page in document:
        where = f"{name} 第 {page.number} 页"
        assert f"第{page.number}页，共{total}页" in page.footer_text, where
        assert page.filled > 0.1, f"{where}：正文区没有内容，只有页脚"
        assert page.rules >= 2, f"{where}：没有表格行（只有脚注、签名或页脚）"
        if page.number < total:
            assert page.filled >= full, f"{where}：只排到页面的 {page.filled:.0%}"


@dataclass
class World:
    portal: object
    city_user: object
    long_plan: object
    checklists: dict[int, Inspection]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    moment = dt.datetime(2026, 11, 20, 9, tzinfo=SHANGHAI)
    with demo_database(moment, tmp_path_factory.mktemp("data"), django_db_blocker):
        organisations = build_organisations()
        portal = build_portal(organisations, make_user)
        city_user = make_user("city", organisations["city"], Role.COORDINATOR)
        county = portal.county
        # The 事项清单 grows to 30 items (the two of tests/support/county.py kept); three of the
        # fourth quarter's open inspections are given the first 1, 8 and 30 of them, as a task
        # listing that many items gives its inspections.
        existing = [
            [1, "污染源环境监管", "排放检查", "排污单位", "一般检查事项", "现场检查", "遵化分局",
             "《环境保护法》第二十四条", "水、大气", "否"],
            [2, "污染源环境监管", "涉密事项", "排污单位", "重点检查事项", "现场检查", "遵化分局",
             "", "", "是"],
        ]  # fmt: skip
        more = [
            [n, "污染源环境监管", f"{ITEM_NAMES[n % len(ITEM_NAMES)]}（{n}）", "排污单位",
             "一般检查事项", "现场检查", "遵化分局", "《环境保护法》第二十四条", "水、大气", "否"]
            for n in range(3, 32)
        ]  # fmt: skip
        load(ITEMS, [ITEMS.headers, *existing, *more], county)
        items = list(
            InspectionItem.objects.filter(organisation=county, confidential=False).order_by(
                "sequence"
            )
        )
        assert len(items) == 30
        open_ = Inspection.objects.filter(
            draw=portal.revealed, status=Inspection.Status.ASSIGNED
        ).order_by("pk")
        checklists = {}
        for inspection, count in zip(open_, (1, 8, 30), strict=False):
            inspection.items.set(items[:count])
            checklists[count] = inspection
        assert set(checklists) == {1, 8, 30}
        long_plan = plan_generate(actor=portal.coordinator, organisation=county, year=2027)
        yield World(portal=portal, city_user=city_user, long_plan=long_plan, checklists=checklists)


def fetch(user, url: str, query: dict | None = None) -> bytes:
    client = Client()
    client.force_login(user)
    response = client.get(url, query or {})
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"] == "application/pdf"
    return response.content


QUARTER = {"year": 2026, "quarter": 4}


def test_a_county_plan_is_one_page(db, world):
    """遵化's plan has four quarterly tasks (the preset draws every class each quarter), each
    listing the one public item of the register: four short rows under the title, one
    landscape page, and every column wide enough for its words."""
    portal = world.portal
    url = reverse("reports:plan_file", args=[portal.revealed.task.plan_id, "pdf"])
    document = pages(fetch(portal.coordinator, url), "年度抽查计划", SHEET_MARGIN_MM)
    assert len(document) == 1
    assert_printed(document, "年度抽查计划")
    (page,) = document
    assert "2026001" in page.text and "2026004" in page.text
    # 抽查事项 and 事项类别 were squeezed to two characters a line (“1.排 / 放检 / 查”).
    assert page.cell_width_mm("抽查事项") >= 40 and page.cell_width_mm("事项类别") >= 15


def test_a_plan_listing_thirty_items_flows_on(db, world):
    """With 30 public items in the register each of the four tasks lists all 30, one or two
    lines each in the 抽查事项 column (about 45 lines, 190 mm a task): some 760 mm of rows on
    landscape pages of about 160 mm under the repeated heading, so five or six pages, each
    filled before the next begins: none is the title alone or one short task."""
    portal = world.portal
    url = reverse("reports:plan_file", args=[world.long_plan.pk, "pdf"])
    document = pages(fetch(portal.coordinator, url), "年度抽查计划-30项", SHEET_MARGIN_MM)
    assert_printed(document, "年度抽查计划（30 项）")
    assert 5 <= len(document) <= 6
    assert "2027001" in document[0].text  # the first task starts under the title
    text = "".join(page.text for page in document)
    assert (
        text.index("2027001")
        < text.index("2027002")
        < text.index("2027003")
        < text.index("2027004")
    )


def test_city_statistics_is_one_page(db, world):
    """The 市局's 统计表 of a quarter: thirty indicator rows for 合计, 本级 and its two 分局
    (four figure columns, portrait), one line each but the three classes' 项目, with the three
    notes: one A4 page, as the form is filed (its last row and notes had spilled onto a second
    page while the 项目 column wrapped every class's name)."""
    url = reverse("reports:statistics_file", args=["pdf"])
    pdf = fetch(world.city_user, url, {"org": "130200", **QUARTER})
    document = pages(pdf, "市局统计表", SHEET_MARGIN_MM)
    assert len(document) == 1
    assert_printed(document, "市局统计表")
    (page,) = document
    assert "统计口径" in page.text and "参与执法人员（人）" in page.text
    assert page.cell_width_mm("合计") >= 15  # “合 / 计” stood in a column one character wide


def test_city_dashboard(db, world):
    """The 市局's board (one row: it has no plan of its own) with its two 分局's, eight
    checks each of two or three lines (landscape): 17 rows are two pages, the first filled,
    the summary notes with the last rows."""
    url = reverse("reports:dashboard_file", args=["pdf"])
    document = pages(fetch(world.city_user, url, {"org": "130200", **QUARTER}), "市局监管工作看板",
                     SHEET_MARGIN_MM)  # fmt: skip
    assert_printed(document, "市局监管工作看板")
    assert len(document) == 2
    assert "唐山市生态环境局迁安市分局：未达标" in document[-1].text


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        # One or eight items: the facts, the items and the signatures fit one A4 page.
        (1, 1),
        (8, 1),
        # Thirty items, 12 to 17 mm a row (a name of one to three lines), are some 420 mm
        # of rows; with the facts (75 mm) and the signatures (40 mm) that is three pages of
        # 265 mm, the items' heading repeated on each.
        (30, 3),
    ],
)
def test_checklist(db, world, count, expected):
    """The 现场检查表 as printed for signature: its 说明 column wide enough to write in, and
    the signature block on the page of the last items, never alone on a page."""
    inspection = world.checklists[count]
    pdf = fetch(team_user(inspection, make_user), reverse("inspections:checklist_pdf",
                                                          args=[inspection.pk]))  # fmt: skip
    name = f"现场检查表-{count}项"
    document = pages(pdf, name, CHECKLIST_MARGIN_MM)
    assert len(document) == expected
    # The last item rows go over with the signatures (about 70 mm), so a page before the
    # last may end that much short of the bottom.
    assert_printed(document, f"现场检查表（{count} 项）", full=0.6)
    first, last = document[0], document[-1]
    assert first.cell_width_mm("说明") >= 40  # was two characters wide
    for page in document:  # a loose page still names the unit it was filled at
        assert "被检查单位：" + inspection.target.name in page.footer_text
    names = [item.name for item in inspection.items.all()]
    signed = [page for page in document if "被检查单位在场人员签名" in page.text]
    assert signed == [last]
    # The signatures' page holds the last item rows, their heading repeated above them.
    assert names[-1] in last.text and "检查结论" in last.text
    assert all("检查事项" in page.text and "检查结论" in page.text for page in document[1:])
