"""Publication on time (JX-4.7: 结果认定之日起 20 个工作日内公示): due dates, automatic or released
publication, withdrawal on reopening, and the coordinator's overdue list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shuangsuiji.bureau.models import OrganisationSettings
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import publication
from shuangsuiji.inspections.services import (
    RecordData,
    inspection_record_save,
    inspection_reopen,
    result_release,
)
from tests.support.portal import record, team_user
from tests.support.tree import adopt_preset


def public_names(client) -> list[str]:
    return sorted(r["target_name"] for r in client.get("/api/results").json()["results"])


def public_results_by_draw(client) -> set[tuple[str, str | None]]:
    return {(r["target_name"], r["draw_id"]) for r in client.get("/api/results").json()["results"]}


def next_assigned(portal):
    return (
        Inspection.objects.filter(draw=portal.revealed, status=Inspection.Status.ASSIGNED)
        .order_by("pk")
        .first()
    )


def test_due_date_is_set_when_the_determination_is_recorded(portal, make_user):
    """JX-4.7 with 调休: determined 2026-09-28, due 2026-10-30 (国庆 and the 10-10 working
    Saturday counted by the calendar), already on the draft so the team sees it."""
    inspection = next_assigned(portal)
    user = team_user(inspection, make_user)
    data = RecordData(result_category="no_problem", determined_on=dt.date(2026, 9, 28))
    saved = inspection_record_save(actor=user, inspection=inspection, data=data, outcomes={})
    assert saved.status == Inspection.Status.ASSIGNED
    assert saved.publication_due == dt.date(2026, 10, 30)


def test_submitted_result_is_public_at_once_unless_the_bureau_releases(client, portal, make_user):
    OrganisationSettings.objects.filter(organisation=portal.county).update(require_release=True)
    inspection = next_assigned(portal)
    done = record(inspection, team_user(inspection, make_user), public_summary="等待发布")
    assert done.published_at is None
    shown = (inspection.target.name, inspection.draw.draw_id)
    assert shown not in public_results_by_draw(client)
    with pytest.raises(PermissionDenied):
        result_release(actor=team_user(inspection, make_user), inspection=done)
    released = result_release(actor=portal.coordinator, inspection=done)
    assert released.published_at and released.released_by == portal.coordinator
    assert shown in public_results_by_draw(client)
    with pytest.raises(ValidationError, match="已公示"):
        result_release(actor=portal.coordinator, inspection=released)
    with pytest.raises(ValidationError, match="不涉密"):
        result_release(actor=portal.coordinator, inspection=portal.secret)


def test_reopened_result_leaves_the_portal_until_resubmitted(client, portal, make_user):
    url = f"/api/results?organisation={portal.county.code}"
    etag = client.get(url)["ETag"]
    inspection_reopen(actor=portal.coordinator, inspection=portal.clean, reason="摘要有误")
    shown = (portal.clean.target.name, portal.clean.draw.draw_id)
    assert shown not in public_results_by_draw(client)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    record(Inspection.objects.get(pk=portal.clean.pk), team_user(portal.clean, make_user))
    assert shown in public_results_by_draw(client)


def test_results_of_an_unrevealed_draw_wait_for_the_reveal(client, portal):
    """A drawn result is held back with its list (JX-6.4) and counted as such."""
    from shuangsuiji.acts.draws import draw_reveal

    # By target and draw: the draws are salted afresh each run, and the same enterprise may
    # also have been drawn, and its result published, in another quarter.
    held = (portal.unrevealed.target.name, portal.hidden.draw_id)
    assert portal.unrevealed.published_at is None
    assert held not in public_results_by_draw(client)
    report = publication(portal.county, 2026, today=dt.date(2026, 11, 23))
    assert [row.pk for row in report.held] == [portal.unrevealed.pk]
    draw_reveal(actor=portal.coordinator, draw=portal.hidden, today=dt.date(2026, 12, 31))
    assert held in public_results_by_draw(client)


def test_overdue_list_and_timeliness_counts(client, portal, make_user):
    """The coordinator's 结果公示 page: overdue rows with days, and on-time / late counts."""
    late_draft = next_assigned(portal)
    data = RecordData(result_category="no_problem", determined_on=dt.date(2026, 1, 5))
    inspection_record_save(actor=team_user(late_draft, make_user), inspection=late_draft,
                           data=data, outcomes={})  # fmt: skip
    # Published on 2026-11-21 against due dates of 2026-12-18: on time.
    on_time = timezone.make_aware(dt.datetime(2026, 11, 21, 10))
    Inspection.objects.filter(pk__in=[portal.clean.pk, portal.ordered.pk]).update(
        published_at=on_time
    )
    portal.revealed.__class__.objects.filter(pk=portal.revealed.pk).update(revealed_at=on_time)
    report = publication(portal.county, 2026, today=dt.date(2026, 11, 23))
    assert report.on_time == 2
    (overdue,) = report.overdue
    assert overdue.pk == late_draft.pk and overdue.state == "未提交"
    assert late_draft.__class__.objects.get(pk=late_draft.pk).publication_due == dt.date(2026, 2, 2)
    assert overdue.overdue_days == (dt.date(2026, 11, 23) - dt.date(2026, 2, 2)).days
    assert report.late == 1 and report.pending == 1  # the unrevealed result, not yet due
    assert report.on_time_share == "66%"

    client.force_login(portal.coordinator)
    page = client.get("/inspections/publication/?year=2026").content.decode()
    assert late_draft.target.name in page and "2026-02-02" in page
    assert "待抽取名单公开（1）" in page


