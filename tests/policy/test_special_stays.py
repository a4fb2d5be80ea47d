"""JX-4.5.3 绛县 四、（五）3: “确定为下一季度特殊监管对象，下一季度未发现违法问题则自动退出特殊监管对象名录”."""

import datetime as dt

import pytest

from shuangsuiji.policy import PolicyError, Quarter, classify, load_preset, load_preset_text
from shuangsuiji.policy.engine import EventRecord, TargetRecord
from shuangsuiji.policy.loader import PRESET_DIR
from tests.support.policy_records import TEMPLATE_DEFAULTS

PRESET = load_preset("jiangxian-2025")
TARGET = TargetRecord(id="A", credit_code="A", name="甲", fields=TEMPLATE_DEFAULTS)


def special(events, quarter):
    [result] = classify(PRESET, [TARGET], events, Quarter.parse(quarter))
    return result.class_code == "SPECIAL"


def test_enters_for_the_next_quarter_and_leaves_without_a_violation():
    events = [EventRecord("A", "挂牌督办", dt.date(2026, 2, 10))]
    assert not special(events, "2026Q1")
    assert special(events, "2026Q2")
    assert not special(events, "2026Q3")  # Q2 found no violation: out


def test_stays_while_each_quarter_finds_a_violation():
    events = [
        EventRecord("A", "挂牌督办", dt.date(2026, 2, 10)),
        EventRecord("A", "本级检查发现问题", dt.date(2026, 5, 20)),
        EventRecord("A", "本级检查发现问题", dt.date(2026, 8, 3)),
    ]
    assert special(events, "2026Q3") and special(events, "2026Q4")
    assert not special(events, "2027Q1")  # Q4 found no violation: out


def test_a_violation_alone_does_not_make_a_target_special():
    assert not special([EventRecord("A", "本级检查发现问题", dt.date(2026, 5, 20))], "2026Q3")


def test_extended_by_only_with_previous_quarter():
    raw = (PRESET_DIR / "jiangxian-2025.yaml").read_text(encoding="utf-8")
    broken = raw.replace("within: previous_quarter, extended_by", "within: same_year, extended_by")
    with pytest.raises(PolicyError, match="extended_by 只能与 within: previous_quarter 一起使用"):
        load_preset_text(broken, "jiangxian-2025.yaml")
