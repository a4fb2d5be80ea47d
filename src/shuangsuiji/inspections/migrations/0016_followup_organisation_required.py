"""Every follow-up has its organisation now (0015): the column is required and indexed."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inspections", "0015_followup_organisation")]

    operations = [
        migrations.AlterField(
            model_name="followup",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("closed_on__isnull", True)),
                fields=["organisation", "deadline"],
                name="followup_open_due",
            ),
        ),
    ]
