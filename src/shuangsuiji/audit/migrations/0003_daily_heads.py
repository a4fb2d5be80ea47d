"""Each closed day's chain head kept apart from the log (``AuditDailyHead``), filled in for the
days already logged; on PostgreSQL a trigger refuses to change or delete a kept head."""

from django.db import migrations, models
from django.db.models import Max
from django.db.models.functions import TruncDate


def backfill(apps, schema_editor):
    from django.utils import timezone

    event_model = apps.get_model("audit", "AuditEvent")
    daily_model = apps.get_model("audit", "AuditDailyHead")
    head_model = apps.get_model("audit", "AuditHead")
    zone = timezone.get_default_timezone()
    days = (
        event_model.objects.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day")
        .annotate(last_id=Max("id"))
        .order_by("day")
    )
    days = list(days)
    hashes = dict(
        event_model.objects.filter(id__in=[d["last_id"] for d in days]).values_list("id", "hash")
    )
    # Today is still open: it is sealed by the first entry of tomorrow.
    today = timezone.localdate()
    daily_model.objects.bulk_create(
        daily_model(day=d["day"], last_id=d["last_id"], hash=hashes[d["last_id"]])
        for d in days
        if d["day"] < today
    )
    last = event_model.objects.order_by("-id").first()
    if last is not None:
        head_model.objects.filter(pk=1).update(last_at=last.occurred_at)


def refuse_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER audit_auditdailyhead_keep BEFORE UPDATE OR DELETE "
            "ON audit_auditdailyhead FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
        )


def allow_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS audit_auditdailyhead_keep ON audit_auditdailyhead;"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_refuse_deletes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditDailyHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),  # fmt: skip
                ("day", models.DateField(unique=True, verbose_name="日期")),
                ("last_id", models.BigIntegerField(verbose_name="最后一条记录")),
                ("hash", models.CharField(max_length=64, verbose_name="链头")),
            ],
            options={
                "verbose_name": "每日链头",
                "verbose_name_plural": "每日链头",
                "ordering": ["day"],
            },
        ),
        migrations.AddField(
            model_name="audithead",
            name="last_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(refuse_changes, allow_changes),
    ]
