"""A result whose deadline falls in a year without confirmed holidays still submits (issue 15,
finding 8): the deadline is provisional, shown as 暂定, and recounted when the year is entered."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import RecordData, inspection_record_save, inspection_submit
from shuangsuiji_demo.year import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 4)
MARK = 'title="2027 年放假安排公布后将重新计算">暂定'


@pytest.fixture
def december():
    with clock(dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)):
        yield


def submit(s, determined_on=TODAY):
    inspection = s["inspection"]
    data = RecordData(checked_at=timezone.now(), method_used="书面检查", representative="王厂长",
                      present_members=tuple(m.certificate_no for m in s["members"]),
                      result_category=ResultCategory.NO_PROBLEM, findings="材料齐全。",
                      public_summary="未发现问题", determined_on=determined_on)  # fmt: skip
    outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
    inspection_record_save(
        actor=s["inspector"], inspection=inspection, data=data, outcomes=outcomes
    )
    return inspection_submit(actor=s["inspector"], inspection=inspection)


def page(client, user, name, *args) -> str:
    client.force_login(user)
    return client.get(reverse(name, args=args)).content.decode()


def test_a_result_determined_on_4_december_submits_with_a_provisional_deadline(
    setup, december, client
):
    s = setup("zunhua-2024")
    inspection = submit(s)
    assert inspection.status == Inspection.Status.DONE
    # 12-07…12-31 are 19 working days; 2027-01-01 is 元旦 (a Friday): the 20th is 01-04.
    assert inspection.publication_due == dt.date(2027, 1, 4)
    record = page(client, s["inspector"], "inspections:record", inspection.pk)
    assert "公示期限 2027-01-04 " in record and MARK in record
    # The draw's list is still secret: the coordinator's page holds it, marked the same.
    assert MARK in page(client, s["coordinator"], "inspections:publication")


def test_a_deadline_inside_a_known_year_is_not_marked(setup, december, client):
    s = setup("zunhua-2024")
    inspection = submit(s, dt.date(2026, 11, 20))
    assert inspection.publication_due == dt.date(2026, 12, 18)
    assert "暂定" not in page(client, s["inspector"], "inspections:record", inspection.pk)


def test_entering_and_confirming_2027_recounts_and_clears_the_mark(
    setup, december, client, organisations, make_user
):
    s = setup("zunhua-2024")
    inspection = submit(s)
    province = make_user("sheng-admin", organisations["province"], Role.SYSADMIN)
    client.force_login(province)
    url = reverse("planning:calendar")
    # Say the notice gives Monday 2027-01-04 off as well.
    answer = client.post(url, {"action": "day", "scope": "national", "day": "2027-01-04",
                               "note": "国务院办公厅通知：元旦"}, follow=True)  # fmt: skip
    assert "1 项检查结果的公示期限已重新计算" in answer.content.decode()
    inspection.refresh_from_db()
    assert inspection.publication_due == dt.date(2027, 1, 5)
    assert MARK in page(client, s["inspector"], "inspections:record", inspection.pk)
    client.force_login(province)
    answer = client.post(url, {"action": "year", "year": "2027"}, follow=True).content.decode()
    assert "确认 2027 年全国工作日历" in answer
    record = page(client, s["inspector"], "inspections:record", inspection.pk)
    assert "公示期限 2027-01-05" in record and "暂定" not in record
    # The bureau's auditors read which deadline moved, from what to what.
    from shuangsuiji.audit.models import AuditEvent

    moved = AuditEvent.objects.get(action="calendar.deadlines", organisation=s["county"])
    assert moved.detail["公示期限"] == [
        {"检查记录": inspection.pk, "原期限": "2027-01-04", "新期限": "2027-01-05", "暂定": True}
    ]
