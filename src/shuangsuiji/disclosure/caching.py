"""Public pages and API answers from the cache, keyed by the data behind them (issue 21 §1).

A key holds the address asked for (path and query), the public version of the organisation the
page is about or of everything (disclosure/versions.py: the database raises it on every write the
public could see, whoever writes), the day in Beijing (a page may name “this quarter”) and the
release (a new template must not be served an old page). A reveal, a publication or a withdrawal
raises the version in the same transaction, so the next request after its commit misses the
cache and renders afresh, on whichever node it lands: nothing is ever invalidated by hand, and
there is nothing to forget.

Only what any stranger would be shown is stored. A request that carries a session or a message
is rendered for its user and passes by the cache both ways: a member of staff reading the portal
sees the menu of a signed-in user, and that page must never reach the public. An answer is
stored only if it is a plain 200 that sets no cookie and does not say ``private`` or
``no-store``; a file download streamed from an iterator is never stored.

A cold page (the first after a change) is rendered by the view as before; a hit costs one
indexed read of the version and one read of the cache (docs/portal.md). A cache that cannot be
reached is a miss (config/cache.py; settings accept only local memory and Redis).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from shuangsuiji.disclosure import selectors, versions

#: Stored answers are never stale (the key changes with the data); the timeout only frees the
#: memory of pages nobody asks for any more.
TIMEOUT = 24 * 60 * 60
#: The request header that says the answer came from the cache, for the benchmarks and tests.
HIT_HEADER = "X-Cache"

Kept = TypeVar("Kept")


@functools.cache
def release() -> str:
    """A fingerprint of the installed code and templates, by their content: a deployment changes
    every key, and nodes installed apart from the same release share their pages."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".html", ".yaml", ".json", ".txt"} and path.is_file():
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def is_personal(request: HttpRequest) -> bool:
    """The request is someone's own: signed in (or was), or has a message waiting."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


def is_storable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    control = response.get("Cache-Control", "")
    return "private" not in control and "no-store" not in control


def page_key(request: HttpRequest, version: str) -> str:
    # Hashed: the organisation's code and the address come from the request, and a cache key
    # must stay short and plain whatever a visitor types.
    page = hashlib.sha256(f"{version}|{request.get_full_path()}".encode()).hexdigest()[:40]
    return f"public:{release()}:{timezone.localdate().isoformat()}:{page}"


def _not_modified(request: HttpRequest, response: HttpResponse) -> HttpResponse | None:
    etag = response.get("ETag")
    modified = response.get("Last-Modified")
    if not etag and not modified:
        return None
    return get_conditional_response(
        request,
        etag=etag,
        last_modified=parse_http_date_safe(modified) if modified else None,
        response=response,
    )


class _Render:
    """A key being rendered in this process, and how many requests wait on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


_renders: dict[str, _Render] = {}
_renders_guard = threading.Lock()


@contextlib.contextmanager
def _rendering(key: str):
    """One render per key at a time in this process; forgotten with its last user."""
    with _renders_guard:
        render = _renders.setdefault(key, _Render())
        render.users += 1
    try:
        with render.lock:
            yield
    finally:
        with _renders_guard:
            render.users -= 1
            if not render.users:
                _renders.pop(key, None)


def public_cached(version_of: Callable[[HttpRequest, dict], str]):
    """Serve the view's answer from the cache while the data behind it is unchanged.

    ``version_of(request, kwargs)`` is the version of the rows the answer is made of: of the
    organisation it is about (``of_path``, ``of_query``), of the organisations one enterprise's
    rows belong to (``of_enterprise``), or of everything (``across``)."""

    def decorate(view):
        @functools.wraps(view)
        def cached_view(request: HttpRequest, *args, **kwargs):
            if request.method != "GET" or is_personal(request):
                return view(request, *args, **kwargs)
            # The version is read before the page: a change committed in between gives a page
            # newer than its key, never older.
            version = version_of(request, kwargs)
            request.public_version = version  # for ``public_count``, read once
            key = page_key(request, version)
            stored = cache.get(key)
            if stored is None:
                # Right after a change every reader of a busy page misses at once: in this
                # process one renders while the others wait for its page, not beside it.
                with _rendering(key):
                    stored = cache.get(key)
                    if stored is None:
                        response = view(request, *args, **kwargs)
                        if is_storable(response):
                            cache.set(key, response, TIMEOUT)
                            response[HIT_HEADER] = "miss"
                        return response
            stored[HIT_HEADER] = "hit"
            return _not_modified(request, stored) or stored

        return cached_view

    return decorate


