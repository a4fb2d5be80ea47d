"""Random values posted to every form of the staff site, as every role (issue 15, finding 7).

Every URL pattern of the staff site whose view takes a POST (``require_POST``,
``require_http_methods`` with POST, a class-based view with ``post``, or a view that reads
``request.POST``) is posted to as each of ten users: 系统管理员、抽查管理员、执法人员、领导、监督员
of a county and of its parent 市局. The county is the portal county of tests/support/portal.py
(a published plan, draws revealed, drawn and committed, results submitted, a follow-up, a
targeted check) plus a 全覆盖 inspection waiting for its team, a draft plan for next year, a
回访 and an import waiting for confirmation.

Path parameters take the real ids of those objects (and one that does not exist). The field
names come from the forms the site itself shows: every page of the staff site is read once as
the county's 系统管理员, 抽查管理员, 执法人员 and 领导 (no page may answer 5xx either), and every
``<form method="post">`` is recorded under the path it posts to and its URL pattern, with its
choices and the values it shows. Each request sends mostly what the page would (a choice it
offers, a day in range, the value shown, a word of the county's data) so that it gets past the
form into the services, with up to two fields made hostile and one left out. Hostile values:
random NUL-free text, 50,001 characters, dates out of range (0001-01-01, 2023-12-31,
9999-12-31), negative and huge numbers, formulas, empty; files of random bytes.

Checked on every response:

- no 5xx (with the test client a server error is the exception itself, traceback included);
- unless it is a success redirect (3xx without an error message), no table changed its row
  count: not the audit log, not the change history, not any other table (the login
  bookkeeping of django-axes and the session table aside).

Every example runs in a transaction that is rolled back, so each starts from the same county;
the county is built once for the module. ``SHUANGSUIJI_FUZZ_FORM_EXAMPLES`` sets the examples
for each pattern and role (10), ``SHUANGSUIJI_FUZZ_EXPLORE=1`` draws fresh random ones
(derandomised by default, so the suite gives the same answer every time).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.messages import constants, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from hypothesis import given
from hypothesis import strategies as st

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection
from tests.support.fuzzing import fuzz_settings

#: A 50,001-character value makes a long example; Hypothesis says so, and that is expected.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
FUZZ = fuzz_settings("SHUANGSUIJI_FUZZ_FORM_EXAMPLES", 10)

#: The public portal, the API, Django's admin and the health check are not the staff site (the
#: portal and the API have their own fuzzing: tests/fuzz/test_api_schemathesis.py).
NOT_STAFF = ("gongkai/", "api/", "django-admin/", "healthz", "audit/heads/")
#: Written by design on any login request, successful or not (django-axes' lock-out
#: bookkeeping), and the sessions themselves.
BOOKKEEPING = {"axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "django_session"}
MISSING = 999_999


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    pattern: URLPattern = field(repr=False, compare=False)

    @property
    def callback(self):
        return self.pattern.callback


def _routes(resolver=None, prefix: str = "", namespace: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield Route(prefix + str(pattern.pattern), namespace + pattern.name, pattern)


def methods(callback) -> tuple[bool, bool]:
    """(takes a POST, answers a GET): from ``require_http_methods`` (``require_POST`` …), a
    class-based view's handlers, or, for a view taking any method, whether it reads the POST."""
    if hasattr(callback, "view_class"):
        view_class = callback.view_class
        return hasattr(view_class, "post"), hasattr(view_class, "get")
    view = callback
    while True:
        allowed = inspect.getclosurevars(view).nonlocals.get("request_method_list")
        if allowed is not None:
            return "POST" in allowed, "GET" in allowed
        if not hasattr(view, "__wrapped__"):
            source = inspect.getsource(view)
            return "request.POST" in source or '"POST"' in source, True
        view = view.__wrapped__


STAFF = [r for r in _routes() if not r.path.startswith(NOT_STAFF)]
POST_ROUTES = [r for r in STAFF if methods(r.callback)[0]]
#: Pages read for their forms: every staff page answering GET, downloads aside.
DOWNLOAD = (".xlsx", ".zip", ".pdf", "<str:fmt>", "<int:attachment_id>/", "logout/")
PAGES = [r for r in STAFF if methods(r.callback)[1] and not any(d in r.path for d in DOWNLOAD)]

ROLES = [
    f"{where}{role.label}"
    for where in ("本局", "市局")
    for role in (Role.SYSADMIN, Role.COORDINATOR, Role.INSPECTOR, Role.LEADER, Role.AUDITOR)
]


# --- the county, built once ---------------------------------------------------------------------


