from django.utils.functional import SimpleLazyObject

from shuangsuiji.accounts.navigation import menu_for, user_access


def navigation(request, counts=None):
    """The signed-in user's menu and roles, read only by a page that shows them (base.html):
    a PDF or a fragment rendered with the request costs nothing. ``counts``: a callable giving
    what awaits the user by menu entry (``menu_for``); the entry points pass it
    (``config.context_processors``), this layer cannot read it. The menu, the roles and the
    entries counted come from one read of the user's access (``user_access``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menu = SimpleLazyObject(lambda: menu_for(user, counts() if counts else None))
    return {
        "menu": menu,
        # On a phone the menu is folded: its button says how much awaits inside.
        "menu_waiting": SimpleLazyObject(
            lambda: sum(entry["waiting"].count for entry in menu if entry["waiting"])
        ),
        "my_roles": SimpleLazyObject(lambda: list(user_access(user).roles)),
    }
