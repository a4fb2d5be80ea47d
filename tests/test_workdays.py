"""Working days with 调休 (JX-4.1, JX-4.7: “20 个工作日内公开”)."""

import datetime as dt

import pytest

from shuangsuiji.workdays import CalendarNotAvailable, WorkdayCalendar

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


def test_year_without_data_is_an_error_not_a_guess():
    calendar = WorkdayCalendar()
    with pytest.raises(CalendarNotAvailable, match="没有 2027 年的法定节假日和调休数据"):
        calendar.add_workdays(D(2026, 12, 20), 20)


def test_confirmed_year_with_overrides():
    overrides = {D(2027, 1, 1): False, D(2027, 2, 20): True}
    calendar = WorkdayCalendar(overrides=overrides, confirmed_years={2027})
    assert calendar.is_workday(D(2027, 1, 1)) is False
    assert calendar.is_workday(D(2027, 2, 20)) is True  # a Saturday entered as 调休
    assert calendar.is_workday(D(2027, 2, 21)) is False


def test_override_corrects_an_official_day():
    calendar = WorkdayCalendar(overrides={D(2026, 11, 23): False})
    assert calendar.workdays_between(D(2026, 11, 20), D(2026, 11, 24)) == 1
