"""The public version: a number the database raises whenever a row the public can see changes,
so a cached public page is keyed by the data behind it and can never be older than it (issue 21
§1, “caching that cannot leak or go stale”).

Why triggers, not our own code: a public page reads some twenty tables, written by services, by
``QuerySet.update`` (which sends no signal), by COPY in the province loader and by hand in an
emergency. Triggers see every one of those writes; a list of places in Python that must remember
to say “changed” would go stale the first time one forgets.

``disclosure_publicversion`` holds one counter per organisation, and row 0 for changes that are
not one organisation's (the list of organisations, calendars, a task's partner departments):

- a page of one organisation is keyed by its counter and row 0's (two rows, one query);
- a page across organisations (the portal's index, 企业查询, the API without ``organisation``) by
  the sum of all counters, which grows with every committed change anywhere. Counters only ever
  rise, so two changes cannot cancel out; the sum is read in one statement, so it is consistent.

A row's organisation is the one whose public pages show it (``ORGANISATION_OF``): a partner
department's part of a joint check is shown on the lead bureau's results, so it raises the
bureau's counter through its inspection, not the department's own. A table not listed there
raises row 0, which every key includes: an unlisted table costs more invalidation, never a stale
page. Every table of the project is versioned except those in ``NOT_PUBLIC``, and a test crawls
the whole portal and API and fails if any page reads one of them.

Each counter row keeps two numbers. ``counter`` rises with every change, and keys the staff's
caches (the dashboard, the statistics, a coordinator's to-dos). ``public`` rises with every change
the public could see, and keys the public pages: on PostgreSQL a write of an inspection (or of a
row of one) whose draw's list is still secret and whose result is unpublished raises ``counter``
alone (``SEEN``). Nothing public may show such an inspection before reveal (the
confidentiality rule), and a province's inspectors record results all day, each of which would
otherwise make every province-wide public page cold (issue 21 §1). The reveal raises ``public``
through its draw row. The trigger reads the draw's status under ``FOR SHARE SKIP LOCKED``: a
draw being revealed (locked by the reveal) reads as not secret, so the write raises ``public``
too, and a reveal that comes later waits for the write's transaction to end, then raises
``public`` itself. The trigger never waits for the lock, and it takes it in the statement that
locks the organisation's counter row, which anyone writing the draw must lock as well: no new
order of locks, so no new deadlock.

Each counter row also keeps ``registers``, raised only by writes of ``REGISTER_TABLES``: the
rows a register's classification and quotas are computed from. The dashboard keeps an
organisation's classified register under it (with row 0's ``counter``), so an inspection
recorded keeps it and a unit added to the register does not.

On PostgreSQL the triggers of an inspection and of the rows of one (``LOGGED``) also write which
inspections each raise of ``counter`` was about (``models.InspectionChange``), in the statement
that raises it: the staff's reports keep an organisation's year of inspections in memory and
read again only those (``reports.statistics.year_records``, ``inspection_changes``).

On PostgreSQL the triggers run once per statement over its transition table (a COPY of 500,000
targets raises the counter once, not 500,000 times); on SQLite once per row, the only kind it
has. The counter row is locked until the writing transaction ends, so two writers of the same
organisation's public rows take turns; writers of different organisations never wait on each
other. Django rebuilds an SQLite table to alter a column, dropping its triggers:
``triggers_install`` runs after every ``migrate`` (disclosure/apps.py) and is idempotent.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import connection
from django.db.models import Q, QuerySet

from shuangsuiji.planning.models import Draw
from shuangsuiji.prepared import Prepared, planned_once_cursor

TABLE = "disclosure_publicversion"
#: The counter of changes that are not one organisation's.
EVERYONE = 0
PREFIX = "shuangsuiji_pv_"

OWN = "{row}.organisation_id"
BY_INSPECTION = (
    "(SELECT i.organisation_id FROM inspections_inspection i WHERE i.id = {row}.inspection_id)"
)
BY_DRAW = "(SELECT d.organisation_id FROM planning_draw d WHERE d.id = {row}.draw_id)"
BY_PLAN = "(SELECT p.organisation_id FROM planning_annualplan p WHERE p.id = {row}.plan_id)"

#: The tables whose rows belong to one inspection, found through its ``inspection_id``.
OF_AN_INSPECTION = (
    "inspections_inspection_items",
    "inspections_inspectionmember",
    "inspections_inspectionpart",
    "inspections_inspectionassistant",
    "inspections_itemcheck",
    "inspections_attachment",
    "inspections_revisit",
)

#: The organisation whose public pages show a row of the table, as SQL over the row ``{row}``.
ORGANISATION_OF: dict[str, str] = {
    **dict.fromkeys(
        (
            "directory_target",
            "directory_inspector",
            "directory_inspectionitem",
            "directory_regulatoryevent",
            "directory_jointitem",
            "planning_organisationpolicy",
            "planning_organisationsettings",
            # NULL (a province-wide override) raises row 0.
            "planning_workdayoverride",
            "bureau_plandocument",
            "planning_annualplan",
            "planning_samplingtask",
            "planning_conflictofinterest",
            "planning_draw",
            "planning_jointparticipation",
            "inspections_inspection",
            "inspections_followup",  # its inspection's organisation, copied onto the row
        ),
        OWN,
    ),
    # The lead bureau's results show a partner's part, not the department's own pages.
    **dict.fromkeys(OF_AN_INSPECTION, BY_INSPECTION),
    **dict.fromkeys(
        ("planning_drawsource", "planning_substitution", "planning_manualassignment"), BY_DRAW
    ),
    **dict.fromkeys(("planning_planrevision", "planning_planreview"), BY_PLAN),
}

#: The tables a register's classification and quotas read (``reports.facts.Facts.classified``):
#: the units, the events that move them between classes, the inspectors a per-inspector quota
#: counts and the bureau's adopted policy. Each is its organisation's own (``OWN``); the
#: policy's adjustments and the organisations' chosen presets raise row 0, in every key.
REGISTER_TABLES = frozenset(
    (
        "directory_target",
        "directory_regulatoryevent",
        "directory_inspector",
        "planning_organisationpolicy",
    )
)

#: Whether an inspection ``{row}`` may be seen by the public, as SQL: its result published, or
#: no draw behind it, or its draw's list public (``Draw.LIST_PUBLIC``, as
#: ``inspections.models.ON_SECRET_LIST`` reads it). A draw row locked by another transaction (a
#: reveal under way) is skipped, reads as no draw, and so as seen: the write then raises
#: ``public`` rather than wait (module docstring).
INSPECTION_SEEN = (
    "CASE WHEN {row}.published_at IS NOT NULL OR {row}.draw_id IS NULL THEN true "
    "ELSE COALESCE((SELECT d.status FROM planning_draw d WHERE d.id = {row}.draw_id "
    "FOR SHARE SKIP LOCKED) IN ("
    + ", ".join(f"'{status}'" for status in Draw.LIST_PUBLIC)
    + "), true) END"
)
#: The tables whose changes the public cannot see while the inspection they belong to is
#: hidden, with whether a row is seen as SQL over ``{row}`` (on PostgreSQL; SQLite raises
#: ``public`` with every change). A row whose inspection is gone is seen.
SEEN: dict[str, str] = {
    "inspections_inspection": INSPECTION_SEEN,
    **dict.fromkeys(
        ("inspections_followup", *OF_AN_INSPECTION),
        "COALESCE((SELECT "
        + INSPECTION_SEEN.format(row="i")
        + " FROM inspections_inspection i WHERE i.id = {row}.inspection_id), true)",
    ),
}

#: The tables whose writes are logged with the inspection they were about
#: (``disclosure.models.InspectionChange``, on PostgreSQL), with that inspection's id as SQL
#: over ``{row}``: an inspection and the rows of one. A statement that changes more than
#: ``LOGGED_AT_MOST`` inspections of an organisation (a load, a bulk correction) logs none of
#: them, and a reader behind it reads the whole year again.
LOGGED: dict[str, str] = {
    "inspections_inspection": "{row}.id",
    **dict.fromkeys(("inspections_followup", *OF_AN_INSPECTION), "{row}.inspection_id"),
}
CHANGE_TABLE = "disclosure_inspectionchange"
LOGGED_AT_MOST = 500
#: How many of its newest counters an organisation's log keeps: pruned by the writer whose
#: counter is a multiple of ``PRUNED_EVERY``, so the log of a busy county stays a few thousand
#: rows. A report kept from further back than this reads its year again.
CHANGES_KEPT = 2048
PRUNED_EVERY = 64

#: Tables no public page or API answer reads (the crawl in tests/disclosure/test_public_cache.py
#: proves it): staff work, accounts, the audit log, history. Writing them keeps cached pages.
NOT_PUBLIC = (
    re.compile(r".*_historical.*"),  # django-simple-history's copies
    re.compile(r"accounts_user.*"),
    re.compile(r"audit_.*"),
    re.compile(r"reports_.*"),
    re.compile(r"disclosure_.*"),  # exchange batches, and the version table itself
    re.compile(r"directory_importbatch"),
    re.compile(r"directory_exportjob"),  # staff exports, never on a public page
    re.compile(r"directory_taskworker"),  # workers' heartbeats, every few seconds
)


def versioned_tables() -> dict[str, str]:
    """Every table of the project a public page may read → its organisation as SQL."""
    tables = {}
    project = {c.label for c in apps.get_app_configs() if c.name.startswith("shuangsuiji.")}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in project or model._meta.proxy or not model._meta.managed:
            continue
        table = model._meta.db_table
        if any(pattern.fullmatch(table) for pattern in NOT_PUBLIC):
            continue
        tables[table] = ORGANISATION_OF.get(table, str(EVERYONE))
    return dict(sorted(tables.items()))


# -- the triggers -----------------------------------------------------------------------------


def _raise(registers: bool, public: str | None = "1") -> tuple[str, str, str]:
    """The columns an insert names, their values after the organisation, and the update.
    ``public``: what the insert gives ``public`` (1, or 0 for a change the public cannot see),
    which the update adds; None where the table has no such column (migrated back before
    disclosure 0005)."""
    columns = ["organisation_id", "counter"]
    values = ["1"]
    update = [f"counter = {TABLE}.counter + 1"]
    if public is not None:
        columns.append("public")
        values.append(public)
        update.append(f"public = {TABLE}.public + EXCLUDED.public")
    if registers:
        columns.append("registers")
        values.append("1")
        update.append(f"registers = {TABLE}.registers + 1")
    return ", ".join(columns), ", ".join(values), ", ".join(update)


def _bump_sqlite(expression: str, registers: bool = False, public: bool = True) -> str:
    columns, values, update = _raise(registers, "1" if public else None)
    return (
        f"INSERT INTO {TABLE} ({columns}) VALUES (COALESCE({expression}, 0), {values}) "
        f"ON CONFLICT (organisation_id) DO UPDATE SET {update};"
    )


def _sqlite_statements(
    table: str, organisation: str, registers: bool, public: bool = True
) -> list[str]:
    if organisation != OWN:
        # SQLite checks every trigger's SQL when Django renames a table it rebuilds: a trigger
        # that read inspections_inspection would stop a later migration of that table. Rows
        # found through another table raise row 0 here (the embedded default serves a county
        # or two: the finer key matters on PostgreSQL).
        organisation = str(EVERYONE)
    statements = []
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("NEW", "OLD")), ("DELETE", ("OLD",))):
        name = f"{PREFIX}{table}_{event.lower()}"
        body = " ".join(
            _bump_sqlite(organisation.format(row=row), registers, public) for row in rows
        )
        if event == "UPDATE" and organisation == str(EVERYONE):
            body = _bump_sqlite(str(EVERYONE), public=public)
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END",
        ]
    return statements


def _bump_postgresql(select: str, registers: bool = False, public: bool = True) -> str:
    """``select`` gives ``organisation`` and ``seen`` per changed row: ``public`` rises by one
    for an organisation any of whose changed rows the public can see."""
    columns, values, update = _raise(registers, "MAX(seen::int)" if public else None)
    # Counters in a fixed order, so two statements raising the same ones cannot deadlock.
    return (
        f"INSERT INTO {TABLE} ({columns}) "
        f"SELECT organisation, {values} FROM ({select}) AS changed "
        f"GROUP BY organisation ORDER BY organisation "
        f"ON CONFLICT (organisation_id) DO UPDATE SET {update};"
    )


def _log_postgresql(table: str, organisation: str, rows: tuple[str, ...]) -> str:
    """The statement logging which inspections a trigger's statement changed, under the counter
    the bump before it raised (``InspectionChange``); pruning the log on every
    ``PRUNED_EVERY``-th counter of an organisation."""
    inspection = LOGGED[table].format(row="r")
    changed = " UNION ALL ".join(
        f"SELECT COALESCE({organisation.format(row='r')}, 0) AS organisation, "
        f"{inspection} AS inspection FROM {rows} r"
        for rows in rows
    )
    # Row 0 (inspections gone) is not logged: a reader reads its year again on any change of
    # row 0.
    return (
        f"WITH changed AS (SELECT DISTINCT organisation, inspection FROM ({changed}) AS c "
        f"WHERE organisation <> {EVERYONE}), "
        f"few AS (SELECT organisation FROM changed GROUP BY organisation "
        f"HAVING COUNT(*) <= {LOGGED_AT_MOST}), "
        f"logged AS (INSERT INTO {CHANGE_TABLE} (organisation_id, counter, inspection_id) "
        f"SELECT c.organisation, v.counter, c.inspection FROM changed c "
        f"JOIN few USING (organisation) "
        f"JOIN {TABLE} v ON v.organisation_id = c.organisation "
        f"RETURNING organisation_id, counter) "
        f"DELETE FROM {CHANGE_TABLE} l USING (SELECT DISTINCT organisation_id, counter "
        f"FROM logged WHERE counter % {PRUNED_EVERY} = 0) p "
        f"WHERE l.organisation_id = p.organisation_id AND l.counter <= p.counter - {CHANGES_KEPT};"
    )


def _postgresql_statements(
    table: str, organisation: str, registers: bool, public: bool = True, logged: bool = False
) -> list[str]:
    function = f"{PREFIX}{table}"[:63]
    everyone_row = f"SELECT {EVERYONE} AS organisation, true AS seen"
    if organisation == str(EVERYONE):
        body = _bump_postgresql(everyone_row, public=public)
        return [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {body} RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {PREFIX}changed ON {table}",
            f"CREATE TRIGGER {PREFIX}changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    statements = []
    # A trigger with transition tables fires for one event only (PostgreSQL's rule).
    for event, rows in (
        ("INSERT", ("new_rows",)),
        ("UPDATE", ("new_rows", "old_rows")),
        ("DELETE", ("old_rows",)),
    ):
        seen = SEEN.get(table, "true").format(row="r")
        selects = " UNION ALL ".join(
            f"SELECT COALESCE({organisation.format(row='r')}, 0) AS organisation, {seen} AS seen "
            f"FROM {rows} r"
            for rows in rows
        )
        name = f"{function}_{event.lower()}"[:63]
        referencing = " ".join(
            f"{'NEW' if rows == 'new_rows' else 'OLD'} TABLE AS {rows}" for rows in rows
        )
        body = _bump_postgresql(selects, registers, public)
        if logged and table in LOGGED:
            body += " " + _log_postgresql(table, organisation, rows)
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {body} RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {PREFIX}{event.lower()} ON {table}",
            f"CREATE TRIGGER {PREFIX}{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    everyone = f"{function}_truncate"[:63]
    return [
        *statements,
        f"CREATE OR REPLACE FUNCTION {everyone}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {_bump_postgresql(everyone_row, public=public)} RETURN NULL; "
        "END $$",
        f"DROP TRIGGER IF EXISTS {PREFIX}truncate ON {table}",
        f"CREATE TRIGGER {PREFIX}truncate AFTER TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {everyone}()",
    ]


def triggers_install(using_connection=None) -> None:
    """Create (or re-create) the triggers on every versioned table that exists."""
    conn = using_connection or connection
    existing = set(conn.introspection.table_names())
    if TABLE not in existing:
        return  # before disclosure's first migration
    build = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}[conn.vendor]
    with conn.cursor() as cursor:
        columns = {c.name for c in conn.introspection.get_table_description(cursor, TABLE)}
        # Migrated back before disclosure 0004 (0005), the table has no ``registers``
        # (``public``) to raise.
        registers = REGISTER_TABLES if "registers" in columns else frozenset()
        public = "public" in columns
        # Migrated back before disclosure 0006, there is no log to write.
        logged = {"logged": CHANGE_TABLE in existing} if conn.vendor == "postgresql" else {}
        for table, organisation in versioned_tables().items():
            if table in existing:
                for statement in build(table, organisation, table in registers, public, **logged):
                    cursor.execute(statement)


def triggers_drop(conn) -> None:
    """Remove every version trigger (before the version table itself goes)."""
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{PREFIX}%"],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            cursor.execute(
                "SELECT DISTINCT p.oid::regprocedure FROM pg_proc p WHERE p.proname LIKE %s",
                [f"{PREFIX}%"],
            )
            for (function,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def installed_triggers(using_connection=None) -> set[str]:
    """The tables that carry a version trigger now (for the tests and ``check``)."""
    conn = using_connection or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [f"{PREFIX}%"],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE %s",
                [f"{PREFIX}%"],
            )
        return {row[0] for row in cursor.fetchall()}


# -- reading the version -------------------------------------------------------------------------


def organisation_version(code: str, column: str = "public") -> str:
    """The key of everything public about the organisation ``code``: its counter and row 0's.
    An unknown code has a key too (its 404 page may be cached like any other). ``column``
    ``"counter"`` keys a staff page, which sees every change (module docstring)."""
    if column not in ("public", "counter"):
        raise ValueError(column)
    # Read by every public request, a cached page's too: planned once per connection.
    with planned_once_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT v.organisation_id, v.{column} FROM {TABLE} v "
            f"WHERE v.organisation_id = {EVERYONE} OR v.organisation_id = "
            "(SELECT o.id FROM accounts_organisation o WHERE o.code = %s)",
            [code],
        )
        counters = dict(cursor.fetchall())
    everyone = counters.pop(EVERYONE, 0)
    own = next(iter(counters.values()), 0)
    return f"{everyone}.{own}"


def lineage_version(path: str) -> str:
    """The key of what a user of the organisation at ``path`` reads of it and of every one
    below it (``readable_by``: a 分局 and the partner departments registered under it): the
    sum of their ``counter`` and row 0's, which grows with every change of any of their rows."""
    with planned_once_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(v.counter), 0) FROM {TABLE} v "
            f"WHERE v.organisation_id = {EVERYONE} OR v.organisation_id IN "
            "(SELECT o.id FROM accounts_organisation o WHERE o.path LIKE %s)",
            [f"{path}%"],  # a path is digits and slashes: nothing to escape
        )
        (total,) = cursor.fetchone()
    return str(total)


