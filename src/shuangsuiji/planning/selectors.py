"""What 抽取详情 reads of a draw, each query compiled once per connection
(``shuangsuiji.prepared``): the page is read by a bureau's coordinator, leader and supervisor
again and again through a quarter, and compiling its half-dozen queries was a third of its CPU
(issue 21 §3, ``benchmarks/staff.py``)."""

from __future__ import annotations

from shuangsuiji.planning.models import Draw, DrawSource, ManualAssignment, Substitution
from shuangsuiji.prepared import PREFIX, Prepared

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
