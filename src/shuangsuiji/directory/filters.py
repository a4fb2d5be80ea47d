"""The filter of a register's list page and its Excel export (``?q=…&target_type=…``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from shuangsuiji.directory.models import tag_filter
from shuangsuiji.directory.registers import RegisterSpec
from shuangsuiji.directory.vocabulary import TAG_VOCABULARY
from shuangsuiji.filters import SearchFilter

#: 在库 / 已移出 / 全部; a list shows the rows in the register unless asked otherwise.
REGISTER_STATES = {"1": "在库", "0": "已移出", "all": "全部"}


def _choice(name: str, label: str, options, *, method: str) -> django_filters.ChoiceFilter:
    """A drop-down of ``options`` (words, or value → word); any other value is ignored."""
    pairs = options.items() if isinstance(options, dict) else ((o, o) for o in options)
    return django_filters.ChoiceFilter(name, label=label, choices=list(pairs), method=method)


class RegisterFilter(django_filters.FilterSet):
    """Narrows the rows the selector scoped (``register_rows``) by the search box, the
    register's ``filter_fields`` and 在库状态. A value outside a field's options is ignored
    (the form refuses it), so a hand-edited URL cannot reach past the scoping."""

    q = SearchFilter(method="search")

    def __init__(self, data, *, spec: RegisterSpec, queryset, **kwargs):
        self.spec = spec
        self.has_register_state = hasattr(spec.model, "in_register")
        data = data.copy()
        if self.has_register_state:
            data.setdefault("in_register", "1")
        super().__init__(data, queryset=queryset, **kwargs)
        for name in spec.filter_fields:
            column = spec.column_for_field(name)
            if name == "tags":
                self._add(_choice(name, column.header, TAG_VOCABULARY, method="tagged"))
            elif column.options:
                self._add(_choice(name, column.header, column.options, method="option"))
            elif name == "area":
                # 片区 are the bureau's own words: any value, matched exactly, taken as it is.
                self._add(django_filters.CharFilter(name, label=column.header, strip=False))
        if self.has_register_state:
            self._add(_choice("in_register", "在库状态", REGISTER_STATES, method="register_state"))

    def _add(self, field: django_filters.Filter) -> None:
        field.model = self.queryset.model
        field.parent = self
        self.filters[field.field_name] = field

    def search(self, rows, name, value):
        condition = Q()
        for field in self.spec.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return rows.filter(condition)

    def tagged(self, rows, name, value):
        return rows.filter(tag_filter(name, value))

    def option(self, rows, name, value):
        return rows.filter(**{name: self.spec.column_for_field(name).read(value)})

    def register_state(self, rows, name, value):
        return rows if value == "all" else rows.filter(in_register=value == "1")

    @property
    def applied(self) -> dict[str, str]:
        """The filters actually applied, by parameter, as the page shows them chosen."""
        self.is_valid()  # cleans the form: cleaned_data holds the values it accepted
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if value and not (name == "in_register" and value == "all")
        }
