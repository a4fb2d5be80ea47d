"""Two nodes take the values of one large draw at the same moment (issue 21 §5, run on
PostgreSQL's row locks): one records them and queues one task, the other is refused; the worker
then creates one set of inspections."""

import pytest

from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.directory import tasks
from shuangsuiji.planning.models import Draw

from .conftest import REVEAL, SOURCES, VALUES
from .test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_double_submission_of_a_large_draw_queues_one_task(published_plan, coordinator, settings):
    from django_tasks_db.models import DBTaskResult

    settings.SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES = 100  # the county's 240 candidates: large
    task = published_plan.tasks.get(quarter=4)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    outcomes = race(lambda: draw_execute(actor=coordinator, draw=draw, values=VALUES))
    assert sum(isinstance(o, Draw) for o in outcomes) == 1
    (refused,) = [o for o in outcomes if not isinstance(o, Draw)]
    assert refused.messages == ["该抽取当前为“抽取中”，不能再次抽取。"]
    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWING
    assert DBTaskResult.objects.filter(task_path__endswith=".draw_finish").count() == 1
    tasks.task_run_now(draw.background_task)
    draw.refresh_from_db()
    assert draw.status == Draw.Status.DRAWN and draw.inspections.count() == 17
