"""What must never leak (JX-4.7 涉密不公开, JX-6.4 名单保密, BD-3.5 涉密可调整公示): every public
page, file and API answer of both bureaus is fetched and searched for each confidential value."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from shuangsuiji.directory.models import Inspector


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"] == "application/zip":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return content.decode("utf-8-sig")


def public_urls(portal) -> list[str]:
    county, neighbour = portal.county.code, portal.neighbour.code
    draws = [portal.revealed, portal.hidden, portal.committed]
    codes = {i.target.credit_code for i in (portal.secret, portal.unrevealed, portal.targeted)}
    urls = ["/gongkai/", "/api/organisations", "/api/organisations?format=csv",
            "/api/openapi.json", "/api/draws", "/api/draws?format=csv", "/api/results",
            "/api/results?format=csv"]  # fmt: skip
    for code in (county, neighbour):
        urls += [f"/gongkai/org/{code}/", f"/gongkai/org/{code}/items/",
                 f"/gongkai/org/{code}/targets/", f"/gongkai/org/{code}/inspectors/",
                 f"/gongkai/org/{code}/inspectors/?page=2", f"/gongkai/org/{code}/results/"]  # fmt: skip
        for register in ("plans", "items", "targets", "inspectors"):
            urls += [f"/api/organisations/{code}/{register}",
                     f"/api/organisations/{code}/{register}?format=csv"]  # fmt: skip
        urls += [
            f"/api/results?organisation={code}",
            f"/api/results?organisation={code}&format=csv",
        ]
    urls += [f"/gongkai/org/{county}/plans/2026/v1/"]
    for code in codes:
        urls += [f"/gongkai/enterprise/{code}/", f"/gongkai/search/?q={code}",
                 f"/api/results?credit_code={code}"]  # fmt: skip
    for draw in draws:
        urls += [f"/gongkai/draws/{draw.draw_id}/", f"/gongkai/draws/{draw.draw_id}/bundle.zip",
                 f"/api/draws/{draw.draw_id}", f"/api/draws/{draw.draw_id}/bundle.zip"]  # fmt: skip
        urls += [f"/gongkai/draws/{draw.draw_id}/files/{name}" for name in _all_files()]
    return urls


def _all_files():
    return ["params.json", "pool.txt", "roster.txt", "conflicts.txt", "commitment.json",
            "entropy.json", "result.json", "salt.hex"]  # fmt: skip


@pytest.fixture
def everything_public(client, portal) -> str:
    bodies = []
    for url in public_urls(portal):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        if response.status_code == 200:
            bodies.append(_body(response))
    return "\n".join(bodies)


def test_no_id_number_anywhere(portal, everything_public):
    """身份证号 never leaves the building (the inspector register has them)."""
    numbers = [n for n in Inspector.objects.values_list("id_number", flat=True) if n]
    assert len(numbers) == 12
    assert not [n for n in numbers if n in everything_public]


def test_no_secret_result_internal_finding_or_targeted_check(portal, everything_public):
    """涉密 results, the team's internal findings and 定向检查 are not public."""
    assert "涉及企业工艺参数" not in everything_public  # the 涉密 reason
    assert "内部记录" not in everything_public  # findings are internal on every result
    assert "举报核查（定向检查）" not in everything_public
    assert "举报 2026-031" not in everything_public


def test_no_item_marked_secret(portal, everything_public):
    assert "涉密事项" not in everything_public


def test_unrevealed_list_and_its_result_stay_hidden(portal, everything_public):
    """JX-6.4: the list of a drawn but unrevealed draw, its teams, salt and the results that
    would announce it stay confidential until the reveal."""
    assert "名单未公开时不得出现" not in everything_public
    for draw in (portal.hidden, portal.committed):
        assert bytes(draw.salt).hex() not in everything_public
        assert draw.result == "" or draw.result not in everything_public
    assert bytes(portal.revealed.salt).hex() in everything_public  # revealed: published


