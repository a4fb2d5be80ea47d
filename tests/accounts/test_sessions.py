"""The session store (``shuangsuiji.accounts.sessions``): a signed-in user's session is read
by a query compiled once per connection, and behaves as Django's database sessions do: the
user stays signed in until the session expires or is ended, then must sign in again."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shuangsuiji.accounts.roles import Role

MINE = "/inspections/mine/"


def test_signed_in_until_the_session_expires(organisations, make_user, client):
    user = make_user("zf-session", organisations["a"], Role.INSPECTOR)
    client.force_login(user)
    for _ in range(3):  # compiled on the first read, then run again
        page = client.get(MINE)
        assert page.status_code == 200 and page.context["user"] == user
    [session] = Session.objects.all()
    assert session.get_decoded()["_auth_user_id"] == str(user.pk)

    with CaptureQueriesContext(connection) as queries:
        client.get(MINE)
    [read] = [q["sql"] for q in queries if '"django_session"' in q["sql"]]
    assert session.session_key in read  # the session is read by its key, and only once

    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    page = client.get(MINE)
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_session_ended_or_unknown_signs_nobody_in(organisations, make_user, client):
    user = make_user("zf-session", organisations["a"], Role.INSPECTOR)
    client.force_login(user)
    assert client.get(MINE).status_code == 200
    Session.objects.all().delete()  # signed out elsewhere, or the key was never issued
    page = client.get(MINE)
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert not Session.objects.exists()  # an anonymous visit stores no session
