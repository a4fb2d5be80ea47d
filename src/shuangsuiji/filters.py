"""The pieces every list filter (``<app>/filters.py``, a ``django_filters.FilterSet``) is built
from: the rules of ``params`` as form fields, so a filter's form reads a query string exactly as
the rest of the site does.

- ``SearchFilter``: stripped text; beyond ``SEARCH_MAX`` a 400 with the Chinese reason (the page
  is refused, not shown unfiltered: ``params.search_text``).
- ``WholeNumberField``: ASCII digits within a range (``params.whole_number``); anything else is
  a form error, which a list ignores or names, as it chooses.
- ``QueryDateField``: YYYY-MM-DD only, within a fixed ``DateRange``, with the same messages as
  ``params.parse_date``.

A value a FilterSet's form refuses is left out of the filtering (django-filter filters with
``cleaned_data``), so a hand-edited URL narrows less, never more, and never reaches past the
queryset the selector scoped.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from shuangsuiji.params import DateRange, RangedDateField, search_text, whole_number


class SearchField(forms.CharField):
    """Search text as ``params.search_text`` reads it. Too long raises ``BadRequest`` from the
    form's validation: the view answers 400 with the reason."""

    def to_python(self, value) -> str:
        return search_text({"q": value}, label=str(self.label))


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField

    def __init__(self, *args, label: str = "查询文字", **kwargs):
        super().__init__(*args, label=label, **kwargs)


class WholeNumberField(forms.CharField):
    """A whole number within ``low``–``high`` (``params.whole_number``); ``None`` when empty.
    ``strip`` as the page read it before: the portal strips, staff pages take the value as is.
    The ``invalid`` message may use ``%(value)s``, ``%(low)s`` and ``%(high)s``."""

    default_error_messages = {"invalid": "“%(value)s”不是 %(low)s–%(high)s 的整数。"}

    def __init__(self, *, low: int, high: int, strip: bool = False, **kwargs):
        self.low, self.high = low, high
        super().__init__(strip=strip, **kwargs)

    def to_python(self, value) -> int | None:
        raw = super().to_python(value)
        if raw in self.empty_values:
            return None
        number = whole_number(raw, self.low, self.high)
        if number is None:
            params = {"value": raw, "low": self.low, "high": self.high}
            raise ValidationError(self.error_messages["invalid"], code="invalid", params=params)
        return number


class WholeNumberFilter(django_filters.Filter):
    field_class = WholeNumberField


class QueryDateField(RangedDateField):
    """A date in a query string: YYYY-MM-DD only (no locale formats), within ``allowed``,
    which stays fixed (not the bureau's range, not today's default)."""

    def __init__(self, *, allowed: DateRange, **kwargs):
        self.fixed = allowed
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)
        self.limit(allowed)

    def __deepcopy__(self, memo):
        field = super().__deepcopy__(memo)
        field.limit(self.fixed)
        return field

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            raw = str(value or "").strip()
            message = f"{self.label}“{raw[:20]}”不是日期，请按 YYYY-MM-DD 填写。"
            raise ValidationError(message, code="invalid") from error


class QueryDateFilter(django_filters.Filter):
    field_class = QueryDateField


def form_problems(filterset, names=None) -> list[tuple[str, str]]:
    """(parameter, message) for each value the filter's form refused, in the form's order;
    only of ``names`` when given."""
    return [
        (name, message)
        for name, messages in filterset.form.errors.items()
        if names is None or name in names
        for message in messages
    ]
