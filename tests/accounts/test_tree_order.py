"""Organisations are listed as a tree is read (the report pages' choice of organisation, the
统计表's columns): each after the one above it, those under one organisation by code, however
many digits their primary keys have."""

from __future__ import annotations

from shuangsuiji.accounts.models import Organisation, in_tree_order


def organisation(pk: int, code: str, path: str) -> Organisation:
    return Organisation(pk=pk, code=code, name=code, path=path)


def test_a_tree_is_listed_by_code_under_each_organisation_whatever_its_keys():
    province = organisation(1, "130000", "/1/")
    tangshan = organisation(9, "130200", "/1/9/")
    qinhuangdao = organisation(10, "130300", "/1/10/")
    zunhua = organisation(11, "130281", "/1/9/11/")
    lunan = organisation(100, "130202", "/1/9/100/")
    listed = [qinhuangdao, zunhua, province, lunan, tangshan]
    # By path, "/1/10/" comes before "/1/9/" and "/1/9/100/" before "/1/9/11/" by chance.
    assert sorted(listed, key=lambda o: o.path) != in_tree_order(listed)
    assert in_tree_order(listed) == [province, tangshan, lunan, zunhua, qinhuangdao]
    # A reader below the province lists its own subtree the same way.
    assert in_tree_order([zunhua, lunan, tangshan]) == [tangshan, lunan, zunhua]


def _stored_tree():
    """A province whose cities' and counties' primary keys sort differently as text."""
    province = Organisation.objects.create(pk=1, code="130000", name="河北省", level=1, path="/1/")
    made = {"province": province}
    for pk, code, name, parent, level in (
        (9, "130200", "唐山市", province, 2),
        (10, "130300", "秦皇岛市", province, 2),
        (100, "130202", "路南区", None, 3),
        (11, "130281", "遵化市", None, 3),
    ):
        parent = parent or made["130200"]
        made[code] = Organisation.objects.create(
            pk=pk, code=code, name=name, level=level, parent=parent, path=f"{parent.path}{pk}/"
        )
    return made


def test_a_stored_list_of_organisations_and_rows_by_organisation_follow_the_tree(db):
    from shuangsuiji.accounts.models import User, tree_position

    made = _stored_tree()
    listed = [o.code for o in Organisation.objects.all().in_tree_order()]
    assert listed == ["130000", "130200", "130202", "130281", "130300"]
    # By path text the same rows come out of order.
    assert [o.code for o in Organisation.objects.order_by("path")] != listed
    for code in ("130300", "130281", "130202"):
        User.objects.create(username=f"u{code}", organisation=made[code])
    users = User.objects.order_by(tree_position(Organisation.objects.all(), "organisation"))
    assert [u.organisation.code for u in users] == ["130202", "130281", "130300"]
    # Nothing to place (a partner department's own bureaus, a portal with no organisation yet).
    assert list(Organisation.objects.filter(code="999999").in_tree_order()) == []
    nobody = User.objects.order_by(tree_position([], "organisation"), "username")
    assert [u.username for u in nobody] == ["u130300", "u130281", "u130202"]  # by key


def test_the_portals_list_of_organisations_reads_as_the_tree(db, client):
    _stored_tree()
    page = client.get("/gongkai/").content.decode()
    names = ["河北省", "唐山市", "路南区", "遵化市", "秦皇岛市"]
    assert sorted(names, key=page.index) == names
    answer = client.get("/api/organisations").json()
    assert [row["code"] for row in answer["results"]] == [
        "130000", "130200", "130202", "130281", "130300"
    ]  # fmt: skip
