"""Classification, exclusions, inspection method and quotas for one quarter.

Input is the register as the bureau keeps it: each target a mapping of the template's Chinese
headers to the words in its cells (the same whether it comes from a workbook or the database).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from shuangsuiji.policy.errors import PolicyError, PolicyInputMissing, PolicyValueMissing
from shuangsuiji.policy.loader import DatedValue, Preset, Reference, percent
from shuangsuiji.policy.quarter import Quarter
from shuangsuiji.policy.targets import plan_targets


@dataclass(frozen=True)
class DrawnIn:
    """A random inspection of the target this year: the draw that chose it, and whether that
    draw's list is public (revealed). An exclusion resting on a list that is not public must not
    be readable before it is (绛县 六、四 保密): it is withheld, not written in the pool."""

    draw_id: str
    public: bool = True


@dataclass(frozen=True)
class TargetRecord:
    #: The id in a draw pool: 统一社会信用代码, or the 项目代码 of a construction project.
    id: str
    credit_code: str
    name: str
    fields: Mapping[str, str]
    region: str = ""
    tags: tuple[str, ...] = ()
    #: 双随机 抽查 of this target so far this year, for annual caps: random inspections of the
    #: year's draws, drawn whether inspected yet or not, not those cancelled or substituted away.
    #: 定向 checks (绛县 三、（一）'s nine cases: complaints, 交办, emergencies …) and 全覆盖 checks
    #: are not 抽查 and do not count (绛县 四、（五）“同一污染源的抽查次数不超过2次”).
    inspections_this_year: int = 0
    #: The draws behind ``inspections_this_year`` when known (the web app); a workbook's
    #: counts leave it empty and are all public to whoever holds the workbook.
    drawn: tuple[DrawnIn, ...] = ()

    @property
    def public_inspections(self) -> int:
        """Of ``inspections_this_year``, those whose draw's list is public."""
        return self.inspections_this_year - sum(1 for d in self.drawn if not d.public)

    @property
    def secret_draws(self) -> tuple[str, ...]:
        """The draws not yet public that chose this target this year, sorted and unique."""
        return tuple(sorted({d.draw_id for d in self.drawn if not d.public}))

    @property
    def public_draws(self) -> tuple[str, ...]:
        return tuple(sorted({d.draw_id for d in self.drawn if d.public}))


@dataclass(frozen=True)
class EventRecord:
    credit_code: str
    kind: str
    date: dt.date
    reference: str = ""


@dataclass(frozen=True)
class Classification:
    target: TargetRecord
    class_code: str | None
    #: Counts toward its class's population N (not 注销, inside the plan's classes).
    in_population: bool
    eligible: bool
    reason: str
    method: str
    #: Which clause decided what: {"类别": Reference, "检查方式": …, "排除": …}.
    clauses: dict[str, Reference] = field(default_factory=dict)
    #: Excluded for a reason that rests on lists not yet public (already drawn this year,
    #: annual cap reached): ``eligible`` stays True, as the public pool shows it, and the
    #: reason goes to the draw's withheld file, published once those lists are.
    withheld: str = ""
    #: The unrevealed draws the withheld reason rests on.
    withheld_from: tuple[str, ...] = ()
    #: 信用等级 as the draw used it, and its draw weight (1 without a grading rule in force).
    grade: str = ""
    weight: int = 1


@dataclass(frozen=True)
class Quota:
    code: str
    name: str
    population: int
    eligible: int
    #: What the plan requires before capping at the eligible count.
    required: int
    quota: int
    shortfall: int
    #: "draw" (random selection of ``quota``) or "coverage" (all eligible, not drawn).
    kind: str
    #: "quarter", or "year" for classes drawn once for the whole year.
    period: str
    method: str
    basis: str
    clause: Reference
    #: Each way the plan states the requirement, when it gives alternatives (获嘉 一般监管对象).
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class _When:
    quarter: Quarter
    #: Records dated after this day are not known yet (a draw is made on a given day).
    as_of: dt.date


