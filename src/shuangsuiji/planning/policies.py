"""An organisation's effective policy, and what it says about its registers this quarter."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.planning.models import OrganisationPolicy, PolicyAdjustment
from shuangsuiji.policy import PolicyError, Preset, Quarter, classify, load_preset, quotas
from shuangsuiji.policy.loader import PRESET_DIR, Reference, load_preset_text


class NoPolicy(Exception):
    """The organisation has no preset yet: its 系统管理员 chooses one on the organisation page."""


def organisation_policy(organisation: Organisation) -> OrganisationPolicy:
    """The organisation's copy of its preset, adopted (frozen) the first time it is needed."""
    if not organisation.policy_preset:
        raise NoPolicy(f"{organisation.name}尚未设置政策预设，请系统管理员在单位管理中选择。")
    policy = OrganisationPolicy.objects.filter(
        organisation=organisation, preset=organisation.policy_preset
    ).first()
    if policy is None:
        load_preset(organisation.policy_preset)  # refuse an unknown or broken preset loudly
        text = (PRESET_DIR / f"{organisation.policy_preset}.yaml").read_text(encoding="utf-8")
        policy, _ = OrganisationPolicy.objects.get_or_create(
            organisation=organisation, preset=organisation.policy_preset, defaults={"text": text}
        )
    return policy


@functools.lru_cache(maxsize=64)
def _parsed(text: str, source: str) -> Preset:
    """Parsing a preset takes tens of milliseconds and every save of a result reads the policy;
    a preset is immutable (adjustments make new ones), so a parsed text is kept."""
    return load_preset_text(text, source)


def effective_preset(policy: OrganisationPolicy) -> Preset:
    preset = _parsed(policy.text, f"{policy.organisation.code}/{policy.preset}.yaml")
    for adjustment in policy.adjustments.select_related("created_by"):
        preset = preset.with_value(
            adjustment.path,
            adjustment.value,
            adjustment.since,
            Reference(
                document=f"{policy.organisation.name}调整",
                clause=adjustment.created_at.strftime("%Y-%m-%d"),
                note=adjustment.reason,
            ),
        )
    return preset


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


@dataclass
class QuarterView:
    preset: Preset
    quarter: Quarter
    classifications: list
    quotas: list
    inspectors: int
    error: str = ""


def quarter_view(organisation: Organisation, quarter: Quarter) -> QuarterView:
    """Classify the organisation's registers and compute this quarter's quotas."""
    preset = effective_preset(organisation_policy(organisation))
    target_rows = Target.objects.filter(organisation=organisation, in_register=True).values()
    records = [target_record(row) for row in target_rows]
    event_rows = RegulatoryEvent.objects.filter(
        organisation=organisation, date__lte=quarter.end
    ).values("credit_code", "kind", "date", "reference")
    events = [event_record(row) for row in event_rows]
    inspectors = Inspector.objects.filter(
        organisation=organisation,
        in_register=True,
        on_duty=True,
        category=InspectorCategory.ENFORCEMENT,
    ).count()
    classifications = classify(preset, records, events, quarter)
    view = QuarterView(preset, quarter, classifications, [], inspectors)
    try:
        view.quotas = quotas(preset, classifications, quarter, inspectors=inspectors)
    except PolicyError as error:
        view.error = str(error)
    return view
