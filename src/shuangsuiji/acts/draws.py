"""The draw as a coordinator runs it, across the stages it touches: planning freezes and draws,
the inspections layer creates, cancels and publishes the inspections the draw decides. Each act
is one transaction; the planning service writes the act's audit entry.

Views and commands call these; the single-stage services stay in ``planning.draws`` and
``inspections.creation``.

A draw of a large pool (more candidates than SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES) is drawn by
the worker (issue 21 §5): the coordinator's act records the values and queues ``draw_finish`` in
one transaction, and the task computes the result and creates the inspections in another, on the
locked draw still 抽取中. A run after a kill starts again from the stored files and finds the
same result; a run that finds the draw drawn (or aborted) leaves it: the inspections are created
once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from shuangsuiji.directory.tasks import INTERRUPTED, QUEUE, task_waiting, worker_seen
from shuangsuiji.inspections.creation import inspections_create_from_draw
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import annual_draws, inspector_loads
from shuangsuiji.inspections.services import results_publish_with_list
from shuangsuiji.planning import draws as planning
from shuangsuiji.planning.models import Draw, SamplingTask

logger = logging.getLogger(__name__)


def draw_prepare(task: SamplingTask, *, today: dt.date | None = None) -> planning.Preparation:
    """What a commit would freeze, with this year's inspections counted (绛县's cap and
    no-repeat classes, each inspector's load)."""
    organisation, year = task.organisation, task.plan.year
    return planning.draw_prepare(
        task,
        drawn=annual_draws(organisation, year),
        loads=inspector_loads(organisation, year),
        today=today,
    )


@transaction.atomic
def draw_commit(
    *, actor, task: SamplingTask, sources, reveal_on: dt.date, ahead_reason: str = ""
) -> Draw:
    organisation, year = task.organisation, task.plan.year
    return planning.draw_commit(
        actor=actor,
        task=task,
        sources=sources,
        reveal_on=reveal_on,
        ahead_reason=ahead_reason,
        drawn=annual_draws(organisation, year),
        loads=inspector_loads(organisation, year),
    )


def _frozen_methods(draw: Draw) -> dict:
    """Draws committed before methods were frozen (planning 0007) classify as they did then."""
    if draw.methods:
        return draw.methods
    preparation = draw_prepare(draw.task)
    return {c.target.id: c.method for c in preparation.classifications}


@transaction.atomic
def draw_execute(*, actor, draw: Draw, values: list[str]) -> Draw:
    """Enter the sources' values, draw, and create the inspections with their teams. A large
    pool's draw comes back 抽取中, its task queued with the values: the queue is a table of the
    same database, so both commit or neither."""
    draw, result = planning.draw_execute(actor=actor, draw=draw, values=values)
    if result is None:
        planning.draw_queued(draw, str(draw_finish.enqueue(draw.pk).id))
        return draw
    inspections_create_from_draw(draw=draw, result=result, methods=_frozen_methods(draw))
    return draw


@transaction.atomic
def draw_reveal(*, actor, draw: Draw, today: dt.date | None = None) -> Draw:
    """Reveal the list; results of its inspections held back until now become public with it."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    open_inspections = draw.inspections.filter(
        status__in=[Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM]
    ).count()
    draw = planning.draw_reveal(
        actor=actor, draw=draw, open_inspections=open_inspections, today=today
    )
    results_publish_with_list(draw)
    return draw


@transaction.atomic
def draw_abort(*, actor, draw: Draw, reason: str) -> Draw:
    """Abort the draw; its inspections not yet done are cancelled with it."""
    draw = planning.draw_abort(actor=actor, draw=draw, reason=reason)
    draw.inspections.active().update(status=Inspection.Status.CANCELLED)
    return draw


@task(queue_name=QUEUE)
def draw_finish(draw_id: int) -> str:
    """抽取: compute a draw 抽取中 and create its inspections (issue 21 §5). Returns the draw's
    status. The result is computed outside any transaction (seconds on a large pool), then
    recorded with the inspections in one transaction on the locked draw, only if it is still
    抽取中: killed before that, nothing is written and the next run computes the same bytes."""
    draw = Draw.objects.select_related("task__plan", "organisation").filter(pk=draw_id).first()
    if draw is None:
        return ""
    if draw.status != Draw.Status.DRAWING:
        return draw.status
    planning.draw_step(draw, Draw.Step.COMPUTE)
    result = planning.draw_result(draw)
    planning.draw_step(draw, Draw.Step.INSPECTIONS)
    with transaction.atomic():
        drawn = planning.draw_complete(draw=draw, result=result)
        if drawn is None:
            logger.info("抽取 %s 已不在抽取中：本次后台任务不再写入", draw.draw_id)
            return Draw.objects.values_list("status", flat=True).get(pk=draw.pk)
        inspections_create_from_draw(draw=drawn, result=result, methods=_frozen_methods(drawn))
    return drawn.status


#: What ``shuangsuiji worker`` prints for this module's task.
TITLES = {draw_finish.name: "抽取（对象库较大，后台计算）"}


@dataclass(frozen=True)
class Progress:
    """Where a draw 抽取中 stands, for its page."""

    step: int  # Draw.Step
    waiting: bool  # queued, no worker has taken it yet
    worker: bool  # a worker has been heard from within the lease
    failed: bool  # the task ended in an error: the draw stays 抽取中 until aborted

    @property
    def label(self) -> str:
        return Draw.Step(self.step).label

    @property
    def steps(self) -> list[tuple[str, str]]:
        """Each step's name and whether it is done, under way or to come."""
        return [
            (label, "done" if value < self.step else "now" if value == self.step else "next")
            for value, label in Draw.Step.choices
        ]


def draw_progress(draw: Draw) -> Progress:
    """Read only: the draw's step, and whether its task waits, runs, or broke."""
    waiting = task_waiting(draw.background_task)
    failed = bool(draw.background_task) and (
        DBTaskResult.objects.filter(pk=draw.background_task, status=TaskResultStatus.FAILED)
        .exclude(exception_class_path__in=INTERRUPTED)
        .exists()
    )
    # Queued again after a kill: the step the killed run reached is not where it stands.
    step = Draw.Step.QUEUED if waiting else draw.drawing_step
    return Progress(step=step, waiting=waiting, worker=worker_seen(), failed=failed)
