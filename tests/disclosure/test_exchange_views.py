"""The staff page of the exchange batches (issue 20 §6): readers of the organisation's data list
the batches and download their files, the 抽查管理员 writes the next one, nobody else sees them.

The routes are mounted here as config/urls.py will mount them (``/exchange/``)."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote

import pytest
from django.db import transaction
from django.urls import include, path
from python_calamine import CalamineWorkbook

from shuangsuiji.accounts.roles import Role
from shuangsuiji.config.urls import urlpatterns as project_urls
from shuangsuiji.disclosure.exchange import batch_path, exchange_export
from shuangsuiji.disclosure.models import ExchangeBatch
from tests.support.tree import build_organisations, make_user

urlpatterns = [path("exchange/", include("shuangsuiji.disclosure.exchange_urls")), *project_urls]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(scope="module")
def bureau(django_db_setup, django_db_blocker):
    """A county with its registers, a user of every role, and one of the neighbouring county."""
    from tests.support.county import build_county

    with django_db_blocker.unblock(), transaction.atomic():
        try:
            tree = build_organisations()
            county = build_county(tree["a"])
            users = {role: make_user(f"x-{role.value}", county, role) for role in Role}
            users["neighbour"] = make_user("x-neighbour", tree["b"], Role.COORDINATOR)
            yield county, users
        finally:
            transaction.set_rollback(True)


def downloaded_name(response) -> str:
    return unquote(response["Content-Disposition"].split("filename*=utf-8''", 1)[1])


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), (Role.SYSADMIN, 403), (Role.INSPECTOR, 403), (Role.COORDINATOR, 200),
     (Role.LEADER, 200), (Role.AUDITOR, 200)],
)  # fmt: skip
def test_who_may_list_and_download(db, bureau, client, who, status):
    county, users = bureau
    batch = exchange_export(actor=None, organisation=county, kind="registers")
    if who:
        client.force_login(users[who])
    listing = client.get("/exchange/")
    download = client.get(f"/exchange/{batch.pk}/manifest.json")
    assert (listing.status_code, download.status_code) == (status, status)
    if status == 302:
        assert download["Location"].startswith("/login/")
    if status == 200:
        assert "两库一单" in listing.content.decode() and "第 1 批" in listing.content.decode()
        manifest = json.loads(b"".join(download.streaming_content))
        assert manifest["sequence"] == 1


def test_another_countys_batch_is_not_found(db, bureau, client):
    county, users = bureau
    batch = exchange_export(actor=None, organisation=county, kind="results")
    client.force_login(users["neighbour"])
    assert client.get(f"/exchange/{batch.pk}/manifest.json").status_code == 404
    assert "还没有交换批次" in client.get("/exchange/").content.decode()


def test_the_workbook_downloads_under_its_chinese_name(db, bureau, client):
    county, users = bureau
    batch = exchange_export(actor=None, organisation=county, kind="registers")
    name = next(e["name"] for e in batch.files if e["format"] == "xlsx")
    client.force_login(users[Role.LEADER])
    response = client.get(f"/exchange/{batch.pk}/{name}")
    assert response.status_code == 200
    assert downloaded_name(response) == name
    assert name.startswith(f"{county.name}-两库一单-")
    content = b"".join(response.streaming_content)
    assert content == (batch_path(batch) / name).read_bytes()
    assert CalamineWorkbook.from_filelike(io.BytesIO(content)).sheet_names == [
        "检查对象名录库",
        "执法检查人员名录库",
        "随机抽查事项清单",
    ]
    # Only the batch's own files: nothing else under MEDIA_ROOT is reachable.
    assert client.get(f"/exchange/{batch.pk}/..%2F..%2Fsecret").status_code == 404
    assert client.get(f"/exchange/{batch.pk}/other.xlsx").status_code == 404


def test_the_coordinator_writes_the_next_batch(db, bureau, client):
    _, users = bureau
    client.force_login(users[Role.COORDINATOR])
    response = client.post("/exchange/new/", {"kind": "registers"}, follow=True)
    page = response.content.decode()
    assert (
        "已生成唐山市生态环境局遵化市分局 两库一单 第 1 批：新增 273 行，变更 0 行，撤回 0 行。"
        in page
    )
    response = client.post("/exchange/new/", {"kind": "registers"}, follow=True)
    assert "第 2 批：自上一批以来没有变化，是空批次。" in response.content.decode()
    response = client.post("/exchange/new/", {"kind": "cases"}, follow=True)
    assert "交换内容只能是抽查检查结果、两库一单、行政处罚信息。" in response.content.decode()
    assert ExchangeBatch.objects.count() == 2


@pytest.mark.parametrize("who", [Role.LEADER, Role.AUDITOR, Role.INSPECTOR, Role.SYSADMIN])
def test_only_the_coordinator_writes_a_batch(db, bureau, client, who):
    client.force_login(bureau[1][who])
    assert client.post("/exchange/new/", {"kind": "results"}).status_code == 403
    assert not ExchangeBatch.objects.exists()


def test_an_unknown_kind_in_the_filter_is_explained(db, bureau, client):
    client.force_login(bureau[1][Role.AUDITOR])
    response = client.get("/exchange/", {"kind": "cases"})
    assert response.status_code == 400
    assert (
        "交换内容只能是抽查检查结果、两库一单、行政处罚信息，已列出全部批次。"
        in response.content.decode()
    )


def test_listing_takes_a_fixed_number_of_queries(db, bureau, client):
    """Three batches or nine, with their push records: the same queries (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    county, users = bureau
    client.force_login(users[Role.LEADER])

    def listing_queries(rounds: int) -> int:
        for _ in range(rounds):
            for kind in ("results", "registers", "penalties"):
                exchange_export(actor=None, organisation=county, kind=kind)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/exchange/")
        listed = response.content.decode().count("批</td>")
        assert listed == ExchangeBatch.objects.count()
        return len(queries)

    assert listing_queries(1) == listing_queries(2)
    assert "第 3 批" in client.get("/exchange/").content.decode()
