"""The policy editor (issue 19 §2): one parameter of the bureau's policy as labelled fields with
their units, built from the value in force; the value the fields make, checked; and this
quarter's quotas with the changed value, before the 抽查管理员 confirms.

The fields carry the words a user reads (labels, units, choices in Chinese); the keys of the
preset value (``ratio``, ``per`` …) are only the names the browser sends back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from shuangsuiji.bureau.dates import limit_dates
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.params import RangedDateField
from shuangsuiji.planning import labels
from shuangsuiji.policy import PolicyError, Preset, Quarter, classify, quotas
from shuangsuiji.policy.describe import (
    GRADE_WORDS,
    POPULATION_WORDS,
    RECORD_CASES,
    WITHIN_WORDS,
    describe,
    method_rule_scope,
)
from shuangsuiji.policy.loader import DatedValue, Reference
from shuangsuiji.policy.schema import (
    EVENT_KINDS,
    GRADES,
    METHODS,
    RECORD_KINDS,
    TARGET_FIELDS,
    VALIDATORS,
    kind_of,
)
from shuangsuiji.policy.targets import BY_KEY as TARGET_KINDS

QUOTA_PERIODS = [("quarter", "每季度抽取"), ("year", "每年一次性抽取全年")]
INSPECTOR_PERIODS = [("quarter", "每季度"), ("year", "每年")]
TARGET_PERIODS = [("month", "每月"), ("quarter", "每季度"), ("year", "每年")]
YES_NO = [("1", "是"), ("0", "否")]
TAKE_CHOICES = [
    ("larger", "两项均须达到，取较大者"),
    ("smaller", "满足其一即可，取较小者"),
]
NO_REPEAT_CHOICES = [
    ("1", "是：本年度已随机抽中的不再抽取"),
    ("0", "否：本年度已随机抽中的仍可再次抽取"),
]
#: A working-day limit a plan may set (a plan's 20 working days, at most a year's).
WORKDAYS = (1, 250)
COUNTS = (0, 1000)
WEIGHTS = (1, 1000)


# ---------------------------------------------------------------- fields with units


class PercentField(forms.DecimalField):
    """A share typed as a number of percent (“10”, “0.5”, “10%”), 0–100 with up to three decimal
    places; its value is the preset's string form (“10%”)."""

    def __init__(self, *, label: str, **kwargs):
        super().__init__(label=label, max_digits=7, decimal_places=3, **kwargs)
        self.unit = "%"
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 8})
        self.error_messages.update(
            required=f"请填写{label}。",
            invalid=f"{label}请填写数字（百分比），如 10 或 0.5。",
            max_decimal_places=f"{label}最多保留三位小数。",
            max_digits=f"{label}请填写 0 至 100 之间的数。",
            max_whole_digits=f"{label}请填写 0 至 100 之间的数。",
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("%").removesuffix("％").strip()
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not Decimal(0) <= value <= Decimal(100):
            raise ValidationError(
                f"{self.label}须在 0% 至 100% 之间（所填为 {_number(value)}%）。", code="range"
            )

    def prepare_value(self, value):
        if isinstance(value, str) and value.endswith("%"):
            return value[:-1]
        return super().prepare_value(value)


class CountField(forms.IntegerField):
    """A whole number with its unit and limits, refused with both named."""

    def __init__(self, *, label: str, unit: str, limits: tuple[int, int], **kwargs):
        super().__init__(label=label, **kwargs)
        self.unit, self.limits = unit, limits
        self.widget = forms.NumberInput(attrs={"min": limits[0], "max": limits[1], "size": 6})
        self.error_messages.update(
            required=f"请填写{label}。",
            invalid=f"{label}请填写整数" + (f"（单位：{unit}）。" if unit else "。"),
        )

    def validate(self, value):
        super().validate(value)
        low, high = self.limits
        if value is not None and not low <= value <= high:
            raise ValidationError(
                f"{self.label}须在 {low} 至 {high} {self.unit}之间（所填为 {value}）。",
                code="range",
            )


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def percent_text(value: Decimal, old: Any = None) -> str:
    """The preset's form of a share: “18%”; the old string kept when the share is the same."""
    if isinstance(old, str) and old.endswith("%"):
        try:
            if Fraction(old[:-1].strip()) == Fraction(value):
                return old
        except (ValueError, ZeroDivisionError):
            pass
    return f"{_number(value)}%"


def _choice(label: str, choices, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        error_messages={
            "required": f"请选择{label}。",
            "invalid_choice": f"{label}只能从所列选项中选择。",
        },
        **kwargs,
    )


def _radio(label: str, choices, **kwargs) -> forms.ChoiceField:
    return _choice(label, choices, widget=forms.RadioSelect, **kwargs)


def _multiple(label: str, choices, *, required: bool = True, **kwargs):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": f"请至少选择一项{label}。",
            "invalid_choice": f"{label}只能从所列选项中选择。",
        },
        **kwargs,
    )


