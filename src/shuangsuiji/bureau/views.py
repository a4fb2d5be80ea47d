"""工作日历: the national calendar (the province's 系统管理员) and a bureau's own days."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from shuangsuiji.accounts.access import role_required
from shuangsuiji.acts import calendar as services
from shuangsuiji.bureau.calendar import edits_national_calendar, workday_calendar
from shuangsuiji.bureau.forms import WorkdayForm, WorkdayYearForm
from shuangsuiji.bureau.models import WorkdayOverride, WorkdayYear
from shuangsuiji.params import whole_number
from shuangsuiji.workdays import has_notice


def _moved(change) -> str:
    if not change.moved:
        return "没有已算出的公示期限因此变化。"
    return f"{len(change.moved)} 项检查结果的公示期限已重新计算（见审计日志）。"


def _apply(request, action) -> bool:
    try:
        change = action()
    except (ValidationError, PermissionDenied) as error:
        text = "；".join(getattr(error, "messages", None) or [str(error)])
        messages.error(request, text)
        return False
    messages.success(request, f"{change.summary}。{_moved(change)}")
    return True


def _post(request, national: bool):
    user = request.user
    action = request.POST.get("action")
    if action == "remove":
        pk = whole_number(request.POST.get("override"), 1, 2**31 - 1)
        override = get_object_or_404(WorkdayOverride, pk=pk or 0)
        _apply(request, lambda: services.day_remove(actor=user, override=override))
        return None, None
    if action == "year":
        year_form = WorkdayYearForm(request.POST)
        if year_form.is_valid():
            year = year_form.cleaned_data["year"]
            _apply(request, lambda: services.workday_year_confirm(actor=user, year=year))
            return None, None
        return None, year_form
    form = WorkdayForm(request.POST, national=national)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    values = {"day": data["day"], "is_workday": data["is_workday"], "note": data["note"]}
    if data["scope"] == WorkdayForm.NATIONAL:
        _apply(request, lambda: services.national_day_set(actor=user, **values))
    else:
        _apply(
            request,
            lambda: services.local_day_set(actor=user, organisation=user.organisation, **values),
        )
    return None, None


def _years(today: dt.date, calendar) -> list[dict]:
    """This year, next year and every confirmed year: where each one's calendar comes from."""
    confirmed = {y.year: y for y in WorkdayYear.objects.select_related("confirmed_by")}
    rows = []
    for year in sorted({today.year, today.year + 1, *confirmed}, reverse=True):
        row = {"year": year, "confirmed": confirmed.get(year), "notice": has_notice(year)}
        if not calendar.is_known(year):
            row["provisional_holidays"] = calendar.provisional_holidays(year)
        rows.append(row)
    return rows


@role_required("manage_users")
@require_http_methods(["GET", "POST"])
def calendar_edit(request):
    national = edits_national_calendar(request.user)
    organisation = request.user.organisation
    form = year_form = None
    if request.method == "POST":
        form, year_form = _post(request, national)
        if form is None and year_form is None:
            return redirect("planning:calendar")
    calendar = workday_calendar(organisation)
    return render(
        request,
        "planning/calendar.html",
        {
            "form": form or WorkdayForm(national=national),
            "year_form": (year_form or WorkdayYearForm()) if national else None,
            "national": national,
            "years": _years(timezone.localdate(), calendar),
            "national_days": WorkdayOverride.objects.filter(organisation__isnull=True),
            "local_days": WorkdayOverride.objects.filter(organisation=organisation),
        },
    )
