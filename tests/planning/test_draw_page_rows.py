"""A draw's page lists its units a page at a time, their rows written in Python
(planning/templatetags/draw_rows.py, issue 21 §3): while the list is confidential the
抽查管理员 has, on each open check, 替补 and, where the team is missing, 手工指派; nobody else
has them; what the registers hold is shown as text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.directory.models import Target
from shuangsuiji.inspections.models import Inspection
from tests.support.portal import build_portal


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def test_the_coordinator_acts_on_the_rows_of_a_confidential_list(client, portal, make_user):
    first = portal.hidden.inspections.order_by("stratum", "pk").first()
    Inspection.objects.filter(pk=first.pk).update(status=Inspection.Status.NEEDS_TEAM)
    Target.objects.filter(pk=first.target_id).update(name="<i>甲&乙</i>公司")
    url = reverse("planning:draw_detail", args=[portal.hidden.pk])
    assign = reverse("planning:inspection_assign", args=[first.pk])
    substitute = reverse("planning:inspection_substitute", args=[first.pk])

    client.force_login(portal.coordinator)
    page = client.get(url).content.decode()
    assert f'<a href="{assign}">手工指派</a>' in page
    form = page[page.index(f'<form method="post" action="{substitute}">') :].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken" value="' in form and "<button>替补</button>" in form
    assert "&lt;i&gt;甲&amp;乙&lt;/i&gt;公司" in page and "<i>甲" not in page

    client.force_login(make_user("leader-rows", portal.county, Role.LEADER))
    page = client.get(url).content.decode()
    assert "&lt;i&gt;甲&amp;乙&lt;/i&gt;公司" in page
    assert assign not in page and substitute not in page


def test_the_list_is_read_once_as_values(client, portal):
    """Issue 21 §3: the page reads a page of its list once, as values; the pager asks nothing
    more (its page holds the rows read, not the inspections as objects, which showing the pager
    read once more)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(portal.coordinator)
    url = reverse("planning:draw_detail", args=[portal.hidden.pk])
    client.get(url)  # the menu's to-do counts are kept after the first page
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    of_draw = f'"inspections_inspection"."draw_id" = {portal.hidden.pk}'
    reads = [q["sql"] for q in queries if of_draw in q["sql"]]
    assert sum(sql.startswith('SELECT "inspections_inspection"."id" AS "pk"') for sql in reads) == 1
    # No inspection is read as an object (all its columns, the first after the id).
    assert not [sql for sql in reads if sql.startswith('SELECT "inspections_inspection"."id", ')]
