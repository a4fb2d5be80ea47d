"""Open data under /api/: every endpoint, pagination, CSV, conditional requests, errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

from shuangsuiji import draw as engine
from shuangsuiji.directory.models import Target
from shuangsuiji.inspections.models import Inspection


def rows_of_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(content[1:])))


def test_organisations_tree(client, portal):
    body = client.get("/api/organisations").json()
    assert body["count"] == 4
    county = next(o for o in body["results"] if o["code"] == portal.county.code)
    assert county["parent"] == "130200" and county["portal_url"] == "/gongkai/org/130281/"


def test_plans_have_every_published_version_and_tasks(client, portal):
    body = client.get(f"/api/organisations/{portal.county.code}/plans").json()
    assert body["count"] == 1
    plan = body["results"][0]
    assert plan["year"] == 2026 and plan["version"] == 1
    assert [t["number"] for t in plan["tasks"]][:4] == ["2026001", "2026002", "2026003", "2026004"]
    table = rows_of_csv(client.get(f"/api/organisations/{portal.county.code}/plans?format=csv"))
    assert table[0][:3] == ["年度", "版本", "公开时间"] and len(table) == 1 + len(plan["tasks"])


def test_items_targets_inspectors_paginate_and_download(client, portal):
    code = portal.county.code
    items = client.get(f"/api/organisations/{code}/items").json()
    assert [i["name"] for i in items["results"]] == ["排放检查"]
    page = client.get(f"/api/organisations/{code}/targets", {"page": 2, "page_size": 100}).json()
    assert page["count"] == 260 and page["page"] == 2 and len(page["results"]) == 100
    last = client.get(f"/api/organisations/{code}/targets", {"page": 3, "page_size": 100}).json()
    assert len(last["results"]) == 60
    found = client.get(f"/api/organisations/{code}/targets", {"q": "正面清单企业41"}).json()
    assert [t["name"] for t in found["results"]] == [f"正面清单企业41{i}" for i in range(10)]
    table = rows_of_csv(client.get(f"/api/organisations/{code}/targets?format=csv"))
    assert table[0] == ["单位名称", "统一社会信用代码", "单位地址"] and len(table) == 261
    people = rows_of_csv(client.get(f"/api/organisations/{code}/inspectors?format=csv"))
    assert len(people) == 1 + 12  # enforcement officers; the expert is not listed


def test_draws_list_and_filters(client, portal):
    body = client.get("/api/draws", {"organisation": portal.county.code}).json()
    assert body["count"] == 3
    labels = {d["draw_id"]: d["status_label"] for d in body["results"]}
    assert labels[portal.revealed.draw_id] == "已公开"
    assert labels[portal.committed.draw_id] == "名单将于检查结束后公开"
    revealed = client.get("/api/draws", {"status": "revealed"}).json()
    assert [d["draw_id"] for d in revealed["results"]] == [portal.revealed.draw_id]


def test_revealed_draw_detail_and_bundle_verify(client, portal):
    detail = client.get(f"/api/draws/{portal.revealed.draw_id}").json()
    assert detail["verified"] is True and detail["salt"]
    assert detail["verify_command"] == f"shuangsuiji draw verify {portal.revealed.draw_id}"
    assert [s["value"] for s in detail["sources"]] == ["3.7.12.19.25.31./9./", "20261122"]
    ranks = [
        s["rank"] for s in detail["selected"] if s["stratum"] == detail["selected"][0]["stratum"]
    ]
    assert ranks == list(range(1, len(ranks) + 1))
    clean = next(s for s in detail["selected"] if s["name"] == portal.clean.target.name)
    assert clean["team"] == [m.inspector.name for m in portal.clean.members.all()]
    bundle = client.get(detail["bundle_url"])
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    assert engine.verify(files).ok


def test_results_filters(client, portal):
    code = portal.county.code
    every = client.get("/api/results", {"organisation": code}).json()
    assert every["count"] == 2
    ordered = client.get("/api/results", {"organisation": code, "category": "ordered"}).json()
    (row,) = ordered["results"]
    assert row["category_label"] == "发现问题已责令整改"
    assert row["follow_ups"] == [{"kind": "责令整改", "opened_on": "2026-11-20", "closed_on": None}]
    assert row["draw_id"] == portal.revealed.draw_id and row["items"] == ["排放检查"]
    q3 = client.get("/api/results", {"organisation": code, "year": 2026, "quarter": 3}).json()
    assert q3["count"] == 0
    mine = client.get("/api/results", {"credit_code": portal.clean.target.credit_code}).json()
    assert [r["target_name"] for r in mine["results"]] == [portal.clean.target.name]
    table = rows_of_csv(client.get("/api/results", {"organisation": code, "format": "csv"}))
    assert len(table) == 3 and table[0][0] == "检查单位"


def test_bad_parameters_get_chinese_messages(client, portal):
    response = client.get("/api/results", {"quarter": 2})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "quarter", "message": "按季度筛选时请同时指定年度（year）。"}
    ]
    response = client.get("/api/organisations", {"page_size": 5000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"].endswith("每页 1–500 条。")
    response = client.get("/api/results", {"category": "bad"})
    assert response.json()["detail"][0]["message"] == (
        "参数 category=“bad”无效：应为以下之一："
        "no_problem、ordered、case_filed、uncooperative、no_activity。"
    )
    response = client.get("/api/results", {"year": "abc"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"].startswith("参数 year=“abc”无效")
    missing = client.get("/api/organisations/999999/targets")
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]


def test_months_and_years_outside_the_calendar_are_refused_not_a_500(client, portal):
    """``month=9999-12`` (its end in year 10000) and ``month=0001-01`` were 500s."""
    for month in ("9999-12", "0001-01", "1999-12", "2101-01", "2026-1", " 2026-11"):
        response = client.get("/api/results", {"month": month})
        assert response.status_code == 422, month
        assert response.json()["detail"] == [
            {
                "field": "month",
                "message": f"参数 month=“{month}”无效，应为 YYYY-MM（2000-01 至 2100-12）。",
            }
        ]
    assert client.get("/api/results", {"month": "2100-12"}).status_code == 200
    assert client.get("/api/results", {"year": "²"}).status_code == 422


def test_etag_and_last_modified_answer_304_until_something_changes(client, portal):
    from shuangsuiji.inspections.services import follow_up_close

    url = f"/api/results?organisation={portal.county.code}"
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    stamped_before = _latest_stamp(Inspection, portal, "public_changed_at")
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url + "&page=2", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # A follow-up closed is a public change (GC-2.8b): the next poll gets the new list.
    follow_up = portal.ordered.follow_ups.get()
    follow_up_close(actor=portal.coordinator, follow_up=follow_up, closed_on=dt.date(2026, 12, 1),
                    outcome="复查已整改")  # fmt: skip
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "2026-12-01" in changed.content.decode()
    # Stamped with the bureau's latest public change, before and after it.
    assert modified == stamped_before
    assert changed["Last-Modified"] == _latest_stamp(Inspection, portal, "public_changed_at")


def _latest_stamp(model, portal, field):
    """``Last-Modified`` of the county's newest ``field`` of ``model``."""
    from django.utils.http import http_date

    moments = model.objects.filter(organisation=portal.county).values_list(field, flat=True)
    return http_date(int(max(m for m in moments if m).timestamp()))


