"""Real Chromium, issue 19 (Acceptance): each role walks its main flow on a desk (1366 px) and a
phone (375 px), starting from its home page's to-do list, with a full-page screenshot of every
main step kept under ``test-results/`` (``<role>-<step>-<width>.png``).

- 抽查管理员: to-do → generate the year's plan → 提交审批; once approved: 向社会公开… → confirm;
  the quarter's 抽取 → commit (confirmation page) → values (read-back page) → the teams.
- 领导: to-do “年度抽查计划待审批” → review page → 退回修改 with an opinion, which the
  抽查管理员 reads on the plan page; resubmitted → 审批印发 with an opinion.
- 执法人员: to-do → 我的任务 → the record form → filled and submitted → the result.
- 监督员: to-do → the draw to witness; a revealed draw from the plan; 审计日志 filtered by an
  action's Chinese name.
- 系统管理员: 用户管理 → 新建用户.
- 市局's 领导: 监管工作看板 of its 分局 side by side → the rows behind a figure.
- The public: portal → a county → its results → the revealed draw behind a result.

On every page: no 5xx, no internal code in the visible text (the checker of
tests/demo_nov/test_no_codes_on_pages.py) and, at 375 px, nothing wider than the screen. These are
collected along the walk and reported together at its end, each with its page and screenshot,
so one finding does not hide the next page's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shuangsuiji.accounts.roles import Role
from shuangsuiji.policy import Quarter, available_presets
from tests.demo_nov.test_no_codes_on_pages import codes_in, visible_text
from tests.support.county import build_county
from tests.support.portal import build_portal
from tests.support.tree import PASSWORD, adopt_preset

PHONE = 375
VIEWPORTS = {1366: {"width": 1366, "height": 900}, PHONE: {"width": PHONE, "height": 812}}
#: Every test runs at each width.
WIDTHS = pytest.mark.parametrize("width", list(VIEWPORTS))
#: Preset slugs may not show on any page (``zunhua-2024``).
SLUGS = set(available_presets())
#: The lottery and witness sources of a commit, and their values (tests/e2e/test_quarter.py).
LOTTERY_VALUE = "3.7.12.19.25.31./9./"
WITNESS_VALUE = "20261122"
#: A team member in the draw page's list: the inspector's name and 执法证号 (build_county).
TEAM_MEMBER = re.compile(r"执法\d+（1302812026\d{4}）")


@dataclass
class Walk:
    """One role's walk at one width: screenshots and the checks every page must pass."""

    page: Page
    role: str
    width: int
    folder: Path
    base_url: str
    findings: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(VIEWPORTS[self.width])
        # A step that cannot be found fails in seconds rather than half a minute.
        self.page.set_default_timeout(15_000)
        self.page.on("response", self._response)

    def _response(self, response) -> None:
        if response.url.startswith(self.base_url) and response.status >= 500:
            self.findings.append(f"{response.request.method} {response.url} 返回 {response.status}")

    def step(self, name: str) -> Path:
        """Screenshot the page as it is now and check what every page must satisfy."""
        page = self.page
        page.wait_for_load_state("load")
        shot = self.folder / f"{self.role}-{name}-{self.width}.png"
        page.screenshot(path=str(shot), full_page=True)
        where = f"{name}（{page.url.removeprefix(self.base_url)}，截图 {shot}）"
        if self.width == PHONE:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > PHONE + 1:
                self.findings.append(f"{where}：页面宽 {scroll} 像素，手机上横向滚动")
        for code, around in codes_in(visible_text(page.content()), SLUGS):
            self.findings.append(f"{where}：显示内部代码 {code!r}（…{around}…）")
        return shot

    def done(self) -> None:
        found, self.findings = self.findings, []
        if found:
            pytest.fail(f"{self.role} 在 {self.width} 像素宽：\n" + "\n".join(found))


