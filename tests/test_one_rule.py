"""One of each rule (issue 16, point 7): who may be drawn, which inspections count, the quarter,
the inspection methods and the violation categories are each written once."""

from __future__ import annotations

import datetime as dt

import pytest

from shuangsuiji.policy import Quarter

D = dt.date


# --- 季度 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "number"),
    [(D(2026, 1, 1), 1), (D(2026, 3, 31), 1), (D(2026, 4, 1), 2), (D(2026, 9, 30), 3),
     (D(2026, 10, 1), 4), (D(2026, 12, 31), 4)],
)  # fmt: skip
def test_quarter_of_a_day(day, number):
    assert Quarter.of(day) == Quarter(2026, number)


@pytest.mark.parametrize(
    ("number", "start", "end"),
    [(1, D(2028, 1, 1), D(2028, 3, 31)), (2, D(2028, 4, 1), D(2028, 6, 30)),
     (3, D(2028, 7, 1), D(2028, 9, 30)), (4, D(2028, 10, 1), D(2028, 12, 31))],
)  # fmt: skip
def test_quarter_start_and_end(number, start, end):
    quarter = Quarter(2028, number)
    assert (quarter.start, quarter.end) == (start, end)
    assert Quarter.of(start) == Quarter.of(end) == quarter


def test_quarters_follow_each_other_across_the_year():
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert Quarter(2027, 1).previous() == Quarter(2026, 4)
    assert Quarter(2026, 2).next().start == Quarter(2026, 2).end + dt.timedelta(days=1)


# --- 检查方式 and 发现问题 ---------------------------------------------------------------------


def test_one_method_vocabulary():
    from shuangsuiji.directory.registers import read_methods, write_methods
    from shuangsuiji.directory.vocabulary import InspectionMethod
    from shuangsuiji.inspections.models import CHECK_METHODS
    from shuangsuiji.policy.schema import METHOD_WORDS, METHODS

    assert METHODS == ("现场检查", "非现场检查", "书面检查")
    assert dict(InspectionMethod.choices) == METHOD_WORDS
    # The item list keeps its order and its stored codes.
    assert InspectionMethod.labels == ["现场检查", "书面检查", "非现场检查"]
    assert read_methods("非现场检查、书面检查") == "document,offsite"
    assert write_methods("onsite,offsite") == "现场检查、非现场检查"
    assert [value for value, _ in CHECK_METHODS] == ["现场检查", "非现场检查", "书面检查", "其他"]


def test_violation_categories_match_stored_values():
    from shuangsuiji.inspections.models import VIOLATION_CATEGORIES, ResultCategory

    assert {c for c in ResultCategory.values if c in VIOLATION_CATEGORIES} == {
        "ordered",
        "case_filed",
    }


# --- 可抽取的执法检查人员 ----------------------------------------------------------------------


def _inspector(organisation, number: int, **fields):
    from shuangsuiji.directory.models import Inspector

    return Inspector.objects.create(
        organisation=organisation,
        name=f"人员{number}",
        certificate_no=f"{organisation.code}{number:04d}",
        **fields,
    )


@pytest.fixture
def staff(organisations):
    from shuangsuiji.directory.vocabulary import InspectorCategory

    own, other = organisations["a"], organisations["b"]
    return {
        "on_duty": _inspector(own, 1),
        "off_duty": _inspector(own, 2, on_duty=False),
        "removed": _inspector(own, 3, in_register=False, removal_reason="调离"),
        "auxiliary": _inspector(own, 4, category=InspectorCategory.AUXILIARY),
        "expert": _inspector(own, 5, category=InspectorCategory.EXPERT),
        "second": _inspector(own, 6),
        "elsewhere": _inspector(other, 7),
    }


def test_only_registered_on_duty_enforcement_officers_are_drawable(organisations, staff):
    from shuangsuiji.directory.models import Inspector

    drawable = Inspector.objects.drawable().filter(organisation=organisations["a"])
    assert set(drawable) == {staff["on_duty"], staff["second"]}
    assert set(organisations["a"].inspectors.drawable()) == set(drawable)
    # The property on one loaded row says the same.
    assert {p for p in staff.values() if p.can_be_drawn} == set(Inspector.objects.drawable())


# --- 计入年度次数的检查 ------------------------------------------------------------------------


@pytest.fixture
def inspections(organisations, staff):
    from shuangsuiji.directory.models import Target
    from shuangsuiji.inspections.models import Inspection, InspectionMember

    own, other = organisations["a"], organisations["b"]
    first = Target.objects.create(organisation=own, credit_code="91130281MA0C12345C", name="甲")
    second = Target.objects.create(organisation=own, credit_code="91130281MA0C12346A", name="乙")
    elsewhere = Target.objects.create(
        organisation=other, credit_code="91130283MA0C1234XX", name="丙"
    )
    Status = Inspection.Status

    def inspection(target, year, status, *team):
        row = Inspection.objects.create(
            organisation=target.organisation, target=target, year=year,
            kind=Inspection.Kind.RANDOM, status=status,
        )  # fmt: skip
        for position, member in enumerate(team, start=1):
            InspectionMember.objects.create(
                inspection=row, inspector=member, position=position, is_lead=position == 1
            )
        return row

    lead, second_officer = staff["on_duty"], staff["second"]
    inspection(first, 2026, Status.DONE, lead, second_officer)
    inspection(first, 2026, Status.ASSIGNED, lead, second_officer)
    inspection(first, 2026, Status.CANCELLED, lead, second_officer)
    inspection(first, 2026, Status.SUBSTITUTED, lead, second_officer)
    inspection(second, 2026, Status.NEEDS_TEAM)
    inspection(second, 2026, Status.ASSIGNED, second_officer, staff["expert"])
    inspection(first, 2025, Status.DONE, lead, second_officer)
    inspection(elsewhere, 2026, Status.DONE, staff["elsewhere"])
    return {"first": first, "second": second, "elsewhere": elsewhere}


def test_cancelled_and_substituted_inspections_do_not_count(organisations, inspections):
    from shuangsuiji.inspections.models import Inspection

    assert Inspection.objects.counted(2026, organisations["a"]).count() == 4
    assert Inspection.objects.counted(2025, organisations["a"]).count() == 1
    assert Inspection.objects.counted(2026).count() == 5  # every organisation
    assert Inspection.objects.counted(2026, organisations["b"]).count() == 1


def test_counts_per_target_and_per_inspector(organisations, staff, inspections):
    from shuangsuiji.inspections.selectors import annual_counts, inspector_loads

    counts = annual_counts(organisations["a"], 2026)
    assert counts == {inspections["first"].pk: 2, inspections["second"].pk: 2}
    loads = inspector_loads(organisations["a"], 2026)
    assert loads == {staff["on_duty"].pk: 2, staff["second"].pk: 3, staff["expert"].pk: 1}


def test_this_years_count_on_a_register_page(organisations, staff, inspections, monkeypatch):
    from django.utils import timezone

    from shuangsuiji.inspections.selectors import inspections_this_year

    monkeypatch.setattr(timezone, "localdate", lambda *args: D(2026, 6, 1))
    assert inspections_this_year(inspections["first"]) == (2026, 2)
    assert inspections_this_year(staff["second"]) == (2026, 3)
    assert inspections_this_year(staff["off_duty"]) == (2026, 0)
