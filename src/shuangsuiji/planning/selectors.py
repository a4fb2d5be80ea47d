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
from shuangsuiji.prepared import PREFIX, Prepared, rows_of


def _readable_one(model, *related: str, unshown: tuple[str, ...] = ()):
    """``find(user, pk)``: the row ``pk`` of ``model`` with its ``related`` objects, without
    the ``unshown`` columns, as ``user`` may read it (``readable_by``: for a plan or a draw the
    user's organisation's path alone, ``OrgScopedQuerySet.readable_from``); ``None`` where it is
    not theirs to read (or does not exist). Compiled and planned once."""
    query = Prepared(
        lambda pk, path: (
            model.objects.readable_from(path, organisation_id=None)
            .defer(*unshown)
            .select_related(*related)
            .filter(pk=pk)
        ),
        pk=int,
        path=PREFIX,
        planned_once=True,
    )

    def find(user, pk: int):
        if not user.is_authenticated:
            return None
        found = query(pk=pk, path=user.organisation.path)
        return found[0] if found else None

    return find


# -- 计划详情 ------------------------------------------------------------------------------------

#: 计划详情's plan: its organisation names it and keys its warnings.
shown_plan = _readable_one(AnnualPlan, "organisation")


@dataclass(frozen=True)
class PlannedTask:
    """A row of the plan's table of tasks: the task, its items' names in the items' order
    (``InspectionItem.Meta.ordering``) and its draws, the newest first, each a link with its
    status (not its pool, list and materials)."""

    task: SamplingTask
    item_names: tuple[str, ...]
    draws: tuple[Draw, ...]


_TASKS = rows_of(SamplingTask, "plan")
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


_REVIEWS = rows_of(PlanReview, "plan", "actor")
_REVISIONS = rows_of(PlanRevision, "plan")


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

#: 抽取详情's draw: the task's plan and the organisation name the draw's files
#: (``draw_bundle_name``).
shown_draw = _readable_one(Draw, "task__plan", "organisation", unshown=UNSHOWN)

_SOURCES = rows_of(DrawSource, "draw")
_SUBSTITUTIONS = rows_of(Substitution, "draw")
_MANUAL = rows_of(ManualAssignment, "draw")


def draw_sources(draw_id: int) -> list[DrawSource]:
    return _SOURCES(draw=draw_id)


def draw_substitutions(draw_id: int) -> list[Substitution]:
    return _SUBSTITUTIONS(draw=draw_id)


def draw_manual_assignments(draw_id: int) -> list[ManualAssignment]:
    return _MANUAL(draw=draw_id)
