"""Adopting a policy preset: the one place a bureau's copy of its plan and its settings are made.

Adoption is an explicit, audited act, never a side effect of reading (issue 16): a page, the
portal or the API only ever read ``organisation_policy`` and ``organisation_settings``. The acts
of ``shuangsuiji.acts.organisations`` adopt when an organisation is created with a preset or its
preset is changed; migration ``bureau/0002`` adopted for the bureaus that had one before.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited, snapshot
from shuangsuiji.bureau.models import OrganisationPolicy, OrganisationSettings
from shuangsuiji.bureau.organisation_settings import preset_settings
from shuangsuiji.bureau.policies import NoPolicy, effective_preset
from shuangsuiji.policy import PolicyError, load_preset
from shuangsuiji.policy.loader import PRESET_DIR


@dataclass(frozen=True)
class Adoption:
    """The organisation's adopted copy and its settings, and which of them this call made."""

    policy: OrganisationPolicy
    settings: OrganisationSettings
    policy_created: bool
    settings_created: bool


def _check_adopter(actor, organisation: Organisation) -> None:
    """The 系统管理员 who manages the organisation (it chose the preset), or the bureau's own
    抽查管理员; ``actor=None`` is the operator at the command line or a migration."""
    if actor is None:
        return
    if has_permission(actor, "manage_users") and organisation.is_within(actor.organisation):
        return
    if has_permission(actor, "manage_sampling") and actor.organisation_id == organisation.pk:
        return
    raise PermissionDenied("只有本单位的抽查管理员或管理该单位的系统管理员可以采用政策预设。")


def _describe(adoption: Adoption, kwargs: dict):
    if not (adoption.policy_created or adoption.settings_created):
        return None  # adopted before: nothing changed, nothing to log
    policy = adoption.policy
    made = "冻结预设原文" if adoption.policy_created else "已采用"
    detail = {"政策预设": policy.preset, "预设": made}
    if adoption.settings_created:
        detail["单位设置"] = {"新建": snapshot(adoption.settings)}
    summary = f"采用政策预设：{policy.organisation.name}采用“{policy.preset}”"
    obj = policy if adoption.policy_created else adoption.settings
    return obj, summary, detail


@audited("policy.adopt", "采用政策预设", describe=_describe)
@transaction.atomic
def policy_adopt(*, actor, organisation: Organisation) -> Adoption:
    """Freeze the text of the organisation's preset into its own copy (once per preset: a bureau
    that goes back to a preset it had finds its copy and adjustments as they were), and make its
    settings with the defaults the preset states where it has none yet. Idempotent: a second
    call changes nothing and logs nothing."""
    _check_adopter(actor, organisation)
    name = organisation.policy_preset
    if not name:
        raise NoPolicy(f"{organisation.name}尚未设置政策预设，请系统管理员在单位管理中选择。")
    policy = OrganisationPolicy.objects.filter(organisation=organisation, preset=name).first()
    policy_created = policy is None
    if policy_created:
        try:
            load_preset(name)  # refuse an unknown or broken preset loudly, before freezing it
        except PolicyError as error:
            raise ValidationError({"policy_preset": str(error)}) from error
        text = (PRESET_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        policy = OrganisationPolicy.objects.create(
            organisation=organisation, preset=name, text=text
        )
    settings = OrganisationSettings.objects.filter(organisation=organisation).first()
    settings_created = settings is None
    if settings_created:
        try:
            defaults = preset_settings(effective_preset(policy))
        except PolicyError:
            defaults = {}
        settings = OrganisationSettings.objects.create(organisation=organisation, **defaults)
    return Adoption(policy, settings, policy_created, settings_created)
