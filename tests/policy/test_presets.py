"""One test per rule of each seed plan, on small registers built in code.

Each docstring gives the requirement id (../shared/requirements.md) and quotes the seed clause it
proves. Numbers are exact: quotas are integers computed from exact fractions, and every basis
string is compared in full.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pytest

from shuangsuiji.policy import (
    PolicyValueMissing,
    Quarter,
    available_presets,
    classify,
    compliance_targets,
    load_preset,
    quotas,
)
from shuangsuiji.policy.engine import Classification, EventRecord, Quota, TargetRecord
from shuangsuiji.policy.loader import Preset, Reference
from tests.support.policy_records import TEMPLATE_DEFAULTS

BASE = TEMPLATE_DEFAULTS
PRESETS = {name: load_preset(name) for name in available_presets()}
BUREAU = Reference(document="本局设定", clause="局务会议纪要")


def target(ident: str, inspections: int = 0, **fields: str) -> TargetRecord:
    return TargetRecord(
        id=ident,
        credit_code=f"CODE-{ident}",
        name=f"单位{ident}",
        fields={**BASE, **fields},
        inspections_this_year=inspections,
    )


def many(prefix: str, count: int, **fields: str) -> list[TargetRecord]:
    return [target(f"{prefix}{i}", **fields) for i in range(count)]


def event(ident: str, kind: str, day: str, reference: str = "") -> EventRecord:
    return EventRecord(f"CODE-{ident}", kind, dt.date.fromisoformat(day), reference)


def sort(
    preset: str | Preset,
    targets: Iterable[TargetRecord],
    events: Iterable[EventRecord] = (),
    quarter: str = "",
) -> dict[str, Classification]:
    preset = PRESETS[preset] if isinstance(preset, str) else preset
    results = classify(preset, list(targets), list(events), Quarter.parse(quarter))
    return {c.target.id: c for c in results}


def count(
    preset: str | Preset,
    targets: Iterable[TargetRecord],
    events: Iterable[EventRecord] = (),
    quarter: str = "",
    inspectors: int | None = None,
) -> dict[str, Quota]:
    preset = PRESETS[preset] if isinstance(preset, str) else preset
    q = Quarter.parse(quarter)
    results = classify(preset, list(targets), list(events), q)
    return {x.code: x for x in quotas(preset, results, q, inspectors=inspectors)}


def classes_of(results: dict[str, Classification]) -> dict[str, str | None]:
    return {ident: c.class_code for ident, c in results.items()}


def target_values(name: str, day: dt.date) -> dict[str, tuple[object, str]]:
    return {
        t["code"]: (t["value"], t["clause"].clause) for t in compliance_targets(PRESETS[name], day)
    }


# =================================================================================================
# 遵化 2024 (seeds/000_…)
# =================================================================================================
ZH = "zunhua-2024"
ZH_Q = "2024Q2"


def test_zunhua_three_classes():
    """ZH-2.3 — 二、（三）：“将检查对象分为特殊监管对象、重点监管对象、一般监管对象 3 类。”

    The 一般 class is split by the 正面清单 (二、（五）), so four codes carry the three classes.
    """
    results = sort(
        ZH,
        [
            target("penalised", 排污许可管理类别="简化管理"),
            target("permit-key", 排污许可管理类别="重点管理"),
            target("listed-polluter", 重点排污单位="是"),
            target("positive", 正面清单="是", 排污许可管理类别="简化管理"),
            target("ordinary", 排污许可管理类别="登记管理"),
        ],
        [event("penalised", "行政处罚决定", "2024-03-01")],
        ZH_Q,
    )
    assert classes_of(results) == {
        "penalised": "SPECIAL",
        "permit-key": "KEY",
        "listed-polluter": "KEY",
        "positive": "GENERAL_POSITIVE",
        "ordinary": "GENERAL",
    }
    assert {rule.code for rule in PRESETS[ZH].classes} == {
        "SPECIAL",
        "KEY",
        "GENERAL_POSITIVE",
        "GENERAL",
    }
    assert results["permit-key"].clauses["类别"].clause == "二、（三）"
    assert results["positive"].clauses["类别"].clause == "二、（五）"


def test_zunhua_key_on_the_positive_list_is_general_positive():
    """ZH-2.3 — 二、（三）：“重点监管对象指定条件与特殊监管对象或一般监管对象指定条件相冲突的，应分别以
    特殊监管对象和一般监管对象的指定条件为准。”

    A 重点管理 target (KEY condition) on the 正面清单 (一般 condition) is 一般（正面清单内）.
    """
    results = sort(
        ZH,
        [
            target("A", 排污许可管理类别="重点管理", 正面清单="是"),
            target("B", 重点排污单位="是", 正面清单="是"),
        ],
        quarter=ZH_Q,
    )
    assert classes_of(results) == {"A": "GENERAL_POSITIVE", "B": "GENERAL_POSITIVE"}
    assert results["A"].method == "非现场检查"


def test_zunhua_special_beats_key():
    """ZH-2.3 — 二、（三）：“重点监管对象指定条件与特殊监管对象……指定条件相冲突的，应分别以特殊监管对象……
    的指定条件为准。”"""
    results = sort(
        ZH,
        [
            target("penalised", 排污许可管理类别="重点管理", 重点排污单位="是"),
            target("air-D", 重点排污单位="是", 大气绩效评级="D"),
            target("high-risk", 排污许可管理类别="重点管理", 其他高风险="是"),
        ],
        [event("penalised", "行政处罚决定", "2024-02-15", "遵环罚〔2024〕3号")],
        ZH_Q,
    )
    assert classes_of(results) == {
        "penalised": "SPECIAL",
        "air-D": "SPECIAL",
        "high-risk": "SPECIAL",
    }
    note = results["penalised"].clauses["类别依据"].note
    assert note == "（行政处罚决定 2024-02-15，遵环罚〔2024〕3号）"


def test_zunhua_special_conditions_are_a_marked_bureau_default():
    """ZH-2.3 — 二、（三）：“按照目前检查对象分类条件”（方案未列明特殊、重点监管对象的条件）。

    The preset borrows the conditions 藁城 and 绛县 state and marks them bureau_default, and a
    bureau's own condition replaces them without code.
    """
    preset = PRESETS[ZH]
    day = dt.date(2024, 4, 1)
    assert preset.class_rule("SPECIAL").condition.at(day).bureau_default
    assert preset.class_rule("KEY").condition.at(day).bureau_default
    assert not preset.class_rule("SPECIAL").quota.at(day).bureau_default
    own = preset.with_value(
        "classes.SPECIAL.condition", {"field": "信用等级", "in": ["D"]}, dt.date(2024, 1, 1), BUREAU
    )
    results = sort(
        own, [target("credit-D", 信用等级="D"), target("air-D", 大气绩效评级="D")], quarter=ZH_Q
    )
    assert classes_of(results) == {"credit-D": "SPECIAL", "air-D": "GENERAL"}


def test_zunhua_key_quota_at_least_25_percent():
    """ZH-2.5 — 二、（五）：“重点监管对象：每季度至少对本行政区域内 25%的重点监管对象进行抽查。”"""
    key = count(ZH, many("K", 37, 重点排污单位="是"), quarter=ZH_Q)["KEY"]
    assert (key.population, key.eligible, key.required, key.quota) == (37, 37, 10, 10)
    assert key.basis == "25% × 37 家 = 9.25，向上取整 10 家（二、（五））"
    assert key.kind == "draw"
    assert key.period == "quarter"


def test_zunhua_special_quota_at_least_50_percent():
    """ZH-2.5 — 二、（五）：“特殊监管对象：每季度至少对本行政区域内 50%的特殊监管对象进行抽查。”"""
    special = count(ZH, many("S", 5, 其他高风险="是"), quarter=ZH_Q)["SPECIAL"]
    assert (special.population, special.quota) == (5, 3)
    assert special.basis == "50% × 5 家 = 2.5，向上取整 3 家（二、（五））"


def test_zunhua_general_off_the_list_at_least_3_percent():
    """ZH-2.5 — 二、（五）：“对生态环境监督执法正面清单外的一般监管对象，每季度至少检查 3%。”"""
    general = count(ZH, many("G", 70), quarter=ZH_Q)["GENERAL"]
    assert (general.population, general.quota) == (70, 3)
    assert general.basis == "3% × 70 家 = 2.1，向上取整 3 家（二、（五））"
    general = count(ZH, many("G", 100), quarter=ZH_Q)["GENERAL"]
    assert general.quota == 3
    assert general.basis == "3% × 100 家 = 3 家（二、（五））"


def test_zunhua_positive_list_is_covered_not_drawn():
    """ZH-2.5 — 二、（五）：“对生态环境监督执法正面清单企业采用非现场监管方式进行日常监管，每季度实现全覆盖”。"""
    targets = [
        *many("P", 3, 正面清单="是"),
        target("P-stopped", 正面清单="是", 经营状态="停产"),
        target("off-list"),
    ]
    results = sort(ZH, targets, quarter=ZH_Q)
    positive = count(ZH, targets, quarter=ZH_Q)["GENERAL_POSITIVE"]
    assert positive.kind == "coverage"
    assert positive.method == "非现场检查"
    assert (positive.population, positive.eligible, positive.quota, positive.shortfall) == (
        4,
        3,
        3,
        0,
    )
    assert positive.basis == "一般监管对象（正面清单内） 3 家，每季度非现场检查全覆盖（二、（五））"
    assert {results[f"P{i}"].method for i in range(3)} == {"非现场检查"}
    assert results["off-list"].method == "现场检查"
    assert results["P0"].clauses["检查方式"].clause == "二、（五）"


def test_zunhua_internal_joint_and_credit_risk_targets():
    """ZH-2.2 — 二、（二）：“确保每季度内部联合抽查数量占抽查总数量的比例不低于 35%”；
    ZH-2.3b — 二、（三）：“运用信用风险分级分类开展的抽查次数占抽查企业总次数的比例不低于 85%”；
    ZH-2.5 — 二、（五）：“每季度至少……进行抽查”: no 检查时限 in the plan, so a quarterly task's
    inspections are due by the quarter's end (a marked bureau default)."""
    values = target_values(ZH, dt.date(2024, 4, 1))
    assert values == {
        "inspection_deadline": ({"per": "quarter"}, "二、（五）"),
        "internal_joint_share": ({"min": "35%", "per": "quarter"}, "二、（二）"),
        "credit_risk_share": ({"min": "85%", "per": "year"}, "二、（三）"),
        "result_publication_workdays": ({"workdays": 20}, "四、（七）"),
    }
    names = {t["code"]: t["name"] for t in compliance_targets(PRESETS[ZH], dt.date(2024, 4, 1))}
    assert names["internal_joint_share"] == "内部联合抽查数量占比"
    assert PRESETS[ZH].targets["inspection_deadline"].entries[0].bureau_default


