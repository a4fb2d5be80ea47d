"""What each kind of preset value may look like. Every check names the file and key."""

from __future__ import annotations

import functools
from typing import Any

from shuangsuiji.policy.errors import PolicyError
from shuangsuiji.policy.targets import BY_KEY as TARGET_KINDS_BY_KEY
from shuangsuiji.policy.targets import KINDS as TARGET_KINDS

CLASS_CODES = (
    "SPECIAL",
    "KEY",
    "GENERAL",
    "GENERAL_SIMPLIFIED",
    "GENERAL_REGISTERED",
    "GENERAL_POSITIVE",
    "CONSTRUCTION",
    "JOINT",
)

#: The register fields a condition may read (the headers of the target register workbook) and,
#: for enumerations, the words they hold. Kept equal to the register's vocabulary by a test.
TARGET_FIELDS: dict[str, tuple[str, ...] | None] = {
    "对象类型": ("排污单位", "在建工程建设项目", "城镇污水处理厂", "其他"),
    "排污许可管理类别": ("重点管理", "简化管理", "登记管理", "无"),
    "重点排污单位": ("是", "否"),
    "正面清单": ("是", "否"),
    "大气绩效评级": ("A", "B", "引领性", "C", "D", "无"),
    "信用等级": ("A", "B", "C", "D", "无"),
    "具备非现场监管条件": ("是", "否"),
    "其他高风险": ("是", "否"),
    "经营状态": ("存续", "停产", "注销"),
    "行业类别": None,
    "行政区划代码": None,
    "执法片区": None,
}
EVENT_KINDS = (
    "行政处罚决定",
    "挂牌督办",
    "超标排放通报",
    "举报查实",
    "上级检查未发现问题",
    "上级检查发现问题",
    "本级检查发现问题",
)
#: Periods an event condition looks back over, relative to the quarter being drawn.
WITHIN = ("previous_quarter", "same_year", "current_quarter")
#: 检查方式, the one vocabulary: the code the item list stores (``InspectionItem.methods``) and
#: the word presets, inspections, forms and the 统计表 use (``Inspection.method`` holds the word).
METHOD_WORDS = {"onsite": "现场检查", "offsite": "非现场检查", "document": "书面检查"}
METHODS = tuple(METHOD_WORDS.values())
POPULATION = ("all_of_class", "eligible")
EXCLUSION_KINDS = {
    "annual_cap": "同一污染源年度抽查次数上限",
    "higher_level_clean": "上级已检查且未发现问题的剔除",
}
#: Records a result needs before it can be submitted (绛县 四、（六））.
RECORD_KINDS = ("现场检查表", "现场检查笔录", "询问笔录", "照片", "其他材料")

#: The kinds of target a preset may set, by key (``policy.targets`` describes each).
TARGETS = {kind.key: kind.name for kind in TARGET_KINDS}


def _fail(where: str, message: str):
    raise PolicyError(f"{where}：{message}")


