"""单位名称查询 for one and two characters (issue 21 §2): the index of ``directory.search``,
built from the names already there."""

from django.db import migrations

from shuangsuiji.directory.search import search_index_create, search_index_drop


def _create(apps, schema_editor):
    search_index_create(schema_editor.connection)


def _drop(apps, schema_editor):
    search_index_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0007_joint_items'),
    ]

    operations = [
        migrations.RunPython(_create, _drop),
    ]