@pytest.fixture
def browser_context_args(browser_context_args):
    """A browser set up as a bureau's staff have it: Chinese, on Beijing time."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def walk(page, live_server, output_path, width):
    """``walk(role)`` starts a role's walk at the test's width."""
    walks: list[Walk] = []

    def start(role: str) -> Walk:
        walks.append(Walk(page, role, width, Path(output_path), live_server.url))
        return walks[-1]

    yield start
    for unfinished in walks:
        if unfinished.findings:  # the walk stopped before done(): show what it had found
            print("\n".join(unfinished.findings))


def home(page: Page, base_url: str) -> None:
    """Back to the home page by the site's name in the top bar."""
    page.get_by_role("link", name="双随机一公开监管平台").click()
    page.wait_for_url(f"{base_url}/")


def tile(page: Page, name: str) -> None:
    """Open one of the home page's 常用功能 (the menu is folded on a phone)."""
    page.get_by_role("main").get_by_role("link", name=name, exact=True).click()


def todo(page: Page, label: str) -> None:
    """Open an item of the home page's 待办事项."""
    page.locator("#todo").get_by_role("link", name=label).click()


def message(page: Page, text: str):
    """The message the last act left at the top of the page."""
    return page.get_by_role("status").filter(has_text=text)


def section(page: Page, heading: str):
    """The part of the page under ``heading`` (a form beside another on a confirmation page)."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading))


def logout(page: Page) -> None:
    """退出登录 from the menu, unfolding it first on a phone."""
    menu = page.locator("details.menu-toggle")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state("load")


def this_quarter() -> Quarter:
    return Quarter.of(timezone.localdate())


def published_plan(county, coordinator, leader):
    """This year's plan, generated, approved and public, through the services."""
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    plan = plan_generate(actor=coordinator, organisation=county, year=this_quarter().year)
    plan_submit(actor=coordinator, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    return plan


@WIDTHS
def test_coordinator_runs_the_quarter(page, live_server, transactional_db, organisations,
                                      make_user, login, walk, width):  # fmt: skip
    from shuangsuiji.planning.models import AnnualPlan
    from shuangsuiji.planning.plans import plan_approve

    county = build_county(organisations["a"])
    make_user("coord", county, Role.COORDINATOR)
    leader = make_user("leader", county, Role.LEADER)
    quarter = this_quarter()
    year = quarter.year
    w = walk("coordinator")

    login("coord", PASSWORD)
    w.step("home")
    todo(page, f"尚未制定 {year} 年度抽查计划")
    w.step("plans")
    page.get_by_label("生成年度计划：").fill(str(year))
    page.get_by_role("button", name="按本单位政策生成草稿").click()
    expect(message(page, f"已按本单位政策生成 {year} 年度抽查计划")).to_be_visible()
    w.step("plan-draft")
    page.get_by_role("button", name="提交审批").click()
    expect(message(page, "计划已提交审批")).to_be_visible()
    w.step("plan-submitted")

    plan_approve(actor=leader, plan=AnnualPlan.objects.get(organisation=county, year=year))
    home(page, live_server.url)
    todo(page, "已审批的计划待向社会公开")
    w.step("plan-approved")
    page.get_by_role("link", name="向社会公开…").click()
    expect(page.get_by_text("任何人都可以查看和下载")).to_be_visible()
    w.step("publish-confirm")
    page.get_by_role("button", name="向社会公开").click()
    expect(message(page, "计划已向社会公开")).to_be_visible()
    w.step("plan-published")

    # The task of the quarter under way: drawn in its own quarter, no reason for drawing ahead.
    row = page.locator("tbody tr").filter(has_text=f"（{'一二三四'[quarter.number - 1]}季度）")
    row.first.get_by_role("link", name="抽取", exact=True).click()
    expect(page.get_by_role("heading", name="各类别抽取数量")).to_be_visible()
    w.step("draw-prepare")
    lottery = f"中国福利彩票双色球 {year}136 期"
    witness = "监督员 陈静 现场写下的数字"
    page.get_by_label("随机源一：名称").fill(lottery)
    page.get_by_label("随机源二：类型").select_option("witness")
    page.get_by_label("随机源二：名称").fill(witness)
    page.get_by_role("button", name="承诺并公开候选名单").click()
    expect(page.get_by_text("承诺后不能更换随机源")).to_be_visible()
    w.step("commit-confirm")
    page.get_by_role("button", name="确认承诺并公开候选名单").click()
    expect(message(page, "已承诺")).to_be_visible()
    w.step("committed")

    page.get_by_label(f"{lottery} 的取值").fill(LOTTERY_VALUE)
    page.get_by_label(f"{witness} 的取值").fill(WITNESS_VALUE)
    page.get_by_role("button", name="抽取", exact=True).click()
    expect(page.get_by_text(LOTTERY_VALUE)).to_be_visible()  # read back before the draw
    expect(page.get_by_text(WITNESS_VALUE)).to_be_visible()
    w.step("values-readback")
    page.get_by_role("button", name="确认取值并抽取").click()
    expect(message(page, "抽取完成")).to_be_visible()
    w.step("drawn")
    # The teams: every drawn target has its team, each member by name and 执法证号.
    rows = page.locator("tbody tr")
    assert rows.count() >= 10
    for team in rows.locator("td:nth-child(4)").all_inner_texts():
        assert TEAM_MEMBER.search(team), team
    w.done()


@WIDTHS
def test_leader_sends_back_then_approves(page, live_server, transactional_db, organisations,
                                         make_user, login, walk, width):  # fmt: skip
    from shuangsuiji.planning.plans import plan_generate, plan_submit

    county = build_county(organisations["a"])
    coordinator = make_user("coord", county, Role.COORDINATOR)
    make_user("leader", county, Role.LEADER)
    year = this_quarter().year
    plan = plan_generate(actor=coordinator, organisation=county, year=year)
    plan_submit(actor=coordinator, plan=plan)
    send_back = "重点排污单位的抽查比例请按局务会意见再核对一遍"
    approval = "同意印发，请按时向社会公开"
    w = walk("leader")

    login("leader", PASSWORD)
    w.step("home")
    todo(page, "年度抽查计划待审批")
    w.step("plan")
    page.get_by_role("link", name="审批或退回…").click()
    expect(page.get_by_text("审批后计划不能再修改")).to_be_visible()
    w.step("review")
    opinion = section(page, "退回修改").get_by_label("退回原因和修改意见")
    expect(opinion).to_be_visible()  # the send-back form's own box, by its label
    opinion.fill(send_back)
    page.get_by_role("button", name="退回修改").click()
    expect(message(page, "计划已退回抽查管理员修改")).to_be_visible()
    w.step("sent-back")
    logout(page)

    # The 抽查管理员 finds the plan back in the to-do list, with the 领导's opinion on it.
    login("coord", PASSWORD)
    todo(page, "计划待修改并提交审批")
    expect(page.get_by_text(f"退回修改：{send_back}").first).to_be_visible()
    w.step("coordinator-reads-opinion")
    page.get_by_role("button", name="提交审批").click()
    expect(message(page, "计划已提交审批")).to_be_visible()
    logout(page)

    login("leader", PASSWORD)
    todo(page, "年度抽查计划待审批")
    page.get_by_role("link", name="审批或退回…").click()
    expect(page.get_by_text(send_back)).to_be_visible()  # the review page keeps the history
    opinion = section(page, "此操作不可撤销，请确认").get_by_label("审批意见")
    expect(opinion).to_be_visible()
    opinion.fill(approval)
    w.step("review-again")
    page.get_by_role("button", name="审批印发").click()
    expect(message(page, "计划已审批印发")).to_be_visible()
    history = page.get_by_role("heading", name="审批记录").locator("xpath=following-sibling::ul")
    expect(history).to_contain_text(send_back)
    expect(history).to_contain_text(approval)
    w.step("approved")
    plan.refresh_from_db()
    assert plan.status == plan.Status.APPROVED
    w.done()


@WIDTHS
def test_inspector_records_a_result(page, live_server, transactional_db, organisations,
                                    make_user, login, walk, width):  # fmt: skip
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.draws import commit_rules

    county = build_county(organisations["a"])
    coordinator = make_user("coord", county, Role.COORDINATOR)
    leader = make_user("leader", county, Role.LEADER)
    plan = published_plan(county, coordinator, leader)
    task = plan.tasks.filter(quarter=this_quarter().number).order_by("sequence").first()
    earliest_reveal, _ = commit_rules(task, timezone.localdate())
    draw = draw_commit(actor=coordinator, task=task, reveal_on=earliest_reveal,
                       sources=[("lottery", f"中国福利彩票双色球 {plan.year}136 期")])  # fmt: skip
    draw_execute(actor=coordinator, draw=draw, values=[LOTTERY_VALUE])
    inspection = Inspection.objects.filter(draw=draw, status="assigned").order_by("pk").first()
    member = inspection.members.first().inspector
    make_user(member.certificate_no, county, Role.INSPECTOR)
    target = inspection.target.name
    today = timezone.localdate().isoformat()
    w = walk("inspector")

    login(member.certificate_no, PASSWORD)
    w.step("home")
    todo(page, "待完成的检查任务")
    w.step("mine")
    card = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=target, exact=True)
    )
    card.get_by_role("link", name="填写检查记录").click()
    expect(page.get_by_role("heading", name=target, level=1)).to_be_visible()
    w.step("record-form")
    for radio in page.get_by_role("radio", name="合格").all():
        radio.check()
    page.get_by_label("检查时间").fill(f"{today}T08:30")
    page.get_by_label("实际检查方式").select_option("现场检查")
    page.get_by_label("企业在场人员").fill("王厂长")
    page.get_by_label("检查结果").select_option(label="未发现问题")
    page.get_by_label("公示摘要").fill("未发现问题，污染防治设施正常运行")
    page.get_by_label("结果认定日期").fill(today)
    w.step("record-filled")
    page.get_by_role("button", name="提交结果").click()
    expect(message(page, "检查结果已提交。")).to_be_visible()
    w.step("submitted")
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.DONE
    assert inspection.public_summary == "未发现问题，污染防治设施正常运行"

    # 我的任务 shows the inspection done, its record now to read.
    home(page, live_server.url)
    tile(page, "我的任务")
    card = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=target, exact=True)
    )
    expect(card).to_contain_text("已完成")
    expect(card.get_by_role("link", name="查看检查记录")).to_be_visible()
    w.step("mine-done")
    w.done()


