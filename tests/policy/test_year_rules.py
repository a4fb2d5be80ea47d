"""Caps and classes as the plans say, and every number no plan states marked (issue 17, points
5 and 8), in the pure policy engine.

- 绛县 四、（五） (JX-4.5.c) “同一年度内对同一污染源的抽查次数不超过2次”: the engine compares the
  target's count of 抽查 with the cap; which inspections make that count is the app's (tests/
  planning/test_year_rules.py).
- 绛县 四、（五）3 (JX-4.5.3) “下一季度未发现违法问题则自动退出特殊监管对象名录”: a violation found by
  the 上级 in the quarter keeps a unit in as the bureau's own finding does.
- 获嘉 附件 (HJ-att) “对一般监管对象抽查比例不低于5%或不少于人均6家次”: the “或” is a bureau choice,
  by default the reading that requires more checks; no officer on duty is an error naming the
  register, never a quota of 0.
- The periods over which 遵化 85 %, 获嘉 60 % and 回访 10 % are measured: marked bureau defaults.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.policy import (
    PolicyError,
    PolicyInputMissing,
    PolicyValueMissing,
    Quarter,
    available_presets,
    classify,
    load_preset,
    load_preset_text,
    quotas,
)
from shuangsuiji.policy.engine import EventRecord, TargetRecord
from shuangsuiji.policy.loader import PRESET_DIR, Reference
from tests.support.policy_records import TEMPLATE_DEFAULTS

JX = load_preset("jiangxian-2025")
HJ = load_preset("huojia-2024")
HJ_Q = Quarter(2024, 2)
BUREAU = Reference(document="本局设定", clause="局务会议纪要")
#: 获嘉 with its 特殊监管对象 ratio set, as a bureau must before any quota is computed.
HJ_SET = HJ.with_value("classes.SPECIAL.quota", {"ratio": "20%"}, dt.date(2024, 1, 1), BUREAU)
HJ_GENERAL = "classes.GENERAL.quota"


def target(ident: str, inspections: int = 0, **fields: str) -> TargetRecord:
    return TargetRecord(
        id=ident,
        credit_code=ident,
        name=f"单位{ident}",
        fields={**TEMPLATE_DEFAULTS, **fields},
        inspections_this_year=inspections,
    )


def many(prefix: str, count: int) -> list[TargetRecord]:
    return [target(f"{prefix}{i}") for i in range(count)]


def general_of(preset, targets, inspectors):
    results = classify(preset, targets, [], HJ_Q)
    return next(
        q for q in quotas(preset, results, HJ_Q, inspectors=inspectors) if q.code == "GENERAL"
    )


def either(take: str) -> dict:
    return {"either": [{"ratio": "5%"}, {"per_inspector": 6, "per": "quarter"}], "take": take}


# ---- 绛县 四、（五）：同一污染源同一年度抽查不超过 2 次 -------------------------------------------------


#: 绛县 without its no-repeat rule (四、（五）1–2), so that the cap alone decides: with it, a unit
#: drawn once is out of its class's pool already.
JX_CAP_ONLY = JX.with_value("classes.KEY.no_repeat", False, dt.date(2025, 1, 1), BUREAU).with_value(
    "classes.GENERAL.no_repeat", False, dt.date(2025, 1, 1), BUREAU
)


def test_jiangxian_cap_compares_the_years_random_checks_with_two():
    """JX-4.5.c 绛县 四、（五）“原则上，在同一年度内对同一污染源的抽查次数不超过2次，特殊监管对象不受该
    条款约束”: a 重点排污单位 with 1 抽查 so far stays in the pool, with 2 it leaves it."""
    once, twice = target("A", 1, 重点排污单位="是"), target("B", 2, 重点排污单位="是")
    results = {c.target.id: c for c in classify(JX_CAP_ONLY, [once, twice], [], Quarter(2025, 3))}
    assert results["A"].eligible
    assert not results["B"].eligible and results["B"].reason == "年度已随机抽查2次"
    assert results["B"].clauses["排除"].clause == "四、（五）"


def test_jiangxian_cap_note_says_which_checks_count():
    """JX-4.5.c, JX-3.1 绛县 三、（一）: the nine cases (投诉举报, 上级交办, 突发事件 …) are no 抽查, so
    the preset says the cap counts random checks only; the value (2, 特殊 exempt) is the plan's."""
    entry = JX.exclusions["annual_cap"].at(dt.date(2025, 1, 1))
    assert entry.value == {"max": 2, "exempt": ["SPECIAL"]}
    assert not entry.bureau_default  # the plan's own words: 抽查次数
    assert "随机抽查" in entry.ref.note and "三、（一）" in entry.ref.note
    assert "定向检查" in entry.ref.note and "全覆盖检查" in entry.ref.note


