"""China's working-day calendar: weekends, statutory holidays and 调休 make-up workdays.

"20 个工作日内公开" counts working days as the State Council's annual notice sets them, make-up
Saturdays and Sundays included. The ``holidays`` package carries those notices for the years it
knows; the province's administrator enters the days of a notice the package lacks and confirms
the year, and a bureau may add its own local days (the caller merges them into ``overrides``).

A year neither the package's notice nor a confirmation covers is counted *provisionally*: the
statutory holidays (元旦、春节、清明、劳动节、端午、中秋、国庆, with the package's in-lieu days
when one falls on a weekend), weekends off, no 调休 make-up days. The notice for next year comes
out in November or December, while results determined in December fall due in January: a
deadline is then marked provisional and recomputed when the year is confirmed, never refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from holidays.countries.china import China


@cache
def _rules(year: int) -> China:
    """The package's calendar of ``year``: its notice when it has one, else the statutory
    holidays it computes for any year (lunar dates included)."""
    return China(years=year)


def has_notice(year: int) -> bool:
    """The package carries the State Council's notice for ``year`` (it then lists the year's
    substituted days)."""
    return year in _rules(year).special_public_holidays


@dataclass(frozen=True)
class Deadline:
    """A date counted in working days, and the years it crossed without a confirmed calendar."""

    day: dt.date
    provisional_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)


class WorkdayCalendar:
    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Iterable[int] = (),
    ) -> None:
        """``overrides``: day → working (True) or not (False); ``confirmed_years``: years whose
        notice the administrator entered and confirmed, where the package has none."""
        self.overrides = dict(overrides or {})
        self.confirmed_years = frozenset(confirmed_years)

    def is_known(self, year: int) -> bool:
        """The year's calendar is the official one (package notice or confirmed), not a guess."""
        return year in self.confirmed_years or has_notice(year)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _rules(day.year).is_working_day(day)

    def provisional_years(self, start: dt.date, end: dt.date) -> tuple[int, ...]:
        """The unconfirmed years among the days after ``start`` up to and including ``end``."""
        if end <= start:
            return ()
        first = (start + dt.timedelta(days=1)).year
        return tuple(year for year in range(first, end.year + 1) if not self.is_known(year))

    def deadline(self, start: dt.date, count: int) -> Deadline:
        """The date ``count`` working days after ``start`` (``start`` itself not counted),
        provisional where it crosses a year without a confirmed calendar."""
        day = start
        remaining = count
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return Deadline(day, self.provisional_years(start, day))

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        return self.deadline(start, count).day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def provisional_holidays(self, year: int) -> list[dt.date]:
        """The weekdays off in ``year`` by the statutory rules alone: what a provisional count
        skips, for the administrator to compare with the notice when it comes."""
        rules = _rules(year)
        return sorted(day for day in rules if day.year == year and day.weekday() < 5)
