"""Real Chromium: a coordinator logs in, sees the Chinese home page and the coordinator menu —
folded under “菜单” on a phone so the page comes first (issue 19 §6), a side bar on a desktop."""

from pathlib import Path

from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role


def test_coordinator_logs_in(page, live_server, transactional_db, output_path, external_requests):
    from shuangsuiji.accounts.services import organisation_create, user_create

    province = organisation_create(actor=None, code="130000", name="河北省生态环境厅")
    city = organisation_create(actor=None, code="130200", name="唐山市生态环境局", parent=province)
    branch = organisation_create(
        actor=None, code="130281", name="唐山市生态环境局遵化市分局", parent=city
    )
    user_create(
        actor=None,
        username="coordinator",
        organisation=branch,
        roles=[Role.COORDINATOR],
        display_name="李海燕",
        password="a-good-long-password-1",
    )

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.get_by_label("登录名").fill("coordinator")
    page.get_by_label("密码").fill("a-good-long-password-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    expect(page.get_by_role("heading", name="唐山市生态环境局遵化市分局")).to_be_visible()
    assert "您好，李海燕" in page.content()
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link", name="首页")).to_be_hidden()
    expect(page.get_by_role("heading", name="待办事项")).to_be_in_viewport()
    menu.get_by_text("菜单").click()
    expect(menu.get_by_role("link", name="首页")).to_be_visible()
    expect(menu.get_by_role("link", name="修改密码")).to_be_visible()
    assert menu.get_by_role("link", name="用户管理").count() == 0
    screenshot = Path(output_path) / "coordinator-home.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    page.set_viewport_size({"width": 1366, "height": 800})
    page.reload()
    expect(menu.get_by_role("link", name="首页")).to_be_visible()  # the side bar, always open
    assert external_requests == []
