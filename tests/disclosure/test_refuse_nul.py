"""NUL in a request (config/middleware.py): refused with 400 before any view runs.

Found by the API's fuzzing (tests/fuzz/test_api_schemathesis.py): a NUL reaching a PostgreSQL
query raises DataError, a 500. The guard is site-wide, so here the portal's pages and the staff
pages are walked with it too; on SQLite and PostgreSQL alike the answer is the 400 page.
"""

from __future__ import annotations

import pytest

from shuangsuiji.accounts.roles import Role

NUL_PAGES = [
    ("/gongkai/search/", {"q": "化工\x00"}, "参数 q "),
    ("/gongkai/org/130281/targets/", {"q": "\x00"}, "参数 q "),
    ("/gongkai/org/130281/results/", {"month": "2026-11\x00"}, "参数 month "),
    ("/gongkai/org/\x00/", {}, "参数 code "),
    ("/gongkai/enterprise/91130281MA0000016\x00/", {}, "参数 credit_code "),
    ("/gongkai/draws/\x00/", {}, "参数 draw_id "),
    ("/directory/targets/", {"q": "鑫源\x00"}, "参数 q "),
    ("/directory/targets/", {"area": "\x00"}, "参数 area "),
    ("/directory/inspectors/", {"q": "\x00"}, "参数 q "),
]


@pytest.fixture
def coordinator(organisations, make_user):
    return make_user("coord-nul", organisations["a"], Role.COORDINATOR)


@pytest.mark.parametrize(("path", "params", "named"), NUL_PAGES)
def test_pages_refuse_nul_with_the_400_page(client, portal, coordinator, path, params, named):
    client.force_login(coordinator)
    response = client.get(path, params)
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>请求无法处理</h1>" in page and f"{named}中含有空字符（NUL" in page
    assert response["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response


def test_the_same_pages_without_nul_answer(client, portal, coordinator):
    client.force_login(coordinator)
    for path, params, _ in NUL_PAGES:
        path = path.replace("\x00", "")
        params = {name: value.replace("\x00", "") for name, value in params.items()}
        if path.endswith("//"):  # the parameter that held the NUL was the whole segment
            continue
        assert client.get(path, params).status_code in (200, 404), path


def test_a_form_field_with_nul_is_refused(client, organisations, make_user):
    make_user("coord-login", organisations["a"], Role.COORDINATOR)
    response = client.post("/login/", {"username": "coord-login\x00", "password": "x"})
    assert response.status_code == 400
    assert "参数 username 中含有空字符（NUL" in response.content.decode()
    ordinary = client.post("/login/", {"username": "coord-login", "password": "wrong"})
    assert ordinary.status_code == 200  # the form again, with its error


def test_djangos_own_400s_use_the_page_too(client, db, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/gongkai/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "<h1>请求无法处理</h1>" in response.content.decode()
