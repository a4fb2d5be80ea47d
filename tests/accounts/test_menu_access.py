"""The menu and the roles in the header are read once per request and never outlive a change
(issue 21 §3: the fixed cost of every signed-in page, "the visible menu computed once per
request … invalidated when their roles/groups/organisation change").

``accounts.navigation.user_access`` reads the user's groups and permissions in one query on
each request; the menu of a set of permissions is built once per process. These tests change a
user's roles, permissions and organisation between two requests and read the menu each time."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shuangsuiji.accounts.models import OrganisationLevel
from shuangsuiji.accounts.roles import Role

PAGE = "/password/"  # a plain page: the menu and the header are what varies


def menu(client) -> list[str]:
    page = client.get(PAGE).content.decode()
    nav = page[page.index('aria-label="主菜单"') : page.index("</nav>")]
    return re.findall(r'<li><a href="[^"]*"[^>]*>([^<]+?)[ <]', nav)


def roles(client) -> str:
    page = client.get(PAGE).content.decode()
    found = re.search(r'<span class="roles">([^<]*)</span>', page)
    return found.group(1) if found else ""


@pytest.fixture
def partner(organisations):
    from shuangsuiji.accounts.services import organisation_create

    return organisation_create(
        actor=None,
        code="130281001",
        name="遵化市住房和城乡建设局",
        parent=organisations["a"],
        level=OrganisationLevel.PARTNER,
    )


def test_a_new_role_shows_on_the_next_request(client, organisations, make_user):
    """An 执法人员 made 抽查管理员 by the 系统管理员 (an audited act) sees the coordinator's
    menu and role on his next page, and loses 我的任务 when the inspector role goes."""
    from shuangsuiji.accounts.services import user_update

    admin = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    officer = make_user("officer-a", organisations["a"], Role.INSPECTOR)
    client.force_login(officer)
    before = menu(client)
    assert "我的任务" in before and "结果公示" not in before
    assert roles(client) == "执法人员"

    user_update(
        actor=admin,
        user=officer,
        display_name="officer-a",
        organisation=organisations["a"],
        roles=[Role.COORDINATOR],
        is_active=True,
    )
    after = menu(client)
    assert "结果公示" in after and "检查对象名录库" in after and "我的任务" not in after
    assert roles(client) == "抽查管理员"


def test_a_change_made_outside_the_services_shows_too(client, organisations, make_user):
    """Groups and permissions changed without an audited service (the Django admin, a shell):
    nothing cached outlives them, the next request reads them."""
    from django.contrib.auth.models import Group, Permission

    officer = make_user("officer-a", organisations["a"], Role.INSPECTOR)
    client.force_login(officer)
    assert "审计日志" not in menu(client)

    officer.user_permissions.add(Permission.objects.get(codename="view_audit"))
    assert "审计日志" in menu(client)

    officer.groups.add(Group.objects.get(name=Role.LEADER.label))
    assert roles(client) == "执法人员、领导"
    officer.groups.clear()
    officer.user_permissions.clear()
    assert menu(client) == ["首页", "修改密码"] and roles(client) == ""


def test_a_user_moved_to_a_partner_department_gets_its_menu(
    client, organisations, partner, make_user
):
    """The same role in a 生态环境 bureau and in a partner department: two menus. Moving the
    user changes his menu on the next request."""
    from shuangsuiji.accounts.services import user_update

    admin = make_user("admin-city", organisations["city"], Role.SYSADMIN)
    user = make_user("coord-a", organisations["a"], Role.COORDINATOR)
    client.force_login(user)
    assert "年度抽查计划" in menu(client) and "联合检查任务" not in menu(client)

    user_update(
        actor=admin,
        user=user,
        display_name="coord-a",
        organisation=partner,
        roles=[Role.COORDINATOR],
        is_active=True,
    )
    moved = menu(client)
    assert "联合检查任务" in moved and "年度抽查计划" not in moved


def test_users_of_two_organisations_never_see_each_others_menu(
    client, organisations, partner, make_user
):
    """A bureau's 抽查管理员 and a partner department's, one request after the other in the same
    process: each sees his own organisation's menu, every time."""
    bureau = make_user("coord-a", organisations["a"], Role.COORDINATOR)
    department = make_user("coord-p", partner, Role.COORDINATOR)
    seen = {}
    for user in (bureau, department, bureau, department):
        client.force_login(user)
        seen.setdefault(user.username, set()).add(tuple(menu(client)))
    assert len(seen["coord-a"]) == 1 and len(seen["coord-p"]) == 1
    (own,), (theirs,) = seen["coord-a"], seen["coord-p"]
    assert "年度抽查计划" in own and "年度抽查计划" not in theirs
    assert "联合检查任务" in theirs and "联合检查任务" not in own


def test_the_menu_and_the_roles_cost_one_query_whatever_the_roles(client, organisations, make_user):
    """A user with one role and one with four: the same queries for the same page (the groups,
    their permissions and the user's own are one read)."""
    one = make_user("one", organisations["a"], Role.INSPECTOR)
    four = make_user(
        "four", organisations["a"], Role.COORDINATOR, Role.LEADER, Role.AUDITOR, Role.SYSADMIN
    )
    counts = []
    for user in (one, four):
        client.force_login(user)
        client.get(PAGE)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        counts.append(len(captured))
        permission_reads = [q for q in captured.captured_queries if "auth_permission" in q["sql"]]
        assert len(permission_reads) == 1
    assert counts[0] == counts[1]