# =================================================================================================
# 保定 2021 (seeds/001_…)
# =================================================================================================
BD = "baoding-2021"
BD_Q = "2021Q2"


def test_baoding_key_is_the_key_polluter_list_at_10_percent():
    """BD-3.1 — 三、（一）：“每季度至少对本行政区 10% 的重点排污单位进行抽查”。

    Only the 重点排污单位 list is KEY in 保定; a 重点管理 permit alone is an 一般排污单位.
    """
    targets = [
        *many("K", 15, 重点排污单位="是"),
        target("permit-only", 排污许可管理类别="重点管理"),
    ]
    results = sort(BD, targets, quarter=BD_Q)
    assert results["K0"].class_code == "KEY"
    assert results["permit-only"].class_code == "GENERAL"
    key = count(BD, targets, quarter=BD_Q, inspectors=4)["KEY"]
    assert (key.population, key.quota) == (15, 2)
    assert key.basis == "10% × 15 家 = 1.5，向上取整 2 家（三、（一））"


def test_baoding_special_sources_with_problems_at_50_percent():
    """BD-3.1 — 三、（一）：“对存在环境违法问题和环境管理问题的污染源纳入特殊监管对象范围，适度提高抽查比例，
    每季度抽查比例不低于 50%。”"""
    targets = [
        target("A", 重点排污单位="是"),
        target("B"),
        target("C", 其他高风险="是"),
        target("D"),
    ]
    events = [
        event("A", "超标排放通报", "2021-03-20"),
        event("B", "上级检查发现问题", "2021-01-05"),
        event("D", "行政处罚决定", "2020-12-30"),  # two quarters before 2021Q2
    ]
    results = sort(BD, targets, events, BD_Q)
    assert classes_of(results) == {"A": "SPECIAL", "B": "SPECIAL", "C": "SPECIAL", "D": "GENERAL"}
    special = count(BD, targets, events, BD_Q, inspectors=4)["SPECIAL"]
    assert (special.population, special.quota) == (3, 2)
    assert special.basis == "50% × 3 家 = 1.5，向上取整 2 家（三、（一））"