# ---- 绛县 四、（五）3：特殊监管对象的退出 ---------------------------------------------------------------

A = target("A")


def special(events, quarter: str):
    [result] = classify(JX, [A], events, Quarter.parse(quarter))
    return result


def test_a_violation_found_by_the_higher_authority_keeps_a_unit_special():
    """JX-4.5.3 绛县 四、（五）3 “下一季度未发现违法问题则自动退出特殊监管对象名录”: the clause says 未发现
    违法问题, not “本局未发现”. Entered for Q2 by a 挂牌督办 in Q1; in Q2 the 上级 (市局 or 省厅) finds
    a violation the bureau did not: the unit stays special in Q3, and leaves after a clean Q3."""
    events = [
        EventRecord("A", "挂牌督办", dt.date(2026, 2, 10), "晋环督〔2026〕3号"),
        EventRecord("A", "上级检查发现问题", dt.date(2026, 5, 20), "运城市局 2026-05 专项检查"),
    ]
    assert special(events, "2026Q2").class_code == "SPECIAL"
    q3 = special(events, "2026Q3")
    assert q3.class_code == "SPECIAL"
    assert q3.clauses["类别依据"].note == (
        "（挂牌督办 2026-02-10，晋环督〔2026〕3号；其后每季度发现违法问题，未退出："
        "上级检查发现问题 2026-05-20，运城市局 2026-05 专项检查）"
    )
    assert special(events, "2026Q4").class_code == "GENERAL"  # Q3 found nothing: out


def test_own_and_higher_findings_keep_it_in_quarter_after_quarter():
    """JX-4.5.3: Q2 the 上级 finds a violation, Q3 the bureau does: still special in Q4."""
    events = [
        EventRecord("A", "超标排放通报", dt.date(2026, 3, 2)),
        EventRecord("A", "上级检查发现问题", dt.date(2026, 6, 30)),
        EventRecord("A", "本级检查发现问题", dt.date(2026, 7, 1)),
    ]
    assert special(events, "2026Q4").class_code == "SPECIAL"
    assert special(events, "2027Q1").class_code == "GENERAL"


def test_a_clean_higher_inspection_does_not_keep_it_in():
    """JX-4.5.3: 上级检查未发现问题 is no violation found: the unit leaves after the quarter."""
    events = [
        EventRecord("A", "挂牌督办", dt.date(2026, 2, 10)),
        EventRecord("A", "上级检查未发现问题", dt.date(2026, 5, 20)),
    ]
    assert special(events, "2026Q3").class_code == "GENERAL"


def test_a_higher_finding_in_another_quarter_does_not_bridge_a_clean_one():
    """JX-4.5.3: each quarter since entry needs its own violation; one in Q3 does not excuse a
    clean Q2 (the unit left the list for Q3 already)."""
    events = [
        EventRecord("A", "挂牌督办", dt.date(2026, 2, 10)),
        EventRecord("A", "上级检查发现问题", dt.date(2026, 8, 1)),
    ]
    assert special(events, "2026Q3").class_code == "GENERAL"
    assert special(events, "2026Q4").class_code == "GENERAL"


