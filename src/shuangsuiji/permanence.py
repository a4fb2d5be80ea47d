"""Records that are evidence are never deleted (JX-5.4: 档案保存期不少于3年).

Inspections and their results, attachments, follow-ups and 回访, draws and everything a draw
froze, plans and tasks, the registers and the audit log are kept for good: a register row leaves
its register with a reason (``in_register``), a draw is aborted (作废), a plan is adjusted, an
inspection is cancelled or substituted — none of them is deleted. Two guards make that hold:

- in the application, these models' ``delete()`` and their querysets' ``delete()`` raise
  :class:`PermanentRecordError`, so no code path (and no future one) can delete a row by
  accident, cascading deletes included;
- on PostgreSQL, the production database, triggers refuse ``DELETE`` on their tables and any
  ``UPDATE`` of the audit log (migration ``audit/0002``), so a plain SQL session cannot either.
  A superuser who disables the triggers on purpose is still caught by the audit chain.

Nothing is ever purged, so the retention is unlimited, above the three years the plans require.
"""

from __future__ import annotations

from django.db import migrations, models

from shuangsuiji.scoping import OrgScopedQuerySet


class PermanentRecordError(Exception):
    """A delete of a record the archive keeps."""

    def __init__(self, label: str) -> None:
        super().__init__(f"{label}属于执法档案，只能撤销、作废或移出名录，不能删除。")


class PermanentQuerySet(models.QuerySet):
    def delete(self):
        raise PermanentRecordError(self.model._meta.verbose_name)

    delete.queryset_only = True


class PermanentScopedQuerySet(PermanentQuerySet, OrgScopedQuerySet):
    """An organisation-scoped queryset of records that are never deleted."""


class PermanentModel(models.Model):
    """Abstract base: ``instance.delete()`` refuses. Give the model a manager built from
    :class:`PermanentQuerySet` (or :class:`PermanentScopedQuerySet`) too."""

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise PermanentRecordError(self._meta.verbose_name)


def refuse_deletes(tables: list[str]) -> migrations.RunPython:
    """The operation that ends a migration creating archive ``tables``: on PostgreSQL a trigger
    on each refuses ``DELETE`` with ``shuangsuiji_refuse_change()`` (``audit/0002``); reversed,
    the triggers are dropped; nothing on SQLite, where the application's guard stands alone.
    The migration keeps the list as ``ARCHIVE_TABLES``, which tests/test_permanence.py reads."""
    tables = list(tables)

    def refuse(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
            )

    def allow(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_keep ON {table};")

    return migrations.RunPython(refuse, allow)
