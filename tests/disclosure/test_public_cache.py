"""Issue 21 §1: public pages and API answers come from the cache while the data behind them is
unchanged, and never once it has changed; nothing a signed-in user is shown is ever stored.

One county part-way through its year (tests/support/portal.py): Q4 revealed with three results
(one 涉密), Q3 drawn with one result held back until its reveal.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from shuangsuiji.disclosure import versions
from shuangsuiji.disclosure.caching import HIT_HEADER
from shuangsuiji.inspections.models import Inspection
from tests.conftest import CI
from tests.support.portal import team_user

REVEAL = dt.date(2026, 12, 31)


def results_page(portal) -> str:
    return f"/gongkai/org/{portal.county.code}/results/"


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get(HIT_HEADER), response.content.decode()


def test_a_page_read_twice_is_served_from_the_cache_with_one_query(
    client, portal, django_assert_num_queries
):
    """The second read of the same address is the stored page, the same bytes, for one indexed
    read of the version (the first rendered it with every query of the view)."""
    url = results_page(portal)
    first = read(client, url)
    assert first[0] == "miss"
    with django_assert_num_queries(1):
        second = read(client, url)
    assert second == ("hit", first[1])
    assert client.get("/api/results").get(HIT_HEADER) == "miss"
    with django_assert_num_queries(1):
        assert client.get("/api/results").get(HIT_HEADER) == "hit"


def test_a_reveal_is_on_the_next_request(client, portal):
    """JX-6.4: the held result appears with its list, on the next request after the reveal,
    on the bureau's page, the API across bureaus and the draw's page."""
    from shuangsuiji.acts.draws import draw_reveal

    name = portal.unrevealed.target.name
    draw_page = f"/gongkai/draws/{portal.hidden.draw_id}/"
    urls = [results_page(portal), "/api/results", draw_page]

    def named(body: str) -> bool:
        # The whole name, as an HTML cell or link or a JSON string: 重点企业2 is a prefix of
        # 重点企业24, which may well be on the page.
        return f">{name}<" in body or f'"{name}"' in body

    for url in urls:
        read(client, url)
        hit, body = read(client, url)
        assert hit == "hit" and not named(body)
    draw_reveal(actor=portal.coordinator, draw=portal.hidden, today=REVEAL)
    for url in urls:
        hit, body = read(client, url)
        assert hit == "miss", url
        assert named(body), url


def test_a_publication_and_a_withdrawal_are_on_the_next_request(client, portal, make_user):
    """A result released to the portal (保定 二 每月公示) shows at once; reopened for
    correction (withdrawn from the portal) it is gone at once, enterprise page included."""
    from shuangsuiji.inspections.services import inspection_reopen
    from tests.support.portal import record, staffed

    fresh = next(i for i in staffed(portal.revealed, 10) if i.pk != portal.secret.pk)
    summary = "缓存测试：危废贮存场所已规范"
    enterprise = f"/gongkai/enterprise/{fresh.target.credit_code}/"
    read(client, results_page(portal))
    assert summary not in read(client, results_page(portal))[1]
    record(fresh, team_user(fresh, make_user), public_summary=summary)
    assert Inspection.objects.get(pk=fresh.pk).published_at is not None
    assert summary in read(client, results_page(portal))[1]
    assert summary in read(client, enterprise)[1]
    assert read(client, enterprise)[0] == "hit"

    inspection_reopen(
        actor=portal.coordinator, inspection=Inspection.objects.get(pk=fresh.pk),
        reason="更正检查结论",
    )  # fmt: skip
    assert summary not in read(client, results_page(portal))[1]
    assert summary not in read(client, enterprise)[1]


def test_any_write_to_a_public_table_misses_and_another_bureaus_does_not(client, portal):
    """The triggers see writes no service makes (``QuerySet.update``, as a COPY or a repair
    by hand would): the page shows the new name at once. A write in another bureau leaves this
    bureau's stored pages in place."""
    from shuangsuiji.directory.models import Target

    url = f"/gongkai/org/{portal.county.code}/targets/"
    first = Target.objects.filter(organisation=portal.county, in_register=True)
    target = first.order_by("name", "credit_code")[0]
    read(client, url)
    assert read(client, url)[0] == "hit"
    Target.objects.filter(organisation=portal.neighbour).update(address="邻县新地址")
    assert read(client, url)[0] == "hit"
    Target.objects.filter(pk=target.pk).update(address="缓存测试新地址一号")
    hit, body = read(client, url)
    assert hit == "miss" and "缓存测试新地址一号" in body


