"""The staff's pages one request at a time, on the province data: CPU and queries per request.

    uv run python benchmarks/staff.py                 # 200 organisations, 500,000 targets
    uv run python benchmarks/staff.py --quick         # 20 organisations, 20,000 targets
    uv run python benchmarks/staff.py --profile 3     # then profile the 3 costliest routes
    uv run python benchmarks/staff.py --statements 5  # per route, the database's planning and
                                                      # running time and 5 costliest statements

Issue 21 §3: "Staff routes (home, registers, plans, draw, publication, statistics, dashboard,
my tasks, record form): median CPU ≤ 15 ms per request (app + database) on the province data;
no route's query count grows with rows on the page or with subordinate units."

The database is ``benchmarks/portal.py``'s (its loader is imported: 200 organisations, 500,000
targets, 1,000,000 results in a throwaway PostgreSQL cluster), plus, written through the ORM
and plain SQL: the ``zunhua-2024`` preset chosen and adopted by every organisation (as
``benchmarks/load.py`` chooses it), and what the staff's pages read of three organisations —
the first county branch (by code), its 市局 and the province: 30 enforcement officers in each
one's inspector register, two of them on the team of each of its inspections; each task's
检查时限 at the end of its quarter; and for each a 抽查管理员, a 领导 and a 执法人员 (the
account named by the 执法证号 of the register's first officer, so 我的任务 lists that
officer's teams), with 30 open inspections of the 2025Q4 draw for the 执法人员. Every account
has ``benchmarks/load.py``'s password and logs in through the real login form.

The app is served as ``portal.py`` serves it (``shuangsuiji serve`` in production settings,
plain HTTP on loopback), with one addition: ``benchmarks/staff_settings.py`` wraps the
production settings with a middleware that puts the request's SQL query count in a response
header (``DJANGO_SETTINGS_MODULE=staff_settings``; the deployed settings are not touched).

Each route is requested ``--requests`` times one after the other by one client, after
``--warmup`` requests not counted, and for at most ``--budget`` seconds (at least 5 requests).
For each request: the wall time, the CPU time of the server's processes and of PostgreSQL's
(nanoseconds from ``/proc/<pid>/task/*/schedstat``, read just before and just after; the clock
ticks of ``/proc/<pid>/stat`` are 10 ms, too coarse for one request), and the query count. Prints
per route the median and p90 of CPU (app + database), the median of each part, the median wall
time, the queries, the ratio of the median CPU to the floor's (``/healthz``, measured in the same
run) and the 1-minute load average. The machine may be shared: CPU time is what a request
costs whoever else runs, while wall times grow with the load; the medians are what to compare.

``--profile N``: afterwards, in one process with Django's test client against the same database,
profile one request of each of the N routes with the most CPU (cProfile counting CPU time, not
wall time), and print its queries with the slowest.

``--after-change``: before each request, write one of the route's organisation's inspections of
2025, as a recorded result does (its version counters rise and, on PostgreSQL, the inspection is
logged as changed: ``disclosure/versions.py``; the register version is left as it is), so every
request is the first after a change: what the statistics, the dashboard and the to-do lists
cost when the bureau's inspectors are submitting results all day.

``--database-url URL --data-dir DIR``: use an existing PostgreSQL database (loaded once by the
first such run into the empty database, its accounts and picks kept in DIR), so that one can
measure again after a change without loading again. ``--json PATH`` writes the figures.

Goal: median CPU (app + database) ≤ 15 ms per request for every staff route.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import http.client
import http.cookies
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import load as mixed
import portal

ROOT = portal.ROOT
HERE = Path(__file__).resolve().parent
GOAL_MS = 15.0
PASSWORD = mixed.PASSWORD
PRESET = mixed.PRESET
YEAR = 2025
#: Officers in the inspector register of each of the three organisations.
OFFICERS = 30
OPEN_INSPECTIONS = 30
QUERY_HEADER = "X-Query-Count"


# -- the database: portal.py's, plus three organisations' staff and their teams ---------------


def load(args: argparse.Namespace, picks_path: Path) -> None:
    """One process: portal.py's loader, then the staff, then the static files as ``serve``
    wants them (collected and compressed, which it would otherwise do at start); prints sizes
    as JSON. What an earlier run loaded into the database is kept."""
    started = time.perf_counter()
    picks = json.loads(picks_path.read_text()) if picks_path.exists() else None
    if picks is None:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            portal.load(args, picks_path)
        sizes = json.loads(captured.getvalue().splitlines()[-1])
        picks = json.loads(picks_path.read_text())
    else:
        import django

        django.setup()
        sizes = {"load_seconds": 0}
    if "staff" not in picks:
        phase = time.perf_counter()
        picks["staff"] = create_staff(args.seed)
        picks_path.write_text(json.dumps(picks, ensure_ascii=False))
        portal.log(f"staff, registers, teams: {time.perf_counter() - phase:.1f} s")
    repair()
    from shuangsuiji.config.staticfiles import static_files_collect

    phase = time.perf_counter()
    if static_files_collect():
        portal.log(f"static files collected and compressed: {time.perf_counter() - phase:.1f} s")
    sizes["load_seconds"] = round(sizes["load_seconds"] + time.perf_counter() - started, 1)
    print(json.dumps(sizes))


def repair() -> None:
    """What portal.py's loader writes otherwise than the app would (its public pages do not
    read it; the staff's do): the items' 检查方式 as the app stores them, by code; and every
    organisation's preset adopted, as choosing it adopts it in the app (``portal.py`` leaves
    the preset unset; ``load.py`` sets it everywhere and adopts it in a few counties, and an
    organisation with a preset not adopted costs the reports a query of its own)."""
    from django.db import transaction

    from shuangsuiji.accounts.models import Organisation
    from shuangsuiji.bureau.services import policy_adopt
    from shuangsuiji.directory.models import InspectionItem
    from shuangsuiji.directory.vocabulary import InspectionMethod

    with transaction.atomic():
        Organisation.objects.filter(policy_preset="").update(policy_preset=PRESET)
        for organisation in Organisation.objects.all():
            policy_adopt(actor=None, organisation=organisation)

    codes = {label: code for code, label in InspectionMethod.choices}
    for methods in InspectionItem.objects.values_list("methods", flat=True).distinct():
        words = methods.split(",")
        if any(w in codes for w in words):
            InspectionItem.objects.filter(methods=methods).update(
                methods=",".join(codes.get(w, w) for w in words)
            )


def create_staff(seed: int) -> dict:
    """The three organisations' staff, officers and teams; returns what the routes need."""
    import random

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import F

    from shuangsuiji.accounts.models import Organisation, User
    from shuangsuiji.accounts.roles import Role, group_for
    from shuangsuiji.directory.models import InspectionItem, Inspector, Target
    from shuangsuiji.inspections.models import Inspection, InspectionMember
    from shuangsuiji.planning.models import AnnualPlan, Draw, SamplingTask

    rng = random.Random(seed + 3)
    county = Organisation.objects.filter(parent__parent__isnull=False).order_by("code").first()
    city = county.parent
    province = city.parent
    password = make_password(PASSWORD)  # one hash for all: hashing is slow by design
    picks: dict = {"organisations": {}}
    with transaction.atomic():
        # As load.py: the app publishes a 全覆盖 result at submission, and stores a draw's
        # result when it draws (portal.py's 2025Q4 draws are 已抽取 without one).
        Inspection.objects.filter(
            kind="coverage", status="done", confidentiality="", published_at__isnull=True
        ).update(published_at=F("submitted_at"), public_changed_at=F("submitted_at"))
        Draw.objects.filter(status="drawn", result="").update(result='{"strata": []}')
        for level, org in (("county", county), ("city", city), ("province", province)):
            # 检查时限: the end of the task's quarter, as the presets set it.
            for task in SamplingTask.objects.filter(organisation=org):
                end = dt.date(task.plan.year + (task.quarter == 4), task.quarter * 3 % 12 + 1, 1)
                task.inspection_deadline = end - dt.timedelta(days=1)
                task.save(update_fields=["inspection_deadline"])
            officers = Inspector.objects.bulk_create(
                Inspector(
                    organisation=org, name=f"执法员{n:02d}", certificate_no=f"ZF{org.code}{n:03d}",
                    department="综合执法大队", unit="第一执法中队", tags="大气,水",
                    start_year=2010 + n % 10,
                )
                for n in range(1, OFFICERS + 1)
            )  # fmt: skip
            ids = [o.pk for o in officers]
            # Two officers on the team of each of the organisation's inspections.
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO inspections_inspectionmember "
                    "(inspection_id, inspector_id, position, is_lead) "
                    "SELECT i.id, (%s::bigint[])[1 + (i.id + k * 7) %% %s], k + 1, k = 0 "
                    "FROM inspections_inspection i CROSS JOIN generate_series(0, 1) k "
                    "WHERE i.organisation_id = %s",
                    [ids, OFFICERS, org.pk],
                )
            users = {}
            for role, prefix, name in (
                (Role.COORDINATOR, "gl", "抽查管理员"),
                (Role.LEADER, "ld", "领导"),
                (Role.INSPECTOR, "", "执法员01"),
            ):
                # The inspector's login is the 执法证号 (as the app links them).
                username = prefix + org.code if prefix else officers[0].certificate_no
                user = User.objects.create(
                    username=username, display_name=name, organisation=org, password=password
                )
                user.groups.add(group_for(role))
                users[role.value] = username
            # The 执法人员's open inspections: the 2025Q4 list, not yet revealed.
            draw = Draw.objects.get(organisation=org, quarter=f"{YEAR}Q4")
            taken = set(draw.inspections.values_list("target_id", flat=True))
            free = [
                pk
                for pk in Target.objects.filter(organisation=org, in_register=True).values_list(
                    "pk", flat=True
                )
                if pk not in taken
            ]
            items = list(
                InspectionItem.objects.filter(organisation=org, confidential=False).values_list(
                    "pk", flat=True
                )
            )
            open_ones = Inspection.objects.bulk_create(
                Inspection(
                    organisation=org, task_id=draw.task_id, draw=draw, target_id=target,
                    year=YEAR, kind="random", stratum="A", method="现场检查",
                    status=Inspection.Status.ASSIGNED,
                )
                for target in rng.sample(free, min(OPEN_INSPECTIONS, len(free)))
            )  # fmt: skip
            InspectionMember.objects.bulk_create(
                InspectionMember(inspection=i, inspector=who, position=n, is_lead=n == 1)
                for i in open_ones
                for n, who in ((1, officers[0]), (2, officers[1]))
            )
            Inspection.items.through.objects.bulk_create(
                Inspection.items.through(inspection_id=i.pk, inspectionitem_id=item)
                for i in open_ones
                for item in rng.sample(items, 2)
            )
            plan = AnnualPlan.objects.get(organisation=org, year=YEAR)
            # The draw page of the list with the most inspections, revealed.
            busiest = (
                Draw.objects.filter(organisation=org, status="revealed", task__plan=plan)
                .order_by("-pk")
                .first()
            )
            picks["organisations"][level] = {
                "code": org.code,
                "name": org.name,
                "users": users,
                "plan": plan.pk,
                "draw": busiest.pk,
                "open": open_ones[0].pk,
                "targets": Target.objects.filter(organisation=org).count(),
            }
    return picks


