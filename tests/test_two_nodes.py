"""More than one node (issue 21 §6): two ``shuangsuiji serve`` processes sharing one PostgreSQL,
one Redis and one media folder, behind nginx over HTTPS (``shuangsuiji_demo.nodes``), in
production mode, with one ``shuangsuiji worker`` for the background tasks. A person's requests
may land on either node: a login, a CSRF-protected form, an uploaded register file, the cache and
the row locks must all work whichever node answers.

Every request below names the node that must answer it (the harness's ``X-Shuangsuiji-Node``)
and checks the node nginx names in ``X-Shuangsuiji-Upstream``, so "on A … on B" is what happened,
not what round robin happened to do. Everything is started once for the module.

Needs redis-server and nginx (``scripts/system-packages.sh --test``) and PostgreSQL's programs:
with CI=true a missing one fails the module; elsewhere it is skipped with the reason. The test
starts its own PostgreSQL, so it runs in the SQLite pass of ``scripts/run_tests.py`` (it asks
pytest-django for no database of its own).
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shuangsuiji.directory.uploads import MAGIC
from shuangsuiji_demo.nodes import PIN_HEADER, Nodes, missing_programs, running_nodes
from shuangsuiji_demo.pgcluster import PostgresUnavailable
from tests.support.tree import PASSWORD
from tests.support.workbooks import uscc, xlsx

CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
ORG = "130281"
#: How long a background step (validating an upload) may take before the test gives up.
PATIENCE = 120

SETUP = """
from shuangsuiji.accounts.roles import Role
from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit
from tests.support.county import build_county
from tests.support.tree import build_organisations, make_user

county = build_county(build_organisations()["a"])
first = make_user("coord_a", county, Role.COORDINATOR)
make_user("coord_b", county, Role.COORDINATOR)
leader = make_user("leader", county, Role.LEADER)
plan = plan_generate(actor=first, organisation=county, year=2026)
plan_submit(actor=None, plan=plan)
plan_approve(actor=leader, plan=plan)
plan = plan_publish(actor=first, plan=plan)
print(plan.tasks.get(quarter=4).pk)
"""


@dataclass
class World:
    nodes: Nodes
    #: The 2026 plan's fourth-quarter task of 遵化 (130281), ready to draw.
    task: int


@pytest.fixture(scope="module")
def world():
    missing = missing_programs()
    if missing and not CI:
        pytest.skip(f"未安装 {'、'.join(missing)}，跳过双节点测试（CI=true 时必须运行）")
    try:
        with running_nodes() as nodes:
            task = int(nodes.manage("shell", "-c", SETUP, cwd=REPO).stdout.split()[-1])
            yield World(nodes, task)
    except PostgresUnavailable as error:
        if CI:
            pytest.fail(f"CI=true 要求运行双节点测试，但 {error}")
        pytest.skip(f"没有可用的 PostgreSQL，跳过双节点测试：{error}")


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "页面上没有 CSRF 令牌"
    return found.group(1)


class Browser:
    """One person's browser (its own cookies) whose every request is sent through nginx to the
    node named, with the Referer a browser sends (Django checks it on HTTPS POSTs)."""

    def __init__(self, world: World) -> None:
        import requests

        self.nodes = world.nodes
        self.session = requests.Session()

    def request(self, node: str, method: str, path: str, **kwargs):
        from requests.utils import requote_uri

        url = self.nodes.url + path
        headers = {PIN_HEADER: node, "Referer": requote_uri(url), **kwargs.pop("headers", {})}
        # Per request: a REQUESTS_CA_BUNDLE in the environment would override a session's.
        answer = self.session.request(
            method, url, headers=headers, allow_redirects=False, timeout=60,
            verify=str(self.nodes.certificate), **kwargs,
        )  # fmt: skip
        assert self.nodes.node_of(answer.headers) == node, (path, answer.headers)
        assert answer.status_code < 500, (path, answer.status_code, self.nodes.logs())
        return answer

    def get(self, node: str, path: str, **kwargs):
        return self.request(node, "GET", path, **kwargs)

    def post(self, node: str, path: str, **kwargs):
        return self.request(node, "POST", path, **kwargs)

    def log_in(self, username: str, *, form_from: str, post_to: str) -> None:
        token = _token(self.get(form_from, "/login/").text)
        answer = self.post(post_to, "/login/", data={
            "username": username, "password": PASSWORD, "csrfmiddlewaretoken": token,
        })  # fmt: skip
        assert answer.status_code == 302 and answer.headers["Location"] == "/", answer.text[:500]


def _page_once(browser: Browser, node: str, path: str, ready, what: str) -> str:
    """The page at ``path`` once ``ready(html)`` holds: the work behind it is a background
    task, run by the harness's ``shuangsuiji worker``, whichever node queued it."""
    deadline = time.monotonic() + PATIENCE
    while not ready(html := browser.get(node, path).text):
        if time.monotonic() > deadline:
            raise AssertionError(f"等待超时：{what}\n{html[:2000]}")
        time.sleep(0.2)
    return html


