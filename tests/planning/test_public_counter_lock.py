"""The public counter and a reveal under way (disclosure/versions.py, run on PostgreSQL's row
locks): a write to an inspection of a secret list raises every change's counter alone, unless
its draw is locked by another transaction — a reveal that may commit first — when it raises the
public counter too rather than wait for it."""

import threading

import pytest
from django.db import connection, transaction

from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.disclosure.models import PublicVersion
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw

from .conftest import REVEAL, SOURCES, VALUES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def versions(organisation) -> tuple[int, int]:
    row = PublicVersion.objects.get(organisation_id=organisation.pk)
    return row.counter, row.public


def test_a_write_while_the_draw_is_locked_raises_the_public_counter(published_plan, coordinator):
    task = published_plan.tasks.get(quarter=4)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    draw = draw_execute(actor=coordinator, draw=draw, values=VALUES)
    assert draw.status == Draw.Status.DRAWN
    county = draw.organisation
    inspection = draw.inspections.order_by("pk").first()

    counter, public = versions(county)
    Inspection.objects.filter(pk=inspection.pk).update(findings="内部记录：第一次")
    assert versions(county) == (counter + 1, public)  # the list is secret: the public sees none

    locked, release = threading.Event(), threading.Event()

    def reveal_under_way():
        try:
            with transaction.atomic():
                Draw.objects.select_for_update().get(pk=draw.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    other = threading.Thread(target=reveal_under_way)
    other.start()
    try:
        assert locked.wait(timeout=30)
        # Not blocked by the lock (the trigger skips it), and counted as seen by the public.
        Inspection.objects.filter(pk=inspection.pk).update(findings="内部记录：第二次")
        assert versions(county) == (counter + 2, public + 1)
    finally:
        release.set()
        other.join()

    Inspection.objects.filter(pk=inspection.pk).update(findings="内部记录：第三次")
    assert versions(county) == (counter + 3, public + 1)
