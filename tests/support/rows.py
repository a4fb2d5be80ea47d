"""Row counts of every table: how tests prove that a read wrote nothing."""

from __future__ import annotations

from django.db import connection


def row_counts() -> dict[str, int]:
    """Rows of every table of the database, in one query."""
    tables = sorted(connection.introspection.table_names(include_views=False))
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _write_marks() -> dict[str, object]:
    """Per table, a mark every write moves: on PostgreSQL the rows inserted, updated and deleted
    so far in this transaction, those of savepoints rolled back included (the statistics count
    attempted writes); on SQLite, which keeps no such numbers, the rows (``row_counts``)."""
    if connection.vendor != "postgresql":
        return row_counts()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE schemaname = current_schema()"
        )
        return {table: tuple(moved) for table, *moved in cursor.fetchall()}


class WriteWatch:
    """What was written since the watch last looked, each look a read of one catalog view on
    PostgreSQL: counting every table's rows took 31 ms a look on the demo, half of the crawl of
    every page (tests/demo_nov/test_reads_never_write.py) in the PostgreSQL pass. There it sees
    any insert, update or delete, even one undone within the look; on SQLite, rows added or
    removed. Looks are taken in a savepoint that is then rolled back: SQLite's counts go back
    to where they were, PostgreSQL's keep growing and are taken as the new start."""

    def __init__(self) -> None:
        self.mark = _write_marks()

    def written(self) -> dict[str, tuple]:
        """The tables written since the last look: table → (before, after)."""
        now = _write_marks()
        moved = {
            table: (self.mark.get(table), now.get(table))
            for table in self.mark.keys() | now.keys()
            if self.mark.get(table) != now.get(table)
        }
        if connection.vendor == "postgresql":
            self.mark = now
        return moved
