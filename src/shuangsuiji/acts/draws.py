"""The draw as a coordinator runs it, across the stages it touches: planning freezes and draws,
the inspections layer creates, cancels and publishes the inspections the draw decides. Each act
is one transaction; the planning service writes the act's audit entry.

Views and commands call these; the single-stage services stay in ``planning.draws`` and
``inspections.creation``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shuangsuiji.inspections.creation import inspections_create_from_draw
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.inspections.selectors import annual_draws, inspector_loads
from shuangsuiji.inspections.services import results_publish_with_list
from shuangsuiji.planning import draws as planning
from shuangsuiji.planning.models import Draw, SamplingTask


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
    """Enter the sources' values, draw, and create the inspections with their teams."""
    draw, result = planning.draw_execute(actor=actor, draw=draw, values=values)
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