@WIDTHS
def test_auditor_witnesses_and_reads_the_log(page, live_server, transactional_db, organisations,
                                             make_user, login, walk, width):  # fmt: skip
    portal = build_portal(organisations, make_user)
    make_user("jiandu", portal.county, Role.AUDITOR)
    w = walk("auditor")

    login("jiandu", PASSWORD)
    w.step("home")
    # The draw committed and waiting for its sources: the 监督员 is there when they are entered.
    todo(page, "待现场监督的抽取")
    expect(page.locator("h1")).to_have_text(f"抽取 {portal.committed.draw_id}")
    expect(page.get_by_text("中国福利彩票双色球 2026130 期")).to_be_visible()
    w.step("draw-committed")

    # A revealed draw, from the year's plan: its list and teams.
    home(page, live_server.url)
    tile(page, "年度抽查计划")
    page.get_by_role("link", name="2026 年度").first.click()
    page.get_by_role("link", name=portal.revealed.draw_id, exact=True).click()
    expect(page.locator("h1")).to_have_text(f"抽取 {portal.revealed.draw_id}")
    # The cell reads “<统一社会信用代码> <name>”; 重点企业3 must not match 重点企业31.
    unit = re.compile(rf"\s{re.escape(portal.clean.target.name)}$")
    expect(page.get_by_role("cell", name=unit)).to_be_visible()
    w.step("draw-revealed")

    home(page, live_server.url)
    tile(page, "审计日志")
    w.step("audit-log")
    page.get_by_label("操作", exact=True).fill("公开抽取名单")
    page.get_by_role("button", name="筛选").click()
    actions = page.locator("main table").first.locator("tbody tr td:nth-child(5)")
    expect(actions.first).to_have_text("公开抽取名单")
    assert set(actions.all_inner_texts()) == {"公开抽取名单"}
    w.step("audit-filtered")
    w.done()


