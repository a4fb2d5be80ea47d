"""An organisation's effective policy, and what it says about its registers this quarter."""

from __future__ import annotations

import functools
import json
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.models import OrganisationPolicy, PolicyAdjustment
from shuangsuiji.policy import PolicyError, Preset
from shuangsuiji.policy.loader import Reference, load_preset_text, preset_titles
from shuangsuiji.prepared import Prepared


class NoPolicy(Exception):
    """The organisation has no adopted policy: no preset chosen yet, or a preset chosen but not
    adopted (``bureau.services.policy_adopt``). The message says who does what."""


def organisation_policy(organisation: Organisation) -> OrganisationPolicy:
    """The organisation's adopted copy of its preset. Reading never adopts: adoption is an
    audited act of its own (at ``org add``, when the 系统管理员 sets the preset, by the
    抽查管理员, or by migration ``bureau/0002`` for bureaus that had a preset before)."""
    if not organisation.policy_preset:
        raise NoPolicy(f"{organisation.name}尚未设置政策预设，请系统管理员在单位管理中选择。")
    found = _POLICY(organisation=organisation.pk, preset=organisation.policy_preset, limit=1)
    if not found:
        raise NoPolicy(
            f"{organisation.name}尚未采用政策预设《{_title(organisation.policy_preset)}》："
            "请系统管理员在单位管理中打开本单位并保存（保存即采用该预设）。"
        )
    [policy] = found
    policy.organisation = organisation  # in hand: ``effective_preset`` reads no row for it
    return policy


# Read by every page that applies a rule of the plan: compiled once per connection (issue 21 §3).
_POLICY = Prepared(
    lambda organisation, preset: OrganisationPolicy.objects.filter(
        organisation_id=organisation, preset=preset
    ).order_by("pk"),
    organisation=int,
    preset=str,
    sliced=True,
    planned_once=True,
)
_ADJUSTMENTS = Prepared(
    lambda policy: PolicyAdjustment.objects.filter(policy_id=policy),
    policy=int,
    planned_once=True,
)
#: ``effective_presets``' two queries, compiled once: a board is recomputed after every result
#: recorded, and reads its organisations' policies each time (issue 21 §3).
_POLICIES_OF = Prepared(
    lambda organisations: OrganisationPolicy.objects.filter(organisation_id__in=organisations),
    organisations=list,
)
_ADJUSTMENTS_OF = Prepared(
    lambda policies: PolicyAdjustment.objects.filter(policy_id__in=policies), policies=list
)


def _title(slug: str) -> str:
    return preset_titles().get(slug, slug)


@functools.lru_cache(maxsize=64)
def _parsed(text: str, source: str) -> Preset:
    """Parsing a preset takes tens of milliseconds and every save of a result reads the policy;
    a preset is immutable (adjustments make new ones), so a parsed text is kept."""
    return load_preset_text(text, source)


def _adjusted(policy: OrganisationPolicy, organisation, adjustments) -> Preset:
    """The frozen preset with the bureau's dated adjustments on top, in their order."""
    preset = _parsed(policy.text, f"{organisation.code}/{policy.preset}.yaml")
    for adjustment in adjustments:
        preset = preset.with_value(
            adjustment.path,
            adjustment.value,
            adjustment.since,
            Reference(
                document=f"{organisation.name}调整",
                clause=timezone.localtime(adjustment.created_at).strftime("%Y-%m-%d"),
                note=adjustment.reason,
            ),
        )
    return preset


def effective_preset(policy: OrganisationPolicy) -> Preset:
    # The adjustments in Meta order, as ``policy.adjustments.all()`` gives them.
    return _adjusted(policy, policy.organisation, _ADJUSTMENTS(policy=policy.pk))


def effective_presets(organisations: list[Organisation]) -> dict[int, Preset | NoPolicy]:
    """Each organisation's effective preset by id, or the ``NoPolicy`` that says why it has none
    (an organisation whose chosen preset is not adopted yet costs one query more, to say so in
    ``organisation_policy``'s words)."""
    by_pk = {org.pk: org for org in organisations}
    policies: dict[int, OrganisationPolicy] = {}
    for policy in _POLICIES_OF(organisations=sorted(by_pk)):
        organisation = by_pk[policy.organisation_id]
        if policy.preset == organisation.policy_preset:
            policy.organisation = organisation  # in hand already: no query for its code
            policies[organisation.pk] = policy
    adjustments: dict[int, list[PolicyAdjustment]] = defaultdict(list)
    for adjustment in _ADJUSTMENTS_OF(policies=sorted(p.pk for p in policies.values())):
        adjustments[adjustment.policy_id].append(adjustment)  # in Meta order, as effective_preset
    presets: dict[int, Preset | NoPolicy] = {}
    for organisation in organisations:
        policy = policies.get(organisation.pk)
        if policy is None:
            try:
                policy = organisation_policy(organisation)
            except NoPolicy as error:
                presets[organisation.pk] = error
                continue
        presets[organisation.pk] = _adjusted(policy, organisation, adjustments[policy.pk])
    return presets


@audited("policy.adjust", "调整政策取值")
@transaction.atomic
def policy_value_set(*, actor, policy: OrganisationPolicy, path: str, value, since, reason: str):
    """A bureau changes one value of its copy from ``since`` on; the result is checked first."""
    require_own(
        actor, policy.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以调整政策取值。"
    )
    if not reason.strip():
        raise ValidationError({"reason": "请填写调整原因。"})
    current = effective_preset(policy)
    try:
        current.with_value(path, value, since, Reference(document="", clause=""))
    except PolicyError as error:
        raise ValidationError({"value": str(error)}) from error
    return PolicyAdjustment.objects.create(
        policy=policy, path=path, since=since, value=value, reason=reason.strip(), created_by=actor
    )


def policy_parameters(preset: Preset) -> list[dict]:
    """Every value of the preset with its dates and clause, as the policy pages list them."""
    return [
        {
            "path": parameter.path,
            "entries": [
                {
                    "since": entry.since,
                    "value": entry.value
                    if isinstance(entry.value, str)
                    else json.dumps(entry.value, ensure_ascii=False),
                    "ref": entry.ref,
                    "bureau_default": entry.bureau_default,
                }
                for entry in parameter.entries
            ],
        }
        for parameter in preset.parameters()
    ]
