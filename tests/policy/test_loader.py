"""The preset loader: what it refuses, and how a bureau's adjustment is layered on a preset.

Issue 4, "Package": "The loader rejects unknown keys, duplicate keys, values without a reference,
and a query for a date no value covers (``PolicyNotInForce``), with the file and key in the
message." Every rejection below asserts the message starts with the file name and names the key
path, so a bureau editing a copy of a preset can find the line to fix.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shuangsuiji.policy import (
    PolicyError,
    PolicyNotInForce,
    Quarter,
    available_presets,
    classify,
    load_preset,
    load_preset_text,
    quotas,
)
from shuangsuiji.policy.engine import TargetRecord
from shuangsuiji.policy.loader import PRESET_DIR, Reference

SHIPPED = ("baoding-2021", "gaocheng-2026", "huojia-2024", "jiangxian-2025", "zunhua-2024")

# A small but complete preset. Line numbers matter for the duplicate-key tests: keep the layout.
MINIMAL = """\
preset: test
title: 测试方案
document: 测试生态环境局 2024 年“双随机、一公开”监管工作实施方案
issuer: 测试生态环境局
population:
  2024-01-01:
    value: all_of_class
    ref: 二、（五）
precedence:
  2024-01-01:
    value: 按所列顺序判定，先满足者为准。
    ref: {clause: 二、（三）, quote: 以特殊监管对象和一般监管对象的指定条件为准}
classes:
  - code: KEY
    name: 重点监管对象
    condition:
      2024-01-01:
        value: {field: 重点排污单位, in: [是]}
        ref: 二、（三）
    quota:
      2024-01-01:
        value: {ratio: 25%}
        ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}
  - code: GENERAL
    name: 一般监管对象
    condition:
      2024-01-01:
        value: {always: true}
        ref: 二、（三）
    quota:
      2024-01-01:
        value: {ratio: 3%}
        ref: 二、（五）
methods:
  2024-01-01:
    value: {default: 现场检查}
    ref: 二、（六）
"""

KEY_QUOTA_ENTRY = """\
      2024-01-01:
        value: {ratio: 25%}
        ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}