def _keys(value: Any, allowed: set[str], where: str, required: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        _fail(where, "应为键值映射")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        _fail(where, f"未知的键 {'、'.join(unknown)}")
    missing = sorted(k for k in required if k not in value)
    if missing:
        _fail(where, f"缺少键 {'、'.join(missing)}")
    return value


def _percent(value: Any, where: str) -> None:
    from shuangsuiji.policy.loader import percent

    percent(value, where)


def _positive_int(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, f"应为非负整数，实为 {value!r}")


def validate_condition(value: Any, where: str) -> None:
    """{field: 重点排污单位, in: [是]} | {event: [挂牌督办], within: previous_quarter}
    | {any: [...]} | {all: [...]} | {not: {...}} | {always: true}"""
    if not isinstance(value, dict) or len(value) == 0:
        _fail(where, "条件应为键值映射")
    if "field" in value:
        _keys(value, {"field", "in"}, where, {"field", "in"})
        name = value["field"]
        if name not in TARGET_FIELDS:
            _fail(where, f"未知字段“{name}”，可用：{'、'.join(TARGET_FIELDS)}")
        words = value["in"]
        if not isinstance(words, list) or not words:
            _fail(where, "in 应为非空列表")
        allowed = TARGET_FIELDS[name]
        for word in words:
            if allowed is not None and word not in allowed:
                _fail(where, f"字段“{name}”没有取值“{word}”，可选：{'、'.join(allowed)}")
    elif "event" in value:
        _keys(value, {"event", "within", "extended_by"}, where, {"event", "within"})
        for kind in value.get("extended_by") or []:
            if kind not in EVENT_KINDS:
                _fail(where, f"未知记录类型“{kind}”，可选：{'、'.join(EVENT_KINDS)}")
        if "extended_by" in value and value["within"] != "previous_quarter":
            _fail(where, "extended_by 只能与 within: previous_quarter 一起使用")
        kinds = value["event"]
        if not isinstance(kinds, list) or not kinds:
            _fail(where, "event 应为非空列表")
        for kind in kinds:
            if kind not in EVENT_KINDS:
                _fail(where, f"未知记录类型“{kind}”，可选：{'、'.join(EVENT_KINDS)}")
        if value["within"] not in WITHIN:
            _fail(where, f"within 应为 {'、'.join(WITHIN)} 之一")
    elif "any" in value or "all" in value:
        key = "any" if "any" in value else "all"
        _keys(value, {key}, where)
        if not isinstance(value[key], list) or not value[key]:
            _fail(where, f"{key} 应为非空条件列表")
        for index, part in enumerate(value[key]):
            validate_condition(part, f"{where}.{key}[{index}]")
    elif "not" in value:
        _keys(value, {"not"}, where)
        validate_condition(value["not"], f"{where}.not")
    elif "always" in value:
        _keys(value, {"always"}, where)
        if value["always"] is not True:
            _fail(where, "always 只能为 true")
    else:
        _fail(where, "条件应含 field、event、any、all、not 或 always 之一")


#: How a quota with alternatives reads the plan's “或” (获嘉 附件 “不低于5%或不少于人均6家次”).
TAKE = ("larger", "smaller")


def validate_quota(value: Any, where: str) -> None:
    """{ratio: 25%} | {ratio: 100%, per: year} | {coverage: all, method: 非现场检查}
    | {per_inspector: 5, per: year} | {either: [...], take: larger} | {set_by_bureau: ratio};
    ``{min_of: [...]}`` (read as ``take: smaller``) stays valid for copies adopted before."""
    if not isinstance(value, dict):
        _fail(where, "抽查比例应为键值映射")
    if "ratio" in value:
        _keys(value, {"ratio", "per"}, where)
        _percent(value["ratio"], f"{where}.ratio")
    elif "per_inspector" in value:
        _keys(value, {"per_inspector", "per"}, where, {"per"})
        _positive_int(value["per_inspector"], f"{where}.per_inspector")
    elif "coverage" in value:
        _keys(value, {"coverage", "method"}, where, {"method"})
        if value["coverage"] != "all":
            _fail(where, "coverage 只能为 all（全覆盖）")
        if value["method"] not in METHODS:
            _fail(where, f"method 应为 {'、'.join(METHODS)} 之一")
    elif "either" in value:
        _keys(value, {"either", "take"}, where, {"either", "take"})
        _alternatives(value["either"], f"{where}.either")
        if value["take"] not in TAKE:
            _fail(
                where,
                "take 应为 larger（两项均须达到，取较大者）或 smaller（满足其一即可，取较小者）",
            )
    elif "min_of" in value:
        _keys(value, {"min_of"}, where)
        _alternatives(value["min_of"], f"{where}.min_of")
    elif "set_by_bureau" in value:
        _keys(value, {"set_by_bureau"}, where)
        if value["set_by_bureau"] != "ratio":
            _fail(where, "set_by_bureau 目前只能为 ratio")
    else:
        _fail(where, "抽查比例应含 ratio、per_inspector、coverage、either、min_of 或 set_by_bureau")
    if "per" in value and value["per"] not in ("quarter", "year"):
        _fail(where, "per 应为 quarter 或 year")


def _alternatives(parts: Any, where: str) -> None:
    """The requirements a plan joins with “或”: each a ratio or a count per inspector."""
    if not isinstance(parts, list) or len(parts) < 2:
        _fail(where, "应列出至少两种要求")
    for index, part in enumerate(parts):
        part_where = f"{where}[{index}]"
        if not isinstance(part, dict) or not ({"ratio", "per_inspector"} & set(part)):
            _fail(part_where, "每种要求应为 ratio 或 per_inspector")
        validate_quota(part, part_where)


def validate_methods(value: Any, where: str) -> None:
    """{default: 现场检查, rules: [{when: {...}, method: 非现场检查}]}"""
    _keys(value, {"default", "rules"}, where, {"default"})
    if value["default"] not in METHODS:
        _fail(where, f"default 应为 {'、'.join(METHODS)} 之一")
    for index, rule in enumerate(value.get("rules") or []):
        rule_where = f"{where}.rules[{index}]"
        _keys(rule, {"when", "method", "classes"}, rule_where, {"when", "method"})
        validate_condition(rule["when"], f"{rule_where}.when")
        if rule["method"] not in METHODS:
            _fail(rule_where, f"method 应为 {'、'.join(METHODS)} 之一")
        for code in rule.get("classes") or []:
            if code not in CLASS_CODES:
                _fail(rule_where, f"未知类别“{code}”")


def validate_population(value: Any, where: str) -> None:
    if value not in POPULATION:
        _fail(where, f"应为 {'、'.join(POPULATION)} 之一")


def validate_precedence(value: Any, where: str) -> None:
    """A sentence saying how conflicts between class conditions are resolved."""
    if not isinstance(value, str) or not value.strip():
        _fail(where, "应为说明类别优先顺序的文字")


def validate_fallback(value: Any, where: str) -> None:
    _keys(value, {"reason"}, where, {"reason"})


def validate_partners(value: Any, where: str) -> None:
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        _fail(where, "应为联合部门名称列表")


#: The register's 信用等级 (A best … D worst; 无 not graded), the grades a draw may weight.
GRADES = TARGET_FIELDS["信用等级"]


def validate_grading(value: Any, where: str) -> None:
    """{weights: set_by_bureau} | {weights: {A: 1, B: 1, C: 2, D: 4, 无: 1}}: each grade's
    draw weight (draw-spec ``weight``, 1–1000; 1 is an equal chance)."""
    _keys(value, {"weights"}, where, {"weights"})
    weights = value["weights"]
    if weights == "set_by_bureau":
        return
    if not isinstance(weights, dict) or set(weights) != set(GRADES):
        _fail(where, f"weights 应为 set_by_bureau，或为每个信用等级（{'、'.join(GRADES)}）的权重")
    for grade, weight in weights.items():
        if type(weight) is not int or not 1 <= weight <= 1000:
            _fail(where, f"信用等级 {grade} 的权重应为 1–1000 的整数，实为“{weight}”")


def validate_no_repeat(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        _fail(where, "应为 true（本年度已随机抽中的不再抽取）或 false")


def validate_annual_cap(value: Any, where: str) -> None:
    _keys(value, {"max", "exempt"}, where, {"max"})
    _positive_int(value["max"], f"{where}.max")
    for code in value.get("exempt") or []:
        if code not in CLASS_CODES:
            _fail(where, f"未知类别“{code}”")


def validate_higher_level_clean(value: Any, where: str) -> None:
    _keys(value, {"event", "within", "reason"}, where, {"event", "within", "reason"})
    validate_condition({"event": value["event"], "within": value["within"]}, where)


def validate_records(value: Any, where: str) -> None:
    """{no_violation: [现场检查表], violation: [现场检查表, 现场检查笔录, 询问笔录]}: the
    attachments an on-site inspection's result needs, by whether a violation was found."""
    _keys(value, {"no_violation", "violation"}, where, {"no_violation", "violation"})
    for key in ("no_violation", "violation"):
        kinds = value[key]
        if not isinstance(kinds, list):
            _fail(where, f"{key} 应为材料名称列表")
        for kind in kinds:
            if kind not in RECORD_KINDS:
                _fail(where, f"未知材料“{kind}”，可选：{'、'.join(RECORD_KINDS)}")


def validate_target(value: Any, where: str, key: str = "") -> None:
    """{min: 35%, per: quarter} | {min_count: 3, per: year} | {deadline: 03-31}
    | {workdays: 20} | {enabled: true}; each kind (``key``) with the values it requires."""
    required = set(TARGET_KINDS_BY_KEY[key].requires) if key else set()
    allowed = {"min", "min_count", "per", "deadline", "workdays", "enabled"}
    if key == "inspection_deadline":
        # The end of the period, or N working days after the draw within it; nothing else.
        allowed = {"per", "workdays"}
    _keys(value, allowed, where, required)
    if "min" in value:
        _percent(value["min"], f"{where}.min")
    if "min_count" in value:
        _positive_int(value["min_count"], f"{where}.min_count")
    if "workdays" in value:
        _positive_int(value["workdays"], f"{where}.workdays")
    if "per" in value and value["per"] not in ("quarter", "year", "month"):
        _fail(where, "per 应为 quarter、year 或 month")
    if "deadline" in value:
        text = str(value["deadline"])
        if len(text) != 5 or text[2] != "-" or not (text[:2] + text[3:]).isdigit():
            _fail(where, "deadline 应写成 MM-DD，如 03-31")
    if not value:
        _fail(where, "目标值不能为空")


VALIDATORS = {
    "condition": validate_condition,
    "quota": validate_quota,
    "methods": validate_methods,
    "population": validate_population,
    "precedence": validate_precedence,
    "fallback": validate_fallback,
    "partners": validate_partners,
    "no_repeat": validate_no_repeat,
    "grading": validate_grading,
    "exclusion.annual_cap": validate_annual_cap,
    "exclusion.higher_level_clean": validate_higher_level_clean,
    "target": validate_target,
    "records": validate_records,
    **{f"target.{key}": functools.partial(validate_target, key=key) for key in TARGET_KINDS_BY_KEY},
}


def kind_of(path: str) -> str:
    """The validator kind for a parameter path such as ``classes.KEY.quota``."""
    if path.startswith("classes."):
        return path.rsplit(".", 1)[1]
    if path.startswith("exclusions."):
        return "exclusion." + path.split(".", 1)[1]
    if path.startswith("targets."):
        return "target." + path.split(".", 1)[1]
    return path
