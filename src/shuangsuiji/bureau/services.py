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
from shuangsuiji.policy import PolicyError, load_preset, load_preset_text
from shuangsuiji.policy.loader import PRESET_DIR, preset_titles


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
    title = preset_titles().get(policy.preset, "本单位选定的预设")
    detail = {"政策预设": title, "预设": made}
    if adoption.settings_created:
        detail["单位设置"] = {"新建": snapshot(adoption.settings)}
    summary = f"采用政策预设：{policy.organisation.name}采用《{title}》"
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


def release_changes(policy: OrganisationPolicy) -> list[str]:
    """The parameters in which this release's preset differs from the bureau's frozen copy
    (added, removed or with other dated values), by path; empty when they are the same."""
    try:
        current = load_preset(policy.preset)
    except PolicyError:
        return []
    frozen = load_preset_text(policy.text, f"{policy.preset}.yaml")
    mine = {p.path: p.entries for p in frozen.parameters()}
    theirs = {p.path: p.entries for p in current.parameters()}
    return sorted(
        path for path in mine.keys() | theirs.keys() if mine.get(path) != theirs.get(path)
    )


@dataclass(frozen=True)
class PolicyUpdate:
    policy: OrganisationPolicy
    #: The parameter paths whose values the new text changed.
    changed: list[str]


def _describe_update(update: PolicyUpdate, kwargs: dict):
    policy = update.policy
    summary = f"采用新版预设原文：{policy.organisation.name}“{policy.preset}”"
    return policy, summary, {"变化的参数": update.changed}


@audited("policy.update", "采用新版预设原文", describe=_describe_update)
@transaction.atomic
def policy_update(*, actor, organisation: Organisation) -> PolicyUpdate:
    """Replace the bureau's frozen copy with this release's text of the same preset (绛县's
    no-repeat classes, every plan's 信用风险 grading …), keeping its own adjustments. A new
    release never changes a bureau's rules by itself: this explicit, audited act does, and it is
    refused when an adjustment would no longer apply."""
    _check_adopter(actor, organisation)
    policy = (
        OrganisationPolicy.objects.select_for_update()
        .filter(organisation=organisation, preset=organisation.policy_preset)
        .first()
    )
    if policy is None:
        raise NoPolicy(f"{organisation.name}尚未采用政策预设。")
    changed = release_changes(policy)
    if not changed:
        raise ValidationError("本单位的预设原文与本版软件所带的相同，无需更新。")
    policy.text = (PRESET_DIR / f"{policy.preset}.yaml").read_text(encoding="utf-8")
    try:
        effective_preset(policy)  # every adjustment must still apply to the new text
    except PolicyError as error:
        raise ValidationError(f"本单位的调整与新版预设不相容，未更新：{error}") from error
    policy.save(update_fields=["text"])
    return PolicyUpdate(policy, changed)
