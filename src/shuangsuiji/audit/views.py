from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from shuangsuiji.accounts.access import role_required
from shuangsuiji.audit import selectors
from shuangsuiji.audit.actions import ACTION_NAMES
from shuangsuiji.audit.filters import AuditEventFilter


@role_required("view_audit")
def event_list(request):
    """监督员 browse and filter the log of their organisation and those below it."""
    events = AuditEventFilter(request.GET, queryset=selectors.events_for(request.user))
    page = Paginator(events.qs, 50).get_page(request.GET.get("page"))
    problems = events.problems
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "chosen": events.chosen,
            "problems": problems,
            "heads": selectors.daily_heads(days=14),
            "action_names": list(dict.fromkeys(ACTION_NAMES.values())),
        },
        status=400 if problems else 200,
    )


#: How far back the public page lists the daily heads (a year: long enough to compare against a
#: head someone noted down or a newspaper printed).
PUBLIC_HEAD_DAYS = 366


def public_heads(request):
    """Public: each day's last audit entry and its hash (JX-6.4). Anyone may note these down; if
    the history before a noted day is ever rewritten, that day's head no longer matches."""
    heads = selectors.daily_heads(days=PUBLIC_HEAD_DAYS)
    if request.GET.get("format") == "txt":
        lines = [f"{day:%Y-%m-%d}\t{last_id}\t{digest}" for day, last_id, digest in heads]
        body = "日期\t最后一条记录\tSHA-256 链头\n" + "\n".join(lines) + ("\n" if lines else "")
        return HttpResponse(body, content_type="text/plain; charset=utf-8")
    return render(request, "audit/public_heads.html", {"heads": heads})