def enterprise_version(credit_code: str) -> str:
    """The key of an enterprise's public page: row 0 and the counter of every organisation
    whose rows the page shows — the registers that hold the credit code, the inspections of
    those targets and their draws, tasks and items (the follow-ups, parts and other rows found
    through an inspection raise the inspection's organisation, ORGANISATION_OF). A row of a new
    organisation (a city's draw of the enterprise) adds that organisation to the key, so the
    key changes with it."""
    targets = "SELECT id FROM directory_target WHERE credit_code = %s"
    inspections = f"SELECT {{}} FROM inspections_inspection WHERE target_id IN ({targets})"
    organisations = " UNION ".join(
        (
            "SELECT organisation_id FROM directory_target WHERE credit_code = %s",
            inspections.format("organisation_id"),
            "SELECT organisation_id FROM planning_draw "
            f"WHERE id IN ({inspections.format('draw_id')})",
            "SELECT organisation_id FROM planning_samplingtask "
            f"WHERE id IN ({inspections.format('task_id')})",
            "SELECT organisation_id FROM directory_inspectionitem WHERE id IN "
            "(SELECT inspectionitem_id FROM inspections_inspection_items "
            f"WHERE inspection_id IN ({inspections.format('id')}))",
        )
    )
    # Planned once per connection: planning this query cost PostgreSQL three times what
    # running it did (1.3 against 0.4 ms), on every view of an enterprise's page, cached or not.
    with planned_once_cursor(connection) as cursor:
        # Plain subqueries rather than a WITH: the crawl of the public pages reads the table
        # names of every query (tests/demo_nov/test_reads_never_write.py).
        cursor.execute(
            f"SELECT v.organisation_id, v.public FROM {TABLE} v WHERE v.organisation_id = "
            f"{EVERYONE} OR v.organisation_id IN ({organisations}) ORDER BY v.organisation_id",
            [credit_code] * 5,
        )
        return ".".join(f"{organisation}-{counter}" for organisation, counter in cursor.fetchall())


