"""Reads never write (issue 16): a GET of any page changes no table.

The demo is built once for the module on 2026-11-22 (three quarters drawn, inspected, followed
up and public; the fourth under way), with one bureau more that chose a preset but has not
adopted it. It is read as every demo account and as an anonymous visitor: every URL pattern of
the site (the staff pages, the portal under ``/gongkai/``, the open data API, draw pages and
their files, Django's admin), its path parameters filled from real rows the account can see,
then the links the pages show (the home page and the navigation, and up to two pages more of
each pattern a page links to). After each GET every table of the database (models, their
histories, many-to-many tables and any other) is looked at (``WriteWatch``): on PostgreSQL no
row may have been inserted, updated or deleted, on SQLite no row count may differ from before
the crawl; and no GET may answer 5xx. Each GET runs in a savepoint rolled back after the look,
so one page's write is reported at that page and not at the next one. The row counts are
compared once more at the end.

Accounts log in with ``force_login`` before the first look, so the login's own bookkeeping
(the session row, django-axes' records of a password login) is not counted as a read's write.
No table is excluded: there is no GET that writes by design.

Before, a bureau's settings were made by the first page that read them, whoever read it (the
portal's register pages of a province or a city, which no demo bureau's work had read), and
its preset adopted the same way: an anonymous GET of ``/gongkai/org/<code>/policy/`` inserted
its ``OrganisationPolicy`` and ``OrganisationSettings`` with their history rows.
tests/bureau/test_adoption.py holds that case on its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from shuangsuiji.accounts.roles import Role
from shuangsuiji.disclosure.versions import versioned_tables
from shuangsuiji_demo.build import DEMO_USERS
from tests.support.rows import WriteWatch, row_counts

#: Never read: signing out is a POST, and a GET of it only answers 405, but it is not a read.
SKIP = {"logout"}
#: Pages a link may add for one pattern beyond the URLs filled in from the data.
LINKED_PER_PATTERN = 2
#: The public; every role of one county (遵化); the city bureau's leader, who reads its branches;
#: and a coordinator and a leader of each other preset, who see its own classes and pages. The
#: demo's other accounts (every role in every county) repeat these roles on the same pages.
CRAWLED = {"zunhua", "tangshan-leader", *(f"{c}-{r}" for c in ("baoding", "gaocheng", "huojia",
           "jiangxian") for r in ("coordinator", "leader"))}  # fmt: skip
ACCOUNTS = [
    "anonymous",
    *(name for name, *_ in DEMO_USERS if name in CRAWLED or name.split("-")[0] in CRAWLED),
]

# --- the database -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_build):
    """The data folder of the package's demo (tests/demo_nov/conftest.py), with the bureau
    that has not adopted its preset (``not_adopted``)."""
    return demo_build.data


def demo_user(username: str):
    """The demo account of that name; the inspector logs in with a 执法证号 chosen at build."""
    from shuangsuiji.accounts.models import User

    if username == "anonymous":
        return None
    _, _, code, role = next(entry for entry in DEMO_USERS if entry[0] == username)
    if role == Role.INSPECTOR:
        return User.objects.filter(
            organisation__code=code, groups__name=Role.INSPECTOR.label
        ).first()
    return User.objects.get(username=username)


# --- the URLs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    pattern: URLPattern = field(repr=False, compare=False)

    @property
    def parameters(self) -> list[str]:
        pattern = self.pattern.pattern
        return list(pattern.converters) if isinstance(pattern, RoutePattern) else []


def routes(resolver=None, prefix: str = "", namespace: str = ""):
    """Every named URL pattern; of Django's admin, the pages without parameters."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            route = Route(prefix + str(pattern.pattern), namespace + pattern.name, pattern)
            if route.name.startswith("admin:") and (route.parameters or "(" in route.path):
                continue  # no demo account is staff: every admin page sends it to sign in
            yield route


