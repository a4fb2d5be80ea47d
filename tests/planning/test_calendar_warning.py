"""The dashboard warns from 1 November while next year's holidays are not confirmed (issue 15,
finding 8): deadlines falling then are provisional."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji_demo.year import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
WARNING = "2027 年的法定节假日安排尚未确认，期限为暂定"


@pytest.fixture
def leader(organisations, make_user):
    return make_user("leader", organisations["a"], Role.LEADER)


def dashboard(client, leader, day: dt.date) -> str:
    with clock(dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)):
        client.force_login(leader)
        return client.get(reverse("reports:dashboard")).content.decode()


@pytest.mark.parametrize(
    ("day", "warned"),
    [
        (dt.date(2026, 10, 31), False),
        (dt.date(2026, 11, 1), True),
        (dt.date(2026, 12, 4), True),
    ],
)
def test_dashboard_warns_from_november(client, leader, day, warned):
    assert (WARNING in dashboard(client, leader, day)) is warned


def test_no_warning_once_the_province_confirms_the_year(client, leader, organisations, make_user):
    from shuangsuiji.bureau.calendar_services import workday_year_confirm

    admin = make_user("sheng-admin", organisations["province"], Role.SYSADMIN)
    workday_year_confirm(actor=admin, year=2027)
    assert WARNING not in dashboard(client, leader, dt.date(2026, 12, 4))
