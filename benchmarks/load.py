"""Citizens, coordinators and inspectors at once, on a province-sized PostgreSQL database.

    uv run python benchmarks/load.py                  # 500,000 targets, 100 users, 300 s
    uv run python benchmarks/load.py --quick          # 20,000 targets, 20 organisations, 60 s
    uv run python benchmarks/load.py --users 50 --duration 120 --think 1

Issue 10: "on PostgreSQL with the province-sized data of the portal issue, 100 concurrent users
mixing portal reads, coordinator list pages and inspectors submitting results for 5 minutes on
loopback: no errors, p95 reported per route, nothing lost (every submitted result is stored
once)."

The database is the one of ``benchmarks/portal.py`` (its loader is imported, not copied: 200
organisations, 500,000 targets, 1,000,000 results written with COPY into a throwaway cluster),
plus what the mixed load needs, written through the ORM: every organisation gets the
``zunhua-2024`` preset, adopted (``bureau.services.policy_adopt``) by the ``--counties`` county
branches that carry the staff; in each of those counties, 抽查管理员 accounts, 执法人员 in the
inspector register whose accounts are named by their 执法证号 (as the app links them), one
partner inspector without an account, and open inspections of the county's 2025Q4 draw (drawn,
list not yet revealed, status 待检查), each with two inspection items and a team of the
inspector and the partner. Each inspector has their own open inspections, enough for
``--duration`` seconds at one submission a second, so that no two users ever submit the same
inspection and the supply never runs out. Every account has the same known password.

The app is served as by ``portal.py``, with its own ``redis-server`` as the cache (``--cache``):
``shuangsuiji serve`` (granian, 8 threads per worker;
``--server`` as in ``portal.py``) in production settings, plain HTTP on loopback
(``DJANGO_SECURE_SSL_REDIRECT=false``, as behind a TLS proxy). Every virtual user is a thread
of this process with its own keep-alive connection and its own cookies (session and CSRF, also
those marked Secure, as a browser behind the proxy would send them). The staff first log in
through the real login form (GET for the CSRF token, POST the password: django-axes sees only
correct passwords); then all users run together, closed loop: the next request leaves when the
previous one has answered, after a think time of ``--think`` seconds on average (exponential;
0 by default, i.e. the heaviest load 100 users can make):

- citizens (60 %): the portal routes of ``portal.py`` in turn at random — results list, enterprise
  search, enterprise page, open-data results and targets;
- coordinators (25 %): their own bureau's pages — home, targets register (any page), inspectors
  register, annual plans, a plan, a revealed draw with its inspections, 结果公示, the statistics
  table and the dashboard of a 2025 quarter;
- inspectors (15 %): 我的任务, then the record form of their next open inspection, then the form
  POSTed with 提交结果 (the CSRF token and the item fields read from the form; every item 合格,
  result 未发现问题, method 现场检查, the inspector present, a public summary), then the page the
  302 leads to, which must say 检查结果已提交; then the next inspection.

Counted are the requests that complete within ``--duration`` seconds after ``--warmup``. Prints
per route: requests, errors, p50, p95, p99 (ms) and requests/s, per role and in total; the CPU
seconds of the server's processes and of PostgreSQL in the window; the load average before and
after; the data sizes; the database's costliest statements (pg_stat_statements). Then the
write check, on the database directly: every submission that
got its 302 is an inspection now 已完成 with its submitter, every inspection now 已完成 got a 302,
and each has exactly one ``inspection.submit`` audit event. Exits non-zero if any request
answered other than expected (200, or 304 for the portal, or the 302s of login and submit),
failed at the socket, if a user got no answer at all in the window (a connection the server never
accepted: ``shuangsuiji serve --connections``, 500 by default, bounds them), if an inspector ran
out of work, or if the write check fails; the server log's last lines are printed then.

Goal (issue 10): no errors and nothing lost or doubled at 100 concurrent users for 5 minutes;
p95 per route is reported, not judged (the latency goal of the portal is ``portal.py``'s).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import http.cookies
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import portal

ROOT = portal.ROOT
PASSWORD = "Load-bench-2026"
PRESET = "zunhua-2024"
BEIJING = ZoneInfo("Asia/Shanghai")
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ITEM_FIELD = re.compile(rb'name="(item_\d+)"')
QUEUE_DEPTH = re.compile(r"Task queue depth is (\d+)")
ERROR_TEXT = re.compile(r'class="(?:message error|error)"[^>]*>(.*?)</', re.S)


def shares(users: int) -> tuple[int, int, int]:
    """(citizens, coordinators, inspectors): 60 %, 25 %, 15 %, at least one staff user each."""
    coordinators = max(1, round(users * 0.25))
    inspectors = max(1, round(users * 0.15))
    return users - coordinators - inspectors, coordinators, inspectors


# -- the database: portal.py's, plus accounts and open inspections ------------------------------


def load(args: argparse.Namespace, picks_path: Path) -> None:
    """One process: portal.py's loader, then the staff and their work; prints sizes as JSON."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        portal.load(args, picks_path)
    sizes = json.loads(captured.getvalue().splitlines()[-1])
    started = time.perf_counter()
    picks = json.loads(picks_path.read_text())
    picks["staff"] = create_staff(args)
    picks_path.write_text(json.dumps(picks, ensure_ascii=False))
    sizes["load_seconds"] = round(sizes["load_seconds"] + time.perf_counter() - started, 1)
    sizes["staff_accounts"] = len(picks["staff"])
    sizes["open_inspections"] = sum(len(u["inspections"]) for u in picks["staff"])
    portal.log(f"staff, inspectors, open inspections: {time.perf_counter() - started:.1f} s")
    print(json.dumps(sizes))


