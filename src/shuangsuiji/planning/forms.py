import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.calendar import workday_calendar
from shuangsuiji.bureau.dates import policy_start
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.directory.models import JointItem
from shuangsuiji.draw.sources import SourceValueError, check_value, value_hint
from shuangsuiji.params import YEARS, DateRange, RangedDateField, horizon
from shuangsuiji.planning.models import SOURCE_TYPES
from shuangsuiji.policy import PolicyError
from shuangsuiji.policy.inspection_deadline import rule_text, task_inspection_deadline
from shuangsuiji.policy.schema import EVENT_KINDS
from shuangsuiji.policy.targets import INSPECTION_DEADLINE, plan_target


class PlanGenerateForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=YEARS[0], max_value=YEARS[1])

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            # A plan is drawn up for a year its bureau's policy covers from 1 January, and at
            # most for next year.
            start = policy_start(organisation)
            first = start.year + (start > dt.date(start.year, 1, 1))
            last = horizon(future=True).year
            field = self.fields["year"]
            field.min_value, field.max_value = first, last
            field.validators = [
                MinValueValidator(first, message=f"年度须在 {first} 至 {last} 之间。"),
                MaxValueValidator(last, message=f"年度须在 {first} 至 {last} 之间。"),
            ]
            field.widget.attrs.update(min=first, max=last)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300)


class AbortForm(forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="作废原因随抽取一并公开，如“随机源当期停售，改用下一期”。",
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label="审批意见",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="可不填；填写的意见与审批记录一并保存。",
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回原因和修改意见",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="抽查管理员将在计划页面和待办中看到这些意见。",
    )


class SubmitForm(forms.Form):
    comment = forms.CharField(label="说明", max_length=500, required=False)


