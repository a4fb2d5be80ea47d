"""Repeated failed logins lock the username from that address (django-axes); a good password
then still waits for the cool-off, and an administrator's reset of the password does not
open it early by itself."""

from __future__ import annotations

from shuangsuiji.accounts.roles import Role

PASSWORD = "correct-horse-battery-9"


def attempt(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_account_from_that_address(client, organisations, make_user):
    make_user("lihy", organisations["a"], Role.COORDINATOR)
    for _ in range(4):
        response = attempt(client, "lihy", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    locked = attempt(client, "lihy", "wrong-password")
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    # Even the right password is refused while locked.
    assert attempt(client, "lihy", PASSWORD).status_code == 429
    # From another address the colleague can still sign in.
    assert attempt(client, "lihy", PASSWORD, address="10.0.0.2").status_code == 302


def test_success_resets_the_count(client, organisations, make_user):
    make_user("lihy", organisations["a"], Role.COORDINATOR)
    for _ in range(4):
        attempt(client, "lihy", "wrong-password")
    assert attempt(client, "lihy", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "lihy", "wrong-password").status_code == 200
    assert attempt(client, "lihy", PASSWORD).status_code == 302


def test_test_client_login_still_works(client, organisations, make_user):
    make_user("lihy", organisations["a"], Role.COORDINATOR)
    assert client.login(username="lihy", password=PASSWORD)