def test_nginx_hands_requests_to_both_nodes(world):
    """Round robin: without a pinned node, successive requests are answered by both nodes."""
    import requests

    answered = {
        world.nodes.node_of(
            requests.get(f"{world.nodes.url}/healthz", verify=str(world.nodes.certificate)).headers
        )
        for _ in range(4)
    }
    assert answered == {"a", "b"}


def test_a_login_on_one_node_holds_on_the_other_and_a_logout_on_either_ends_it(world):
    """Sessions are in the shared database and signed with the shared secret key."""
    browser = Browser(world)
    browser.log_in("coord_a", form_from="a", post_to="a")
    home = browser.get("b", "/")
    assert home.status_code == 200 and "coord_a" in home.text

    assert browser.post("b", "/logout/", data={"csrfmiddlewaretoken": _token(home.text)}).ok
    after = browser.get("a", "/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login/")


def test_a_csrf_protected_post_is_accepted_by_whichever_node_receives_it(world):
    """A form rendered by one node is accepted by the other, in both directions; a POST
    without the token is refused by both (so the acceptance is the token's doing)."""
    for form_from, post_to in (("a", "b"), ("b", "a")):
        browser = Browser(world)
        browser.log_in("coord_b", form_from=form_from, post_to=post_to)
        assert "coord_b" in browser.get(form_from, "/").text
    for node in ("a", "b"):
        stranger = Browser(world)
        stranger.get(node, "/login/")  # has the CSRF cookie, but sends no token
        refused = stranger.post(node, "/login/", data={"username": "coord_b", "password": PASSWORD})
        assert refused.status_code == 403


def test_an_upload_on_one_node_is_previewed_and_confirmed_on_the_other_and_the_public_sees_it(
    world,
):
    """The register file uploaded through B is stored (encrypted) in the shared media folder,
    validated, previewed and confirmed through A; the public targets page read through B shows
    the new target on the very next request, though both nodes served it before the change
    (a cached page is keyed by the version the database keeps, issue 21 §1)."""
    public = Browser(world)
    for node in ("a", "b"):
        before = public.get(node, f"/gongkai/org/{ORG}/targets/")
        assert before.status_code == 200 and "共 260 条" in before.text
        assert (
            "双节点新增企业" not in public.get(node, f"/gongkai/org/{ORG}/targets/?q=双节点").text
        )

    staff = Browser(world)
    staff.log_in("coord_a", form_from="b", post_to="b")
    form = staff.get("b", "/directory/targets/import/")
    header = ["统一社会信用代码", "单位名称", "排污许可管理类别", "正面清单", "执法片区", "要素标签", "经营状态"]  # fmt: skip
    row = [uscc(900), "双节点新增企业", "登记管理", "否", "第一中队", "水", "存续"]
    uploaded = staff.post(
        "b",
        "/directory/targets/import/",
        data={"csrfmiddlewaretoken": _token(form.text)},
        files={"file": ("新增检查对象.xlsx", xlsx([header, row]))},
    )
    assert uploaded.status_code == 302, uploaded.text[:500]
    batch = re.fullmatch(r"/directory/imports/(\d+)/", uploaded.headers["Location"]).group(1)
    imports = Path(world.nodes.env["SHUANGSUIJI_DATA_DIR"]) / "media" / "imports"
    stored = [path for path in imports.rglob("*") if path.is_file()]
    assert len(stored) == 1 and stored[0].read_bytes().startswith(MAGIC)  # sealed, shared

    page = f"/directory/imports/{batch}/"
    preview = _page_once(
        staff, "a", page, lambda html: "状态：<strong>校验中" not in html, "文件校验完成"
    )
    assert "状态：<strong>待确认" in preview and "新增 <strong>1</strong> 条" in preview
    confirmed = staff.post("a", f"{page}apply/", data={
        "csrfmiddlewaretoken": _token(preview), "reason": "双节点测试：新增一家企业",
    })  # fmt: skip
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == page
    done = _page_once(staff, "a", page, lambda html: "状态：<strong>已导入" in html, "导入完成")
    assert "新增 <strong>1</strong> 条" in done
    assert not stored[0].exists()  # deleted once applied

    after = public.get("b", f"/gongkai/org/{ORG}/targets/")
    assert "共 261 条" in after.text
    assert "双节点新增企业" in public.get("b", f"/gongkai/org/{ORG}/targets/?q=双节点").text


