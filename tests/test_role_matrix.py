"""Every URL of the app × every role (and anonymous) → the expected status.

The matrix must name every URL pattern: a view added without an entry here fails
``test_matrix_covers_every_url``, so no view escapes the role check.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from shuangsuiji.accounts.roles import Role

ANON = "anonymous"
ROLES = [ANON, *(role.value for role in Role)]
LOGIN = 302  # anonymous visitors are sent to the login page
ALL_200 = dict.fromkeys(ROLES, 200)


def signed_in(status: int) -> dict[str, int]:
    return {ANON: LOGIN, **{role.value: status for role in Role}}


def only(*allowed: Role) -> dict[str, int]:
    return {ANON: LOGIN, **{r.value: 200 if r in allowed else 403 for r in Role}}


# url name → (method, kwargs factory name or None, {role: status})
MATRIX: dict[str, tuple[str, str | None, dict[str, int]]] = {
    "home": ("get", None, signed_in(200)),
    "healthz": ("get", None, ALL_200),
    "login": ("get", None, {ANON: 200, **{r.value: 302 for r in Role}}),
    "logout": ("post", None, dict.fromkeys(ROLES, 302)),
    "password_change": ("get", None, signed_in(200)),
    "password_change_done": ("get", None, signed_in(200)),
    "accounts:organisation_list": ("get", None, only(Role.SYSADMIN)),
    "accounts:organisation_create": ("get", None, only(Role.SYSADMIN)),
    "accounts:organisation_edit": ("get", "own_org", only(Role.SYSADMIN)),
    "accounts:user_list": ("get", None, only(Role.SYSADMIN)),
    "accounts:user_create": ("get", None, only(Role.SYSADMIN)),
    "accounts:user_edit": ("get", "colleague", only(Role.SYSADMIN)),
    "accounts:user_password": ("get", "colleague", only(Role.SYSADMIN)),
}


def _names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django admin: superusers only, checked in test_django_admin_is_closed
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_matrix_covers_every_url():
    assert _names(get_resolver()) == set(MATRIX)


@pytest.fixture
def people(organisations, make_user):
    users = {role.value: make_user(f"u-{role.value}", organisations["a"], role) for role in Role}
    return {"users": users, "own_org": organisations["a"]}


@pytest.mark.parametrize("url_name", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client, people, url_name, role):
    from django.urls import reverse

    method, kwargs_from, expected = MATRIX[url_name]
    kwargs = {}
    if kwargs_from == "own_org":
        kwargs = {"pk": people["own_org"].pk}
    elif kwargs_from == "colleague":
        kwargs = {"pk": people["users"][Role.COORDINATOR.value].pk}
    if role != ANON:
        client.force_login(people["users"][role])
    response = getattr(client, method)(reverse(url_name, kwargs=kwargs))
    assert response.status_code == expected[role], f"{role} → {url_name}"
    if expected[role] == LOGIN and role == ANON and url_name not in {"logout", "login"}:
        assert response["Location"].startswith("/login/")


def test_django_admin_is_closed_to_roles(client, people):
    for user in people["users"].values():
        client.force_login(user)
        response = client.get("/django-admin/")
        assert response.status_code == 302
        assert "/django-admin/login/" in response["Location"]
