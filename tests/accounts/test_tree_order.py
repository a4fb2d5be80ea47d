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
