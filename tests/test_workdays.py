"""Working days with 调休 (JX-4.1, JX-4.7: “20 个工作日内公开”)."""

import datetime as dt

import pytest

from shuangsuiji.workdays import Deadline, WorkdayCalendar

D = dt.date


def test_result_determined_before_national_day_2026():
    """JX-4.7: 2026-09-28 + 20 working days skips 10-01…10-07 and counts Saturday 10-10 (调休)."""
    assert WorkdayCalendar().add_workdays(D(2026, 9, 28), 20) == D(2026, 10, 30)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 1, 4), True),  # Sunday made a working day for New Year
        (D(2026, 2, 14), True),  # Saturday before the Spring Festival
        (D(2026, 2, 17), False),  # Spring Festival
        (D(2026, 2, 23), False),  # Monday off, substituted from 02-28
        (D(2026, 2, 28), True),
        (D(2026, 5, 5), False),
        (D(2026, 5, 9), True),
        (D(2026, 9, 20), True),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),
        (D(2026, 11, 21), False),  # an ordinary Saturday
        (D(2026, 11, 23), True),
    ],
)
def test_2026_holidays_and_make_up_days(day, working):
    assert WorkdayCalendar().is_workday(day) is working


def test_spring_festival_2026():
    """Twenty working days from 2026-02-10 cross the Spring Festival and two make-up Saturdays."""
    # 02-11..13 (3), 02-14 make-up (4), 02-24..27 (8), 02-28 make-up (9), 03-02..16 (20)
    assert WorkdayCalendar().add_workdays(D(2026, 2, 10), 20) == D(2026, 3, 16)


def test_year_without_a_notice_is_counted_provisionally():
    """Issue 15: on 2026-12-04 the package has no 2027 notice. The count goes on by the
    statutory holidays (元旦 on a Friday), marked provisional, instead of refusing."""
    deadline = WorkdayCalendar().deadline(D(2026, 12, 4), 20)
    assert deadline.day == D(2027, 1, 4)
    assert deadline.provisional_years == (2027,)
    # Within a year the package knows, nothing is provisional.
    assert not WorkdayCalendar().deadline(D(2026, 11, 20), 20).provisional


def test_provisional_rules_skip_the_statutory_holidays_without_make_up_days():
    calendar = WorkdayCalendar()
    assert calendar.is_workday(D(2027, 1, 1)) is False  # 元旦
    assert calendar.is_workday(D(2027, 2, 8)) is False  # 春节
    assert calendar.is_workday(D(2027, 10, 1)) is False  # 国庆
    assert calendar.is_workday(D(2027, 2, 20)) is False  # a Saturday: no 调休 guessed
    assert D(2027, 1, 1) in calendar.provisional_holidays(2027)


def test_a_confirmed_year_is_no_longer_provisional():
    calendar = WorkdayCalendar(overrides={D(2027, 1, 4): False}, confirmed_years={2027})
    assert calendar.deadline(D(2026, 12, 4), 20) == Deadline(D(2027, 1, 5))


def test_confirmed_year_with_overrides():
    overrides = {D(2027, 1, 1): False, D(2027, 2, 20): True}
    calendar = WorkdayCalendar(overrides=overrides, confirmed_years={2027})
    assert calendar.is_workday(D(2027, 1, 1)) is False
    assert calendar.is_workday(D(2027, 2, 20)) is True  # a Saturday entered as 调休
    assert calendar.is_workday(D(2027, 2, 21)) is False


def test_override_corrects_an_official_day():
    calendar = WorkdayCalendar(overrides={D(2026, 11, 23): False})
    assert calendar.workdays_between(D(2026, 11, 20), D(2026, 11, 24)) == 1
