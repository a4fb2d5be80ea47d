"""The organisation tree and the accounts most tests start from, built through the services;
the fixtures of tests/conftest.py and the module-wide worlds of the fuzz suites share them."""

from __future__ import annotations

PASSWORD = "correct-horse-battery-9"


def build_organisations() -> dict:
    """A province → city → two branches tree."""
    from shuangsuiji.accounts.services import organisation_create

    province = organisation_create(actor=None, code="130000", name="河北省生态环境厅")
    city = organisation_create(actor=None, code="130200", name="唐山市生态环境局", parent=province)
    branch_a = organisation_create(
        actor=None, code="130281", name="唐山市生态环境局遵化市分局", parent=city
    )
    branch_b = organisation_create(
        actor=None, code="130283", name="唐山市生态环境局迁安市分局", parent=city
    )
    return {"province": province, "city": city, "a": branch_a, "b": branch_b}


def make_user(username, organisation, *roles, password=PASSWORD):
    from shuangsuiji.accounts.services import user_create

    user, _ = user_create(
        actor=None,
        username=username,
        organisation=organisation,
        roles=list(roles),
        display_name=username,
        password=password,
    )
    return user


def adopt_preset(organisation, preset: str):
    """Choose the organisation's policy preset as its 系统管理员 does, which adopts it: the
    frozen copy and the settings exist from then on (reads never make them; issue 16)."""
    from shuangsuiji.acts.organisations import organisation_preset_set

    return organisation_preset_set(actor=None, organisation=organisation, policy_preset=preset)
