import datetime as dt

import pytest

from shuangsuiji.accounts.roles import Role
from tests.support.county import build_county


@pytest.fixture
def county(organisations):
    return build_county(organisations["a"])


@pytest.fixture
def coordinator(county, make_user):
    return make_user("coord", county, Role.COORDINATOR)


@pytest.fixture
def leader(county, make_user):
    return make_user("leader", county, Role.LEADER)


@pytest.fixture
def published_plan(county, coordinator, leader):
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    return plan_publish(actor=coordinator, plan=plan)


SOURCES = [("lottery", "中国福利彩票双色球 2026130 期"), ("witness", "监督员 陈静")]
VALUES = ["3.7.12.19.25.31./9./", "20261122"]
REVEAL = dt.date(2026, 12, 31)
