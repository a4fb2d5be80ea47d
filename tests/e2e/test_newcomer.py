"""Real Chromium at 375 px (issue 19 §8): from the login page to the public portal, an unknown
address answered with the Chinese 404 page and a way on, and the site's icon."""

from pathlib import Path

from playwright.sync_api import expect


def _screenshot(page, output_path, name: str) -> None:
    path = Path(output_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def test_newcomer_finds_the_portal_and_a_way_back(
    page, live_server, transactional_db, output_path, external_requests
):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    answer = page.request.get(f"{live_server.url}{icon}")
    assert answer.ok and answer.headers["content-type"] == "image/svg+xml"
    assert page.request.get(f"{live_server.url}/favicon.ico").ok
    _screenshot(page, output_path, "newcomer-login-375.png")

    page.get_by_role("link", name="进入公开门户").click()
    page.wait_for_url(f"{live_server.url}/gongkai/")
    expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()

    response = page.goto(f"{live_server.url}/gongkai/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_role("link", name="公开门户", exact=True)).to_be_visible()
    _screenshot(page, output_path, "newcomer-404-375.png")
    page.get_by_role("link", name="公开门户", exact=True).click()
    page.wait_for_url(f"{live_server.url}/gongkai/")
    assert external_requests == []