def test_a_public_page_cached_by_one_node_is_read_from_redis_by_the_other(world):
    """The cache is Redis, shared: what node A cached for a public page, node B reads back
    (Redis's MONITOR shows B asking for a key A wrote) and serves the same page."""
    import redis

    store = redis.Redis.from_url(world.nodes.redis_url, decode_responses=True)
    page = f"/gongkai/org/{ORG}/inspectors/"
    before = set(store.keys("*"))
    first = Browser(world).get("a", page)
    assert first.status_code == 200 and "执法0" in first.text
    written = set(store.keys("*")) - before
    assert written, "节点 A 没有把公开页面缓存到 Redis"

    second, commands = _redis_commands_during(store, lambda: Browser(world).get("b", page))
    read = [c for c in commands if c.split()[0].upper() in {"GET", "MGET"}]
    assert any(key in command for command in read for key in written), commands
    assert _without_nonce(second.text) == _without_nonce(first.text)


def _redis_commands_during(store, action):
    """The commands Redis received while ``action`` ran (MONITOR), and its result."""
    marker = "shuangsuiji-two-nodes-end"
    seen: list[str] = []
    watching = threading.Event()

    def watch() -> None:
        with store.monitor() as monitor:
            watching.set()
            for command in monitor.listen():
                if marker in command["command"]:
                    return
                seen.append(command["command"])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert watching.wait(30)
    result = action()
    store.echo(marker)
    watcher.join(30)
    return result, seen


def _without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", html)


def test_two_concurrent_draw_commits_through_the_two_nodes_leave_exactly_one_draw(world):
    """Two coordinators commit the same task's draw at the same moment, one through each node:
    the row lock on the task (planning/draws.py) lets one through; the other is told the task
    already has a draw, and the database holds exactly one."""
    path = f"/planning/tasks/{world.task}/draw/"
    people = {"a": Browser(world), "b": Browser(world)}
    forms = {}
    for node, browser in people.items():
        browser.log_in(f"coord_{node}", form_from=node, post_to=node)
        html = browser.get(node, path).text
        reveal = re.search(r'<input[^>]*name="reveal_on"[^>]*>', html).group(0)
        forms[node] = {
            "csrfmiddlewaretoken": _token(html),
            "source_type_1": "lottery",
            "source_label_1": "中国福利彩票双色球 2026141 期",
            "source_type_2": "witness",
            "source_label_2": "监督员 陈静 现场写下的数字",
            "reveal_on": re.search(r'value="([^"]+)"', reveal).group(1),
            "confirm": "1",
        }

    barrier = threading.Barrier(2)
    answers = {}

    def commit(node: str) -> None:
        barrier.wait()
        answers[node] = people[node].post(node, path, data=forms[node])

    threads = [threading.Thread(target=commit, args=(node,)) for node in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    committed = [n for n, a in answers.items() if a.status_code == 302]
    assert len(committed) == 1, {n: (a.status_code, a.text[:300]) for n, a in answers.items()}
    assert re.fullmatch(r"/planning/draws/\d+/", answers[committed[0]].headers["Location"])
    (refused,) = (a for n, a in answers.items() if n not in committed)
    assert refused.status_code == 200 and "不能重复抽取" in refused.text

    # Every committed draw is on the portal from its commit: the public sees one, not two.
    listed = Browser(world).get("b", f"/api/draws?organisation={ORG}").json()
    assert listed["count"] == 1
