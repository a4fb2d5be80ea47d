"""``{% menu_items menu %}``: the entries of the staff's menu (base.html), written in Python.

Every staff page shows the menu, a dozen entries each with its count of to-dos: through the
template language each entry cost a loop step, a comparison with the page's address, a
``with`` and a dozen lookups, a tenth of a page that reads little else, such as the home page
(issue 21 §3, ``benchmarks/staff.py``). The entries are the HTML the template gave, escaped
the same way (``shuangsuiji.html``); ``menu`` is ``accounts.navigation.menu_for``'s.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import escape

register = template.Library()


@register.simple_tag(takes_context=True)
def menu_items(context, menu) -> SafeString:
    request = context.get("request")
    here = request.path if request is not None else ""
    html = []
    for item in menu:
        url = escape(item["url"])
        current = ' aria-current="page"' if here == item["url"] else ""
        count = ""
        waiting = item["waiting"]
        if waiting:
            late, said = (" overdue", "，含已逾期") if waiting.overdue else ("", "")
            detail = escape(waiting.detail)
            count = (
                f' <span class="nav-count{late}" title="{detail}">{escape(waiting.count)}'
                f'<span class="visually-hidden"> 项待办{said}：{detail}</span></span>'
            )
        html.append(
            f'\n      <li><a href="{url}"{current}>{escape(item["label"])}{count}</a></li>\n      '
        )
    # Every value above is escaped.
    return mark_safe("".join(html))
