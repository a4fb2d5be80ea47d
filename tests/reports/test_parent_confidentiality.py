"""A 市局 reads its branches' inspections, but not those of a draw whose list is still secret:
before reveal it gets counts, never who (issue 15 finding 1, JX-6.4). The portal county's Q3
draw is drawn and not revealed; it holds one submitted result (tests/support/portal.py)."""

from __future__ import annotations

import pytest

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.reports.statistics import statistics_table
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def _links(html: str, inspections) -> set[int]:
    return {i.pk for i in inspections if f'href="/inspections/{i.pk}/"' in html}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LEADER, Role.AUDITOR])
def test_city_reads_no_unrevealed_inspection_of_a_branch(
    role, portal, organisations, make_user, client
):
    secret = list(Inspection.objects.filter(draw=portal.hidden))
    revealed = list(Inspection.objects.filter(draw=portal.revealed))
    client.force_login(make_user("city", organisations["city"], role))

    archive = client.get("/reports/archive/", {"year": 2026}).content.decode()
    assert _links(archive, secret) == set()
    assert _links(archive, revealed)  # the branch's revealed work is there
    assert client.get(f"/inspections/{portal.unrevealed.pk}/").status_code == 404
    # The record form reads the inspection by its own compiled query: the same rule.
    assert client.get(f"/inspections/{portal.unrevealed.pk}/record/").status_code == 404
    assert client.get(f"/inspections/{revealed[0].pk}/record/").status_code == 200

    checked = statistics_table(portal.county, 2026, 3).figures["checked"]
    assert portal.unrevealed.pk in checked.ids  # counted …
    rows = client.get(
        "/reports/rows/",
        {"year": 2026, "quarter": 3, "organisation": portal.county.pk, "figure": "checked"},
    ).content.decode()
    assert _links(rows, secret) == set()  # … never named
    assert (
        f"另有 {len(checked.ids & {i.pk for i in secret})} 项检查属于下级单位尚未公开名单的抽取"
        in rows
    )


def test_the_branch_auditor_reads_its_own_unrevealed_inspection(portal, make_user, client):
    client.force_login(make_user("own-auditor", portal.county, Role.AUDITOR))
    assert client.get(f"/inspections/{portal.unrevealed.pk}/").status_code == 200
    assert client.get(f"/inspections/{portal.unrevealed.pk}/record/").status_code == 200
    archive = client.get("/reports/archive/", {"year": 2026}).content.decode()
    assert portal.unrevealed.pk in _links(archive, [portal.unrevealed])


def test_the_city_audit_log_names_no_unrevealed_target(portal, organisations, make_user, client):
    """The log's summaries name the target ("提交检查结果：某公司"): above the bureau, entries
    about a secret list's inspections wait for the reveal; the bureau's own auditor has them."""
    from shuangsuiji.audit.models import AuditEvent

    about = AuditEvent.objects.filter(
        object_type="inspections.inspection", object_id=str(portal.unrevealed.pk)
    )
    assert about.filter(action="inspection.submit").exists()
    city = make_user("city-auditor", organisations["city"], Role.AUDITOR)
    own = make_user("own-auditor", portal.county, Role.AUDITOR)
    assert not AuditEvent.objects.readable_by(city).filter(pk__in=about.values("pk")).exists()
    assert set(AuditEvent.objects.readable_by(own).filter(pk__in=about.values("pk"))) == set(about)
    # Revealed work stays in the city's log.
    clean = AuditEvent.objects.filter(object_id=str(portal.clean.pk), action="inspection.submit")
    assert AuditEvent.objects.readable_by(city).filter(pk__in=clean.values("pk")).exists()

    client.force_login(city)
    page = client.get("/audit/", {"object": portal.unrevealed.target.name}).content.decode()
    assert f"提交检查结果：{portal.unrevealed}" not in page