def _matches(
    condition: Mapping[str, Any],
    target: TargetRecord,
    events: list[EventRecord],
    when: _When,
) -> list[EventRecord] | bool:
    """True/False, or the events that satisfied an event condition (truthy when non-empty)."""
    if "field" in condition:
        return target.fields.get(condition["field"], "") in condition["in"]
    if "event" in condition:
        if condition.get("extended_by"):
            return _extended(condition, events, when.quarter)
        start, end = _window(condition["within"], when.quarter, when.as_of)
        return [e for e in events if e.kind in condition["event"] and start <= e.date <= end]
    if "any" in condition:
        for part in condition["any"]:
            found = _matches(part, target, events, when)
            if found:
                return found
        return False
    if "all" in condition:
        return all(_matches(part, target, events, when) for part in condition["all"])
    if "not" in condition:
        return not _matches(condition["not"], target, events, when)
    return condition.get("always") is True


@dataclass(frozen=True)
class _Stay:
    """Why a target is still in a class it entered earlier: the entry, then for each quarter
    since, the first violation found in it (绛县 四、（五）3)."""

    entry: EventRecord
    extensions: tuple[EventRecord, ...]


def _extended(condition: Mapping[str, Any], events: list[EventRecord], quarter: Quarter):
    """Entered in some earlier quarter E and extended through every quarter from E+1 to the
    previous one by an ``extended_by`` record (绛县 四、（五）3: 下一季度未发现违法问题则自动退出).

    A violation found in the quarter keeps the target in whoever found it: the bureau's own
    inspection (本级检查发现问题) or the higher authority's (上级检查发现问题), as the preset's
    ``extended_by`` lists. The latest entry decides: an earlier entry would need the same later
    quarters extended too.
    """
    previous = quarter.previous()
    entries = [e for e in events if e.kind in condition["event"] and e.date <= previous.end]
    if not entries:
        return []
    latest = max(entries, key=lambda e: e.date)
    found: dict[Quarter, EventRecord] = {}
    for event in events:  # sorted by date: the first finding of each quarter is kept
        if event.kind in condition["extended_by"]:
            found.setdefault(Quarter.of(event.date), event)
    kept = []
    step = Quarter.of(latest.date).next()
    while step <= previous:
        if step not in found:
            return []
        kept.append(found[step])
        step = step.next()
    if not kept:
        return [latest]
    return _Stay(latest, tuple(kept))


def _window(within: str, quarter: Quarter, as_of: dt.date) -> tuple[dt.date, dt.date]:
    if within == "previous_quarter":
        previous = quarter.previous()
        return previous.start, previous.end
    if within == "current_quarter":
        return quarter.start, as_of
    return dt.date(quarter.year, 1, 1), as_of  # same_year, up to the day of the draw


def _event_words(event: EventRecord) -> str:
    detail = f"，{event.reference}" if event.reference else ""
    return f"{event.kind} {event.date.isoformat()}{detail}"


def _event_note(found: Any) -> str:
    if isinstance(found, _Stay):
        kept = "；".join(_event_words(e) for e in found.extensions)
        return f"（{_event_words(found.entry)}；其后每季度发现违法问题，未退出：{kept}）"
    if isinstance(found, list) and found:
        return f"（{_event_words(found[-1])}）"
    return ""


