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


def test_one_address_cannot_try_passwords_on_every_account(client, organisations, make_user):
    """Issue 15 finding 9: four wrong passwords on each of many accounts from one address used
    to lock nothing. After SHUANGSUIJI_LOGIN_FAILURES_PER_ADDRESS (20) failures in all, that
    address is locked for every account; other addresses are not."""
    for index in range(6):
        make_user(f"user{index}", organisations["a"], Role.INSPECTOR)
    for index in range(5):
        for _ in range(4):
            assert attempt(client, f"user{index}", "wrong-password").status_code == 200
    locked = attempt(client, "user5", PASSWORD)
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()
    assert attempt(client, "user5", PASSWORD, address="10.0.0.9").status_code == 302
