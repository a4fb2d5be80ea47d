"""``{% organisation_options period %}``: the report pages' choice of organisation, its options
written in Python.

A 省厅's 统计表 and 看板 offer every bureau of the province, two hundred options: through the
template language each cost a loop step, a comparison of two organisations and two lookups,
which made the choice the costliest part of a report served from the cache (issue 21 §3,
``benchmarks/staff.py``). The options are the HTML the template gave (reports/_period.html),
escaped the same way (``shuangsuiji.html``).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape

register = template.Library()


@register.simple_tag
def organisation_options(period) -> SafeString:
    chosen = period.organisation.pk
    return mark_safe(
        "".join(
            f'<option value="{escape(o.code)}"{" selected" if o.pk == chosen else ""}>'
            f"{escape(o.name)}</option>"
            for o in period.organisations
        )
    )
