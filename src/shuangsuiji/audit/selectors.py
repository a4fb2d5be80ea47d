"""Reads of the audit log for 监督员: filtered lists and the daily chain heads."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.params import YEARS, DateRange, parse_date, search_text


def events_for(user, params) -> tuple[QuerySet[AuditEvent], dict, list[str]]:
    """The entries of the user's organisation and those below it, filtered by the query string
    (action prefix, actor name, object, date range), the filters applied, and what was wrong
    with the others (a date that is none or lies outside ``YEARS``)."""
    events = AuditEvent.objects.readable_by(user).select_related("organisation")
    chosen = {
        name: search_text(params, name, label=label)
        for name, label in (("action", "操作"), ("actor", "操作人"), ("object", "对象"))
    }
    if chosen["action"]:
        events = events.filter(action__startswith=chosen["action"])
    if chosen["actor"]:
        events = events.filter(actor_name__icontains=chosen["actor"])
    if chosen["object"]:
        events = events.filter(summary__icontains=chosen["object"])
    problems = []
    allowed = DateRange(dt.date(YEARS[0], 1, 1), dt.date(YEARS[1], 12, 31))
    for name, label, lookup in (("since", "起始日期", "gte"), ("until", "截止日期", "lt")):
        day, problem = parse_date(params.get(name), label, allowed)
        chosen[name] = day.isoformat() if day else ""
        if problem:
            problems.append(problem)
        if day:
            if name == "until":
                day += dt.timedelta(days=1)
            start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
            events = events.filter(**{f"occurred_at__{lookup}": start})
    return events.order_by("-id"), chosen, problems


def daily_heads(days: int = 30) -> list[tuple[dt.date, int, str]]:
    """For each of the last ``days`` days with entries: the last entry's id and hash. Published,
    they let anyone notice a rewrite of history: a changed past changes every later hash."""
    since = timezone.now() - dt.timedelta(days=days)
    last = (
        AuditEvent.objects.filter(occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(last_id=Max("id"))
        .order_by("-day")
    )
    hashes = dict(
        AuditEvent.objects.filter(id__in=[row["last_id"] for row in last]).values_list("id", "hash")
    )
    return [(row["day"], row["last_id"], hashes[row["last_id"]]) for row in last]
