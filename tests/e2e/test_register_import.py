"""Real Chromium: a coordinator imports the target register through the page (issue: 一单两库)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from tests.support.workbooks import uscc, xlsx


@pytest.fixture(autouse=True)
def _inline_imports(settings):
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False


def test_import_targets_through_the_page(page, live_server, transactional_db, login, tmp_path,
                                         output_path, external_requests):  # fmt: skip
    from shuangsuiji.accounts.services import organisation_create, user_create
    from shuangsuiji.directory.models import Target

    branch = organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
    user_create(actor=None, username="coord", organisation=branch, roles=[Role.COORDINATOR],
                password="a-good-long-password-1")  # fmt: skip
    bad = tmp_path / "坏名录.xlsx"
    bad.write_bytes(xlsx([["统一社会信用代码", "单位名称"], [uscc(1), "甲"], ["ABC", "乙"]]))
    good = tmp_path / "名录.xlsx"
    good.write_bytes(xlsx([
        ["统一社会信用代码", "单位名称", "要素标签"],
        [uscc(1), "遵化市鑫源钢铁有限公司", "大气"],
        [uscc(2), "遵化市宏达化工有限公司", "水、危废"],
    ]))  # fmt: skip

    login("coord", "a-good-long-password-1")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="检查对象名录库").click()
    page.get_by_role("link", name="Excel 导入").click()

    page.get_by_label("文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_text("发现 1 处问题，未写入任何数据")).to_be_visible()
    expect(page.get_by_role("cell", name="统一社会信用代码无效", exact=False)).to_be_visible()
    assert Target.objects.count() == 0

    page.get_by_role("link", name="改正后重新上传").click()
    page.get_by_label("文件").set_input_files(str(good))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_text("预览")).to_be_visible()
    page.get_by_label("导入原因").fill("2026 年第四季度名录动态调整")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("导入完成：新增 2 条，修改 0 条")).to_be_visible()

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="检查对象名录库").click()
    expect(page.get_by_role("link", name=uscc(2))).to_be_visible()
    screenshot = Path(output_path) / "targets.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert Target.objects.count() == 2
    assert external_requests == []