def public_count(request: HttpRequest, queryset: QuerySet, key: str | None = None) -> int:
    """How many rows a public list holds, counted once per version of the data behind the
    page (``public_kept``) and per list: a bureau's results counted for page 1 serve pages
    2 and 20 and every page of the API's list with the same filters, where each first view
    counted its hundreds of thousands again (issue 21 §1). The list is named by its SQL, or by
    ``key`` where the caller names it (an organisation's whole list of results, which the page
    and the API share, without compiling the query to name it)."""
    if key is None:
        if getattr(request, "public_version", None) is None:
            return queryset.count()  # counted afresh anyway: no SQL to compile for a name
        sql, params = queryset.query.sql_with_params()
        key = f"{sql}|{params!r}"
    # ``queryset`` may be lazy (``SimpleLazyObject``): built only if the count is not kept.
    return public_kept(request, f"count|{key}", lambda: queryset.count())


def public_kept(request: HttpRequest, key: str, compute: Callable[[], Kept]) -> Kept:
    """What ``compute`` gives, kept once per version of the public data behind the page
    (``public_cached`` sets it on the request) under ``key``: a part of a page that its other
    pages share (a list's count, 保定's monthly batches), so their first views after a change
    compute it once between them. Computed afresh outside the cache (a signed-in reader, whose
    pages are never stored); ``compute`` must not give ``None``."""
    version = getattr(request, "public_version", None)
    if version is None:
        return compute()
    digest = hashlib.sha256(f"{version}|{key}".encode()).hexdigest()[:40]
    cache_key = f"public-kept:{release()}:{digest}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, TIMEOUT)
    return value


#: An organisation's results are kept in order, as ids, up to this many (``ResultsInOrder``):
#: 20,000 ids are some 100 KB pickled, read once per change (a county's 2,200 take PostgreSQL
#: 3.5 ms, more in proportion); a longer list's pages beyond them are read by offset, as before.
ORDER_KEPT = 20_000


class ResultsInOrder:
    """An organisation's published results, newest first, as its portal page and the open-data
    API read them without a filter, as ``selectors.public_result_values`` (with its partner
    departments' parts, for the portal's table, if ``parts``). The ids of its first
    ``ORDER_KEPT`` results are read once per version of its public data and kept
    (``public_kept``): the count is their number, and a page is their slice, read by id by a
    query planned once. Read by offset, every first view of a page had PostgreSQL plan the list
    afresh and walk every row before the page, checking each one's draw and reading its
    enterprise (5 ms for page 10 of a county, 10–23 ms under load), and the count read the
    whole list again (issue 21 §1). A longer list's count is counted from ``rows`` (its
    queryset, built only then), and its pages beyond the kept ids are read by offset."""

    def __init__(
        self, request: HttpRequest, organisation_id: int, rows: QuerySet, *, parts: bool = False
    ) -> None:
        self.request, self.organisation_id, self.rows, self.parts = (
            request, organisation_id, rows, parts
        )  # fmt: skip
        self.name = f"results:{organisation_id}"

    @functools.cached_property
    def ids(self) -> list[int]:
        limit = ORDER_KEPT + 1  # one more, to tell a longer list
        return public_kept(
            self.request,
            f"order:{self.name}",
            lambda: selectors.organisation_result_ids(self.organisation_id, limit),
        )

    @property
    def complete(self) -> bool:
        return len(self.ids) <= ORDER_KEPT

    def count(self) -> int:
        if self.complete:
            return len(self.ids)
        return public_count(self.request, self.rows, self.name)

    def window(self, start: int, size: int) -> list[dict]:
        """``size`` results from the ``start``-th."""
        if self.complete or start + size <= ORDER_KEPT:
            return selectors.result_values_of(self.ids[start : start + size], parts=self.parts)
        return selectors.organisation_result_values(
            self.organisation_id, start, size, parts=self.parts
        )


