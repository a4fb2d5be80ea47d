"""What 计划详情 and 抽取详情 read of a plan and of a draw, each query compiled once per
connection (``shuangsuiji.prepared``): the pages are read by a bureau's coordinator, leader and
supervisor again and again through the year, and compiling their half-dozen queries each was a
third of their CPU (issue 21 §3, ``benchmarks/staff.py``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shuangsuiji.planning.models import (
    AnnualPlan,
    Draw,
    DrawSource,
    ManualAssignment,
    PlanReview,
    PlanRevision,
    SamplingTask,
    Substitution,
)
from shuangsuiji.prepared import PREFIX, Prepared

# -- 计划详情 ------------------------------------------------------------------------------------

_PLAN = Prepared(
    lambda pk, path: (
        # ``readable_by`` a user of the organisation at ``path`` (a plan's rule is its
        # organisation's path alone); its organisation names it and keys its warnings.
        AnnualPlan.objects.readable_from(path, organisation_id=None)
        .select_related("organisation")
        .filter(pk=pk)
    ),
    pk=int,
    path=PREFIX,
    planned_once=True,
)


def shown_plan(user, pk: int) -> AnnualPlan | None:
    """The plan ``pk`` as ``user`` may read it (``AnnualPlan.objects.readable_by``); ``None``
    where it is not theirs to read (or does not exist)."""
    if not user.is_authenticated:
        return None
    found = _PLAN(pk=pk, path=user.organisation.path)
    return found[0] if found else None


@dataclass(frozen=True)
class PlannedTask:
    """A row of the plan's table of tasks: the task, its items' names in the items' order
    (``InspectionItem.Meta.ordering``) and its draws, the newest first, each a link with its
    status (not its pool, list and materials)."""

    task: SamplingTask
    item_names: tuple[str, ...]
    draws: tuple[Draw, ...]


_TASKS = Prepared(
    lambda plan: SamplingTask.objects.filter(plan_id=plan), plan=int, planned_once=True
)
_TASK_ITEMS = Prepared(
    lambda tasks: (
        SamplingTask.items.through.objects.filter(samplingtask_id__in=tasks)
        .order_by("samplingtask_id", "inspectionitem__sequence", "inspectionitem__name")
        .values_list("samplingtask_id", "inspectionitem__name")
    ),
    tasks=list,
    planned_once=True,
)
_TASK_DRAWS = Prepared(
    lambda tasks: Draw.objects.filter(task_id__in=tasks).only("task_id", "draw_id", "status"),
    tasks=list,
    planned_once=True,
)


def planned_tasks(plan_id: int) -> list[PlannedTask]:
    """The plan's tasks in order, each with its items' names and its draws: three queries."""
    tasks = _TASKS(plan=plan_id)
    ids = [task.pk for task in tasks]
    names: defaultdict[int, list[str]] = defaultdict(list)
    for task_id, name in _TASK_ITEMS(tasks=ids):
        names[task_id].append(name)
    draws: defaultdict[int, list[Draw]] = defaultdict(list)
    for draw in _TASK_DRAWS(tasks=ids):
        draws[draw.task_id].append(draw)
    return [PlannedTask(t, tuple(names[t.pk]), tuple(draws[t.pk])) for t in tasks]


_REVIEWS = Prepared(
    lambda plan: PlanReview.objects.filter(plan_id=plan).select_related("actor"),
    plan=int,
    planned_once=True,
)
_REVISIONS = Prepared(
    lambda plan: PlanRevision.objects.filter(plan_id=plan), plan=int, planned_once=True
)


def plan_reviews(plan_id: int) -> list[PlanReview]:
    """The plan's approval steps, each with who took it, in order."""
    return _REVIEWS(plan=plan_id)


def plan_revisions(plan_id: int) -> list[PlanRevision]:
    """The plan's published versions, in order."""
    return _REVISIONS(plan=plan_id)


# -- 抽取详情 ------------------------------------------------------------------------------------

#: The columns 抽取详情 does not show: a province's pool and rosters are megabytes of text
#: (the entry of the sources reads them).
UNSHOWN = ("pool", "roster", "conflicts", "partner_rosters")

_SHOWN = Prepared(
    lambda pk, path: (
        # ``readable_by`` a user of the organisation at ``path``: a draw's rule is its
        # organisation's path alone (``OrgScopedQuerySet.readable_from``).
        Draw.objects.readable_from(path, organisation_id=None)
        .defer(*UNSHOWN)
        # The task's plan and the organisation name the draw's files (``draw_bundle_name``).
        .select_related("task__plan", "organisation")
        .filter(pk=pk)
    ),
    pk=int,
    path=PREFIX,
    planned_once=True,
)


def shown_draw(user, pk: int) -> Draw | None:
    """The draw ``pk`` as ``user`` may read it (``Draw.objects.readable_by``), without the
    columns the page does not show; ``None`` where it is not theirs to read (or does not exist)."""
    if not user.is_authenticated:
        return None
    found = _SHOWN(pk=pk, path=user.organisation.path)
    return found[0] if found else None


def _of_draw(model) -> Prepared:
    """The rows of ``model`` that belong to one draw: the same rows, in the same order, as the
    draw's related manager gives them (``draw.sources.all()``)."""
    return Prepared(lambda draw: model.objects.filter(draw_id=draw), draw=int, planned_once=True)


_SOURCES = _of_draw(DrawSource)
_SUBSTITUTIONS = _of_draw(Substitution)
_MANUAL = _of_draw(ManualAssignment)


def draw_sources(draw_id: int) -> list[DrawSource]:
    return _SOURCES(draw=draw_id)


def draw_substitutions(draw_id: int) -> list[Substitution]:
    return _SUBSTITUTIONS(draw=draw_id)


def draw_manual_assignments(draw_id: int) -> list[ManualAssignment]:
    return _MANUAL(draw=draw_id)