def test_a_penalty_by_the_higher_authority_in_the_quarter_enters_again():
    """JX-4.5.3 “因环境违法问题收到行政处罚……确定为下一季度特殊监管对象”: a penalty (by whoever)
    in the special quarter is an entry of its own and keeps the unit for the next quarter."""
    events = [
        EventRecord("A", "挂牌督办", dt.date(2026, 2, 10)),
        EventRecord("A", "行政处罚决定", dt.date(2026, 6, 3), "运环罚〔2026〕7号"),
    ]
    q3 = special(events, "2026Q3")
    assert q3.class_code == "SPECIAL"
    assert q3.clauses["类别依据"].note == "（行政处罚决定 2026-06-03，运环罚〔2026〕7号）"


def test_the_preset_extends_special_by_both_findings():
    """JX-4.5.3: the preset data say it — own and 上级 findings both extend, with the clause."""
    entry = JX.class_rule("SPECIAL").condition.at(dt.date(2025, 1, 1))
    assert entry.value["extended_by"] == ["本级检查发现问题", "上级检查发现问题"]
    assert entry.ref.clause == "四、（五）3"
    assert "上级检查" in entry.ref.note


# ---- 获嘉 附件：“不低于5%或不少于人均6家次” -----------------------------------------------------------


def test_huojia_or_is_a_marked_bureau_choice_defaulting_to_more_checks():
    """HJ-att 获嘉 附件 “对一般监管对象抽查比例不低于5%或不少于人均6家次”: the notice does not say
    whether “或” lets either suffice; the preset takes the reading that requires more checks,
    marked as the bureau's default with a note naming both readings."""
    entry = HJ.class_rule("GENERAL").quota.at(dt.date(2024, 1, 1))
    assert entry.value == either("larger")
    assert entry.bureau_default
    assert "取较大者" in entry.ref.note and "取较小者" in entry.ref.note
    assert entry.ref.quote == "对一般监管对象抽查比例不低于5%或不少于人均6家次"


def test_huojia_default_reading_meets_both_requirements():
    """HJ-att: 40 targets, 3 officers: 5% × 40 = 2 and 3 × 6 = 18 → 18 (both met)."""
    general = general_of(HJ_SET, many("G", 40), inspectors=3)
    assert general.alternatives == (
        "5% × 40 家 = 2 家（附件）",
        "执法人员 3 人 × 人均 6 家次 = 18 家（附件）",
    )
    assert (general.required, general.quota, general.shortfall) == (18, 18, 0)
    assert general.basis == (
        "5% × 40 家 = 2 家（附件）；执法人员 3 人 × 人均 6 家次 = 18 家（附件）。"
        "两项均须达到，取较大者 18 家（附件）"
    )
    # 500 targets: 25 against 18 → 25.
    assert general_of(HJ_SET, many("G", 500), inspectors=3).required == 25


def test_huojia_bureau_may_choose_either_suffices():
    """HJ-att: the bureau reads “或” as 满足其一即可 (an audited adjustment of its copy, here the
    same ``with_value``): 40 targets, 3 officers → the smaller, 2; the basis says so."""
    adjusted = HJ_SET.with_value(HJ_GENERAL, either("smaller"), dt.date(2024, 4, 1), BUREAU)
    general = general_of(adjusted, many("G", 40), inspectors=3)
    assert (general.required, general.quota) == (2, 2)
    assert general.basis.endswith("两项满足其一即符合方案，取较小者 2 家（局务会议纪要）")
    assert not adjusted.class_rule("GENERAL").quota.at(dt.date(2024, 4, 1)).bureau_default


def test_a_copy_adopted_before_keeps_its_numbers_and_words():
    """HJ-att: a bureau that adopted 获嘉 before froze ``min_of``; it keeps the smaller requirement
    and the basis it always had (adopted copies never change behind a bureau's back)."""
    raw = (PRESET_DIR / "huojia-2024.yaml").read_text(encoding="utf-8")
    old = raw.replace("          either:\n", "          min_of:\n").replace(
        "          take: larger\n", ""
    )
    frozen = load_preset_text(old, "huojia-2024.yaml").with_value(
        "classes.SPECIAL.quota", {"ratio": "20%"}, dt.date(2024, 1, 1), BUREAU
    )
    general = general_of(frozen, many("G", 40), inspectors=3)
    assert (general.required, general.quota) == (2, 2)
    assert general.basis == (
        "5% × 40 家 = 2 家（附件）；执法人员 3 人 × 人均 6 家次 = 18 家（附件）。"
        "两项满足其一即符合方案，取较小者 2 家（附件）"
    )


