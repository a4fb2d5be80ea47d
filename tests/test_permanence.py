"""Evidence is never deleted (issue 10 “Data safety”, JX-5.4 档案保存期不少于3年): inspections and
results, attachments, follow-ups, draws, plans, the registers and the audit log refuse a delete,
in the application on both databases and, on PostgreSQL, in the database itself."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from shuangsuiji.audit.models import AuditEvent
from shuangsuiji.directory.models import RegulatoryEvent, Target
from shuangsuiji.directory.vocabulary import EventKind
from shuangsuiji.inspections.models import FollowUp, Inspection
from shuangsuiji.inspections.services import inspection_reopen
from shuangsuiji.permanence import PermanentModel, PermanentRecordError
from shuangsuiji.planning.models import Draw, DrawSource, PlanRevision, SamplingTask
from tests.support.portal import build_portal

ARCHIVE = {
    "directory.Target", "directory.Inspector", "directory.InspectionItem",
    "bureau.PolicyAdjustment", "planning.AnnualPlan", "planning.PlanRevision",
    "planning.PlanReview", "planning.SamplingTask", "planning.Draw", "planning.DrawSource", "planning.Substitution",
    "planning.ManualAssignment", "inspections.Inspection", "inspections.Attachment",
    "inspections.FollowUp", "inspections.Revisit", "audit.AuditEvent", "audit.AuditDailyHead",
    "bureau.PlanDocument", "planning.JointParticipation", "inspections.InspectionPart",
    "directory.JointItem", "reports.UpwardReport", "reports.UpwardReview",
}  # fmt: skip


@pytest.fixture
def portal(organisations, make_user):
    return build_portal(organisations, make_user)


def _guarded() -> list:
    return [m for m in apps.get_models() if issubclass(m, PermanentModel)]


def test_the_archive_models_are_guarded():
    assert {m._meta.label for m in _guarded()} == ARCHIVE


def test_postgres_triggers_cover_every_guarded_table():
    """A model newly made permanent needs its trigger too: the migration's frozen list says."""
    frozen = [
        importlib.import_module(f"shuangsuiji.{name}").ARCHIVE_TABLES
        for name in (
            "audit.migrations.0002_refuse_deletes",
            "planning.migrations.0010_plan_review_ahead_reason",
            "planning.migrations.0011_partner_departments_participation",
            "inspections.migrations.0012_inspection_parts",
            "bureau.migrations.0005_plan_document",
            "directory.migrations.0007_joint_items",
            "reports.migrations.0001_upward_reports",
        )
    ]
    # The log and its kept daily heads refuse updates too, each in its own migration.
    tables = {m._meta.db_table for m in _guarded()} - {"audit_auditevent", "audit_auditdailyhead"}
    assert {table for tables in frozen for table in tables} == tables


@pytest.mark.parametrize(
    ("model", "name"),
    [(Inspection, "检查"), (Draw, "随机抽取"), (SamplingTask, "抽查任务"), (PlanRevision, "计划版本"),
     (DrawSource, "公开随机源"), (FollowUp, "后续处置"), (Target, "检查对象"), (AuditEvent, "审计日志")],
)  # fmt: skip
def test_a_delete_through_the_application_is_refused(portal, model, name):
    before = model.objects.count()
    assert before
    with pytest.raises(PermanentRecordError, match=f"{name}属于执法档案"):
        model.objects.all().delete()
    with pytest.raises(PermanentRecordError):
        model.objects.first().delete()
    assert model.objects.count() == before


def test_a_result_is_withdrawn_not_deleted(portal):
    """Reopening a result keeps the inspection; only the 本级检查发现问题 record it made goes."""
    inspection = portal.ordered
    derived = RegulatoryEvent.objects.filter(kind=EventKind.OWN_PROBLEM, source="inspection")
    assert derived.exists()
    inspection_reopen(actor=portal.coordinator, inspection=inspection, reason="材料不全，退回补充")
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.ASSIGNED
    assert not derived.filter(credit_code=inspection.target.credit_code).exists()


def test_an_imported_regulatory_event_is_kept(portal):
    imported = RegulatoryEvent.objects.exclude(source="inspection")
    assert imported.exists()
    with pytest.raises(PermanentRecordError, match="监管记录"):
        imported.delete()
    with pytest.raises(PermanentRecordError):
        imported.first().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table",
    ["inspections_inspection", "planning_draw", "planning_samplingtask", "directory_target",
     "inspections_followup", "audit_auditevent", "directory_regulatoryevent"],
)  # fmt: skip
def test_postgres_refuses_a_delete_in_sql(portal, table):
    """Below the application too: a plain SQL DELETE on the production database fails."""
    where = " WHERE source <> 'inspection'" if table == "directory_regulatoryevent" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}{where}")
        (before,) = cursor.fetchone()
        assert before
        with pytest.raises(IntegrityError, match="属于执法档案，不能删除"), transaction.atomic():
            cursor.execute(f"DELETE FROM {table}{where}")
        cursor.execute(f"SELECT count(*) FROM {table}{where}")
        assert cursor.fetchone() == (before,)


@pytest.mark.postgres
def test_postgres_refuses_an_edit_of_the_audit_log(portal):
    entry = AuditEvent.objects.first()
    with pytest.raises(IntegrityError, match="不能改写"), transaction.atomic():
        AuditEvent.objects.filter(pk=entry.pk).update(summary="改写")
    entry.refresh_from_db()
    assert entry.summary != "改写"


@pytest.mark.postgres
def test_postgres_refuses_to_change_a_kept_daily_head(db):
    """audit/0003: the daily heads audit verify holds the log against cannot be rewritten."""
    import datetime as dt

    from shuangsuiji.audit.models import AuditDailyHead

    head = AuditDailyHead.objects.create(day=dt.date(2026, 12, 3), last_id=7, hash="a" * 64)
    with pytest.raises(IntegrityError, match="不能改写"), transaction.atomic():
        AuditDailyHead.objects.filter(pk=head.pk).update(hash="b" * 64)
    with (
        connection.cursor() as cursor,
        pytest.raises(IntegrityError, match="不能删除"),
        transaction.atomic(),
    ):
        cursor.execute("DELETE FROM audit_auditdailyhead")
    assert AuditDailyHead.objects.get().hash == "a" * 64
