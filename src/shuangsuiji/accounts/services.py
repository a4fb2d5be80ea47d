"""Writes to organisations and users. Each service checks the actor and is atomic.

``actor=None`` means the operator at the command line (``shuangsuiji org add`` …), who has the
machine and therefore every right; web views always pass the signed-in user.

Choosing an organisation's policy preset here does not adopt it (the bureau's copy lives a
layer above): views and the command line call ``shuangsuiji.acts.organisations``, which runs
these services and ``bureau.services.policy_adopt`` in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.accounts.models import Organisation, OrganisationLevel, User
from shuangsuiji.accounts.roles import Role, group_for
from shuangsuiji.audit.services import audited
from shuangsuiji.policy import available_presets


def _check_preset(preset: str) -> None:
    if preset and preset not in available_presets():
        choices = "、".join(available_presets()) or "（暂无）"
        raise ValidationError({"policy_preset": f"未知的政策预设“{preset}”，可用：{choices}。"})


def _check_manages(actor: User | None, organisation: Organisation) -> None:
    """A 系统管理员 manages its own organisation and everything below it."""
    if actor is None:
        return
    if not has_permission(actor, "manage_users") or not organisation.is_within(actor.organisation):
        raise PermissionDenied("您无权管理该单位。")


@audited("organisation.create", "新建单位")
@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    parent: Organisation | None = None,
    level: int | None = None,
    policy_preset: str = "",
) -> Organisation:
    if parent is None:
        if actor is not None:
            raise PermissionDenied("顶级单位只能由平台运维人员通过命令行创建。")
        level = level or OrganisationLevel.PROVINCE
    else:
        _check_manages(actor, parent)
        if level == OrganisationLevel.PARTNER:
            # A partner department is registered with the bureau (or 市局) it checks with.
            if parent.level not in (OrganisationLevel.CITY, OrganisationLevel.BRANCH):
                raise ValidationError({"parent": "联合部门须登记在与其联合检查的市局或分局之下。"})
            if policy_preset:
                raise ValidationError({"policy_preset": "联合部门不采用生态环境抽查政策预设。"})
        else:
            if parent.level >= OrganisationLevel.BRANCH:
                raise ValidationError({"parent": f"“{parent.name}”下不能再设下级单位。"})
            level = level or parent.level + 1
            if level <= parent.level:
                raise ValidationError({"level": "下级单位的层级必须低于上级单位。"})
    _check_preset(policy_preset)
    organisation = Organisation(
        code=code.strip(),
        name=name.strip(),
        parent=parent,
        level=level,
        policy_preset=policy_preset,
    )
    organisation.path = "/"  # placeholder so validation passes; set from the pk below
    organisation.full_clean()
    organisation.save()
    parent_path = parent.path if parent else "/"
    organisation.path = f"{parent_path}{organisation.pk}/"
    organisation.save(update_fields=["path"])
    return organisation


@audited("organisation.update", "修改单位", subject="organisation")
@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    policy_preset: str,
    is_active: bool,
) -> Organisation:
    _check_manages(actor, organisation)
    if actor is not None and organisation == actor.organisation and not is_active:
        raise ValidationError({"is_active": "不能停用自己所在的单位。"})
    _check_preset(policy_preset)
    organisation.name = name.strip()
    organisation.policy_preset = policy_preset
    organisation.is_active = is_active
    organisation.full_clean()
    organisation.save(update_fields=["name", "policy_preset", "is_active"])
    return organisation


@audited("organisation.preset", "设置政策预设", subject="organisation")
@transaction.atomic
def organisation_preset_set(
    *, actor: User | None, organisation: Organisation, policy_preset: str
) -> Organisation:
    """Choose the plan the organisation follows. Adopting it (freezing its text) is the
    bureau's act above this layer: ``shuangsuiji.acts.organisations`` does both at once."""
    _check_manages(actor, organisation)
    _check_preset(policy_preset)
    organisation.policy_preset = policy_preset
    organisation.full_clean()
    organisation.save(update_fields=["policy_preset"])
    return organisation


def _set_roles(user: User, roles: Iterable[Role]) -> None:
    user.groups.set([group_for(Role(role)) for role in roles])


def generate_password(user: User | None = None) -> str:
    """A random password that the password validators accept for ``user``.

    Django's similarity check compares letters with the user's name and login, so a
    random draw is now and then "too similar" (``GoKA-LDReHEdi3jt`` for
    ``huojia-leader``): such a draw is thrown away and another taken."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


@audited("user.create", "新建用户")
@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    organisation: Organisation,
    roles: Iterable[Role],
    display_name: str = "",
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns the user and the initial password (generated when not given)."""
    _check_manages(actor, organisation)
    roles = list(roles)
    if not roles:
        raise ValidationError({"roles": "至少选择一个角色。"})
    user = User(
        username=username.strip(), display_name=display_name.strip(), organisation=organisation
    )
    user.full_clean(exclude=["password"])
    if not password:
        password = generate_password(user)  # drawn until the validators accept it
    else:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.save()
    _set_roles(user, roles)
    return user, password


@audited("user.update", "修改用户及角色", subject="user")
@transaction.atomic
def user_update(
    *,
    actor: User | None,
    user: User,
    display_name: str,
    organisation: Organisation,
    roles: Iterable[Role],
    is_active: bool,
) -> User:
    _check_manages(actor, user.organisation)
    _check_manages(actor, organisation)
    roles = list(roles)
    if not roles:
        raise ValidationError({"roles": "至少选择一个角色。"})
    if actor is not None and actor.pk == user.pk:
        if not is_active:
            raise ValidationError({"is_active": "不能停用自己的账号。"})
        if Role.SYSADMIN not in roles:
            raise ValidationError({"roles": "不能取消自己的系统管理员角色。"})
    user.display_name = display_name.strip()
    user.organisation = organisation
    user.is_active = is_active
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "organisation", "is_active"])
    _set_roles(user, roles)
    return user


@audited("user.set_password", "重设密码", subject="user")
@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str) -> User:
    _check_manages(actor, user.organisation)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
