"""信用风险 grading in sampling: every plan asks for it, none gives the numbers.

遵化 一、（二）“通过设定差别化抽查比例” (ZH-1.2), 保定 三、（六）“对高风险的企业加强监管和抽查频次”,
获嘉 一、“将企业信用风险分级分类结果与‘双随机、一公开’监管深度融合”, 藁城 一、（三）“对不同风险类型
企业采用不同的抽查比例” (GC-1.3), 绛县 四、（五）“并应用信用风险等级分类” (JX-4.5.r). Each preset
cites its clause and leaves the weights to the bureau; a draw with graded units is refused until
they are set, and then each unit's pool weight follows its grade.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shuangsuiji.policy import PolicyValueMissing, Quarter, available_presets, classify, load_preset
from shuangsuiji.policy.engine import TargetRecord
from shuangsuiji.policy.loader import Reference
from tests.support.policy_records import TEMPLATE_DEFAULTS

BUREAU = Reference(document="本局设定", clause="局务会议纪要")
WEIGHTS = {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}
ZH_Q = Quarter(2024, 2)
CLAUSES = {
    "zunhua-2024": "一、（二）",
    "baoding-2021": "三、（六）",
    "huojia-2024": "一、",
    "gaocheng-2026": "一、（三）",
    "jiangxian-2025": "四、（五）1—5",
}


def target(ident: str, grade: str = "无", **fields: str) -> TargetRecord:
    return TargetRecord(
        id=ident, credit_code=ident, name=f"单位{ident}",
        fields={**TEMPLATE_DEFAULTS, "信用等级": grade, **fields},
    )  # fmt: skip


def graded(name: str = "zunhua-2024", weights=None):
    preset = load_preset(name)
    since = preset.population.entries[0].since
    return preset.with_value("grading", {"weights": weights or WEIGHTS}, since, BUREAU)


@pytest.mark.parametrize("name", sorted(CLAUSES))
def test_every_preset_cites_its_clause_and_leaves_the_weights_to_the_bureau(name):
    preset = load_preset(name)
    entry = preset.grading.entries[0]
    assert entry.value == {"weights": "set_by_bureau"}
    assert entry.ref.clause == CLAUSES[name]
    assert "由局设定" in entry.ref.note
    assert sorted(available_presets()) == sorted(CLAUSES)


def test_a_draw_with_graded_units_is_refused_until_the_weights_are_set():
    from shuangsuiji.policy import quotas

    preset = load_preset("zunhua-2024")
    targets = [target("A1", "A"), target("D1", "D"), target("N1")]
    results = classify(preset, targets, [], ZH_Q)
    with pytest.raises(PolicyValueMissing) as refused:
        quotas(preset, results, ZH_Q)
    message = str(refused.value)
    assert message.startswith("zunhua-2024.yaml：grading：")
    assert "（一、（二））" in message and "名录中有 2 家已评定信用等级" in message
    # A register without grades has nothing to weight: equal chances, no refusal.
    ungraded = classify(preset, [target("N1"), target("N2")], [], ZH_Q)
    assert all(q.basis for q in quotas(preset, ungraded, ZH_Q))


def test_each_unit_carries_its_grade_and_weight_and_the_basis_says_so():
    from shuangsuiji.policy import quotas

    preset = graded()
    targets = [target("A1", "A"), target("C1", "C"), target("D1", "D"), target("N1")]
    results = {c.target.id: c for c in classify(preset, targets, [], ZH_Q)}
    assert {k: (c.grade, c.weight) for k, c in results.items()} == {
        "A1": ("A", 1), "C1": ("C", 2), "D1": ("D", 4), "N1": ("无", 1),
    }  # fmt: skip
    general = next(q for q in quotas(preset, list(results.values()), ZH_Q) if q.code == "GENERAL")
    assert general.basis.endswith(
        "；按信用等级加权抽取，权重 A 1、B 1、C 2、D 4、无 1（局务会议纪要）"
    )


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ({"A": 1, "B": 1, "C": 2, "D": 4}, "应为 set_by_bureau，或为每个信用等级"),
        ({**WEIGHTS, "D": 0}, "信用等级 D 的权重应为 1–1000 的整数"),
        ({**WEIGHTS, "D": 1001}, "信用等级 D 的权重应为 1–1000 的整数"),
        ({**WEIGHTS, "C": 1.5}, "信用等级 C 的权重应为 1–1000 的整数"),
    ],
)
def test_bad_weights_are_refused_with_the_rule(weights, words):
    from shuangsuiji.policy import PolicyError

    with pytest.raises(PolicyError) as refused:
        graded(weights=weights)
    assert words in str(refused.value)


def test_weights_take_effect_from_their_date():
    """A bureau that sets the weights from 1 July draws Q2 unweighted (and refused, if graded)
    and Q3 weighted."""
    preset = load_preset("zunhua-2024").with_value(
        "grading", {"weights": WEIGHTS}, dt.date(2024, 7, 1), BUREAU
    )
    (q2,) = classify(preset, [target("D1", "D")], [], ZH_Q)
    (q3,) = classify(preset, [target("D1", "D")], [], Quarter(2024, 3))
    assert (q2.weight, q3.weight) == (1, 4)
