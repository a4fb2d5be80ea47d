from django.core.paginator import Paginator
from django.shortcuts import render

from shuangsuiji.accounts.access import role_required
from shuangsuiji.audit import selectors


@role_required("view_audit")
def event_list(request):
    """监督员 browse and filter the log of their organisation and those below it."""
    events, chosen = selectors.events_for(request.user, request.GET)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/list.html",
        {"page": page, "chosen": chosen, "heads": selectors.daily_heads(days=14)},
    )
