"""后续处置 to closure, and a 行政处罚决定 feeding next quarter's classes (ZH-2.6, BD-4.2, GC-2.4)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuangsuiji.directory.models import RegulatoryEvent
from shuangsuiji.inspections.models import ItemOutcome, ResultCategory
from shuangsuiji.inspections.selectors import overdue_follow_ups
from shuangsuiji.inspections.services import (
    follow_up_close,
    follow_up_open,
    inspection_submit,
    is_closed,
)
from shuangsuiji.planning.quarters import quarter_view
from shuangsuiji.policy import Quarter

from .test_results import fill

D = dt.date


def submitted_with_violation(s):
    fill(s, category=ResultCategory.CASE_FILED, outcome=ItemOutcome.PROBLEM, method="书面检查")
    return inspection_submit(actor=s["inspector"], inspection=s["inspection"])


def test_rectification_to_closure_and_overdue(setup):
    s = setup("zunhua-2024")
    inspection = submitted_with_violation(s)
    with pytest.raises(ValidationError, match="须写明整改期限"):
        follow_up_open(
            actor=s["coordinator"], inspection=inspection, kind="rectify", opened_on=D(2026, 10, 1)
        )
    step = follow_up_open(actor=s["coordinator"], inspection=inspection, kind="rectify",
                          opened_on=D(2026, 10, 1), deadline=D(2026, 10, 31))  # fmt: skip
    assert not is_closed(inspection)
    late = {"inspection_id": inspection.pk, "inspection__target__name": inspection.target.name,
            "kind": "rectify", "deadline": D(2026, 10, 31)}  # fmt: skip
    assert overdue_follow_ups(s["county"], D(2026, 11, 1), 50) == ([late], 1)
    assert overdue_follow_ups(s["county"], D(2026, 10, 31), 50) == ([], 0)
    # The count without the rows (the home page's to-do).
    assert overdue_follow_ups(s["county"], D(2026, 11, 1), 0) == ([], 1)
    with pytest.raises(ValidationError, match="请写明办结情况"):
        follow_up_close(
            actor=s["coordinator"], follow_up=step, closed_on=D(2026, 11, 2), outcome=""
        )
    follow_up_close(actor=s["coordinator"], follow_up=step, closed_on=D(2026, 11, 2),
                    outcome="复查：已按期整改到位")  # fmt: skip
    assert is_closed(inspection)
    assert overdue_follow_ups(s["county"], D(2026, 11, 3), 50) == ([], 0)


def test_penalty_becomes_an_event_and_makes_the_target_special_next_quarter(setup):
    """GC-2.4 二、（四）“上一季度被下达行政处罚决定的企业” → 特殊监管对象."""
    s = setup("gaocheng-2026")
    inspection = submitted_with_violation(s)
    target = inspection.target
    before = quarter_view(s["county"], Quarter(2027, 1))
    assert (
        next(c for c in before.classifications if c.target.id == target.draw_id).class_code
        != "SPECIAL"
    )
    step = follow_up_open(actor=s["coordinator"], inspection=inspection, kind="case",
                          opened_on=D(2026, 11, 1), case_number="藁环罚〔2026〕18号")  # fmt: skip
    follow_up_close(actor=s["coordinator"], follow_up=step, closed_on=D(2026, 12, 10),
                    outcome="罚款 5 万元", penalty_decided_on=D(2026, 12, 8))  # fmt: skip
    event = RegulatoryEvent.objects.get(credit_code=target.credit_code, kind="penalty")
    assert (event.date, event.reference, event.source) == (
        D(2026, 12, 8),
        "藁环罚〔2026〕18号",
        "inspection",
    )
    after = quarter_view(s["county"], Quarter(2027, 1))
    special = next(c for c in after.classifications if c.target.id == target.draw_id)
    assert special.class_code == "SPECIAL"
    # … and only for the next quarter (the seed's 上一季度).
    later = quarter_view(s["county"], Quarter(2027, 2))
    assert (
        next(c for c in later.classifications if c.target.id == target.draw_id).class_code
        != "SPECIAL"
    )


def test_transfers_need_a_receiver_and_only_the_coordinator_acts(setup):
    s = setup("zunhua-2024")
    inspection = submitted_with_violation(s)
    with pytest.raises(ValidationError, match="移送至哪个部门"):
        follow_up_open(
            actor=s["coordinator"], inspection=inspection, kind="judicial", opened_on=D(2026, 11, 1)
        )
    with pytest.raises(PermissionDenied):
        follow_up_open(actor=s["inspector"], inspection=inspection, kind="judicial", opened_on=D(2026, 11, 1),
                       receiver="遵化市公安局")  # fmt: skip
    step = follow_up_open(actor=s["coordinator"], inspection=inspection, kind="judicial",
                          opened_on=D(2026, 11, 1), receiver="遵化市公安局")  # fmt: skip
    assert str(step) == "移送司法机关（办理中）"


def test_follow_up_buttons_and_overdue_page(setup, client):
    from django.urls import reverse

    s = setup("zunhua-2024")
    inspection = submitted_with_violation(s)
    client.force_login(s["coordinator"])
    client.post(reverse("inspections:follow_up_open", args=[inspection.pk]),
                {"kind": "rectify", "opened_on": "2026-10-01", "deadline": "2026-10-31"})  # fmt: skip
    step = inspection.follow_ups.get()
    page = client.get(reverse("inspections:overdue")).content.decode()
    # The row: the unit, the step, its deadline and where to handle it (the record form).
    record = reverse("inspections:record", args=[inspection.pk])
    assert "逾期的后续处置（1 项）" in page
    assert (
        f"<tr><td>{inspection.target.name}</td><td>责令整改</td><td>2026-10-31</td>\n"
        f'    <td><a href="{record}">处理</a></td></tr>'
    ) in page
    client.post(reverse("inspections:follow_up_close", args=[inspection.pk, step.pk]),
                {"closed_on": "2026-11-02", "outcome": "复查合格"})  # fmt: skip
    step.refresh_from_db()
    assert step.closed_on == D(2026, 11, 2) and is_closed(inspection)
    assert "没有逾期的后续处置" in client.get(reverse("inspections:overdue")).content.decode()


def test_a_violation_found_is_recorded_and_withdrawn_with_its_result(setup):
    """JX-4.5.3: the bureau's own finding is a 监管记录 that keeps a 特殊监管对象 in its class."""
    from shuangsuiji.inspections.services import inspection_reopen

    s = setup("jiangxian-2025")
    fill(s, category=ResultCategory.ORDERED, outcome=ItemOutcome.PROBLEM, method="书面检查")
    inspection = inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    event = RegulatoryEvent.objects.get(
        kind="own_problem", credit_code=inspection.target.credit_code
    )
    assert event.date == inspection.determined_on and event.source == "inspection"
    inspection_reopen(actor=s["coordinator"], inspection=inspection, reason="认定有误")
    assert not RegulatoryEvent.objects.filter(kind="own_problem").exists()
