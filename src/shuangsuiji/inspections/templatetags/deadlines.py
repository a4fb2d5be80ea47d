"""``{% publication_due inspection %}``: a result's publication deadline, with “暂定” where it
was counted over a year whose calendar is not yet confirmed (``inspections.deadlines``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from shuangsuiji.bureau.calendar import confirmed_years
from shuangsuiji.inspections.deadlines import provisional_note, stored_provisional_years

register = template.Library()


@register.simple_tag(takes_context=True)
def publication_due(context, inspection) -> str:
    return due_text(context, inspection.determined_on, inspection.publication_due)


def due_text(context, determined_on, due) -> str:
    """``{% publication_due %}`` of a result read as values: its 认定日期 and deadline."""
    if due is None:
        return ""
    # One query per page, however many rows show a deadline.
    cache = context.render_context
    if "confirmed_years" not in cache:
        cache["confirmed_years"] = confirmed_years()
    years = stored_provisional_years(determined_on, due, cache["confirmed_years"])
    if not years:
        return f"{due:%Y-%m-%d}"
    return format_html(
        '{} <span class="badge running provisional" title="{}">暂定</span>',
        f"{due:%Y-%m-%d}",
        provisional_note(years),
    )
