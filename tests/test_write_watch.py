"""The watch the crawl of every page uses to prove a read wrote nothing
(tests/support/rows.py, tests/demo_nov/test_reads_never_write.py): it sees a write made and
undone in a savepoint, as each GET of the crawl is, and after it nothing more; on PostgreSQL an
update too, which leaves every table's row count as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from tests.support.rows import WriteWatch


@pytest.mark.django_db
def test_the_watch_sees_a_write_undone_in_its_savepoint_and_then_nothing():
    watch = WriteWatch()
    with transaction.atomic():
        Group.objects.create(name="检查组")
        seen = watch.written()
        transaction.set_rollback(True)
    assert set(seen) == {"auth_group"}
    assert watch.written() == {}


@pytest.mark.django_db
@pytest.mark.postgres
def test_on_postgresql_the_watch_sees_an_update():
    assert connection.vendor == "postgresql"
    group = Group.objects.create(name="检查组")
    watch = WriteWatch()
    with transaction.atomic():
        Group.objects.filter(pk=group.pk).update(name="第二检查组")
        seen = watch.written()
        transaction.set_rollback(True)
    assert set(seen) == {"auth_group"}
    assert watch.written() == {}
