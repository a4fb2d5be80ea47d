"""Issue 16 point 3: the draw's inspections belong to the inspections layer, the method of each
unit is frozen with the pool at commit, and a team change keeps its history."""

import pytest

from shuangsuiji.acts.draws import draw_commit, draw_execute
from shuangsuiji.directory.models import Inspector
from shuangsuiji.inspections import creation
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.planning import draws as planning_draws

from .conftest import REVEAL, SOURCES, VALUES


@pytest.fixture
def committed(published_plan, coordinator):
    task = published_plan.tasks.get(quarter=4)
    return draw_commit(actor=coordinator, task=task, sources=SOURCES, reveal_on=REVEAL)


def test_commit_freezes_each_pooled_units_method(committed):
    pooled = {line.split("|")[0] for line in committed.pool.splitlines() if line}
    assert set(committed.methods) == pooled
    assert set(committed.methods.values()) <= {"现场检查", "非现场检查"}


def test_execution_reads_only_the_frozen_methods(committed, coordinator, monkeypatch):
    """The register may change between commit and draw: the draw uses what was committed."""
    unit = next(iter(committed.methods))
    committed.methods = {u: "非现场检查" if u == unit else m for u, m in committed.methods.items()}
    committed.save(update_fields=["methods"])

    def no_reclassification(*args, **kwargs):
        raise AssertionError("draw execution re-classified the live register")

    monkeypatch.setattr(planning_draws, "draw_prepare", no_reclassification)
    draw = draw_execute(actor=coordinator, draw=committed, values=VALUES)
    for inspection in Inspection.objects.filter(draw=draw).select_related("target"):
        assert inspection.method == draw.methods[inspection.target.draw_id]


def test_team_change_keeps_history(committed, coordinator):
    draw = draw_execute(actor=coordinator, draw=committed, values=VALUES)
    inspection = Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED).first()
    before = [m.inspector for m in inspection.members.select_related("inspector")]
    others = list(
        Inspector.objects.filter(organisation=inspection.organisation)
        .exclude(pk__in=[i.pk for i in before])
        .order_by("pk")[:2]
    )
    creation._set_team(inspection, others)
    assert [m.inspector for m in inspection.members.order_by("position")] == others
    history = InspectionMember.history.filter(inspection_id=inspection.pk)
    removed = set(history.filter(history_type="-").values_list("inspector_id", flat=True))
    added = set(history.filter(history_type="+").values_list("inspector_id", flat=True))
    assert removed == {i.pk for i in before}
    assert {i.pk for i in others} <= added