def test_an_enterprise_page_is_kept_while_other_bureaus_write(client, portal):
    """Issue 21 §1: an enterprise's page is keyed by the organisations its rows belong to, so a
    province's other bureaus writing all day leave it stored; a change to its own result, or
    the same credit code registered by another bureau, is on the next request."""
    from shuangsuiji.directory.models import Target

    target = portal.clean.target
    url = f"/gongkai/enterprise/{target.credit_code}/"
    read(client, url)
    assert read(client, url)[0] == "hit"
    Target.objects.filter(organisation=portal.neighbour).update(address="邻县新地址")
    assert read(client, url)[0] == "hit"
    Inspection.objects.filter(pk=portal.clean.pk).update(public_summary="缓存测试：结论已更正")
    hit, body = read(client, url)
    assert hit == "miss" and "缓存测试：结论已更正" in body
    Target.objects.create(
        organisation=portal.neighbour, name="缓存测试邻县登记", credit_code=target.credit_code
    )
    hit, body = read(client, url)
    assert hit == "miss" and "缓存测试邻县登记" in body


def test_the_enterprise_search_is_kept_while_results_are_recorded(client, portal):
    """Issue 21 §3: 企业查询 reads the registers alone, so it is keyed by the register versions
    (``versions.REGISTER_TABLES``), not by every public row of the province: the results
    recorded all day leave it stored; a unit renamed, by hand in SQL, is on the next request."""
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.directory.models import Target
    from tests.demo_nov.test_reads_never_write import VERSION_INFRASTRUCTURE, read_tables

    target = portal.clean.target
    url = f"/gongkai/search/?q={target.name}"
    cache.clear()
    with CaptureQueriesContext(connection) as rendered:
        hit, body = read(client, url)
    assert hit == "miss" and target.name in body
    everyone = versions.versioned_tables()
    read_by_page = read_tables(rendered.captured_queries) - VERSION_INFRASTRUCTURE
    assert "directory_target" in read_by_page
    assert all(
        table in versions.REGISTER_TABLES or everyone[table] == str(versions.EVERYONE)
        for table in read_by_page
    )
    assert read(client, url)[0] == "hit"
    Inspection.objects.filter(pk=portal.clean.pk).update(public_summary="缓存测试：结论已更正")
    assert read(client, url)[0] == "hit"
    Target.objects.filter(pk=target.pk).update(name=f"{target.name}缓存测试更名")
    hit, body = read(client, url)
    assert hit == "miss" and "缓存测试更名" in body


def test_a_list_is_counted_once_per_version_of_its_data(client, portal, monkeypatch):
    """Issue 21 §1: a bureau's whole list of results is read in order, and so counted, once per
    version of its data, not once per page: the next page of the API and the portal's page
    take the order kept with the first; a result taken off the portal (in SQL, past every
    service) is out of the count and the pages on the next request. No request counts the
    list with a COUNT of its own."""
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.disclosure import selectors

    code = portal.county.code
    reads = []
    read_ids = selectors.organisation_result_ids
    monkeypatch.setattr(
        selectors,
        "organisation_result_ids",
        lambda *args: reads.append(args) or read_ids(*args),
    )

    def answer(page: int) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/results?organisation={code}&page={page}&page_size=1")
        assert response.status_code == 200 and response.get(HIT_HEADER) == "miss"
        assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        body = response.json()
        return body["count"], [row["credit_code"] for row in body["results"]]

    cache.clear()
    total, first = answer(1)
    assert total >= 2 and len(reads) == 1
    count, second = answer(2)
    assert (count, len(reads)) == (total, 1) and second != first
    portal_page = client.get(results_page(portal), {"page": 1})
    assert portal_page.get(HIT_HEADER) == "miss" and len(reads) == 1
    assert portal.clean.target.credit_code in portal_page.content.decode()
    Inspection.objects.filter(pk=portal.clean.pk).update(published_at=None)
    assert answer(3)[0] == total - 1 and len(reads) == 2
    assert answer(4)[0] == total - 1 and len(reads) == 2


def test_a_list_longer_than_is_kept_in_order_reads_the_rest_by_offset(client, portal, monkeypatch):
    """A bureau's results longer than ``caching.ORDER_KEPT`` (20,000) are counted, and their
    pages beyond the kept order read, as before: every page shows what it shows with the whole
    list kept, in the same order."""
    from shuangsuiji.disclosure import caching

    url = f"/api/results?organisation={portal.county.code}&"

    def pages() -> list[tuple[int, list[str]]]:
        cache.clear()
        answers = []
        for page in range(1, 5):
            body = client.get(f"{url}page={page}&page_size=1").json()
            answers.append((body["count"], [row["credit_code"] for row in body["results"]]))
        return answers

    kept = pages()
    assert kept[0][0] >= 2 and kept[1][1] and kept[0][1] != kept[1][1]
    monkeypatch.setattr(caching, "ORDER_KEPT", 1)
    assert pages() == kept


