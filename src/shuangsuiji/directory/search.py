"""单位名称查询 that works for Chinese (issue 21 §2): a fragment of a target's name, of any
length, found through an index.

Chinese has no spaces between words, so a name is indexed by its characters and pairs of
characters ("grams"): 遵化市钢铁 → 遵 化 市 钢 铁 遵化 化市 市钢 钢铁. A query of one character
needs its character among a name's grams, a longer one all its pairs. That narrows the names to
a few candidates through the index; ``icontains`` then decides exactly, so the results are those
``name__icontains`` always gave. pg_trgm, the index before, needs three characters: a search for
两 characters read all 500,000 targets of a province (6 s at the 95th percentile).

The grams come from the database's own ``UPPER`` of the name on both sides, the same function
``icontains`` compares with, so a name ``icontains`` finds always has the query's grams: no
normalisation of our own could disagree with it (NFKC would: it joins ``e`` and a combining
accent into ``é``, and ``e`` would no longer be among the grams of a name that contains it).

- PostgreSQL: a GIN index on ``shuangsuiji_name_grams(upper(name))``, an immutable SQL function;
  the query's grams are constants the planner computes once. The index follows every write
  (COPY of the import included) with no code in the write paths.
- SQLite: an FTS5 table ``directory_target_grams`` keyed by the target's id, filled by triggers
  on ``directory_target`` from SQL alone. A gram is stored as the hex of its UTF-8 bytes, one
  plain token each, so no FTS tokenizer can split or drop a character (punctuation, spaces).

Django rebuilds an SQLite table to alter most columns, and dropping the old table drops its
triggers: ``search_index_repair`` (after every ``migrate``) puts them back and refills the table.
"""

from __future__ import annotations

import string

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F, Q, QuerySet

#: SQLite's ``UPPER`` (and the case-insensitivity of its ``LIKE``) is ASCII-only.
ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)

TABLE = "directory_target"
FTS_TABLE = "directory_target_grams"
PG_INDEX = "target_name_grams"

PG_FUNCTIONS = (
    # Every character and every pair of neighbouring characters of a (folded) name.
    """
    CREATE OR REPLACE FUNCTION shuangsuiji_name_grams(name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT ARRAY(
        SELECT substr(name, i, 1) FROM generate_series(1, length(name)) AS i
        UNION ALL
        SELECT substr(name, i, 2) FROM generate_series(1, length(name) - 1) AS i
      )
    $$
    """,
    # What a name containing the query must have: its character, or all its pairs.
    """
    CREATE OR REPLACE FUNCTION shuangsuiji_query_grams(query text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT CASE WHEN length(query) < 2 THEN ARRAY[query] ELSE ARRAY(
        SELECT substr(query, i, 2) FROM generate_series(1, length(query) - 1) AS i
      ) END
    $$
    """,
)


def _sqlite_grams(name: str) -> str:
    """SQL for the grams of the text ``name`` as hex tokens. Triggers may not use WITH, so the
    positions 0…length-1 come from ``json_each`` over an array of that many zeros."""
    upper = f"upper({name})"
    positions = f"'[' || substr(replace(hex(zeroblob(length({name}))), '00', ',0'), 2) || ']'"
    return (
        f"(SELECT group_concat(hex(substr({upper}, p.key + 1, 1)) || ' ' || "
        f"hex(substr({upper}, p.key + 1, 2)), ' ') FROM json_each({positions}) AS p)"
    )


SQLITE_TABLE = f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(grams, detail=none, columnsize=0)"
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"""
        CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {TABLE} BEGIN
          INSERT INTO {FTS_TABLE}(rowid, grams) VALUES (new.id, {_sqlite_grams("new.name")});
        END""",
    f"{FTS_TABLE}_update": f"""
        CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF name ON {TABLE}
        WHEN old.name IS NOT new.name BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
          INSERT INTO {FTS_TABLE}(rowid, grams) VALUES (new.id, {_sqlite_grams("new.name")});
        END""",
    # Targets are never deleted by the application; a test database's flush deletes them.
    f"{FTS_TABLE}_delete": f"""
        CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {TABLE} BEGIN
          DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
}
SQLITE_FILL = (
    f"INSERT INTO {FTS_TABLE}(rowid, grams) SELECT id, {_sqlite_grams('name')} FROM {TABLE}"
)


def query_grams(folded: str) -> list[str]:
    """The grams a name containing ``folded`` (a query in upper case) has: its one character,
    or each pair of characters once (``shuangsuiji_query_grams`` on PostgreSQL)."""
    if len(folded) < 2:
        return [folded]
    return list(dict.fromkeys(folded[i : i + 2] for i in range(len(folded) - 1)))


def fts_match(query: str) -> str:
    """The FTS5 query for ``query``: every gram's token, each quoted (all must be present)."""
    grams = query_grams(query.translate(ASCII_UPPER))
    return " ".join(f'"{gram.encode().hex()}"' for gram in grams)


