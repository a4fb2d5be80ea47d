"""Creating an organisation or choosing its preset, with the adoption of that preset in the same
transaction: the bureau's frozen copy of its plan and its settings exist from the moment the
preset is chosen, and no page has to make them when it is first read (issue 16). The 系统管理员's
pages and ``shuangsuiji org add`` call these, never the accounts services directly."""

from __future__ import annotations

from django.db import transaction

from shuangsuiji.accounts import services as accounts
from shuangsuiji.accounts.models import Organisation, User
from shuangsuiji.bureau.services import policy_adopt


def _adopt(actor: User | None, organisation: Organisation) -> Organisation:
    if organisation.policy_preset:
        policy_adopt(actor=actor, organisation=organisation)
    return organisation


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
    organisation = accounts.organisation_create(
        actor=actor, code=code, name=name, parent=parent, level=level, policy_preset=policy_preset
    )
    return _adopt(actor, organisation)


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    policy_preset: str,
    is_active: bool,
) -> Organisation:
    """Saving the organisation adopts its preset when it has not been adopted yet (a changed
    preset, or one chosen before adoption was an act): saving it unchanged logs nothing more."""
    organisation = accounts.organisation_update(
        actor=actor,
        organisation=organisation,
        name=name,
        policy_preset=policy_preset,
        is_active=is_active,
    )
    return _adopt(actor, organisation)


@transaction.atomic
def organisation_preset_set(
    *, actor: User | None, organisation: Organisation, policy_preset: str
) -> Organisation:
    organisation = accounts.organisation_preset_set(
        actor=actor, organisation=organisation, policy_preset=policy_preset
    )
    return _adopt(actor, organisation)
