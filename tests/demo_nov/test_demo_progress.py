"""``python -m shuangsuiji_demo`` says what it is doing while it builds (issue 19 §8): a line per
stage and per county, and one per month of the demo year, on stderr; stdout keeps only the year's
summary and the accounts, and what is built does not depend on the progress lines.

The package's demo (tests/demo_nov/conftest.py) is built on 22 November 2026, twice; that no
record is dated after the day of the build is checked in test_demo_year."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shuangsuiji_demo.build import DEMO_ORGANISATIONS, DEMO_PARTNERS
from shuangsuiji_demo.year import Timeline, clock
from tests.test_demo import SHANGHAI

COUNTIES = [name for _, name, _, preset in DEMO_ORGANISATIONS if preset]


@pytest.fixture(scope="module")
def runs(demo_build):
    """((stdout, stderr) of the first run, (stdout, stderr) of the second)."""
    return (demo_build.first, demo_build.first_progress), (
        demo_build.second,
        demo_build.second_progress,
    )


def test_first_build_reports_each_stage_and_county(runs):
    (_, progress), _ = runs
    lines = progress.splitlines()
    assert lines[0] == (
        f"演示单位：{len(DEMO_ORGANISATIONS)} 个单位（省厅、市局、分局）"
        f"和 {len(DEMO_PARTNERS)} 个联合部门……"
    )
    for county in COUNTIES:
        assert f"一单两库：导入{county}的检查对象、执法人员与检查事项……" in lines
        assert f"演示年度：{county} 2026 年从 1 月办理到今天（11 月 22 日）。" in lines
    assert any(line.startswith("演示账号：") for line in lines)
    # Pinned to 22 November: the year so far is eleven months, each told once.
    assert [line for line in lines if "各县办理" in line] == [
        f"演示年度：各县办理 2026 年 {month} 月的工作……" for month in range(1, 12)
    ]
    # Chinese throughout: no preset slug or other code reaches the reader.
    assert not re.search(r"[A-Za-z]{2,}", progress)


def test_second_run_says_it_keeps_the_data(runs):
    _, (_, progress) = runs
    for county in COUNTIES:
        assert f"一单两库：{county}已有名录，保留不变。" in progress
        assert f"演示年度：{county} 2026 年已建立，保留不变。" in progress
    assert "各县办理" not in progress


def test_stdout_keeps_only_the_summary_and_the_accounts(runs):
    for out, progress in runs:
        summary = out.split("演示账号")[0].strip().splitlines()
        assert len(summary) == len(COUNTIES) and all("2026 年" in line for line in summary)
        assert not [line for line in progress.splitlines() if line in out]


def test_progress_does_not_change_the_steps_or_their_moments(db):
    """The timeline runs the same steps, in the same order, on the same clock, whether or not it
    reports its progress."""

    def steps_of(progress) -> list[tuple[str, dt.datetime]]:
        done: list[tuple[str, dt.datetime]] = []
        now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=SHANGHAI)
        with clock(now):
            timeline = Timeline(timezone.now(), progress=progress)
            for day, name in [(dt.date(2026, 2, 3), "b"), (dt.date(2026, 1, 5), "a"),
                              (dt.date(2026, 3, 2), "c"), (dt.date(2026, 4, 1), "later")]:  # fmt: skip
                moment = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
                timeline.at(moment, lambda n=name: done.append((n, timezone.now())))
            timeline.run()
        return [(name, moment.replace(microsecond=0, second=0)) for name, moment in done]

    told: list[str] = []
    assert steps_of(told.append) == steps_of(None)
    assert [name for name, _ in steps_of(None)] == ["a", "b", "c"]
    assert told == [f"演示年度：各县办理 2026 年 {month} 月的工作……" for month in (1, 2, 3)]