def test_registers_change_their_etag_when_a_row_is_removed(client, portal):
    url = f"/api/organisations/{portal.county.code}/targets"
    first = client.get(url)
    etag, count = first["ETag"], first.json()["count"]
    assert first["Last-Modified"] == _latest_stamp(Target, portal, "updated_at")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    target = Target.objects.filter(organisation=portal.county).first()
    target.in_register, target.removal_reason = False, "注销"
    target.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["Last-Modified"] == _latest_stamp(Target, portal, "updated_at")
    # The register's count is kept under its name with the version: counted again now.
    assert changed.json()["count"] == count - 1
    assert client.get(url, {"page": 2}).json()["count"] == count - 1


def test_docs_are_served_locally(client, portal):
    page = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert not re.findall(r'(?:src|href)="https?://', page)
    assert client.get("/api/").status_code == 302
    schema = client.get("/api/openapi.json").json()
    assert {"/api/results", "/api/draws/{draw_id}", "/api/organisations/{code}/targets"} <= set(
        schema["paths"]
    )


def test_organisation_list_etag_changes_when_one_is_renamed(client, portal):
    etag = client.get("/api/organisations")["ETag"]
    assert client.get("/api/organisations", HTTP_IF_NONE_MATCH=etag).status_code == 304
    portal.neighbour.name = "唐山市生态环境局迁安市分局（更名）"
    portal.neighbour.save()
    assert client.get("/api/organisations", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_times_are_beijing_time(client, portal):
    row = client.get("/api/results").json()["results"][0]
    assert row["published_at"].endswith("+08:00")


def test_revealed_draw_page_verifies_once_not_per_view(client, portal, monkeypatch):
    """Issue 16: the server's check of a revealed bundle is computed once per state; a second
    view of the public draw page shows the same report without re-running the whole draw."""
    from shuangsuiji.disclosure import selectors

    calls = []
    real = engine.verify

    def counting(files):
        calls.append(1)
        return real(files)

    monkeypatch.setattr(engine, "verify", counting)
    selectors.cache.clear()
    url = f"/gongkai/draws/{portal.revealed.draw_id}/"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert "服务器端核验" in second.content.decode() and "✓ 通过" in second.content.decode()
    assert len(calls) == 1
