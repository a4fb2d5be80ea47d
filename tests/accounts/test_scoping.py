"""Organisation scoping: the one mechanism (OrgScopedQuerySet) every app reuses."""

from shuangsuiji.accounts.models import Organisation, User
from shuangsuiji.accounts.roles import Role


def test_branch_never_sees_sibling_rows_city_reads_both(organisations, make_user):
    a_user = make_user("a-coord", organisations["a"], Role.COORDINATOR)
    b_user = make_user("b-coord", organisations["b"], Role.COORDINATOR)
    city_user = make_user("city-leader", organisations["city"], Role.LEADER)

    seen_by_a = set(User.objects.readable_by(a_user).values_list("username", flat=True))
    assert seen_by_a == {"a-coord"}
    seen_by_b = set(User.objects.readable_by(b_user).values_list("username", flat=True))
    assert seen_by_b == {"b-coord"}
    seen_by_city = set(User.objects.readable_by(city_user).values_list("username", flat=True))
    assert seen_by_city == {"a-coord", "b-coord", "city-leader"}


def test_parent_reads_but_does_not_edit_children_rows(organisations, make_user):
    make_user("a-coord", organisations["a"], Role.COORDINATOR)
    city_user = make_user("city-leader", organisations["city"], Role.LEADER)
    editable = set(User.objects.editable_by(city_user).values_list("username", flat=True))
    assert editable == {"city-leader"}


def test_anonymous_reads_nothing(organisations, make_user):
    from django.contrib.auth.models import AnonymousUser

    make_user("a-coord", organisations["a"], Role.COORDINATOR)
    assert not User.objects.readable_by(AnonymousUser()).exists()


def test_subtree_uses_materialised_path(organisations):
    city = organisations["city"]
    names = set(Organisation.objects.subtree_of(city).values_list("code", flat=True))
    assert names == {"130200", "130281", "130283"}
    assert organisations["a"].is_within(city)
    assert not organisations["a"].is_within(organisations["b"])
    assert organisations["a"].depth == 2
