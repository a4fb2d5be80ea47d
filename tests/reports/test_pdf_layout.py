"""The documents a bureau files are laid out for print (issue 19 §7): the title is never alone
on the first page, a plan's tasks flow on instead of taking a page each, and the notes under a
table never stand alone on the last page. The PDF is laid out by WeasyPrint and each page's
boxes are read back: what a printed page would hold."""

from __future__ import annotations

import pytest

from shuangsuiji.reports.documents import Cell, Sheet
from shuangsuiji.reports.exports import layout

pytest.importorskip("weasyprint")


def page_texts(sheet: Sheet) -> list[list[str]]:
    """Each page's text, by box: the page's cells and paragraphs, in order."""
    document = layout(sheet)
    pages = []
    for page in document.pages:
        texts, stack = [], [page._page_box]
        while stack:
            box = stack.pop()
            if getattr(box, "text", None):
                texts.append(box.text)
            stack.extend(reversed(getattr(box, "children", None) or []))
        pages.append(texts)
    return pages


def sheet(rows, *, keep_rows=True, columns=3, notes=None, widths=()) -> Sheet:
    return Sheet(
        title="随机抽查情况统计表",
        subtitle="填报单位：唐山市生态环境局遵化市分局    统计期间：2026 年第 3 季度",
        header=[[Cell(f"第 {n} 列") for n in range(1, columns + 1)]],
        rows=rows,
        notes=list(notes or NOTES),
        keep_rows=keep_rows,
        landscape=columns > 4,
        widths=list(widths),
    )


NOTES = (
    "统计口径：按抽查任务所属季度统计（全年任务按抽取时间所在季度，定向检查按结果认定日期）；"
    "已撤销、已替补的检查不计。",
    "应抽取：各次抽取承诺时按年度计划比例计算的数量（含因符合条件对象不足形成的缺口）。",
    "发现问题：检查结果为“发现问题已责令整改”或“发现问题已立案调查”的检查。",
)
#: The demo's plan lists these items in each task (获嘉方案附件格式, 8 columns, landscape).
ITEMS = "\n".join(
    f"{n}.{name}"
    for n, name in enumerate(
        ["排污单位污染物排放情况的检查", "排污许可证执行情况的检查", "环境影响评价制度执行情况的检查",
         "突发环境事件应急预案备案及环境安全隐患排查治理情况的检查", "危险废物规范化管理情况的检查"] * 8,
        start=1,
    )
)  # fmt: skip


def test_tall_rows_flow_on_from_the_first_page():
    """A plan task lists every item: each task was pushed whole to a page of its own, leaving
    the title alone on page 1 (the demo's 藁城, 遵化 and 获嘉 plans)."""
    rows = [
        [f"202600{n}", f"2026年第 {n} 季度随机抽查", ITEMS, "一般检查事项", "排污单位",
         "重点 25%，一般 5%", f"第 {n} 季度", "本部门"]
        for n in range(1, 5)
    ]  # fmt: skip
    # The plan's columns (reports/documents.py ``plan_sheet``), as printed.
    plan_widths = [10, 24, 36, 12, 24, 30, 18, 20]
    pages = page_texts(sheet(rows, keep_rows=False, columns=8, widths=plan_widths))
    first = "".join(pages[0])
    assert "随机抽查情况统计表" in first and "2026年第 1 季度随机抽查" in first
    # No page is the title or the page footer alone: every page carries rows of the table.
    assert all(any("排污单位污染物排放情况的检查" in t for t in page) for page in pages)


def test_the_notes_never_stand_alone_on_the_last_page():
    """However many rows a table has, its last page holds some of them with the notes (the
    demo 市局's dashboard printed its footnotes on a page of their own)."""
    spilled = 0
    for count in range(20, 40):
        rows = [["唐山市生态环境局", f"第 {n} 行指标", "≥ 35%", "0/17（0%）", "进行中",
                 "2026 年第 3 季度", "二、（二）"] for n in range(count)]  # fmt: skip
        pages = page_texts(sheet(rows, columns=7))
        last = pages[-1]
        assert any(t.startswith("第 ") and t.endswith(" 行指标") for t in last), (count, last)
        assert any("统计口径" in t for t in last)
        spilled += len(pages) > 1
    assert spilled  # some of these tables did run onto a second page
