"""The example cases beside each preset (``presets/cases/<preset>.yaml``): directory → expected result.

Issue 4, Tests: “YAML example cases beside each preset (directory → expected classes and quotas)
run by pytest”. The format is described at the top of every case file; this runner refuses a
case file with a key it does not know, so a typo cannot turn an expectation into a no-op.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from shuangsuiji.policy import (
    PolicyError,
    Quarter,
    available_presets,
    classify,
    load_preset,
    quotas,
)
from shuangsuiji.policy.engine import EventRecord, TargetRecord
from shuangsuiji.policy.loader import PRESET_DIR, Reference
from shuangsuiji.policy.schema import EVENT_KINDS, TARGET_FIELDS
from tests.support.policy_records import TEMPLATE_DEFAULTS

CASE_DIR = PRESET_DIR / "cases"
DEFAULTS = TEMPLATE_DEFAULTS
CASE_KEYS = {"name", "rules", "quarter", "inspectors", "settings", "targets", "quotas", "error"}
TARGET_KEYS = {"id", "fields", "events", "inspections_this_year", "expect"}
EXPECT_KEYS = {"class", "eligible", "reason", "method"}
QUOTA_KEYS = {"population", "eligible", "quota", "required", "shortfall", "basis"}


def _check_keys(mapping: Any, allowed: set[str], where: str, required: set[str] = frozenset()):
    assert isinstance(mapping, dict), f"{where}: should be a mapping"
    unknown = set(mapping) - allowed
    assert not unknown, f"{where}: unknown keys {sorted(unknown)}"
    missing = required - set(mapping)
    assert not missing, f"{where}: missing keys {sorted(missing)}"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader refusing a key written twice (YAML would silently keep the last one)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    keys = [loader.construct_object(key, deep=True) for key, _ in node.value]
    twice = sorted({str(k) for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"line {node.start_mark.line + 1}: key written twice: {twice}")
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _load(path: Path) -> list[dict]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    _check_keys(data, {"cases"}, path.name, {"cases"})
    return data["cases"]


def _collect():
    for path in sorted(CASE_DIR.glob("*.yaml")):
        for index, case in enumerate(_load(path)):
            yield pytest.param(path.stem, case, id=f"{path.stem}-case{index}")


def _target(raw: dict, where: str) -> tuple[TargetRecord, list[EventRecord]]:
    _check_keys(raw, TARGET_KEYS, where, {"id", "expect"})
    ident = str(raw["id"])
    fields = {**DEFAULTS, **(raw.get("fields") or {})}
    for name, value in fields.items():
        assert name in TARGET_FIELDS, f"{where}: unknown field {name}"
        allowed = TARGET_FIELDS[name]
        assert allowed is None or value in allowed, f"{where}: {name} has no value {value!r}"
    events = []
    for kind, days in (raw.get("events") or {}).items():
        assert kind in EVENT_KINDS, f"{where}: unknown event kind {kind}"
        for day in days if isinstance(days, list) else [days]:
            assert isinstance(day, dt.date), f"{where}: {kind} date {day!r} is not YYYY-MM-DD"
            events.append(EventRecord(credit_code=ident, kind=kind, date=day))
    record = TargetRecord(
        id=ident,
        credit_code=ident,
        name=f"用例对象 {ident}",
        fields=fields,
        inspections_this_year=int(raw.get("inspections_this_year", 0)),
    )
    return record, events


@pytest.mark.parametrize(("name", "case"), list(_collect()))
def test_case(name: str, case: dict):
    where = f"cases/{name}.yaml: {case.get('name')}"
    _check_keys(case, CASE_KEYS, where, {"name", "rules", "quarter", "targets"})
    assert ("quotas" in case) != ("error" in case), f"{where}: give either quotas or error"
    quarter = Quarter.parse(str(case["quarter"]))
    preset = load_preset(name)
    for path, value in (case.get("settings") or {}).items():
        preset = preset.with_value(
            path, value, quarter.start, Reference("用例设定", f"settings.{path}")
        )

    targets, events, expected = [], [], {}
    for index, raw in enumerate(case["targets"]):
        record, own_events = _target(raw, f"{where} targets[{index}]")
        assert record.id not in expected, f"{where}: id {record.id} twice"
        targets.append(record)
        events.extend(own_events)
        expected[record.id] = raw["expect"]

    results = classify(preset, targets, events, quarter)
    for result in results:
        expect = expected[result.target.id]
        _check_keys(expect, EXPECT_KEYS, f"{where} {result.target.id}", {"class", "eligible"})
        actual = {
            "class": result.class_code,
            "eligible": result.eligible,
            "reason": result.reason,
            "method": result.method,
        }
        wanted = {"reason": "", **expect}
        assert {k: actual[k] for k in wanted} == wanted, f"{where}: target {result.target.id}"

    if "error" in case:
        with pytest.raises(PolicyError) as info:
            quotas(preset, results, quarter, inspectors=case.get("inspectors"))
        assert case["error"] in str(info.value)
        return
    strata = {
        q.code: q for q in quotas(preset, results, quarter, inspectors=case.get("inspectors"))
    }
    assert set(case["quotas"]) == set(strata), f"{where}: list every class of the preset"
    for code, expect in case["quotas"].items():
        _check_keys(
            expect, QUOTA_KEYS, f"{where} quotas.{code}", {"population", "eligible", "quota"}
        )
        q = strata[code]
        actual = {k: getattr(q, k) for k in expect}
        assert actual == expect, f"{where}: class {code}"


@pytest.mark.parametrize("name", available_presets())
def test_every_preset_has_a_small_case_file(name):
    """Each preset has 1–3 cases of 4–10 targets, each naming the requirement ids it proves."""
    path = CASE_DIR / f"{name}.yaml"
    assert path.is_file(), f"no example cases for {name}"
    cases = _load(path)
    assert 1 <= len(cases) <= 3
    for case in cases:
        assert 4 <= len(case["targets"]) <= 10, case["name"]
        assert case["rules"], case["name"]


def test_case_files_are_not_taken_for_presets():
    assert set(available_presets()) == {p.stem for p in CASE_DIR.glob("*.yaml")}
    assert "cases" not in available_presets()
