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
from shuangsuiji.policy import PolicyError, load_preset


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
    return max(parameter.entries[0].since for parameter in preset.parameters())


def allowed_dates(
    organisation: Organisation, *, future: bool, today: dt.date | None = None
) -> DateRange:
    """What a date of this bureau may be: ``future`` for planned dates (deadlines, draws)."""
    return DateRange(policy_start(organisation), horizon(future=future, today=today))


def limit_dates(form: forms.Form, organisation: Organisation) -> None:
    """Give every ranged date field of ``form`` the bureau's range."""
    ranges: dict[bool, DateRange] = {}
    for field in form.fields.values():
        if hasattr(field, "limit"):
            if field.future not in ranges:
                ranges[field.future] = allowed_dates(organisation, future=field.future)
            field.limit(ranges[field.future])
