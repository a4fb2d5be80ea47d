"""``python -m shuangsuiji_demo`` says what it is doing while it builds (issue 19 §8): a line per
stage and per county, and one per month of the demo year, on stderr; stdout keeps only the year's
summary and the accounts, and what is built does not depend on the progress lines.

The module's demo is built in the middle of the year (15 July 2026: two quarters done and public,
the third just drawn), which is also the day its records are checked against: none is dated
after the day the demo is built (issue 19 §8)."""

from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import redirect_stderr, redirect_stdout
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shuangsuiji_demo.__main__ import main
from shuangsuiji_demo.build import DEMO_ORGANISATIONS, DEMO_PARTNERS
from shuangsuiji_demo.year import Timeline, clock
from tests.test_demo import dated_after, demo_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIDYEAR = dt.datetime(2026, 7, 15, 10, 0, tzinfo=SHANGHAI)
COUNTIES = [name for _, name, _, preset in DEMO_ORGANISATIONS if preset]


def run() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main([]) == 0
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def runs(django_db_setup, django_db_blocker, tmp_path_factory):
    with demo_database(MIDYEAR, tmp_path_factory.mktemp("demo"), django_db_blocker):
        yield run(), run()


def test_first_build_reports_each_stage_and_county(runs):
    (_, progress), _ = runs
    lines = progress.splitlines()
    assert lines[0] == (
        f"演示单位：{len(DEMO_ORGANISATIONS)} 个单位（省厅、市局、分局）"
        f"和 {len(DEMO_PARTNERS)} 个联合部门……"
    )
    for county in COUNTIES:
        assert f"一单两库：导入{county}的检查对象、执法人员与检查事项……" in lines
        assert f"演示年度：{county} 2026 年从 1 月办理到今天（7 月 15 日）。" in lines
    assert any(line.startswith("演示账号：") for line in lines)
    # Pinned to 15 July: the year so far is seven months, each told once.
    assert [line for line in lines if "各县办理" in line] == [
        f"演示年度：各县办理 2026 年 {month} 月的工作……" for month in range(1, 8)
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


def test_nothing_is_dated_after_the_day_of_the_build(db, runs):
    """Built on 15 July, the demo's inspections, records, follow-ups, events, draws,
    publications, accounts and audit entries are dated 15 July at the latest; only dates set
    ahead (deadlines, the 最迟公开日期, later quarters' draw dates) lie after it. The third
    quarter is drawn (its lottery held the day before), its list secret; the first two are done
    and public."""
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.planning.models import Draw

    today = MIDYEAR.date()
    assert dated_after(today) == []
    current = Draw.objects.filter(task__quarter=3)
    assert current.exists() and set(current.values_list("status", flat=True)) == {"drawn"}
    for draw in current:
        assert timezone.localdate(draw.drawn_at) <= today and draw.reveal_on >= today
    assert set(Draw.objects.filter(task__quarter__in=[1, 2]).values_list("status", flat=True)) == {
        "revealed"
    }
    assert Inspection.objects.filter(status="done", task__quarter=2).exists()


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
