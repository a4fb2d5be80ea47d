"""China's working-day calendar: weekends, statutory holidays and 调休 make-up workdays.

"20 个工作日内公开" counts working days as the State Council's annual notice sets them, make-up
Saturdays and Sundays included. The ``holidays`` package carries those notices for the years it
knows; a bureau's administrator adds or corrects days in an override table. A year that neither
covers is an error, never a guess (chinese-calendar does the same).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache

from holidays.countries.china import China


class CalendarNotAvailable(ValueError):
    """No official holiday data for the year, and none entered by the administrator."""


@cache
def _official(year: int) -> China | None:
    calendar = China(years=year)
    # The package knows a year's notice when it lists that year's substituted days.
    return calendar if year in calendar.special_public_holidays else None


class WorkdayCalendar:
    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Iterable[int] = (),
    ) -> None:
        """``overrides``: day → working (True) or not (False); ``confirmed_years``: years whose
        whole calendar the administrator entered, used when the package has no notice."""
        self.overrides = dict(overrides or {})
        self.confirmed_years = set(confirmed_years)

    def _check_year(self, year: int) -> China | None:
        official = _official(year)
        if official is None and year not in self.confirmed_years:
            raise CalendarNotAvailable(
                f"没有 {year} 年的法定节假日和调休数据：请系统管理员在“工作日历”中录入"
                f"该年的放假与调休日期并确认"
            )
        return official

    def is_workday(self, day: dt.date) -> bool:
        official = self._check_year(day.year)
        if day in self.overrides:
            return self.overrides[day]
        if official is not None:
            return official.is_working_day(day)
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
        day = start
        remaining = count
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count
