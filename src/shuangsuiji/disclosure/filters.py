"""The filters of the public portal's lists and of the open-data API: the results
(``?year=…&quarter=…&category=…&month=…``) and the searches of the registers (``?q=…``)."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters.fields import ChoiceField

from shuangsuiji.directory.search import name_contains, targets_matching
from shuangsuiji.filters import SearchFilter, WholeNumberFilter, form_problems
from shuangsuiji.inspections.models import Inspection, ResultCategory
from shuangsuiji.params import YEARS
from shuangsuiji.policy import Quarter

#: A result filter accepts ``year`` (and the year of ``month``) within params.YEARS, and these
#: quarters; the portal and the API enforce them here and the API's schema documents them from
#: the same numbers.
QUARTERS = (1, 4)
#: ``month`` as YYYY-MM within YEARS, or empty (no month), the API's documented pattern; taken
#: as it is, not stripped. A month outside a datetime's range would fail when its end is
#: computed, and a century ago has no published results.
MONTH_PATTERN = r"^((20[0-9]{2}|2100)-(0[1-9]|1[0-2]))?$"
#: A whole 统一社会信用代码 is looked up exactly, anything else as part of a name.
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def _number_message(name: str, low: int, high: int) -> str:
    return f"参数 {name}=“%(value)s”无效，应为 {low}–{high} 的整数。"


class StrippedChoiceField(ChoiceField):
    def to_python(self, value) -> str:
        return super().to_python(value).strip()


class StrippedChoiceFilter(django_filters.ChoiceFilter):
    field_class = StrippedChoiceField


class MonthField(forms.CharField):
    """The first day of a month given as YYYY-MM (``MONTH_PATTERN``), taken as it is."""

    def __init__(self, **kwargs):
        super().__init__(strip=False, **kwargs)

    def to_python(self, value) -> dt.date | None:
        raw = super().to_python(value)
        if not raw:
            return None
        if not re.fullmatch(MONTH_PATTERN, raw):
            low, high = YEARS
            message = f"参数 month=“{raw}”无效，应为 YYYY-MM（{low}-01 至 {high}-12）。"
            raise ValidationError(message, code="invalid")
        return dt.date(int(raw[:4]), int(raw[5:]), 1)


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class ResultForm(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("quarter") and data.get("year") is None:
            self.add_error("quarter", "按季度筛选时请同时指定年度（year）。")
        return data


class ResultFilter(django_filters.FilterSet):
    """Narrows published results (``selectors.public_results``) by the year, or the quarter of
    a year, of their determination, their category and the month of their publication. Bad
    values are named in ``problems`` as (parameter, message), not ignored silently: the portal
    answers 400 and the API 422, listing them; the valid ones still apply."""

    year = WholeNumberFilter(
        method="determined_in",
        label="年度",
        low=YEARS[0],
        high=YEARS[1],
        strip=True,
        error_messages={"invalid": _number_message("year", *YEARS)},
    )
    # Applied with the year (``determined_in``); the form refuses a quarter without one.
    quarter = WholeNumberFilter(
        method="with_the_year",
        label="季度",
        low=QUARTERS[0],
        high=QUARTERS[1],
        strip=True,
        error_messages={"invalid": _number_message("quarter", *QUARTERS)},
    )
    category = StrippedChoiceFilter(
        "result_category",
        label="检查结果",
        choices=ResultCategory.choices,
        error_messages={"invalid_choice": "参数 category=“%(value)s”无效。"},
    )
    month = MonthFilter(method="published_in", label="公示月份")

    class Meta:
        model = Inspection
        fields = ()
        form = ResultForm

    def determined_in(self, results, name, year):
        quarter = self.form.cleaned_data.get("quarter")
        if quarter:
            period = Quarter(year, quarter)
            return results.filter(determined_on__range=(period.start, period.end))
        return results.filter(determined_on__year=year)

    def with_the_year(self, results, name, quarter):
        return results

    def published_in(self, results, name, month):
        start = _local_midnight(month)
        end = _local_midnight(dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1))
        return results.filter(published_at__gte=start, published_at__lt=end)

    @classmethod
    def named_in(cls, data) -> ResultFilter | None:
        """The filter of ``data`` (a query string), or ``None`` where it names none of the
        filters: most requests (a list as linked, its pages) are not put through the form,
        whose fields are deep-copied for every form (issue 21 §1)."""
        return cls(data) if data.keys() & cls.base_filters.keys() else None

    @property
    def problems(self) -> list[tuple[str, str]]:
        return form_problems(self)

    @property
    def chosen(self) -> dict:
        """The values applied, for the page's fields and its CSV link."""
        self.is_valid()  # cleans the form: cleaned_data holds the values it accepted
        data = self.form.cleaned_data
        return {name: data.get(name) for name in ("year", "quarter", "category", "month")}


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class EnterpriseSearch(django_filters.FilterSet):
    """企业查询 across every organisation's register (``selectors.public_enterprises``): a whole
    统一社会信用代码 exactly, anything else as part of the name."""

    q = SearchFilter(method="name_or_code")

    def name_or_code(self, targets, name, query):
        if CREDIT_CODE.match(query.upper()):
            return targets.filter(credit_code=query.upper())
        return targets_matching(targets, query)

    @property
    def query(self) -> str:
        self.is_valid()  # cleans the form: cleaned_data holds the values it accepted
        return self.form.cleaned_data.get("q", "")

    @property
    def walk(self) -> QuerySet:
        """The same targets, for walking the names in order: not narrowed by the name index
        (``selectors.enterprise_rows``)."""
        query = self.query
        if not query or CREDIT_CODE.match(query.upper()):
            return self.qs
        return targets_matching(self.queryset, query, indexed=False)


class TargetSearch(EnterpriseSearch):
    """The search of one organisation's 检查对象名录库 page (``selectors.public_targets``):
    part of the name, or the whole 统一社会信用代码."""

    def name_or_code(self, targets, name, query):
        return targets.filter(name_contains(query) | Q(credit_code=query.upper()))