# -- the routes --------------------------------------------------------------------------------


@dataclass
class Route:
    label: str
    level: str  # county, city, province; "" for the floor
    role: str  # the account that asks: coordinator, leader, inspector; "" for anonymous
    path: str
    #: Text the page must contain (checked once before timing).
    expect: str = ""


def routes(picks: dict) -> list[Route]:
    orgs = picks["staff"]["organisations"]
    county, city = orgs["county"], orgs["city"]
    deep = max(1, min(20, -(-county["targets"] // 50)))
    period = f"year={YEAR}&quarter=3"
    found = [
        Route("floor (/healthz)", "", "", "/healthz", '"ok"'),
        Route("home", "county", "coordinator", "/", "待办"),
        Route("home", "county", "leader", "/", ""),
        Route("home", "county", "inspector", "/", ""),
        Route("home", "city", "coordinator", "/", ""),
        Route("home", "province", "coordinator", "/", ""),
        Route("targets register", "county", "coordinator", "/directory/targets/", "检查对象"),
        Route(f"targets p{deep}", "county", "coordinator", f"/directory/targets/?page={deep}"),
        Route("targets register", "city", "coordinator", "/directory/targets/", "检查对象"),
        Route("targets register", "province", "coordinator", "/directory/targets/", "检查对象"),
        Route("inspectors register", "county", "coordinator", "/directory/inspectors/", "执法员"),
        Route("items register", "county", "coordinator", "/directory/items/", "排污许可"),
        Route("events register", "county", "coordinator", "/directory/events/", ""),
        Route("joint items register", "county", "coordinator", "/directory/joint_items/", ""),
        Route("plans", "county", "coordinator", "/planning/plans/", f"{YEAR}"),
        Route("plan", "county", "coordinator", f"/planning/plans/{county['plan']}/", "季度"),
        Route("draw", "county", "coordinator", f"/planning/draws/{county['draw']}/", "已公开"),
        Route("publication", "county", "coordinator", f"/inspections/publication/?year={YEAR}", ""),
        Route("overdue", "county", "coordinator", "/inspections/overdue/", "逾期"),
        Route("statistics", "county", "coordinator", f"/reports/statistics/?{period}", ""),
        Route("statistics", "city", "leader", f"/reports/statistics/?{period}", county["name"]),
        Route("statistics", "province", "leader", f"/reports/statistics/?{period}", city["name"]),
        Route("dashboard", "county", "coordinator", f"/reports/dashboard/?{period}", ""),
        Route("dashboard", "city", "leader", f"/reports/dashboard/?{period}", county["name"]),
        Route("dashboard", "province", "leader", f"/reports/dashboard/?{period}", city["name"]),
        Route("my tasks", "county", "inspector", "/inspections/mine/", f"{county['open']}/record"),
        Route("record form", "county", "inspector", f"/inspections/{county['open']}/record/", "提"),
    ]
    return found


def route_name(route: Route) -> str:
    if not route.level:
        return route.label
    return f"{route.label} [{route.level} {route.role}]"


# -- CPU from /proc ----------------------------------------------------------------------------


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return parents


def _tree(root: int, parents: dict[int, int]) -> set[int]:
    found, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        grown = bool(more)
        found |= more
    return found


def _run_ns(pid: int) -> int:
    """CPU nanoseconds of a process's live threads (their ``schedstat``)."""
    total = 0
    try:
        paths = list(Path(f"/proc/{pid}/task").glob("*/schedstat"))
    except OSError:
        return 0  # the process ended since the list of processes was read
    for path in paths:
        try:
            total += int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def snapshot(server: int, postmaster: int) -> tuple[dict[int, int], dict[int, int]]:
    """Per process, the CPU ns so far of the server's process tree and of PostgreSQL's."""
    parents = _parents()
    return (
        {pid: _run_ns(pid) for pid in _tree(server, parents)},
        {pid: _run_ns(pid) for pid in _tree(postmaster, parents)},
    )


def spent(before: dict[int, int], after: dict[int, int]) -> float:
    """Milliseconds of CPU between two snapshots: a process that started in between counts
    whole, one that ended (with threads gone) is left out of both."""
    return sum(ns - before.get(pid, 0) for pid, ns in after.items()) / 1e6


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    path: str
    wall: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    db: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: int = 0
    load: float = 0.0

    @property
    def cpu(self) -> list[float]:
        return [a + d for a, d in zip(self.app, self.db, strict=True)]

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def p90(self, values: list[float]) -> float:
        ordered = sorted(values)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, round(0.9 * len(ordered)) - 1))]