@WIDTHS
def test_sysadmin_creates_a_user(page, live_server, transactional_db, organisations, make_user,
                                 login, walk, width):  # fmt: skip
    from django.contrib.auth import get_user_model

    county = organisations["a"]
    adopt_preset(county, "zunhua-2024")
    make_user("admin", county, Role.SYSADMIN)
    make_user("coord", county, Role.COORDINATOR)
    w = walk("sysadmin")

    login("admin", PASSWORD)
    w.step("home")
    tile(page, "用户管理")
    expect(page.get_by_role("row").filter(has_text="抽查管理员")).to_contain_text("coord")
    w.step("users")
    page.get_by_role("link", name="新建用户").click()
    w.step("user-form")
    page.get_by_label("登录名").fill("FZ13028120160008")
    page.get_by_label("姓名").fill("李海燕")
    page.get_by_label("所属单位").select_option(label=county.name)
    page.get_by_label("执法人员", exact=True).check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已创建用户“FZ13028120160008”，初始密码")).to_be_visible()
    expect(page.get_by_role("cell", name="李海燕", exact=True)).to_be_visible()
    w.step("user-created")
    user = get_user_model().objects.get(username="FZ13028120160008")
    assert user.organisation == county
    assert [g.name for g in user.groups.all()] == ["执法人员"]
    w.done()


