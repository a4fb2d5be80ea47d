"""Validation as a background task (issue 21 §5): the batch's task, and the workers' heartbeats.

A batch left 校验中 by the thread that validated uploads before was stopped with the old server
(it has no task to resume it): it ends 导入失败, asking for the file again, as the old cleanup did.
"""

from django.db import migrations, models


def _end_orphaned_validations(apps, schema_editor):
    ImportBatch = apps.get_model("directory", "ImportBatch")
    for batch in ImportBatch.objects.filter(status="validating", task_id=""):
        message = f"{batch.original_name}：校验未能完成（服务曾中断），未导入任何数据，请重新上传。"
        batch.status = "failed"
        batch.problems = [["", "", "", message]]
        batch.problem_count = 1
        batch.progress = 100
        batch.save(update_fields=["status", "problems", "problem_count", "progress"])


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0008_target_name_grams'),
    ]

    operations = [
        migrations.CreateModel(
            name='TaskWorker',
            fields=[
                ('worker_id', models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name='进程标识')),
                ('hostname', models.CharField(max_length=255, verbose_name='主机')),
                ('pid', models.PositiveIntegerField(verbose_name='进程号')),
                ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='启动时间')),
                ('seen_at', models.DateTimeField(db_index=True, verbose_name='最近心跳')),
            ],
            options={
                'verbose_name': '后台任务进程',
                'verbose_name_plural': '后台任务进程',
            },
        ),
        migrations.AddField(
            model_name='importbatch',
            name='task_id',
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name='校验任务'),
        ),
        migrations.RunPython(_end_orphaned_validations, migrations.RunPython.noop),
    ]
