"""Plans are submitted, approved or sent back with a comment (issue 19 §4); a draw committed
before its quarter keeps the reason. The review log is archive, so on PostgreSQL it refuses
deletes like the tables of ``audit/0002`` (see shuangsuiji/permanence.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


#: Archive tables created here, guarded as ``audit/0002_refuse_deletes`` guards its own.
ARCHIVE_TABLES = ["planning_planreview"]


def _refuse_deletes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ARCHIVE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_refuse_change();"
        )


def _allow_deletes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ARCHIVE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_keep ON {table};")


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0009_year_rules_withheld_grades_directed"),
        ("audit", "0002_refuse_deletes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="draw",
            name="ahead_reason",
            field=models.CharField(blank=True, max_length=300, verbose_name="提前抽取原因"),
        ),
        migrations.AddField(
            model_name="historicaldraw",
            name="ahead_reason",
            field=models.CharField(blank=True, max_length=300, verbose_name="提前抽取原因"),
        ),
        migrations.AlterField(
            model_name="annualplan",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "草稿"),
                    ("submitted", "已提交，待审批"),
                    ("approved", "已审批，待公开"),
                    ("published", "已公开"),
                    ("adjusting", "调整中"),
                ],
                default="draft",
                max_length=16,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="historicalannualplan",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "草稿"),
                    ("submitted", "已提交，待审批"),
                    ("approved", "已审批，待公开"),
                    ("published", "已公开"),
                    ("adjusting", "调整中"),
                ],
                default="draft",
                max_length=16,
                verbose_name="状态",
            ),
        ),
        migrations.CreateModel(
            name="PlanReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveSmallIntegerField(verbose_name="版本")),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("submitted", "提交审批"),
                            ("approved", "审批印发"),
                            ("returned", "退回修改"),
                        ],
                        max_length=16,
                        verbose_name="环节",
                    ),
                ),
                ("comment", models.CharField(blank=True, max_length=500, verbose_name="意见")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="时间")),
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
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviews",
                        to="planning.annualplan",
                    ),
                ),
            ],
            options={
                "verbose_name": "计划审批记录",
                "verbose_name_plural": "计划审批记录",
                "ordering": ["plan", "at", "pk"],
            },
        ),
        migrations.RunPython(_refuse_deletes, _allow_deletes),
    ]
