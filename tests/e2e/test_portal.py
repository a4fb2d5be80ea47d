"""Real Chromium, no account, a phone's width: a member of the public looks an enterprise up,
reads its results, opens the revealed draw behind them, downloads the bundle, and the bundle
verifies with the command-line tool (issue 8)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from shuangsuiji.cli import main
from tests.support.portal import build_portal


def test_citizen_finds_results_and_verifies_the_draw(page, live_server, transactional_db,
                                                     organisations, make_user, tmp_path,
                                                     output_path, external_requests):  # fmt: skip
    portal = build_portal(organisations, make_user)
    enterprise = portal.ordered.target
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/gongkai/")

    # Search by a fragment of the name, then open the enterprise.
    page.get_by_placeholder("企业名称或统一社会信用代码").fill(enterprise.name)
    page.get_by_role("button", name="查询检查结果").click()
    page.get_by_role("link", name=enterprise.name, exact=True).first.click()
    page.wait_for_url(f"**/gongkai/enterprise/{enterprise.credit_code}/")
    body = page.locator("main")
    assert "公开的抽查结果（1 条）" in body.inner_text()
    assert "发现问题已责令整改：危废标识不规范" in body.inner_text()
    assert "责令整改：办理中" in body.inner_text()
    # Read on a phone: nothing wider than the screen (a result is shown as a card).
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(Path(output_path) / "portal-enterprise-375.png"), full_page=True)

    # The result names the draw that chose this enterprise; its page shows the verification.
    page.get_by_role("link", name=f"抽取 {portal.revealed.draw_id}").click()
    page.wait_for_url(f"**/gongkai/draws/{portal.revealed.draw_id}/")
    text = page.locator("main").inner_text()
    assert "✓ 通过" in text and f"shuangsuiji draw verify {portal.revealed.draw_id}" in text
    assert enterprise.name in text  # in the published list, with its rank and team
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(Path(output_path) / "portal-draw-375.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载全部公开材料（zip）").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    archive.extractall(tmp_path)
    assert main(["draw", "verify", str(tmp_path / portal.revealed.draw_id)]) == 0

    # The unrevealed draw's page says when its list will be public, and shows no list.
    page.goto(f"{live_server.url}/gongkai/draws/{portal.hidden.draw_id}/")
    assert "名单将于检查结束后公开" in page.locator("main").inner_text()
    assert page.locator("text=抽取结果").count() == 0
    assert external_requests == []