def test_monthly_batches_are_counted_once_per_version_of_their_data(client, portal):
    """BD-2 (保定 二 每月向社会公示): the batches a monthly bureau's results page lists are the
    same on every page of its list, so they are counted once per version of its data, not once
    per page (issue 21 §1); a result taken off the portal (in SQL, past every service) leaves
    its batch on the next request."""
    from django.test.utils import CaptureQueriesContext

    from shuangsuiji.bureau.models import OrganisationSettings

    OrganisationSettings.objects.filter(organisation=portal.county).update(publish_monthly=True)
    published = portal.clean.published_at.astimezone()
    batch = f"{published.year} 年 {published.month} 月公示批次</a>"

    def page(number: int) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(results_page(portal), {"page": number})
        assert response.status_code == 200 and response.get(HIT_HEADER) == "miss"
        # TruncMonth: DATE_TRUNC on PostgreSQL, django_datetime_trunc on SQLite.
        counted = [q for q in captured.captured_queries if "TRUNC" in q["sql"].upper()]
        return response.content.decode(), len(counted)

    cache.clear()
    body, counted = page(1)
    assert f"{batch}（2 条）" in body and counted == 1
    body, counted = page(2)
    assert f"{batch}（2 条）" in body and counted == 0
    Inspection.objects.filter(pk=portal.clean.pk).update(published_at=None)
    body, counted = page(3)
    assert f"{batch}（1 条）" in body and counted == 1


def test_a_signed_in_reader_is_never_stored_and_never_served(client, portal):
    """A request with a session is rendered for its user and passes by the cache both ways:
    what it was shown is never stored for the public, and it is never served a stored page
    (the portal's pages are the same for everyone today; a page that one day greets its
    reader by name stays safe)."""
    url = results_page(portal)
    staff = Client()
    staff.force_login(portal.coordinator)
    assert staff.get(url).get(HIT_HEADER) is None
    assert read(client, url)[0] == "miss"
    assert read(client, url)[0] == "hit"
    assert staff.get(url).get(HIT_HEADER) is None


def test_nothing_secret_is_ever_in_the_cache(client, portal):
    """After the public and the staff have read every page of the county, nothing stored
    holds a held-back or 涉密 result, an internal finding or a signed-in page."""
    staff = Client()
    staff.force_login(portal.coordinator)
    org = portal.county.code
    urls = [
        "/gongkai/", f"/gongkai/org/{org}/", f"/gongkai/org/{org}/results/",
        f"/gongkai/org/{org}/targets/", f"/gongkai/org/{org}/inspectors/",
        f"/gongkai/org/{org}/items/", f"/gongkai/org/{org}/policy/",
        f"/gongkai/draws/{portal.hidden.draw_id}/", f"/gongkai/draws/{portal.revealed.draw_id}/",
        f"/gongkai/enterprise/{portal.secret.target.credit_code}/",
        f"/gongkai/enterprise/{portal.unrevealed.target.credit_code}/",
        "/api/results", f"/api/results?organisation={org}", "/api/draws",
        f"/api/organisations/{org}/targets", f"/api/organisations/{org}/inspectors",
    ]  # fmt: skip
    for url in urls:
        staff.get(url)
        assert client.get(url).status_code == 200, url
    stored = [pickle.loads(value) for value in cache._cache.values()]
    pages = [page.content.decode() for page in stored if isinstance(page, HttpResponse)]
    assert len(pages) == len(urls)
    secrets = [
        "名单未公开时不得出现",  # the held-back result's summary
        "涉及企业工艺参数",  # the 涉密 reason
        "内部记录",  # the internal findings of every result
        portal.coordinator.username,
    ]
    for page in pages:
        for secret in secrets:
            assert secret not in page


