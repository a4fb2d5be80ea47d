"""Real Chromium at 375 px: the coordinator's 逾期事项 and the inspector's 我的任务 with overdue
inspections fit the phone's width (保定 三、（三） 在规定时限内; issue 17, point 6)."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from shuangsuiji.accounts.roles import Role
from tests.support.county import build_county

PASSWORD = "a-good-long-password-1"


def test_overdue_lists_fit_a_phone(page, live_server, transactional_db, login, monkeypatch):
    from shuangsuiji.accounts.services import organisation_create, user_create
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.plans import (
        plan_adjust,
        plan_approve,
        plan_generate,
        plan_publish,
        plan_submit,
        task_update,
    )

    county = build_county(
        organisation_create(actor=None, code="130281", name="唐山市生态环境局遵化市分局")
    )
    plan = plan_generate(actor=None, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    plan_publish(actor=None, plan=plan)
    task = plan.tasks.get(quarter=4)
    draw = draw_commit(actor=None, task=task, sources=[("lottery", "双色球 2026136 期")],
                       reveal_on=dt.date(2026, 12, 31))  # fmt: skip
    draw_execute(actor=None, draw=draw, values=["1.2.3.4.5.6./7./"])
    plan_adjust(actor=None, plan=plan, reason="市局下达检查时限")
    task_update(actor=None, task=task, inspection_deadline=dt.date(2026, 11, 30))
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=None, plan=plan)
    plan_publish(actor=None, plan=plan)
    real = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate",
        lambda value=None, tz=None: dt.date(2026, 12, 4) if value is None else real(value, tz),
    )
    inspection = Inspection.objects.filter(draw=draw, status="assigned").first()
    member = inspection.members.first().inspector
    user_create(actor=None, username=member.certificate_no, organisation=county,
                roles=[Role.INSPECTOR], password=PASSWORD)  # fmt: skip
    user_create(actor=None, username="coord", organisation=county, roles=[Role.COORDINATOR],
                password=PASSWORD)  # fmt: skip

    page.set_viewport_size({"width": 375, "height": 812})
    login("coord", PASSWORD)
    page.goto(f"{live_server.url}/inspections/overdue/")
    expect(page.get_by_text("逾期 4 天").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.context.clear_cookies()
    login(member.certificate_no, PASSWORD)
    page.goto(f"{live_server.url}/inspections/mine/")
    expect(page.get_by_text("检查时限 2026-11-30").first).to_be_visible()
    expect(page.get_by_text("逾期 4 天").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
