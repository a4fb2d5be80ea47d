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


def _publication(organisation):
    from django.utils import timezone

    from shuangsuiji.inspections.selectors import publication

    today = timezone.localdate()
    return publication(organisation, today.year, today, shown=50)


def _overdue(organisation):
    from django.utils import timezone

    from shuangsuiji.inspections.views import _overdue

    return _overdue(organisation, timezone.localdate())


@pytest.mark.parametrize(
    ("page", "compute", "listed"),
    [
        (
            "inspections:publication",
            _publication,
            lambda response: response.context["report"].to_release,
        ),
        ("inspections:overdue", _overdue, lambda response: response.context["inspections"]),
    ],
)
def test_the_lists_are_kept_until_the_bureaus_data_changes(client, portal, page, compute, listed):
    """Issue 21 §3: 结果公示 and 逾期事项 (a year of the bureau's results counted and listed) are
    read once per change of the bureau's data (``caching.kept_until_changed``). They read only
    the bureau's rows of tables whose every write raises its version, so a write made in SQL,
    past every service, shows on the next view; another bureau's work leaves them kept."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.accounts.models import User
    from shuangsuiji.disclosure import versions
    from shuangsuiji.planning.plans import plan_generate
    from tests.demo_nov.test_reads_never_write import read_tables

    # A result waiting for its release (as in the first test), for 结果公示 to list.
    Inspection.objects.filter(pk=portal.clean.pk).update(
        kind=Inspection.Kind.COVERAGE, draw=None, task=None, published_at=None
    )
    with CaptureQueriesContext(connection) as computed:
        compute(portal.county)
    read = read_tables(computed.captured_queries)
    assert "inspections_inspection" in read
    assert read <= set(versions.versioned_tables())  # nothing NOT_PUBLIC, nothing unversioned

    client.force_login(portal.coordinator)
    url = reverse(page)
    with CaptureQueriesContext(connection) as fresh:
        first = client.get(url)
    before = [row.pk for row in listed(first)]
    assert before
    with CaptureQueriesContext(connection) as kept:
        assert [row.pk for row in listed(client.get(url))] == before
    # The lists from the cache: the page reads the version instead of computing them.
    assert len(kept) <= len(fresh) - len(computed) + 1
    assert not {q["sql"] for q in kept} & {q["sql"] for q in computed}
    kept_queries = len(kept)

    # A write in SQL, past every service and signal, shows on the next view.
    changed = before[0]
    Inspection.objects.filter(pk=changed).update(
        status=Inspection.Status.CANCELLED, published_at=None
    )
    after = [row.pk for row in listed(client.get(url))]
    assert changed not in after

    # The neighbouring bureau's work leaves the lists kept.
    plan_generate(
        actor=User.objects.get(username="coord-b"), organisation=portal.neighbour, year=2027
    )
    with CaptureQueriesContext(connection) as still:
        assert [row.pk for row in listed(client.get(url))] == after
    assert len(still) == kept_queries
