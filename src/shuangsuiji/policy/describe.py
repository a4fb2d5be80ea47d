"""Every preset value in Chinese words, as staff and the public read it (issue 19 §2).

``describe(path, value, class_names)`` turns the value a preset (or a bureau's adjustment) keeps
under ``path`` into a sentence: ``{ratio: 10%}`` → “抽查比例 10%（每季度）”,
``{field: 重点排污单位, in: [是]}`` → “重点排污单位 为 是”. The words follow the engine's reading
(``policy.engine``): a page never shows a key, a bracket or a code. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shuangsuiji.policy.engine import TAKE_WORDS
from shuangsuiji.policy.schema import GRADES, kind_of
from shuangsuiji.policy.targets import BY_KEY as TARGET_KINDS

#: A class's name where the preset at hand does not give it (a value naming a class the preset
#: no longer has): the words the shipped presets use for each code.
CLASS_WORDS = {
    "SPECIAL": "特殊监管对象",
    "KEY": "重点监管对象",
    "GENERAL": "一般监管对象",
    "GENERAL_SIMPLIFIED": "一般监管对象（简化管理）",
    "GENERAL_REGISTERED": "一般监管对象（登记管理）",
    "GENERAL_POSITIVE": "正面清单内一般监管对象",
    "CONSTRUCTION": "在建工程建设项目",
    "JOINT": "联合抽查对象",
}
#: ``per`` of a quota or a target.
PERIOD_WORDS = {"quarter": "每季度", "year": "每年", "month": "每月"}
#: ``within`` of an event condition: the records looked at, relative to the quarter drawn.
WITHIN_WORDS = {
    "previous_quarter": "上一季度内",
    "current_quarter": "本季度内（截至抽取日）",
    "same_year": "本年度内（截至抽取日）",
}
#: ``population``: what a class's ratio is taken of.
POPULATION_WORDS = {
    "all_of_class": (
        "按本类别全部对象计算抽查数量（停产、本年度已抽中等暂不可抽取的也计入总数，已注销的不计）"
    ),
    "eligible": "按本类别中可抽取的对象计算抽查数量",
}
#: ``take`` of a quota with alternatives.
TAKE_NAMES = {"larger": "两项均须达到，取较大者", "smaller": "满足其一即可，取较小者"}
GRADE_WORDS = {grade: ("未评定" if grade == "无" else f"{grade} 级") for grade in GRADES}
RECORD_CASES = {"no_violation": "未发现环境违法问题的", "violation": "发现环境违法问题的"}


def class_word(code: str, names: Mapping[str, str] | None = None) -> str:
    return (names or {}).get(code) or CLASS_WORDS.get(code, "其他类别")


def _list(words) -> str:
    return "、".join(str(w) for w in words)


def _one_of(words) -> str:
    words = list(words)
    return _list(words) if len(words) == 1 else f"{_list(words)} 之一"


def describe(path: str, value: Any, names: Mapping[str, str] | None = None) -> str:
    """The value of parameter ``path`` in words; ``names`` the preset's class names by code."""
    kind = kind_of(path)
    if kind.startswith("target."):
        return target_words(kind.split(".", 1)[1], value)
    words = {
        "condition": condition_words,
        "quota": quota_words,
        "methods": lambda v: methods_words(v, names),
        "population": population_words,
        "precedence": str,
        "fallback": fallback_words,
        "partners": _list,
        "no_repeat": no_repeat_words,
        "grading": grading_words,
        "exclusion.annual_cap": lambda v: annual_cap_words(v, names),
        "exclusion.higher_level_clean": higher_level_clean_words,
        "records": records_words,
    }.get(kind)
    if words is None:
        return "（本平台尚不能以文字说明此项取值）"
    return words(value)


def percent_words(text: Any) -> str:
    """“25%” as written in the preset; a number the form gives (Decimal) with its sign."""
    return str(text) if str(text).endswith("%") else f"{text}%"


def quota_words(value: Mapping[str, Any]) -> str:
    if "ratio" in value:
        period = PERIOD_WORDS[value.get("per", "quarter")]
        return f"抽查比例 {percent_words(value['ratio'])}（{period}）"
    if "per_inspector" in value:
        return f"每名执法人员{PERIOD_WORDS[value['per']]} {value['per_inspector']} 家"
    if "coverage" in value:
        return f"全部对象{value['method']}（每季度全覆盖，不抽取）"
    if "either" in value or "min_of" in value:
        parts = value.get("either") or value.get("min_of")
        take = value.get("take", "smaller")
        return "，或".join(quota_words(p) for p in parts) + f"：{TAKE_WORDS[take]}"
    if "set_by_bureau" in value:
        return "抽查比例由本局根据实际自行设定（尚未设定）"
    return "（本平台尚不能以文字说明此项取值）"


