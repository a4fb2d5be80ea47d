"""Issue 15, findings 7 and 9: dates outside the bureau's range are refused with the range, and
a refused submission writes nothing.

The range (src/shuangsuiji/planning/dates.py): from the day the bureau's policy is in force
(遵化 2024-01-01) to today for what has happened, to the end of next year for what is planned.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import (
    RecordData,
    follow_up_open,
    inspection_record_save,
    inspection_submit,
)

from .test_record_pages import form_data
from .test_results import fill


def counts() -> dict[str, int]:
    """Rows of every table, the audit log and the change history included."""
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def today() -> str:
    return timezone.localdate().isoformat()


def next_year_end() -> str:
    return f"{timezone.localdate().year + 1}-12-31"


@pytest.mark.parametrize("day", ["2023-12-31", "9999-12-31", "0001-01-01"])
def test_determination_outside_the_policy_is_a_form_error(setup, client, day):
    """Before: 500 (no policy value on 2023-12-31; no calendar for 9999)."""
    s = setup("zunhua-2024")  # 遵化's plan is in force from 2024-01-01
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    before = counts()
    response = client.post(
        reverse("inspections:record", args=[inspection.pk]),
        form_data(inspection, determined_on=day, save="1"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["determined_on"] == [
        f"结果认定日期须在 2024-01-01 至 {today()} 之间（所填为 {day}）。"
    ]
    assert counts() == before


def test_a_determination_cannot_be_in_the_future(setup, client):
    s = setup("zunhua-2024")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(
        reverse("inspections:record", args=[inspection.pk]),
        form_data(inspection, determined_on=tomorrow, checked_at=f"{tomorrow}T09:00", save="1"),
    )
    errors = response.context["form"].errors
    assert errors["determined_on"] == [
        f"结果认定日期须在 2024-01-01 至 {today()} 之间（所填为 {tomorrow}）。"
    ]
    assert errors["checked_at"] == [
        f"检查时间须在 2024-01-01 至 {today()} 之间（所填为 {tomorrow}）。"
    ]


def test_the_service_refuses_a_determination_before_the_policy(setup):
    s = setup("zunhua-2024")
    data = RecordData(result_category="no_problem", determined_on=dt.date(2023, 12, 31))
    with pytest.raises(ValidationError) as refused:
        inspection_record_save(actor=s["inspector"], inspection=s["inspection"], data=data,
                               outcomes={})  # fmt: skip
    assert refused.value.message_dict == {
        "determined_on": [f"结果认定日期须在 2024-01-01 至 {next_year_end()} 之间（所填为 2023-12-31）。"]
    }  # fmt: skip


def test_a_refused_submission_writes_nothing(setup, client):
    """Before: the draft was saved and logged (保存检查记录) although the submission was refused."""
    s = setup("jiangxian-2025")  # 绛县 requires a signed 现场检查表 for a 现场检查
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    before = counts()
    response = client.post(
        reverse("inspections:record", args=[inspection.pk]),
        form_data(inspection, representative="李副厂长", submit="1"),
        follow=True,
    )
    assert "须上传：现场检查表（四、（六））" in response.content.decode()
    assert counts() == before
    inspection.refresh_from_db()
    assert inspection.representative == "" and inspection.status == Inspection.Status.ASSIGNED


def test_saving_a_draft_still_writes_the_draft(setup, client):
    s = setup("jiangxian-2025")
    inspection = s["inspection"]
    client.force_login(s["inspector"])
    client.post(
        reverse("inspections:record", args=[inspection.pk]),
        form_data(inspection, representative="李副厂长", save="1"),
    )
    inspection.refresh_from_db()
    assert inspection.representative == "李副厂长"


@pytest.fixture
def violation(setup):
    s = setup("zunhua-2024")
    fill(s, category=ResultCategory.ORDERED, outcome=ItemOutcome.PROBLEM, method="书面检查")
    s["inspection"] = inspection_submit(actor=s["inspector"], inspection=s["inspection"])
    return s


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"opened_on": "2026-11-20", "deadline": "2026-11-01"},
         "整改期限（2026-11-01）不能早于开始日期（2026-11-20）。"),
        ({"opened_on": "2026-11-20", "deadline": "9999-12-31"},
         "整改期限：整改期限须在 2024-01-01 至 {next_year_end} 之间（所填为 9999-12-31）。"),
        ({"opened_on": "2023-06-01", "deadline": "2026-12-31"},
         "开始日期：开始日期须在 2024-01-01 至 {today} 之间（所填为 2023-06-01）。"),
    ],
)  # fmt: skip
def test_follow_up_dates_are_refused_with_the_range(violation, client, post, message):
    """Before: a deadline before the start, or in 9999, was stored and published."""
    inspection = violation["inspection"]
    client.force_login(violation["coordinator"])
    before = counts()
    response = client.post(
        reverse("inspections:follow_up_open", args=[inspection.pk]),
        {"kind": "rectify", **post},
        follow=True,
    )
    assert response.status_code == 200
    expected = message.format(next_year_end=next_year_end(), today=today())
    assert expected in response.content.decode()
    assert counts() == before


def test_the_service_refuses_a_deadline_before_the_start(violation):
    with pytest.raises(ValidationError, match=r"整改期限（2026-11-01）不能早于开始日期"):
        follow_up_open(
            actor=violation["coordinator"], inspection=violation["inspection"], kind="rectify",
            opened_on=dt.date(2026, 11, 20), deadline=dt.date(2026, 11, 1),
        )  # fmt: skip


def test_a_plan_for_a_year_before_the_policy_is_refused(setup, client):
    """Before: 500 (the policy has no values for 2023)."""
    s = setup("zunhua-2024")
    client.force_login(s["coordinator"])
    before = counts()
    response = client.post(reverse("planning:plans"), {"year": "2023"})
    last = timezone.localdate().year + 1
    assert response.context["form"].errors["year"] == [f"年度须在 2024 至 {last} 之间。"]
    assert counts() == before


def test_policy_adjustment_from_9999_is_refused(setup, client):
    s = setup("zunhua-2024")
    client.force_login(s["coordinator"])
    before = counts()
    response = client.post(
        reverse("planning:policy_edit"),
        {"parameter": "targets.internal_joint_share", "min": "10", "per": "quarter",
         "since": "9999-12-31", "reason": "局务会", "action": "preview"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["since"] == [
        f"自何日起生效须在 2024-01-01 至 {next_year_end()} 之间（所填为 9999-12-31）。"
    ]
    assert counts() == before


def test_a_task_is_drawn_within_its_plan_year(setup, client):
    s = setup("zunhua-2024")
    client.force_login(s["coordinator"])
    from shuangsuiji.planning.plans import plan_generate

    plan = plan_generate(actor=s["coordinator"], organisation=s["county"], year=2027)
    task = plan.tasks.get(quarter=1)
    response = client.get(reverse("planning:task_edit", args=[task.pk]))
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["items"] = [item.pk for item in task.items.all()]
    before = counts()
    response = client.post(
        reverse("planning:task_edit", args=[task.pk]), {**data, "draw_date": "2028-01-15"}
    )
    assert response.context["form"].errors["draw_date"] == [
        "抽取时间须在 2027-01-01 至 2027-12-31 之间（所填为 2028-01-15）。"
    ]
    assert counts() == before


def test_reveal_date_in_9999_is_refused(setup, client):
    s = setup("zunhua-2024")
    client.force_login(s["coordinator"])
    task = s["inspection"].task.plan.tasks.get(quarter=3)  # published; Q4 is drawn already
    before = counts()
    response = client.post(
        reverse("planning:task_prepare", args=[task.pk]),
        {"source_type_1": "lottery", "source_label_1": "双色球 2026140 期",
         "reveal_on": "9999-12-31"},
    )  # fmt: skip
    assert response.context["form"].errors["reveal_on"] == [
        f"最迟公开日期须在 2000-01-01 至 {next_year_end()} 之间（所填为 9999-12-31）。"
    ]
    assert counts() == before
