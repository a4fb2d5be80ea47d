"""``shuangsuiji.prepared``: a query compiled once gives what the ORM gives, with every call's
values, and a query it cannot run so is refused on its first call (issue 21 §3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models.functions import Length
from django.test.utils import CaptureQueriesContext

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.models import AuditDailyHead
from shuangsuiji.prepared import PREFIX, Prepared, PreparedError


def _children(parent, level):
    return (
        Organisation.objects.filter(parent_id=parent, level=level)
        .order_by("code")
        .values_list("code", "name")
    )


CHILDREN = Prepared(_children, parent=int, level=int)
BY_IDS = Prepared(
    lambda ids, name: (
        Organisation.objects.filter(pk__in=ids)
        .exclude(name=name)
        .order_by("-code")
        .values("code", "level")
    ),
    ids=list,
    name=str,
)
UNDER = Prepared(
    lambda path: Organisation.objects.filter(path__startswith=path).values_list("code", flat=True),
    path=PREFIX,
)
LEVELS = Prepared(
    # DISTINCT, ordered by a column not shown: the ORM reads it and leaves it out.
    lambda ids: Organisation.objects.filter(pk__in=ids).order_by("code").values("level").distinct(),
    ids=list,
)
CODES = Prepared(
    lambda ids: (
        Organisation.objects.filter(pk__in=ids).order_by("code").values_list("code", flat=True)
    ),
    ids=list,
)


def test_gives_what_the_orm_gives_for_each_calls_values(organisations):
    province, city, first, second = (organisations[key] for key in ("province", "city", "a", "b"))
    for parent, level in ((province.pk, 2), (city.pk, 3), (city.pk, 2), (first.pk, 3)):
        assert CHILDREN(parent=parent, level=level) == list(_children(parent, level))
    assert CHILDREN(parent=city.pk, level=3) == [
        (first.code, first.name),
        (second.code, second.name),
    ]
    every = [province.pk, city.pk, first.pk, second.pk]
    assert BY_IDS(ids=every, name=city.name) == [
        {"code": o.code, "level": o.level}
        for o in sorted((province, first, second), key=lambda o: o.code, reverse=True)
    ]
    # A prefix, as __startswith matches it: LIKE's wildcards in it are plain characters.
    for path in (province.path, city.path, first.path, "/", "%", "_", ""):
        expected = Organisation.objects.filter(path__startswith=path).values_list("code", flat=True)
        assert sorted(UNDER(path=path)) == sorted(expected)
    assert sorted(UNDER(path=city.path)) == sorted([city.code, first.code, second.code])
    assert UNDER(path="%") == []
    query = Organisation.objects.filter(pk__in=every).order_by("code").values("level").distinct()
    assert LEVELS(ids=every) == list(query)
    assert all(row.keys() == {"level"} for row in LEVELS(ids=every))
    # Another length of the list is compiled on its own; an empty list asks nothing.
    assert CODES(ids=[second.pk, province.pk]) == sorted([second.code, province.code])
    assert CODES(ids=every) == sorted(o.code for o in (province, city, first, second))
    with CaptureQueriesContext(connection) as queries:
        assert CODES(ids=[]) == []
    assert len(queries) == 0


MIXED = Prepared(
    # Two list arguments, one excluded, beside a list written in the query (constants).
    lambda ids, others: (
        Organisation.objects.filter(pk__in=ids, level__in=[1, 2, 3])
        .exclude(pk__in=others)
        .order_by("code")
        .values_list("code", flat=True)
    ),
    ids=list,
    others=list,
)


def test_lists_go_to_postgresql_as_one_array(organisations):
    """A list argument is one array parameter on PostgreSQL (``= ANY``), so psycopg does not
    parse the SQL afresh for each call; the constants stay as written. The same rows."""
    every = [organisations[key].pk for key in ("province", "city", "a", "b")]
    for ids, others in ((every, every[:1]), (every[:2], every[1:]), (every[::-1], [10**12])):
        expected = list(
            Organisation.objects.filter(pk__in=ids, level__in=[1, 2, 3])
            .exclude(pk__in=others)
            .order_by("code")
            .values_list("code", flat=True)
        )
        with CaptureQueriesContext(connection) as queries:
            assert MIXED(ids=ids, others=others) == expected
        [sql] = [query["sql"] for query in queries]
        if connection.vendor == "postgresql":
            assert sql.count("= ANY(") == 2 and '"level" IN (1, 2, 3)' in sql
        else:
            assert "ANY" not in sql and sql.count(" IN (") == 3
    assert MIXED(ids=every, others=every[1:]) == [organisations["province"].code]


def test_one_query_per_call_through_the_connections_cursor(organisations):
    city = organisations["city"]
    CHILDREN(parent=city.pk, level=3)
    with CaptureQueriesContext(connection) as queries:
        CHILDREN(parent=city.pk, level=3)
    assert len(queries) == 1
    assert str(city.pk) in queries[0]["sql"]


def test_refuses_what_it_cannot_run_with_other_values(db):
    # icontains wraps the value in %…%: it does not reach the database unchanged.
    with pytest.raises(PreparedError, match=r"\['text'\] are not passed to the database unchanged"):
        Prepared(
            lambda text: Organisation.objects.filter(name__icontains=text).values_list("pk"),
            text=str,
        )(text="局")
    # A slice is written into the SQL as a constant.
    with pytest.raises(PreparedError, match="not passed to the database unchanged"):
        Prepared(lambda n: Organisation.objects.values_list("pk")[:n], n=int)(n=3)
    # The query's shape depends on the value.
    with pytest.raises(PreparedError, match="depends on the argument values"):
        Prepared(
            lambda level: (
                Organisation.objects.filter(level=level).values_list("pk")
                if level % 2
                else Organisation.objects.filter(level=level, is_active=True).values_list("pk")
            ),
            level=int,
        )(level=3)
    # Objects that need another query's objects, other kinds of arguments and wrong names.
    with pytest.raises(PreparedError, match="prefetch_related"):
        Prepared(
            lambda pk: Organisation.objects.filter(pk=pk).prefetch_related("children"), pk=int
        )(pk=1)
    with pytest.raises(PreparedError, match="related manager"):
        Prepared(lambda pk: Organisation(pk=pk, path="/").children.all(), pk=int)(pk=1)
    with pytest.raises(PreparedError, match="only values"):
        Prepared(
            lambda pk: Organisation.objects.filter(pk=pk).values_list("pk", named=True), pk=int
        )(pk=1)
    with pytest.raises(PreparedError, match="only int, str, date, datetime, PREFIX and list"):
        Prepared(lambda day: Organisation.objects.values_list("pk"), day=object)
    with pytest.raises(PreparedError, match="are not"):
        CHILDREN(parent=1)


def _with_parents(path):
    return (
        Organisation.objects.filter(path__startswith=path)
        .select_related("parent__parent")
        .annotate(code_length=Length("code"))
        .order_by("code")
    )


WITH_PARENTS = Prepared(_with_parents, path=PREFIX)


def _fields(item) -> dict:
    return {field.attname: getattr(item, field.attname) for field in item._meta.concrete_fields}


def test_model_objects_as_the_orm_builds_them(organisations):
    """A model query gives the objects the ORM gives, with their ``select_related`` objects and
    annotations read in the one query."""
    for organisation in organisations.values():
        expected = list(_with_parents(organisation.path))
        WITH_PARENTS(path=organisation.path)
        with CaptureQueriesContext(connection) as queries:
            got = WITH_PARENTS(path=organisation.path)
            parents = [(o.parent, o.parent and o.parent.parent) for o in got]
        assert len(queries) == 1
        assert [_fields(o) for o in got] == [_fields(o) for o in expected]
        assert [o.code_length for o in got] == [len(o.code) for o in expected]
        assert [
            (p and _fields(p), g and _fields(g)) for p, g in parents
        ] == [  # the parents came with the query
            (
                o.parent and _fields(o.parent),
                o.parent and o.parent.parent and _fields(o.parent.parent),
            )
            for o in expected
        ]
        assert all(not o._state.adding and o._state.db == "default" for o in got)
    # Under a branch there is only the branch; its parent is the city.
    branch = organisations["a"]
    [only] = WITH_PARENTS(path=branch.path)
    assert only == branch and only.parent == organisations["city"]
    assert only.parent.parent == organisations["province"]


def _days_before(day):
    return AuditDailyHead.objects.filter(day__lt=day).order_by("day").values_list("day", "last_id")


DAYS_BEFORE = Prepared(_days_before, day=dt.date)
PAGE_OF_DAYS = Prepared(_days_before, day=dt.date, sliced=True)


def test_days_and_slices(db):
    first = dt.date(2026, 1, 1)
    for n in range(7):
        AuditDailyHead.objects.create(day=first + dt.timedelta(days=n), last_id=n, hash="0" * 64)
    for day in (first, first + dt.timedelta(days=3), dt.date(2027, 1, 1)):
        assert DAYS_BEFORE(day=day) == list(_days_before(day))
    assert DAYS_BEFORE(day=first + dt.timedelta(days=2)) == [
        (first, 0),
        (first + dt.timedelta(days=1), 1),
    ]
    later = dt.date(2027, 1, 1)
    for offset, limit in ((0, 3), (3, 3), (6, 3), (9, 3), (2, 0)):
        expected = list(_days_before(later)[offset : offset + limit])
        assert PAGE_OF_DAYS(day=later, limit=limit, offset=offset) == expected
    assert [n for _, n in PAGE_OF_DAYS(day=later, limit=3, offset=3)] == [3, 4, 5]
    with pytest.raises(PreparedError, match="whole numbers"):
        PAGE_OF_DAYS(day=later, limit=-1)
    with pytest.raises(PreparedError, match="sliced by the call"):
        Prepared(lambda day: _days_before(day)[:2], day=dt.date, sliced=True)(day=later, limit=1)


def test_kept_with_each_threads_connection_and_gone_with_it(organisations):
    """Each thread's connection compiles its own (the SQL and converters are its backend's)
    and keeps them itself: once the thread is gone, nothing of ours holds its connection, and
    with it a database session, open."""
    import contextlib
    import gc
    import threading
    import weakref

    from django.db import DatabaseError, connections

    city = organisations["city"]
    CHILDREN(parent=city.pk, level=3)
    theirs = []

    def work():
        # Another connection, outside this test's transaction (SQLite's shared in-memory
        # database may be locked by it): what matters is that it compiled.
        with contextlib.suppress(DatabaseError):
            CHILDREN(parent=city.pk, level=3)
        assert connections["default"].__dict__["shuangsuiji_prepared"]
        theirs.append(weakref.ref(connections["default"]))
        connections["default"].close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    gc.collect()
    assert theirs and theirs[0]() is None
    assert connections["default"].__dict__["shuangsuiji_prepared"]  # this thread's are kept


BY_KEY = Prepared(
    lambda pk: Organisation.objects.filter(pk=pk).select_related("parent"),
    pk=int,
    planned_once=True,
)
CODE_BY_KEY = Prepared(
    lambda pk: Organisation.objects.filter(pk=pk).values_list("code", flat=True),
    pk=int,
    planned_once=True,
)


def _kept_plans() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_a_query_by_key_keeps_its_plan_on_postgresql(organisations, settings):
    """``planned_once``: the same rows; on PostgreSQL sent as a prepared statement, whose plan
    the database keeps after five runs (issue 21 §3), and still counted like any query. With
    ``DATABASE_PREPARED_STATEMENTS=false`` (a pooler that cannot carry them) nothing is kept."""
    for organisation in organisations.values():
        for _ in range(7):
            [got] = BY_KEY(pk=organisation.pk)
        assert _fields(got) == _fields(organisation)
        assert got.parent == organisation.parent
    city = organisations["city"]
    with CaptureQueriesContext(connection) as queries:
        BY_KEY(pk=city.pk)
    # Logged as Django logs its own queries: the SQL with its values.
    assert len(queries) == 1 and f'"accounts_organisation"."id" = {city.pk}' in queries[0]["sql"]
    settings.SHUANGSUIJI_PREPARED_STATEMENTS = False
    assert CODE_BY_KEY(pk=organisations["a"].pk) == [organisations["a"].code]
    if connection.vendor != "postgresql":
        return  # SQLite plans each query itself; nothing to keep
    kept = _kept_plans()
    [generic] = [n for sql, n in kept.items() if '"accounts_organisation"."id" = $1' in sql]
    assert generic > 0
    assert not [sql for sql in kept if 'SELECT "accounts_organisation"."code"' in sql]


def _unexpired(now):
    from django.contrib.sessions.models import Session

    return (
        Session.objects.filter(expire_date__gt=now)
        .order_by("expire_date")
        .values_list("session_key", flat=True)
    )


UNEXPIRED = Prepared(_unexpired, now=dt.datetime)


def test_times(db):
    """An aware time is passed as ``DateTimeField`` passes it (UTC; a string on SQLite)."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    start = timezone.now()
    for hours in range(5):
        Session.objects.create(
            session_key=f"key{hours}",
            session_data="",
            expire_date=start + dt.timedelta(hours=hours),
        )
    beijing = dt.timezone(dt.timedelta(hours=8))
    for moment in (
        start - dt.timedelta(days=1),
        start + dt.timedelta(minutes=90),
        (start + dt.timedelta(hours=2)).astimezone(beijing),  # the same instant, other zone
        start + dt.timedelta(days=1),
    ):
        assert UNEXPIRED(now=moment) == list(_unexpired(moment))
    assert UNEXPIRED(now=start + dt.timedelta(minutes=90)) == ["key2", "key3", "key4"]
