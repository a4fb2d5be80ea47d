"""``{% bureau_default_settings organisation as rows %}``: the bureau's settings that are
numbers no plan states (team size, a lead's seniority, an inspector's annual cap, the draft
plan's draw day), for the policy pages to list beside the preset's marked defaults."""

from __future__ import annotations

from django import template

from shuangsuiji.bureau.organisation_settings import (
    BureauDefaultSetting,
    bureau_default_settings,
    organisation_settings,
)

register = template.Library()


@register.simple_tag
def bureau_default_settings_of(organisation) -> list[BureauDefaultSetting]:
    """Stored settings, or the defaults an organisation without a stored row draws with."""
    return bureau_default_settings(organisation_settings(organisation))