def test_baoding_general_is_five_per_inspector_a_year_split_over_four_quarters():
    """BD-3.1 — 三、（一）：“按照不低于 1: 5 的比例（系统中双随机执法人员数量：被抽查单位数量）确定年度一般
    排污单位的抽查数量”。

    9 inspectors × 5 = 45 a year; 45 ÷ 4 = 11.25, so 12 a quarter (4 × 12 = 48 ≥ 45).
    """
    general = count(BD, many("G", 200), quarter=BD_Q, inspectors=9)["GENERAL"]
    assert (general.population, general.required, general.quota) == (200, 12, 12)
    assert general.basis == (
        "执法人员 9 人 × 5 家 = 全年 45 家，分四个季度：45 ÷ 4 = 11.25，向上取整 12 家（三、（一））"
    )
    assert general.period == "quarter"
    general = count(BD, many("G", 200), quarter=BD_Q, inspectors=8)["GENERAL"]
    assert general.quota == 10
    assert (
        general.basis
        == "执法人员 8 人 × 5 家 = 全年 40 家，分四个季度：40 ÷ 4 = 10，向上取整 10 家（三、（一））"
    )


def test_baoding_general_needs_the_inspector_count():
    """BD-3.1 — 三、（一）：“（系统中双随机执法人员数量：被抽查单位数量）”：without the number of inspectors
    the 一般排污单位 quota cannot be computed, and the error says so."""
    with pytest.raises(PolicyValueMissing) as info:
        count(BD, many("G", 20), quarter=BD_Q)
    message = str(info.value)
    assert message.startswith("baoding-2021.yaml：classes.GENERAL.quota")
    assert "执法人员数" in message


def test_baoding_general_shortfall_when_too_few_general_sources():
    """BD-3.1 — 三、（一）：“按照不低于 1: 5 的比例……确定年度一般排污单位的抽查数量”：the quota is capped at
    the eligible count and the shortfall is reported."""
    targets = [*many("G", 5), target("stopped", 经营状态="停产")]
    general = count(BD, targets, quarter=BD_Q, inspectors=9)["GENERAL"]
    assert (general.population, general.eligible, general.required) == (6, 5, 12)
    assert (general.quota, general.shortfall) == (5, 7)
    assert general.basis.endswith("向上取整 12 家（三、（一））；可抽对象仅 5 家，缺口 7 家")


def test_baoding_joint_inspections_and_monthly_publication():
    """BD-3.4 — 三、（四）：“主动发起和积极参与部门联合抽查，年度不少于3次”；
    BD-2 — 二：“每月向社会公示随机抽查结果”；BD-3.3 — 三、（三）：“执法人员在规定时限内对随机抽查对象
    开展现场检查”: the plan names no 时限, so a quarterly task is due by the quarter's end (a marked
    bureau default)."""
    assert target_values(BD, dt.date(2021, 6, 1)) == {
        "inspection_deadline": ({"per": "quarter"}, "三、（三）"),
        "department_joint_count": ({"min_count": 3, "per": "year"}, "三、（四）"),
        "result_publication_monthly": ({"enabled": True, "per": "month"}, "二"),
        "result_publication_workdays": ({"workdays": 20}, "四、（七）"),
    }
    assert PRESETS[BD].targets["inspection_deadline"].entries[0].bureau_default


# =================================================================================================
# 获嘉 2024 (seeds/002_…)
# =================================================================================================
HJ = "huojia-2024"
HJ_Q = "2024Q2"
HJ_SET = PRESETS[HJ].with_value(
    "classes.SPECIAL.quota", {"ratio": "20%"}, dt.date(2024, 1, 1), BUREAU
)


def test_huojia_key_at_least_25_percent():
    """HJ-att — 附件：“每季度对辖区重点监管对象抽查比例不低于25%”。"""
    key = count(HJ_SET, many("K", 37, 排污许可管理类别="重点管理"), quarter=HJ_Q, inspectors=3)[
        "KEY"
    ]
    assert (key.population, key.quota) == (37, 10)
    assert key.basis == "25% × 37 家 = 9.25，向上取整 10 家（附件）"


# 获嘉 附件 “不低于5%或不少于人均6家次” where 6 per officer is the larger (40 units, 3 officers:
# 2 against 18), by default and with the bureau's 满足其一即可, is in tests/policy/test_year_rules.py.