def organisations_rows(organisations) -> QuerySet:
    """The counter rows of ``organisations`` (ids, or a query of them) and row 0, for a key
    over several organisations (the reports' pages): their sum changes whenever any row of
    theirs, or of no one organisation, changes."""
    from shuangsuiji.disclosure.models import PublicVersion

    return PublicVersion.objects.filter(
        Q(organisation_id=EVERYONE) | Q(organisation_id__in=organisations)
    )


def register_versions(organisations: list[int]) -> dict[int, int]:
    """The register version of each of ``organisations`` (ids) that has one, and row 0's whole
    counter (key 0): what an organisation's classified register is kept under
    (``REGISTER_TABLES``). One query, compiled once: a board reads it on every recompute."""
    rows = _REGISTER_ROWS(organisations=sorted(organisations))
    return {pk: counter if pk == EVERYONE else registers for pk, counter, registers in rows}


_REGISTER_ROWS = Prepared(
    lambda organisations: (
        organisations_rows(organisations)
        .order_by()
        .values_list("organisation_id", "counter", "registers")
    ),
    organisations=list,
)


def registers_version() -> str:
    """The key of a page made of every organisation's register and nothing else (企业查询):
    the sum of the register versions and row 0's counter. Inspections recorded all day at a
    province leave it; a unit registered or renamed anywhere changes it."""
    with planned_once_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(registers), 0), "
            f"COALESCE(SUM(CASE WHEN organisation_id = {EVERYONE} THEN counter END), 0) "
            f"FROM {TABLE}"
        )
        registers, everyone = cursor.fetchone()
    return f"{registers}.{everyone}"


