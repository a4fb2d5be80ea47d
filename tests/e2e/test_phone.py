"""Real Chromium on a phone (375 px) and a desk (1366 px), issue 19 §6: the inspector's
提交前还需 list follows the fields as they are filled and says what the server says; the draft
notice and the list sit with the submit button; the draft's time is Beijing time; no page the
issue found too wide (record form, audit log, import errors, API docs) scrolls sideways."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from tests.support.county import build_county
from tests.support.tree import adopt_preset
from tests.support.workbooks import uscc, xlsx

PASSWORD = "a-good-long-password-1"
PHONE = {"width": 375, "height": 812}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _inline_imports(settings):
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False


@pytest.fixture
def county_year(transactional_db):
    """遵化 with its Q4 drawn: one inspection assigned, an inspector, a coordinator, a 监督员."""
    from shuangsuiji.accounts.services import organisation_create, user_create
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    county = build_county(
        organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
    )
    plan = plan_generate(actor=None, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    plan_publish(actor=None, plan=plan)
    draw = draw_commit(actor=None, task=plan.tasks.get(quarter=4), sources=[("lottery", "双色球 2026136 期")],
                       reveal_on=dt.date(2026, 12, 31))  # fmt: skip
    draw_execute(actor=None, draw=draw, values=["1.2.3.4.5.6./7./"])
    inspection = Inspection.objects.filter(draw=draw, status="assigned").first()
    inspector = inspection.members.first().inspector.certificate_no
    user_create(actor=None, username=inspector, organisation=county, roles=[Role.INSPECTOR],
                password=PASSWORD)  # fmt: skip
    user_create(actor=None, username="coord", organisation=county, roles=[Role.COORDINATOR],
                password=PASSWORD)  # fmt: skip
    user_create(actor=None, username="jiandu", organisation=county, roles=[Role.AUDITOR],
                password=PASSWORD)  # fmt: skip
    return inspection, inspector


def shoot(page, output_path, name: str) -> None:
    path = Path(output_path) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def listed(page) -> list[str]:
    """The 提交前还需 list as the inspector sees it now."""
    return [t.strip() for t in page.locator("#problem-list li").all_inner_texts()]


def server_list(page, url: str) -> list[str]:
    """The list as the server renders it for the saved record (before any script runs)."""
    text = page.request.get(url).text()
    block = re.search(r'<ul id="problem-list"[^>]*>(.*?)</ul>', text, re.S)
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []
    return [html.unescape(i).strip() for i in items]


def test_record_form_on_a_phone(page, live_server, county_year, login, output_path,
                                external_requests):  # fmt: skip
    inspection, inspector = county_year
    # A bureau whose plan names the records of an on-site check (绛县 四、（六）).
    adopt_preset(inspection.organisation, "jiangxian-2025")
    url = f"{live_server.url}/inspections/{inspection.pk}/record/"
    page.set_viewport_size(PHONE)
    login(inspector, PASSWORD)
    page.goto(url)
    submit = page.get_by_role("button", name="提交结果")
    expect(page.locator("#submit-problems")).to_contain_text("提交前还需")

    # Each field filled takes its line off the list, without a reload.
    page.get_by_label("实际检查方式").select_option("书面检查")
    counts = [len(listed(page))]
    steps = [
        ("请填写检查时间。", lambda: page.get_by_label("检查时间").fill("2026-12-03T10:30")),
        (
            "尚未填写检查结论",
            lambda: [r.check() for r in page.get_by_role("radio", name="合格").all()],
        ),
        (
            "请选择检查结果。",
            lambda: page.get_by_label("检查结果").select_option(label="未发现问题"),
        ),
    ]
    for line, fill in steps:
        expect(page.locator("#problem-list")).to_contain_text(line)
        fill()
        expect(page.locator("#problem-list")).not_to_contain_text(line)
        counts.append(len(listed(page)))
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == len(counts), counts

    # Rules that join two fields follow them too: a 发现问题 item against 未发现问题.
    page.get_by_role("radio", name="发现问题").first.check()
    expect(page.locator("#problem-list")).to_contain_text("检查结果不能是“未发现问题”")
    page.get_by_role("radio", name="合格").first.check()
    expect(page.locator("#problem-list")).not_to_contain_text("检查结果不能是")

    # The records an on-site check must upload follow the method and the result: the words
    # and the clause are the bureau's own plan's (here 绛县 四、（六）).
    method = page.get_by_label("实际检查方式")
    method.select_option("现场检查")
    expect(page.locator("#problem-list")).to_contain_text(
        "现场检查未发现问题的，须上传：现场检查表"
    )
    page.get_by_label("检查结果").select_option(label="发现问题已责令整改")
    expect(page.locator("#problem-list")).to_contain_text(
        "须上传：现场检查表、现场检查笔录、询问笔录（四、（六））"
    )
    live = listed(page)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("已保存草稿。")).to_be_visible()
    assert server_list(page, url) == live
    page.get_by_label("实际检查方式").select_option("书面检查")
    page.get_by_label("检查结果").select_option(label="未发现问题")
    expect(page.locator("#problem-list")).not_to_contain_text("须上传")

    live = listed(page)
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("已保存草稿。")).to_be_visible()
    assert (
        server_list(page, url)
        == live
        == ["请填写结果认定日期。", "请填写公示摘要（不涉密的结果将向社会公示）。"]
    )

    page.get_by_label("公示摘要").fill("未发现问题")
    page.get_by_label("结果认定日期").fill("2026-12-03")
    expect(page.locator("#submit-problems")).to_contain_text("已填写完整，可以提交")
    assert listed(page) == []

    # The draft notice, in Beijing time, sits within one screen of the button.
    page.evaluate(
        """key => {
          const draft = JSON.parse(localStorage.getItem(key));
          draft.saved = "2026-12-04T07:32:00.000Z";
          localStorage.setItem(key, JSON.stringify(draft));
        }""",
        f"sjs-record-draft-{inspection.pk}",
    )
    page.reload()
    notice = page.locator("#draft-notice")
    expect(notice).to_have_text("已恢复本机保存的草稿（保存于 2026年12月4日 15:32）。")
    submit.scroll_into_view_if_needed()
    gap = abs(submit.bounding_box()["y"] - notice.bounding_box()["y"])
    assert gap < PHONE["height"] / 2, gap
    problems_box = page.locator("#submit-problems").bounding_box()
    assert abs(submit.bounding_box()["y"] - problems_box["y"]) < PHONE["height"] / 2
    # Both buttons inside the screen's width.
    for button in (submit, page.get_by_role("button", name="保存草稿")):
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page_width(page) <= PHONE["width"]
    shoot(page, output_path, "phone-record-375")

    page.set_viewport_size(DESK)
    page.reload()
    assert page_width(page) <= DESK["width"]
    shoot(page, output_path, "phone-record-1366")
    assert external_requests == []


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, county_year, tmp_path,
                                             output_path):  # fmt: skip
    # The import error table: long values and long messages.
    bad = tmp_path / "名录有错.xlsx"
    bad.write_bytes(xlsx([
        ["统一社会信用代码", "单位名称", "排污许可管理类别"],
        [uscc(901), "遵化市某某超长名称的钢铁冶炼与压延加工及配套能源综合利用有限责任公司第一分公司", "重点"],
        ["91130281ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "乙", "不存在的类别名称很长很长很长很长"],
    ]))  # fmt: skip
    # A phone honours the page's viewport: a page without one is laid out 980 px wide.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    desk = browser.new_context(viewport=DESK)
    page = phone.new_page()

    def visit(user, url):
        page.context.clear_cookies()
        if user:
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("登录名").fill(user)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{live_server.url}/")
        page.goto(url)
        page.wait_for_load_state("networkidle")

    visit("coord", f"{live_server.url}/directory/targets/import/")
    page.get_by_label("文件").set_input_files(str(bad))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.get_by_text("未写入任何数据")).to_be_visible()
    pages = [
        ("coord", "import-errors", page.url),
        ("jiandu", "audit", f"{live_server.url}/audit/"),
        (None, "api-docs", f"{live_server.url}/api/docs"),
    ]

    def open_all(name):
        if name == "api-docs":  # a reader opens an operation and its parameters
            page.locator(".opblock-summary").first.click()
            page.get_by_role("button", name="Try it out").wait_for()
        if name == "audit":  # and a change's details
            page.get_by_text("查看").first.click()

    for user, name, url in pages:
        visit(user, url)
        open_all(name)
        assert page_width(page) <= PHONE["width"], (name, page_width(page))
        shoot(page, output_path, f"phone-{name}-375")

    # A wide table scrolls inside its frame and keeps its first column in view; its columns
    # stay readable (CJK text squeezed to fit would break after every character).
    visit("jiandu", f"{live_server.url}/audit/")
    wrap = page.locator(".table-wrap").first
    first = wrap.locator("tbody tr").first.locator("td").first
    before = first.bounding_box()["x"]
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    wrap.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    assert wrap.evaluate("e => e.scrollLeft") > 0
    assert first.bounding_box()["x"] == pytest.approx(before, abs=1)
    organisation = wrap.get_by_role("cell", name="唐山市生态环境局遵化市分局").first
    assert organisation.bounding_box()["height"] < 4 * organisation.bounding_box()["width"]

    page = desk.new_page()
    for user, name, url in pages:
        visit(user, url)
        open_all(name)
        assert page_width(page) <= DESK["width"], name
        shoot(page, output_path, f"phone-{name}-1366")
    phone.close()
    desk.close()


def test_menu_counts_what_awaits(page, live_server, county_year, login, output_path):
    _, inspector = county_year
    page.set_viewport_size(PHONE)
    login(inspector, PASSWORD)
    menu = page.get_by_role("navigation", name="主菜单")
    # Folded on a phone, the menu's button still says something awaits.
    expect(menu.locator("summary .nav-count")).to_be_visible()
    menu.locator("summary").click()
    mine = menu.get_by_role("link", name=re.compile("^我的任务"))
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.inspections.selectors import OPEN_STATUSES

    waiting = Inspection.objects.filter(
        members__inspector__certificate_no=inspector, status__in=OPEN_STATUSES
    ).count()
    assert waiting > 0
    expect(mine.locator(".nav-count")).to_have_text(re.compile(rf"^{waiting}\b"))
    shoot(page, output_path, "phone-menu-375")
