"""A quarter as the policy sees it: the registers classified and the quotas counted."""

from __future__ import annotations

from dataclasses import dataclass

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.policy import PolicyError, Preset, Quarter, classify, quotas


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
    inspectors = Inspector.objects.drawable().filter(organisation=organisation).count()
    classifications = classify(preset, records, events, quarter)
    view = QuarterView(preset, quarter, classifications, [], inspectors)
    try:
        view.quotas = quotas(preset, classifications, quarter, inspectors=inspectors)
    except PolicyError as error:
        view.error = str(error)
    return view