def test_hidden_draw_pages_name_no_selected_target_or_team(client, portal):
    from shuangsuiji.inspections.models import Inspection

    drawn = Inspection.objects.filter(draw=portal.hidden).select_related("target")
    names = {i.target.name for i in drawn}
    people = {m.inspector.name for i in drawn for m in i.members.all()}
    assert len(names) >= 5 and people
    for url in (f"/gongkai/draws/{portal.hidden.draw_id}/", f"/api/draws/{portal.hidden.draw_id}",
                f"/api/draws/{portal.hidden.draw_id}/bundle.zip"):  # fmt: skip
        body = _body(client.get(url))
        assert not [n for n in names | people if n in body], url


def test_hidden_draw_in_the_api_has_no_selection_salt_or_values(client, portal):
    detail = client.get(f"/api/draws/{portal.hidden.draw_id}").json()
    assert detail["status_label"] == "名单将于检查结束后公开"
    assert detail["selected"] == [] and detail["salt"] is None
    assert [s["value"] for s in detail["sources"]] == [None, None]
    assert set(detail["files"]) == {"params.json", "pool.txt", "commitment.json"}
    for name in ("roster.txt", "conflicts.txt", "result.json", "salt.hex"):
        assert client.get(f"/gongkai/draws/{portal.hidden.draw_id}/files/{name}").status_code == 404


def test_draft_plan_of_another_bureau_is_not_public(client, portal):
    assert client.get(f"/api/organisations/{portal.neighbour.code}/plans").json()["count"] == 0
    page = client.get(f"/gongkai/org/{portal.neighbour.code}/").content.decode()
    assert "暂无公开的计划" in page


def test_public_results_are_exactly_the_two_published(client, portal):
    rows = client.get("/api/results").json()["results"]
    assert sorted(r["target_name"] for r in rows) == sorted(
        [portal.clean.target.name, portal.ordered.target.name]
    )
    for row in rows:
        assert set(row) == {"organisation", "organisation_name", "target_name", "credit_code",
                            "task", "draw_id", "items", "method", "category", "category_label",
                            "summary", "determined_on", "published_at", "follow_ups"}  # fmt: skip


def test_register_answers_carry_only_the_published_fields(client, portal):
    code = portal.county.code
    target = client.get(f"/api/organisations/{code}/targets?page_size=1").json()["results"][0]
    assert set(target) == {"name", "credit_code", "address"}
    inspector = client.get(f"/api/organisations/{code}/inspectors?page_size=1").json()
    assert set(inspector["results"][0]) == {"name", "certificate_no", "department"}
    header = _body(client.get(f"/api/organisations/{code}/inspectors?format=csv")).splitlines()[0]
    assert header == "姓名,执法证号,所属部门"


def test_openapi_schema_names_no_confidential_field(client, portal):
    schema = json.dumps(client.get("/api/openapi.json").json(), ensure_ascii=False)
    for field in ("id_number", "findings", "confidential_reason", "roster", "salt_hex", "phone"):
        assert field not in schema


def test_roster_and_conflicts_stay_with_auditors_after_the_reveal(client, portal):
    """docs/draw.md: the roster (load, cap, seniority) and the 回避 pairs are never public; the
    commitment's Merkle roots are enough for a citizen's verification."""
    draw_id = portal.revealed.draw_id
    for name in ("roster.txt", "conflicts.txt"):
        assert client.get(f"/gongkai/draws/{draw_id}/files/{name}").status_code == 404
    assert set(client.get(f"/api/draws/{draw_id}").json()["files"]) == {
        "params.json", "pool.txt", "commitment.json", "entropy.json", "result.json", "salt.hex"
    }  # fmt: skip
    missing = client.get(f"/gongkai/draws/{draw_id}/files/roster.txt")
    assert "该文件尚未公开" in missing.content.decode()  # the reason, in Chinese
