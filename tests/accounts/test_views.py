"""系统管理员 manages users, roles and organisations in the UI (not only in Django admin)."""

import html
import re

from django.urls import reverse

from shuangsuiji.accounts.models import Organisation, User
from shuangsuiji.accounts.roles import Role, user_roles


def test_sysadmin_creates_user_with_generated_password(client, organisations, make_user):
    admin = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    client.force_login(admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "new-insp",
            "display_name": "孙丽",
            "organisation": organisations["a"].pk,
            "roles": [Role.INSPECTOR.value, Role.AUDITOR.value],
            "password": "",
        },
        follow=True,
    )
    created = User.objects.get(username="new-insp")
    assert user_roles(created) == [Role.INSPECTOR, Role.AUDITOR]
    text = response.content.decode()
    # Shown once, inside <code>: characters to copy, which the page's checks for internal codes
    # leave alone (a drawn "KW-b9r2…" once read as one).
    shown = re.search(r"初始密码：<code>([^<]*)</code>（仅显示这一次", text)
    assert shown, text
    assert created.check_password(html.unescape(shown.group(1)))


def test_user_form_shows_service_error_on_field(client, organisations, make_user):
    admin = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    client.force_login(admin)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "weakling",
            "display_name": "弱",
            "organisation": organisations["a"].pk,
            "roles": [Role.INSPECTOR.value],
            "password": "123",
        },
    )
    assert response.status_code == 200
    assert "密码" in response.content.decode()
    assert not User.objects.filter(username="weakling").exists()


def test_user_list_filters_and_scopes(client, organisations, make_user):
    admin = make_user("admin-city", organisations["city"], Role.SYSADMIN)
    make_user("in-a", organisations["a"], Role.INSPECTOR)
    make_user("in-b", organisations["b"], Role.COORDINATOR)
    other_province = Organisation.objects.create(code="410000", name="河南省生态环境厅", level=1)
    other_province.path = f"/{other_province.pk}/"
    other_province.save()
    make_user("henan", other_province, Role.INSPECTOR)
    client.force_login(admin)
    page = client.get(reverse("accounts:user_list")).content.decode()
    assert "in-a" in page and "in-b" in page and "henan" not in page
    filtered = client.get(reverse("accounts:user_list"), {"role": "coordinator"}).content.decode()
    assert "in-b" in filtered and "in-a" not in filtered
    searched = client.get(reverse("accounts:user_list"), {"q": "in-a"}).content.decode()
    assert "in-a" in searched and "in-b" not in searched


def test_other_bureau_user_id_gives_404(client, organisations, make_user):
    admin_a = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    victim = make_user("in-b", organisations["b"], Role.INSPECTOR)
    client.force_login(admin_a)
    assert client.get(reverse("accounts:user_edit", args=[victim.pk])).status_code == 404
    assert client.get(reverse("accounts:user_password", args=[victim.pk])).status_code == 404
    org_b = organisations["b"].pk
    assert client.get(reverse("accounts:organisation_edit", args=[org_b])).status_code == 404


def test_sysadmin_creates_and_edits_child_organisation(client, organisations, make_user):
    admin = make_user("admin-city", organisations["city"], Role.SYSADMIN)
    client.force_login(admin)
    client.post(
        reverse("accounts:organisation_create"),
        {
            "parent": organisations["city"].pk,
            "code": "130284",
            "name": "唐山市生态环境局滦州市分局",
        },
    )
    created = Organisation.objects.get(code="130284")
    assert created.parent == organisations["city"] and created.level == 3
    client.post(
        reverse("accounts:organisation_edit", args=[created.pk]),
        {"name": "滦州市分局", "policy_preset": "", "is_active": ""},
    )
    created.refresh_from_db()
    assert created.name == "滦州市分局" and created.is_active is False
    page = client.get(reverse("accounts:organisation_edit", args=[created.pk])).content.decode()
    assert "变更记录" in page and "admin-city" in page


def test_home_shows_role_menu(client, organisations, make_user):
    coordinator = make_user("coord", organisations["a"], Role.COORDINATOR)
    admin = make_user("admin", organisations["a"], Role.SYSADMIN)
    client.force_login(coordinator)
    page = client.get(reverse("home")).content.decode()
    assert "抽查管理员" in page and "用户管理" not in page
    client.force_login(admin)
    page = client.get(reverse("home")).content.decode()
    assert "用户管理" in page and "单位管理" in page


def test_login_page_is_chinese_and_logs_in(client, organisations, make_user):
    make_user("coord", organisations["a"], Role.COORDINATOR, password="a-good-long-password-1")
    page = client.get(reverse("login")).content.decode()
    assert 'lang="zh-Hans"' in page and "登录名" in page
    bad = client.post(reverse("login"), {"username": "coord", "password": "wrong"})
    assert "登录名或密码不正确" in bad.content.decode()
    good = client.post(
        reverse("login"), {"username": "coord", "password": "a-good-long-password-1"}
    )
    assert good.status_code == 302 and good["Location"] == reverse("home")


def test_pages_reference_no_external_host(client, organisations, make_user):
    """No request to any external host when a page loads: every asset is served locally."""
    import re

    admin = make_user("admin", organisations["a"], Role.SYSADMIN)
    pages = [reverse("login")]
    client.force_login(admin)
    pages += [reverse("home"), reverse("accounts:user_list"), reverse("accounts:organisation_list")]
    for url in pages:
        html = client.get(url).content.decode()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), url


def test_a_signed_in_users_organisation_is_read_with_the_user(client, organisations, make_user):
    """Every staff page reads the user's organisation (the menu, the to-dos, each list's scope):
    a login through the form reads it with the user, not in a query of its own (issue 21 §3).
    A session begun under Django's own backend, before this one was listed, stays signed in."""
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user(
        "coord", organisations["a"], Role.COORDINATOR, password="a-good-long-password-1"
    )
    client.post(reverse("login"), {"username": "coord", "password": "a-good-long-password-1"})
    assert client.session[BACKEND_SESSION_KEY] == "shuangsuiji.accounts.backends.StaffBackend"
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("home"))
    assert page.status_code == 200 and organisations["a"].name in page.content.decode()
    alone = [
        q["sql"] for q in captured.captured_queries if 'FROM "accounts_organisation"' in q["sql"]
    ]
    # Besides the user's, only the menu's query of the lineage's newest audited acts.
    assert not [
        sql for sql in alone if "accounts_user" not in sql and "audit_auditevent" not in sql
    ]

    client.logout()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("home")).context["user"] == user