def _text(label: str, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=kwargs.pop("max_length", 200),
        error_messages={
            "required": f"请填写{label}。",
            "max_length": f"{label}不能超过 %(limit_value)d 个字。",
        },
        **kwargs,
    )


def _words(text: str) -> list[str]:
    return [w.strip() for w in re.split(r"[、，,;；\s]+", text) if w.strip()]


# ---------------------------------------------------------------- the parameter being edited


@dataclass
class Editable:
    """One parameter of the bureau's policy as the editor offers it."""

    path: str
    name: str
    kind: str
    #: The entry in force today (or the first one, for a policy not yet in force).
    entry: DatedValue | None
    entries: tuple[DatedValue, ...] = field(default_factory=tuple)
    #: The plan's own entry behind a value the bureau adjusted (its clause and sentence).
    origin: DatedValue | None = None

    @property
    def value(self) -> Any:
        if self.entry is not None:
            return self.entry.value
        return False  # a class's 不重复抽查 the plan is silent on: repeats allowed

    @property
    def ref(self) -> Reference | None:
        return self.entry.ref if self.entry else None


def editable_paths(preset: Preset) -> list[str]:
    """The parameters a bureau may adjust: every one but the order of the classes (the order
    they are listed in decides it), and 不重复抽查 for classes the plan is silent on."""
    paths = [p.path for p in preset.parameters() if p.path != "precedence"]
    paths += [f"classes.{r.code}.no_repeat" for r in preset.classes if r.no_repeat is None]
    return paths


def editable(preset: Preset, path: str, today: dt.date) -> Editable | None:
    if path not in editable_paths(preset):
        return None
    name = labels.parameter_name(preset, path)
    try:
        parameter = preset.parameter(path)
    except PolicyError:  # no_repeat of a class the plan is silent on
        return Editable(path, name, kind_of(path), None)
    entries = parameter.entries
    current = [e for e in entries if e.since <= today]
    entry = current[-1] if current else entries[0]
    planned = [e for e in entries if e.ref.document == preset.document and e.since <= entry.since]
    origin = planned[-1] if planned and planned[-1] is not entry else None
    return Editable(path, name, kind_of(path), entry, entries, origin)


def read_only_reason(item: Editable) -> str:
    """Why a value is shown but not offered as fields, or "" when it is."""
    if item.kind == "condition":
        value = item.value
        if "field" in value or "event" in value:
            return ""
        if value.get("always") is True:
            return (
                "本类别是按顺序判定的最后一类，收纳其余全部对象，没有可调整的条件。"
                "要改变哪些对象归入本类别，请调整排在前面的各类别的条件。"
            )
        return (
            "本类别的条件由多项组合而成，来自方案原文（见出处），本页只能查看，不能逐项修改。"
            "如方案修订，请系统管理员在本单位政策页采用新版预设原文。"
        )
    return ""


# ---------------------------------------------------------------- the form