def classify(
    preset: Preset,
    targets: Iterable[TargetRecord],
    events: Iterable[EventRecord],
    quarter: Quarter,
    *,
    as_of: dt.date | None = None,
) -> list[Classification]:
    """Classify for ``quarter``; records dated after ``as_of`` (default quarter end) are unknown."""
    day = quarter.start
    when = _When(quarter, min(as_of or quarter.end, quarter.end))
    rules = [(rule, rule.condition.at(day)) for rule in preset.classes]
    fallback = preset.fallback.at(day) if preset.fallback else None
    methods = preset.methods.at(day)
    cap = preset.exclusions["annual_cap"].at(day) if "annual_cap" in preset.exclusions else None
    higher = (
        preset.exclusions["higher_level_clean"].at(day)
        if "higher_level_clean" in preset.exclusions
        else None
    )
    by_code: dict[str, list[EventRecord]] = {}
    for event in events:
        by_code.setdefault(event.credit_code, []).append(event)
    for found in by_code.values():
        found.sort(key=lambda e: e.date)

    once = {
        rule.code: rule.no_repeat.at(day)
        for rule in preset.classes
        if rule.no_repeat is not None and rule.no_repeat.at(day).value
    }

    grading = preset.grading.at(day).value["weights"] if preset.grading is not None else None
    results = []
    for target in targets:
        own_events = by_code.get(target.credit_code, [])
        context = (rules, fallback, methods, cap, higher, once)
        found = _classify_one(preset, target, own_events, when, *context)
        grade = target.fields.get("信用等级") or "无"
        # 差别化抽查 by 信用风险 (遵化 一、（二）, 保定 三、（六）, 藁城 一、（三）,
        # 绛县 四、（五）): the grade's weight in the draw, once the bureau has set the weights.
        weight = grading[grade] if isinstance(grading, dict) else 1
        results.append(replace(found, grade=grade, weight=weight))
    return results


def _drawn_words(draw_ids: tuple[str, ...]) -> str:
    return f"（{'、'.join(draw_ids)}）" if draw_ids else ""


def _classify_one(preset, target, events, when, rules, fallback, methods, cap, higher, once):
    status = target.fields.get("经营状态", "存续")
    method_value = methods.value
    if status == "注销":
        return Classification(target, None, False, False, "注销", method_value["default"])
    class_code, clauses, decided_by = None, {}, ""
    for rule, entry in rules:
        found = _matches(entry.value, target, events, when)
        if found:
            class_code = rule.code
            clauses["类别"] = entry.ref
            decided_by = _event_note(found)
            break
    if class_code is None:
        reason = fallback.value["reason"] if fallback else "不属于本方案列明的监管类别"
        if fallback:
            clauses["排除"] = fallback.ref
        return Classification(target, None, False, False, reason, method_value["default"], clauses)

    method, method_ref = method_value["default"], methods.ref
    for rule in method_value.get("rules") or []:
        if rule.get("classes") and class_code not in rule["classes"]:
            continue
        if _matches(rule["when"], target, events, when):
            method = rule["method"]
            break
    clauses["检查方式"] = method_ref

    # Exclusions from what is public: the pool line says why. Those resting on a list not yet
    # public follow below and are withheld (绛县 六、四 保密).
    eligible, reason = True, ""
    no_repeat = once.get(class_code)
    capped = cap is not None and class_code not in (cap.value.get("exempt") or [])
    if status == "停产":
        eligible, reason = False, "停产"
    elif no_repeat is not None and target.public_inspections > 0:
        # 绛县 四、（五）1–2 “全年抽查比例为 100%/20%”: drawn once a year, the rest next time.
        eligible = False
        reason = "本年度已被随机抽中" + _drawn_words(target.public_draws)
        clauses["排除"] = no_repeat.ref
    elif capped and target.public_inspections >= cap.value["max"]:
        eligible = False
        reason = f"年度已随机抽查{target.public_inspections}次" + _drawn_words(target.public_draws)
        clauses["排除"] = cap.ref
    if eligible and higher is not None:
        found = _matches(
            {"event": higher.value["event"], "within": higher.value["within"]},
            target,
            events,
            when,
        )
        if found:
            eligible = False
            reason = higher.value["reason"] + _event_note(found)
            clauses["排除"] = higher.ref
    withheld = ""
    if eligible and target.secret_draws:
        if no_repeat is not None:
            withheld = "本年度已被随机抽中"
            clauses["保密排除"] = no_repeat.ref
        elif capped and target.inspections_this_year >= cap.value["max"]:
            withheld = f"年度已随机抽查{target.inspections_this_year}次"
            clauses["保密排除"] = cap.ref
    if decided_by and eligible:
        clauses["类别依据"] = Reference(
            document=clauses["类别"].document, clause=clauses["类别"].clause, note=decided_by
        )
    return Classification(
        target,
        class_code,
        True,
        eligible,
        reason,
        method,
        clauses,
        withheld=withheld,
        withheld_from=target.secret_draws if withheld else (),
    )


