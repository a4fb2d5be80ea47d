"""Real Chromium, issue 20 §4 (Acceptance): a 分局 submits its quarterly report, the 市局 sees it,
returns it, it is resubmitted — 藁城 四、（四） “每季度结束后将上一季度统计表报送市局；每季度统计
报送需调整的检查人员库信息和检查对象名录信息” (GC-4.4b, GC-4.4).

At a desk (1366 px) and on a phone (375 px), with a full-page screenshot of every step under
``test-results/`` (``upward-<step>-<width>.png``):

- 遵化's 抽查管理员 opens 报送市局 from the home page's to-do, reviews last quarter's 统计表 and
  register adjustments, and sends them to 唐山市生态环境局;
- the 市局's 领导 sees 遵化 已提交 and 迁安 未提交, late against the 市局's deadline, opens the
  report, downloads the workbook exactly as sent, and returns it with a comment;
- 遵化's 抽查管理员 reads the comment and sends the second version; the first is kept;
- the 市局's 抽查管理员 accepts it from the confirmation page.

On every page: no 5xx, no internal code in the visible text and, at 375 px, nothing wider than
the screen (``tests/e2e/test_role_walks.py``'s ``Walk``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from shuangsuiji.policy import Quarter
from tests.e2e.test_role_walks import WIDTHS, Walk, logout, message, section
from tests.support.county import build_county
from tests.support.tree import PASSWORD

CITY = "唐山市生态环境局"


@pytest.fixture
def browser_context_args(browser_context_args):
    """A browser set up as a bureau's staff have it: Chinese, on Beijing time."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@WIDTHS
def test_quarterly_report_sent_returned_and_sent_again(page, live_server, transactional_db,
                                                       organisations, make_user, login,
                                                       output_path, width):  # fmt: skip
    from django.utils import timezone

    from shuangsuiji.reports.models import UpwardReport
    from shuangsuiji.reports.upward import upward_deadlines_set

    county = build_county(organisations["a"])
    neighbour = organisations["b"]
    city = organisations["city"]
    make_user("zh-coord", county, Role.COORDINATOR)
    make_user("ts-leader", city, Role.LEADER)
    make_user("ts-coord", city, Role.COORDINATOR)
    today = timezone.localdate()
    quarter = Quarter.of(today).previous()  # always over: it can be sent
    deadline = quarter.end + dt.timedelta(days=1)
    upward_deadlines_set(
        actor=None, organisation=city, year=quarter.year,
        quarters={n: deadline if n == quarter.number else None for n in (1, 2, 3, 4)},
        round_workdays=None,
    )  # fmt: skip
    late = (today - deadline).days
    w = Walk(page, "upward", width, Path(output_path), live_server.url)

    # 分局: from the to-do to the report sent.
    login("zh-coord", PASSWORD)
    page.locator("#todo").get_by_role("link", name=re.compile("报送市局")).click()
    expect(page.get_by_role("heading", name=f"报送市局：{county.name}")).to_be_visible()
    w.step("branch")
    row = page.locator("#quarters tr").filter(has_text=quarter.label)
    row.get_by_role("link", name="报送", exact=True).click()
    expect(page.get_by_role("heading", name=f"报送{quarter.label}统计表和名录调整")).to_be_visible()
    expect(page.locator("#table")).to_contain_text("抽查任务数")
    w.step("submit")
    section(page, "此操作不可撤销，请确认").get_by_label("报送说明").fill("本季度数据已核对")
    page.get_by_role("button", name=f"报送{CITY}").click()
    expect(
        message(page, f"已向{CITY}报送{quarter.label}的统计表和名录调整（第 1 版）")
    ).to_be_visible()
    expect(page.locator("#status")).to_have_text("已提交，待审核")
    w.step("sent")
    logout(page)

    # 市局: who has sent, who is late; the report as sent; returned with a comment.
    login("ts-leader", PASSWORD)
    page.goto(f"{live_server.url}/reports/upward/?year={quarter.year}")
    table = page.locator("#branches")
    own = table.locator("tr").filter(has_text=county.name)
    other = table.locator("tr").filter(has_text=neighbour.name)
    column = quarter.number  # the first cell is the 分局's name
    expect(own.locator("td").nth(column)).to_contain_text("已提交，待审核")
    expect(other.locator("td").nth(column)).to_contain_text("未提交")
    if late > 0:
        expect(other.locator("td").nth(column)).to_contain_text(f"逾期 {late} 天")
    w.step("city")
    own.locator("td").nth(column).get_by_role("link", name="第 1 版").click()
    expect(page.get_by_role("heading", name=f"{county.name} {quarter.label} 报送")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载统计表（Excel）").click()
    sent = UpwardReport.objects.get(organisation=county, version=1)
    assert Path(download.value.path()).read_bytes() == bytes(sent.table_file)
    assert download.value.suggested_filename == f"{county.code}-{quarter}-统计表.xlsx"
    w.step("report")
    opinion = section(page, "退回修改").get_by_label("退回原因和修改意见")
    opinion.fill("请补充本季度移出名录的原因。")
    page.get_by_role("button", name="退回修改").click()
    expect(message(page, f"已退回{county.name}")).to_be_visible()
    expect(page.locator("#status")).to_have_text("已退回")
    w.step("returned")
    logout(page)

    # 分局: the comment, and the second version.
    login("zh-coord", PASSWORD)
    page.locator("#todo").get_by_role("link", name=re.compile("市局退回")).click()
    row = page.locator("#quarters tr").filter(has_text=quarter.label)
    expect(row).to_contain_text("退回意见：请补充本季度移出名录的原因。")
    w.step("branch-returned")
    row.get_by_role("link", name="重新报送").click()
    expect(page.get_by_text("这将是第 2 版。")).to_be_visible()
    section(page, "此操作不可撤销，请确认").get_by_label("报送说明").fill("已补充说明")
    page.get_by_role("button", name=f"报送{CITY}").click()
    expect(message(page, "（第 2 版）")).to_be_visible()
    expect(page.locator("#versions")).to_contain_text("第 1 版，已退回")
    w.step("resent")
    logout(page)

    # 市局: accepted from the confirmation page.
    login("ts-coord", PASSWORD)
    page.goto(f"{live_server.url}/reports/upward/?year={quarter.year}")
    page.locator("#branches tr").filter(has_text=county.name).get_by_role(
        "link", name="第 2 版"
    ).click()
    page.get_by_role("link", name="接收…").click()
    w.step("accept")
    page.get_by_role("button", name="接收", exact=True).click()
    expect(page.locator("#status")).to_have_text("已接收")
    w.step("accepted")
    versions = UpwardReport.objects.filter(organisation=county).order_by("version")
    assert [v.status for v in versions] == ["returned", "accepted"]
    w.done()