def create_staff(args: argparse.Namespace) -> list[dict]:
    """Coordinators and inspectors of ``args.counties`` county branches, round robin; each
    inspector with ``args.open_per_inspector`` open inspections of the county's 2025Q4 draw."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import F

    from shuangsuiji.accounts.models import Organisation, User
    from shuangsuiji.accounts.roles import Role, group_for
    from shuangsuiji.bureau.services import policy_adopt
    from shuangsuiji.directory.models import InspectionItem, Inspector, Target
    from shuangsuiji.inspections.models import Inspection, InspectionMember
    from shuangsuiji.planning.models import AnnualPlan, Draw

    rng = random.Random(args.seed + 1)
    _, coordinators, inspectors = shares(args.users)
    Organisation.objects.update(policy_preset=PRESET)
    counties = list(
        Organisation.objects.filter(parent__parent__isnull=False).order_by("code")[: args.counties]
    )
    password = make_password(PASSWORD)  # one hash for all: hashing is slow by design
    groups = {role: group_for(role) for role in (Role.COORDINATOR, Role.INSPECTOR)}
    staff: list[dict] = []
    with transaction.atomic():
        for county in counties:
            policy_adopt(actor=None, organisation=county)  # as its 系统管理员's choice would
        # portal.py leaves 3 % of the results unpublished, also 全覆盖 ones, which have no draw;
        # the app publishes those at submission (no list to wait for), and 结果公示 cannot show
        # one left unpublished (it links its draw: NoReverseMatch). As the app would have them:
        Inspection.objects.filter(
            organisation__in=counties, kind="coverage", status="done", confidentiality="",
            published_at__isnull=True,
        ).update(published_at=F("submitted_at"), public_changed_at=F("submitted_at"))  # fmt: skip
        # And portal.py's 2025Q4 draws are 已抽取 without a result, which the app never makes
        # (draw_execute stores it; the reveal only opens it): the dashboard reads it.
        Draw.objects.filter(status="drawn", result="").update(result='{"strata": []}')
        for n in range(coordinators + inspectors):
            county = counties[n % len(counties)]
            role = Role.COORDINATOR if n < coordinators else Role.INSPECTOR
            serial = n // len(counties) + 1
            if role == Role.COORDINATOR:
                username, name = f"gl{county.code}{serial:02d}", f"管理员{serial}"
            else:
                username, name = f"ZF{county.code}{serial:03d}", f"执法员{serial}"
            user = User.objects.create(
                username=username, display_name=name, organisation=county, password=password
            )
            user.groups.add(groups[role])
            staff.append({"username": username, "role": role.value, "org": county.code,
                          "org_id": county.pk, "inspections": []})  # fmt: skip
        for county in counties:
            mine = [u for u in staff if u["org"] == county.code and u["role"] == Role.INSPECTOR]
            draw = Draw.objects.get(organisation=county, quarter="2025Q4")
            items = list(
                InspectionItem.objects.filter(organisation=county, confidential=False).values_list(
                    "pk", flat=True
                )
            )
            targets = list(
                Target.objects.filter(organisation=county, in_register=True).values_list(
                    "pk", flat=True
                )
            )
            county_picks = {
                "plans": list(
                    AnnualPlan.objects.filter(organisation=county).values_list("pk", flat=True)
                ),
                "draws": list(
                    Draw.objects.filter(organisation=county, status="revealed").values_list(
                        "pk", flat=True
                    )
                ),
                "targets": len(targets),
            }
            for user in staff:
                if user["org"] == county.code:
                    user["county"] = county_picks
            if not mine:
                continue
            partner = Inspector.objects.create(
                organisation=county, name="同组执法员", certificate_no=f"ZF{county.code}900"
            )
            needed = len(mine) * args.open_per_inspector
            chosen = rng.sample(targets, needed) if needed <= len(targets) else [
                rng.choice(targets) for _ in range(needed)
            ]  # fmt: skip
            for user in mine:
                lead = Inspector.objects.create(
                    organisation=county, name=f"执法员{user['username'][-3:]}",
                    certificate_no=user["username"], tags="大气,水",
                )  # fmt: skip
                open_ones = Inspection.objects.bulk_create(
                    Inspection(
                        organisation=county, task_id=draw.task_id, draw=draw,
                        target_id=chosen.pop(), year=2025, kind="random", stratum="A",
                        method="现场检查", status=Inspection.Status.ASSIGNED,
                    )
                    for _ in range(args.open_per_inspector)
                )  # fmt: skip
                InspectionMember.objects.bulk_create(
                    InspectionMember(inspection=i, inspector=who, position=position,
                                     is_lead=position == 1)
                    for i in open_ones
                    for position, who in ((1, lead), (2, partner))
                )  # fmt: skip
                Inspection.items.through.objects.bulk_create(
                    Inspection.items.through(inspection_id=i.pk, inspectionitem_id=item)
                    for i in open_ones
                    for item in rng.sample(items, 2)
                )
                user["inspections"] = [i.pk for i in open_ones]
    return staff


# -- the client --------------------------------------------------------------------------------


class Browser:
    """One user's keep-alive connection and cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, bytes]:
        headers = dict(portal.HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.close()
                # The server closed a kept-alive connection while the user was thinking, as
                # servers do with idle ones: a browser sends the request again on a new
                # connection (RFC 9112 §9.3.1) — a GET always, a POST only if it could not even
                # be sent (a broken pipe), so it cannot have been received. Anything else counts.
                safe = method == "GET" or isinstance(error, BrokenPipeError)
                if not (reused and safe and attempt == 1):
                    raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return response.status, response.getheader("Location", ""), data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Sample:
    label: str
    end: float
    seconds: float
    ok: bool


@dataclass
class Recorder:
    """Samples of one user; ``problems`` keeps the first few failures in words."""

    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(text)

    def flag(self, text: str) -> None:
        """The last answer had the expected status but not the expected content: an error."""
        self.samples[-1].ok = False
        self.fail(text)


class Stopped(Exception):
    pass


class User:
    """A virtual user: ``step()`` makes one visit (one request, or the inspector's next one)."""

    def __init__(self, port: int, rng: random.Random, think: float, stop: threading.Event) -> None:
        self.browser = Browser(port)
        self.rng, self.think, self.stop = rng, think, stop
        self.record = Recorder()

    def timed(
        self, label: str, method: str, path: str, form: dict | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, str, bytes] | None:  # fmt: skip
        if self.stop.is_set():
            raise Stopped
        if self.think:
            time.sleep(self.rng.expovariate(1 / self.think))
        start = time.perf_counter()
        try:
            status, location, body = self.browser.request(method, path, form)
        except (OSError, http.client.HTTPException) as error:
            end = time.perf_counter()
            self.record.samples.append(Sample(label, end, end - start, False))
            self.record.fail(f"{method} {path}: {error!r}")
            return None
        end = time.perf_counter()
        ok = status in expect
        self.record.samples.append(Sample(label, end, end - start, ok))
        if not ok:
            self.record.fail(f"{method} {path} → {status} {location} {excerpt(body)}")
            return None
        return status, location, body

    def login(self, username: str) -> bool:
        page = self.timed("login form", "GET", "/login/")
        token = page and CSRF.search(page[2])
        if not token:
            self.record.fail("login form without a CSRF token")
            return False
        form = {"csrfmiddlewaretoken": token.group(1).decode(), "username": username,
                "password": PASSWORD}  # fmt: skip
        answer = self.timed("login (POST)", "POST", "/login/", form, expect=(302,))
        return answer is not None and answer[1] == "/"

    def run(self) -> None:
        try:
            while True:
                self.step()
        except Stopped:
            pass
        finally:
            self.browser.close()

    def step(self) -> None:
        raise NotImplementedError


class Citizen(User):
    def __init__(self, *args, routes: list[portal.Route], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.routes = routes

    def step(self) -> None:
        route = self.rng.choice(self.routes)
        self.timed(f"portal: {route.label}", "GET", route.urls(self.rng), expect=(200, 304))


class Coordinator(User):
    def __init__(self, *args, county: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.county = county

    def step(self) -> None:
        county, rng = self.county, self.rng
        quarter = rng.randrange(1, 5)
        pages = max(1, -(-county["targets"] // 50))
        label, path = rng.choice(
            (
                ("home", "/"),
                ("targets register", f"/directory/targets/?page={rng.randrange(1, pages + 1)}"),
                ("inspectors register", "/directory/inspectors/"),
                ("annual plans", "/planning/plans/"),
                ("plan", f"/planning/plans/{rng.choice(county['plans'])}/"),
                ("draw", f"/planning/draws/{rng.choice(county['draws'])}/"),
                ("publication", "/inspections/publication/?year=2025"),
                ("statistics", f"/reports/statistics/?year=2025&quarter={quarter}"),
                ("dashboard", f"/reports/dashboard/?year=2025&quarter={quarter}"),
            )
        )
        self.timed(f"coordinator: {label}", "GET", path)


class Inspector(User):
    def __init__(self, *args, username: str, inspections: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username
        self.open = list(inspections)
        self.submitted: list[int] = []  # those whose POST got its 302
        self.ran_out = False

    def step(self) -> None:
        if not self.open:
            self.ran_out = True
            raise Stopped
        pk = self.open[0]
        page = self.timed("inspector: my tasks", "GET", "/inspections/mine/")
        if page and f"/inspections/{pk}/".encode() not in page[2]:
            self.record.flag(f"我的任务 lacks inspection {pk}")
        page = self.timed("inspector: record form", "GET", f"/inspections/{pk}/record/")
        if page is None:
            return  # counted as an error; try again with the next visit
        token = CSRF.search(page[2])
        items = sorted(set(ITEM_FIELD.findall(page[2])))
        if token is None or "提交结果".encode() not in page[2] or not items:
            self.record.flag(f"record form of {pk} not editable or without items")
            self.open.pop(0)
            return
        now = dt.datetime.now(BEIJING) - dt.timedelta(hours=1)
        form = {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "checked_at": now.strftime("%Y-%m-%dT%H:%M"),
            "method_used": "现场检查",
            "present_members": [self.username],
            "representative": "企业环保负责人",
            "result_category": "no_problem",
            "findings": "现场检查未发现环境违法问题。",
            "public_summary": "未发现环境违法问题。",
            "confidentiality": "",
            "confidential_reason": "",
            "determined_on": now.date().isoformat(),
            "submit": "",
        }
        for name in items:
            form[name.decode()] = "pass"
            form[f"note_{name.decode()[5:]}"] = ""
        answer = self.timed(
            "inspector: submit (POST)", "POST", f"/inspections/{pk}/record/", form, expect=(302,)
        )
        if answer is None:
            self.open.pop(0)  # not retried: the write check will say whether it was stored
            return
        self.open.pop(0)
        self.submitted.append(pk)
        if answer[1] != f"/inspections/{pk}/record/":
            self.record.flag(f"submit of {pk} redirected to {answer[1]}")
        after = self.timed("inspector: record after submit", "GET", answer[1])
        if after and "检查结果已提交".encode() not in after[2]:
            self.record.flag(f"no confirmation after submitting {pk}")


def excerpt(body: bytes) -> str:
    text = body.decode(errors="replace")
    errors = [re.sub(r"<[^>]+>|\s+", " ", e).strip() for e in ERROR_TEXT.findall(text)]
    return "；".join(errors)[:300] if errors else re.sub(r"\s+", " ", text)[:300]


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Result:
    users: list[User]
    window_start: float
    window_end: float
    app_cpu: float
    db_cpu: float
    client_cpu: float  # this process: the 100 users' threads
    login_seconds: float


def run_users(port: int, picks: dict, args: argparse.Namespace, cpu) -> Result:
    citizens, _, _ = shares(args.users)
    stop = threading.Event()
    routes = portal.routes(picks)[1:]  # not the floor: citizens read the portal
    users: list[User] = []
    rng = random.Random(args.seed + 2)

    def seeded() -> dict:
        return {"rng": random.Random(rng.random()), "think": args.think, "stop": stop}

    users += [Citizen(port, **seeded(), routes=routes) for _ in range(citizens)]
    staff = []
    for account in picks["staff"]:
        if account["role"] == "coordinator":
            user = Coordinator(port, **seeded(), county=account["county"])
        else:
            user = Inspector(port, **seeded(), username=account["username"],
                             inspections=account["inspections"])  # fmt: skip
        users.append(user)
        staff.append((user, account["username"]))

    # The staff log in first, all at once (the morning rush), before the clock starts.
    started = time.perf_counter()
    failed: list[str] = []

    def login(user: User, username: str) -> None:
        if not user.login(username):
            failed.append(username)

    threads = [threading.Thread(target=login, args=pair, daemon=True) for pair in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    login_seconds = time.perf_counter() - started
    if failed:
        problems = [p for user, _ in staff for p in user.record.problems]
        raise SystemExit(f"login failed for {failed[:5]}: {problems[:5]}")

    marks: dict[str, tuple[float, float]] = {}
    window_start = time.perf_counter() + args.warmup
    window_end = window_start + args.duration
    threads = [threading.Thread(target=user.run, daemon=True) for user in users]
    opening = threading.Timer(
        args.warmup, lambda: marks.setdefault("start", (*cpu(), time.process_time()))
    )

    def close() -> None:
        marks["end"] = (*cpu(), time.process_time())
        stop.set()

    closing = threading.Timer(args.warmup + args.duration, close)
    opening.start()
    closing.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    opening.join()
    closing.join()
    return Result(
        users=users, window_start=window_start, window_end=window_end,
        app_cpu=marks["end"][0] - marks["start"][0], db_cpu=marks["end"][1] - marks["start"][1],
        client_cpu=marks["end"][2] - marks["start"][2], login_seconds=login_seconds,
    )  # fmt: skip


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile in milliseconds of sorted seconds."""
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))] * 1000


def print_table(result: Result) -> int:
    """The per-route table; returns the number of errors in and out of the window."""
    seconds = result.window_end - result.window_start
    by_label: dict[str, list[Sample]] = defaultdict(list)
    errors_outside = 0
    for user in result.users:
        for sample in user.record.samples:
            # Logins happen before the clock starts: all of them are shown.
            if sample.label.startswith("login") or (
                result.window_start <= sample.end <= result.window_end
            ):
                by_label[sample.label].append(sample)
            elif not sample.ok:
                errors_outside += 1
    header = f"{'route':<40}{'requests':>9}{'errors':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'req/s':>8}"
    print(header)
    print("-" * len(header))
    order = ("login", "portal", "coordinator", "inspector")
    labels = sorted(by_label, key=lambda x: (order.index(x.split(" ")[0].rstrip(":")), x))
    totals: dict[str, list[Sample]] = defaultdict(list)
    for label in labels:
        samples = by_label[label]
        if not label.startswith("login"):
            totals[label.split(":")[0]].extend(samples)
            totals["all"].extend(samples)
        print_row(label, samples, None if label.startswith("login") else seconds)
    print("-" * len(header))
    for label in ("portal", "coordinator", "inspector", "all"):
        print_row(f"total: {label}", totals[label], seconds)
    errors = sum(not s.ok for samples in by_label.values() for s in samples)
    return errors + errors_outside


def print_row(label: str, samples: list[Sample], seconds: float | None) -> None:
    ordered = sorted(s.seconds for s in samples)
    rate = f"{len(samples) / seconds:>8.1f}" if seconds else f"{'—':>8}"
    print(
        f"{label:<40}{len(samples):>9}{sum(not s.ok for s in samples):>7}"
        f"{percentile(ordered, 0.50):>8.0f}{percentile(ordered, 0.95):>8.0f}"
        f"{percentile(ordered, 0.99):>8.0f}{rate}"
    )


def write_check(url: str, result: Result) -> list[str]:
    """Submissions that got their 302 against the database: the same inspections, each done once,
    with one audit event. Returns the problems found."""
    import psycopg

    inspectors = [u for u in result.users if isinstance(u, Inspector)]
    succeeded = [pk for u in inspectors for pk in u.submitted]
    prepared = [pk for u in inspectors for pk in u.submitted + u.open]
    usernames = {u.username for u in inspectors}
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, u.username FROM inspections_inspection i "
            "JOIN accounts_user u ON u.id = i.submitted_by_id "
            "WHERE i.status = 'done' AND i.submitted_at IS NOT NULL AND u.username = ANY(%s)",
            [sorted(usernames)],
        )
        done = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM inspections_inspection WHERE id = ANY(%s) AND status = 'done'",
            [prepared],
        )
        done_prepared = cursor.fetchone()[0]
        cursor.execute(
            "SELECT object_id, count(*) FROM audit_auditevent "
            "WHERE action = 'inspection.submit' GROUP BY object_id"
        )
        audit = {int(k): v for k, v in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        audit_total = cursor.fetchone()[0]
    submitters = {pk: u.username for u in inspectors for pk in u.submitted}
    problems = []
    if len(set(succeeded)) != len(succeeded):
        problems.append("an inspection got two successful submissions")
    lost = sorted(set(succeeded) - set(done))
    extra = sorted(set(done) - set(succeeded))
    wrong = sorted(pk for pk in set(done) & set(succeeded) if done[pk] != submitters[pk])
    doubled = sorted(pk for pk, count in audit.items() if count > 1)
    unaudited = sorted(pk for pk in succeeded if audit.get(pk) != 1)
    print(
        "\nwrite check (database queried after the run):\n"
        f"  submissions answered 302 (success):              {len(succeeded)}\n"
        f"  inspections now 已完成, submitted by these users:  {len(done)}\n"
        f"  of the prepared open inspections now 已完成:       {done_prepared}\n"
        f"  'inspection.submit' audit events:                {sum(audit.values())} "
        f"(on {len(audit)} inspections, at most {max(audit.values(), default=0)} each)\n"
        f"  audit log entries in all:                        {audit_total}"
    )
    for name, pks in (("lost (302 but not stored)", lost), ("stored without a 302", extra),
                      ("stored with another submitter", wrong), ("audited twice", doubled),
                      ("successful but not audited exactly once", unaudited)):  # fmt: skip
        if pks:
            problems.append(f"{len(pks)} {name}: {pks[:10]}")
    if done_prepared != len(done):
        problems.append(f"{done_prepared} prepared inspections done, {len(done)} by the users")
    print("  result: " + ("OK — every submitted result stored once" if not problems else "FAILED"))
    return problems


# -- orchestration -----------------------------------------------------------------------------


def versions_read(url: str) -> tuple[int, int]:
    """The sums of every change's counter and of the public's (disclosure/versions.py)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        found = connection.execute(
            "SELECT COALESCE(SUM(counter), 0), COALESCE(SUM(public), 0) "
            "FROM disclosure_publicversion"
        ).fetchone()
    return int(found[0]), int(found[1])


def versions_print(before: tuple[int, int], after: tuple[int, int]) -> None:
    """How often the run changed the staff's keys and the public's: the results recorded on
    lists still secret change the first only, so the public pages stay stored."""
    print(
        "\nversion counters (all organisations) raised during the run:\n"
        f"  every change's (keys the staff's pages):          {after[0] - before[0]}\n"
        f"  the public's (keys the public pages):             {after[1] - before[1]}"
    )


def statements_reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        connection.execute("SELECT pg_stat_statements_reset()")


def statements_print(url: str, count: int = 10) -> None:
    """The statements the database spent most time on during the run, with calls and mean."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT calls, total_exec_time, mean_exec_time, query FROM pg_stat_statements "
            "WHERE query NOT LIKE '%%pg_stat_statements%%' ORDER BY total_exec_time DESC LIMIT %s",
            [count],
        ).fetchall()
    print(f"\nthe database's {count} costliest statements (pg_stat_statements, whole run):")
    for calls, total, mean, query in rows:
        text = " ".join(query.split())[:220]
        print(f"  {total / 1000:7.1f} s  {calls:>7} calls  {mean:8.2f} ms  {text}")


def check_staff_pages(port: int, picks: dict) -> None:
    """Before the clock: one coordinator visits every page once, so a broken page stops the run
    here with its answer rather than as thousands of errors."""
    account = next(a for a in picks["staff"] if a["role"] == "coordinator")
    user = Coordinator(port, random.Random(0), 0.0, threading.Event(), county=account["county"])
    if not user.login(account["username"]):
        raise SystemExit(f"coordinator login failed: {user.record.problems}")
    county = account["county"]
    for path in (
        "/", "/directory/targets/?page=2", "/directory/inspectors/", "/planning/plans/",
        f"/planning/plans/{county['plans'][-1]}/", f"/planning/draws/{county['draws'][0]}/",
        "/inspections/publication/?year=2025", "/reports/statistics/?year=2025&quarter=3",
        "/reports/dashboard/?year=2025&quarter=3",
    ):  # fmt: skip
        if user.timed("check", "GET", path) is None:
            raise SystemExit(f"staff page check failed: {user.record.problems}")
    user.browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=500_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--users", type=int, default=100, help="virtual users (60/25/15 %%)")
    parser.add_argument("--counties", type=int, default=5, help="county branches with staff")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before, not counted")
    parser.add_argument("--think", type=float, default=0.0, help="mean think time, seconds")
    parser.add_argument("--threads", type=int, default=8, help="threads a worker (serve default)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve default)")
    parser.add_argument("--server", choices=portal.SERVERS, default="serve", help="as in portal.py")
    parser.add_argument("--cache", choices=("redis", "locmem"), default="redis", help="portal.py")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--quick", action="store_true", help="20,000 / 40,000 / 20 orgs, 60 s")
    parser.add_argument("--load", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.targets, args.results, args.organisations = 20_000, 40_000, 20
        if "--duration" not in sys.argv:
            args.duration = 60.0
    # One submission a second per inspector at most (a visit is four requests), plus slack.
    args.open_per_inspector = int(args.warmup + args.duration) + 20
    if args.load:
        load(args, Path(args.load[0]))
        return
    if not 20 <= args.organisations <= 300 or args.targets < 50 * args.organisations:
        parser.error("need 20–300 organisations and at least 50 targets per organisation")
    if args.users < 3 or args.counties < 1:
        parser.error("need at least 3 users and 1 county")

    from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

    before = os.getloadavg()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in before)}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    if before[0] > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine is already busy; the figures below will be worse for it")
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sjs-load-") as tmp, contextlib.ExitStack() as stack:
        tmp_path = Path(tmp)
        try:
            # pg_stat_statements: which statements the database's CPU goes to (printed after).
            url = stack.enter_context(
                throwaway_cluster("load", "-c shared_preload_libraries=pg_stat_statements")
            )
        except PostgresUnavailable as error:
            raise SystemExit(f"PostgreSQL unavailable: {error}") from error
        server = None
        log_path = tmp_path / "server.log"
        try:
            env = portal.production_env(url, tmp_path)
            if args.cache == "redis":
                from shuangsuiji_demo.nodes import running_redis

                env["CACHE_URL"] = stack.enter_context(running_redis(tmp_path))
            citizens, coordinators, inspectors = shares(args.users)
            print(f"loading {args.organisations} organisations, {args.targets:,} targets, "
                  f"{args.results:,} results; {coordinators} coordinators and {inspectors} "
                  f"inspectors in {args.counties} counties …", flush=True)  # fmt: skip
            picks_path = tmp_path / "picks.json"
            sizes = json.loads(
                portal.run_child(
                    "--load", [str(picks_path), *sys.argv[1:]], env, __file__
                ).splitlines()[-1]
            )
            picks = json.loads(picks_path.read_text())
            postmaster = sizes.pop("_postmaster")
            print(f"loaded in {sizes.pop('load_seconds')} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))  # fmt: skip

            port = portal.free_port()
            with log_path.open("wb") as server_log:
                server = subprocess.Popen(
                    portal.serve_command(port, args.threads, args.workers, args.server), env=env,
                    cwd=tmp_path,
                    stdout=server_log, stderr=subprocess.STDOUT,
                )  # fmt: skip
            portal.wait_healthy(port, server, log_path)
            portal.sanity_check(port, picks)
            check_staff_pages(port, picks)

            def cpu() -> tuple[float, float]:
                return portal.tree_cpu(server.pid), portal.postgres_cpu(postmaster)

            think = f"think time {args.think:g} s on average" if args.think else "no think time"
            print(
                f"\n{args.users} users ({citizens} citizens, {coordinators} coordinators, "
                f"{inspectors} inspectors), closed loop, {think}; "
                f"{portal.server_label(args.server)} {args.workers} × {args.threads} threads; "
                f"{args.duration:g} s measured after {args.warmup:g} s warm-up …",
                flush=True,
            )
            statements_reset(url)
            versions_before = versions_read(url)
            result = run_users(port, picks, args, cpu)
            server.terminate()
            server.wait(timeout=30)
            server = None
            # waitress warns "Task queue depth is N" when requests wait for one of its threads.
            noted = log_path.read_text(errors="replace").splitlines()[1:]
            depths = [int(m[1]) for line in noted if (m := QUEUE_DEPTH.fullmatch(line))]
            if depths:
                print(f"waitress: requests waited for a thread, queue depth up to {max(depths)}")
            others = [line for line in noted if not QUEUE_DEPTH.fullmatch(line)]
            if others:
                print(f"\nthe server logged {len(others)} other lines, the first ones:")
                print("\n".join(f"  {line}" for line in others[:10]))

            seconds = result.window_end - result.window_start
            print(f"\nstaff logins before the clock: {len(picks['staff'])} in "
                  f"{result.login_seconds:.1f} s; times in ms\n")  # fmt: skip
            errors = print_table(result)
            count = sum(
                result.window_start <= s.end <= result.window_end
                for u in result.users
                for s in u.record.samples
            )
            print(
                f"\nwindow {seconds:.0f} s: {portal.server_label(args.server)} CPU "
                f"{result.app_cpu:.0f} s "
                f"({result.app_cpu / seconds:.0%} of one core), PostgreSQL CPU "
                f"{result.db_cpu:.0f} s ({result.db_cpu / seconds:.0%}); "
                f"{(result.app_cpu + result.db_cpu) * 1000 / max(count, 1):.1f} CPU ms a request; "
                f"the users' threads (this process) {result.client_cpu:.0f} s "
                f"({result.client_cpu / seconds:.0%})"
            )
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            inspector_users = [u for u in result.users if isinstance(u, Inspector)]
            submitted = sum(len(u.submitted) for u in inspector_users)
            print(f"results submitted: {submitted} ({submitted * 60 / seconds:.1f} a minute)")
            failures += write_check(url, result)
            versions_print(versions_before, versions_read(url))
            statements_print(url)
            if errors:
                failures.append(f"{errors} requests failed (unexpected status or socket error)")
            # A user whose connection the server never accepted has no answer in the window.
            idle = sum(
                not any(result.window_start <= x.end <= result.window_end for x in u.record.samples)
                for u in result.users
            )
            if idle:
                failures.append(f"{idle} users got no answer at all in the window")
            ran_out = [u.username for u in inspector_users if u.ran_out]
            if ran_out:
                failures.append(f"inspectors ran out of open inspections: {ran_out}")
            problems = [p for u in result.users for p in u.record.problems]
            if problems:
                print("\nfirst problems seen by the users:")
                for problem in problems[:10]:
                    print(f"  {problem}")
        except BaseException:
            failures.append("the run stopped early")
            raise
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if failures and log_path.exists():
                print("\nlast lines of the server log:")
                print(log_path.read_text(errors="replace")[-6000:])
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nOK: no errors, every submitted result stored once.")


if __name__ == "__main__":
    main()
