"""A source's value is checked against its kind before the irreversible draw (issue 19 §5):
a 双色球 result in the spec's RFC 3797 form with 6 red balls 1–33 and 1 blue 1–16, a witness's
digits, a drand round's 64 hex digits (docs/draw-spec.md §entropy.json)."""

from __future__ import annotations

import pytest

from shuangsuiji.draw.sources import SourceValueError, canonical, check_value

SSQ = "中国福利彩票双色球 2026130 期"


@pytest.mark.parametrize(
    ("label", "value"),
    [
        (SSQ, "3.7.12.19.25.31./9./"),
        ("体彩超级大乐透 26045 期", "3.11.19.27.34./5.10./"),
        ("福彩3D 2026300 期", "3./0./3./"),  # digits repeat and keep their order
        ("排列五 26300 期", "5./1./5./8./2./"),
        ("某地方彩票 第 12 期", "4.8./15./"),  # an unknown game: the spec's form only
    ],
)
def test_official_results_in_the_spec_form_pass(label, value):
    check_value("lottery", label, value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("3 7 12 19 25 31 + 9", "是否应为：3.7.12.19.25.31./9./"),  # as read out: offered back
        ("3.7.12.19.25./9./", "第 1 组应有 6 个号码"),
        ("3.7.12.19.25.31./17./", "第 2 组的号码应在 1–16 之间"),
        ("7.3.12.19.25.31./9./", "由小到大"),
        ("3.3.12.19.25.31./9./", "各不相同"),
        ("3.7.12.19.25.31./9./1./", "应有 2 组号码"),
    ],
)
def test_a_wrong_double_colour_ball_result_is_refused_with_the_form(value, words):
    with pytest.raises(SourceValueError, match=words):
        check_value("lottery", SSQ, value)


def test_witness_and_drand():
    check_value("witness", "监督员 陈静", "20261122")
    with pytest.raises(SourceValueError, match="阿拉伯数字"):
        check_value("witness", "监督员 陈静", "2026 1122")
    check_value("drand", "drand 第 100 轮", "ab" * 32)
    with pytest.raises(SourceValueError, match="64 位十六进制"):
        check_value("drand", "drand 第 100 轮", "AB" * 32)
    check_value("beacon", "某随机信标", "任何非空取值")  # an open set of other kinds


def test_canonical_reads_the_numbers_as_announced():
    assert canonical(SSQ, "03 07 12 19 25 31 + 09") == "3.7.12.19.25.31./9./"
    assert canonical(SSQ, "31,25,19,12,7,3|9") == "3.7.12.19.25.31./9./"  # reds sorted
    assert canonical("福彩3D 2026300 期", "3 0 3") == "3./0./3./"  # digits keep their order
    assert canonical(SSQ, "3 7 12 19 25 31 + 17") is None  # no blue ball 17
    assert canonical("某地方彩票", "1 2 3") is None