def test_huojia_general_ratio_is_the_larger_by_default_and_per_officer_the_smaller_by_choice():
    """HJ-att — 附件：“对一般监管对象抽查比例不低于5%或不少于人均6家次”：500 targets, 3 inspectors:
    5% × 500 = 25 against 3 × 6 = 18. Both requirements are computed and shown; the “或” is a
    bureau choice, by default the reading that requires more checks (25, marked bureau default);
    a bureau that reads it as 满足其一即可 (``take: smaller``) gets 18."""
    general = count(HJ_SET, many("G", 500), quarter=HJ_Q, inspectors=3)["GENERAL"]
    assert general.alternatives == (
        "5% × 500 家 = 25 家（附件）",
        "执法人员 3 人 × 人均 6 家次 = 18 家（附件）",
    )
    assert (general.required, general.quota) == (25, 25)
    assert general.basis.endswith("两项均须达到，取较大者 25 家（附件）")
    entry = PRESETS[HJ].class_rule("GENERAL").quota.at(dt.date(2024, 4, 1))
    assert entry.bureau_default
    assert "取较大者" in entry.ref.note and "取较小者" in entry.ref.note

    either_suffices = HJ_SET.with_value(
        "classes.GENERAL.quota",
        {"either": [{"ratio": "5%"}, {"per_inspector": 6, "per": "quarter"}], "take": "smaller"},
        dt.date(2024, 1, 1),
        BUREAU,
    )
    general = count(either_suffices, many("G", 500), quarter=HJ_Q, inspectors=3)["GENERAL"]
    assert general.alternatives == (
        "5% × 500 家 = 25 家（局务会议纪要）",
        "执法人员 3 人 × 人均 6 家次 = 18 家（局务会议纪要）",
    )
    assert (general.required, general.quota) == (18, 18)
    assert general.basis.endswith("两项满足其一即符合方案，取较小者 18 家（局务会议纪要）")


def test_huojia_special_ratio_must_be_set_by_the_bureau():
    """HJ-att — 附件：“特殊监管对象根据实际自行设定”：no default; a clear error until the bureau sets it."""
    targets = [target("S", 其他高风险="是"), *many("G", 10)]
    with pytest.raises(PolicyValueMissing) as info:
        count(HJ, targets, quarter=HJ_Q, inspectors=3)
    message = str(info.value)
    assert message.startswith("huojia-2024.yaml：classes.SPECIAL.quota")
    assert "根据实际自行设定" in message
    assert "（附件）" in message
    assert "--set SPECIAL.ratio=20%" in message
    # Classification does not need the ratio.
    assert sort(HJ, targets, quarter=HJ_Q)["S"].class_code == "SPECIAL"


def test_huojia_special_ratio_once_set():
    """HJ-att — 附件：“特殊监管对象根据实际自行设定”：once set (here 20% from 2024-07-01) it applies from that
    date on; earlier quarters still have no ratio."""
    targets = many("S", 7, 大气绩效评级="C")
    adjusted = PRESETS[HJ].with_value(
        "classes.SPECIAL.quota", {"ratio": "20%"}, dt.date(2024, 7, 1), BUREAU
    )
    special = count(adjusted, targets, quarter="2024Q3", inspectors=2)["SPECIAL"]
    assert (special.population, special.quota) == (7, 2)
    assert special.basis == "20% × 7 家 = 1.4，向上取整 2 家（局务会议纪要）"
    with pytest.raises(PolicyValueMissing):
        count(adjusted, targets, quarter="2024Q2", inspectors=2)


def test_huojia_tasks_joint_share_and_revisits():
    """HJ-att — 附件：“每季度开展抽查任务数不少于1次”；HJ-2 — 二：“部门联合抽查任务数占比力争达到总任务数……
    60%以上”；HJ-3.4 — 三、（四）：“对日常监管对象按照 10%的比例进行回访”；附件 gives each task its
    quarter but no 检查时限, so a quarterly task is due by the quarter's end (a marked bureau default)."""
    assert target_values(HJ, dt.date(2024, 4, 1)) == {
        "inspection_deadline": ({"per": "quarter"}, "附件"),
        "tasks_per_quarter": ({"min_count": 1, "per": "quarter"}, "附件"),
        "department_joint_task_share": ({"min": "60%", "per": "year"}, "二"),
        "revisit_share": ({"min": "10%", "per": "quarter"}, "三、（四）"),
        "result_publication_workdays": ({"workdays": 20}, "四、（七）"),
    }
    assert PRESETS[HJ].targets["inspection_deadline"].entries[0].bureau_default


# =================================================================================================
# 藁城 2026 (seeds/003_…)
# =================================================================================================
GC = "gaocheng-2026"
GC_Q = "2026Q2"


def test_gaocheng_general_simplified_5_percent():
    """GC-2.4 — 二、（四）：“一般监管对象：排污许可简化管理类企业季度抽取5%”。"""
    general = count(GC, many("S", 30, 排污许可管理类别="简化管理"), quarter=GC_Q)[
        "GENERAL_SIMPLIFIED"
    ]
    assert (general.population, general.quota) == (30, 2)
    assert general.basis == "5% × 30 家 = 1.5，向上取整 2 家（二、（四））"


def test_gaocheng_general_registered_half_a_percent():
    """GC-2.4 — 二、（四）：“排污登记类企业季度抽取0.5%”：0.5% × 37 = 0.185 → 1."""
    registered = count(GC, many("R", 37, 排污许可管理类别="登记管理"), quarter=GC_Q)[
        "GENERAL_REGISTERED"
    ]
    assert (registered.population, registered.quota) == (37, 1)
    assert registered.basis == "0.5% × 37 家 = 0.185，向上取整 1 家（二、（四））"


def test_gaocheng_key_18_percent():
    """GC-2.4 — 二、（四）：“重点监管对象：排污许可重点管理类企业、重点排污单位名录内企业，季度抽取18%。”"""
    targets = [*many("P", 5, 排污许可管理类别="重点管理"), *many("L", 4, 重点排污单位="是")]
    assert {c.class_code for c in sort(GC, targets, quarter=GC_Q).values()} == {"KEY"}
    key = count(GC, targets, quarter=GC_Q)["KEY"]
    assert (key.population, key.quota) == (9, 2)
    assert key.basis == "18% × 9 家 = 1.62，向上取整 2 家（二、（四））"


