"""Roles are Django groups; what each role may do is the set of permissions defined here."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", "系统管理员"
    COORDINATOR = "coordinator", "抽查管理员"
    INSPECTOR = "inspector", "执法人员"
    LEADER = "leader", "领导"
    AUDITOR = "auditor", "监督员"


# Permission codenames of the accounts app (declared on Organisation.Meta.permissions).
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SYSADMIN: ("manage_users",),
    Role.COORDINATOR: ("manage_registers", "manage_sampling", "read_org_data"),
    Role.INSPECTOR: ("record_inspections",),
    Role.LEADER: ("approve_plans", "read_org_data", "view_audit"),
    Role.AUDITOR: ("read_org_data", "view_audit"),
}


def role_by_name(name: str) -> Role:
    """Accept a role by its code (``coordinator``) or its Chinese name (``抽查管理员``)."""
    for role in Role:
        if name in (role.value, role.label):
            return role
    choices = "、".join(f"{role.label}（{role.value}）" for role in Role)
    raise ValueError(f"未知角色“{name}”，可选：{choices}")


def group_for(role: Role) -> Group:
    return Group.objects.get(name=role.label)


@transaction.atomic
def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions of ROLE_PERMISSIONS."""
    codenames = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="accounts", codename__in=codenames
        )
    }
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.label)
        group.permissions.set([permissions[code] for code in codes if code in permissions])


def roles_sync_handler(**kwargs) -> None:
    roles_sync()


def user_roles(user) -> list[Role]:
    labels = {group.name for group in user.groups.all()}
    return [role for role in Role if role.label in labels]
