"""The partial index of open inspections (``inspection_open``) serves the to-do counts, 逾期事项
and 我的任务 only while its condition is what those queries ask for: PostgreSQL uses a partial
index for a query whose conditions imply the index's (issue 21 §3)."""

from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import OPEN_STATUSES


def test_the_open_index_holds_exactly_the_open_statuses():
    index = next(i for i in Inspection._meta.indexes if i.name == "inspection_open")
    (lookup, statuses), *others = index.condition.children
    assert lookup == "status__in" and not others
    assert set(statuses) == set(OPEN_STATUSES)
    assert set(statuses) <= set(Inspection.Status.values)
