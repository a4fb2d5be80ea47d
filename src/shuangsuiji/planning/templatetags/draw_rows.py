"""``{% draw_rows inspections draw coordinator substitute_form %}``: the rows of a draw's page,
one per drawn unit, written in Python.

A page of fifty units, each with its team and, while the list is confidential, the
抽查管理员's 替补 form: through the template language a row cost two dozen lookups, two URL
reversals, the team's loop and the form's options, about half of the page's CPU (issue 21 §3,
``benchmarks/staff.py``). The rows are the HTML the template gave, escaped the same way
(``shuangsuiji.html``); the inspections are the values ``planning.workflow_views.draw_detail``
reads, with ``stratum_name``, ``flag_names`` and ``team`` set.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.directory.models import pool_id
from shuangsuiji.html import choice_label, escape, link_maker
from shuangsuiji.inspections.models import Inspection
from shuangsuiji.planning.models import Draw

register = template.Library()

OPEN = (Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM)


def _team(inspection: dict) -> str:
    members = [
        f"{escape(name)}（{escape(certificate)}）" for name, _, certificate in inspection["team"]
    ]
    return "、".join(members) or "—"


@register.simple_tag(takes_context=True)
def draw_rows(context, inspections, draw, coordinator, substitute_form) -> SafeString:
    acting = bool(coordinator) and draw.status == Draw.Status.DRAWN
    if acting:
        assign_url = link_maker("planning:inspection_assign", number=True)
        substitute_url = link_maker("planning:inspection_substitute", number=True)
        token = CsrfTokenNode().render(context)
        options = "".join(
            f'<option value="{escape(value)}">{escape(label)}</option>'
            for value, label in substitute_form.fields["reason"].choices
        )
    rows = []
    for i in inspections:
        flags = (
            '<br><small class="warn">' + "、".join(escape(f) for f in i["flag_names"]) + "</small>"
            if i["flag_names"]
            else ""
        )
        actions = ""
        if acting:
            assign = (
                f'<a href="{assign_url(i["pk"])}">手工指派</a>'
                if i["status"] == Inspection.Status.NEEDS_TEAM
                else ""
            )
            substitute = ""
            if i["status"] in OPEN:
                substitute = (
                    f'\n      <form method="post" action="{substitute_url(i["pk"])}">{token}\n'
                    f'        <select name="reason" aria-label="替补原因">{options}</select>\n'
                    '        <input type="text" name="evidence" placeholder="依据" '
                    'aria-label="替补依据" required>\n'
                    "        <button>替补</button>\n"
                    "      </form>"
                )
            actions = f"\n      {assign}\n      {substitute}\n    "
        unit = pool_id(i["target__project_code"], i["target__credit_code"])
        status = choice_label(Inspection.Status, i["status"])
        rows.append(
            "\n  <tr>\n"
            f"    <td>{escape(i['stratum_name'])}</td><td>{escape(unit)}<br>"
            f"{escape(i['target__name'])}</td><td>{escape(i['target__area'])}</td>\n"
            f"    <td>{_team(i)}\n      {flags}</td>\n"
            f"    <td>{escape(i['method'])}</td><td>{escape(status)}</td>\n"
            f"    <td>{actions}</td>\n"
            "  </tr>"
        )
    # Every value above is escaped.
    return mark_safe("".join(rows))