def everything_version() -> str:
    """The key of a page across organisations: the sum of every public counter."""
    with planned_once_cursor(connection) as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(public), 0) FROM {TABLE}")
        (total,) = cursor.fetchone()
    return str(total)


def changes_logged(using_connection=None) -> bool:
    """Whether the database logs which inspections its counters rose for (PostgreSQL). SQLite's
    triggers cannot find a row's inspection's organisation (``_sqlite_statements``), and the
    embedded default serves a county or two, whose year is read whole."""
    return (using_connection or connection).vendor == "postgresql"


def inspection_changes(
    since: dict[int, int | None],
) -> tuple[dict[int, tuple[int, str]], dict[int, dict[int, set[int]]]]:
    """Where the counters of ``since``'s organisations (and row 0's) stand, and, for each with a
    counter given, the inspections logged for every counter above it (``InspectionChange``),
    on PostgreSQL: ``{organisation: (counter, stamp)}, {organisation: {counter: inspection
    ids}}``. A counter risen by a write that logged nothing (a target, a task, a bulk write) has
    no entry: the caller then reads the organisation's rows afresh. The stamp is the counter
    row's ``xmin``, the transaction that wrote it last: a counter that meets a value again (a
    restored backup) has another stamp. One statement, so counters and log are one snapshot."""
    pairs = {EVERYONE: None, **since}
    # The organisations and counters as two arrays: one statement text however many there
    # are, parsed and planned once per connection (it runs on every report recomputed after
    # a change, and planning it took PostgreSQL twice as long as running it). A plan made
    # without the values cannot know how few organisations there are; each ``LATERAL …
    # OFFSET 0`` keeps it a probe of the counters' and the log's index per organisation, where
    # joins would have it hash the whole log.
    with planned_once_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT s.organisation_id, COALESCE(v.counter, 0), COALESCE(v.xmin::text, ''), "
            f"l.counter, l.inspection_id "
            f"FROM unnest(%s::bigint[], %s::bigint[]) AS s (organisation_id, since) "
            f"LEFT JOIN LATERAL (SELECT counter, xmin FROM {TABLE} "
            f"WHERE organisation_id = s.organisation_id OFFSET 0) v ON true "
            f"LEFT JOIN LATERAL (SELECT counter, inspection_id FROM {CHANGE_TABLE} "
            f"WHERE organisation_id = s.organisation_id AND counter > s.since "
            f"AND v.counter - s.since <= {CHANGES_KEPT} OFFSET 0) l ON true",
            [list(pairs), list(pairs.values())],
        )
        counters: dict[int, tuple[int, str]] = {}
        logged: dict[int, dict[int, set[int]]] = {}
        for organisation, counter, stamp, at, inspection in cursor.fetchall():
            counters[organisation] = (counter, stamp)
            if at is not None:
                logged.setdefault(organisation, {}).setdefault(at, set()).add(inspection)
    return counters, logged
