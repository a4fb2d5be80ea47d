"""Migrations run forward on a database that already holds data (issue 10): the state before
this session's migrations (portal publication, encryption, audit log) is filled with rows, then
migrated to the latest; the rows are all there and 身份证号 ends up encrypted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0001_initial"),
    ("directory", "0003_target_search"),
    ("planning", "0002_workdayoverride_annualplan_conflictofinterest_draw_and_more"),
    ("inspections", "0006_revisits"),
    ("audit", None),
]


@pytest.mark.django_db(transaction=True)
def test_forward_migrations_keep_and_convert_existing_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([node for node in BEFORE if node[1]]).apps
    Organisation = old.get_model("accounts", "Organisation")
    county = Organisation.objects.create(code="130281", name="遵化市分局", level=3, path="/1/")
    Inspector = old.get_model("directory", "Inspector")
    Inspector.objects.create(organisation=county, name="张伟", certificate_no="13028120260001",
                             id_number="130281199001011234", category="enforcement",
                             start_year=2010)  # fmt: skip
    Target = old.get_model("directory", "Target")
    Target.objects.create(organisation=county, credit_code="91130281MA0C12345C", name="甲公司")

    executor = MigrationExecutor(connection)  # a fresh graph, as a deployment would load it
    executor.migrate(executor.loader.graph.leaf_nodes())

    from shuangsuiji.directory.models import Inspector as Current
    from shuangsuiji.directory.models import Target as CurrentTarget

    assert Current.objects.get().id_number == "130281199001011234"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM directory_inspector")
        assert cursor.fetchone()[0].startswith("enc1:")
    assert CurrentTarget.objects.get().name == "甲公司"


@pytest.mark.django_db(transaction=True)
def test_a_database_with_its_version_triggers_migrates_forward():
    """A deployed database has the version triggers of its release (installed after every
    migrate, disclosure/apps.py). A migration that adds a column to the version table must
    migrate it: SQLite rebuilds that table, which a trigger naming it stopped (“no such table”
    on the demo database, not on a fresh one, which has no triggers while it migrates)."""
    from shuangsuiji.disclosure.versions import installed_triggers, triggers_install

    executor = MigrationExecutor(connection)
    executor.migrate([("disclosure", "0003_results_file")])
    triggers_install()  # as the release before left them
    assert "directory_target" in installed_triggers()

    executor = MigrationExecutor(connection)  # a fresh graph, as a deployment would load it
    executor.migrate(executor.loader.graph.leaf_nodes())
    triggers_install()  # what migrate's post_migrate does
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, "disclosure_publicversion")
    assert "registers" in {c.name for c in columns}
    assert "directory_target" in installed_triggers()
