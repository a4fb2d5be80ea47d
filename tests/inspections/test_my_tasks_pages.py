"""我的任务 a page at a time (issue 21 §3): every open inspection first, then the finished ones,
the latest first, by keyset (``?before=``), so a page costs the same whatever an inspector has
done over the years (its queries: tests/inspections/test_inspection_deadlines.py)."""

from __future__ import annotations

import pytest
from django.db.models import Count
from django.urls import reverse

from shuangsuiji.inspections import selectors
from shuangsuiji.inspections.models import Inspection, InspectionMember
from tests.support.portal import build_portal, record, team_user


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def busiest_user(portal, make_user):
    """The officer on the most teams still to check in the county. The draws are salted afresh
    each run, so the lead of one given inspection may sit on no other team, and a test that
    needs several of an officer's inspections would fail by chance."""
    from django.contrib.auth import get_user_model

    from shuangsuiji.accounts.roles import Role
    from shuangsuiji.directory.models import Inspector

    busiest = (
        InspectionMember.objects.filter(
            inspection__organisation=portal.county, inspection__status=Inspection.Status.ASSIGNED
        )
        .values("inspector")
        .annotate(teams=Count("pk"))
        .order_by("-teams", "inspector")
        .first()
    )
    assert busiest["teams"] >= 4
    number = Inspector.objects.get(pk=busiest["inspector"]).certificate_no
    user = get_user_model().objects.filter(username=number).first()
    return user or make_user(number, portal.county, Role.INSPECTOR)


def test_finished_inspections_come_a_page_at_a_time(client, portal, make_user, monkeypatch):
    user = busiest_user(portal, make_user)
    theirs = Inspection.objects.filter(
        organisation=portal.county, members__inspector__certificate_no=user.username
    )
    for inspection in theirs.filter(status=Inspection.Status.ASSIGNED).order_by("pk")[:3]:
        record(inspection, user)
    # Everything the inspector finished, this draw or another (the draws are salted afresh
    # each run, so they may also sit on a team of the Q3 draw).
    done = list(
        Inspection.objects.filter(
            organisation=portal.county, members__inspector__certificate_no=user.username
        )
        .active()
        .exclude(status__in=selectors.OPEN_STATUSES)
        .order_by("-pk")
    )
    assert len(done) >= 2
    monkeypatch.setattr(selectors, "DONE_PAGE", 1)
    client.force_login(user)

    url, seen = reverse("inspections:mine"), []
    while url:
        page = client.get(url).content.decode()
        if "?before=" in url:
            assert "返回待完成的检查" in page
        shown = [i for i in done if f'href="{reverse("inspections:record", args=[i.pk])}"' in page]
        assert len(shown) == 1, url
        seen += shown
        marker = 'href="?before='
        url = (
            reverse("inspections:mine") + page[page.index(marker) + 6 :].split('"', 1)[0]
            if marker in page
            else None
        )
    assert seen == done


def test_open_inspections_show_the_earliest_deadlines_first_then_all(
    client, portal, make_user, monkeypatch
):
    """我的任务 on a phone: the open checks with the earliest 检查时限 (保定 三、（三）), the
    count of all of them, and “显示全部” for the rest (issue 21 §3: the page no longer grows
    with an inspector's assignments)."""
    from shuangsuiji.inspections import views

    user = busiest_user(portal, make_user)
    open_ones = selectors.inspector_inspections(user, portal.clean.task.inspection_deadline)
    assert len(open_ones) >= 2
    monkeypatch.setattr(views, "MY_OPEN_SHOWN", 1)
    client.force_login(user)

    def links(page: str) -> list[int]:
        return [
            row.pk
            for row in open_ones
            if f'href="{reverse("inspections:record", args=[row.pk])}"' in page
        ]

    first = client.get(reverse("inspections:mine")).content.decode()
    assert f"待完成的检查共 {len(open_ones)} 项" in first
    assert links(first) == [open_ones[0].pk]
    assert f"另有 {len(open_ones) - 1} 项" in first and 'href="?all=1"' in first
    every = client.get(reverse("inspections:mine") + "?all=1").content.decode()
    assert links(every) == [row.pk for row in open_ones]
    assert 'href="?all=1"' not in every


def test_the_cards_show_markup_in_the_registers_as_text(client, portal, make_user):
    """我的任务's cards are written in Python (inspections/templatetags/task_cards.py, issue 21
    §3): a unit's name or address, an item or an inspector holding markup is shown as text, as
    the template language's autoescaping showed it."""
    from shuangsuiji.directory.models import InspectionItem, Inspector, Target

    inspection = Inspection.objects.filter(draw=portal.revealed, status="assigned").first()
    user = team_user(inspection, make_user)
    Target.objects.filter(pk=inspection.target_id).update(
        name="<i>甲&乙</i>公司", address='<b>"北路"</b>'
    )
    InspectionItem.objects.filter(pk=inspection.items.first().pk).update(name="<u>废气</u>")
    lead = inspection.members.first().inspector_id
    Inspector.objects.filter(pk=lead).update(name="<s>张</s>")
    client.force_login(user)
    page = client.get(reverse("inspections:mine")).content.decode()
    assert "<h2>&lt;i&gt;甲&amp;乙&lt;/i&gt;公司</h2>" in page
    assert "<p>&lt;b&gt;&quot;北路&quot;&lt;/b&gt; · " in page
    assert "&lt;u&gt;废气&lt;/u&gt;" in page and "&lt;s&gt;张&lt;/s&gt;" in page
    for markup in ("<i>甲", "<b>&quot;", '<b>"', "<u>废气", "<s>张"):
        assert markup not in page
    record = reverse("inspections:record", args=[inspection.pk])
    assert f'<a class="button primary" href="{record}">填写检查记录</a>' in page


def test_a_targeted_check_and_a_task_without_a_deadline_show_what_they_have(
    client, portal, make_user
):
    """A 定向检查 has no task and no draw: its card names it 定向检查, with no deadline line and
    no 抽查 kind after it. A drawn check whose task sets no 检查时限 shows the day its list is
    revealed as the latest day instead (the cards are read as values, issue 21 §3)."""
    from shuangsuiji.planning.models import SamplingTask

    targeted = portal.targeted
    assert targeted.task_id is None and targeted.draw_id is None
    user = team_user(targeted, make_user)
    client.force_login(user)
    page = client.get(reverse("inspections:mine")).content.decode()
    card = page[page.index(f"<h2>{targeted.target.name}</h2>") :].split("</section>", 1)[0]
    assert f"<p>定向检查；{targeted.method}；已完成</p>" in card
    assert "查看检查记录" in card and "检查时限" not in card and "最迟" not in card

    drawn = Inspection.objects.filter(draw=portal.revealed, status="assigned").first()
    SamplingTask.objects.filter(pk=drawn.task_id).update(inspection_deadline=None)
    client.force_login(team_user(drawn, make_user))
    page = client.get(reverse("inspections:mine") + "?all=1").content.decode()
    card = page[page.index(f"<h2>{drawn.target.name}</h2>") :].split("</section>", 1)[0]
    reveal = portal.revealed.reveal_on.isoformat()
    assert f'<span class="muted">最迟 {reveal} 前完成</span>' in card
    assert "检查时限" not in card and "填写检查记录" in card