def test_gaocheng_special_penalty_in_the_previous_quarter():
    """GC-2.4 — 二、（四）：“特殊管理对象：上一季度被下达行政处罚决定的企业……季度抽取20%。”

    A penalty in 2026Q1 makes a target SPECIAL in 2026Q2; one in 2025Q4 (two quarters ago) or in
    2026Q2 itself does not; other records (挂牌督办) are not this plan's condition.
    """
    fields = {"排污许可管理类别": "简化管理"}
    targets = [
        target("last-quarter", **fields),
        target("first-day", **fields),
        target("last-day", **fields),
        target("two-ago", **fields),
        target("this-quarter", **fields),
        target("supervised", **fields),
    ]
    events = [
        event("last-quarter", "行政处罚决定", "2026-02-10"),
        event("first-day", "行政处罚决定", "2026-01-01"),
        event("last-day", "行政处罚决定", "2026-03-31"),
        event("two-ago", "行政处罚决定", "2025-12-31"),
        event("this-quarter", "行政处罚决定", "2026-04-01"),
        event("supervised", "挂牌督办", "2026-02-10"),
    ]
    assert classes_of(sort(GC, targets, events, GC_Q)) == {
        "last-quarter": "SPECIAL",
        "first-day": "SPECIAL",
        "last-day": "SPECIAL",
        "two-ago": "GENERAL_SIMPLIFIED",
        "this-quarter": "GENERAL_SIMPLIFIED",
        "supervised": "GENERAL_SIMPLIFIED",
    }
    special = count(GC, targets, events, GC_Q)["SPECIAL"]
    assert (special.population, special.quota) == (3, 1)
    assert special.basis == "20% × 3 家 = 0.6，向上取整 1 家（二、（四））"


@pytest.mark.parametrize(
    ("rating", "special"),
    [("C", True), ("D", True), ("B", False), ("A", False), ("引领性", False), ("无", False)],
)
def test_gaocheng_special_air_rating_below_b(rating, special):
    """GC-2.4 — 二、（四）：“大气绩效评级B级以下企业（不含B级）”：C and D are SPECIAL, B and better are not."""
    results = sort(
        GC, [target("A", 排污许可管理类别="重点管理", 大气绩效评级=rating)], quarter=GC_Q
    )
    assert results["A"].class_code == ("SPECIAL" if special else "KEY")


def test_gaocheng_special_other_high_risk():
    """GC-2.4 — 二、（四）：“以及其他环境风险较高企业”：marked by the bureau in the register (其他高风险)."""
    results = sort(GC, [target("A", 排污许可管理类别="登记管理", 其他高风险="是")], quarter=GC_Q)
    assert results["A"].class_code == "SPECIAL"


def test_gaocheng_precedence_general_beats_key():
    """GC-2.3 — 二、（三）：“重点监管对象指定条件与特殊监管对象或一般监管对象指定条件相冲突的，应分别以特殊监管
    对象和一般监管对象的指定条件为准。”

    A 重点排污单位 with a 简化管理 permit is GENERAL_SIMPLIFIED; with 登记管理, GENERAL_REGISTERED; a
    重点管理 target with 大气绩效 D is SPECIAL.
    """
    results = sort(
        GC,
        [
            target("simplified", 重点排污单位="是", 排污许可管理类别="简化管理"),
            target("registered", 重点排污单位="是", 排污许可管理类别="登记管理"),
            target("air-D", 排污许可管理类别="重点管理", 大气绩效评级="D"),
            target("key", 重点排污单位="是", 排污许可管理类别="重点管理"),
        ],
        quarter=GC_Q,
    )
    assert classes_of(results) == {
        "simplified": "GENERAL_SIMPLIFIED",
        "registered": "GENERAL_REGISTERED",
        "air-D": "SPECIAL",
        "key": "KEY",
    }


@pytest.mark.parametrize(
    ("fields", "method"),
    [
        ({"正面清单": "是", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"大气绩效评级": "A", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"大气绩效评级": "B", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"大气绩效评级": "引领性", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"信用等级": "A", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"信用等级": "B", "具备非现场监管条件": "是"}, "非现场检查"),
        ({"正面清单": "是", "大气绩效评级": "A", "信用等级": "A"}, "现场检查"),
        ({"大气绩效评级": "C", "信用等级": "C", "具备非现场监管条件": "是"}, "现场检查"),
        ({"具备非现场监管条件": "是"}, "现场检查"),
        ({}, "现场检查"),
    ],
)
def test_gaocheng_inspection_method(fields, method):
    """GC-2.4 — 二、（四）：“生态环境监督执法正面清单内企业、大气绩效评级B级以上企业（含B级及行业引领性企业）、
    信用等级B级以上企业（含B级）具备非现场检查方式的，一般采取非现场方式核查。”；GC-2.6 — 二、（六）：“对于
    非现场监管设施不完备……的，选择现场检查方式。”"""
    results = sort(GC, [target("A", 排污许可管理类别="简化管理", **fields)], quarter=GC_Q)
    assert results["A"].method == method
    assert results["A"].clauses["检查方式"].clause == "二、（四）、（六）"


