"""The demo in December (issue 15, finding 8): it confirms no year it has no holiday data for,
so a result determined on 4 December gets a provisional deadline that skips 元旦.

The package's demo (built on 22 November, tests/demo_nov/conftest.py) is worked on 4 December:
a team of the fourth quarter, still under way, enters its result that day."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.test_demo import SHANGHAI

TODAY = dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def build(demo_build):
    return demo_build


def test_the_demo_confirms_no_year_without_data(db, build):
    from shuangsuiji.bureau.models import WorkdayYear

    assert not WorkdayYear.objects.filter(year=2027).exists()


def test_a_result_determined_today_skips_new_years_day(db, build, client):
    from shuangsuiji.accounts.models import User
    from shuangsuiji.accounts.roles import Role
    from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
    from shuangsuiji.inspections.services import (
        RecordData,
        inspection_record_save,
        inspection_submit,
    )
    from shuangsuiji_demo.year import clock

    with clock(TODAY):
        inspection = (
            Inspection.objects.filter(status=Inspection.Status.ASSIGNED, kind="random")
            .exclude(members=None)
            .first()
        )
        members = [m.inspector.certificate_no for m in inspection.members.all()]
        coordinator = User.objects.filter(
            organisation=inspection.organisation, groups__name=Role.COORDINATOR.label
        ).first()
        data = RecordData(checked_at=TODAY, method_used="书面检查", representative="王厂长",
                          present_members=tuple(members), result_category=ResultCategory.NO_PROBLEM,
                          findings="材料齐全。", public_summary="未发现问题",
                          determined_on=TODAY.date())  # fmt: skip
        outcomes = {item.pk: (ItemOutcome.PASS, "") for item in inspection.items.all()}
        inspection_record_save(actor=None, inspection=inspection, data=data, outcomes=outcomes)
        inspection = inspection_submit(actor=None, inspection=inspection)
        assert inspection.publication_due == dt.date(2027, 1, 4)
        client.force_login(coordinator)
        record = client.get(reverse("inspections:record", args=[inspection.pk])).content.decode()
        assert "公示期限 2027-01-04" in record and "暂定" in record
