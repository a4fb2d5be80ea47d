"""Who edits the working-day calendar (issue 15, finding 5): the national calendar only the
province's 系统管理员 (or the command line); a bureau's own days count for its deadlines only;
every change is in the audit log of every bureau it affects."""

import datetime as dt
import io
from contextlib import redirect_stdout
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import RecordData, inspection_record_save
from shuangsuiji_demo.year import clock
from tests.inspections.conftest import quarter_inspection
from tests.support.county import build_county

SHANGHAI = ZoneInfo("Asia/Shanghai")
DETERMINED = dt.date(2026, 11, 20)  # + 20 working days: 2026-12-18
WEEK = [dt.date(2026, 12, day) for day in range(7, 12)]  # Monday to Friday


@pytest.fixture
def bureaus(organisations, make_user):
    """Two counties under one city under the province, each with a result determined on
    2026-11-20; the day is 2026-12-04."""
    with clock(dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)):
        people = {
            "province_admin": make_user("sheng-admin", organisations["province"], Role.SYSADMIN)
        }
        for key in ("a", "b"):
            county = build_county(organisations[key])
            coordinator = make_user(f"coord-{key}", county, Role.COORDINATOR)
            leader = make_user(f"leader-{key}", county, Role.LEADER)
            inspection = quarter_inspection(county, coordinator, leader)
            determine(inspection)
            people[key] = inspection
            people[f"admin_{key}"] = make_user(f"admin-{key}", county, Role.SYSADMIN)
            people[f"auditor_{key}"] = make_user(f"auditor-{key}", county, Role.AUDITOR)
        yield people


def determine(inspection):
    """The team's record with its determination (saved as at the command line)."""
    members = tuple(m.inspector.certificate_no for m in inspection.members.all())
    checked = timezone.make_aware(dt.datetime.combine(DETERMINED, dt.time(10)))
    data = RecordData(checked_at=checked, method_used="现场检查", representative="王厂长",
                      present_members=members, result_category=ResultCategory.NO_PROBLEM,
                      findings="运行正常。", public_summary="未发现问题", determined_on=DETERMINED)  # fmt: skip
    outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
    return inspection_record_save(actor=None, inspection=inspection, data=data, outcomes=outcomes)


def post_day(client, day, scope, *, working=False):
    # The fields of the old form too (day, is_workday, note), so the test runs on both.
    data = {"action": "day", "scope": scope, "day": day.isoformat(), "note": "县政府通知"}
    if working:
        data["is_workday"] = "on"
    return client.post(reverse("planning:calendar"), data, follow=True)


def due(inspection):
    inspection.refresh_from_db()
    return inspection.publication_due


def test_a_county_administrator_cannot_change_the_national_calendar(bureaus, client):
    assert due(bureaus["b"]) == dt.date(2026, 12, 18)
    client.force_login(bureaus["admin_a"])
    for day in WEEK:
        page = post_day(client, day, "national").content.decode()
        assert "只能由省厅的系统管理员修改" in page
    # The other bureau's result, saved again, keeps its deadline.
    determine(bureaus["b"])
    assert due(bureaus["b"]) == dt.date(2026, 12, 18)
    determine(bureaus["a"])
    assert due(bureaus["a"]) == dt.date(2026, 12, 18)


def test_a_local_adjustment_moves_only_its_own_bureaus_deadlines(bureaus, client):
    client.force_login(bureaus["admin_a"])
    for day in WEEK:
        page = post_day(client, day, "local").content.decode()
        assert "1 项检查结果的公示期限已重新计算" in page
    # Recounted at once, without the team saving again: five days off, a week later.
    assert due(bureaus["a"]) == dt.date(2026, 12, 25)
    determine(bureaus["b"])
    assert due(bureaus["b"]) == dt.date(2026, 12, 18)
    # The bureau's auditor reads the change and the moved deadline; the other bureau's does not.
    client.force_login(bureaus["auditor_a"])
    log = client.get(reverse("audit:list")).content.decode()
    assert "本单位工作日历：2026-12-11 设为放假（县政府通知）" in log
    assert "本单位 1 项检查结果的公示期限重新计算" in log
    client.force_login(bureaus["auditor_b"])
    assert "2026-12-11 设为放假" not in client.get(reverse("audit:list")).content.decode()


def test_the_province_changes_the_national_calendar_and_every_auditor_sees_it(bureaus, client):
    client.force_login(bureaus["province_admin"])
    page = post_day(client, WEEK[0], "national").content.decode()
    assert "全国工作日历：2026-12-07 设为放假" in page
    assert due(bureaus["a"]) == due(bureaus["b"]) == dt.date(2026, 12, 21)
    client.force_login(bureaus["auditor_b"])
    log = client.get(reverse("audit:list")).content.decode()
    assert "全国工作日历：2026-12-07 设为放假（县政府通知）" in log
    assert "本单位 1 项检查结果的公示期限重新计算" in log
    # A local day of the other county stays out of this auditor's log. (The entry, not the
    # date alone: the log also shows when each entry was written, which is the real day.)
    client.force_login(bureaus["admin_a"])
    post_day(client, WEEK[1], "local")
    client.force_login(bureaus["auditor_a"])
    assert (
        "本单位工作日历：2026-12-08 设为放假" in client.get(reverse("audit:list")).content.decode()
    )
    client.force_login(bureaus["auditor_b"])
    assert "工作日历：2026-12-08" not in client.get(reverse("audit:list")).content.decode()


def test_a_bureau_cannot_undo_a_national_day_or_another_bureaus_day(bureaus, client):
    from shuangsuiji.bureau.models import WorkdayOverride

    client.force_login(bureaus["province_admin"])
    post_day(client, WEEK[0], "national")
    client.force_login(bureaus["admin_b"])
    post_day(client, WEEK[1], "local")
    client.force_login(bureaus["admin_a"])
    for override in WorkdayOverride.objects.all():
        page = client.post(
            reverse("planning:calendar"),
            {"action": "remove", "override": override.pk},
            follow=True,
        ).content.decode()
        national = override.organisation_id is None
        assert ("只能由省厅的系统管理员修改" if national else "只有本单位的系统管理员") in page
    assert WorkdayOverride.objects.count() == 2
    assert due(bureaus["b"]) == dt.date(2026, 12, 22)


def test_without_a_province_the_command_line_keeps_the_national_calendar(bureaus, client):
    from shuangsuiji.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["calendar", "set", "2026-12-07", "--off", "--note", "国务院办公厅通知"]) == 0
    assert "全国工作日历：2026-12-07 设为放假（国务院办公厅通知）；2 项检查结果" in out.getvalue()
    assert due(bureaus["b"]) == dt.date(2026, 12, 21)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["calendar", "confirm", "2027"]) == 0
        assert main(["calendar", "show", "2027"]) == 0
    assert "确认 2027 年全国工作日历" in out.getvalue() and "2027 年：已确认" in out.getvalue()
    client.force_login(bureaus["auditor_b"])
    log = client.get(reverse("audit:list")).content.decode()
    assert "全国工作日历：2026-12-07 设为放假" in log and "确认 2027 年全国工作日历" in log


def test_only_the_province_confirms_a_year(organisations, make_user, client):
    from shuangsuiji.bureau.models import WorkdayYear

    client.force_login(make_user("county-admin", organisations["a"], Role.SYSADMIN))
    with clock(dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)):
        answer = client.post(reverse("planning:calendar"), {"action": "year", "year": "2027",
                                                            "confirm_year": "2027"}, follow=True)  # fmt: skip
    assert "只能由省厅的系统管理员修改" in answer.content.decode()
    assert not WorkdayYear.objects.exists()
