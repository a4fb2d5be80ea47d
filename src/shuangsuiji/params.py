"""Values read from a request, one rule for every page: whole numbers and search text in query
strings, and dates in forms and filters.

- Whole numbers: ASCII digits only, and few: ``str.isdigit()`` also takes “²” and “①”, which
  ``int()`` refuses (a 500 where the value should just be ignored), and ``int()`` refuses 4,301
  digits.
- Search text: at most ``SEARCH_MAX`` characters, refused with 400 beyond (SQLite refuses a LIKE
  pattern over 50,000 bytes; nobody searches with a paragraph).
- Dates: within a ``DateRange``, refused with the range in the message. A date field of a staff
  form is a ``RangedDateField``; its range comes from the bureau (``bureau.dates``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils import timezone

#: The years a page or the API accepts in a filter.
YEARS = (2000, 2100)
_DIGITS = re.compile(r"[0-9]{1,9}")
#: The longest text a search box or text filter accepts.
SEARCH_MAX = 100


def whole_number(raw: str | None, low: int, high: int) -> int | None:
    """``raw`` as an integer within ``low``–``high``, else ``None``."""
    if raw and _DIGITS.fullmatch(raw) and low <= int(raw) <= high:
        return int(raw)
    return None


def search_text(params, name: str = "q", *, label: str = "查询文字") -> str:
    """The stripped search text ``params[name]``; longer than ``SEARCH_MAX`` is a 400
    (``BadRequest``, whose message the 400 page shows)."""
    text = (params.get(name) or "").strip()
    if len(text) > SEARCH_MAX:
        raise BadRequest(f"{label}不能超过 {SEARCH_MAX} 个字（所填为 {len(text)} 个字）。")
    return text


@dataclass(frozen=True)
class DateRange:
    """The dates a field accepts, both ends included."""

    earliest: dt.date
    latest: dt.date

    def problem(self, day: dt.date, label: str) -> str | None:
        if self.earliest <= day <= self.latest:
            return None
        return f"{label}须在 {self.earliest} 至 {self.latest} 之间（所填为 {day.isoformat()}）。"

    def check(self, day: dt.date | None, label: str, field: str | None = None) -> None:
        """Raise the problem as a ``ValidationError`` (on ``field`` when given)."""
        problem = None if day is None else self.problem(day, label)
        if problem:
            raise ValidationError({field: problem} if field else problem)


def horizon(*, future: bool, today: dt.date | None = None) -> dt.date:
    """The latest date staff may enter: today for what has happened (a check, a determination,
    a closing), the end of next year for what is planned (a deadline, a draw, a reveal)."""
    today = today or timezone.localdate()
    return dt.date(today.year + 1, 12, 31) if future else today


def default_range(*, future: bool) -> DateRange:
    """Where no bureau is known: the years of ``YEARS`` up to ``horizon``."""
    return DateRange(dt.date(YEARS[0], 1, 1), horizon(future=future))


def parse_date(raw: str | None, label: str, allowed: DateRange) -> tuple[dt.date | None, str]:
    """A date filter of a query string: (date, "") when valid, (None, problem) when not, and
    (None, "") when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None, ""
    try:
        day = dt.datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        day = None
    if day is None:
        return None, f"{label}“{raw[:20]}”不是日期，请按 YYYY-MM-DD 填写。"
    problem = allowed.problem(day, label)
    return (None, problem) if problem else (day, "")


class _Ranged:
    """A date (or time) field refused outside its range; the form sets the range from its
    bureau with ``limit`` (``bureau.dates.limit_dates``), else the default range applies."""

    def __init__(self, *, future: bool = False, **kwargs):
        self.future = future
        super().__init__(**kwargs)
        self.limit(default_range(future=future))

    def __deepcopy__(self, memo):
        # Each form gets copies of its class's fields: the default range is today's, not the
        # day the module was imported.
        field = super().__deepcopy__(memo)
        field.limit(default_range(future=self.future))
        return field

    def limit(self, allowed: DateRange) -> None:
        self.allowed = allowed
        self._show_range()

    def _show_range(self) -> None:
        # The browser's date picker offers only the allowed days.
        if isinstance(self, forms.DateTimeField):
            self.widget.attrs.update(
                min=f"{self.allowed.earliest}T00:00", max=f"{self.allowed.latest}T23:59"
            )
        else:
            self.widget.attrs.update(min=str(self.allowed.earliest), max=str(self.allowed.latest))

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        day = timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
        problem = self.allowed.problem(day, self.label)
        if problem:
            raise ValidationError(problem, code="out_of_range")


class RangedDateField(_Ranged, forms.DateField):
    widget = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class RangedDateTimeField(_Ranged, forms.DateTimeField):
    widget = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})