@dataclass
class World:
    users: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)
    #: (route name or "*", path parameter) → the values it takes.
    values: dict = field(default_factory=dict)
    #: route name → its path parameters together, where they must match (a register's row).
    combos: dict = field(default_factory=dict)
    #: route name, and path posted to → {field name: FieldSpec}
    forms: dict = field(default_factory=dict)
    #: Real values of the county a text field may ask for (codes, names, 执法证号).
    words: list = field(default_factory=list)
    media: str = ""

    def path_values(self, route: Route, name: str) -> list:
        for key in ((route.name, name), ("*", name)):
            if key in self.values:
                return self.values[key]
        raise AssertionError(
            f"{route.name}：路径参数 {name} 没有取值，请在 build_world 中为它登记对象"
        )

    def urls(self, route: Route) -> list[str]:
        if route.name in self.combos:
            return [reverse(route.name, kwargs=c) for c in self.combos[route.name]]
        names = list(route.pattern.pattern.converters)
        combos = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in self.path_values(route, name)]
        return [reverse(route.name, kwargs=c) for c in combos]


def build_world(media: str) -> World:
    from django.contrib.auth import get_user_model

    from shuangsuiji.directory.models import (
        ImportBatch,
        InspectionItem,
        Inspector,
        RegulatoryEvent,
        Target,
    )
    from shuangsuiji.directory.registers import TARGETS
    from shuangsuiji.directory.services import import_batch_create, import_batch_validate
    from shuangsuiji.inspections.creation import (
        coverage_inspections_create,
        inspection_add_assistant,
    )
    from shuangsuiji.inspections.models import Attachment, FollowUp, Revisit
    from shuangsuiji.planning.models import AnnualPlan, Draw, SamplingTask
    from shuangsuiji.planning.plans import plan_generate
    from tests.support.portal import build_portal, staffed, team_user
    from tests.support.tree import build_organisations, make_user
    from tests.support.workbooks import uscc, xlsx

    organisations = build_organisations()
    province, city = organisations["province"], organisations["city"]
    county, neighbour = organisations["a"], organisations["b"]

    portal = build_portal(organisations, make_user)
    world = World(media=media)
    coordinator = portal.coordinator
    (assigned,) = staffed(portal.hidden, 1)  # the first was recorded by build_portal
    # 保定 三（二）: the county's 专家 beside the team, for the page's control and its removal.
    assistant = inspection_add_assistant(
        actor=coordinator, inspection=assigned, reason="专业判断",
        person=Inspector.objects.get(organisation=county, certificate_no="ZJ001"),
    )  # fmt: skip
    task = portal.revealed.task
    (coverage, *_) = coverage_inspections_create(actor=coordinator, task=task)
    draft = plan_generate(actor=coordinator, organisation=county, year=2027)
    revisit = Revisit.objects.create(
        inspection=portal.clean, draw=portal.revealed, rank=1, key="00" * 32
    )
    header = [
        "统一社会信用代码",
        "单位名称",
        "排污许可管理类别",
        "正面清单",
        "执法片区",
        "要素标签",
        "经营状态",
    ]
    row = [uscc(900), "新增企业900", "登记管理", "否", "第一中队", "水", "存续"]
    upload = SimpleUploadedFile("对象名录.xlsx", xlsx([header, row]))
    pending = import_batch_validate(
        import_batch_create(actor=coordinator, spec=TARGETS, upload=upload)
    )
    inspector = team_user(assigned, make_user)
    users = {
        "本局系统管理员": make_user("admin-a", county, Role.SYSADMIN),
        "本局抽查管理员": coordinator,
        "本局执法人员": inspector,
        "本局领导": portal.leader,
        "本局监督员": make_user("auditor-a", county, Role.AUDITOR),
        "市局系统管理员": make_user("admin-city", city, Role.SYSADMIN),
        "市局抽查管理员": make_user("coord-city", city, Role.COORDINATOR),
        "市局执法人员": make_user("13020020260001", city, Role.INSPECTOR),
        "市局领导": make_user("leader-city", city, Role.LEADER),
        "市局监督员": make_user("auditor-city", city, Role.AUDITOR),
    }
    assert list(users) == ROLES
    world.users = users
    for key, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[key] = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    inspections = [
        assigned.pk,
        coverage.pk,
        portal.clean.pk,
        portal.ordered.pk,
        portal.unrevealed.pk,
        portal.targeted.pk,
        MISSING,
    ]
    draws = [portal.revealed.pk, portal.hidden.pk, portal.committed.pk, MISSING]
    User = get_user_model()
    world.values = {
        ("*", "pk"): [MISSING],
        ("accounts:organisation_edit", "pk"): [
            county.pk,
            neighbour.pk,
            city.pk,
            province.pk,
            MISSING,
        ],
        ("accounts:user_edit", "pk"): [coordinator.pk, users["市局抽查管理员"].pk, MISSING],
        ("accounts:user_password", "pk"): [inspector.pk, users["市局领导"].pk, MISSING],
        ("directory:import_batch", "pk"): [pending.pk, ImportBatch.objects.first().pk, MISSING],
        ("directory:import_apply", "pk"): [pending.pk, ImportBatch.objects.first().pk, MISSING],
        ("*", "register"): ["targets", "inspectors", "items", "events", "joint_items", "nope"],
        ("exchange:file", "name"): ["manifest.json", "SHA256SUMS", "nope.txt"],
        ("planning:plan_detail", "pk"): [portal.revealed.task.plan_id, draft.pk, MISSING],
        ("planning:plan_approve", "pk"): [
            draft.pk,
            portal.revealed.task.plan_id,
            AnnualPlan.objects.get(organisation=neighbour).pk,
        ],
        ("planning:plan_publish", "pk"): [draft.pk, portal.revealed.task.plan_id, MISSING],
        ("planning:plan_adjust", "pk"): [portal.revealed.task.plan_id, draft.pk, MISSING],
        ("planning:task_edit", "pk"): [draft.tasks.first().pk, task.pk, MISSING],
        ("planning:task_prepare", "pk"): [
            task.plan.tasks.get(quarter=1).pk,
            task.pk,
            draft.tasks.first().pk,
            MISSING,
        ],
        ("planning:task_coverage", "pk"): [task.pk, task.plan.tasks.get(quarter=1).pk, MISSING],
        ("planning:draw_detail", "pk"): draws,
        ("planning:draw_reveal", "pk"): draws,
        ("planning:draw_abort", "pk"): draws,
        ("planning:inspection_substitute", "pk"): inspections,
        ("planning:inspection_assign", "pk"): inspections,
        ("inspections:detail", "pk"): inspections,
        ("inspections:record", "pk"): inspections,
        ("inspections:checklist_pdf", "pk"): inspections,
        ("inspections:attachment_upload", "pk"): inspections,
        ("inspections:reopen", "pk"): inspections,
        ("inspections:follow_up_open", "pk"): inspections,
        ("inspections:release", "pk"): inspections,
        ("inspections:assistant_add", "pk"): inspections,
        ("inspections:assistant_remove", "pk"): [assigned.pk, portal.clean.pk, MISSING],
        ("inspections:assistant_remove", "assistant_id"): [assistant.pk, MISSING],
        ("inspections:follow_up_close", "pk"): [portal.ordered.pk, portal.clean.pk],
        ("inspections:follow_up_close", "follow_up_id"): [
            FollowUp.objects.get(inspection=portal.ordered).pk,
            MISSING,
        ],
        ("inspections:attachment", "pk"): inspections,
        ("inspections:attachment", "attachment_id"): [
            *Attachment.objects.values_list("pk", flat=True)[:1],
            MISSING,
        ],
        ("inspections:revisit_sample", "draw_pk"): draws,
        ("inspections:revisit_record", "pk"): [revisit.pk, MISSING],
        ("reports:plan_file", "pk"): [portal.revealed.task.plan_id],
        ("*", "fmt"): ["xlsx"],
    }
    rows = [
        {"register": spec, "pk": model.objects.filter(organisation=county).first().pk}
        for spec, model in (("targets", Target), ("inspectors", Inspector),
                            ("items", InspectionItem), ("events", RegulatoryEvent))
    ] + [{"register": "nope", "pk": 1}, {"register": "targets", "pk": MISSING}]  # fmt: skip
    world.combos = dict.fromkeys(("directory:detail", "directory:edit", "directory:remove"), rows)
    assert User.objects.filter(username=inspector.username).exists()
    assert coverage.kind == Inspection.Kind.COVERAGE and Draw.objects.count() >= 3
    assert SamplingTask.objects.filter(plan=draft).exists()
    world.words = [
        *WORDS,
        *Target.objects.filter(organisation=county).values_list("credit_code", flat=True)[:3],
        inspector.username,
        county.code,
        "13028120260001",
    ]
    world.forms = harvest(world)
    return world


