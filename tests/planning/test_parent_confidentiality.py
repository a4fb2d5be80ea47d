"""Before reveal a draw's list stays with the bureau that drew it; its 市局 sees counts and the
commitment, as the public does (issue 15 finding 1; JX-6.4 名单在检查结束后公开)."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from shuangsuiji.accounts.roles import Role
from shuangsuiji.acts.draws import draw_reveal

from .conftest import REVEAL
from .test_sampling import drawn


def _bundle_names(client, draw) -> list[str]:
    response = client.get(reverse("planning:draw_bundle", args=[draw.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return sorted(name.split("/")[1] for name in archive.namelist())


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LEADER, Role.AUDITOR])
def test_city_bureau_sees_counts_not_the_list_before_reveal(
    role, published_plan, coordinator, organisations, make_user, client
):
    draw = drawn(published_plan, coordinator)
    inspection = draw.inspections.select_related("target").first()
    client.force_login(make_user("city", organisations["city"], role))

    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()

    assert inspection.target.name not in page
    assert not any(member.inspector.name in page for member in inspection.members.all())
    assert "上级单位可见各类别的数量和承诺值" in page
    strata = json.loads(draw.result)["strata"]
    names = {s["code"]: s["name"] for s in json.loads(draw.params)["strata"]}
    code = strata[0]["code"]
    assert f"{names[code]}（<code>{code}</code>）：可抽 {strata[0]['eligible']}" in page
    assert f"应抽 {strata[0]['k']}，入选 {len(strata[0]['selected'])}" in page
    assert _bundle_names(client, draw) == ["commitment.json", "params.json", "pool.txt"]


def test_own_bureau_auditor_holds_the_list_and_the_city_gets_it_at_reveal(
    published_plan, coordinator, county, organisations, make_user, client
):
    draw = drawn(published_plan, coordinator)
    target = draw.inspections.select_related("target").first().target
    client.force_login(make_user("own-auditor", county, Role.AUDITOR))
    assert (
        target.name in client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    )
    assert "result.json" in _bundle_names(client, draw)
    assert "salt.hex" not in _bundle_names(client, draw)

    draw_reveal(actor=coordinator, draw=draw, today=REVEAL)
    client.force_login(make_user("city-auditor", organisations["city"], Role.AUDITOR))
    page = client.get(reverse("planning:draw_detail", args=[draw.pk])).content.decode()
    assert target.name in page
    assert {"result.json", "salt.hex"} <= set(_bundle_names(client, draw))
