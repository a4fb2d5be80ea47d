"""The settings a plan leaves to the bureau (task names, team size, monthly publication …)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.models import OrganisationSettings
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.policy import PolicyError, Preset
from shuangsuiji.policy.targets import RESULT_PUBLICATION_MONTHLY, plan_target
from shuangsuiji.prepared import Prepared

#: Read by the portal's results pages, the record form and the acts of most services: compiled
#: and planned once per connection (shuangsuiji.prepared; issue 21 §1, §3).
_STORED = Prepared(
    lambda organisation: OrganisationSettings.objects.filter(organisation=organisation),
    organisation=int,
    planned_once=True,
)
#: Several organisations' (``organisation_settings_many``: a board recomputed after a result).
_SETTINGS_OF = Prepared(
    lambda organisations: OrganisationSettings.objects.filter(organisation_id__in=organisations),
    organisations=list,
)


def organisation_settings(organisation: Organisation) -> OrganisationSettings:
    """The bureau's stored settings; where none are stored, the defaults its adopted preset
    gives, unsaved. Reads never write: the row is made when the bureau adopts its preset
    (``bureau.services.policy_adopt``) or its 系统管理员 saves the settings form."""
    stored = _STORED(organisation=organisation.pk)
    if stored:
        return stored[0]
    return OrganisationSettings(organisation=organisation, **_defaults(organisation))


@audited("settings.update", "修改单位设置", subject="settings")
@transaction.atomic
def organisation_settings_save(*, actor, form, settings=None):
    """Save the 系统管理员's settings form (its instance is the organisation's settings)."""
    return form.save()


def preset_settings(preset: Preset) -> dict:
    """Settings a plan states start as it says: 保定 二 “每月向社会公示随机抽查结果” turns on
    the monthly batches. The administrator can change them afterwards."""
    try:
        monthly = plan_target(preset, RESULT_PUBLICATION_MONTHLY, timezone.localdate())
    except PolicyError:
        return {}
    return {"publish_monthly": monthly is not None and monthly.enabled}


def _defaults(organisation: Organisation) -> dict:
    try:
        return preset_settings(effective_preset(organisation_policy(organisation)))
    except (NoPolicy, PolicyError):
        return {}


@dataclass(frozen=True)
class BureauDefaultSetting:
    """One number no plan states, as the settings and policy pages show it."""

    field: str
    label: str
    value: Any
    default: Any
    note: str
    #: The law or clause that bounds it (行政处罚法 第四十二条 for the team), if any.
    basis: str = ""

    @property
    def is_default(self) -> bool:
        """Still the platform's default (the bureau has not changed it)."""
        return self.value == self.default


def bureau_default_settings(settings: OrganisationSettings) -> list[BureauDefaultSetting]:
    """The bureau's settings that are numbers no plan states (``BUREAU_DEFAULTS``): its value
    now, the platform's default, and the note saying so."""
    rows = []
    for name, (note, basis) in OrganisationSettings.BUREAU_DEFAULTS.items():
        field = OrganisationSettings._meta.get_field(name)
        rows.append(
            BureauDefaultSetting(
                field=name,
                label=str(field.verbose_name),
                value=getattr(settings, name),
                default=field.default,
                note=note,
                basis=basis,
            )
        )
    return rows


def organisation_settings_many(
    organisations: list[Organisation], presets: dict[int, Preset | NoPolicy]
) -> dict[int, OrganisationSettings]:
    """Each organisation's stored settings; where none are stored, its preset's defaults, unsaved
    (reads never write)."""
    stored = {
        settings.organisation_id: settings
        for settings in _SETTINGS_OF(organisations=sorted(org.pk for org in organisations))
    }
    result = {}
    for organisation in organisations:
        settings = stored.get(organisation.pk)
        if settings is None:
            preset = presets.get(organisation.pk)
            try:
                defaults = preset_settings(preset) if isinstance(preset, Preset) else {}
            except PolicyError:
                defaults = {}
            settings = OrganisationSettings(organisation=organisation, **defaults)
        result[organisation.pk] = settings
    return result