class TaskForm(forms.ModelForm):
    class Meta:
        from shuangsuiji.planning.models import SamplingTask

        model = SamplingTask
        fields = [
            "name",
            "kind",
            "scope",
            "items",
            "target_scope",
            "ratio_text",
            "draw_date",
            "inspection_deadline",
            "initiator",
            "guidance_unit",
            "basis",
            "lead_department",
        ]
        widgets = {
            "items": forms.CheckboxSelectMultiple,
            "target_scope": forms.Textarea(attrs={"rows": 2}),
            "ratio_text": forms.Textarea(attrs={"rows": 3}),
            "basis": forms.Textarea(attrs={"rows": 3}),
        }

    draw_date = RangedDateField(label="抽取时间", future=True)
    inspection_deadline = RangedDateField(label="检查时限", future=True)
    partner_departments = forms.ModelMultipleChoiceField(
        label="已登记的联合部门",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="其检查人员由本任务的随机抽取从该部门的执法人员名录中匹配，各部门自行录入、公示。",
    )
    partners_text = forms.CharField(
        label="其他联合部门",
        required=False,
        help_text="尚未在平台登记的配合部门，多个用“、”分隔（其人员由本局登记）。",
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        departments = Organisation.objects.partners_of(self.instance.organisation)
        self.fields["partner_departments"].queryset = departments
        chosen = list(self.instance.partner_departments.all())
        if chosen or departments.exists():
            self.fields["partner_departments"].initial = chosen
        else:
            del self.fields["partner_departments"]
        registered = {d.name for d in chosen}
        self.fields["partners_text"].initial = "、".join(
            n for n in self.instance.partners or [] if n not in registered
        )
        # A task is drawn within its plan's year, and not before the bureau's policy.
        year = self.instance.plan.year
        start = max(policy_start(self.instance.organisation), dt.date(year, 1, 1))
        self.fields["draw_date"].limit(DateRange(start, dt.date(year, 12, 31)))
        self._deadline_rule(DateRange(start, dt.date(year, 12, 31)))

    def _deadline_rule(self, in_year: DateRange) -> None:
        """检查时限 (保定 三、（三）, 绛县 四、（五）4): within the plan's year; the help names the
        bureau's rule, and a task made before deadlines existed is offered the rule's day."""
        field = self.fields["inspection_deadline"]
        field.limit(in_year)
        task = self.instance
        try:
            preset = effective_preset(organisation_policy(task.organisation))
            target = plan_target(preset, INSPECTION_DEADLINE, task.draw_date)
            if target is None:
                field.help_text = "本单位政策未规定检查时限，请按本局或上级要求填写。"
                return
            field.help_text = (
                f"本单位政策：{rule_text(target)}（{target.clause}）。"
                "市局或本局另有要求的，在此修改。"
            )
            if task.inspection_deadline is None and not self.is_bound:
                self.initial["inspection_deadline"] = task_inspection_deadline(
                    preset,
                    year=task.plan.year,
                    quarter=task.quarter,
                    draw_date=task.draw_date,
                    calendar=workday_calendar(task.organisation),
                )
        except (NoPolicy, PolicyError):
            field.help_text = "请按本局或上级要求填写。"

    def clean(self):
        data = super().clean()
        draw_date, deadline = data.get("draw_date"), data.get("inspection_deadline")
        if draw_date and deadline and deadline < draw_date:
            self.add_error(
                "inspection_deadline",
                f"检查时限（{deadline:%Y-%m-%d}）不能早于抽取时间（{draw_date:%Y-%m-%d}）。",
            )
        return data

    def clean_partners_text(self):
        text = self.cleaned_data["partners_text"]
        return [
            p.strip() for p in text.replace(",", "、").replace("，", "、").split("、") if p.strip()
        ]


class CommitForm(forms.Form):
    source_type_1 = forms.ChoiceField(
        label="随机源一：类型",
        choices=SOURCE_TYPES,
    )
    source_label_1 = forms.CharField(
        label="随机源一：名称",
        max_length=200,
        help_text="如“中国福利彩票双色球 2026136 期”（尚未开奖的一期）",
    )
    source_type_2 = forms.ChoiceField(
        label="随机源二：类型",
        required=False,
        choices=[("", "（不用）"), *SOURCE_TYPES],
    )
    source_label_2 = forms.CharField(
        label="随机源二：名称",
        max_length=200,
        required=False,
        help_text="如“监督员 陈静 现场写下的数字”",
    )
    reveal_on = RangedDateField(
        label="最迟公开日期", future=True, help_text="检查结束或到此日期后公开名单和盐值。"
    )
    ahead_reason = forms.CharField(
        label="提前抽取原因",
        max_length=300,
        required=False,
        help_text="在任务的检查期间开始前抽取时必填；原因记入本次抽取的记录，显示在抽取页面上。",
    )

    def __init__(self, *args, task=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        if task is None:
            return
        from shuangsuiji.planning.draws import commit_rules, task_period

        earliest, ahead = commit_rules(task, today or timezone.localdate())
        start, _ = task_period(task)
        field = self.fields["reveal_on"]
        field.help_text = (
            f"不早于 {earliest:%Y-%m-%d}（本任务检查期限的最后一天）。检查全部结束后可提前公开；"
            "到此日期仍未公开的，列入待办。"
        )
        self.initial.setdefault("reveal_on", earliest)
        if ahead:
            self.fields["ahead_reason"].required = True
            self.fields["ahead_reason"].help_text = (
                f"本任务的检查期间自 {start:%Y-%m-%d} 开始，今天抽取属于提前抽取，名单须保密更久；"
                "请写明原因，原因记入本次抽取的记录，显示在抽取页面上。"
            )
        else:
            del self.fields["ahead_reason"]

    def sources(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        pairs = [(data["source_type_1"], data["source_label_1"])]
        if data.get("source_type_2") and data.get("source_label_2"):
            pairs.append((data["source_type_2"], data["source_label_2"]))
        return pairs


class ValuesForm(forms.Form):
    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        for source in self.sources:
            self.fields[f"value_{source.position}"] = forms.CharField(
                label=f"{source.label} 的取值",
                max_length=200,
                help_text=value_hint(source.type, source.label),
            )

    def clean(self):
        data = super().clean()
        for source in self.sources:
            name = f"value_{source.position}"
            value = (data.get(name) or "").strip()
            if not value:
                continue
            try:
                check_value(source.type, source.label, value)
            except SourceValueError as error:
                self.add_error(name, str(error))
            else:
                data[name] = value
        return data

    def shown(self) -> list[tuple[str, str]]:
        """Each source with the value as it will be hashed, to read back before the draw."""
        return [
            (f"{s.label}（{s.type_label}）", self.cleaned_data[f"value_{s.position}"])
            for s in self.sources
        ]

    def values(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields]


class SubstituteForm(forms.Form):
    from shuangsuiji.planning.models import SUBSTITUTION_REASONS

    reason = forms.ChoiceField(label="替补原因", choices=SUBSTITUTION_REASONS)
    evidence = forms.CharField(label="依据", max_length=300)


class AssignTeamForm(forms.Form):
    inspectors = forms.ModelMultipleChoiceField(
        label="执法人员（第一位带队）", queryset=None, widget=forms.CheckboxSelectMultiple
    )
    lead = forms.ModelChoiceField(label="带队人", queryset=None)
    reason = forms.CharField(label="原因", max_length=300)

    def __init__(self, *args, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspectors"].queryset = inspectors
        self.fields["lead"].queryset = inspectors

    def team(self):
        lead = self.cleaned_data["lead"]
        others = [i for i in self.cleaned_data["inspectors"] if i != lead]
        return [lead, *others]


class ConflictForm(forms.Form):
    inspector = forms.ModelChoiceField(label="执法人员", queryset=None)
    target = forms.CharField(label="检查对象（统一社会信用代码或项目代码）", max_length=64)
    reason = forms.CharField(label="回避原因", max_length=300)

    def __init__(self, *args, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = inspectors
        # A partner department's officer is named with the department.
        self.fields["inspector"].label_from_instance = lambda i: (
            f"{i}（{i.organisation.name}）" if i.organisation.is_partner else str(i)
        )


class TaskAddForm(forms.Form):
    """A 专项, 定向 or 部门联合 task added to a draft plan or to one under adjustment."""

    from shuangsuiji.planning.models import SamplingTask as _Task

    QUARTERS = [("", "全年"), ("1", "一季度"), ("2", "二季度"), ("3", "三季度"), ("4", "四季度")]

    name = forms.CharField(
        label="抽查任务名称", max_length=200, help_text="如“2026 年化工行业专项随机抽查”"
    )
    quarter = forms.TypedChoiceField(
        label="抽查时段", choices=QUARTERS, required=False, coerce=int, empty_value=None
    )
    classes = forms.MultipleChoiceField(
        label="抽取类别", widget=forms.CheckboxSelectMultiple, choices=()
    )
    scope = forms.ChoiceField(label="联合类型", choices=_Task.Scope.choices)
    partner_departments = forms.ModelMultipleChoiceField(
        label="已登记的联合部门",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="其检查人员由本任务的随机抽取从该部门的执法人员名录中匹配，各部门自行录入、公示。",
    )
    partners = forms.CharField(
        label="其他联合部门",
        required=False,
        help_text="尚未在平台登记的配合部门，多个用“、”分隔。",
    )
    joint_industry = forms.ChoiceField(
        label="一业一查行业领域",
        required=False,
        help_text="按市级“一业一查”部门联合抽查事项清单开展的，选择行业领域：任务的抽查事项取清单中"
        "该行业对应的本局事项，配合部门取清单所列部门，联合类型为部门联合。",
    )
    ratio = forms.CharField(
        label="本任务抽查比例",
        required=False,
        help_text="如 10%；不填则按本单位政策中各类别的抽查比例计算。",
    )
    industries = forms.CharField(
        label="定向：行业类别", required=False, help_text="行业名称或代码开头，多个用“、”分隔。"
    )
    divisions = forms.CharField(
        label="定向：行政区划代码", required=False, help_text="代码开头，多个用“、”分隔。"
    )
    areas = forms.CharField(label="定向：执法片区", required=False, help_text="多个用“、”分隔。")
    tags = forms.CharField(
        label="定向：要素标签", required=False, help_text="如 危废、大气，有其中之一即在范围内。"
    )
    record_kinds = forms.MultipleChoiceField(
        label="定向：期间内有以下监管记录",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k, k) for k in EVENT_KINDS],
    )
    record_from = forms.DateField(label="监管记录起始日期", required=False)
    record_to = forms.DateField(label="监管记录截止日期", required=False)

    def __init__(self, *args, class_choices, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classes"].choices = class_choices
        self.fields["partner_departments"].queryset = Organisation.objects.partners_of(organisation)
        if not self.fields["partner_departments"].queryset.exists():
            del self.fields["partner_departments"]
        industries = list(
            JointItem.objects.filter(organisation=organisation, in_register=True)
            .order_by("industry")
            .values_list("industry", flat=True)
            .distinct()
        )
        if industries:
            self.fields["joint_industry"].choices = [("", "（不按一业一查清单）")] + [
                (i, i) for i in industries
            ]
        else:
            del self.fields["joint_industry"]

    @staticmethod
    def _words(text: str) -> list[str]:
        return [
            w.strip() for w in text.replace(",", "、").replace("，", "、").split("、") if w.strip()
        ]

    def clean_ratio(self):
        text = self.cleaned_data["ratio"].strip()
        if text and not text.endswith("%"):
            raise forms.ValidationError("请写百分数，如 10%。")
        return text

    def clean(self):
        data = super().clean()
        kinds = data.get("record_kinds") or []
        start, end = data.get("record_from"), data.get("record_to")
        if kinds and not (start and end):
            raise forms.ValidationError("按监管记录定向时，请填写记录的起始和截止日期。")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        filters = {
            "行业类别": self._words(data["industries"]),
            "行政区划代码": self._words(data["divisions"]),
            "执法片区": self._words(data["areas"]),
            "要素标签": self._words(data["tags"]),
        }
        if data.get("record_kinds"):
            filters["监管记录"] = {
                "kinds": list(data["record_kinds"]),
                "from": data["record_from"].isoformat(),
                "to": data["record_to"].isoformat(),
            }
        return {
            "name": data["name"],
            "quarter": data["quarter"],
            "classes": list(data["classes"]),
            "scope": data["scope"],
            "partners": self._words(data["partners"]),
            "partner_departments": list(data.get("partner_departments") or []),
            "joint_industry": data.get("joint_industry") or "",
            "filters": filters,
            "sample": {"ratio": data["ratio"]} if data["ratio"] else None,
        }


class ParticipationForm(forms.Form):
    """参与其他部门联合抽查 (保定 三、（四）): what the lead department's papers say."""

    lead_department = forms.CharField(
        label="牵头部门", max_length=100, help_text="如 县市场监督管理局"
    )
    task_number = forms.CharField(label="牵头部门任务编号", max_length=50)
    task_name = forms.CharField(label="抽查任务名称", max_length=200)
    checked_on = RangedDateField(label="检查日期")
    targets = forms.CharField(label="检查对象", max_length=500, help_text="多个用“、”分隔")
    officers = forms.CharField(
        label="本局参加人员", max_length=200, help_text="姓名，多个用“、”分隔"
    )
    documents = forms.CharField(
        label="文书编号", max_length=300, help_text="牵头部门的任务通知文号、检查记录编号等"
    )
    note = forms.CharField(label="说明", max_length=500, required=False)
