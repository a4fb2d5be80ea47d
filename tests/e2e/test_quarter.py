"""Real Chromium: a coordinator runs a whole quarter (issue: 双随机 in the app; BD-3.3).

plan → 领导 approves → publish → commit → enter sources → draw → teams → substitute one → reveal
→ the public page shows the verified bundle, and the downloaded bundle verifies with the CLI.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from shuangsuiji.cli import main
from tests.support.county import build_county
from tests.support.tree import adopt_preset

PASSWORD = "a-good-long-password-1"


def logout(page):
    page.get_by_role("button", name="退出登录").click()


@pytest.mark.parametrize(
    "preset", ["zunhua-2024", "baoding-2021", "huojia-2024", "gaocheng-2026", "jiangxian-2025"]
)
def test_whole_quarter(page, live_server, transactional_db, login, tmp_path, output_path,
                       external_requests, capsys, preset):  # fmt: skip
    from shuangsuiji.accounts.services import organisation_create, user_create
    from shuangsuiji.planning.models import Draw

    city = organisation_create(actor=None, code="130200", name="唐山市生态环境局")
    county = build_county(
        organisation_create(
            actor=None, code="130281", name="唐山市生态环境局遵化市分局", parent=city
        )
    )
    adopt_preset(county, preset)  # fmt: skip
    for username, role in (("coord", Role.COORDINATOR), ("leader", Role.LEADER)):
        user_create(
            actor=None, username=username, organisation=county, roles=[role], password=PASSWORD
        )
    year = timezone.localdate().year

    login("coord", PASSWORD)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="年度抽查计划").click()
    page.get_by_label("生成年度计划：").fill(str(year))
    page.get_by_role("button", name="按本单位政策生成草稿").click()
    expect(page.get_by_text(f"已按本单位政策生成 {year} 年度抽查计划")).to_be_visible()
    plan_url = page.url
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("计划已提交审批，等待领导审批印发。")).to_be_visible()
    logout(page)

    login("leader", PASSWORD)
    # The to-do on the home page (the menu counts it too).
    page.get_by_role("main").get_by_role("link", name="年度抽查计划待审批").click()
    page.get_by_role("link", name="审批或退回…").click()
    expect(page.get_by_text("审批后计划不能再修改")).to_be_visible()
    page.get_by_role("button", name="审批印发").click()
    expect(page.get_by_text("计划已审批印发")).to_be_visible()
    logout(page)

    login("coord", PASSWORD)
    if preset == "huojia-2024":
        # HJ-att: the plan leaves the 特殊监管对象 ratio to the bureau; the coordinator sets it.
        page.get_by_role("navigation", name="主菜单").get_by_role("link", name="本单位政策").click()
        page.goto(f"{live_server.url}/planning/policy/edit/?parameter=classes.SPECIAL.quota")
        page.get_by_label("抽查比例").fill("30")
        page.get_by_label("自何日起生效").fill(f"{year}-01-01")
        page.get_by_label("调整原因").fill("局务会确定特殊监管对象每季度抽查 30%")
        page.get_by_role("button", name="预览调整").click()
        expect(page.get_by_text("抽查比例 30%（每季度）").first).to_be_visible()
        page.get_by_role("button", name="确认保存").click()
        expect(page.get_by_text("已调整“")).to_be_visible()
    page.goto(plan_url)
    page.get_by_role("link", name="向社会公开…").click()
    expect(page.get_by_text("任何人都可以查看和下载")).to_be_visible()
    page.get_by_role("button", name="向社会公开").click()
    expect(page.get_by_text("计划已向社会公开")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="抽取", exact=True).nth(3).click()  # Q4
    expect(page.get_by_role("heading", name="各类别抽取数量")).to_be_visible()
    page.get_by_label("随机源一：名称").fill(f"中国福利彩票双色球 {year}136 期")
    page.get_by_label("随机源二：类型").select_option("witness")
    page.get_by_label("随机源二：名称").fill("监督员 陈静 现场写下的数字")
    # The earliest 最迟公开日期 allowed, the end of the task's inspection period, is offered.
    assert page.get_by_label("最迟公开日期").input_value() >= timezone.localdate().isoformat()
    page.get_by_role("button", name="承诺并公开候选名单").click()
    expect(page.get_by_text("承诺后不能更换随机源")).to_be_visible()
    page.get_by_role("button", name="确认承诺并公开候选名单").click()
    expect(page.get_by_text("已承诺：候选名单和承诺值已在公开门户发布")).to_be_visible()

    page.get_by_label(f"中国福利彩票双色球 {year}136 期 的取值").fill("3.7.12.19.25.31./9./")
    page.get_by_label("监督员 陈静 现场写下的数字 的取值").fill("20261122")
    page.get_by_role("button", name="抽取", exact=True).click()
    expect(page.get_by_text("3.7.12.19.25.31./9./")).to_be_visible()  # read back before the draw
    page.get_by_role("button", name="确认取值并抽取").click()
    expect(page.get_by_text("抽取完成")).to_be_visible()
    assert page.get_by_text("（带队）").count() == 0  # teams are listed by name and 执法证号
    rows = page.locator("tbody tr")
    assert rows.count() >= 10

    first = rows.nth(0)
    first.get_by_label("替补依据").fill("企业停产证明（现场核实）")
    first.get_by_role("button", name="替补").click()
    expect(page.get_by_text("已由备选名单首位")).to_be_visible()
    expect(page.get_by_text("替补记录")).to_be_visible()

    # While its checks run the list stays secret: no button, the reason instead.
    expect(page.get_by_text("项检查未完成")).to_be_visible()
    assert page.get_by_role("link", name="公开名单与盐值…").count() == 0
    draw = Draw.objects.get()
    Draw.objects.filter(pk=draw.pk).update(reveal_on=timezone.localdate())  # the day comes
    page.reload()
    page.get_by_role("link", name="公开名单与盐值…").click()
    page.get_by_role("button", name="公开名单与盐值").click()
    expect(page.get_by_text("名单、盐值和全部抽取材料已公开")).to_be_visible()
    logout(page)

    page.goto(f"{live_server.url}/gongkai/draws/{draw.draw_id}/")
    expect(page.get_by_text("✓ 通过")).to_be_visible()
    expect(page.get_by_text("替补").first).to_be_visible()
    screenshot = Path(output_path) / f"public-draw-{preset}.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载全部公开材料（zip）").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    archive.extractall(tmp_path)
    capsys.readouterr()
    assert main(["draw", "verify", str(tmp_path / draw.draw_id)]) == 0
    assert "核对通过" in capsys.readouterr().out
    assert external_requests == []
