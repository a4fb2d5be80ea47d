"""Reports a 分局 sends up to its 市局 (issue 20 §4) and their review log. Both are archive: on
PostgreSQL they refuse deletes like the tables of ``audit/0002`` (see shuangsuiji/permanence.py);
a report refuses any change but its review state, and the review log any change at all."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


#: Archive tables created here, guarded as ``audit/0002_refuse_deletes`` guards its own.
ARCHIVE_TABLES = ["reports_upwardreport", "reports_upwardreview"]
#: What a 分局 sent: every column of a report but its ``status``.
FROZEN_COLUMNS = [
    "organisation_id", "parent_id", "year", "quarter", "task_id", "period", "period_label",
    "version", '"table"', "adjustments", "table_file", "adjustments_file", "deadline",
    "deadline_basis", "comment", "submitted_at", "submitted_by_id",
]  # fmt: skip


def _guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ARCHIVE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
        )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in FROZEN_COLUMNS)
    schema_editor.execute(
        "CREATE TRIGGER reports_upwardreport_frozen BEFORE UPDATE ON reports_upwardreport "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION shuangsuiji_refuse_change();"
    )
    schema_editor.execute(
        "CREATE TRIGGER reports_upwardreview_frozen BEFORE UPDATE ON reports_upwardreview "
        "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
    )


def _unguard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ARCHIVE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_keep ON {table};")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("planning", "0010_plan_review_ahead_reason"),
        ("audit", "0002_refuse_deletes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="UpwardReport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                (
                    "quarter",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="季度"),
                ),
                ("period", models.CharField(max_length=32, verbose_name="期间代码")),
                ("period_label", models.CharField(max_length=300, verbose_name="统计期间")),
                ("version", models.PositiveSmallIntegerField(verbose_name="版本")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("submitted", "已提交，待审核"),
                            ("returned", "已退回"),
                            ("accepted", "已接收"),
                        ],
                        default="submitted",
                        max_length=16,
                        verbose_name="状态",
                    ),
                ),
                ("table", models.JSONField(verbose_name="统计表")),
                ("adjustments", models.JSONField(verbose_name="名录调整")),
                ("table_file", models.BinaryField(verbose_name="统计表文件")),
                ("adjustments_file", models.BinaryField(verbose_name="名录调整文件")),
                ("deadline", models.DateField(blank=True, null=True, verbose_name="报送期限")),
                (
                    "deadline_basis",
                    models.CharField(blank=True, max_length=300, verbose_name="期限依据"),
                ),
                ("comment", models.CharField(blank=True, max_length=500, verbose_name="报送说明")),
                ("submitted_at", models.DateTimeField(verbose_name="报送时间")),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="报送单位",
                    ),
                ),
                (
                    "parent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="接收单位",
                    ),
                ),
                (
                    "submitted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="报送人",
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="planning.samplingtask",
                        verbose_name="抽查任务",
                    ),
                ),
            ],
            options={
                "verbose_name": "上报统计表",
                "verbose_name_plural": "上报统计表",
                "ordering": ["organisation", "year", "period", "version"],
            },
        ),
        migrations.CreateModel(
            name="UpwardReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "decision",
                    models.CharField(
                        choices=[("submitted", "报送"), ("returned", "退回"), ("accepted", "接收")],
                        max_length=16,
                        verbose_name="环节",
                    ),
                ),
                ("comment", models.CharField(blank=True, max_length=500, verbose_name="意见")),
                ("at", models.DateTimeField(verbose_name="时间")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="经办人",
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviews",
                        to="reports.upwardreport",
                    ),
                ),
            ],
            options={
                "verbose_name": "上报审核记录",
                "verbose_name_plural": "上报审核记录",
                "ordering": ["report", "at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="UpwardDeadline",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                ("q1", models.DateField(blank=True, null=True, verbose_name="第一季度报送期限")),
                ("q2", models.DateField(blank=True, null=True, verbose_name="第二季度报送期限")),
                ("q3", models.DateField(blank=True, null=True, verbose_name="第三季度报送期限")),
                ("q4", models.DateField(blank=True, null=True, verbose_name="第四季度报送期限")),
                (
                    "round_workdays",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="每轮检查时限届满后报送（工作日）"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="设置时间")),
                (
                    "parent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.organisation",
                        verbose_name="接收单位",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="设置人",
                    ),
                ),
            ],
            options={
                "verbose_name": "上报期限",
                "verbose_name_plural": "上报期限",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("parent", "year"), name="upward_deadline_unique_year"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="upwardreport",
            index=models.Index(fields=["parent", "year"], name="upward_report_parent_year"),
        ),
        migrations.AddConstraint(
            model_name="upwardreport",
            constraint=models.UniqueConstraint(
                fields=("organisation", "period", "version"), name="upward_report_unique_version"
            ),
        ),
        migrations.AddConstraint(
            model_name="upwardreport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["submitted", "accepted"])),
                fields=("organisation", "period"),
                name="upward_report_one_pending",
                violation_error_message="该期间已有待审核或已接收的报送。",
            ),
        ),
        migrations.RunPython(_guard, _unguard),
    ]
