"""The one reusable permission check every view goes through.

``@role_required("manage_users")`` (a codename of the accounts app): an anonymous visitor is sent
to the login page, a signed-in user without the permission gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def has_permission(user, codename: str) -> bool:
    """The user holds the accounts app's permission ``codename``: read with the menu, once per
    request (navigation.user_access), not by Django's two permission queries first."""
    if not (user.is_authenticated and user.is_active):
        return False
    from shuangsuiji.accounts.navigation import user_access

    return codename in user_access(user).permissions


def role_required(*codenames: str) -> Callable:
    """Allow the view when the user holds any one of the given permissions."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if codenames and not any(has_permission(request.user, c) for c in codenames):
                raise PermissionDenied("您的角色无权访问此页面。")
            return view(request, *args, **kwargs)

        wrapped.required_permissions = codenames
        return wrapped

    return decorator


def login_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any signed-in user (pages every role has, such as the home page)."""
    return role_required()(view)


def require_own(actor, organisation_id: int, codename: str, message: str) -> None:
    """Services' check: the user holds the permission *and* belongs to the organisation that owns
    the rows (a parent organisation reads its children's data but never edits it).

    ``actor=None`` is the operator at the command line, who has the machine and every right.
    """
    if actor is None:
        return
    if not has_permission(actor, codename) or actor.organisation_id != organisation_id:
        raise PermissionDenied(message)
