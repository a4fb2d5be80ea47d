"""``{% enterprise_rows rows %}``: the rows of 企业查询's table, written in Python.

A search lists up to fifty register entries, each with a link to the enterprise's page and one
to its bureau's: through the template language the hundred ``{% url %}`` reversals were three
quarters of a first view's CPU (issue 21 §1, ``benchmarks/portal.py``: search is the public
route whose answers are most often rendered afresh). The same HTML, escaped as autoescaping
escapes it; the rows are ``disclosure.selectors.enterprise_rows``.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape, link_maker

register = template.Library()


@register.simple_tag
def enterprise_rows(rows: list[dict]) -> SafeString:
    enterprise_url = link_maker("disclosure:enterprise")
    organisation_url = link_maker("disclosure:organisation")
    # Every value below is escaped.
    return mark_safe(
        "".join(
            f'<tr><td><a href="{enterprise_url(r["credit_code"])}">{escape(r["name"])}</a></td>'
            f"<td>{escape(r['credit_code'])}</td>"
            f'<td><a href="{organisation_url(r["organisation__code"])}">'
            f"{escape(r['organisation__name'])}</a></td></tr>"
            for r in rows
        )
    )
