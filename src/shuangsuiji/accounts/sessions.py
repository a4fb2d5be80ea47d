"""The session store (``SESSION_ENGINE``): Django's database sessions, each request's session
read by a query compiled and planned once per connection. Every staff request reads its session
first; through the ORM the read cost more to build than to run (issue 21 §3,
docs/staff-speed.md). Saving, expiry and ``clearsessions`` are Django's own."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from shuangsuiji.prepared import Prepared

_UNEXPIRED = Prepared(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    key=str,
    now=dt.datetime,
    planned_once=True,
)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        """As Django's: the session of this key, unless it has expired; otherwise no key."""
        found = _UNEXPIRED(key=self.session_key, now=timezone.now()) if self.session_key else []
        if found:
            return found[0]
        self._session_key = None
        return None
