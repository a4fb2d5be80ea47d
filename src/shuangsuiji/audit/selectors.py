"""Reads of the audit log for 监督员: the entries they may read and the daily chain heads."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shuangsuiji.audit.models import GENESIS, AuditEvent, AuditHead


def events_for(user) -> QuerySet[AuditEvent]:
    """The entries of the user's organisation and those below it, newest first; the page
    narrows them with ``audit.filters.AuditEventFilter``."""
    return AuditEvent.objects.readable_by(user).select_related("organisation").order_by("-id")


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


def chain_head() -> str:
    """The hash of the log's last entry: it changes with every audited write anywhere, so
    anything computed from the database and keyed by it is never read stale."""
    head = AuditHead.objects.filter(pk=1).values_list("hash", flat=True).first()
    return head or GENESIS