def one_per(queryset, field_name: str) -> list:
    """The first row of each value of ``field_name`` (one draw per status …)."""
    seen = {}
    for pk, value in queryset.order_by("pk").values_list("pk", field_name):
        seen.setdefault(value, pk)
    return list(seen.values())


def parameter_values(user) -> tuple[dict, dict]:
    """(route name or "*", parameter) → values, and route name → parameter combinations, from
    the rows the user can see: its organisation and those below it (all of them for the
    portal and for an anonymous visitor)."""
    from shuangsuiji.accounts.models import Organisation, User
    from shuangsuiji.directory.models import (
        ImportBatch,
        InspectionItem,
        Inspector,
        RegulatoryEvent,
        Target,
    )
    from shuangsuiji.inspections.models import (
        Attachment,
        FollowUp,
        Inspection,
        InspectionAssistant,
        Revisit,
    )
    from shuangsuiji.planning.models import AnnualPlan, Draw, PlanRevision, SamplingTask

    if user is None:
        scope = Organisation.objects.all()
    else:
        scope = Organisation.objects.filter(path__startswith=user.organisation.path)
    mine = {"organisation__in": scope}
    draws = Draw.objects.filter(**mine)
    inspections = Inspection.objects.filter(**mine)
    draw_pks = one_per(draws, "status")
    # One of each status, kind and result; and an inspector's own, each status (his record page).
    own = inspections.filter(members__inspector__certificate_no=getattr(user, "username", None))
    inspection_pks = sorted(
        {*one_per(inspections, "status"), *one_per(inspections, "kind"),
         *one_per(inspections.filter(status=Inspection.Status.DONE), "result_category"),
         *one_per(own, "status")}
    )  # fmt: skip
    plans = AnnualPlan.objects.filter(**mine)
    registers = {"targets": Target, "inspectors": Inspector, "items": InspectionItem,
                 "events": RegulatoryEvent}  # fmt: skip
    codes = list(scope.order_by("pk").values_list("code", flat=True))
    public_draws = Draw.objects.filter(organisation__code__in=codes)
    values = {
        ("*", "code"): codes,
        ("*", "register"): list(registers),
        ("*", "fmt"): ["xlsx", "pdf"],
        ("*", "draw_id"): list(
            public_draws.filter(
                pk__in=[pk for code in codes
                        for pk in one_per(public_draws.filter(organisation__code=code), "status")]
            ).values_list("draw_id", flat=True)
        ),
        ("*", "credit_code"): list(
            Target.objects.filter(**mine).order_by("pk").values_list("credit_code", flat=True)[:2]
        ),
        ("accounts:organisation_edit", "pk"): list(scope.order_by("pk").values_list("pk", flat=True)[:2]),
        ("accounts:user_edit", "pk"): list(
            User.objects.filter(**mine).order_by("pk").values_list("pk", flat=True)[:2]
        ),
        ("accounts:user_password", "pk"): list(
            User.objects.filter(**mine).order_by("pk").values_list("pk", flat=True)[:1]
        ),
        ("*", "draw_pk"): draw_pks,
    }  # fmt: skip
    batches = list(
        ImportBatch.objects.filter(**mine).order_by("-pk").values_list("pk", flat=True)[:1]
    )
    for name in ("import_batch", "import_apply", "import_abandon", "import_errors"):
        values["directory:" + name, "pk"] = batches
    from shuangsuiji.directory.models import ExportJob

    exports = list(
        ExportJob.objects.filter(**mine).order_by("-pk").values_list("pk", flat=True)[:1]
    )
    for name in ("export_job", "export_file"):
        values["directory:" + name, "pk"] = exports
    for name in ("plan_detail", "plan_submit", "plan_approve", "plan_return", "plan_publish",
                 "plan_adjust", "task_add"):  # fmt: skip
        values["planning:" + name, "pk"] = one_per(plans, "status")
    tasks = SamplingTask.objects.filter(plan__organisation__in=scope)
    for name in ("task_edit", "task_prepare", "task_coverage"):
        values["planning:" + name, "pk"] = (
            one_per(tasks, "kind")[:2] + one_per(tasks, "quarter")[:4]
        )
    for name in ("draw_detail", "draw_reveal", "draw_abort", "draw_bundle"):
        values["planning:" + name, "pk"] = draw_pks
    for name in ("inspection_substitute", "inspection_assign"):
        values["planning:" + name, "pk"] = inspection_pks
    for name in ("detail", "record", "checklist_pdf", "letters", "attachment_upload", "reopen",
                 "follow_up_open", "release", "assistant_add"):  # fmt: skip
        values["inspections:" + name, "pk"] = inspection_pks
    values["inspections:revisit_record", "pk"] = list(
        Revisit.objects.filter(inspection__organisation__in=scope).values_list("pk", flat=True)[:2]
    )
    combos = {
        "directory:" + name: [
            {"register": key, "pk": pk}
            for key, model in registers.items()
            for pk in model.objects.filter(**mine).order_by("pk").values_list("pk", flat=True)[:1]
        ]
        for name in ("detail", "edit", "reveal", "remove")
    }
    combos["inspections:attachment"] = [
        {"pk": inspection, "attachment_id": pk}
        for pk, inspection in Attachment.objects.filter(inspection__organisation__in=scope)
        .order_by("pk").values_list("pk", "inspection_id")[:2]
    ]  # fmt: skip
    combos["inspections:assistant_remove"] = [
        {"pk": inspection, "assistant_id": pk}
        for pk, inspection in InspectionAssistant.objects.filter(inspection__organisation__in=scope)
        .order_by("pk").values_list("pk", "inspection_id")[:2]
    ]  # fmt: skip
    combos["inspections:follow_up_close"] = [
        {"pk": inspection, "follow_up_id": pk}
        for pk, inspection in FollowUp.objects.filter(inspection__organisation__in=scope)
        .order_by("pk").values_list("pk", "inspection_id")[:2]
    ]  # fmt: skip
    combos["disclosure:draw_file"] = [
        {"draw_id": draw.draw_id, "name": name}
        for draw in public_draws.filter(draw_id__in=values["*", "draw_id"])
        for name in [*draw.public_files(), "roster.txt"]
    ]
    combos["reports:plan_file"] = [
        {"pk": pk, "fmt": fmt} for pk in one_per(plans, "status")[:1] for fmt in ("xlsx", "pdf")
    ]
    combos["disclosure:plan"] = [
        {"code": code, "year": year, "version": version}
        for code, year, version in PlanRevision.objects.filter(plan__organisation__in=scope)
        .order_by("pk").values_list("plan__organisation__code", "plan__year", "version")
    ]  # fmt: skip
    from django.db.models import Q

    from shuangsuiji.bureau.models import PlanDocument
    from shuangsuiji.inspections.models import InspectionPart

    documents = PlanDocument.objects.filter(**mine).order_by("pk")
    for name in ("plan_document_withdraw", "plan_document_file"):
        values["bureau:" + name, "pk"] = list(documents.values_list("pk", flat=True)[:2])
    combos["disclosure:plan_document"] = [
        {"code": code, "pk": pk}
        for pk, code in documents.values_list("pk", "organisation__code")[:2]
    ]
    from shuangsuiji.disclosure.models import ExchangeBatch
    from shuangsuiji.reports.models import UpwardReport

    combos["exchange:file"] = [
        {"pk": pk, "name": "manifest.json"}
        for pk in ExchangeBatch.objects.filter(organisation__in=scope)
        .order_by("pk").values_list("pk", flat=True)[:1]
    ]  # fmt: skip

    upward = list(
        UpwardReport.objects.filter(organisation__in=scope).order_by("pk")
        .values_list("pk", flat=True)[:2]
    )  # fmt: skip
    for name in ("upward_detail", "upward_table_file", "upward_adjustments_file",
                 "upward_return", "upward_accept"):  # fmt: skip
        values["reports:" + name, "pk"] = upward
    # 部门联合: the partner's own parts, or the parts of the bureau's inspections.
    values["inspections:part", "pk"] = list(
        InspectionPart.objects.filter(
            Q(organisation__in=scope) | Q(inspection__organisation__in=scope)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    return values, combos


def filled(route: Route, values: dict, combos: dict) -> list[str]:
    if route.name in combos:
        return [reverse(route.name, kwargs=c) for c in combos[route.name]]
    names = route.parameters
    choices = []
    for name in names:
        for key in ((route.name, name), ("*", name)):
            if key in values:
                choices.append(values[key])
                break
        else:
            raise AssertionError(
                f"{route.name}：路径参数 {name} 没有取值，请在 parameter_values 中登记"
            )
    return [
        reverse(route.name, kwargs=dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*choices)
    ]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links(page_url: str, response) -> list[str]:
    """The site's own links on an HTML page, fragments dropped."""
    if "text/html" not in response.get("Content-Type", ""):
        return []
    parser = Links()
    parser.feed(response.content.decode())
    found = []
    for href in parser.hrefs:
        url = urlsplit(urljoin(page_url, href))
        if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def route_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


# --- the crawl ----------------------------------------------------------------------------------


@dataclass
class Crawl:
    client: Client
    baseline: dict
    #: Called with each URL and its answer (tests/demo_nov/test_no_codes_on_pages.py reads the
    #: pages' text for internal codes).
    look: Callable[[str, HttpResponse], None] | None = None
    #: Made with the crawl, after the account has logged in.
    watch: WriteWatch = field(default_factory=WriteWatch)
    seen: set = field(default_factory=set)
    linked: dict = field(default_factory=dict)
    #: GETs that answered 5xx.
    problems: list = field(default_factory=list)
    #: GETs that wrote to a table.
    written: list = field(default_factory=list)
    reads: int = 0
    #: The tables the portal and API GETs read (issue 21 §1: all must carry a version trigger).
    tables: set = field(default_factory=set)
    #: Every table's rows once the crawl is over.
    after: dict = field(default_factory=dict)
    #: What ``look`` found, by URL.
    findings: dict = field(default_factory=dict)

    def get(self, url: str) -> list[str]:
        """Read one URL in a savepoint; record a 5xx or a changed table; return its links."""
        if url in self.seen:
            return []
        self.seen.add(url)
        self.reads += 1
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            try:
                response = self.client.get(url)
            except Exception as error:  # the test client re-raises a view's exception (a 500)
                self.problems.append(f"GET {url} → 500：{type(error).__name__}: {error}")
                response = None
            if url.startswith(PUBLIC):
                self.tables |= read_tables(queries.captured_queries)
            difference = self.watch.written()
            transaction.set_rollback(True)
        if difference:
            self.written.append(f"GET {url} 写入了表：{difference}")
        if response is None:
            return []
        if response.status_code >= 500:
            self.problems.append(f"GET {url} → {response.status_code}")
        if self.look is not None:
            self.look(url, response)
        return links(url, response)

    def follow(self, url: str, *, always: bool = False) -> list[str]:
        """A link is read if it comes from the home page, or if its pattern has not been read
        from a link ``LINKED_PER_PATTERN`` times yet."""
        name = route_name(url)
        if name is None or name.split(":")[-1] in SKIP or url in self.seen:
            return []
        if not always:
            if self.linked.get(name, 0) >= LINKED_PER_PATTERN:
                return []
            self.linked[name] = self.linked.get(name, 0) + 1
        return self.get(url)


def crawl_as(username: str, demo_build, settings) -> Crawl:
    """The crawl of the demo as ``username`` (an anonymous visitor for "anonymous"): the home
    page and its links, every URL pattern filled in from rows the account can see, then up to
    ``LINKED_PER_PATTERN`` more pages of each pattern the pages link to.

    Made once per account and kept with the demo, for both checks that read it: no GET writes
    (below) and no page shows an internal code (tests/demo_nov/test_no_codes_on_pages.py). They
    read the same GETs in the same order, and the crawl is the largest part of each."""
    if username in demo_build.crawls:
        return demo_build.crawls[username]
    from tests.demo_nov.test_no_codes_on_pages import code_look

    # The demo's uploads (the suite gives each test its own).
    settings.MEDIA_ROOT = str(demo_build.data / "media")
    user = demo_user(username)
    client = Client()
    if user is not None:
        client.force_login(user)
    crawl = Crawl(client, row_counts())
    crawl.look = code_look(crawl.findings)
    values, combos = parameter_values(user)
    urls = [
        url
        for route in routes()
        if route.name.split(":")[-1] not in SKIP
        for url in filled(route, values, combos)
    ]
    home = crawl.get("/")
    pending = []
    for url in home:
        pending += crawl.follow(url, always=True)
    for url in urls:
        pending += crawl.get(url)
    for url in pending:
        crawl.follow(url)
    crawl.after = row_counts()
    demo_build.crawls[username] = crawl
    return crawl


@pytest.mark.parametrize("username", ACCOUNTS)
def test_no_get_writes_as_any_demo_account(db, demo_build, settings, username):
    crawl = crawl_as(username, demo_build, settings)
    assert crawl.reads > 100
    assert not crawl.problems, "\n".join(crawl.problems)
    assert not crawl.written, "\n".join(crawl.written)
    assert crawl.after == crawl.baseline
    if username == "anonymous":
        # Issue 21 §1: every table a public page or API answer reads raises the public version
        # when written, so no cached public page can outlive the data behind it.
        assert crawl.tables - set(versioned_tables()) <= VERSION_INFRASTRUCTURE
        assert {"directory_target", "inspections_inspection", "planning_draw"} <= crawl.tables


#: The portal and the open data API: what anyone reads, and what is cached for them.
PUBLIC = ("/gongkai/", "/api/")
#: Tables the public pages read beside the versioned ones: the version itself, and the name
#: index SQLite keeps of ``directory_target`` (written only with it).
VERSION_INFRASTRUCTURE = {"disclosure_publicversion", "directory_target_grams"}


def read_tables(queries: list[dict]) -> set[str]:
    """The tables named after FROM or JOIN in the captured SQL (row counts excluded), but for a
    query's own ``WITH`` names (企业查询's matched names: disclosure.selectors._sorted_matches)
    and functions that give rows (``FROM unnest(…)``: versions.inspection_changes)."""
    named = r'(?:WITH|,)\s+"?(\w+)"?\s*(?:\([^)]*\))?\s+AS\s+(?:MATERIALIZED\s+)?\('
    return {
        table
        for query in queries
        for table in set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)\b"?(?!\s*\()', query["sql"]))
        - set(re.findall(named, query["sql"]))
    }


def test_the_assistant_routes_answer_a_get_with_405(db, demo):
    """Issue 17 point 7: the demo year names 保定's 专家 beside a team (三、（二）), so the crawl
    reaches ``inspections:assistant_remove`` with a real row. Both assistant routes are POST only:
    a GET by 保定's coordinator, who may post them, answers 405 and writes nothing."""
    from shuangsuiji.inspections.models import InspectionAssistant

    user = demo_user("baoding-coordinator")
    values, combos = parameter_values(user)
    removals = combos["inspections:assistant_remove"]
    assert len(removals) == 1 == InspectionAssistant.objects.count()
    urls = [reverse("inspections:assistant_remove", kwargs=kwargs) for kwargs in removals]
    urls += [reverse("inspections:assistant_add", kwargs={"pk": pk})
             for pk in values["inspections:assistant_add", "pk"]]  # fmt: skip
    client = Client()
    client.force_login(user)
    before = row_counts()
    for url in urls:
        assert client.get(url).status_code == 405, url
    assert row_counts() == before
