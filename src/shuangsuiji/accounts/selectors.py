"""Reads of organisations and users, already scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shuangsuiji.accounts.models import Organisation, User, tree_position
from shuangsuiji.accounts.roles import Role


def organisations_managed_by(user: User) -> QuerySet[Organisation]:
    return (
        Organisation.objects.subtree_of(user.organisation)
        .select_related("parent")
        .annotate(user_count=Count("users", distinct=True))
    )


def users_managed_by(
    user: User, *, search: str = "", organisation_id: int | None = None, role: str = ""
) -> QuerySet[User]:
    users = (
        User.objects.of_organisation(user.organisation, with_descendants=True)
        .select_related("organisation")
        .prefetch_related("groups")
    )
    if search:
        users = users.filter(Q(username__icontains=search) | Q(display_name__icontains=search))
    if organisation_id:
        users = users.filter(organisation_id=organisation_id)
    if role:
        users = users.filter(groups__name=Role(role).label)
    subtree = Organisation.objects.subtree_of(user.organisation).only("pk", "code", "path")
    return users.order_by(tree_position(subtree, "organisation"), "username")


def organisation_overview(user: User) -> QuerySet[Organisation]:
    """The user's organisation and the ones directly below it, for the home page."""
    org = user.organisation
    return (
        Organisation.objects.filter(Q(pk=org.pk) | Q(parent=org))
        .in_tree_order()
        .annotate(user_count=Count("users", distinct=True))
    )
