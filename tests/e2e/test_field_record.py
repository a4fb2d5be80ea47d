"""Real Chromium at 375 px: an inspector fills the record in the field, the network drops, the
submission waits in the browser and goes through when the network is back (issue 7; BD-3.3b)."""

from pathlib import Path

from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from tests.support.county import build_county
from tests.support.tree import adopt_preset

PASSWORD = "a-good-long-password-1"


def test_offline_draft_then_submit(page, live_server, transactional_db, login, output_path,
                                   external_requests):  # fmt: skip
    import datetime as dt

    from shuangsuiji.accounts.services import organisation_create, user_create
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    county = build_county(
        organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
    )
    adopt_preset(county, "zunhua-2024")
    plan = plan_generate(actor=None, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    plan_publish(actor=None, plan=plan)
    draw = draw_commit(actor=None, task=plan.tasks.get(quarter=4), sources=[("lottery", "双色球 2026136 期")],
                       reveal_on=dt.date(2026, 12, 31))  # fmt: skip
    draw_execute(actor=None, draw=draw, values=["1.2.3.4.5.6./7./"])
    inspection = Inspection.objects.filter(draw=draw, status="assigned").first()
    member = inspection.members.first().inspector
    user_create(actor=None, username=member.certificate_no, organisation=county, roles=[Role.INSPECTOR],
                password=PASSWORD)  # fmt: skip

    page.set_viewport_size({"width": 375, "height": 812})
    login(member.certificate_no, PASSWORD)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/record/")
    page.get_by_label("企业在场人员").fill("王厂长")
    page.reload()  # the tab was closed in the field: the browser kept the draft
    expect(page.get_by_text("已恢复本机保存的草稿")).to_be_visible()
    assert page.get_by_label("企业在场人员").input_value() == "王厂长"

    for radio in page.get_by_role("radio", name="合格").all():
        radio.check()
    page.get_by_label("检查时间").fill("2026-11-20T10:30")
    page.get_by_label("实际检查方式").select_option("书面检查")
    page.get_by_label("检查结果").select_option(label="未发现问题")
    page.get_by_label("公示摘要").fill("未发现问题")
    page.get_by_label("结果认定日期").fill("2026-11-20")

    page.context.set_offline(True)
    page.get_by_role("button", name="提交结果").click()
    expect(page.get_by_text("网络已断开：已保存在本机，恢复联网后自动提交")).to_be_visible()
    inspection.refresh_from_db()
    assert inspection.status == "assigned"

    page.context.set_offline(False)
    page.get_by_text("检查结果已提交。").wait_for()
    inspection.refresh_from_db()
    assert inspection.status == "done" and inspection.representative == "王厂长"
    # Dates come back into the (now read-only) form in the ISO form date inputs accept.
    assert page.get_by_label("检查时间").input_value() == "2026-11-20T10:30"
    assert page.get_by_label("结果认定日期").input_value() == "2026-11-20"
    screenshot = Path(output_path) / "record-submitted.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert external_requests == []