class PolicyValueForm(forms.Form):
    """The fields of one parameter's value, then 自何日起生效 and 调整原因."""

    def __init__(self, *args, item: Editable, preset: Preset, organisation, since, **kwargs):
        super().__init__(*args, **kwargs)
        self.item, self.preset = item, preset
        self.names = {rule.code: rule.name for rule in preset.classes}
        self.value_fields: list[str] = []
        builder = getattr(self, f"_build_{item.kind.replace('.', '_')}", None)
        if item.kind.startswith("target."):
            builder = self._build_target
        if builder is not None and not read_only_reason(item):
            builder(item.value)
        self.fields["since"] = RangedDateField(label="自何日起生效", future=True, initial=since)
        self.fields["since"].error_messages.update(
            required="请填写自何日起生效。", invalid="请按 YYYY-MM-DD 填写生效日期。"
        )
        self.fields["reason"] = _text(
            "调整原因",
            max_length=300,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="如“局务会研究决定（2026 年第 3 次）”，公开门户上与调整一同公开。",
        )
        limit_dates(self, organisation)

    @property
    def editable(self) -> bool:
        return bool(self.value_fields)

    def _add(self, name: str, form_field: forms.Field, initial: Any = None) -> None:
        if initial is not None:
            form_field.initial = initial
        self.fields[name] = form_field
        self.value_fields.append(name)

    def value_bound_fields(self):
        return [self[name] for name in self.value_fields]

    def adjustment_bound_fields(self):
        return [self["since"], self["reason"]]

    @property
    def current_words(self) -> str:
        return describe(self.item.path, self.item.value, self.names)

    @property
    def origin_words(self) -> str:
        origin = self.item.origin
        return describe(self.item.path, origin.value, self.names) if origin else ""

    def later(self, today: dt.date) -> list[tuple[dt.date, str]]:
        """Values already set to take effect after today, in words."""
        return [
            (e.since, describe(self.item.path, e.value, self.names))
            for e in self.item.entries
            if e.since > today
        ]

    # Each kind: fields from the current value, and the value back from the cleaned fields.

    def _build_quota(self, value):
        if "ratio" in value or "set_by_bureau" in value:
            self._ratio_fields("", value)
        elif "per_inspector" in value:
            self._per_inspector_fields("", value)
        elif "coverage" in value:
            self._add("method", _choice("检查方式", [(m, m) for m in METHODS]), value["method"])
        else:
            key = "either" if "either" in value else "min_of"
            for index, part in enumerate(value[key]):
                if "ratio" in part:
                    self._ratio_fields(f"_{index}", part, f"第 {index + 1} 项：")
                else:
                    self._per_inspector_fields(f"_{index}", part, f"第 {index + 1} 项：")
            if key == "either":
                self._add("take", _radio("两项的关系", TAKE_CHOICES), value["take"])

    def _ratio_fields(self, suffix, value, prefix=""):
        ratio = value.get("ratio")
        self._add(f"ratio{suffix}", PercentField(label=f"{prefix}抽查比例"), ratio)
        self._add(
            f"per{suffix}",
            _choice(f"{prefix}抽取周期", QUOTA_PERIODS),
            value.get("per", "quarter"),
        )

    def _per_inspector_fields(self, suffix, value, prefix=""):
        self._add(
            f"per_inspector{suffix}",
            CountField(label=f"{prefix}每名执法人员抽查", unit="家", limits=COUNTS),
            value["per_inspector"],
        )
        self._add(f"per{suffix}", _choice(f"{prefix}计算周期", INSPECTOR_PERIODS), value["per"])

    def _value_quota(self, data, old):
        if "coverage" in old:
            return {"coverage": "all", "method": data["method"]}
        if "ratio" in old or "set_by_bureau" in old:
            return self._ratio_value("", data, old)
        if "per_inspector" in old:
            return self._per_inspector_value("", data)
        key = "either" if "either" in old else "min_of"
        parts = [
            self._ratio_value(f"_{i}", data, part)
            if "ratio" in part
            else self._per_inspector_value(f"_{i}", data)
            for i, part in enumerate(old[key])
        ]
        return {"either": parts, "take": data["take"]} if key == "either" else {"min_of": parts}

    def _ratio_value(self, suffix, data, old):
        value: dict[str, Any] = {"ratio": percent_text(data[f"ratio{suffix}"], old.get("ratio"))}
        if "per" in old or data[f"per{suffix}"] != "quarter":
            value["per"] = data[f"per{suffix}"]
        return value

    def _per_inspector_value(self, suffix, data):
        return {"per_inspector": data[f"per_inspector{suffix}"], "per": data[f"per{suffix}"]}

    def _build_target(self, value):
        key = self.item.kind.split(".", 1)[1]
        kind = TARGET_KINDS[key]
        keys = set(value) | set(kind.requires)
        if key == "inspection_deadline":
            self._add("per", _choice("完成检查的期限", _DEADLINE_PERIODS), value.get("per"))
            self._add(
                "workdays",
                CountField(
                    label="抽取后几个工作日内完成",
                    unit="个工作日",
                    limits=WORKDAYS,
                    required=False,
                    help_text="不填则以上面的期末为限；填写的，以抽取后第几个工作日与期末中较早者为限。",
                ),
                value.get("workdays"),
            )
            return
        if "min" in keys:
            self._add("min", PercentField(label="不低于"), value.get("min"))
        if "min_count" in keys:
            unit = "个" if key == "tasks_per_quarter" else "次"
            self._add(
                "min_count",
                CountField(label="不少于", unit=unit, limits=COUNTS),
                value.get("min_count"),
            )
        if "deadline" in keys:
            month, day = (int(p) for p in str(value.get("deadline", "03-31")).split("-"))
            self._add(
                "deadline_month", CountField(label="期限：月", unit="月", limits=(1, 12)), month
            )
            self._add("deadline_day", CountField(label="期限：日", unit="日", limits=(1, 31)), day)
        if "workdays" in keys:
            self._add(
                "workdays",
                CountField(label="期限", unit="个工作日", limits=WORKDAYS),
                value.get("workdays"),
            )
        if "enabled" in keys:
            self._add(
                "enabled",
                _radio("是否执行", YES_NO),
                "1" if value.get("enabled", True) else "0",
            )
        if "per" in keys:
            self._add("per", _choice("计算周期", TARGET_PERIODS), value.get("per"))

    def _value_target(self, data, old):
        value = {}
        for name in self.value_fields:
            if name in ("deadline_month", "deadline_day"):
                continue
            if name == "enabled":
                value["enabled"] = data["enabled"] == "1"
            elif name == "min":
                value["min"] = percent_text(data["min"], old.get("min"))
            elif data.get(name) is not None:
                value[name] = data[name]
        if "deadline_month" in self.value_fields:
            month, day = data["deadline_month"], data["deadline_day"]
            value["deadline"] = f"{month:02d}-{day:02d}"
        return value

    def _build_no_repeat(self, value):
        self._add("no_repeat", _radio("本年度已随机抽中的不再抽取", NO_REPEAT_CHOICES))
        self.fields["no_repeat"].initial = "1" if value else "0"

    def _value_no_repeat(self, data, old):
        return data["no_repeat"] == "1"

    def _build_grading(self, value):
        weights = value["weights"] if isinstance(value["weights"], dict) else {}
        for index, grade in enumerate(GRADES):
            self._add(
                f"weight_{index}",
                CountField(
                    label=f"信用等级 {GRADE_WORDS[grade]} 的抽取权重",
                    unit="",
                    limits=WEIGHTS,
                    help_text="1 为同等机会，数越大越容易被抽中。",
                ),
                weights.get(grade, 1),
            )

    def _value_grading(self, data, old):
        return {"weights": {grade: data[f"weight_{i}"] for i, grade in enumerate(GRADES)}}

    def _build_exclusion_annual_cap(self, value):
        self._add(
            "max",
            CountField(label="同一对象每年随机抽查不超过", unit="次", limits=(1, 100)),
            value["max"],
        )
        classes = [(rule.code, rule.name) for rule in self.preset.classes]
        self._add("exempt", _multiple("不受此限的类别", classes, required=False))
        self.fields["exempt"].initial = list(value.get("exempt") or [])

    def _value_exclusion_annual_cap(self, data, old):
        value: dict[str, Any] = {"max": data["max"]}
        if data["exempt"] or "exempt" in old:
            value["exempt"] = list(data["exempt"])
        return value

    def _build_exclusion_higher_level_clean(self, value):
        kinds = [(k, k) for k in EVENT_KINDS]
        self._add("event", _multiple("监管记录", kinds), list(value["event"]))
        self._add("within", _choice("记录的期间", list(WITHIN_WORDS.items())), value["within"])
        self._add("exclusion_reason", _text("剔除原因（写入抽取名单）"), value["reason"])

    def _value_exclusion_higher_level_clean(self, data, old):
        return {
            "event": list(data["event"]),
            "within": data["within"],
            "reason": data["exclusion_reason"].strip(),
        }

    def _build_records(self, value):
        kinds = [(k, k) for k in RECORD_KINDS]
        for case, words in RECORD_CASES.items():
            self._add(case, _multiple(f"{words}须有", kinds, required=False), list(value[case]))

    def _value_records(self, data, old):
        return {case: list(data[case]) for case in RECORD_CASES}

    def _build_partners(self, value):
        self._add(
            "partners",
            _text("联合检查部门", help_text="多个部门用“、”分隔。"),
            "、".join(value),
        )

    def _value_partners(self, data, old):
        return _words(data["partners"])

    def _build_population(self, value):
        self._add("population", _radio("抽查比例的基数", list(POPULATION_WORDS.items())), value)

    def _value_population(self, data, old):
        return data["population"]

    def _build_fallback(self, value):
        self._add("fallback_reason", _text("不列入抽查的原因（写入分类结果）"), value["reason"])

    def _value_fallback(self, data, old):
        return {"reason": data["fallback_reason"].strip()}

    def _build_methods(self, value):
        choices = [(m, m) for m in METHODS]
        self._add("default", _choice("一般采用的检查方式", choices), value["default"])
        for index, rule in enumerate(value.get("rules") or []):
            self._add(
                f"rule_{index}",
                _choice(f"{method_rule_scope(rule, self.names)}采用", choices),
                rule["method"],
            )

    def _value_methods(self, data, old):
        value: dict[str, Any] = {"default": data["default"]}
        if "rules" in old:
            value["rules"] = [
                {**rule, "method": data[f"rule_{i}"]} for i, rule in enumerate(old["rules"])
            ]
        return value

    def _build_condition(self, value):
        if "field" in value:
            column = value["field"]
            allowed = TARGET_FIELDS.get(column)
            label = f"名录中“{column}”为以下之一的归入本类别"
            if allowed:
                self._add("values", _multiple(label, [(w, w) for w in allowed]), value["in"])
            else:
                self._add(
                    "values",
                    _text(label, help_text="多个取值用“、”分隔。"),
                    "、".join(value["in"]),
                )
        else:
            kinds = [(k, k) for k in EVENT_KINDS]
            self._add("event", _multiple("有以下监管记录之一", kinds), list(value["event"]))
            if "extended_by" in value:
                # Entry in the previous quarter, kept while each quarter finds a violation:
                # the period is part of that rule and stays.
                self._add(
                    "extended_by",
                    _multiple("此后每季度有以下记录之一的继续留在本类", kinds),
                    list(value["extended_by"]),
                )
            else:
                self._add(
                    "within", _choice("记录的期间", list(WITHIN_WORDS.items())), value["within"]
                )

    def _value_condition(self, data, old):
        if "field" in old:
            words = data["values"]
            words = _words(words) if isinstance(words, str) else list(words)
            return {"field": old["field"], "in": words}
        value = {**old, "event": list(data["event"])}
        if "extended_by" in old:
            value["extended_by"] = list(data["extended_by"])
        else:
            value["within"] = data["within"]
        return value

    # ------------------------------------------------------------ checking

    def clean(self):
        data = super().clean()
        if not self.editable or any(name in self.errors for name in self.value_fields):
            return data
        kind = self.item.kind.replace(".", "_")
        if self.item.kind.startswith("target."):
            kind = "target"
        try:
            value = getattr(self, f"_value_{kind}")(data, self.item.value)
        except (KeyError, TypeError, InvalidOperation):
            raise ValidationError("请完整填写各项。") from None
        problem = self._problem(value, data)
        if problem:
            raise ValidationError(problem)
        data["value"] = value
        since = data.get("since")
        if since is not None and value == self._in_force(since):
            raise ValidationError(f"所填取值与 {since:%Y-%m-%d} 起生效的取值相同，无需调整。")
        return data

    def _problem(self, value, data) -> str:
        """A rule the fields alone cannot hold, in words; then the preset's own check."""
        if self.item.kind == "exclusion.higher_level_clean" and not value["reason"]:
            return "请填写剔除原因。"
        if self.item.kind == "fallback" and not value["reason"]:
            return "请填写不列入抽查的原因。"
        if self.item.kind == "partners" and not value:
            return "请填写至少一个联合检查部门。"
        if self.item.kind == "condition" and "field" in value and not value["in"]:
            return f"请填写“{value['field']}”的取值。"
        if isinstance(value, dict) and "deadline" in value:
            try:
                dt.date(2025, data["deadline_month"], data["deadline_day"])
            except ValueError:
                return (
                    f"期限 {data['deadline_month']} 月 {data['deadline_day']} 日不存在"
                    "（2 月 29 日也不能用，平年没有这一天）。"
                )
        try:
            VALIDATORS[kind_of(self.item.path)](value, self.item.name)
        except PolicyError as error:
            return f"取值不合要求：{readable(str(error))}"
        return ""

    def _in_force(self, since: dt.date) -> Any:
        current = None
        for entry in self.item.entries:
            if entry.since <= since:
                current = entry.value
        return current

    # ------------------------------------------------------------ what the preview shows

    def change_words(self) -> tuple[str, str]:
        old = self._in_force(self.cleaned_data["since"])
        old_words = describe(self.item.path, old, self.names) if old is not None else "（未规定）"
        return old_words, describe(self.item.path, self.cleaned_data["value"], self.names)


