"""The partial index of open inspections (``inspection_open``) serves the to-do counts, 逾期事项
and 我的任务 only while its condition is what those queries ask for: PostgreSQL uses a partial
index for a query whose conditions imply the index's (issue 21 §3)."""

import pytest
from django.db import connection

from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import OPEN_STATUSES


def test_the_open_index_holds_exactly_the_open_statuses():
    index = next(i for i in Inspection._meta.indexes if i.name == "inspection_open")
    (lookup, statuses), *others = index.condition.children
    assert lookup == "status__in" and not others
    assert set(statuses) == set(OPEN_STATUSES)
    assert set(statuses) <= set(Inspection.Status.values)


@pytest.mark.postgres
def test_the_count_of_checks_to_staff_is_one_range_of_the_open_index(db, organisations):
    """The coordinator's to-do 待人工指派执法人员的检查 counts one status of the open checks
    (``reports.todo``). A county whose quarter was just drawn has thousands of checks 待检查;
    with the status in the index the count reads only those 待人工指派, and every condition is
    the index's own (``Index Cond``), none a filter over the county's open checks."""
    query = Inspection.objects.filter(
        organisation=organisations["a"], status=Inspection.Status.NEEDS_TEAM
    ).order_by()
    with connection.cursor() as cursor:
        # A test table is tiny: a scan would win; the question is whether the index answers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    shown = query.values("pk").explain()
    assert "inspection_open" in shown, shown
    conditions = shown[shown.index("Index Cond") :]
    assert "organisation_id" in conditions and "status" in conditions, shown
    assert "Filter" not in shown, shown


@pytest.mark.postgres
def test_the_results_waiting_for_publication_are_one_range_of_their_index(db, organisations):
    """结果公示's list of results waiting to be published, and the coordinator's to-dos counted
    from it (``selectors.publication``), read the bureau's results determined and not yet
    published, in due order (``inspection_unpublished``): a county's some dozens, not its year
    of thousands of inspections filtered one by one after every change (issue 21 §3)."""
    import datetime as dt

    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.inspections.selectors import publication

    with CaptureQueriesContext(connection) as captured:
        publication(organisations["a"], 2026, dt.date(2026, 12, 1), shown=0)
    (waiting,) = [q["sql"] for q in captured.captured_queries if '"released_by_id"' in q["sql"]]
    with connection.cursor() as cursor:
        # A test table is tiny: a scan would win; the question is whether the index answers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {waiting}")
        shown = "\n".join(row[0] for row in cursor.fetchall())
    assert "inspection_unpublished" in shown, shown
    assert "organisation_id" in shown[shown.index("Index Cond") :], shown