# --- the forms the site shows -------------------------------------------------------------------


@dataclass
class FieldSpec:
    kind: str = "text"  # text, date, datetime-local, number, file, choice
    #: The choices of a select, a radio or a checkbox group.
    options: set = field(default_factory=set)
    multiple: bool = False
    #: Values the site itself filled in (an edit form's current values, a hidden field).
    shown: set = field(default_factory=set)


class FormReader(HTMLParser):
    """Every ``<form method="post">`` of a page: its action and its fields, with their choices
    and the values the page filled in."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.forms: list[tuple[str, dict[str, FieldSpec]]] = []
        self.current: dict[str, FieldSpec] | None = None
        self.select: FieldSpec | None = None
        self.textarea: FieldSpec | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self.current = {}
                self.forms.append((a.get("action") or self.page, self.current))
            return
        if tag == "option" and self.select is not None:
            self.select.options.add(a.get("value", ""))
            if "selected" in a:
                self.select.shown.add(a.get("value", ""))
            return
        if self.current is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        spec = self.current.setdefault(a["name"], FieldSpec())
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                spec.kind = "choice"
                spec.options.add(a.get("value", "on"))
                spec.multiple = spec.multiple or kind == "checkbox"
                if "checked" in a:
                    spec.shown.add(a.get("value", "on"))
                return
            if kind in ("date", "datetime-local", "number", "file"):
                spec.kind = kind
            if a.get("value"):
                spec.shown.add(a["value"])
        elif tag == "select":
            spec.kind = "choice"
            spec.multiple = "multiple" in a
            self.select = spec
        elif tag == "textarea":
            self.textarea = spec
        elif tag == "button":
            spec.shown.add(a.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None and data.strip():
            self.textarea.shown.add(data.strip())

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def harvest(world: World) -> dict[str, dict[str, FieldSpec]]:
    """The forms of every staff page (as four of the county's roles), by the path they post
    to and by URL pattern name: a form's choices can be its object's (the team of this
    inspection), so a path's own form is used where the site shows one."""
    forms: dict[str, dict[str, FieldSpec]] = {r.name: {} for r in POST_ROUTES}
    for role in ("本局系统管理员", "本局抽查管理员", "本局执法人员", "本局领导"):
        client = logged_in(world, role)
        for route in PAGES:
            for url in world.urls(route):
                response = client.get(url)
                assert response.status_code < 500, url
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                reader = FormReader(url)
                reader.feed(response.content.decode())
                for action, fields in reader.forms:
                    path = urlsplit(action).path
                    try:
                        name = resolve(path).view_name
                    except Resolver404:
                        continue
                    for key in (name, path):
                        merge(forms.setdefault(key, {}), fields)
    return forms


def merge(known: dict[str, FieldSpec], fields: dict[str, FieldSpec]) -> None:
    for name, spec in fields.items():
        into = known.setdefault(name, FieldSpec())
        if spec.kind != "text":
            into.kind = spec.kind
        into.options |= spec.options
        into.multiple |= spec.multiple
        into.shown |= spec.shown


def logged_in(world: World, role: str) -> Client:
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The county, built in a transaction that stays open for the module and is rolled back at
    its end; each test runs in a savepoint inside it (pytest-django's ``db``)."""
    media = str(tmp_path_factory.mktemp("media"))
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            SHUANGSUIJI_BACKGROUND_IMPORTS=False,
        ),
        transaction.atomic(),
    ):
        try:
            yield build_world(media)
        finally:
            transaction.set_rollback(True)


