"""ORM queries compiled to SQL once per connection and run again with new values (issue 21 §3).

Django builds a ``QuerySet`` and compiles it to SQL on every call: cloning, resolving each
``filter`` and writing the SQL cost 0.3–0.5 ms of CPU per query, a third of a staff page with a
dozen queries (``docs/staff-speed.md`` §十三). The SQL of a selector's query never changes; only
its values do. ``Prepared`` keeps the ORM as the place the query is written and compiles it once
per database connection (``inspections.selectors`` has several), for example:

    _TEAM_MEMBERS = Prepared(
        lambda ids: InspectionMember.objects.filter(inspection_id__in=ids)
        .order_by("inspection_id", "position")
        .values_list("inspection_id", "inspector__name", "is_lead"),
        ids=list,
    )
    rows = _TEAM_MEMBERS(ids=[7, 9])    # a list of tuples, as values_list gives

The first call builds the query twice, with two different sets of stand-in values, and finds
each argument's places among the SQL parameters. It refuses, with the reason, a query whose SQL
or parameter places differ between the two (the builder branches on a value), or where a
stand-in does not reach the database unchanged (``icontains`` wraps it in ``%``; a slice's
``LIMIT`` is written into the SQL). So a query that would not give what the ORM gives fails on
its first call, in the tests, not with wrong rows.

Arguments are ``int``, ``str``, ``datetime.date`` (passed as ``DateField`` passes a day),
``datetime.datetime`` (an aware time, passed as ``DateTimeField`` passes it), lists
of numbers (``list``: ``filter(id__in=ids)``; the SQL is compiled once per length, sent to
PostgreSQL with the list as one array, ``_lists_as_arrays``; an empty list gives no rows without
a query, as the ORM does) and ``PREFIX``, a text the query compares
with ``__startswith``; other types are refused. ``sliced=True`` adds ``limit`` and ``offset`` to
each call, as a slice of the queryset would. Rows come back through the converters the ORM
applies (those ``SQLCompiler.results_iter`` applies, worked out once per compiled query), as
tuples, single values (``flat=True``) or dictionaries (``values()``), or as model objects (a
plain queryset, ``select_related`` included: each object and its related ones built as
``ModelIterable`` builds them); queries go through the connection's cursor, so they are
counted and logged like any other. ``prefetch_related`` and a related manager's queryset
(``inspection.items.all()``, which hands each row the object it was read from) are refused:
write ``Item.objects.filter(inspections=pk)`` instead.

``planned_once=True``, for a query that finds rows by a key (a primary key, the rows of one
object, a credit code), also has PostgreSQL keep the query's plan for the connection: it is
sent as a prepared statement (``_planned_once_cursor``), which spares the database parsing and
planning it on every call, most of what such a query costs it. Deployments behind a connection
pooler that cannot carry prepared statements turn this off with
``DATABASE_PREPARED_STATEMENTS=false`` (docs/deployment.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

#: Stand-ins: two sets, each argument its own values. A number is small enough for any integer
#: column's range (Django leaves out a comparison with an out-of-range number); a list's numbers
#: (primary keys, as a rule) are far from every other argument's. A stand-in that happens to be
#: a constant written in the query is caught: it would differ between the two sets.
_INT_BASES = (30011, 31020)  # odd and even, far apart
_LIST_BASES = (1_000_001, 2_000_000)
_LIST_STEP = 10_000  # the longest list compiled
#: Compiled queries kept per connection (one per query and length of its list arguments).
_KEPT = 1024
_STR_PREFIXES = ("\x00standin-a-", "\x00standin-b-")

_LIST = "list"

#: An argument a query compares with ``__startswith`` (a text).
PREFIX = "prefix"
_SLICE = ("limit", "offset")


class PreparedError(TypeError):
    """A query that cannot be compiled once and run with other values."""


@dataclass(frozen=True)
class _Compiled:
    alias: str
    sql: str
    #: For each SQL parameter: the argument's name, its index within a list (or ``None`` for a
    #: scalar) and the type the backend wraps it in (psycopg's ``Int2`` for a small integer
    #: column), or ``None``; ``("", value, None)`` for a constant written in the query.
    slots: tuple[tuple[str, object, type | None], ...]
    compiler: object
    shape: str  # "tuples", "flat", "dicts" or "models"
    names: tuple[str, ...]
    #: For "models": what ``ModelIterable`` works out from the compiled query to build objects.
    builder: _ObjectBuilder | None = None
    #: The converters ``SQLCompiler.results_iter`` works out for every call (each column's
    #: backend and field converters: a tenth of the record form's CPU), worked out once.
    #: ``None`` where it must run as the ORM runs it (a composite primary key's columns).
    converters: dict | None = None

    def rows(self, rows: list) -> list:
        """The fetched rows with the ORM's converters applied, as tuples."""
        compiler = self.compiler
        if self.converters is None:
            return list(compiler.results_iter(results=[rows], tuple_expected=True))
        if not self.converters:
            return rows
        return list(map(tuple, compiler.apply_converters(rows, self.converters)))