@pytest.mark.parametrize("take", ["larger", "smaller"])
def test_no_officer_on_duty_is_an_error_naming_the_register(take):
    """HJ-att “不少于人均6家次”: with no enforcement officer on duty the per-officer requirement
    cannot be computed; a quota of 0 would excuse the class from the plan, so it is an error
    naming the 执法检查人员名录库, whichever reading the bureau chose."""
    preset = HJ_SET.with_value(HJ_GENERAL, either(take), dt.date(2024, 1, 1), BUREAU)
    with pytest.raises(PolicyInputMissing) as info:
        general_of(preset, many("G", 40), inspectors=0)
    message = str(info.value)
    assert "执法检查人员名录库中没有在编在岗的执法人员" in message
    assert "一般监管对象" in message and "每名执法人员 6 家" in message


def test_baoding_one_to_five_with_no_officer_is_an_error_too():
    """BD-3.1 保定 三、（一）“按照不低于 1: 5 的比例（系统中双随机执法人员数量：被抽查单位数量）”: no
    officer on duty is the same error, not a year of 0 一般排污单位."""
    preset = load_preset("baoding-2021")
    with pytest.raises(PolicyInputMissing, match="执法检查人员名录库中没有在编在岗的执法人员"):
        quotas(preset, [], Quarter(2021, 2), inspectors=0)


def test_an_inspector_count_not_given_is_still_a_missing_value():
    """HJ-att: the command line without --inspectors asks for the file, as before."""
    with pytest.raises(PolicyValueMissing, match="需要执法人员数"):
        general_of(HJ_SET, many("G", 4), inspectors=None)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=1, max_value=60))
def test_huojia_default_requires_the_larger_and_the_choice_the_smaller(population, inspectors):
    """HJ-att: larger = max(⌈5% × N⌉, 6 × officers); smaller = min of the two."""
    targets = many("G", population)
    by_ratio = math.ceil(Fraction(5, 100) * population)
    assert general_of(HJ_SET, targets, inspectors).required == max(by_ratio, 6 * inspectors)
    smaller = HJ_SET.with_value(HJ_GENERAL, either("smaller"), dt.date(2024, 1, 1), BUREAU)
    assert general_of(smaller, targets, inspectors).required == min(by_ratio, 6 * inspectors)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"either": [{"ratio": "5%"}, {"per_inspector": 6, "per": "quarter"}]}, "缺少键 take"),
        ({**either("larger"), "take": "both"}, "take 应为 larger"),
        ({"either": [{"ratio": "5%"}], "take": "larger"}, "应列出至少两种要求"),
        ({"either": [{"ratio": "5%"}, {"coverage": "all", "method": "现场检查"}], "take": "larger"},
         "每种要求应为 ratio 或 per_inspector"),
    ],
)  # fmt: skip
def test_the_reading_is_checked_like_every_value(value, words):
    """HJ-att: an adjustment of the reading is checked as loading a preset is."""
    with pytest.raises(PolicyError, match=words):
        HJ_SET.with_value(HJ_GENERAL, value, dt.date(2024, 4, 1), BUREAU)


# ---- 方案未写明统计周期的工作目标 ------------------------------------------------------------------

PERIOD_WORDS = {"quarter": "季度", "year": "年", "month": "月"}


@pytest.mark.parametrize(
    ("preset", "key", "value", "clause"),
    [
        ("zunhua-2024", "credit_risk_share", {"min": "85%", "per": "year"}, "二、（三）"),
        ("huojia-2024", "department_joint_task_share", {"min": "60%", "per": "year"}, "二"),
        ("huojia-2024", "revisit_share", {"min": "10%", "per": "quarter"}, "三、（四）"),
    ],
)
def test_periods_no_plan_states_are_marked_bureau_defaults(preset, key, value, clause):
    """ZH-2.3b 遵化 二、（三）“……比例不低于 85%”, HJ-2 获嘉 二 “……60%以上”, HJ-3.4 获嘉 三、（四）“对日常
    监管对象按照 10%的比例进行回访”: the share is the plan's, the period it is measured over is not
    written; the value stays the same and is marked, with a note saying which part is ours."""
    entry = load_preset(preset).targets[key].entries[0]
    assert entry.value == value and entry.ref.clause == clause
    assert entry.bureau_default
    assert "统计周期" in entry.ref.note and value["min"] in entry.ref.note