def ceil_fraction(value: Fraction) -> int:
    """Exact ceiling for "不低于/至少": (N·num + den − 1) // den on the exact fraction."""
    return -(-value.numerator // value.denominator)


def _percent_text(ratio: Fraction) -> str:
    text = format(Decimal(ratio.numerator) * 100 / Decimal(ratio.denominator), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _number_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".")


def _requirement(
    quota_value: Mapping[str, Any],
    population: int,
    inspectors: int | None,
    clause: str,
    where: str,
    name: str = "",
) -> tuple[int, str]:
    """How many the plan requires, and the arithmetic in words."""
    if "ratio" in quota_value:
        ratio = percent(quota_value["ratio"], where)
        exact = ratio * population
        required = ceil_fraction(exact)
        period = "全年 " if quota_value.get("per") == "year" else ""
        if exact.denominator == 1:
            words = f"{period}{_percent_text(ratio)} × {population} 家 = {required} 家"
        else:
            words = (
                f"{period}{_percent_text(ratio)} × {population} 家 = {_number_text(exact)}，"
                f"向上取整 {required} 家"
            )
        return required, f"{words}（{clause}）"
    if "per_inspector" in quota_value:
        if inspectors is None:
            raise PolicyValueMissing(f"{where}：按人均家次计算需要执法人员数（--inspectors 文件）")
        each = quota_value["per_inspector"]
        if inspectors == 0:
            # A quota of 0 would excuse the class from the plan without anyone deciding so.
            raise PolicyInputMissing(
                f"{where}：执法检查人员名录库中没有在编在岗的执法人员，"
                f"无法按“每名执法人员 {each} 家”计算{name}的抽查数量（{clause}）。"
                "请先在执法检查人员名录库中登记在编在岗的执法人员"
            )
        if quota_value["per"] == "year":
            annual = each * inspectors
            required = ceil_fraction(Fraction(annual, 4))
            words = (
                f"执法人员 {inspectors} 人 × {each} 家 = 全年 {annual} 家，"
                f"分四个季度：{annual} ÷ 4 = {_number_text(Fraction(annual, 4))}，"
                f"向上取整 {required} 家"
            )
        else:
            required = each * inspectors
            words = f"执法人员 {inspectors} 人 × 人均 {each} 家次 = {required} 家"
        return required, f"{words}（{clause}）"
    raise PolicyError(f"{where}：不能按此方式计算抽查数量")


def quotas(
    preset: Preset,
    classifications: list[Classification],
    quarter: Quarter,
    *,
    inspectors: int | None = None,
) -> list[Quota]:
    """Per class: population N, eligible, quota and the arithmetic in words, with the clause."""
    day = quarter.start
    population_rule = preset.population.at(day).value
    grading = _grading(preset, classifications, day)
    result = []
    for rule in preset.classes:
        members = [c for c in classifications if c.class_code == rule.code]
        eligible = sum(1 for c in members if c.eligible)
        population = (
            sum(1 for c in members if c.in_population)
            if population_rule == "all_of_class"
            else eligible
        )
        entry: DatedValue = rule.quota.at(day)
        methods = Counter(c.method for c in members if c.eligible)
        method = _method_summary(methods, preset.methods.at(day).value["default"])
        quota = _quota_for(
            preset, rule.code, rule.name, entry, population, eligible, inspectors, method
        )
        if grading and quota.kind == "draw" and quota.quota:
            quota = replace(quota, basis=f"{quota.basis}；{grading}")
        result.append(quota)
    return result


#: How a class's basis says its draw was weighted by 信用等级: the draw's frozen parameters
#: are the record that the sampling used the grading (遵化 二、（三） 运用信用风险分级分类).
GRADED_BASIS = "按信用等级加权抽取"


def _grading(preset: Preset, classifications: list[Classification], day: dt.date) -> str:
    """The grading rule in words for the basis, or "" without one. Refused while the plan's
    principle waits for the bureau's numbers and graded units are in the pool (like 获嘉's
    特殊 ratio): a draw must not quietly ignore a rule the plan states."""
    if preset.grading is None:
        return ""
    entry = preset.grading.at(day)
    weights = entry.value["weights"]
    if weights == "set_by_bureau":
        graded = sum(1 for c in classifications if c.eligible and c.grade not in ("", "无"))
        if graded:
            raise PolicyValueMissing(
                f"{preset.source}：grading：方案要求按信用风险等级差别化抽查（{entry.ref.clause}），"
                f"但未规定各等级的抽取权重，名录中有 {graded} 家已评定信用等级。请先设定各信用等级"
                "的抽取权重（如 --set grading.weights=A:1,B:1,C:2,D:4,无:1）"
            )
        return ""
    words = "、".join(f"{grade} {weight}" for grade, weight in weights.items())
    return f"{GRADED_BASIS}，权重 {words}（{entry.ref.clause}）"


def _method_summary(methods: Counter, default: str) -> str:
    """The class's inspection method, or how its eligible targets split between methods."""
    if not methods:
        return default
    if len(methods) == 1:
        return next(iter(methods))
    return "，".join(f"{method} {count} 家" for method, count in methods.most_common())


#: How a class whose plan gives alternatives (获嘉 “不低于5%或不少于人均6家次”) reads the “或”:
#: ``larger`` — the quota meets every alternative; ``smaller`` — meeting one is enough.
TAKE_WORDS = {
    "larger": "两项均须达到，取较大者",
    "smaller": "两项满足其一即符合方案，取较小者",
}


def _either(value, population, inspectors, clause, where, name):
    """The alternatives, each computed and listed, and the one the bureau's reading takes.

    ``{min_of: [...]}`` is the form presets were frozen in before the reading was a choice: it
    is read as ``take: smaller`` and words its basis as it always did, so an adopted copy keeps
    its numbers and its text.
    """
    key = "either" if "either" in value else "min_of"
    take = value.get("take", "smaller")
    options = [
        _requirement(part, population, inspectors, clause.clause, f"{where}.{key}[{i}]", name)
        for i, part in enumerate(value[key])
    ]
    alternatives = tuple(words for _, words in options)
    counts = [count for count, _ in options]
    required = max(counts) if take == "larger" else min(counts)
    basis = "；".join(alternatives) + f"。{TAKE_WORDS[take]} {required} 家（{clause.clause}）"
    return required, basis, alternatives


def _quota_for(preset, code, name, entry, population, eligible, inspectors, method) -> Quota:
    value, clause = entry.value, entry.ref
    where = f"{preset.source}：classes.{code}.quota"
    period = "year" if value.get("per") == "year" and "ratio" in value else "quarter"
    alternatives: tuple[str, ...] = ()
    kind = "draw"
    if "set_by_bureau" in value:
        raise PolicyValueMissing(
            f"{where}：方案规定{name}的抽查比例“根据实际自行设定”（{clause.clause}），"
            f"请先设定（如 --set {code}.ratio=20%）"
        )
    if "coverage" in value:
        kind, method = "coverage", value["method"]
        required = eligible
        basis = f"{name} {eligible} 家，每季度{method}全覆盖（{clause.clause}）"
    elif "either" in value or "min_of" in value:
        required, basis, alternatives = _either(value, population, inspectors, clause, where, name)
    else:
        required, basis = _requirement(value, population, inspectors, clause.clause, where, name)
    quota = min(required, eligible)
    shortfall = required - quota
    if shortfall:
        basis += f"；可抽对象仅 {eligible} 家，缺口 {shortfall} 家"
    return Quota(
        code=code,
        name=name,
        population=population,
        eligible=eligible,
        required=required,
        quota=quota,
        shortfall=shortfall,
        kind=kind,
        period=period,
        method=method,
        basis=basis,
        clause=clause,
        alternatives=alternatives,
    )


def compliance_targets(preset: Preset, day: dt.date) -> list[dict[str, Any]]:
    """The plan's measurable targets in force on ``day`` as plain records (code, name, value,
    clause): ``policy.targets.plan_targets``, the one listing, for callers that want dicts."""
    return [
        {"code": t.key, "name": t.name, "value": t.value, "clause": t.ref}
        for t in plan_targets(preset, day)
    ]