_DEADLINE_PERIODS = [
    ("quarter", "本季度末（全年一次抽取的任务为当年年底）"),
    ("month", "抽取当月月底"),
    ("year", "当年年底"),
]


_CODE = re.compile(r"[A-Za-z0-9_./\-\[\]]*[A-Za-z_][A-Za-z0-9_./\-\[\]]*")


def readable(message: str) -> str:
    """A policy message without the file and key it names for developers (``…yaml：classes
    .KEY.quota：``) nor a command-line hint (``（如 --set …）``)."""
    message = re.sub(r"（如 --set [^）]*）", "", message)
    parts = message.split("：")
    kept = [p for p in parts if not _CODE.fullmatch(p.strip())]
    return "：".join(kept).strip("：") or "取值不合要求。"


# ---------------------------------------------------------------- this quarter's quotas


@dataclass
class QuotaChange:
    code: str
    name: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        if self.before is None or self.after is None:
            return self.before is not self.after
        return (self.before.quota, self.before.basis) != (self.after.quota, self.after.basis)


@dataclass
class Preview:
    quarter: Quarter
    rows: list[QuotaChange]
    inspectors: int
    error_before: str = ""
    error_after: str = ""


def preview_quarter(today: dt.date, since: dt.date, first: Quarter, last: Quarter) -> Quarter:
    """This quarter; or, for a change from a later day, the first quarter it applies to (a
    quarter's classes and quotas follow the values in force on its first day)."""
    quarter = Quarter.of(today)
    while quarter.start < since and quarter < last:
        quarter = quarter.next()
    return max(first, min(quarter, last))