def condition_words(value: Mapping[str, Any], depth: int = 0) -> str:
    """A class's condition: the top level's parts numbered (①②③), a part's own parts joined
    by “或” / “且”."""
    if "field" in value:
        return f"{value['field']} 为 {_one_of(value['in'])}"
    if "event" in value:
        text = f"{WITHIN_WORDS[value['within']]}有 {_one_of(value['event'])}"
        if value.get("extended_by"):
            text += (
                f"；此后每季度有 {_one_of(value['extended_by'])} 的继续留在本类，某季度没有即退出"
            )
        return text
    for key, lead, join in (("any", "符合下列任一项", "，或"), ("all", "同时符合下列各项", "，且")):
        if key in value:
            if depth:
                return "（" + join.join(condition_words(p, depth + 1) for p in value[key]) + "）"
            return f"{lead}：" + "；".join(
                f"{n}{condition_words(p, depth + 1)}"
                for n, p in zip(_NUMBERS, value[key], strict=False)
            )
    if "not" in value:
        return f"不符合：{condition_words(value['not'], depth + 1)}"
    if value.get("always") is True:
        return "其余全部对象（不另设条件，按类别顺序最后判定）"
    return "（本平台尚不能以文字说明此项取值）"


_NUMBERS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def methods_words(value: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    text = f"一般采用{value['default']}"
    for rule in value.get("rules") or []:
        text += f"；{method_rule_scope(rule, names)}采用{rule['method']}"
    return text


def method_rule_scope(rule: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Whom a rule of the inspection method applies to: “正面清单内一般监管对象中，符合
    “正面清单 为 是”的，”."""
    scope = ""
    if rule.get("classes"):
        scope = _list(class_word(c, names) for c in rule["classes"]) + "中"
    return f"{scope}符合“{condition_words(rule['when'])}”的，"


def population_words(value: Any) -> str:
    return POPULATION_WORDS.get(value, "（本平台尚不能以文字说明此项取值）")


def fallback_words(value: Mapping[str, Any]) -> str:
    return f"不归入任何类别的对象不列入抽查，原因写作：{value['reason']}"


def no_repeat_words(value: Any) -> str:
    if value:
        return "是：本年度已随机抽中的不再抽取"
    return "否：本年度已随机抽中的仍可再次抽取"


def grading_words(value: Mapping[str, Any]) -> str:
    weights = value["weights"]
    if weights == "set_by_bureau":
        return "按信用等级差别化抽取，各等级的抽取权重由本局设定（尚未设定）"
    parts = "、".join(f"{GRADE_WORDS.get(g, g)} {w}" for g, w in weights.items())
    return f"按信用等级加权抽取，权重：{parts}（1 为同等机会，数越大越容易被抽中）"


def annual_cap_words(value: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    text = f"同一对象每年随机抽查不超过 {value['max']} 次"
    if value.get("exempt"):
        text += f"（{_list(class_word(c, names) for c in value['exempt'])}不受此限）"
    return text


def higher_level_clean_words(value: Mapping[str, Any]) -> str:
    return (
        f"{WITHIN_WORDS[value['within']]}有 {_one_of(value['event'])} 的，不列入本次抽取"
        f"（原因写作：{value['reason']}）"
    )


def records_words(value: Mapping[str, Any]) -> str:
    return "；".join(
        f"{RECORD_CASES[case]}须有 {_list(value[case]) or '（无）'}" for case in RECORD_CASES
    )


def deadline_words(text: Any) -> str:
    month, day = (int(part) for part in str(text).split("-"))
    return f"每年 {month} 月 {day} 日前"


def target_words(key: str, value: Mapping[str, Any]) -> str:
    """A target's requirement: “每季度不低于 35%”, “20 个工作日内”, “每年 3 月 31 日前”."""
    per = PERIOD_WORDS.get(value.get("per", ""), "")
    if key == "inspection_deadline":
        end = {
            "month": "抽取当月月底",
            "quarter": "本季度末（全年一次抽取的任务为当年年底）",
            "year": "当年年底",
        }[value.get("per", "quarter")]
        if "workdays" in value:
            return f"抽取后 {value['workdays']} 个工作日内完成检查，且不晚于{end}"
        return f"{end}前完成检查"
    parts = []
    if "min" in value:
        parts.append(f"{per}不低于 {percent_words(value['min'])}")
    if "min_count" in value:
        unit = "个" if key == "tasks_per_quarter" else "次"
        parts.append(f"{per}不少于 {value['min_count']} {unit}")
    if "deadline" in value:
        parts.append(deadline_words(value["deadline"]))
    if "workdays" in value:
        parts.append(f"{value['workdays']} 个工作日内")
    if "enabled" in value:
        parts.append(f"{per}须执行" if value["enabled"] else "不要求")
    if not parts:
        kind = TARGET_KINDS.get(key)
        return f"{kind.name if kind else '此项目标'}：未设定数值"
    return "，".join(parts)
