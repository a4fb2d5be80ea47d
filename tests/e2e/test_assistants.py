"""Real Chromium at 375 px: the coordinator names an expert beside the team on the inspection
page (BD-3.2, 保定 三、（二）), and the page still fits the phone."""

import datetime as dt
from pathlib import Path

from shuangsuiji.accounts.roles import Role
from tests.support.county import build_county

PASSWORD = "a-good-long-password-1"


def test_coordinator_names_an_expert_on_a_phone(page, live_server, transactional_db, login,
                                                output_path, external_requests):  # fmt: skip
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
    user_create(actor=None, username="coord", organisation=county, roles=[Role.COORDINATOR],
                password=PASSWORD)  # fmt: skip

    page.set_viewport_size({"width": 375, "height": 812})
    login("coord", PASSWORD)
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("专家或辅助人员").select_option(label="专家甲（专家，辐射）")
    page.get_by_label("参与理由").fill("辐射安全设施运行情况需要专业判断，请县监测站专家现场咨询")
    page.get_by_role("button", name="安排参加检查").click()
    page.get_by_text("已安排专家 专家甲 参加检查").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert inspection.assistants.get().person.certificate_no == "ZJ001"
    assert inspection.members.count() == 2
    screenshot = Path(output_path) / "inspection-assistant.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("button", name="撤下").click()
    page.get_by_text("已撤下专家 专家甲").wait_for()
    assert not inspection.assistants.exists()
    assert external_requests == []
