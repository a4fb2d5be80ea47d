"""The plan's targets as ``policy.targets`` lists them: one description per kind (key, name,
required values, period, stage), the targets a preset sets on a day in one listing, and a value
missing what its kind requires refused when the preset is loaded (issue 16)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from shuangsuiji.policy import PolicyError, PolicyNotInForce, load_preset, load_preset_text, schema
from shuangsuiji.policy.loader import Reference
from shuangsuiji.policy.targets import (
    BY_KEY,
    INTERNAL_JOINT_SHARE,
    KINDS,
    PLAN_DEADLINE,
    RESULT_PUBLICATION_WORKDAYS,
    REVISIT_SHARE,
    Period,
    Stage,
    plan_target,
    plan_targets,
)
from tests.policy.test_loader import MINIMAL


def test_each_kind_is_described_once_and_the_schema_reads_the_descriptions():
    assert len(BY_KEY) == len(KINDS)
    assert {kind.key: kind.name for kind in KINDS} == schema.TARGETS
    assert schema.TARGETS["revisit_share"] == "回访比例"
    assert {kind.stage for kind in KINDS} == set(Stage)


def test_a_presets_targets_in_force_on_a_day():
    """遵化 二、（二）（三）, the quarter's end as 检查时限 (二、（五）) and 绛县's 20 working days
    adopted by default (bureau_default), in KINDS order."""
    targets = plan_targets(load_preset("zunhua-2024"), dt.date(2024, 4, 1))
    assert [t.key for t in targets] == [
        "internal_joint_share",
        "credit_risk_share",
        "inspection_deadline",
        "result_publication_workdays",
    ]
    joint, credit, deadline, publication = targets
    assert deadline.value == {"per": "quarter"} and deadline.bureau_default
    assert deadline.ref.clause == "二、（五）"
    assert joint.kind is INTERNAL_JOINT_SHARE and joint.name == "内部联合抽查数量占比"
    assert (joint.share, joint.share_text, joint.period) == (Fraction(7, 20), "35%", Period.QUARTER)
    assert credit.period == Period.YEAR and credit.ref.clause == "二、（三）"
    assert publication.workdays == 20 and publication.bureau_default
    assert publication.clause.endswith("四、（七）（方案未规定，采用默认值）")
    assert not joint.bureau_default and joint.clause.endswith("二、（二）")
    assert (joint.requirement, publication.requirement) == ("≥ 35%（每季度）", "20 个工作日内")


def test_one_target_by_kind():
    jiangxian = load_preset("jiangxian-2025")
    deadline = plan_target(jiangxian, PLAN_DEADLINE, dt.date(2025, 1, 1))
    assert deadline.deadline(2026) == dt.date(2026, 3, 31)
    assert deadline.requirement == "3 月 31 日前"
    assert deadline.ref.quote.startswith("年度抽查工作计划应于当年 3 月底前制定完成")
    assert plan_target(jiangxian, RESULT_PUBLICATION_WORKDAYS, dt.date(2025, 6, 1)).workdays == 20
    assert plan_target(jiangxian, REVISIT_SHARE, dt.date(2025, 6, 1)) is None
    with pytest.raises(
        PolicyNotInForce, match=r"targets\.plan_deadline 在 2024-12-31 没有生效的值"
    ):
        plan_target(jiangxian, PLAN_DEADLINE, dt.date(2024, 12, 31))


def test_an_adjusted_value_is_listed_from_its_date():
    preset = load_preset("huojia-2024")
    adjusted = preset.with_value(
        "targets.revisit_share",
        {"min": "20%", "per": "quarter"},
        dt.date(2024, 7, 1),
        Reference(document="获嘉分局调整", clause="2024-06-20"),
    )
    assert plan_target(adjusted, REVISIT_SHARE, dt.date(2024, 6, 30)).share == Fraction(1, 10)
    later = plan_target(adjusted, REVISIT_SHARE, dt.date(2024, 7, 1))
    assert later.share == Fraction(1, 5) and later.clause == "《获嘉分局调整》2024-06-20"


TARGET = """\
targets:
  revisit_share:
    2024-01-01:
      value: {value}
      ref: 三、（四）
"""


def test_a_value_without_what_its_kind_requires_is_refused():
    """A 回访比例 is a share: a count alone would only fail later, on the dashboard."""
    good = load_preset_text(MINIMAL + TARGET.replace("{value}", "{min: 10%}"), "test.yaml")
    assert plan_target(good, REVISIT_SHARE, dt.date(2024, 1, 1)).share == Fraction(1, 10)
    with pytest.raises(PolicyError) as info:
        load_preset_text(MINIMAL + TARGET.replace("{value}", "{min_count: 3}"), "test.yaml")
    assert str(info.value) == "test.yaml：targets.revisit_share.2024-01-01：缺少键 min"
    with pytest.raises(PolicyError, match="缺少键 min"):
        good.with_value(
            "targets.revisit_share", {"min_count": 3}, dt.date(2024, 7, 1), Reference("", "")
        )