@pytest.mark.postgres
def test_work_on_a_secret_list_leaves_every_public_page(client, portal, make_user):
    """Issue 21 §1: a province's inspectors record results all day on lists still secret.
    Nothing public shows them before reveal, so the public counter stays and every public page
    stays stored — the same bytes as rendered afresh — while every change's counter (the
    staff's pages) rises. The reveal then shows the result on the next request. (PostgreSQL;
    SQLite raises both counters with every change.)"""
    from shuangsuiji.acts.draws import draw_reveal
    from shuangsuiji.disclosure.models import PublicVersion
    from tests.support.portal import record, staffed

    org = portal.county.code
    urls = [
        "/gongkai/", f"/gongkai/org/{org}/", f"/gongkai/org/{org}/results/",
        f"/gongkai/draws/{portal.hidden.draw_id}/", "/api/results", "/api/draws",
        f"/api/results?organisation={org}",
    ]  # fmt: skip
    shown = {url: read(client, url)[1] for url in urls}

    def counters():
        return {
            row.organisation_id: (row.counter, row.public) for row in PublicVersion.objects.all()
        }

    before = counters()
    fresh = next(i for i in staffed(portal.hidden, 20) if i.pk != portal.unrevealed.pk)
    summary = "秘密名单上的检查：危废台账齐全"
    record(fresh, team_user(fresh, make_user), public_summary=summary)
    Inspection.objects.filter(pk=fresh.pk).update(findings="内部记录：补充")
    after = counters()
    county = portal.county.pk
    assert after[county][0] > before[county][0]
    assert {pk: public for pk, (_, public) in after.items()} == {
        pk: public for pk, (_, public) in before.items()
    }
    for url in urls:
        assert read(client, url) == ("hit", shown[url]), url
    cache.clear()
    for url in urls:
        assert read(client, url) == ("miss", shown[url]), url

    draw_reveal(actor=portal.coordinator, draw=portal.hidden, today=REVEAL)
    assert counters()[county][1] > after[county][1]
    hit, body = read(client, f"/gongkai/org/{org}/results/")
    assert hit == "miss" and summary in body


def test_every_public_table_carries_its_version_trigger(db):
    """The triggers are installed after migrate on every table a public page may read
    (the crawl in tests/demo_nov/test_reads_never_write.py checks the list is complete)."""
    assert versions.installed_triggers(connection) == set(versions.versioned_tables())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """Debian's redis-server on a free port, as production's ``CACHE_URL``."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not shutil.which(server):
        if CI:
            pytest.fail("CI=true 时必须有 redis-server（scripts/system-packages.sh --test）。")
        pytest.skip("本机没有 redis-server（apt-get install redis-server）。")
    port = _free_port()
    work = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/1"
    process.terminate()
    process.wait(timeout=10)


def test_redis_cache_serves_and_misses_alike(client, portal, settings, redis_url):
    """Production's shared cache (Django's RedisCache, ``CACHE_URL=redis://…``): a page stored
    by one process is a hit for another, and a change is a miss for both."""
    from shuangsuiji.directory.models import Target

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "shuangsuiji-test",
        }
    }
    caches["default"].clear()
    url = f"/gongkai/org/{portal.county.code}/targets/"
    assert read(client, url)[0] == "miss"
    assert read(Client(), url)[0] == "hit"
    Target.objects.filter(organisation=portal.county).update(address="新地址")
    hit, body = read(Client(), url)
    assert hit == "miss" and "新地址" in body


def test_readers_missing_together_wait_for_one_render(monkeypatch):
    """Right after a change, readers of a busy page miss at once: one renders, the others are
    given its page (a cold page costs one render per process, not one per reader)."""
    import threading

    from django.test import RequestFactory

    from shuangsuiji.disclosure import caching

    monkeypatch.setattr(versions, "everything_version", lambda: "cold")
    renders, release = [], threading.Event()

    @caching.public_cached(caching.across)
    def page(request):
        renders.append(1)
        release.wait(timeout=60)
        return HttpResponse("第一次渲染的页面")

    answers = []

    def reader():
        answers.append(page(RequestFactory().get("/gongkai/")))

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        renders and sum(r.users for r in caching._renders.values()) == 3
    ):
        time.sleep(0.01)
    release.set()
    for thread in readers:
        thread.join(timeout=60)
    assert len(renders) == 1
    assert sorted(a.get(HIT_HEADER) for a in answers) == ["hit", "hit", "miss"]
    assert {a.content.decode() for a in answers} == {"第一次渲染的页面"}


def test_an_unreachable_cache_serves_the_page_uncached(client, portal, settings):
    """Redis down (restarting, a network cut) costs speed, not the page: each request is
    rendered as if the cache were empty, and logged; a signed-in user's home (its menu counts
    and to-dos are cached too) opens as well."""
    settings.CACHES = {
        "default": {
            "BACKEND": "shuangsuiji.config.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/1",
        }
    }
    url = results_page(portal)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response.get(HIT_HEADER) == "miss"
        assert portal.clean.target.name in response.content.decode()
    staff = Client()
    staff.force_login(portal.coordinator)
    assert staff.get("/").status_code == 200
