"""结果公示 page: a result that waits for nothing but a release is offered for release, whether
or not a draw stands behind it (JX-4.7: results public within 20 working days)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.services import result_release
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def test_an_unpublished_coverage_result_is_offered_for_release(client, portal):
    """A 全覆盖 result (no draw) left unpublished — submitted while the bureau required a
    release it later dropped — is listed 待发布, and the page does not fail on its missing draw."""
    Inspection.objects.filter(pk=portal.clean.pk).update(
        kind=Inspection.Kind.COVERAGE, draw=None, task=None, published_at=None
    )
    client.force_login(portal.coordinator)
    response = client.get(reverse("inspections:publication"))
    assert response.status_code == 200
    report = response.context["report"]
    assert portal.clean.pk in [row.pk for row in report.to_release]
    assert portal.clean.pk not in [row.pk for row in report.held]
    result_release(actor=portal.coordinator, inspection=Inspection.objects.get(pk=portal.clean.pk))
    assert Inspection.objects.get(pk=portal.clean.pk).published_at is not None


def test_the_rows_show_markup_as_text_and_carry_the_release_form(client, portal):
    """结果公示's rows are written in Python (inspections/templatetags/publication_rows.py,
    issue 21 §3): a unit's name holding markup is shown as text, as autoescaping showed it, and
    a result to release carries its own form with the page's CSRF token, which releases it."""
    from shuangsuiji.directory.models import Target

    Inspection.objects.filter(pk=portal.clean.pk).update(
        kind=Inspection.Kind.COVERAGE, draw=None, task=None, published_at=None
    )
    Target.objects.filter(pk=portal.clean.target_id).update(name="<i>甲&乙</i>公司")
    client.force_login(portal.coordinator)
    page = client.get(reverse("inspections:publication")).content.decode()
    assert "<tr><td>&lt;i&gt;甲&amp;乙&lt;/i&gt;公司</td>" in page and "<i>甲" not in page
    action = reverse("inspections:release", args=[portal.clean.pk])
    form = page[page.index(f'action="{action}"') :].split("</form>", 1)[0]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert token
    client.post(action, {"csrfmiddlewaretoken": token})
    assert Inspection.objects.get(pk=portal.clean.pk).published_at is not None
