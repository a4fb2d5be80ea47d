"""Reads of the audit log for 监督员: filtered lists and the daily chain heads."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shuangsuiji.audit.models import AuditEvent


def events_for(user, params) -> tuple[QuerySet[AuditEvent], dict]:
    """The entries of the user's organisation and those below it, filtered by the query string
    (action prefix, actor name, object, date range)."""
    events = AuditEvent.objects.readable_by(user).select_related("organisation")
    chosen = {
        k: (params.get(k) or "").strip()[:100]
        for k in ("action", "actor", "object", "since", "until")
    }
    if chosen["action"]:
        events = events.filter(action__startswith=chosen["action"])
    if chosen["actor"]:
        events = events.filter(actor_name__icontains=chosen["actor"])
    if chosen["object"]:
        events = events.filter(summary__icontains=chosen["object"])
    for name, lookup in (("since", "gte"), ("until", "lt")):
        try:
            day = dt.date.fromisoformat(chosen[name]) if chosen[name] else None
        except ValueError:
            day = None
            chosen[name] = ""
        if day:
            if name == "until":
                day += dt.timedelta(days=1)
            start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
            events = events.filter(**{f"occurred_at__{lookup}": start})
    return events.order_by("-id"), chosen


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
