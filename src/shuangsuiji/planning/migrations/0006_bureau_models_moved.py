"""Policy, settings and calendar now belong to the bureau app (bureau/0001); no table changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('bureau', '0001_initial'),
        ('planning', '0005_workday_calendar_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (planning_*): only Django's idea of their app moves.
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalorganisationsettings',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalorganisationsettings',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyadjustment',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyadjustment',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalpolicyadjustment',
                    name='policy',
                ),
                migrations.RemoveField(
                    model_name='historicalworkdayoverride',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalworkdayoverride',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='organisationpolicy',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='policyadjustment',
                    name='policy',
                ),
                migrations.RemoveField(
                    model_name='organisationsettings',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='policyadjustment',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='workdayoverride',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='workdayyear',
                    name='confirmed_by',
                ),
                migrations.DeleteModel(
                    name='HistoricalOrganisationPolicy',
                ),
                migrations.DeleteModel(
                    name='HistoricalOrganisationSettings',
                ),
                migrations.DeleteModel(
                    name='HistoricalPolicyAdjustment',
                ),
                migrations.DeleteModel(
                    name='HistoricalWorkdayOverride',
                ),
                migrations.DeleteModel(
                    name='OrganisationPolicy',
                ),
                migrations.DeleteModel(
                    name='OrganisationSettings',
                ),
                migrations.DeleteModel(
                    name='PolicyAdjustment',
                ),
                migrations.DeleteModel(
                    name='WorkdayOverride',
                ),
                migrations.DeleteModel(
                    name='WorkdayYear',
                ),
            ],
        ),
    ]