@dataclass(frozen=True)
class _ObjectBuilder:
    model: type
    start: int
    end: int
    attnames: list[str]
    related: list  # django's RelatedPopulator, one per select_related object (stateless)
    annotations: dict[str, int]

    @classmethod
    def of(cls, compiler, alias: str) -> _ObjectBuilder:
        """As ``ModelIterable.__iter__`` does, once."""
        select, info = compiler.select, compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return cls(
            model=info["model"],
            start=start,
            end=end,
            attnames=[column[0].target.attname for column in select[start:end]],
            related=get_related_populators(info, select, alias),
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def build(self, rows, alias: str) -> list:
        objects = []
        for row in rows:
            item = self.model.from_db(alias, self.attnames, row[self.start : self.end])
            for populator in self.related:
                populator.populate(row, item)
            for name, position in self.annotations.items():
                setattr(item, name, row[position])
            objects.append(item)
        return objects


class Prepared:
    """A query built by ``build(**arguments)`` and run with the values of each call."""

    def __init__(
        self, build: Callable, *, sliced: bool = False, planned_once: bool = False, **kinds: type
    ) -> None:
        for name, kind in kinds.items():
            if kind not in (int, str, dt.date, dt.datetime, list, PREFIX) or name in _SLICE:
                raise PreparedError(
                    f"{name}: only int, str, date, datetime, PREFIX and list arguments can be "
                    f"prepared, and not named {' or '.join(_SLICE)}"
                )
        self.build = build
        self._name = f"{build.__module__}.{build.__qualname__}"
        self.kinds = {name: (_LIST if kind is list else kind) for name, kind in kinds.items()}
        # ``sliced``: each call gives ``limit`` (and ``offset``), as ``queryset[offset:offset +
        # limit]`` would: the ORM writes a slice into the SQL, so it is added here.
        self.sliced = sliced
        # ``planned_once``: see ``_planned_once_cursor``.
        self.planned_once = planned_once
        self._alias: str | None = None

    def __call__(self, **values) -> list:
        window = []
        if self.sliced:
            limit, offset = values.pop("limit", None), values.pop("offset", 0)
            if not isinstance(limit, int) or not isinstance(offset, int) or min(limit, offset) < 0:
                raise PreparedError(f"{self._name}: limit and offset are whole numbers")
            if limit == 0:
                return []
            window = [limit, offset]
        if values.keys() != self.kinds.keys():
            raise PreparedError(f"arguments {sorted(values)} are not {sorted(self.kinds)}")
        lengths = []
        for name, kind in self.kinds.items():
            value = values[name]
            if kind == _LIST:
                value = values[name] = list(value)
                if not value:
                    return []
                lengths.append(len(value))
        compiled = self._compiled_for(tuple(lengths))
        connection = connections[compiled.alias]
        for name, kind in self.kinds.items():
            if kind is dt.date or kind is dt.datetime or kind is PREFIX:
                values[name] = _as_passed(kind, values[name], connection)
        params = [_param(values, *slot) for slot in compiled.slots] + window
        cursor = planned_once_cursor(connection) if self.planned_once else connection.cursor()
        with cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        compiler = compiled.compiler
        if compiler.has_extra_select:
            # Columns added for the ordering of a DISTINCT query, which the ORM leaves out too.
            rows = [row[: compiler.col_count] for row in rows]
        rows = compiled.rows(rows)
        if compiled.shape == "flat":
            return [row[0] for row in rows]
        if compiled.shape == "dicts":
            names = compiled.names
            return [dict(zip(names, row, strict=True)) for row in rows]
        if compiled.shape == "models":
            return compiled.builder.build(rows, compiled.alias)
        return list(rows)

    def _compiled_for(self, lengths: tuple[int, ...]) -> _Compiled:
        if self._alias is not None:
            compiled = _kept(connections[self._alias]).get((self, lengths))
            if compiled is not None:
                return compiled
        first = self.build(**self._standins(0, lengths))
        compiled = self._compile(first, lengths)
        if self.sliced:
            if first.query.is_sliced or first.query.combinator:
                raise PreparedError(f"{self._name}: a sliced query is sliced by the call")
            compiled = replace(compiled, sql=f"{compiled.sql} LIMIT %s OFFSET %s")
        self._alias = first.db
        kept = _kept(connections[first.db])
        if len(kept) >= _KEPT:
            kept.clear()  # lists of many lengths: keep the memory bounded
        kept[self, lengths] = compiled
        return compiled

    def _standins(self, which: int, lengths: tuple[int, ...]) -> dict:
        standins = {}
        lengths_left = iter(lengths)
        for number, (name, kind) in enumerate(self.kinds.items()):
            base = _INT_BASES[which] + number * 100
            if kind is int:
                standins[name] = base
            elif kind is dt.date:
                standins[name] = dt.date(2900 + which, 1 + which, 1 + number)
            elif kind is dt.datetime:
                standins[name] = dt.datetime(2900 + which, 1 + which, 1 + number, tzinfo=dt.UTC)
            elif kind is str or kind is PREFIX:
                standins[name] = f"{_STR_PREFIXES[which]}{number}"
            else:
                length = next(lengths_left)
                if length > _LIST_STEP:
                    raise PreparedError(f"{self._name}: {name} has more than {_LIST_STEP} values")
                start = _LIST_BASES[which] + number * _LIST_STEP
                standins[name] = [start + index for index in range(length)]
        return standins

    def _where(self, which: int, lengths: tuple[int, ...], connection) -> dict:
        """Each stand-in value of set ``which``, as the database is given it: the argument and
        index it stands for."""
        where = {}
        for name, value in self._standins(which, lengths).items():
            value = _as_passed(self.kinds[name], value, connection)
            if isinstance(value, list):
                where.update({(int, v): (name, index) for index, v in enumerate(value)})
            else:
                where[(type(value), value)] = (name, None)
        return where

    def _compile(self, first, lengths: tuple[int, ...]) -> _Compiled:
        shape, names = _shape(first)
        both = []
        for which, queryset in enumerate((first, self.build(**self._standins(1, lengths)))):
            compiler = queryset.query.get_compiler(queryset.db)
            try:
                sql, params = compiler.as_sql()
            except (EmptyResultSet, FullResultSet) as error:
                raise PreparedError(
                    f"{self._name}: the stand-in values change the query"
                ) from error
            where = self._where(which, lengths, compiler.connection)
            slots = tuple(_slot(where, p) for p in params)
            found = {slot[:2] for slot in slots if slot[0]}
            if found != set(where.values()):
                missing = sorted(str(name) for name, _ in set(where.values()) - found)
                raise PreparedError(
                    f"{self._name}: arguments {missing} are not passed to the database unchanged"
                )
            both.append((sql, slots, compiler))
        (sql, slots, compiler), (other_sql, other_slots, _) = both
        if sql != other_sql or slots != other_slots:
            raise PreparedError(f"{self._name}: the SQL depends on the argument values")
        builder = _ObjectBuilder.of(compiler, first.db) if shape == "models" else None
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = (
            None if compiler.has_composite_fields(fields) else compiler.get_converters(fields)
        )
        if compiler.connection.vendor == "postgresql":
            listed = [name for name, kind in self.kinds.items() if kind == _LIST]
            sql, slots = _lists_as_arrays(sql, slots, dict(zip(listed, lengths, strict=True)))
        return _Compiled(first.db, sql, slots, compiler, shape, names, builder, converters)


def rows_of(model, parent: str, *related: str) -> Prepared:
    """The rows of ``model`` that belong to one ``parent`` (the name of its foreign key), with
    their ``related`` objects, planned once: the same rows, in the same order, as the parent's
    related manager gives them (``inspection.members.select_related("inspector")``), which
    ``Prepared`` refuses. Called with the parent's id by the key's name:
    ``rows_of(InspectionMember, "inspection", "inspector")(inspection=7)``."""

    def rows(**value):
        found = model.objects.filter(**{f"{parent}_id": value[parent]})
        return found.select_related(*related) if related else found

    rows.__qualname__ = f"rows_of({model.__name__}, {parent})"
    return Prepared(rows, **{parent: int}, planned_once=True)


def planned_once_cursor(connection):
    """Django's cursor of ``connection`` whose queries PostgreSQL parses and plans once per
    connection (``_planned_once_cursor``), for SQL written by hand that finds rows by a key;
    Django's own cursor on SQLite or with ``DATABASE_PREPARED_STATEMENTS=false``."""
    cursor = connection.cursor()
    if _plans_kept(connection):
        cursor.cursor.close()
        cursor.cursor = _planned_once_cursor(connection)
    return cursor


def _plans_kept(connection) -> bool:
    return connection.vendor == "postgresql" and settings.SHUANGSUIJI_PREPARED_STATEMENTS


def _planned_once_cursor(connection):
    """A cursor of ``connection`` (PostgreSQL, psycopg 3) that sends each query as a prepared
    statement: PostgreSQL parses it once per connection and, after five runs, plans it once,
    as psycopg's ``prepare=True`` does.

    Planning is most of what a short query costs the database: reading an inspection with its
    target, task, draw and organisation plans in about 1 ms and runs in 0.2 ms. Django sends
    every query with its values written in (client-side binding), so PostgreSQL plans it anew
    each time. A plan made once is right only where the best plan does not depend on the
    values, so this is for queries that find rows by a key (``planned_once=True``): a primary
    key, or the foreign key of the rows that belong to one object. The cursor goes inside
    Django's own cursor wrapper, so the query is counted and logged as any other, with its
    values."""
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off (``prepare_threshold=None``), which
        # also ignores ``prepare=True``. Django's own cursors bind values on the client and
        # never prepare, whatever this says; a threshold no query reaches lets this cursor's
        # ``prepare=True`` through and prepares nothing by itself.
        raw.prepare_threshold = 2**31 - 1
    cursor = _planned_once_class()(raw)
    cursor.logged = connection.queries_logged
    return cursor


@functools.cache
def _planned_once_class() -> type:
    # Imported when first used: the PostgreSQL backend needs psycopg.
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg import ClientCursor

    class PlannedOnce(ServerBindingCursor):
        logged = False

        def execute(self, query, params=None, *, prepare=None, binary=None):
            result = super().execute(query, params, prepare=True, binary=binary)
            if self.logged:
                # Django logs ``cursor._query.query`` (the SQL with its values, as its own
                # cursors send it), which psycopg leaves empty for a prepared statement.
                self._query = _Sent(ClientCursor(self.connection).mogrify(query, params).encode())
            return result

    return PlannedOnce


@dataclass(frozen=True)
class _Sent:
    query: bytes


def _kept(connection) -> dict:
    """The queries compiled on ``connection`` (each thread has its own connection object; the
    SQL and the compiler belong to its backend). Kept on the object itself, so that they go
    with it: a cache outside holding the compilers would keep every finished thread's
    connection, and its open database session, alive."""
    return connection.__dict__.setdefault("shuangsuiji_prepared", {})


def _as_passed(kind, value, connection):
    """``value`` as the ORM passes it to the database."""
    if kind is dt.date:
        # DateField.get_db_prep_value: a day (a string on SQLite).
        return connection.ops.adapt_datefield_value(value)
    if kind is dt.datetime:
        # DateTimeField.get_db_prep_value, for an aware time (in UTC, a string on SQLite).
        return connection.ops.adapt_datetimefield_value(value)
    if kind is PREFIX:
        # The ``startswith`` lookup: the text, its LIKE wildcards escaped, then ``%``.
        return f"{connection.ops.prep_for_like_query(value)}%"
    return value


def _slot(where: dict, param) -> tuple[str, object, type | None]:
    """Which argument ``param`` stands for, and the type the backend wrapped it in."""
    plain = int if isinstance(param, int) and not isinstance(param, bool) else type(param)
    name, index = where.get((plain, param), ("", param))
    wrapped = type(param) if name and type(param) is not plain else None
    return name, index, wrapped


#: Django writes ``filter(pk__in=[…])`` as ``IN (%s, %s, …)``, a placeholder per value.
_IN_LIST = re.compile(r"IN \((%s(?:, %s)*)\)")
_PLACEHOLDER = re.compile(r"%%|%s")
#: A slot's index that stands for the whole list (an array parameter).
_WHOLE = "whole list"


def _lists_as_arrays(sql: str, slots: tuple, lengths: dict[str, int]) -> tuple[str, tuple]:
    """On PostgreSQL, each list argument's ``IN (%s, …, %s)`` as ``= ANY(%s)``, the list passed
    as one array: the same rows (the lists are of keys, never NULL). With a placeholder per
    value, psycopg parses the SQL afresh for every call (it keeps the parsing of statements of at
    most 50 parameters only): 0.2 ms of a hundred ids' query, three or four of them in a first
    view of a page of results (issue 21 §1). One SQL for every length also makes one prepared
    statement (``planned_once``) where there was one per length."""
    # Each placeholder's offset in the SQL → its parameter's number.
    placeholders = (m.start() for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s")
    position = {offset: number for number, offset in enumerate(placeholders)}
    if len(position) != len(slots):
        return sql, slots
    pieces, kept, done, end = [], [], 0, 0
    for match in _IN_LIST.finditer(sql):
        first = position[match.start(1)]
        count = (len(match.group(1)) + 2) // 4
        name = slots[first][0]
        whole = [(name, index, None) for index in range(lengths.get(name, -1))]
        if not name or list(slots[first : first + count]) != whole:
            continue  # constants, or not one whole list argument in its order
        pieces.append(sql[end : match.start()] + "= ANY(%s)")
        kept.extend(slots[done:first])
        kept.append((name, _WHOLE, None))
        done, end = first + count, match.end()
    if not pieces:
        return sql, slots
    return "".join(pieces) + sql[end:], (*kept, *slots[done:])


def _param(values: dict, name: str, index, wrapped: type | None):
    if not name:
        return index  # a constant of the query
    if index is _WHOLE:
        return values[name]
    value = values[name] if index is None else values[name][index]
    return wrapped(value) if wrapped is not None else value


def _shape(queryset) -> tuple[str, tuple[str, ...]]:
    iterable = queryset._iterable_class
    if iterable is FlatValuesListIterable:
        return "flat", ()
    if iterable is ValuesListIterable:
        return "tuples", ()
    if iterable is ValuesIterable:
        query = queryset.query
        return "dicts", (*query.extra_select, *query.values_select, *query.annotation_select)
    if iterable is ModelIterable:
        # Both would need the objects of another query, which a compiled query does not have.
        if queryset._prefetch_related_lookups:
            raise PreparedError("a query with prefetch_related cannot be prepared")
        if queryset._known_related_objects:
            raise PreparedError(
                "a related manager's query cannot be prepared: filter the model by the key"
            )
        return "models", ()
    raise PreparedError("only values(), values_list() and model queries can be prepared")
