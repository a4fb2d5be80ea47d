"""Presets: YAML files whose every value is keyed by its effective date and cites its clause.

In the spirit of OpenFisca parameters::

    quota:
      2024-01-01:
        value: {ratio: 25%}
        ref: 二、（五）          # or {clause: 二、（五）, quote: "…", document: "…"}

The loader refuses unknown keys, duplicate keys, values without a reference, and (when queried)
a date before any value takes effect, always naming the file and the key.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from shuangsuiji.policy import schema
from shuangsuiji.policy.errors import PolicyError, PolicyNotInForce

PRESET_DIR = Path(__file__).resolve().parent / "presets"


@dataclass(frozen=True)
class Reference:
    document: str
    clause: str
    quote: str = ""
    note: str = ""

    def __str__(self) -> str:
        return f"《{self.document}》{self.clause}"


@dataclass(frozen=True)
class DatedValue:
    since: dt.date
    value: Any
    ref: Reference
    #: The seed is silent here; the value is a default the bureau should review.
    bureau_default: bool = False


@dataclass(frozen=True)
class Parameter:
    source: str
    path: str
    entries: tuple[DatedValue, ...]

    def at(self, day: dt.date) -> DatedValue:
        current = None
        for entry in self.entries:
            if entry.since <= day:
                current = entry
        if current is None:
            raise PolicyNotInForce(
                f"{self.source}：{self.path} 在 {day.isoformat()} 没有生效的值"
                f"（最早自 {self.entries[0].since.isoformat()} 起）"
            )
        return current

    def with_value(self, value: Any, since: dt.date, ref: Reference) -> Parameter:
        kept = tuple(e for e in self.entries if e.since != since)
        entries = tuple(sorted((*kept, DatedValue(since, value, ref)), key=lambda e: e.since))
        return replace(self, entries=entries)


@dataclass(frozen=True)
class ClassRule:
    code: str
    name: str
    condition: Parameter
    quota: Parameter
    partners: Parameter | None = None
    #: Drawn at most once a year at random (绛县 四、（五）1–2: a quarterly share adding up to an
    #: annual coverage); None where the plan says nothing, which allows repeats.
    no_repeat: Parameter | None = None


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    document: str
    issuer: str
    source: str
    population: Parameter
    precedence: Parameter
    classes: tuple[ClassRule, ...]
    fallback: Parameter | None
    methods: Parameter
    #: Attachments a result needs (绛县 四、（六））; None where the plan sets no such rule.
    records: Parameter | None = None
    #: How 信用风险等级 changes the draw (draw weights per grade); None where the plan says
    #: nothing of it.
    grading: Parameter | None = None
    exclusions: dict[str, Parameter] = field(default_factory=dict)
    targets: dict[str, Parameter] = field(default_factory=dict)
    target_names: dict[str, str] = field(default_factory=dict)

    def class_rule(self, code: str) -> ClassRule:
        for rule in self.classes:
            if rule.code == code:
                return rule
        raise PolicyError(f"{self.source}：没有监管类别 {code}")

    def parameters(self):
        """Every parameter with its dotted path, for pages that list values with clauses."""
        yield self.population
        yield self.precedence
        for rule in self.classes:
            yield rule.condition
            yield rule.quota
            if rule.partners is not None:
                yield rule.partners
            if rule.no_repeat is not None:
                yield rule.no_repeat
        if self.fallback is not None:
            yield self.fallback
        yield self.methods
        if self.records is not None:
            yield self.records
        if self.grading is not None:
            yield self.grading
        yield from self.exclusions.values()
        yield from self.targets.values()

    def parameter(self, path: str) -> Parameter:
        for parameter in self.parameters():
            if parameter.path == path:
                return parameter
        raise PolicyError(f"{self.source}：没有参数 {path}")

    def with_value(self, path: str, value: Any, since: dt.date, ref: Reference) -> Preset:
        """A copy with one value changed from ``since`` on (a bureau's adjustment)."""
        try:
            old = self.parameter(path)
        except PolicyError:
            # A class rule the plan is silent on may be switched on by the bureau (绛县's
            # no-repeat rule for another class); any other unknown path is an error.
            parts = path.split(".")
            if len(parts) != 3 or parts[0] != "classes" or parts[2] != "no_repeat":
                raise
            self.class_rule(parts[1])
            old = Parameter(source=self.source, path=path, entries=())
        schema.VALIDATORS[schema.kind_of(path)](value, f"{self.source}：{path}")
        new = old.with_value(value, since, ref)
        if path.startswith("classes."):
            code = path.split(".")[1]
            part = path.split(".")[2]
            classes = tuple(
                replace(rule, **{part: new}) if rule.code == code else rule for rule in self.classes
            )
            return replace(self, classes=classes)
        if path.startswith("exclusions."):
            return replace(self, exclusions={**self.exclusions, path.split(".", 1)[1]: new})
        if path.startswith("targets."):
            return replace(self, targets={**self.targets, path.split(".", 1)[1]: new})
        return replace(self, **{path: new})


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (YAML silently keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise PolicyError(
                f"{loader.source}：第 {key_node.start_mark.line + 1} 行键“{key}”重复"
                f"（第 {seen[key] + 1} 行已有）"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

TOP_KEYS = {"preset", "title", "document", "issuer", "source", "population", "precedence",
            "classes", "fallback", "methods", "exclusions", "targets", "records",
            "grading"}  # fmt: skip
REQUIRED_TOP = {"preset", "title", "document", "issuer", "population", "precedence", "classes",
                "methods"}  # fmt: skip
CLASS_KEYS = {"code", "name", "condition", "quota", "partners", "no_repeat"}
ENTRY_KEYS = {"value", "ref", "bureau_default"}
REF_KEYS = {"clause", "document", "quote", "note"}


def _check_keys(mapping: Any, allowed: set[str], where: str, required: set[str] = frozenset()):
    if not isinstance(mapping, dict):
        raise PolicyError(f"{where} 应为键值映射")
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise PolicyError(f"{where}：未知的键 {'、'.join(unknown)}")
    missing = sorted(k for k in required if k not in mapping)
    if missing:
        raise PolicyError(f"{where}：缺少键 {'、'.join(missing)}")


def _reference(raw: Any, document: str, where: str) -> Reference:
    if isinstance(raw, str) and raw.strip():
        return Reference(document=document, clause=raw.strip())
    if isinstance(raw, dict):
        _check_keys(raw, REF_KEYS, f"{where}.ref", {"clause"})
        return Reference(
            document=str(raw.get("document") or document),
            clause=str(raw["clause"]),
            quote=str(raw.get("quote", "")),
            note=str(raw.get("note", "")),
        )
    raise PolicyError(f"{where}：缺少出处 ref（文件名称与条款，如“二、（五）”）")


def _parameter(raw: Any, source: str, path: str, document: str, kind: str) -> Parameter:
    where = f"{source}：{path}"
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(
            f"{where} 应为以生效日期为键的取值（如 2024-01-01: {{value: …, ref: …}}）"
        )
    entries = []
    for since, entry in raw.items():
        if not isinstance(since, dt.date) or isinstance(since, dt.datetime):
            raise PolicyError(f"{where}：键“{since}”应为生效日期 YYYY-MM-DD")
        entry_where = f"{where}.{since.isoformat()}"
        _check_keys(entry, ENTRY_KEYS, entry_where, {"value"})
        if "ref" not in entry:
            raise PolicyError(f"{entry_where}：缺少出处 ref（文件名称与条款，如“二、（五）”）")
        schema.VALIDATORS[kind](entry["value"], entry_where)
        if not isinstance(entry.get("bureau_default", False), bool):
            raise PolicyError(f"{entry_where}.bureau_default：只能为 true 或 false")
        entries.append(
            DatedValue(
                since=since,
                value=entry["value"],
                ref=_reference(entry["ref"], document, entry_where),
                bureau_default=bool(entry.get("bureau_default", False)),
            )
        )
    entries.sort(key=lambda e: e.since)
    return Parameter(source=source, path=path, entries=tuple(entries))


def load_preset_text(text: str, source: str) -> Preset:
    loader = _UniqueKeyLoader(text)
    loader.source = source
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as error:
        raise PolicyError(f"{source}：YAML 格式错误：{error}") from error
    finally:
        loader.dispose()
    _check_keys(raw, TOP_KEYS, source, REQUIRED_TOP)
    document = str(raw["document"])

    def param(value: Any, path: str, kind: str) -> Parameter:
        return _parameter(value, source, path, document, kind)

    classes = []
    codes = set()
    if not isinstance(raw["classes"], list) or not raw["classes"]:
        raise PolicyError(f"{source}：classes 应为非空列表")
    for index, item in enumerate(raw["classes"]):
        where = f"{source}：classes[{index}]"
        _check_keys(item, CLASS_KEYS, where, {"code", "name", "condition", "quota"})
        code = item["code"]
        if code not in schema.CLASS_CODES:
            choices = "、".join(schema.CLASS_CODES)
            raise PolicyError(f"{where}.code：未知类别“{code}”，可选：{choices}")
        if code in codes:
            raise PolicyError(f"{where}.code：类别 {code} 重复")
        codes.add(code)
        prefix = f"classes.{code}"
        classes.append(
            ClassRule(
                code=code,
                name=str(item["name"]),
                condition=param(item["condition"], f"{prefix}.condition", "condition"),
                quota=param(item["quota"], f"{prefix}.quota", "quota"),
                partners=param(item["partners"], f"{prefix}.partners", "partners")
                if "partners" in item
                else None,
                no_repeat=param(item["no_repeat"], f"{prefix}.no_repeat", "no_repeat")
                if "no_repeat" in item
                else None,
            )
        )
    exclusions = raw.get("exclusions") or {}
    _check_keys(exclusions, set(schema.EXCLUSION_KINDS), f"{source}：exclusions")
    targets = raw.get("targets") or {}
    _check_keys(targets, set(schema.TARGETS), f"{source}：targets")
    return Preset(
        name=str(raw["preset"]),
        title=str(raw["title"]),
        document=document,
        issuer=str(raw["issuer"]),
        source=source,
        population=param(raw["population"], "population", "population"),
        precedence=param(raw["precedence"], "precedence", "precedence"),
        classes=tuple(classes),
        fallback=param(raw["fallback"], "fallback", "fallback") if raw.get("fallback") else None,
        methods=param(raw["methods"], "methods", "methods"),
        records=param(raw["records"], "records", "records") if raw.get("records") else None,
        grading=param(raw["grading"], "grading", "grading") if raw.get("grading") else None,
        exclusions={
            key: param(value, f"exclusions.{key}", f"exclusion.{key}")
            for key, value in exclusions.items()
        },
        targets={
            key: param(value, f"targets.{key}", f"target.{key}") for key, value in targets.items()
        },
        target_names={key: schema.TARGETS[key] for key in targets},
    )


def available_presets() -> list[str]:
    return sorted(path.stem for path in PRESET_DIR.glob("*.yaml"))


@functools.cache
def preset_titles() -> dict[str, str]:
    """Each shipped preset's Chinese title by its name, as pages show a preset to users."""
    return {name: load_preset(name).title for name in available_presets()}


def load_preset(name_or_path: str | Path) -> Preset:
    path = Path(name_or_path)
    if path.suffix != ".yaml":
        path = PRESET_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise PolicyError(
                f"未知的政策预设“{name_or_path}”，可用：{'、'.join(available_presets())}"
            )
    preset = load_preset_text(path.read_text(encoding="utf-8"), path.name)
    if preset.name != path.stem:
        raise PolicyError(f"{path.name}：preset 应为“{path.stem}”，实为“{preset.name}”")
    return preset


def percent(text: Any, where: str) -> Fraction:
    """'25%' → 1/4, '0.5%' → 1/200. Ratios are written as percentages, never as floats."""
    if not isinstance(text, str) or not text.endswith("%"):
        raise PolicyError(f"{where}：比例应写成百分数字符串，如 25%，实为 {text!r}")
    try:
        value = Fraction(text[:-1].strip()) / 100
    except ValueError as error:
        raise PolicyError(f"{where}：无法识别的比例 {text!r}") from error
    if not 0 <= value <= 1:
        raise PolicyError(f"{where}：比例应在 0% 到 100% 之间，实为 {text}")
    return value
