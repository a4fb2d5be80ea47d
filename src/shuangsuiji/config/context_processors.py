"""Context for every page that needs more than one layer: the menu with the number of things
awaiting the user next to its entries (issue 19 §1). The menu belongs to ``accounts``, the
to-dos to ``reports``; only an entry point may join them."""

from __future__ import annotations

from django.utils import timezone

from shuangsuiji.accounts.context_processors import navigation as menu_and_roles
from shuangsuiji.accounts.navigation import user_access
from shuangsuiji.reports.todo_counts import menu_counts


def navigation(request):
    """The roles and the menu, each entry with its count of to-dos (``reports.todo``), read
    when a page shows the menu and not before; the entries counted are the menu's own, read
    once with it (``user_access``)."""

    def counts():
        user = request.user
        shown = {entry.url_name for entry in user_access(user).menu}
        # The home page has read the version for its list of to-dos already.
        version = getattr(request, "acts_version", None)
        return menu_counts(user, timezone.localdate(), shown, version)

    return menu_and_roles(request, counts)
