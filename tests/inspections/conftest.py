import datetime as dt

import pytest

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from tests.support.county import build_county
from tests.support.tree import adopt_preset

SOURCES = [("lottery", "中国福利彩票双色球 2026130 期")]
REVEAL = dt.date(2026, 12, 31)


def quarter_inspection(county, coordinator, leader):
    """Publish the county's plan, draw its fourth quarter, return a staffed inspection."""
    from shuangsuiji.acts.draws import draw_commit, draw_execute
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)
    draw = draw_commit(
        actor=coordinator, task=plan.tasks.get(quarter=4), sources=SOURCES, reveal_on=REVEAL
    )
    draw = draw_execute(actor=coordinator, draw=draw, values=["1.2.3.4.5.6./7./"])
    return Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED).first()


@pytest.fixture
def setup(organisations, make_user):
    def build(preset: str):
        county = build_county(organisations["a"])
        adopt_preset(county, preset)
        if preset == "huojia-2024":  # HJ-att: 特殊监管对象“根据实际自行设定”
            from shuangsuiji.bureau.policies import organisation_policy, policy_value_set

            policy_value_set(actor=None, policy=organisation_policy(county), path="classes.SPECIAL.quota",
                             value={"ratio": "30%"}, since=dt.date(2024, 1, 1), reason="局务会确定")  # fmt: skip
        coordinator = make_user("coord", county, Role.COORDINATOR)
        leader = make_user("leader", county, Role.LEADER)
        inspection = quarter_inspection(county, coordinator, leader)
        members = [m.inspector for m in inspection.members.all()]
        inspector = make_user(members[0].certificate_no, county, Role.INSPECTOR)
        return {
            "county": county,
            "coordinator": coordinator,
            "inspection": inspection,
            "inspector": inspector,
            "members": members,
        }

    return build