# --- values ---------------------------------------------------------------------------------


HUGE = "企" * 50_001
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
JUNK = st.one_of(
    TEXT,
    st.sampled_from(
        [HUGE, "9" * 50_001, "", " ", "-1", "0", "²", "=1+1", "@SUM(A1)", "１２３",
         "<script>alert(1)</script>", "2026-02-30", "NaN", "1e309"]
    ),
    st.integers(-(10**20), 10**20).map(str),
)  # fmt: skip
#: Days a bureau would enter, and days out of every range.
GOOD_DAYS = ["2026-11-20", "2026-12-01", "2026-12-31", "2027-03-15"]
BAD_DAYS = ["0001-01-01", "1999-12-31", "2023-12-31", "2028-01-01", "9999-12-31"]
#: Plain words a form may expect: a result, a reason, a name.
WORDS = ["现场检查", "未发现问题", "企业停产", "局务会研究决定", "王某", "20%", "{min: 10%}"]


@dataclass(frozen=True)
class Upload:
    """A file to post; a fresh file object each time it is posted (an example may be replayed)."""

    name: str
    head: bytes
    tail: bytes

    def file(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.head + self.tail)


UPLOADS = st.builds(
    Upload,
    st.sampled_from(["材料.pdf", "名录.xlsx", "a.png", "x" * 300 + ".pdf", "图.jpg"]),
    st.sampled_from([b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04"]),
    st.binary(max_size=64),
)


def plausible(spec: FieldSpec, words: list[str]):
    """A value a user of the page could send: a choice offered, a day in range, the value the
    page showed, a word of the county's data."""
    shown = sorted(spec.shown)
    options = sorted(o for o in spec.options if o)
    if spec.kind == "file":
        return UPLOADS
    if spec.kind == "date":
        return st.sampled_from(GOOD_DAYS + shown)
    if spec.kind == "datetime-local":
        return st.sampled_from([f"{d}T10:30" for d in GOOD_DAYS])
    if spec.kind == "number":
        return st.sampled_from(["2026", "2027", "1", "3", *shown])
    if options and spec.multiple:
        return st.lists(st.sampled_from(options), min_size=1, max_size=4, unique=True)
    if options:
        return st.sampled_from(options)
    return st.sampled_from(shown + words) if shown else st.sampled_from(words)


def hostile(spec: FieldSpec):
    """A value no page offers: out of range, huge, malformed, a formula."""
    if spec.kind == "file":
        return UPLOADS
    if spec.kind == "date":
        return st.one_of(st.sampled_from(BAD_DAYS), JUNK)
    if spec.kind == "datetime-local":
        return st.one_of(st.sampled_from(BAD_DAYS).map(lambda d: f"{d}T10:30"), JUNK)
    if spec.kind == "number":
        return st.one_of(st.integers(-(10**12), 10**12).map(str), JUNK)
    if spec.multiple:
        return st.lists(JUNK, max_size=3)
    return JUNK


@st.composite
def form_data(draw, fields: dict[str, FieldSpec], words: list[str]) -> dict:
    """Mostly what the page would send, with a few fields left out or made hostile."""
    names = sorted(fields)
    data = {name: draw(plausible(fields[name], words)) for name in names}
    if names:
        for name in draw(st.sets(st.sampled_from(names), max_size=2)):
            data[name] = draw(hostile(fields[name]))
        for name in draw(st.sets(st.sampled_from(names), max_size=1)):
            data.pop(name)
    if draw(st.integers(0, 3)) == 0:
        data[draw(st.sampled_from(["extra", "pk", "organisation", "status"]))] = draw(JUNK)
    return data


@st.composite
def requests(draw, urls: list[str], fields, words: list[str]) -> tuple[str, dict]:
    url = draw(st.sampled_from(urls))
    return url, draw(form_data(fields(url), words))


# --- the property -----------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows of every table, in one query."""
    tables = sorted(
        {
            m._meta.db_table
            for m in apps.get_models()
            if m._meta.managed and not m._meta.proxy and m._meta.db_table not in BOOKKEEPING
        }
    )
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def succeeded(response) -> bool:
    """A redirect after the action was done: no error message came with it."""
    if not 300 <= response.status_code < 400:
        return False
    return not any(m.level >= constants.ERROR for m in get_messages(response.wsgi_request))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.name)
def test_random_posts_answer_and_write_nothing_when_refused(world, db, settings, route, role):
    settings.MEDIA_ROOT = world.media
    settings.SHUANGSUIJI_BACKGROUND_IMPORTS = False
    urls = world.urls(route)

    def fields(url: str) -> dict[str, FieldSpec]:
        return world.forms.get(url) or world.forms.get(route.name, {})

    @FUZZ
    @given(request=requests(urls, fields, world.words))
    def post(request):
        url, data = request
        client = logged_in(world, role)
        with transaction.atomic():
            before = row_counts()
            files = {k: v.file() if isinstance(v, Upload) else v for k, v in data.items()}
            response = client.post(url, files)
            after = row_counts()
            transaction.set_rollback(True)
        assert response.status_code < 500, f"{role} POST {url}: {response.status_code}"
        if not succeeded(response):
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, (
                f"{role} POST {url} 被拒绝（{response.status_code}）却写入了：{changed}"
            )

    post()


def test_every_staff_form_is_reached():
    """The walk finds the forms: a new POST view is fuzzed without being listed here."""
    names = {r.name for r in POST_ROUTES}
    assert {
        "inspections:record",
        "planning:inspection_assign",
        "planning:policy",
        "inspections:follow_up_open",
        "accounts:user_create",
        "directory:import",
    } <= names
    assert not {r.name for r in POST_ROUTES} & {"reports:statistics", "disclosure:search"}
