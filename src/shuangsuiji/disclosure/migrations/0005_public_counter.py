# Written by hand on 2026-12-05: the public's own counter beside every change's.

from django.db import migrations, models


def drop_triggers(apps, schema_editor):
    # As in 0004: the triggers are installed again after every migrate (disclosure/apps.py).
    from shuangsuiji.disclosure.versions import triggers_drop

    triggers_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('disclosure', '0004_register_version'),
    ]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.AddField(
            model_name='publicversion',
            name='public',
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        # From where every change's counter stands: a key the public pages were cached under
        # before is never read again for a different state (counters only rise from here).
        migrations.RunSQL(
            'UPDATE disclosure_publicversion SET public = counter', migrations.RunSQL.noop
        ),
        # Reversed first: the triggers go before the column.
        migrations.RunPython(migrations.RunPython.noop, drop_triggers),
    ]
