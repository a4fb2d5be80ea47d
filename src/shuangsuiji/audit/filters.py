"""The filter of the audit log page (``?action=…&actor=…&object=…&since=…&until=…``)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils import timezone

from shuangsuiji.audit.actions import actions_named
from shuangsuiji.filters import QueryDateFilter, SearchFilter, form_problems
from shuangsuiji.params import YEARS, DateRange

#: A day of the log may be asked for in any year a page accepts.
DAYS = DateRange(dt.date(YEARS[0], 1, 1), dt.date(YEARS[1], 12, 31))


class AuditEventFilter(django_filters.FilterSet):
    """Narrows the entries the selector scoped (``events_for``): by action name, actor name,
    text of the summary, and a range of days (both ends included, local time). A date that is
    none or lies outside ``DAYS`` is named in ``problems`` and the page answers 400; the other
    filters still apply."""

    action = SearchFilter(method="by_action", label="操作")
    actor = SearchFilter("actor_name", lookup_expr="icontains", label="操作人")
    object = SearchFilter("summary", lookup_expr="icontains", label="对象")
    since = QueryDateFilter(method="from_day", label="起始日期", allowed=DAYS)
    until = QueryDateFilter(method="to_day", label="截止日期", allowed=DAYS)

    def by_action(self, events, name, text):
        """By the action's Chinese name or part of it (“抽取” finds 承诺抽取, 作废抽取 …); a
        code's prefix (``draw.``), as ``shuangsuiji audit`` prints them, still works."""
        if text.isascii():
            return events.filter(action__startswith=text)
        return events.filter(action__in=actions_named(text))

    def from_day(self, events, name, day):
        return events.filter(occurred_at__gte=_midnight(day))

    def to_day(self, events, name, day):
        return events.filter(occurred_at__lt=_midnight(day + dt.timedelta(days=1)))

    @property
    def problems(self) -> list[str]:
        return [message for _, message in form_problems(self)]

    @property
    def chosen(self) -> dict[str, str]:
        """The values the page shows in its fields: those applied, an invalid date as empty."""
        self.is_valid()  # cleans the form: cleaned_data holds the values it accepted
        data = self.form.cleaned_data
        chosen = {name: data.get(name) or "" for name in ("action", "actor", "object")}
        for name in ("since", "until"):
            chosen[name] = data[name].isoformat() if data.get(name) else ""
        return chosen


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
