"""Forms of the working-day calendar page."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from shuangsuiji.params import YEARS, RangedDateField, horizon


class WorkdayForm(forms.Form):
    """One day of the calendar: national (the province's administrator only) or the bureau's
    own (``bureau.calendar_services``)."""

    NATIONAL, LOCAL = "national", "local"

    scope = forms.ChoiceField(
        label="范围",
        choices=[
            (LOCAL, "仅本单位（本单位的放假或上班日，只影响本单位的期限）"),
            (NATIONAL, "全国日历（国务院办公厅放假通知，影响所有单位）"),
        ],
        initial=LOCAL,
    )
    day = RangedDateField(label="日期", future=True)
    is_workday = forms.BooleanField(label="上班（不勾选为放假）", required=False)
    note = forms.CharField(
        label="说明", max_length=100, required=False, help_text="如“国务院办公厅通知：春节调休”"
    )

    def __init__(self, *args, national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not national:
            # Only the province's administrator edits the national calendar.
            field = self.fields["scope"]
            field.choices = [c for c in field.choices if c[0] == self.LOCAL]
            field.error_messages["invalid_choice"] = (
                "全国工作日历（国务院办公厅放假通知）只能由省厅的系统管理员修改；"
                "本单位的调整请选“仅本单位”。"
            )


class WorkdayYearForm(forms.Form):
    """The province confirms that a year's notice is entered completely."""

    year = forms.IntegerField(
        label="确认整年的放假与调休已录入完整",
        help_text="国务院办公厅发布某年放假通知后，录入通知中与推算不同的放假和调休上班日，"
        "再在此确认该年；确认后该年的期限不再是暂定，已算出的期限将重新计算。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        last = horizon(future=True).year
        field = self.fields["year"]
        message = f"年份须在 {YEARS[0]} 至 {last} 之间。"
        field.validators = [
            MinValueValidator(YEARS[0], message=message),
            MaxValueValidator(last, message=message),
        ]
        field.widget.attrs.update(min=YEARS[0], max=last)
