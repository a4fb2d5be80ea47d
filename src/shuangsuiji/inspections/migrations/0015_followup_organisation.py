"""A follow-up carries its inspection's organisation, so a bureau's follow-ups are one index
range (issue 21 §3): added empty and filled from the inspections here, required in 0016 (on
PostgreSQL the fill queues deferred foreign-key checks, which an ALTER TABLE in the same
transaction refuses)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL = """
UPDATE {table} SET organisation_id = (
    SELECT i.organisation_id FROM inspections_inspection i WHERE i.id = {table}.inspection_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_partner_departments"),
        ("inspections", "0014_followup_open_due"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="followup", name="followup_open_due"),
        migrations.AddField(
            model_name="followup",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AddField(
            model_name="historicalfollowup",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.RunSQL(FILL.format(table="inspections_followup"), migrations.RunSQL.noop),
        migrations.RunSQL(
            FILL.format(table="inspections_historicalfollowup"), migrations.RunSQL.noop
        ),
    ]