def test_release_button_on_the_coordinator_page(client, portal, make_user):
    OrganisationSettings.objects.filter(organisation=portal.county).update(require_release=True)
    inspection = next_assigned(portal)
    record(inspection, team_user(inspection, make_user))
    client.force_login(portal.coordinator)
    page = client.get("/inspections/publication/").content.decode()
    # The unrevealed draw's result, submitted before the setting, now also waits for a release.
    assert "待发布（2）" in page and "发布公示" in page
    assert f'action="/inspections/{inspection.pk}/release/"' in page
    response = client.post(f"/inspections/{inspection.pk}/release/", follow=True)
    assert "已公示。" in response.content.decode()
    assert Inspection.objects.get(pk=inspection.pk).published_at is not None


def test_baoding_starts_with_monthly_batches(organisations):
    """BD-2 每月向社会公示随机抽查结果: the 保定 preset turns the monthly batches on."""
    from shuangsuiji.bureau.organisation_settings import organisation_settings

    adopt_preset(organisations["a"], "baoding-2021")
    adopt_preset(organisations["b"], "zunhua-2024")
    assert organisation_settings(organisations["a"]).publish_monthly is True
    assert organisation_settings(organisations["b"]).publish_monthly is False


def test_release_before_the_reveal_publishes_with_the_list(client, portal):
    from shuangsuiji.acts.draws import draw_reveal

    OrganisationSettings.objects.filter(organisation=portal.county).update(require_release=True)
    released = result_release(actor=portal.coordinator, inspection=portal.unrevealed)
    assert released.published_at is None and released.released_by == portal.coordinator
    with pytest.raises(ValidationError, match="将在抽取名单公开时一并公示"):
        result_release(actor=portal.coordinator, inspection=released)
    draw_reveal(actor=portal.coordinator, draw=portal.hidden, today=dt.date(2026, 12, 31))
    assert portal.unrevealed.target.name in public_names(client)


def test_removed_enterprise_keeps_its_public_results(client, portal):
    target = portal.clean.target
    target.in_register, target.removal_reason = False, "注销"
    target.save()
    page = client.get(f"/gongkai/enterprise/{target.credit_code}/").content.decode()
    assert "已移出检查对象名录库" in page and "公开的抽查结果（1 条）" in page