def measure(
    browser: Browser, route: Route, *, server: int, postmaster: int, requests: int,
    warmup: int, budget: float, change=None,
) -> Figures:  # fmt: skip
    figures = Figures(route_name(route), route.path)
    for _ in range(warmup):
        browser.request("GET", route.path)
    started = time.perf_counter()
    while len(figures.wall) < requests and (
        len(figures.wall) < 5 or time.perf_counter() - started < budget
    ):
        if change is not None:
            change()  # not counted: the write is the inspector's request, not this one's
        before = snapshot(server, postmaster)
        start = time.perf_counter()
        status, _, _ = browser.request("GET", route.path)
        wall = (time.perf_counter() - start) * 1000
        after = snapshot(server, postmaster)
        header = browser.last_headers.get(QUERY_HEADER) if browser.last_headers else None
        figures.wall.append(wall)
        figures.app.append(spent(before[0], after[0]))
        figures.db.append(spent(before[1], after[1]))
        figures.queries.append(int(header) if header else -1)
        figures.errors += status != 200
    figures.load = os.getloadavg()[0]
    return figures


class Browser:
    """One user's keep-alive connection and cookies, as load.py's, keeping the last answer's
    headers (the query count)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.last_headers: http.client.HTTPMessage | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, bytes]:
        headers = dict(portal.HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            fresh = self.connection is None
            if fresh:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                # The server closes a connection idle longer than its keep-alive (75 s): an
                # account waiting for its routes finds its connection gone. Once more, anew.
                self.connection.close()
                self.connection = None
                if fresh or attempt == 2:
                    raise
        self.last_headers = response.headers  # looked up without regard to case
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
            self.connection = None
        return response.status, response.getheader("Location", ""), data


def log_in(port: int, username: str) -> Browser:
    browser = Browser(port)
    status, _, page = browser.request("GET", "/login/")
    token = mixed.CSRF.search(page)
    if status != 200 or token is None:
        raise SystemExit(f"login form of {username}: HTTP {status}")
    form = {"csrfmiddlewaretoken": token.group(1).decode(), "username": username,
            "password": PASSWORD}  # fmt: skip
    status, location, body = browser.request("POST", "/login/", form)
    if status != 302 or location != "/":
        raise SystemExit(f"login of {username}: HTTP {status} {mixed.excerpt(body)}")
    return browser


def check(browsers: dict, route: Route) -> None:
    """One request, before any timing: a broken page stops the run with its answer."""
    browser = browsers[(route.level, route.role)]
    status, location, body = browser.request("GET", route.path)
    text = body.decode(errors="replace")
    if status != 200 or (route.expect and route.expect not in text):
        raise SystemExit(
            f"check failed: {route_name(route)} GET {route.path} → {status} {location}\n"
            f"{mixed.excerpt(body)}"
        )


def print_table(measured: list[Figures], floor: Figures) -> None:
    floor_cpu = floor.median(floor.cpu)
    header = (
        f"{'route':<46}{'n':>4}{'CPU p50':>9}{'CPU p90':>9}{'app':>8}{'db':>7}{'wall':>8}"
        f"{'queries':>9}{'×floor':>8}{'load1':>7}"
    )
    print(header)
    print("-" * len(header))
    for f in measured:
        queries = sorted(set(f.queries))
        shown = str(queries[0]) if len(queries) == 1 else f"{queries[0]}–{queries[-1]}"
        cpu = f.median(f.cpu)
        mark = " " if cpu <= GOAL_MS or f is floor else "!"
        print(
            f"{f.name:<46}{len(f.wall):>4}{cpu:>8.1f}{mark}{f.p90(f.cpu):>9.1f}"
            f"{f.median(f.app):>8.1f}{f.median(f.db):>7.1f}{f.median(f.wall):>8.1f}"
            f"{shown:>9}{cpu / floor_cpu:>7.1f}×{f.load:>7.2f}"
            + (f"  {f.errors} errors" if f.errors else "")
        )
    print(
        "\nCPU: milliseconds of CPU per request of the server's processes (app) and PostgreSQL's"
        f"\n(db), median and 90th percentile of their sum; ! marks a median above {GOAL_MS:g} ms;"
        "\nwall: median milliseconds per request; queries: SQL queries per request (one value"
        "\nwhen every request made the same number); ×floor: median CPU over /healthz's."
    )


# -- profiling ---------------------------------------------------------------------------------


def profile(plan: list[dict]) -> None:
    """One process: each route's page through Django's test client as its user, once to warm
    up, then once under cProfile and the query log. cProfile counts this thread's CPU time
    (``time.thread_time``), not wall time: on a shared machine the wall clock mostly measures
    the others, and the time spent waiting for PostgreSQL is the database's (measured apart).
    Prints the functions by cumulative and by own CPU time, and the slowest queries."""
    import cProfile
    import pstats

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects
    for entry in plan:
        client = Client(HTTP_HOST="127.0.0.1", headers=portal.HEADERS)
        client.force_login(users.get(username=entry["username"]))
        client.get(entry["path"])
        if entry.get("cold"):
            cache.clear()  # what the first request after a change costs
        print(f"\n### {entry['name']}{' (cold)' if entry.get('cold') else ''}: "
              f"GET {entry['path']}")  # fmt: skip
        profiler = cProfile.Profile(time.thread_time)
        with CaptureQueriesContext(connection) as captured:
            started = time.thread_time()
            profiler.runcall(client.get, entry["path"])
            cpu = time.thread_time() - started
        queries = captured.captured_queries
        sql = sum(float(q["time"]) for q in queries) * 1000
        print(f"app CPU {cpu * 1000:.0f} ms (with the profiler's own); {len(queries)} queries, "
              f"{sql:.0f} ms waiting for SQL")  # fmt: skip
        for query in sorted(queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
        for order, count in (("cumulative", entry.get("lines", 45)), ("tottime", 20)):
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            # Cumulative: the project's own functions, where a change would go.
            restrict = ("shuangsuiji", count) if order == "cumulative" else (count,)
            stats.sort_stats(order).print_stats(*restrict)
            text = stream.getvalue()
            print(text[text.index("   ncalls") :] if "   ncalls" in text else text)


# -- orchestration -----------------------------------------------------------------------------


def postmaster_of(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        return int((Path(cursor.fetchone()[0]) / "postmaster.pid").read_text().split()[0])


def prepare(args, url: str, data_dir: Path) -> tuple[dict, dict, dict]:
    """The environment, the picks and the sizes: loaded now, or kept from an earlier run in
    ``data_dir`` (with the secrets the accounts and encrypted fields were written under)."""
    saved = data_dir / "staff-env.json"
    picks_path = data_dir / "picks.json"
    env = portal.production_env(url, data_dir)
    if saved.exists():
        env.update(json.loads(saved.read_text()))
    else:
        keep = ("DJANGO_SECRET_KEY", "SHUANGSUIJI_FIELD_KEYS")
        saved.write_text(json.dumps({k: env[k] for k in keep}))
    if not picks_path.exists():
        print(f"loading {args.organisations} organisations, {args.targets:,} targets, "
              f"{args.results:,} results …", flush=True)  # fmt: skip
    sizes = json.loads(
        portal.run_child("--load", [str(picks_path), *forwarded(args)], env, __file__).splitlines()[
            -1
        ]
    )
    sizes.pop("_postmaster", None)
    return env, json.loads(picks_path.read_text()), sizes


#: Written into the change's SQL, so ``--statements`` leaves the change out.
CHANGE_MARK = "/* staff.py: the change before each request */"


def raise_version(connection, code: str) -> None:
    """What a result recorded in organisation ``code`` does to the rows the reports read: one
    of its inspections of the year written, which the database's triggers count and log
    (disclosure/versions.py) as they do for a submission."""
    connection.execute(
        f"{CHANGE_MARK} "
        "UPDATE inspections_inspection SET findings = findings WHERE id = ("
        "SELECT i.id FROM inspections_inspection i JOIN accounts_organisation o "
        "ON o.id = i.organisation_id WHERE o.code = %s AND i.year = 2025 "
        "AND i.status NOT IN ('cancelled', 'substituted') ORDER BY i.id DESC LIMIT 1)",
        [code],
    )


def statements_ready(url: str) -> bool:
    """Whether the database counts its statements' planning and running time
    (``pg_stat_statements`` loaded, ``track_planning`` on; turned on here if it is off)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        loaded = connection.execute("SHOW shared_preload_libraries").fetchone()[0]
        if "pg_stat_statements" not in loaded:
            return False
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        if connection.execute("SHOW pg_stat_statements.track_planning").fetchone()[0] != "on":
            connection.execute("ALTER SYSTEM SET pg_stat_statements.track_planning = on")
            connection.execute("SELECT pg_reload_conf()")
    return True


