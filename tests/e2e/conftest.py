import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told this is intended (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def external_requests(page, live_server):
    """Collect every request the page makes to a host other than the live server."""
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    return seen


@pytest.fixture
def login(page, live_server):
    """Sign in through the real login form."""

    def sign_in(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("登录名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
