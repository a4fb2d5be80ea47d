"""Numbers in a query string (src/shuangsuiji/params.py): a value that is no plain whole number —
“²” and “①” pass str.isdigit() but not int() — is ignored like any other bad value, never a
server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.params import whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2026", 2026), ("²", None), ("①", None), ("٢٠٢٦", None), ("1999", None), ("9" * 5000, None),
     ("", None), (None, None), (" 2026", None)],
)  # fmt: skip
def test_whole_number(raw, expected):
    assert whole_number(raw, 2000, 2100) == expected


@pytest.mark.parametrize(
    ("url_name", "params"),
    [("reports:statistics", {"year": "²"}), ("reports:dashboard", {"year": "①"}),
     ("reports:archive", {"year": "²"}), ("inspections:publication", {"year": "²"})],
)  # fmt: skip
def test_pages_ignore_a_superscript_year(client, organisations, make_user, url_name, params):
    client.force_login(make_user("coord", organisations["a"], Role.COORDINATOR))
    assert client.get(reverse(url_name), params).status_code == 200


def test_user_list_ignores_a_superscript_organisation(client, organisations, make_user):
    client.force_login(make_user("admin", organisations["a"], Role.SYSADMIN))
    assert client.get(reverse("accounts:user_list"), {"organisation": "²"}).status_code == 200