"""
KEY_CONDITION_VALUE = "        value: {field: 重点排污单位, in: [是]}\n"


def variant(old: str, new: str) -> str:
    """MINIMAL with one passage replaced (the passage must occur exactly once)."""
    assert MINIMAL.count(old) == 1, old
    return MINIMAL.replace(old, new)


def rejected(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        load_preset_text(text, "test.yaml")
    message = str(info.value)
    assert message.startswith("test.yaml"), message
    return message


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line of ``text`` that starts (after indent) with needle."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(needle)]
    return found[occurrence - 1]


# ---- what loads ---------------------------------------------------------------------------------


def test_minimal_preset_loads_with_dated_values_and_references():
    preset = load_preset_text(MINIMAL, "test.yaml")
    assert preset.name == "test"
    assert [rule.code for rule in preset.classes] == ["KEY", "GENERAL"]
    entry = preset.class_rule("KEY").quota.at(dt.date(2024, 4, 1))
    assert entry.value == {"ratio": "25%"}
    assert entry.since == dt.date(2024, 1, 1)
    # A mapping ref keeps the quote; the document defaults to the preset's document.
    assert entry.ref == Reference(
        document="测试生态环境局 2024 年“双随机、一公开”监管工作实施方案",
        clause="二、（五）",
        quote="每季度至少对本行政区域内 25%的重点监管对象进行抽查",
    )
    # A bare string ref is the clause.
    assert preset.population.at(dt.date(2024, 1, 1)).ref.clause == "二、（五）"
    assert str(entry.ref) == "《测试生态环境局 2024 年“双随机、一公开”监管工作实施方案》二、（五）"
    assert entry.bureau_default is False


def test_later_dated_value_takes_over_from_its_date():
    text = variant(
        KEY_QUOTA_ENTRY,
        KEY_QUOTA_ENTRY
        + "      2025-01-01:\n        value: {ratio: 30%}\n        ref: 二、（五）\n",
    )
    quota = load_preset_text(text, "test.yaml").class_rule("KEY").quota
    assert quota.at(dt.date(2024, 12, 31)).value == {"ratio": "25%"}
    assert quota.at(dt.date(2025, 1, 1)).value == {"ratio": "30%"}


def test_bureau_default_mark_is_kept():
    text = variant(
        "        ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}\n",
        "        ref: 二、（五）\n        bureau_default: true\n",
    )
    entry = load_preset_text(text, "test.yaml").class_rule("KEY").quota.at(dt.date(2024, 1, 1))
    assert entry.bureau_default is True


@pytest.mark.parametrize(
    "written", ["否", "'false'", "no thanks"], ids=["shi-fou", "quoted-false", "words"]
)
def test_bureau_default_must_be_true_or_false(written):
    """``bureau_default`` marks a value the seed is silent on; it must be ``true`` or ``false``.

    Today any non-empty word is read as true (``bool("否")``), so a bureau that writes
    ``bureau_default: 否`` (or the quoted string ``'false'``) gets the opposite of what it wrote.
    """
    text = variant(
        "        ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}\n",
        f"        ref: 二、（五）\n        bureau_default: {written}\n",
    )
    message = rejected(text)
    assert "classes.KEY.quota.2024-01-01" in message
    assert "bureau_default" in message


# ---- unknown keys -------------------------------------------------------------------------------


def test_unknown_top_level_key():
    message = rejected(MINIMAL + "colour: 绿色\n")
    assert "未知的键 colour" in message


def test_missing_top_level_key():
    text = MINIMAL[: MINIMAL.index("methods:")]
    assert "缺少键 methods" in rejected(text)


def test_unknown_class_level_key():
    message = rejected(
        variant("    name: 重点监管对象\n", "    name: 重点监管对象\n    ratio: 25%\n")
    )
    assert "classes[0]" in message
    assert "未知的键 ratio" in message


def test_unknown_entry_level_key():
    message = rejected(
        variant(
            "        value: {ratio: 25%}\n",
            "        value: {ratio: 25%}\n        since: 2024-01-01\n",
        )
    )
    assert "classes.KEY.quota.2024-01-01" in message
    assert "未知的键 since" in message


def test_unknown_ref_level_key():
    message = rejected(
        variant(
            "ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}",
            "ref: {clause: 二、（五）, page: 3}",
        )
    )
    assert "classes.KEY.quota.2024-01-01.ref" in message
    assert "未知的键 page" in message


def test_unknown_key_inside_a_quota_value():
    message = rejected(variant("value: {ratio: 25%}", "value: {ratio: 25%, rounding: up}"))
    assert "classes.KEY.quota.2024-01-01" in message
    assert "未知的键 rounding" in message


def test_unknown_exclusion_and_target_kinds():
    entry = "  {kind}:\n    2024-01-01:\n      value: {value}\n      ref: 四、（五）\n"
    message = rejected(
        MINIMAL + "exclusions:\n" + entry.format(kind="weekly_cap", value="{max: 1}")
    )
    assert "exclusions" in message
    assert "未知的键 weekly_cap" in message
    message = rejected(MINIMAL + "targets:\n" + entry.format(kind="happiness", value="{min: 99%}"))
    assert "targets" in message
    assert "未知的键 happiness" in message


# ---- duplicate keys -----------------------------------------------------------------------------


def test_duplicate_top_level_key_names_both_lines():
    text = MINIMAL + "title: 另一个标题\n"
    message = rejected(text)
    first, second = line_of(text, "title:"), line_of(text, "title:", 2)
    assert f"第 {second} 行键“title”重复（第 {first} 行已有）" in message


def test_duplicate_effective_date_names_both_lines():
    text = variant(KEY_QUOTA_ENTRY, KEY_QUOTA_ENTRY + KEY_QUOTA_ENTRY.replace("25%", "30%"))
    message = rejected(text)
    first = line_of(text, "value: {ratio: 25%}") - 1
    second = line_of(text, "value: {ratio: 30%}") - 1
    assert f"第 {second} 行键“2024-01-01”重复（第 {first} 行已有）" in message


def test_duplicate_key_inside_a_flow_mapping():
    text = variant("value: {ratio: 25%}", "value: {ratio: 25%, ratio: 30%}")
    message = rejected(text)
    line = line_of(text, "value: {ratio: 25%, ratio: 30%}")
    assert f"第 {line} 行键“ratio”重复（第 {line} 行已有）" in message


# ---- references ---------------------------------------------------------------------------------


def test_value_without_reference():
    text = variant(
        "        ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}\n",
        "",
    )
    message = rejected(text)
    assert "classes.KEY.quota.2024-01-01" in message
    assert "缺少出处 ref" in message


def test_empty_reference_is_no_reference():
    message = rejected(variant("    ref: 二、（六）\n", "    ref: ''\n"))
    assert "methods.2024-01-01" in message
    assert "缺少出处 ref" in message


def test_reference_mapping_without_clause():
    message = rejected(
        variant(
            "ref: {clause: 二、（五）, quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}",
            "ref: {quote: 每季度至少对本行政区域内 25%的重点监管对象进行抽查}",
        )
    )
    assert "classes.KEY.quota.2024-01-01.ref" in message
    assert "缺少键 clause" in message


# ---- values -------------------------------------------------------------------------------------


def test_ratio_written_as_a_float_is_refused():
    message = rejected(variant("value: {ratio: 25%}", "value: {ratio: 0.25}"))
    assert "classes.KEY.quota.2024-01-01.ratio" in message
    assert "比例应写成百分数字符串，如 25%" in message
    assert "0.25" in message


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("25", "比例应写成百分数字符串"),
        ("125%", "比例应在 0% 到 100% 之间"),
        ("abc%", "无法识别的比例"),
    ],
)
def test_other_bad_ratios(written, words):
    message = rejected(variant("value: {ratio: 25%}", f"value: {{ratio: '{written}'}}"))
    assert "classes.KEY.quota.2024-01-01.ratio" in message
    assert words in message


def test_target_share_written_as_a_float_is_refused():
    text = MINIMAL + (
        "targets:\n  internal_joint_share:\n    2024-01-01:\n"
        "      value: {min: 0.35, per: quarter}\n      ref: 二、（二）\n"
    )
    message = rejected(text)
    assert "targets.internal_joint_share.2024-01-01.min" in message
    assert "比例应写成百分数字符串" in message


def test_unknown_class_code():
    message = rejected(variant("  - code: KEY\n", "  - code: VIP\n"))
    assert "classes[0].code" in message
    assert "未知类别“VIP”" in message


def test_duplicate_class_code():
    message = rejected(variant("  - code: GENERAL\n", "  - code: KEY\n"))
    assert "classes[1].code" in message
    assert "类别 KEY 重复" in message


def test_unknown_condition_field():
    message = rejected(
        variant(KEY_CONDITION_VALUE, "        value: {field: 企业规模, in: [大型]}\n")
    )
    assert "classes.KEY.condition.2024-01-01" in message
    assert "未知字段“企业规模”" in message


def test_unknown_condition_value():
    message = rejected(
        variant(KEY_CONDITION_VALUE, "        value: {field: 重点排污单位, in: [可能]}\n")
    )
    assert "classes.KEY.condition.2024-01-01" in message
    assert "字段“重点排污单位”没有取值“可能”" in message


def test_unknown_event_kind_in_a_nested_condition():
    nested = (
        "        value:\n          any:\n            - {field: 重点排污单位, in: [是]}\n"
        "            - {event: [约谈], within: previous_quarter}\n"
    )
    message = rejected(variant(KEY_CONDITION_VALUE, nested))
    assert "classes.KEY.condition.2024-01-01.any[1]" in message
    assert "未知记录类型“约谈”" in message


def test_unknown_event_period():
    message = rejected(
        variant(KEY_CONDITION_VALUE, "        value: {event: [挂牌督办], within: last_month}\n")
    )
    assert "classes.KEY.condition.2024-01-01" in message
    assert "within 应为" in message


def test_unknown_inspection_method():
    message = rejected(
        variant("    value: {default: 现场检查}\n", "    value: {default: 电话检查}\n")
    )
    assert "methods.2024-01-01" in message
    assert "default 应为" in message


def test_effective_date_must_be_a_date():
    message = rejected(
        variant("  2024-01-01:\n    value: all_of_class\n", "  2024年:\n    value: all_of_class\n")
    )
    assert "population" in message
    assert "应为生效日期 YYYY-MM-DD" in message


def test_not_yaml_at_all():
    message = rejected("preset: [unclosed\n")
    assert "YAML 格式错误" in message


# ---- dates no value covers ----------------------------------------------------------------------


def test_query_before_the_first_value_is_not_in_force():
    preset = load_preset_text(MINIMAL, "test.yaml")
    with pytest.raises(PolicyNotInForce) as info:
        preset.class_rule("KEY").quota.at(dt.date(2023, 12, 31))
    message = str(info.value)
    assert message.startswith("test.yaml")
    assert "classes.KEY.quota" in message
    assert "2023-12-31 没有生效的值" in message
    assert "最早自 2024-01-01 起" in message
    assert isinstance(info.value, PolicyError)


def test_classifying_a_quarter_before_the_plan_is_not_in_force():
    preset = load_preset_text(MINIMAL, "test.yaml")
    target = TargetRecord(id="A", credit_code="A", name="甲", fields={"重点排污单位": "是"})
    with pytest.raises(PolicyNotInForce) as info:
        classify(preset, [target], [], Quarter(2023, 4))
    assert str(info.value).startswith("test.yaml：")
    assert "2023-10-01 没有生效的值" in str(info.value)
    results = classify(preset, [target], [], Quarter(2024, 1))
    with pytest.raises(PolicyNotInForce):
        quotas(preset, results, Quarter(2023, 4))


# ---- the shipped presets ------------------------------------------------------------------------


def test_the_five_presets_are_shipped():
    assert available_presets() == list(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_preset_loads_and_cites_a_clause_for_every_value(name):
    preset = load_preset(name)
    assert preset.name == name
    assert preset.source == f"{name}.yaml"
    assert preset.document and preset.title and preset.issuer
    parameters = list(preset.parameters())
    assert len({p.path for p in parameters}) == len(parameters)
    for parameter in parameters:
        assert parameter.entries, parameter.path
        for entry in parameter.entries:
            assert entry.ref.clause.strip(), f"{name} {parameter.path} has no clause"
            assert entry.ref.document.strip()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_preset_loads_from_its_path_too(name):
    assert load_preset(PRESET_DIR / f"{name}.yaml").name == name


def test_unknown_preset_name_lists_the_available_ones():
    with pytest.raises(PolicyError) as info:
        load_preset("tangshan-2030")
    assert "未知的政策预设“tangshan-2030”" in str(info.value)
    assert "zunhua-2024" in str(info.value)


def test_preset_name_must_match_its_file_name(tmp_path):
    path = tmp_path / "zunhua-2025.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_preset(path)
    assert str(info.value).startswith("zunhua-2025.yaml：preset 应为“zunhua-2025”，实为“test”")


# ---- a bureau's adjustment ----------------------------------------------------------------------

BUREAU = Reference(document="某分局党组会议纪要", clause="第 3 项", note="提高重点监管对象抽查比例")


def test_with_value_changes_a_value_from_a_date_on_and_keeps_the_older_value_before():
    preset = load_preset("zunhua-2024")
    adjusted = preset.with_value("classes.KEY.quota", {"ratio": "30%"}, dt.date(2024, 7, 1), BUREAU)
    quota = adjusted.class_rule("KEY").quota
    assert quota.at(dt.date(2024, 6, 30)).value == {"ratio": "25%"}
    assert quota.at(dt.date(2024, 6, 30)).ref.clause == "二、（五）"
    assert quota.at(dt.date(2024, 7, 1)).value == {"ratio": "30%"}
    assert quota.at(dt.date(2024, 7, 1)).ref == BUREAU
    assert quota.at(dt.date(2024, 7, 1)).bureau_default is False
    # The preset itself is unchanged (a bureau's copy is a new object).
    assert preset.class_rule("KEY").quota.at(dt.date(2024, 7, 1)).value == {"ratio": "25%"}
    # Every other class is untouched.
    assert adjusted.class_rule("SPECIAL") == preset.class_rule("SPECIAL")


def test_with_value_on_an_existing_date_replaces_that_entry():
    preset = load_preset("zunhua-2024")
    adjusted = preset.with_value("classes.KEY.quota", {"ratio": "40%"}, dt.date(2024, 1, 1), BUREAU)
    entries = adjusted.class_rule("KEY").quota.entries
    assert [(e.since, e.value) for e in entries] == [(dt.date(2024, 1, 1), {"ratio": "40%"})]


def test_with_value_changes_the_quota_the_engine_computes():
    preset = load_preset("zunhua-2024")
    adjusted = preset.with_value("classes.KEY.quota", {"ratio": "30%"}, dt.date(2024, 7, 1), BUREAU)
    targets = [
        TargetRecord(id=str(i), credit_code=str(i), name="", fields={"重点排污单位": "是"})
        for i in range(10)
    ]

    def key_quota(quarter):
        results = classify(adjusted, targets, [], quarter)
        return next(q for q in quotas(adjusted, results, quarter) if q.code == "KEY")

    assert key_quota(Quarter(2024, 2)).quota == 3  # 25% × 10 = 2.5 → 3
    q3 = key_quota(Quarter(2024, 3))
    assert q3.quota == 3  # 30% × 10 = 3
    assert q3.basis == "30% × 10 家 = 3 家（第 3 项）"


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("classes.KEY.quota", {"ratio": 0.3}, "classes.KEY.quota.ratio：比例应写成百分数字符串"),
        ("classes.KEY.quota", {"ratio": "30%", "per": "month"}, "classes.KEY.quota：per 应为"),
        (
            "classes.KEY.condition",
            {"field": "企业规模", "in": ["大"]},
            "classes.KEY.condition：未知字段",
        ),
        ("population", "some", "population：应为 all_of_class、eligible 之一"),
        ("targets.internal_joint_share", {"min": 0.35}, "targets.internal_joint_share.min"),
    ],
)
def test_with_value_validates_the_new_value_and_names_the_key(path, value, words):
    preset = load_preset("zunhua-2024")
    with pytest.raises(PolicyError) as info:
        preset.with_value(path, value, dt.date(2024, 7, 1), BUREAU)
    assert str(info.value).startswith("zunhua-2024.yaml：")
    assert words in str(info.value)


def test_with_value_for_a_class_the_preset_does_not_have():
    preset = load_preset("zunhua-2024")
    with pytest.raises(PolicyError) as info:
        preset.with_value("classes.JOINT.quota", {"ratio": "100%"}, dt.date(2024, 7, 1), BUREAU)
    assert "没有参数 classes.JOINT.quota" in str(info.value)


@pytest.mark.parametrize("path", ["classes.KEY.ratio", "colour"])
def test_with_value_for_an_unknown_key_path_is_a_policy_error(path):
    """An unknown key path must be a ``PolicyError`` naming the file and the key, as a load is.

    The coordinator's edit page and ``--set`` pass paths typed by people; today the schema's
    validator table is indexed with the path's last part and raises a bare ``KeyError``.
    """
    preset = load_preset("zunhua-2024")
    with pytest.raises(PolicyError) as info:
        preset.with_value(path, {"ratio": "30%"}, dt.date(2024, 7, 1), BUREAU)
    assert str(info.value).startswith("zunhua-2024.yaml")
    assert path in str(info.value)


def test_with_value_adjusts_exclusions_and_targets():
    preset = load_preset("jiangxian-2025")
    day = dt.date(2025, 7, 1)
    adjusted = preset.with_value(
        "exclusions.annual_cap", {"max": 3, "exempt": ["SPECIAL"]}, day, BUREAU
    )
    assert adjusted.exclusions["annual_cap"].at(day).value["max"] == 3
    assert adjusted.exclusions["annual_cap"].at(day - dt.timedelta(days=1)).value["max"] == 2
    adjusted = preset.with_value(
        "targets.result_publication_workdays", {"workdays": 15}, day, BUREAU
    )
    assert adjusted.targets["result_publication_workdays"].at(day).value == {"workdays": 15}
