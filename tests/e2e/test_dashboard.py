"""Real Chromium: a coordinator opens the dashboard, sees “did we meet our plan?” with the
charts drawn by the vendored ECharts (no other host), and downloads the 统计表 in Excel."""

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
    assert external_requests == []
