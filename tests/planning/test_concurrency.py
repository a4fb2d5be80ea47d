"""Two coordinators drawing the same task at once, or a double submission, can never produce two
draws or two results (database constraint + row locks; run on PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.planning.models import Draw

from .conftest import REVEAL, SOURCES, VALUES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(function, count=2):
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        barrier.wait()
        try:
            outcomes.append(function())
        except ValidationError as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_commits_of_one_task(published_plan, coordinator):
    task = published_plan.tasks.get(quarter=4)
    outcomes = race(
        lambda: draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    )
    assert sum(isinstance(o, Draw) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert Draw.objects.filter(task=task).count() == 1


def test_double_submission_of_the_values(published_plan, coordinator):
    task = published_plan.tasks.get(quarter=4)
    draw = draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)
    outcomes = race(lambda: draw_execute(actor=coordinator, draw=draw, values=VALUES))
    assert sum(isinstance(o, Draw) for o in outcomes) == 1
    errors = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(errors) == 1 and "不能再次抽取" in errors[0].messages[0]
    assert draw.inspections.count() == 17  # one set of inspections, not two