class NameHasGrams(Expression):
    """True for the targets whose name contains the query, in any letter case, as
    ``name__icontains``: the index narrows the names to those with the query's grams (a few
    have them in another order), and the exact test decides."""

    output_field = BooleanField()

    def __init__(self, query: str, *, indexed: bool = True):
        super().__init__()
        self.query = query
        # ``indexed=False`` (PostgreSQL): the exact test alone, for a query that walks the
        # names in order instead (disclosure.selectors.enterprise_rows).
        self.indexed = indexed
        self.pk, self.name = F("pk"), F("name")

    def get_source_expressions(self):
        return [self.pk, self.name]

    def set_source_expressions(self, exprs):
        self.pk, self.name = exprs

    def as_postgresql(self, compiler, connection):
        # The grams written as the index is, for the planner to match it; then the exact test,
        # as strpos and not LIKE: a LIKE '%…%' would offer the planner the trigram index
        # (target_name_trgm), which cannot narrow a query under three characters and was
        # chosen over this one on a table it had statistics for.
        name, params = compiler.compile(self.name)
        exact = f"strpos(UPPER({name}), UPPER(%s)) > 0"
        if not self.indexed:
            return exact, (*params, self.query)
        grams = f"shuangsuiji_name_grams(UPPER({name})) @> shuangsuiji_query_grams(UPPER(%s))"
        sql = f"({grams} AND {exact})"
        return sql, (*params, self.query, *params, self.query)

    def as_sqlite(self, compiler, connection):
        # SQLite has no trigram index: the exact test is icontains' own LIKE.
        pk, pk_params = compiler.compile(self.pk)
        name, name_params = compiler.compile(self.name)
        sql = (
            f"({pk} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "
            f"AND {name} LIKE %s ESCAPE '\\')"
        )
        pattern = f"%{connection.ops.prep_for_like_query(self.query)}%"
        return sql, (*pk_params, fts_match(self.query), *name_params, pattern)

    def as_sql(self, compiler, connection):
        vendor = connection.vendor
        raise NotSupportedError(f"单位名称查询只支持 PostgreSQL 和 SQLite，不支持 {vendor}。")


def name_contains(query: str, *, indexed: bool = True) -> Q:
    """``name__icontains=query`` through the index (``Q()`` for an empty query), to combine
    with other conditions, e.g. ``| Q(credit_code=…)``. ``indexed=False``: not narrowed by the
    index on PostgreSQL (for a query that walks the names in order and stops early)."""
    if not query:
        return Q()
    return Q(NameHasGrams(query, indexed=indexed))


def targets_matching(targets: QuerySet, query: str, *, indexed: bool = True) -> QuerySet:
    """The ``targets`` whose name contains ``query``, in any letter case: 企业查询 and the
    public 检查对象名录库 search; ``indexed`` as ``name_contains``."""
    return targets.filter(name_contains(query, indexed=indexed))


# ---- the index, created by migration directory/0008 -------------------------------------------


def search_index_create(connection) -> None:
    """Create the index and fill it from the targets already there (one statement each: the
    database reads the names, nothing is held in Python)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for function in PG_FUNCTIONS:
                cursor.execute(function)
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {TABLE} "
                "USING gin (shuangsuiji_name_grams(upper(name)))"
            )
        elif connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for trigger in SQLITE_TRIGGERS.values():
                cursor.execute(trigger)
            cursor.execute(SQLITE_FILL)


def search_index_drop(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute("DROP FUNCTION IF EXISTS shuangsuiji_name_grams(text)")
            cursor.execute("DROP FUNCTION IF EXISTS shuangsuiji_query_grams(text)")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def search_index_repair(connection) -> bool:
    """On SQLite, put back the triggers a rebuild of ``directory_target`` dropped and refill the
    table (names written meanwhile were not indexed). Nothing to do on PostgreSQL, whose
    indexes survive ``ALTER TABLE``, or before migration 0008 (no FTS table). True if repaired."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = %s OR (type = 'trigger' AND name IN "
            f"({', '.join(['%s'] * len(SQLITE_TRIGGERS))}))",
            [FTS_TABLE, *SQLITE_TRIGGERS],
        )
        present = {row[0] for row in cursor.fetchall()}
        if FTS_TABLE not in present or present >= set(SQLITE_TRIGGERS):
            return False
        for name, trigger in SQLITE_TRIGGERS.items():
            if name not in present:
                cursor.execute(trigger)
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(SQLITE_FILL)
    return True


def repair_after_migrate(sender, using, **kwargs) -> None:
    """``post_migrate`` receiver (``DirectoryConfig.ready``)."""
    from django.db import connections

    search_index_repair(connections[using])
