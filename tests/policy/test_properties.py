"""Properties of the quota arithmetic (exact fractions) and of classification.

Issue 4: “Quota arithmetic is exact integers: ‘不低于/至少 x%’ = ceil(N·x) computed as
(N*num + den - 1) // den on the percentage as a fraction; a quota never exceeds the eligible count
(the shortfall is reported).” and, under Tests, “hypothesis properties: quota ≥ ratio × N,
quota − 1 < ratio × N (minimal), never above eligible.”
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.policy import (
    PolicyInputMissing,
    Quarter,
    available_presets,
    classify,
    load_preset,
    load_preset_text,
    quotas,
)
from shuangsuiji.policy.engine import EventRecord, TargetRecord, ceil_fraction
from shuangsuiji.policy.loader import Reference, percent
from shuangsuiji.policy.schema import EVENT_KINDS, TARGET_FIELDS

ONE_CLASS = """\
preset: property
title: 性质测试
document: 性质测试方案
issuer: 测试局
population:
  2024-01-01: {value: all_of_class, ref: 一}
precedence:
  2024-01-01: {value: 只有一类, ref: 一}
classes:
  - code: GENERAL
    name: 一般监管对象
    condition:
      2024-01-01: {value: {always: true}, ref: 一}
    quota:
      2024-01-01: {value: {ratio: 5%}, ref: 二、（五）}
methods:
  2024-01-01: {value: {default: 现场检查}, ref: 一}
