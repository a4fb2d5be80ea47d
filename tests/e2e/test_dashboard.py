"""Real Chromium: a coordinator opens the dashboard, sees “did we meet our plan?” with the
charts drawn by the vendored ECharts (no other host), and downloads the 统计表 and the board
itself in Excel; the 市局's leader compares the 分局 side by side on a phone (issue 18)."""

from __future__ import annotations

import io
from pathlib import Path

from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from tests.support.portal import build_portal


def test_dashboard_charts_render(page, live_server, transactional_db, organisations, make_user,
                                 login, output_path, external_requests):  # fmt: skip
    portal = build_portal(organisations, make_user)
    login("coord", "correct-horse-battery-9")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/reports/dashboard/?year=2026&quarter=4")
    for chart in ("chart-classes", "chart-trend", "chart-workload"):
        page.wait_for_selector(f"#{chart}[data-rendered='true'] svg")
    # Bars were drawn: the class chart has one path per bar and series.
    assert page.locator("#chart-classes svg path").count() > 6
    verdict = page.locator("#verdict").inner_text()
    assert verdict.startswith("本期计划要求") and "达标" in verdict
    expect(page.get_by_text("内部联合抽查占比")).to_be_visible()
    page.screenshot(path=str(Path(output_path) / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="随机抽查情况统计表").first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith("统计表.xlsx")
    content = Path(download.path()).read_bytes()
    cells = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert cells[1][0] == f"填报单位：{portal.county.name}    统计期间：2026 年第 4 季度"

    # The board as filed: the same checks and states as the page, one row each.
    page.goto(f"{live_server.url}/reports/dashboard/?year=2026&quarter=4")
    shown = page.locator("#checks tbody tr").count()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename == f"{portal.county.code}-2026Q4-监管工作看板.xlsx"
    content = Path(download.path()).read_bytes()
    cells = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert cells[2] == ["单位", "指标", "要求", "实际", "状态", "统计期间", "出处"]
    rows = [row for row in cells[3:] if row[0] == portal.county.name]
    assert len(rows) == shown
    joint = next(row for row in rows if row[1] == "内部联合抽查占比")
    # ZH-2.2: one unit's teams are no 内部联合, and the quarter is still running.
    assert joint[2:6] == ["≥ 35%", "0/17（0%）", "进行中", "2026 年第 4 季度"]
    assert external_requests == []


def test_city_compares_branches_on_a_phone(page, live_server, transactional_db, organisations,
                                           make_user, login, output_path):  # fmt: skip
    """The 市局's leader at 375 px: each 分局's states side by side for the same quarter, with
    the counts of 未达标 and 未开展 first; each state links to the rows behind it."""
    from shuangsuiji.accounts.roles import Role

    portal = build_portal(organisations, make_user)
    make_user("city-leader", organisations["city"], Role.LEADER)
    login("city-leader", "correct-horse-battery-9")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/reports/dashboard/?year=2026&quarter=4")
    table = page.locator("#side-by-side")
    expect(table).to_be_visible()
    header = table.locator("thead th").all_inner_texts()
    assert portal.county.name in header and portal.neighbour.name in header
    assert table.locator("tr.summary th").all_inner_texts() == ["未达标", "未开展"]
    page.screenshot(path=str(Path(output_path) / "dashboard-city-375.png"), full_page=True)
    table.get_by_role("link", name="抽取 10 户").first.click()
    expect(page.locator("h1")).to_contain_text("重点监管对象抽查数量")
    # The page fits the phone: nothing wider than the viewport but the scrolling tables.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
