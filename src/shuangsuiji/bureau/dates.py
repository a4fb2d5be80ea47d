"""The dates a bureau's staff may enter (issue 15): from the day the bureau's policy is in force,
to today for what has happened or to the end of next year for what is planned. Every date field
of a staff form is a ``params.RangedDateField`` limited here, and the services check the same
ranges, so a 9999-12-31 or a determination before the policy never reaches the calendar or the
portal."""

from __future__ import annotations

import datetime as dt

from django import forms

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.params import YEARS, DateRange, horizon
from shuangsuiji.policy import PolicyError, Preset, load_preset


def preset_start(preset: Preset) -> dt.date:
    """The first day on which every value of ``preset`` is in force."""
    return max(parameter.entries[0].since for parameter in preset.parameters())


def policy_start(organisation: Organisation) -> dt.date:
    """The first day on which every value of the bureau's policy is in force (its preset's
    start, e.g. 2024-01-01 for 遵化); 1 January of ``YEARS[0]`` for a bureau without one.
    Read only: a bureau that has not adopted its preset yet is read from the preset file."""
    if not organisation.policy_preset:
        return dt.date(YEARS[0], 1, 1)
    try:
        try:
            preset = effective_preset(organisation_policy(organisation))
        except NoPolicy:  # chosen, not adopted yet
            preset = load_preset(organisation.policy_preset)
    except PolicyError:
        return dt.date(YEARS[0], 1, 1)
    return preset_start(preset)


def allowed_dates(
    organisation: Organisation,
    *,
    future: bool,
    today: dt.date | None = None,
    start: dt.date | None = None,
) -> DateRange:
    """What a date of this bureau may be: ``future`` for planned dates (deadlines, draws).
    ``start``: the bureau's ``policy_start`` where the caller has read its policy already."""
    start = start or policy_start(organisation)
    return DateRange(start, horizon(future=future, today=today))


def limit_dates(form: forms.Form, organisation: Organisation, preset: Preset | None = None) -> None:
    """Give every ranged date field of ``form`` the bureau's range. ``preset``: the bureau's
    effective policy where the caller has read it already (two queries fewer)."""
    start = preset_start(preset) if preset is not None else None
    ranges: dict[bool, DateRange] = {}
    for field in form.fields.values():
        if hasattr(field, "limit"):
            if field.future not in ranges:
                ranges[field.future] = allowed_dates(organisation, future=field.future, start=start)
            field.limit(ranges[field.future])