def _organisation(code: str | None) -> str:
    if code is None:
        return f"all:{versions.everything_version()}"
    return f"o{code}:{versions.organisation_version(code)}"


def of_path(request: HttpRequest, kwargs: dict) -> str:
    """A page under ``/gongkai/org/<code>/``: its organisation's version."""
    return _organisation(kwargs["code"])


def across(request: HttpRequest, kwargs: dict) -> str:
    """A page about every organisation."""
    return _organisation(None)


def across_registers(request: HttpRequest, kwargs: dict) -> str:
    """A page made of the registers of every organisation and nothing else (企业查询): the
    results recorded all day at a province leave it stored (``versions.REGISTER_TABLES``)."""
    return f"registers:{versions.registers_version()}"


def of_query(request: HttpRequest, kwargs: dict) -> str:
    """An API answer about the organisation its path or its ``organisation`` parameter names;
    across organisations without either."""
    if "code" in kwargs:
        return _organisation(kwargs["code"])
    return _organisation(request.GET.get("organisation", "").strip() or None)


def of_enterprise(request: HttpRequest, kwargs: dict) -> str:
    """An enterprise's page: the versions of the organisations its rows belong to, so that the
    other bureaus' work, all day long at a province, leaves it stored."""
    return f"e:{versions.enterprise_version(kwargs['credit_code'].upper())}"


def staff_version(organisation, *, lineage: bool = False) -> int:
    """The version ``kept_until_changed`` keys a bureau's kept values by: its rows' and row 0's
    counters, or with ``lineage`` those of every organisation below it too."""
    if lineage:
        return versions.lineage_version(organisation.path)
    return versions.organisation_version(organisation.code, column="counter")


def kept_until_changed(
    organisation,
    name: str,
    compute: Callable[[], Kept],
    *parts,
    lineage: bool = False,
    version: int | None = None,
) -> Kept:
    """``compute()`` for a member of the bureau's staff, kept in the cache until the bureau's
    data changes: the staff's reports of one bureau (a coordinator's to-dos, 结果公示, 逾期事项)
    are a dozen counts and lists over its year, read again on every view although most views
    follow no change (issue 21 §3).

    The key holds the bureau's ``counter`` and row 0's (``versions.organisation_version``): the
    database raises them on every write of the bureau's rows, however made, so ``compute`` may
    read only the bureau's own rows of versioned tables (a test reads its queries' tables against
    ``versions.versioned_tables``). ``parts`` are the other values ``compute`` depends on: the
    day, the year asked for, the filters a list applies (any text). The staff's values are never
    the public's: a key of its own kind.

    ``lineage``: ``compute`` reads the rows of the organisation and of every one below it (what
    ``readable_by`` gives its users), and the key holds all their counters
    (``versions.lineage_version``).

    ``version``: ``staff_version(organisation, lineage=lineage)``, where the view keeps more than
    one value of the bureau and reads it once for them all; read here otherwise. Read before
    ``compute`` runs, as here: a write in between then only makes the next view compute again."""
    if version is None:
        version = staff_version(organisation, lineage=lineage)
    named = ":".join(str(part) for part in (name, lineage, organisation.pk, version, *parts))
    # Hashed, as the public keys are: a part may be any text a user typed (a search).
    key = f"staff:{release()}:{hashlib.sha256(named.encode()).hexdigest()[:40]}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=TIMEOUT)
    return found
