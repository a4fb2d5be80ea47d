"""``{% results_table results show_org %}``: the table of published results on an
organisation's results page and an enterprise's page, written in Python.

The portal's costliest first view is a page of fifty results: through the template language
each row costs a dozen variable lookups, URL reversals and date filters, about half of the
page's CPU (issue 21 §1, ``benchmarks/portal.py``). The table is the same HTML, escaped the
same way (``django.utils.html.escape``, as autoescaping does); the rows come from
``disclosure.selectors.public_result_values``, which reads what is shown and no more, as values.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji.html import day, escape, link_maker

register = template.Library()

HEAD = (
    "<th>检查对象</th><th>抽查任务</th><th>抽查事项</th><th>检查方式</th><th>检查结果</th>"
    "<th>公示内容</th><th>后续处置</th><th>结果认定日期</th><th>公示日期</th>"
)
EMPTY = '<tr><td colspan="10">暂无公开的抽查结果。</td></tr>'


def _follow_ups(result: dict) -> str:
    done = [
        f"{escape(f['kind'])}：" + (f"{day(f['closed_on'])} 办结" if f["closed_on"] else "办理中")
        for f in result["follow_ups"]
    ]
    return "<br>".join(done) or "—"


def _summary(result: dict) -> str:
    text = ""
    if result["confidentiality_label"]:
        text = (
            f'<span class="muted">涉及{escape(result["confidentiality_label"])}，'
            "仅公开摘要：</span>"
        )
    text += escape(result["summary"])
    for part in result["parts"]:
        text += (
            f'<br><span class="muted">联合部门</span> {escape(part["organisation_name"])}：'
            f"{escape(part['category_label'])}。{escape(part['summary'])}"
        )
    return text


@register.simple_tag
def results_table(results: list[dict], show_org: bool = False) -> SafeString:
    """``results``: ``disclosure.selectors.public_result_values(…, parts=True)``."""
    organisation_url = link_maker("disclosure:organisation")
    enterprise_url = link_maker("disclosure:enterprise")
    draw_url = link_maker("disclosure:draw")
    rows = []
    for r in results:
        organisation = ""
        if show_org:
            organisation = (
                f'<td data-label="检查单位"><a href="{organisation_url(r["organisation"])}">'
                f"{escape(r['organisation_name'])}</a></td>"
            )
        cells = []
        cells.append(
            f'<td data-label="检查对象"><a href="{enterprise_url(r["credit_code"])}">'
            f'{escape(r["target_name"])}</a><br><span class="muted">{escape(r["credit_code"])}'
            "</span></td>"
        )
        task = escape(r["task"]) if r["task"] else "—"
        if r["draw_id"] is not None:
            task += f'<br><a href="{draw_url(r["draw_id"])}">抽取 {escape(r["draw_id"])}</a>'
        cells.append(f'<td data-label="抽查任务">{task}</td>')
        items = "；".join(escape(name) for name in r["items"]) or "—"
        cells.append(f'<td data-label="抽查事项">{items}</td>')
        cells.append(f'<td data-label="检查方式">{escape(r["method"])}</td>')
        cells.append(
            f'<td data-label="检查结果"><strong>{escape(r["category_label"])}</strong></td>'
        )
        cells.append(f'<td data-label="公示内容">{_summary(r)}</td>')
        cells.append(f'<td data-label="后续处置">{_follow_ups(r)}</td>')
        cells.append(f'<td data-label="结果认定日期">{day(r["determined_on"])}</td>')
        cells.append(f'<td data-label="公示日期">{day(r["published_at"])}</td>')
        rows.append(f"<tr>\n    {organisation}\n    " + "\n    ".join(cells) + "\n  </tr>")
    head = ("<th>检查单位</th>" if show_org else "") + HEAD
    # Every value above is escaped.
    return mark_safe(
        f'<div class="table-wrap"><table class="stack">\n  <thead><tr>{head}</tr></thead>\n'
        f"  <tbody>{''.join(rows) or EMPTY}</tbody>\n</table></div>\n"
    )