"""
BASE = load_preset_text(ONE_CLASS, "property.yaml")
QUARTER = Quarter(2024, 2)
REF = Reference("性质测试", "二、（五）")
#: Each preset with the 信用风险 weights a bureau must set before graded targets are drawn.
PRESETS = {
    name: load_preset(name).with_value(
        "grading",
        {"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}},
        load_preset(name).population.entries[0].since,
        Reference(document="本局设定", clause="局务会议纪要"),
    )
    for name in available_presets()
}
HUOJIA_SET = PRESETS["huojia-2024"].with_value(
    "classes.SPECIAL.quota", {"ratio": "20%"}, dt.date(2024, 1, 1), REF
)


@st.composite
def percentages(draw) -> str:
    """A ratio in (0, 1] written as the presets write it: '25%', '0.5%', '12.345%', '100%'."""
    places = draw(st.integers(min_value=0, max_value=3))
    scaled = draw(st.integers(min_value=1, max_value=100 * 10**places))
    text = format(Decimal(scaled).scaleb(-places), "f")
    return f"{text}%"


def general_quota(ratio: str, population: int, stopped: int):
    preset = BASE.with_value("classes.GENERAL.quota", {"ratio": ratio}, dt.date(2024, 1, 1), REF)
    targets = [
        TargetRecord(
            id=str(i),
            credit_code=str(i),
            name="",
            fields={"经营状态": "停产" if i < stopped else "存续"},
        )
        for i in range(population)
    ]
    results = classify(preset, targets, [], QUARTER)
    (quota,) = quotas(preset, results, QUARTER)
    return quota


@given(st.fractions(), st.integers(min_value=1, max_value=10**6))
def test_ceil_fraction_is_math_ceil_on_exact_fractions(value, scale):
    assert ceil_fraction(value) == math.ceil(value)
    exact = value * scale
    assert ceil_fraction(exact) == math.ceil(exact)
    assert ceil_fraction(Fraction(exact.numerator, exact.denominator)) == -(
        -exact.numerator // exact.denominator
    )


@given(percentages())
def test_percent_reads_the_exact_fraction(ratio):
    assert percent(ratio, "x") == Fraction(Decimal(ratio[:-1])) / 100
    assert 0 < percent(ratio, "x") <= 1


@settings(max_examples=150, deadline=None)
@given(
    percentages(),
    st.integers(min_value=0, max_value=400).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n))
    ),
)
def test_ratio_quota_is_the_least_integer_at_or_above_p_times_n_capped_at_eligible(ratio, sizes):
    population, stopped = sizes
    p = percent(ratio, "x")
    q = general_quota(ratio, population, stopped)
    exact = p * population
    assert q.population == population
    assert q.eligible == population - stopped
    # The plan's requirement: at least p × N, and minimal.
    assert q.required >= exact
    assert q.required - 1 < exact
    # Never above eligible; the difference is the reported shortfall.
    assert q.quota <= q.eligible
    assert q.quota == min(q.required, q.eligible)
    assert q.shortfall == q.required - q.quota >= 0
    assert q.quota >= exact or q.quota == q.eligible
    # The basis shows the same arithmetic.
    shown = ratio[:-1].rstrip("0").rstrip(".") if "." in ratio else ratio[:-1]
    assert q.basis.startswith(f"{shown}% × {population} 家 = ")
    assert f"{q.required} 家（二、（五））" in q.basis
    product = q.basis.split(" 家 = ", 1)[1].split("，")[0].split(" 家")[0]
    assert Fraction(product) == exact
    assert ("向上取整" in q.basis) == (exact.denominator != 1)
    assert ("缺口" in q.basis) == (q.shortfall > 0)


@given(st.integers(min_value=1, max_value=10**5))
def test_baoding_quarterly_share_of_the_annual_one_to_five(inspectors):
    """保定 三、（一）：“按照不低于 1: 5 的比例……确定年度一般排污单位的抽查数量”: four quarters of the
    rounded-up quarterly share reach the year's 5 × inspectors, and one fewer would not. (No
    officer on duty is an error, not a year of 0: the next test.)"""
    strata = quotas(PRESETS["baoding-2021"], [], Quarter(2021, 2), inspectors=inspectors)
    general = next(x for x in strata if x.code == "GENERAL")
    assert 4 * general.required >= 5 * inspectors
    assert general.required - 1 < Fraction(5 * inspectors, 4)


def test_baoding_one_to_five_with_no_officer_on_duty_names_the_register():
    """保定 三、（一）“（系统中双随机执法人员数量：被抽查单位数量）”: 0 officers gives no ratio to apply;
    the error names the 执法检查人员名录库 to fill in, instead of a quota of 0."""
    with pytest.raises(PolicyInputMissing) as info:
        quotas(PRESETS["baoding-2021"], [], Quarter(2021, 2), inspectors=0)
    assert "执法检查人员名录库中没有在编在岗的执法人员" in str(info.value)
    assert str(info.value).startswith("baoding-2021.yaml：classes.GENERAL.quota")


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=1, max_value=60))
def test_huojia_general_is_the_larger_requirement_by_default(population, inspectors):
    """获嘉 附件 “不低于5%或不少于人均6家次”: the default reading (bureau default, take: larger)
    requires both; 0 officers on duty is an error (tests/policy/test_year_rules.py)."""
    targets = [
        TargetRecord(id=str(i), credit_code=str(i), name="", fields={}) for i in range(population)
    ]
    results = classify(HUOJIA_SET, targets, [], QUARTER)
    general = next(
        x
        for x in quotas(HUOJIA_SET, results, QUARTER, inspectors=inspectors)
        if x.code == "GENERAL"
    )
    assert general.required == max(math.ceil(Fraction(5, 100) * population), 6 * inspectors)
    assert len(general.alternatives) == 2


# ---- classification ------------------------------------------------------------------------------

ENUMERATED = {name: words for name, words in TARGET_FIELDS.items() if words is not None}


@st.composite
def registers(draw):
    size = draw(st.integers(min_value=0, max_value=25))
    targets, events = [], []
    for i in range(size):
        fields = {name: draw(st.sampled_from(words)) for name, words in ENUMERATED.items()}
        targets.append(
            TargetRecord(
                id=f"T{i}",
                credit_code=f"C{i}",
                name=f"单位{i}",
                fields=fields,
                inspections_this_year=draw(st.integers(min_value=0, max_value=3)),
            )
        )
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            day = dt.date(2024, 1, 1) + dt.timedelta(
                days=draw(st.integers(min_value=-200, max_value=400))
            )
            events.append(EventRecord(f"C{i}", draw(st.sampled_from(EVENT_KINDS)), day))
    return targets, events


def _outcome(preset, targets, events, quarter):
    results = classify(preset, targets, events, quarter)
    by_id = {
        c.target.id: (
            c.class_code,
            c.in_population,
            c.eligible,
            c.reason,
            c.method,
            dict(c.clauses),
        )
        for c in results
    }
    strata = [
        (x.code, x.population, x.eligible, x.required, x.quota, x.basis)
        for x in quotas(preset, results, quarter, inspectors=7)
    ]
    return by_id, strata


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(PRESETS)),
    registers(),
    st.sampled_from([Quarter(2024, 1), Quarter(2024, 2), Quarter(2025, 1), Quarter(2026, 3)]),
    st.randoms(use_true_random=False),
)
def test_classification_is_deterministic_and_independent_of_order(name, register, quarter, rnd):
    preset = HUOJIA_SET if name == "huojia-2024" else PRESETS[name]
    if quarter.start < preset.population.entries[0].since:
        quarter = Quarter.of(preset.population.entries[0].since)
    targets, events = register
    first = _outcome(preset, targets, events, quarter)
    assert _outcome(preset, targets, events, quarter) == first
    shuffled_targets, shuffled_events = list(targets), list(events)
    rnd.shuffle(shuffled_targets)
    rnd.shuffle(shuffled_events)
    assert _outcome(preset, shuffled_targets, shuffled_events, quarter) == first
    # The result follows the order of the input, one result per target.
    results = classify(preset, shuffled_targets, shuffled_events, quarter)
    assert [c.target.id for c in results] == [t.id for t in shuffled_targets]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(PRESETS)), registers())
def test_population_and_eligible_add_up(name, register):
    """Every target not 注销 and inside a class counts once in its class's N; eligible ⊆ population."""
    preset = HUOJIA_SET if name == "huojia-2024" else PRESETS[name]
    quarter = Quarter.of(preset.population.entries[0].since).next()
    targets, events = register
    results = classify(preset, targets, events, quarter)
    strata = quotas(preset, results, quarter, inspectors=3)
    assert sum(x.population for x in strata) == sum(1 for c in results if c.in_population)
    assert sum(x.eligible for x in strata) == sum(1 for c in results if c.eligible)
    for c in results:
        if c.target.fields["经营状态"] == "注销":
            assert (c.class_code, c.in_population, c.eligible, c.reason) == (
                None,
                False,
                False,
                "注销",
            )
        if c.eligible:
            assert c.in_population and c.reason == ""
        else:
            assert c.reason
