"""Keep PostgreSQL's autovacuum away from the tables while a module's long transaction fills them.

A module that builds the demo does it in one transaction that it rolls back at the end. While the
transaction is open, an autovacuum ``ANALYZE`` of a table it filled counts none of its rows (they
are not committed), and records that the table's pages hold no rows: the planner then takes
tables of thousands of rows for empty ones and picks nested loops over sequential scans. The
rolled-back rows of one module's demo are what set autovacuum off on the next module's, so a
second demo build in a run took four times as long as the first (325 s instead of 78 s), and
every read of it was slow too.

Autovacuum skips a table it cannot lock at once, and its lock (SHARE UPDATE EXCLUSIVE) conflicts
with itself only, among the locks that reads and writes take: holding it on every table for the
transaction keeps autovacuum out and changes nothing else. The lock ends with the transaction.
"""

from __future__ import annotations

from django.db import connection


def hold_off_autovacuum() -> None:
    """Inside a transaction on PostgreSQL, lock every table against autovacuum until it ends."""
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "the lock is held only until the transaction ends"
    tables = connection.introspection.table_names(include_views=False)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"LOCK TABLE {', '.join(quote(t) for t in tables)} IN SHARE UPDATE EXCLUSIVE MODE"
        )


def analyze_tables() -> None:
    """Inside the module's transaction on PostgreSQL, give the planner the demo's real sizes.

    The tables' statistics are what autovacuum last saw: often empty, taken between two modules'
    rolled-back transactions, and the lock above keeps them so. With a table of thousands of
    rows taken for an empty one, the read-only crawl's grouped counts ran as nested loops of
    seconds each. ``ANALYZE`` in the same transaction counts the rows it inserted; its
    statistics are rolled back with everything else at the end of the module."""
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "the statistics are the transaction's own"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
