"""实施方案 files with their 文号 and 印发日期 (issue 20 §7; 保定 三、（五）, 藁城 二、（八）).

They are archive like the tables of ``audit/0002_refuse_deletes``: on PostgreSQL a trigger
refuses ``DELETE`` (a document is replaced or withdrawn, never deleted; shuangsuiji/permanence.py).
"""

import django.db.models.deletion
import shuangsuiji.bureau.models
from django.conf import settings
from django.db import migrations, models

from shuangsuiji.permanence import refuse_deletes

#: Archive tables created here, guarded as ``audit/0002_refuse_deletes`` guards its own.
ARCHIVE_TABLES = ["bureau_plandocument"]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('audit', '0002_refuse_deletes'),
        ('bureau', '0004_chinese_task_name_placeholders'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('document_number', models.CharField(max_length=50, verbose_name='文号')),
                ('issued_on', models.DateField(verbose_name='印发日期')),
                ('file', models.FileField(max_length=255, upload_to=shuangsuiji.bureau.models._plan_document_path, verbose_name='文件')),
                ('kind', models.CharField(choices=[('pdf', 'PDF'), ('doc', 'Word 文档（.doc）'), ('docx', 'Word 文档（.docx）')], max_length=8, verbose_name='文件类型')),
                ('original_name', models.CharField(max_length=255, verbose_name='上传时的文件名')),
                ('size', models.PositiveIntegerField(verbose_name='大小（字节）')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True, verbose_name='上传时间')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='撤回时间')),
                ('withdrawal_reason', models.CharField(blank=True, max_length=300, verbose_name='撤回原因')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plan_documents', to='accounts.organisation', verbose_name='单位')),
                ('replaced_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replaced', to='bureau.plandocument', verbose_name='替换为')),
                ('uploaded_by', models.ForeignKey(help_text='空：命令行的操作员。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
                ('withdrawn_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='撤回人')),
            ],
            options={
                'verbose_name': '实施方案文件',
                'verbose_name_plural': '实施方案文件',
                'ordering': ['-year', '-issued_on', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('withdrawn_at__isnull', True), models.Q(('withdrawal_reason', ''), _negated=True), _connector='OR'), name='plan_document_withdrawn_with_reason')],
            },
        ),
        refuse_deletes(ARCHIVE_TABLES),
    ]