def test_gaocheng_quota_reports_the_method_its_targets_get():
    """GC-2.4 — 二、（四）：“……具备非现场检查方式的，一般采取非现场方式核查。”

    When every eligible target of a class is to be checked 非现场, the class's quota (shown by
    ``policy quota`` as “应抽 N（随机抽取，现场检查）”) must not say 现场检查. Today
    ``engine._quota_for`` sets ``method = "现场检查"`` for every drawn class, whatever the preset's
    ``methods`` say.
    """
    targets = many("S", 4, 排污许可管理类别="简化管理", 信用等级="A", 具备非现场监管条件="是")
    assert {c.method for c in sort(GC, targets, quarter=GC_Q).values()} == {"非现场检查"}
    graded = PRESETS[GC].with_value(
        "grading",
        {"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}},
        dt.date(2026, 1, 1),
        BUREAU,
    )
    assert count(graded, targets, quarter=GC_Q)["GENERAL_SIMPLIFIED"].method == "非现场检查"


def test_gaocheng_targets_outside_the_plans_classes_are_excluded_with_a_reason():
    """GC-2.4 — 二、（四）：“一般监管对象：排污许可简化管理类企业季度抽取5%，排污登记类企业季度抽取0.5%……
    重点监管对象：排污许可重点管理类企业、重点排污单位名录内企业，季度抽取18%。”

    The plan sets ratios only for these and for 特殊监管对象; a target with none of them (排污许可 无,
    not on the 重点排污单位 list) is in no class and carries the reason.
    """
    results = sort(GC, [target("none"), target("none-key", 重点排污单位="是")], quarter=GC_Q)
    none = results["none"]
    assert (none.class_code, none.in_population, none.eligible) == (None, False, False)
    assert none.reason.startswith("不属于方案列明的监管类别")
    assert none.clauses["排除"].clause == "二、（四）"
    assert results["none-key"].class_code == "KEY"
    strata = count(GC, [target("none")], quarter=GC_Q)
    assert sum(q.population for q in strata.values()) == 0


def test_gaocheng_quarterly_report():
    """GC-4.4b — 四、（四）：“每季度结束后将上一季度统计表报送市局”; the plan names no 检查时限, so a
    quarterly task is due by the quarter's end, before the report (a marked bureau default)."""
    assert target_values(GC, dt.date(2026, 4, 1)) == {
        "inspection_deadline": ({"per": "quarter"}, "四、（四）"),
        "quarterly_report": ({"enabled": True, "per": "quarter"}, "四、（四）"),
        "result_publication_workdays": ({"workdays": 20}, "四、（七）"),
    }
    assert PRESETS[GC].targets["inspection_deadline"].entries[0].bureau_default


# =================================================================================================
# 绛县 2025 (seeds/004_…)
# =================================================================================================
JX = "jiangxian-2025"
JX_Q = "2025Q2"


def test_jiangxian_five_classes():
    """JX-4.3 — 四、（三）：“将被检查对象科学地分成一般排污单位、重点排污单位、特殊监管对象、在建工程建设项目、
    联合抽查对象五类”。"""
    results = sort(
        JX,
        [
            target("general", 排污许可管理类别="简化管理"),
            target("key", 重点排污单位="是"),
            target("special"),
            target("site", 对象类型="在建工程建设项目"),
            target("plant", 对象类型="城镇污水处理厂", 重点排污单位="是"),
        ],
        [event("special", "举报查实", "2025-03-01")],
        JX_Q,
    )
    assert classes_of(results) == {
        "general": "GENERAL",
        "key": "KEY",
        "special": "SPECIAL",
        "site": "CONSTRUCTION",
        "plant": "JOINT",
    }


def test_jiangxian_general_5_percent():
    """JX-4.5.1 — 四、（五）1：“每季度抽查比例为抽查对象总数的5%，全年抽查4次，全年抽查比例为抽查对象总数的20%”。"""
    general = count(JX, many("G", 86), quarter=JX_Q)["GENERAL"]
    assert (general.population, general.quota) == (86, 5)
    assert general.basis == "5% × 86 家 = 4.3，向上取整 5 家（四、（五）1）"


def test_jiangxian_key_25_percent():
    """JX-4.5.2 — 四、（五）2：“每季度抽查比例为抽查对象总数的25%，全年抽查4次，抽查比例为100%”。"""
    key = count(JX, many("K", 16, 重点排污单位="是"), quarter=JX_Q)["KEY"]
    assert (key.population, key.quota) == (16, 4)
    assert key.basis == "25% × 16 家 = 4 家（四、（五）2）"


@pytest.mark.parametrize("kind", ["挂牌督办", "超标排放通报", "行政处罚决定", "举报查实"])
def test_jiangxian_special_entry_after_an_event_in_the_previous_quarter(kind):
    """JX-4.5.3 — 四、（五）3：“被生态环境部或省厅挂牌督办的，因超标排放被生态环境部或省厅通报的，因环境违法问题
    收到行政处罚或被群众举报查实的，确定为下一季度特殊监管对象”。"""
    results = sort(
        JX,
        [target("A", 重点排污单位="是"), target("quiet", 重点排污单位="是")],
        [event("A", kind, "2025-02-14")],
        JX_Q,
    )
    assert results["A"].class_code == "SPECIAL"
    assert results["A"].clauses["类别"].clause == "四、（五）3"
    assert results["quiet"].class_code == "KEY"  # no event → not SPECIAL


def test_jiangxian_special_automatic_exit_the_quarter_after():
    """JX-4.5.3 — 四、（五）3：“确定为下一季度特殊监管对象，下一季度未发现违法问题则自动退出特殊监管对象名录”。

    A 2025Q1 penalty: SPECIAL in 2025Q2, and (no new record) back to KEY in 2025Q3. A record in
    2025Q2 itself makes it SPECIAL only from 2025Q3.
    """
    targets = [target("A", 重点排污单位="是"), target("B")]
    events = [event("A", "行政处罚决定", "2025-03-10"), event("B", "挂牌督办", "2025-04-02")]
    assert classes_of(sort(JX, targets, events, "2025Q2")) == {"A": "SPECIAL", "B": "GENERAL"}
    assert classes_of(sort(JX, targets, events, "2025Q3")) == {"A": "KEY", "B": "SPECIAL"}
    assert classes_of(sort(JX, targets, events, "2025Q4")) == {"A": "KEY", "B": "GENERAL"}


def test_jiangxian_special_30_percent():
    """JX-4.5.3 — 四、（五）3：“对全县‘双随机、一公开’特殊监管对象名录库企业按每季度抽查一次，抽查比例按30%进行抽查”。"""
    targets = many("S", 4)
    events = [event(f"S{i}", "超标排放通报", "2025-01-20") for i in range(4)]
    special = count(JX, targets, events, JX_Q)["SPECIAL"]
    assert (special.population, special.quota) == (4, 2)
    assert special.basis == "30% × 4 家 = 1.2，向上取整 2 家（四、（五）3）"


def test_jiangxian_construction_projects_100_percent_for_the_year():
    """JX-4.5.4 — 四、（五）4：“一次性抽取全年检查任务，抽查比例为100%”。"""
    construction = count(JX, many("C", 9, 对象类型="在建工程建设项目"), quarter=JX_Q)[
        "CONSTRUCTION"
    ]
    assert (construction.population, construction.quota) == (9, 9)
    assert construction.period == "year"
    assert construction.basis == "全年 100% × 9 家 = 9 家（四、（五）4）"


def test_jiangxian_joint_sewage_plants_with_the_housing_bureau_once_a_year():
    """JX-4.5.5 — 四、（五）5：“由运城市生态环境局绛县分局牵头、绛县城乡和住房建设管理局配合，对本辖区生活污水处理
    中心进行抽查，抽查比例为100%，每年抽查1次”。"""
    joint = count(JX, many("W", 2, 对象类型="城镇污水处理厂"), quarter=JX_Q)["JOINT"]
    assert (joint.population, joint.quota, joint.period) == (2, 2, "year")
    assert joint.basis == "全年 100% × 2 家 = 2 家（四、（五）5）"
    partners = PRESETS[JX].class_rule("JOINT").partners.at(dt.date(2025, 4, 1))
    assert partners.value == ["绛县城乡和住房建设管理局"]
    assert partners.ref.clause == "四、（五）5"


def test_jiangxian_annual_cap_of_two_inspections_special_exempt():
    """JX-4.5.c — 四、（五）：“原则上，在同一年度内对同一污染源的抽查次数不超过2次，特殊监管对象不受该条款约束。”"""
    targets = [
        target("once", 1, 重点排污单位="是"),
        target("twice", 2, 重点排污单位="是"),
        target("thrice", 3),
        target("special-twice", 2),
    ]
    events = [event("special-twice", "举报查实", "2025-03-03")]
    # Without the no-repeat rule of 四、（五）1–2, which would take out "once" too.
    since = dt.date(2025, 1, 1)
    cap_only = (
        load_preset(JX)
        .with_value("classes.KEY.no_repeat", False, since, BUREAU)
        .with_value("classes.GENERAL.no_repeat", False, since, BUREAU)
    )
    results = sort(cap_only, targets, events, JX_Q)
    assert results["once"].eligible
    twice = results["twice"]
    assert (twice.class_code, twice.in_population, twice.eligible) == ("KEY", True, False)
    assert twice.reason == "年度已随机抽查2次"
    assert twice.clauses["排除"].clause == "四、（五）"
    assert results["thrice"].reason == "年度已随机抽查3次"
    special = results["special-twice"]
    assert (special.class_code, special.eligible, special.reason) == ("SPECIAL", True, "")
    key = count(cap_only, targets, events, JX_Q)["KEY"]
    assert (key.population, key.eligible) == (2, 1)


def test_jiangxian_higher_level_clean_inspection_this_year_is_excluded():
    """JX-4.5.x — 四、（五）：“同一年度中已由上级抽查且未发现生态环境问题的，可在随机抽查时予以剔除。”

    This year's clean inspection excludes; last year's does not; one that found a problem does not.
    """
    targets = [target("this-year"), target("last-year"), target("problem")]
    events = [
        event("this-year", "上级检查未发现问题", "2025-02-20", "运城市生态环境局执法检查"),
        event("last-year", "上级检查未发现问题", "2024-11-20"),
        event("problem", "上级检查发现问题", "2025-02-20"),
    ]
    results = sort(JX, targets, events, JX_Q)
    excluded = results["this-year"]
    assert (excluded.class_code, excluded.in_population, excluded.eligible) == (
        "GENERAL",
        True,
        False,
    )
    assert (
        excluded.reason
        == "上级已检查未发现问题（上级检查未发现问题 2025-02-20，运城市生态环境局执法检查）"
    )
    assert excluded.clauses["排除"].clause == "四、（五）"
    assert results["last-year"].eligible
    assert results["problem"].eligible
    general = count(JX, targets, events, JX_Q)["GENERAL"]
    assert (general.population, general.eligible, general.quota) == (3, 2, 1)


def test_jiangxian_plan_and_publication_deadlines():
    """JX-4.1 — 四、（一）：“年度抽查工作计划应于当年 3 月底前制定完成，并应在印发之日起 20 个工作日内向社会公开。”；
    JX-4.7 — 四、（七）：“在完成检查工作并作出检查结果认定之日起20个工作日内，将检查结果……进行公示”；
    JX-4.5.4 — 四、（五）4：“按照市局下发的在建工程建设项目名单和检查时限要求”: the plan gives no
    number of days, so a quarterly task is due by the quarter's end and a yearly one by the year's
    (a marked bureau default)."""
    assert target_values(JX, dt.date(2025, 4, 1)) == {
        "inspection_deadline": ({"per": "quarter"}, "四、（五）4"),
        "plan_deadline": ({"deadline": "03-31"}, "四、（一）"),
        "plan_publication_workdays": ({"workdays": 20}, "四、（一）"),
        "result_publication_workdays": ({"workdays": 20}, "四、（七）"),
    }
    assert PRESETS[JX].targets["inspection_deadline"].entries[0].bureau_default


# =================================================================================================
# All presets
# =================================================================================================
QUARTERS = {ZH: ZH_Q, BD: BD_Q, HJ: HJ_Q, GC: GC_Q, JX: JX_Q}


def run_all(name: str, targets, events=()):
    preset = HJ_SET if name == HJ else PRESETS[name]
    return sort(preset, targets, events, QUARTERS[name]), count(
        preset, targets, events, QUARTERS[name], inspectors=4
    )


@pytest.mark.parametrize("name", list(QUARTERS))
def test_cancelled_targets_are_outside_every_population(name):
    """JX-4.3 — 四、（三）：“根据检查对象存续变动、信息变更、停工停产等情况实施动态调整”（issue 4：“注销 targets
    are excluded”）."""
    targets = [
        target("gone", 排污许可管理类别="重点管理", 重点排污单位="是", 经营状态="注销"),
        target("here", 排污许可管理类别="重点管理", 重点排污单位="是"),
    ]
    results, strata = run_all(name, targets)
    gone = results["gone"]
    assert (gone.class_code, gone.in_population, gone.eligible, gone.reason) == (
        None,
        False,
        False,
        "注销",
    )
    assert sum(q.population for q in strata.values()) == 1


@pytest.mark.parametrize("name", list(QUARTERS))
def test_stopped_targets_count_in_the_population_but_are_not_eligible(name):
    """JX-4.3 — 四、（三）：“根据检查对象存续变动、信息变更、停工停产等情况实施动态调整”；issue 4: the population
    “counts the class's targets that are not 注销; 停产 and excluded targets count but are not eligible”."""
    targets = [
        *many("K", 3, 排污许可管理类别="重点管理", 重点排污单位="是"),
        target("stopped", 排污许可管理类别="重点管理", 重点排污单位="是", 经营状态="停产"),
    ]
    results, strata = run_all(name, targets)
    stopped = results["stopped"]
    assert (stopped.class_code, stopped.in_population, stopped.eligible, stopped.reason) == (
        "KEY",
        True,
        False,
        "停产",
    )
    assert (strata["KEY"].population, strata["KEY"].eligible) == (4, 3)
    assert PRESETS[name].population.at(Quarter.parse(QUARTERS[name]).start).value == "all_of_class"


@pytest.mark.parametrize("name", list(QUARTERS))
def test_quota_never_exceeds_eligible_and_the_shortfall_is_reported(name):
    """ZH-2.5 — 二、（五）：“每季度至少对本行政区域内 50%的特殊监管对象进行抽查”（and each preset's special ratio）：
    with 4 special targets of which 3 stopped, the plan requires ≥1 or ≥2 but only 1 can be drawn."""
    targets = [*many("S", 3, 其他高风险="是", 经营状态="停产"), target("S-open", 其他高风险="是")]
    events = [
        event(t.id, "举报查实", "2024-03-01" if name in (ZH, HJ) else "2025-03-01") for t in targets
    ]
    events += [
        event(t.id, "行政处罚决定", "2021-03-01" if name == BD else "2026-03-01") for t in targets
    ]
    _, strata = run_all(name, targets, events)
    special = strata["SPECIAL"]
    assert (special.population, special.eligible) == (4, 1)
    # 50%, 50%, 20% (set), 20%, 30% of 4 → 2, 2, 1, 1, 2 required; 1 can be drawn.
    assert special.required == {ZH: 2, BD: 2, HJ: 1, GC: 1, JX: 2}[name]
    assert special.quota == 1
    assert special.quota <= special.eligible
    assert special.shortfall == special.required - 1
    if special.shortfall:
        assert special.basis.endswith(f"；可抽对象仅 1 家，缺口 {special.shortfall} 家")


@pytest.mark.parametrize("name", list(QUARTERS))
def test_every_quota_cites_its_clause(name):
    """ZH-2.5, BD-3.1, HJ-att, GC-2.4, JX-4.5.1 — each plan states its ratios clause by clause, e.g. 遵化
    二、（五）：“每季度至少对本行政区域内 25%的重点监管对象进行抽查”. Issue 4, Outputs: “quotas(…) → per class:
    population N, eligible, quota, method, and the arithmetic in words (‘25% × 37 家 = 9.25，向上取整
    10 家（二、（五））’)”: every basis ends with the clause of the value it used.
    """
    preset = HJ_SET if name == HJ else PRESETS[name]
    strata = count(
        preset, many("G", 10, 排污许可管理类别="简化管理"), quarter=QUARTERS[name], inspectors=4
    )
    assert [q.code for q in strata.values()] == [rule.code for rule in preset.classes]
    for q in strata.values():
        # 获嘉's 一般 (10 units, 4 officers × 6 = 24 required) adds “；可抽对象仅 10 家，缺口 14 家”
        # after the arithmetic: the clause ends the arithmetic, the shortfall note follows it.
        arithmetic = q.basis.split("；可抽对象仅")[0]
        assert arithmetic.endswith(f"（{q.clause.clause}）"), q.basis
        if q.shortfall:
            assert q.basis == f"{arithmetic}；可抽对象仅 {q.eligible} 家，缺口 {q.shortfall} 家"
        else:
            assert q.basis == arithmetic
        assert q.clause.clause


@pytest.mark.parametrize("name", list(QUARTERS))
def test_every_classified_target_carries_its_clauses(name):
    """ZH-2.3, GC-2.3, JX-4.3 — 遵化 二、（三）：“将检查对象分为特殊监管对象、重点监管对象、一般监管对象 3 类”.
    Issue 4, Outputs: “classify(targets, events, quarter) → for each target: class, eligibility,
    exclusion reason, inspection method, and the clause(s) that decided each.”
    """
    results, _ = run_all(name, [target("A", 排污许可管理类别="简化管理", 重点排污单位="是")])
    a = results["A"]
    assert a.class_code is not None
    assert a.clauses["类别"].clause
    assert a.clauses["检查方式"].clause
    assert a.method in ("现场检查", "非现场检查", "书面检查")


@pytest.mark.parametrize("name", ["zunhua-2024", "baoding-2021", "huojia-2024", "gaocheng-2026"])
def test_publication_limit_defaults_to_jiangxian_where_a_plan_is_silent(name):
    """JX-4.7 四、（七）“作出检查结果认定之日起20个工作日内……公示”: the other plans set no limit, so
    the preset takes 绛县's as a marked bureau default, citing 绛县's document."""
    entry = load_preset(name).targets["result_publication_workdays"].entries[0]
    assert entry.value == {"workdays": 20} and entry.bureau_default is True
    assert entry.ref.document == "绛县生态环境监管“双随机、一公开”实施方案（绛环发〔2025〕1号）"
    assert entry.ref.clause == "四、（七）"


def test_jiangxian_records_rule():
    """JX-4.6 四、（六）: no violation → 现场检查表 only; violation → 笔录、询问笔录 and 检查表."""
    entry = load_preset("jiangxian-2025").records.at(dt.date(2025, 6, 1))
    assert entry.value == {"no_violation": ["现场检查表"],
                           "violation": ["现场检查表", "现场检查笔录", "询问笔录"]}  # fmt: skip
    assert entry.ref.clause == "四、（六）"
    assert load_preset("zunhua-2024").records is None
