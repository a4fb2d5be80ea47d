"""The filter of the 检查档案 page and its Excel export
(``?org=…&year=…&kind=…&status=…&result=…&q=…``)."""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django_filters.fields import ModelChoiceField

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.filters import SearchFilter, WholeNumberFilter
from shuangsuiji.inspections.models import Inspection, ResultCategory
from shuangsuiji.params import YEARS


class OrganisationCodeField(ModelChoiceField):
    """An organisation by its 单位代码 among the field's queryset. Any other code is not found
    (404), as the page of an organisation the user may not read is."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            raise Http404 from error


class OrganisationCodeFilter(django_filters.ModelChoiceFilter):
    field_class = OrganisationCodeField


def _reachable(request):
    """The user's organisation and those below it (inactive ones too: their archive stays)."""
    return Organisation.objects.subtree_of(request.user.organisation)


@dataclass(frozen=True)
class ArchiveChoice:
    """What the page narrows to; empty values mean “all”."""

    year: int | None = None
    organisation: Organisation | None = None
    kind: str = ""
    status: str = ""
    result: str = ""
    text: str = ""


class ArchiveFilter(django_filters.FilterSet):
    """Narrows the inspections the selector scoped (``archive``). A year, kind, status or result
    it cannot read is left out (the archive shows more, never another bureau's); an
    organisation outside the user's is a 404 and too long a search a 400."""

    org = OrganisationCodeFilter(
        "organisation", label="单位", queryset=_reachable, to_field_name="code"
    )
    year = WholeNumberFilter(label="年度", low=YEARS[0], high=YEARS[1])
    kind = django_filters.ChoiceFilter(label="性质", choices=Inspection.Kind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Inspection.Status.choices)
    result = django_filters.ChoiceFilter(
        "result_category", label="检查结果", choices=ResultCategory.choices
    )
    q = SearchFilter(method="target")

    def target(self, rows, name, text):
        return rows.filter(Q(target__name__icontains=text) | Q(target__credit_code=text.upper()))

    @property
    def chosen(self) -> ArchiveChoice:
        self.is_valid()  # cleans the form: cleaned_data holds the values it accepted
        data = self.form.cleaned_data
        return ArchiveChoice(
            year=data.get("year"),
            organisation=data.get("org"),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            result=data.get("result") or "",
            text=data.get("q") or "",
        )