def quota_preview(organisation, before: Preset, after: Preset, quarter: Quarter) -> Preview:
    """The quarter's classes and quotas from the bureau's registers under the values in force
    (``before``) and with the change (``after``), class by class."""
    target_rows = Target.objects.filter(organisation=organisation, in_register=True).values()
    records = [target_record(row) for row in target_rows]
    event_rows = RegulatoryEvent.objects.filter(
        organisation=organisation, date__lte=quarter.end
    ).values("credit_code", "kind", "date", "reference")
    events = [event_record(row) for row in event_rows]
    inspectors = Inspector.objects.drawable().filter(organisation=organisation).count()

    def counted(preset: Preset) -> tuple[dict, str]:
        try:
            classes = classify(preset, records, events, quarter)
            found = quotas(preset, classes, quarter, inspectors=inspectors)
        except PolicyError as error:
            return {}, readable(str(error))
        return {q.code: q for q in found}, ""

    old, error_before = counted(before)
    new, error_after = counted(after)
    rows = [
        QuotaChange(rule.code, rule.name, old.get(rule.code), new.get(rule.code))
        for rule in after.classes
    ]
    return Preview(quarter, rows, inspectors, error_before, error_after)


# ---------------------------------------------------------------- the policy pages' table


def parameter_rows(preset: Preset) -> list[dict]:
    """Every parameter of the preset: its Chinese name and each dated value in words, with its
    clause, quote and note (the staff and public policy pages)."""
    names = {rule.code: rule.name for rule in preset.classes}
    return [
        {
            "path": parameter.path,
            "name": labels.parameter_name(preset, parameter.path),
            "entries": [
                {
                    "since": entry.since,
                    "words": describe(parameter.path, entry.value, names),
                    "ref": entry.ref,
                    "bureau_default": entry.bureau_default,
                }
                for entry in parameter.entries
            ],
        }
        for parameter in preset.parameters()
    ]
