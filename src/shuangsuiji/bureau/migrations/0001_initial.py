"""The bureau's policy, settings and calendar, moved from planning (their tables keep their names)."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('planning', '0005_workday_calendar_scope'),
        ('accounts', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables stay where they are (planning_*): only Django's idea of their app moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalOrganisationPolicy',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('preset', models.CharField(max_length=64, verbose_name='政策预设')),
                        ('text', models.TextField(verbose_name='预设原文（采用时的快照）')),
                        ('adopted_at', models.DateTimeField(blank=True, editable=False, verbose_name='采用时间')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organisation', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.organisation', verbose_name='单位')),
                    ],
                    options={
                        'verbose_name': 'historical 单位政策',
                        'verbose_name_plural': 'historical 单位政策',
                        'db_table': 'planning_historicalorganisationpolicy',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalOrganisationSettings',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('task_name_template', models.CharField(default='{organisation}{year}年{period}{task_type}', help_text='可用：{city} 市、{county} 县区、{organisation} 单位全称、{year} 年、{period} 时间（如“一季度”“全年”）、{task_type} 任务类型。默认按获嘉“市+县区+部门+时间+任务类型”。', max_length=200, verbose_name='任务名称模板')),
                        ('seniority_years', models.PositiveSmallIntegerField(default=3, verbose_name='以老带新：参加执法工作满几年为老同志')),
                        ('inspector_annual_cap', models.PositiveIntegerField(default=40, verbose_name='执法人员年度检查任务上限')),
                        ('team_size', models.PositiveSmallIntegerField(default=2, verbose_name='每组执法人员人数')),
                        ('publish_monthly', models.BooleanField(default=False, verbose_name='抽查结果按月集中公示')),
                        ('require_release', models.BooleanField(default=False, verbose_name='抽查结果须经抽查管理员发布后公示')),
                        ('publish_target_class', models.BooleanField(default=False, help_text='勾选后，公开门户的检查对象名录同时显示本季度的监管类别。', verbose_name='检查对象名录公开监管类别')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organisation', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.organisation')),
                    ],
                    options={
                        'verbose_name': 'historical 单位设置',
                        'verbose_name_plural': 'historical 单位设置',
                        'db_table': 'planning_historicalorganisationsettings',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalWorkdayOverride',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='日期')),
                        ('is_workday', models.BooleanField(verbose_name='上班')),
                        ('note', models.CharField(blank=True, max_length=100, verbose_name='说明')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('organisation', models.ForeignKey(blank=True, db_constraint=False, help_text='空：全国日历（国务院办公厅放假通知）；否则为该单位自己的调整。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.organisation', verbose_name='单位')),
                    ],
                    options={
                        'verbose_name': 'historical 工作日历调整',
                        'verbose_name_plural': 'historical 工作日历调整',
                        'db_table': 'planning_historicalworkdayoverride',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='OrganisationPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('preset', models.CharField(max_length=64, verbose_name='政策预设')),
                        ('text', models.TextField(verbose_name='预设原文（采用时的快照）')),
                        ('adopted_at', models.DateTimeField(auto_now_add=True, verbose_name='采用时间')),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='policies', to='accounts.organisation', verbose_name='单位')),
                    ],
                    options={
                        'verbose_name': '单位政策',
                        'verbose_name_plural': '单位政策',
                        'db_table': 'planning_organisationpolicy',
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalPolicyAdjustment',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('path', models.CharField(max_length=100, verbose_name='参数')),
                        ('since', models.DateField(verbose_name='自何日起生效')),
                        ('value', models.JSONField(verbose_name='取值')),
                        ('reason', models.CharField(max_length=300, verbose_name='调整原因')),
                        ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='调整时间')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='调整人')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('policy', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='bureau.organisationpolicy')),
                    ],
                    options={
                        'verbose_name': 'historical 政策调整',
                        'verbose_name_plural': 'historical 政策调整',
                        'db_table': 'planning_historicalpolicyadjustment',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='OrganisationSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('task_name_template', models.CharField(default='{organisation}{year}年{period}{task_type}', help_text='可用：{city} 市、{county} 县区、{organisation} 单位全称、{year} 年、{period} 时间（如“一季度”“全年”）、{task_type} 任务类型。默认按获嘉“市+县区+部门+时间+任务类型”。', max_length=200, verbose_name='任务名称模板')),
                        ('seniority_years', models.PositiveSmallIntegerField(default=3, verbose_name='以老带新：参加执法工作满几年为老同志')),
                        ('inspector_annual_cap', models.PositiveIntegerField(default=40, verbose_name='执法人员年度检查任务上限')),
                        ('team_size', models.PositiveSmallIntegerField(default=2, verbose_name='每组执法人员人数')),
                        ('publish_monthly', models.BooleanField(default=False, verbose_name='抽查结果按月集中公示')),
                        ('require_release', models.BooleanField(default=False, verbose_name='抽查结果须经抽查管理员发布后公示')),
                        ('publish_target_class', models.BooleanField(default=False, help_text='勾选后，公开门户的检查对象名录同时显示本季度的监管类别。', verbose_name='检查对象名录公开监管类别')),
                        ('organisation', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='settings', to='accounts.organisation')),
                    ],
                    options={
                        'verbose_name': '单位设置',
                        'verbose_name_plural': '单位设置',
                        'db_table': 'planning_organisationsettings',
                    },
                ),
                migrations.CreateModel(
                    name='PolicyAdjustment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('path', models.CharField(max_length=100, verbose_name='参数')),
                        ('since', models.DateField(verbose_name='自何日起生效')),
                        ('value', models.JSONField(verbose_name='取值')),
                        ('reason', models.CharField(max_length=300, verbose_name='调整原因')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='调整时间')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='调整人')),
                        ('policy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adjustments', to='bureau.organisationpolicy')),
                    ],
                    options={
                        'verbose_name': '政策调整',
                        'verbose_name_plural': '政策调整',
                        'db_table': 'planning_policyadjustment',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkdayOverride',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='日期')),
                        ('is_workday', models.BooleanField(verbose_name='上班')),
                        ('note', models.CharField(blank=True, max_length=100, verbose_name='说明')),
                        ('organisation', models.ForeignKey(blank=True, help_text='空：全国日历（国务院办公厅放假通知）；否则为该单位自己的调整。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.organisation', verbose_name='单位')),
                    ],
                    options={
                        'verbose_name': '工作日历调整',
                        'verbose_name_plural': '工作日历调整',
                        'db_table': 'planning_workdayoverride',
                        'ordering': ['day'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkdayYear',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='年份')),
                        ('confirmed_at', models.DateTimeField(auto_now_add=True)),
                        ('confirmed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': '已确认的工作日历年份',
                        'verbose_name_plural': '已确认的工作日历年份',
                        'db_table': 'planning_workdayyear',
                    },
                ),
                migrations.AddConstraint(
                    model_name='organisationpolicy',
                    constraint=models.UniqueConstraint(fields=('organisation', 'preset'), name='policy_unique_preset_per_organisation'),
                ),
                migrations.AddConstraint(
                    model_name='workdayoverride',
                    constraint=models.UniqueConstraint(condition=models.Q(('organisation__isnull', True)), fields=('day',), name='workday_national_once'),
                ),
                migrations.AddConstraint(
                    model_name='workdayoverride',
                    constraint=models.UniqueConstraint(condition=models.Q(('organisation__isnull', False)), fields=('organisation', 'day'), name='workday_local_once'),
                ),
            ],
        ),
    ]