@WIDTHS
def test_city_compares_its_branches(page, live_server, transactional_db, organisations,
                                    make_user, login, walk, width):  # fmt: skip
    portal = build_portal(organisations, make_user)
    make_user("city-leader", organisations["city"], Role.LEADER)
    w = walk("city")

    login("city-leader", PASSWORD)
    w.step("home")
    tile(page, "监管工作看板")
    page.get_by_label("年度").fill("2026")
    page.get_by_label("期间").select_option(label="第4季度")
    page.get_by_role("button", name="查看").click()
    table = page.locator("#side-by-side")
    expect(table).to_be_visible()
    header = table.locator("thead th").all_inner_texts()
    assert portal.county.name in header and portal.neighbour.name in header
    w.step("dashboard")
    table.get_by_role("link", name="抽取 10 户").first.click()
    expect(page.locator("h1")).to_contain_text("重点监管对象抽查数量")
    w.step("dashboard-rows")
    w.done()


@WIDTHS
def test_public_follows_a_result_to_its_draw(page, live_server, transactional_db, organisations,
                                             make_user, walk, width):  # fmt: skip
    portal = build_portal(organisations, make_user)
    w = walk("public")

    page.goto(f"{live_server.url}/gongkai/")
    w.step("portal")
    page.get_by_role("link", name=portal.county.name, exact=True).click()
    expect(page.locator("h1")).to_have_text(portal.county.name)
    w.step("county")
    page.get_by_role("link", name=re.compile(r"^抽查结果（\d+ 条）$")).click()
    expect(page.get_by_text("未发现问题，企业污染防治设施正常运行")).to_be_visible()
    expect(page.get_by_text("名单未公开时不得出现")).to_have_count(0)
    w.step("results")
    page.get_by_role("link", name=f"抽取 {portal.revealed.draw_id}").first.click()
    page.wait_for_url(f"**/gongkai/draws/{portal.revealed.draw_id}/")
    expect(page.get_by_text("✓ 通过").first).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(portal.clean.target.name)
    w.step("draw")
    w.done()
