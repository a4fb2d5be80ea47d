"""On PostgreSQL, the production database, the archive refuses deletes below the application:
a trigger on each table of records the archive keeps refuses ``DELETE``, and the audit log
refuses ``UPDATE`` too (JX-5.4 档案; see shuangsuiji/permanence.py).

SQLite, the embedded database for demos and tests, gets no triggers: Django's test runner
empties its tables with ``DELETE`` between tests. The application's guard holds on both.
``TRUNCATE`` is left alone for the same reason on PostgreSQL; it needs the table owner.
"""

from django.db import migrations

#: The tables of shuangsuiji.permanence.PermanentModel subclasses, as of this migration.
ARCHIVE_TABLES = [
    "directory_target",
    "directory_inspector",
    "directory_inspectionitem",
    "planning_policyadjustment",
    "planning_annualplan",
    "planning_planrevision",
    "planning_samplingtask",
    "planning_draw",
    "planning_drawsource",
    "planning_substitution",
    "planning_manualassignment",
    "inspections_inspection",
    "inspections_attachment",
    "inspections_followup",
    "inspections_revisit",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION shuangsuiji_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%% 属于执法档案，不能%%（%%）', TG_TABLE_NAME,
        CASE TG_OP WHEN 'DELETE' THEN '删除' ELSE '改写' END, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""


def _statements() -> list[str]:
    statements = [FUNCTION]
    for table in ARCHIVE_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
        )
    statements.append(
        "CREATE TRIGGER audit_auditevent_keep BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
    )
    # A 本级检查发现问题 record made by a result goes with it when the result is reopened.
    statements.append(
        "CREATE TRIGGER directory_regulatoryevent_keep BEFORE DELETE ON directory_regulatoryevent "
        "FOR EACH ROW WHEN (OLD.source <> 'inspection') "
        "EXECUTE FUNCTION shuangsuiji_refuse_change();"
    )
    return statements


def _drop_statements() -> list[str]:
    tables = [*ARCHIVE_TABLES, "audit_auditevent", "directory_regulatoryevent"]
    return [
        *(f"DROP TRIGGER IF EXISTS {table}_keep ON {table};" for table in tables),
        "DROP FUNCTION IF EXISTS shuangsuiji_refuse_change();",
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in _statements():
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in _drop_statements():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("directory", "0004_encrypt_id_number"),
        ("inspections", "0008_attachment_verbose_name"),
        ("planning", "0004_verbose_names"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
