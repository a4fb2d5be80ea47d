"""Every value of the five presets in Chinese words (issue 19 §2): no key, bracket or code."""

import re

import pytest

from shuangsuiji.policy import available_presets, load_preset
from shuangsuiji.policy.describe import describe

#: Markup of data a user must never read, and codes: an ASCII word of two letters or more
#: (single letters are the register's grades A–D).
RAW = re.compile(r"[{}\[\]'\"_]|[A-Za-z]{2,}")


def every_value():
    for name in available_presets():
        preset = load_preset(name)
        names = {rule.code: rule.name for rule in preset.classes}
        for parameter in preset.parameters():
            for entry in parameter.entries:
                yield pytest.param(
                    parameter.path, entry.value, names, id=f"{name}:{parameter.path}"
                )


@pytest.mark.parametrize(("path", "value", "names"), list(every_value()))
def test_every_preset_value_reads_as_chinese(path, value, names):
    words = describe(path, value, names)
    assert words.strip()
    assert not RAW.search(words), words
    assert "尚不能以文字说明" not in words


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("classes.KEY.quota", {"ratio": "10%"}, "抽查比例 10%（每季度）"),
        ("classes.JOINT.quota", {"ratio": "100%", "per": "year"}, "抽查比例 100%（每年）"),
        ("classes.GENERAL.quota", {"per_inspector": 5, "per": "year"}, "每名执法人员每年 5 家"),
        (
            "classes.GENERAL.quota",
            {"either": [{"ratio": "5%"}, {"per_inspector": 6, "per": "quarter"}], "take": "larger"},
            "抽查比例 5%（每季度），或每名执法人员每季度 6 家：两项均须达到，取较大者",
        ),
        ("classes.SPECIAL.quota", {"set_by_bureau": "ratio"}, "抽查比例由本局根据实际自行设定（尚未设定）"),
        (
            "classes.GENERAL_POSITIVE.quota",
            {"coverage": "all", "method": "非现场检查"},
            "全部对象非现场检查（每季度全覆盖，不抽取）",
        ),
        ("classes.KEY.condition", {"field": "重点排污单位", "in": ["是"]}, "重点排污单位 为 是"),
        (
            "classes.SPECIAL.condition",
            {"event": ["行政处罚决定", "挂牌督办"], "within": "previous_quarter"},
            "上一季度内有 行政处罚决定、挂牌督办 之一",
        ),
        (
            "classes.SPECIAL.condition",
            {"any": [{"field": "大气绩效评级", "in": ["C", "D"]}, {"field": "其他高风险", "in": ["是"]}]},
            "符合下列任一项：①大气绩效评级 为 C、D 之一；②其他高风险 为 是",
        ),
        ("classes.GENERAL.condition", {"always": True}, "其余全部对象（不另设条件，按类别顺序最后判定）"),
        ("classes.KEY.no_repeat", True, "是：本年度已随机抽中的不再抽取"),
        ("targets.internal_joint_share", {"min": "35%", "per": "quarter"}, "每季度不低于 35%"),
        ("targets.department_joint_count", {"min_count": 3, "per": "year"}, "每年不少于 3 次"),
        ("targets.plan_deadline", {"deadline": "03-31"}, "每年 3 月 31 日前"),
        ("targets.result_publication_workdays", {"workdays": 20}, "20 个工作日内"),
        ("targets.result_publication_monthly", {"enabled": True, "per": "month"}, "每月须执行"),
        (
            "targets.inspection_deadline",
            {"per": "quarter", "workdays": 10},
            "抽取后 10 个工作日内完成检查，且不晚于本季度末（全年一次抽取的任务为当年年底）",
        ),
        (
            "grading",
            {"weights": {"A": 1, "B": 1, "C": 2, "D": 4, "无": 1}},
            "按信用等级加权抽取，权重：A 级 1、B 级 1、C 级 2、D 级 4、未评定 1"
            "（1 为同等机会，数越大越容易被抽中）",
        ),
        (
            "exclusions.annual_cap",
            {"max": 2, "exempt": ["SPECIAL"]},
            "同一对象每年随机抽查不超过 2 次（特殊监管对象不受此限）",
        ),
    ],
)  # fmt: skip
def test_values_in_the_plans_words(path, value, words):
    assert describe(path, value) == words


def test_a_class_is_named_as_the_bureau_names_it():
    value = {"default": "现场检查", "rules": [{"when": {"field": "正面清单", "in": ["是"]},
             "method": "非现场检查", "classes": ["GENERAL_POSITIVE"]}]}  # fmt: skip
    words = describe("methods", value, {"GENERAL_POSITIVE": "正面清单企业"})
    assert words == "一般采用现场检查；正面清单企业中符合“正面清单 为 是”的，采用非现场检查"