def statements_reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_statements_reset()")


def statements_print(url: str, requests: int, count: int) -> None:
    """The ``count`` statements the database spent most time on since the reset, planning and
    running, in milliseconds a request (``requests``, warm-up included), the change left out."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT calls, total_plan_time, total_exec_time, query FROM pg_stat_statements "
            "WHERE query NOT LIKE '%%pg_stat_statements%%' AND query NOT LIKE %s "
            "ORDER BY total_plan_time + total_exec_time DESC",
            [f"%{CHANGE_MARK}%"],
        ).fetchall()
    plan = sum(row[1] for row in rows) / requests
    run = sum(row[2] for row in rows) / requests
    print(f"    database: planning {plan:.2f} ms, running {run:.2f} ms a request; costliest:")
    for calls, planned, ran, query in rows[:count]:
        text = " ".join(query.split())[:150]
        per = f"{planned / requests:6.2f} {ran / requests:6.2f} ms {calls / requests:4.1f}×"
        print(f"    {per}  {text}")


def forwarded(args) -> list[str]:
    return ["--organisations", str(args.organisations), "--targets", str(args.targets),
            "--results", str(args.results), "--seed", str(args.seed)]  # fmt: skip


def benchmark(args, url: str, data_dir: Path) -> list[Figures]:
    env, picks, sizes = prepare(args, url, data_dir)
    if len(sizes) > 1:
        print(f"loaded in {sizes.pop('load_seconds')} s: "
              + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))  # fmt: skip
    if args.load_only:
        return []
    postmaster = postmaster_of(url)
    serve_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "staff_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")])),
    }
    port = portal.free_port()
    log_path = data_dir / "server.log"
    chosen = [r for r in routes(picks) if not args.only or r.level == "" or any(
        word in route_name(r) for word in args.only)]  # fmt: skip
    measured: list[Figures] = []
    with log_path.open("wb") as server_log:
        server = subprocess.Popen(
            portal.serve_command(port, args.threads, args.workers, args.server),
            env=serve_env, cwd=data_dir, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    writer = None
    try:
        portal.wait_healthy(port, server, log_path)
        orgs = picks["staff"]["organisations"]
        browsers = {("", ""): Browser(port)}
        for level, org in orgs.items():
            for role, username in org["users"].items():
                browsers[(level, role)] = log_in(port, username)
        for route in chosen:
            check(browsers, route)
        print(
            f"\n{portal.server_label(args.server)} {args.workers} × {args.threads} threads; one "
            f"client, one request at a time; per route {args.warmup} requests of warm-up, then "
            f"{args.requests} (at most {args.budget:g} s, at least 5)\n", flush=True,
        )  # fmt: skip
        if args.after_change:
            import psycopg

            # One connection for the writes, opened before the clock: a backend started and
            # ended per request would come and go between the CPU snapshots.
            writer = psycopg.connect(url, autocommit=True)
        statements = args.statements and statements_ready(url)
        if args.statements and not statements:
            print("--statements: pg_stat_statements is not loaded in this database "
                  "(shared_preload_libraries); nothing to show\n")  # fmt: skip
        for route in chosen:
            change = None
            if args.after_change and route.level:
                change = functools.partial(raise_version, writer, orgs[route.level]["code"])
            if statements:
                statements_reset(url)
            figures = measure(
                browsers[(route.level, route.role)], route, server=server.pid,
                postmaster=postmaster, requests=args.requests, warmup=args.warmup,
                budget=args.budget, change=change,
            )  # fmt: skip
            measured.append(figures)
            portal.log(f"{figures.name}: median CPU {figures.median(figures.cpu):.1f} ms")
            if statements:
                statements_print(url, args.warmup + len(figures.wall), args.statements)
    finally:
        if writer is not None:
            writer.close()
        server.terminate()
        server.wait(timeout=30)
    print_table(measured, measured[0])
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(f) for f in measured], ensure_ascii=False, indent=1)
        )
    if args.profile:
        users = {(level, role): name for level, org in orgs.items()
                 for role, name in org["users"].items()}  # fmt: skip
        by_name = {route_name(r): r for r in chosen}
        costliest = sorted(measured[1:], key=lambda f: -f.median(f.cpu))[: args.profile]
        plan = [
            {"name": f.name, "path": f.path,
             "username": users[(by_name[f.name].level, by_name[f.name].role)]}
            for f in costliest
        ]  # fmt: skip
        print("\nwhere the time goes in the costliest routes:")
        print(portal.run_child("--profile-plan", [json.dumps(plan)], env, __file__), end="")
    errors = sum(f.errors for f in measured)
    if errors:
        print(f"\n{errors} requests answered other than 200")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--targets", type=int, default=500_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--requests", type=int, default=30, help="requests per route")
    parser.add_argument("--warmup", type=int, default=3, help="requests per route, not counted")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per route at most")
    parser.add_argument("--threads", type=int, default=8, help="threads a worker (serve default)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (serve default)")
    parser.add_argument("--server", choices=portal.SERVERS, default="serve", help="as portal.py")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--quick", action="store_true", help="20,000 / 40,000 / 20 orgs")
    parser.add_argument("--only", nargs="*", help="routes whose name contains one of these")
    parser.add_argument("--profile", type=int, default=0, help="profile the N costliest routes")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--statements", type=int, default=0, metavar="N",
        help="per route, the database's planning and running time a request and its N "
        "costliest statements (pg_stat_statements)",
    )  # fmt: skip
    parser.add_argument(
        "--after-change", action="store_true", help="each request the first after a change"
    )
    parser.add_argument("--database-url", help="an existing database (see the docstring)")
    parser.add_argument("--data-dir", help="with --database-url: where its picks are kept")
    parser.add_argument("--load-only", action="store_true", help="with --database-url: load, stop")
    parser.add_argument("--load", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--profile-plan", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.targets, args.results, args.organisations = 20_000, 40_000, 20
    if args.load:
        load(args, Path(args.load[0]))
        return
    if args.profile_plan:
        profile(json.loads(args.profile_plan[0]))
        return
    if not 20 <= args.organisations <= 300 or args.targets < 50 * args.organisations:
        parser.error("need 20–300 organisations and at least 50 targets per organisation")
    if bool(args.database_url) != bool(args.data_dir):
        parser.error("--database-url and --data-dir go together")

    from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    if args.database_url:
        data_dir = Path(args.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        measured = benchmark(args, args.database_url, data_dir)
    else:
        with (
            tempfile.TemporaryDirectory(prefix="sjs-staff-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            try:
                # pg_stat_statements only when asked: it costs the database a little.
                counted = (
                    "-c shared_preload_libraries=pg_stat_statements "
                    "-c pg_stat_statements.track_planning=on"
                )
                url = stack.enter_context(
                    throwaway_cluster("staff", counted if args.statements else "")
                )
            except PostgresUnavailable as error:
                raise SystemExit(f"PostgreSQL unavailable: {error}") from error
            measured = benchmark(args, url, Path(tmp))
    if any(f.errors for f in measured):
        sys.exit(1)


if __name__ == "__main__":
    main()
