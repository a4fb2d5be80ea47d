import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuangsuiji.accounts.models import OrganisationLevel
from shuangsuiji.accounts.roles import Role, role_by_name, user_roles
from shuangsuiji.accounts.services import (
    generate_password,
    organisation_create,
    organisation_update,
    user_create,
    user_set_password,
    user_update,
)


def test_levels_follow_the_tree(organisations):
    assert organisations["province"].level == OrganisationLevel.PROVINCE
    assert organisations["city"].level == OrganisationLevel.CITY
    assert organisations["a"].level == OrganisationLevel.BRANCH
    assert organisations["a"].path == f"{organisations['city'].path}{organisations['a'].pk}/"


def test_branch_cannot_have_children(organisations):
    with pytest.raises(ValidationError, match="不能再设下级单位"):
        organisation_create(actor=None, code="130299", name="某中队", parent=organisations["a"])


@pytest.mark.parametrize("code", ["13028", "13028A", "1302811234567"])
def test_organisation_code_must_be_digits(organisations, code):
    with pytest.raises(ValidationError, match="6 至 12 位数字"):
        organisation_create(actor=None, code=code, name="测试", parent=organisations["city"])


def test_duplicate_organisation_code_refused(organisations):
    with pytest.raises(ValidationError, match="单位代码"):
        organisation_create(actor=None, code="130281", name="重复", parent=organisations["city"])


def test_unknown_preset_refused(organisations):
    with pytest.raises(ValidationError, match="未知的政策预设"):
        organisation_create(
            actor=None,
            code="130284",
            name="测试分局",
            parent=organisations["city"],
            policy_preset="no-such-plan",
        )


def test_sysadmin_manages_only_own_subtree(organisations, make_user):
    admin_a = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    admin_city = make_user("admin-city", organisations["city"], Role.SYSADMIN)
    with pytest.raises(PermissionDenied):
        user_create(
            actor=admin_a, username="x", organisation=organisations["b"], roles=[Role.INSPECTOR]
        )
    user, password = user_create(
        actor=admin_city, username="x", organisation=organisations["b"], roles=[Role.INSPECTOR]
    )
    assert user.check_password(password)
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=admin_a,
            organisation=organisations["city"],
            name="改名",
            policy_preset="",
            is_active=True,
        )


def test_non_sysadmin_cannot_create_users(organisations, make_user):
    coordinator = make_user("coord", organisations["a"], Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        user_create(
            actor=coordinator, username="y", organisation=organisations["a"], roles=[Role.LEADER]
        )


def test_web_actor_cannot_create_top_level_org(organisations, make_user):
    admin = make_user("admin-p", organisations["province"], Role.SYSADMIN)
    with pytest.raises(PermissionDenied, match="顶级单位"):
        organisation_create(actor=admin, code="440000", name="广东省生态环境厅")


def test_weak_password_refused_and_nothing_written(organisations):
    from shuangsuiji.accounts.models import User

    with pytest.raises(ValidationError) as excinfo:
        user_create(
            actor=None,
            username="weak",
            organisation=organisations["a"],
            roles=[Role.INSPECTOR],
            password="12345678",
        )
    assert "password" in excinfo.value.message_dict
    assert not User.objects.filter(username="weak").exists()


def test_user_needs_a_role(organisations):
    with pytest.raises(ValidationError, match="至少选择一个角色"):
        user_create(actor=None, username="norole", organisation=organisations["a"], roles=[])


def test_admin_cannot_lock_self_out(organisations, make_user):
    admin = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    with pytest.raises(ValidationError, match="不能停用自己的账号"):
        user_update(
            actor=admin,
            user=admin,
            display_name="x",
            organisation=organisations["a"],
            roles=[Role.SYSADMIN],
            is_active=False,
        )
    with pytest.raises(ValidationError, match="系统管理员角色"):
        user_update(
            actor=admin,
            user=admin,
            display_name="x",
            organisation=organisations["a"],
            roles=[Role.LEADER],
            is_active=True,
        )


def test_user_update_changes_roles_and_keeps_history(organisations, make_user):
    admin = make_user("admin-a", organisations["a"], Role.SYSADMIN)
    user = make_user("insp", organisations["a"], Role.INSPECTOR)
    user_update(
        actor=admin,
        user=user,
        display_name="张三",
        organisation=organisations["a"],
        roles=[Role.INSPECTOR, Role.AUDITOR],
        is_active=True,
    )
    user.refresh_from_db()
    assert user_roles(user) == [Role.INSPECTOR, Role.AUDITOR]
    assert user.display_name == "张三"
    assert user.history.count() == 2


def test_set_password(organisations, make_user):
    user = make_user("insp", organisations["a"], Role.INSPECTOR)
    user_set_password(actor=None, user=user, password="a-much-better-secret-42")
    user.refresh_from_db()
    assert user.check_password("a-much-better-secret-42")


def test_a_generated_password_is_never_refused_for_its_user(organisations, monkeypatch):
    """The clean-clone CI once failed the demo build: the random draw ``GoKA-LDReHEdi3jt``
    was "密码跟 用户名 太相似了" for ``huojia-leader``. A refused draw is replaced."""
    from shuangsuiji.accounts import services
    from shuangsuiji.accounts.models import User

    draws = iter(["GoKA-LDReHEdi3jt", "q7Vx-Tm2Wz9pRcBs"])
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda n: next(draws))
    user = User(username="huojia-leader", display_name="马德胜", organisation=organisations["a"])
    assert generate_password(user) == "q7Vx-Tm2Wz9pRcBs"

    draws = iter(["GoKA-LDReHEdi3jt", "q7Vx-Tm2Wz9pRcBs"])
    created, password = user_create(
        actor=None, username="huojia-leader", organisation=organisations["a"], roles=[Role.LEADER]
    )
    assert password == "q7Vx-Tm2Wz9pRcBs"
    assert created.check_password(password)


def test_role_by_name_accepts_code_and_chinese():
    assert role_by_name("抽查管理员") is Role.COORDINATOR
    assert role_by_name("auditor") is Role.AUDITOR
    with pytest.raises(ValueError, match="未知角色"):
        role_by_name("局长")


def test_role_permissions(organisations, make_user):
    """Each role holds exactly the rights the foundation issue lists."""
    expectations = {
        Role.SYSADMIN: {"manage_users"},
        Role.COORDINATOR: {"manage_registers", "manage_sampling", "read_org_data"},
        Role.INSPECTOR: {"record_inspections"},
        Role.LEADER: {"approve_plans", "read_org_data", "view_audit"},
        Role.AUDITOR: {"read_org_data", "view_audit"},
    }
    for role, codes in expectations.items():
        user = make_user(f"p-{role.value}", organisations["a"], role)
        granted = {p.split(".", 1)[1] for p in user.get_all_permissions()}
        assert granted == codes, role