@pytest.mark.parametrize("name", available_presets())
def test_every_period_a_target_is_measured_over_is_the_plans_or_marked(name):
    """Issue 17 point 8: a share, count or duty measured per period either quotes a plan that says
    the period (每季度, 年度, 每月) or is marked ``bureau_default`` with a note."""
    for key, parameter in load_preset(name).targets.items():
        for entry in parameter.entries:
            per = entry.value.get("per")
            if per is None or not ({"min", "min_count", "enabled"} & set(entry.value)):
                continue
            stated = PERIOD_WORDS[per] in entry.ref.quote
            assert stated or (entry.bureau_default and entry.ref.note), f"{name}: {key}"


# ---- the command line: the same reading and the same error ----------------------------------------


def _workbooks(tmp_path, officers_on_duty: int):
    from tests.support.workbooks import uscc, xlsx

    targets = [["统一社会信用代码", "单位名称", "排污许可管理类别"]]
    targets += [[uscc(i, "410724"), f"一般{i}", "登记管理"] for i in range(1, 41)]
    inspectors = [["姓名", "执法证号", "人员类别", "在编在岗"]]
    inspectors += [[f"执法{n}", f"ZF{n:03d}", "执法人员", "是"] for n in range(officers_on_duty)]
    inspectors += [["专家甲", "ZJ001", "专家", "是"], ["离岗乙", "ZF900", "执法人员", "否"]]
    (tmp_path / "targets.xlsx").write_bytes(xlsx(targets))
    (tmp_path / "inspectors.xlsx").write_bytes(xlsx(inspectors))
    return ["policy", "quota", "--preset", "huojia-2024", "--targets", str(tmp_path / "targets.xlsx"),
            "--inspectors", str(tmp_path / "inspectors.xlsx"), "--quarter", "2024Q2",
            "--set", "SPECIAL.ratio=0.2", "--format", "json"]  # fmt: skip


def _general(capsys, argv):
    import json

    from shuangsuiji.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, (json.loads(out)["strata"][2] if code == 0 else None), err


def test_command_line_reads_or_as_the_preset_and_as_set(tmp_path, capsys):
    """HJ-att on the command line: 40 一般监管对象, 3 officers on duty (an expert and an officer not
    on duty do not count): 18 by default; ``--set GENERAL.take=smaller`` gives 2."""
    argv = _workbooks(tmp_path, 3)
    code, general, _ = _general(capsys, argv)
    assert code == 0 and (general["required"], general["quota"]) == (18, 18)
    assert general["basis"].endswith("两项均须达到，取较大者 18 家（附件）")
    code, general, _ = _general(capsys, [*argv, "--set", "GENERAL.take=smaller"])
    assert code == 0 and (general["required"], general["quota"]) == (2, 2)
    assert general["basis"].endswith("取较小者 2 家（--set GENERAL.take=smaller）")


def test_command_line_refuses_a_register_without_officers_on_duty(tmp_path, capsys):
    """HJ-att: no 在编在岗 执法人员 in the file: exit 1 naming the register, no quota printed."""
    code, _, err = _general(capsys, _workbooks(tmp_path, 0))
    assert code == 1
    assert "执法检查人员名录库中没有在编在岗的执法人员" in err


def test_command_line_take_only_where_the_plan_joins_requirements(tmp_path, capsys):
    """HJ-att: ``take`` is refused for a class whose quota has no “或”."""
    code, _, err = _general(capsys, [*_workbooks(tmp_path, 3), "--set", "KEY.take=smaller"])
    assert code == 1 and "不能设定 take" in err
