import datetime as dt

import yaml
from django import forms


class PolicyAdjustmentForm(forms.Form):
    path = forms.ChoiceField(label="参数")
    since = forms.DateField(label="自何日起生效", widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.CharField(
        label="新取值",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="抽查比例可直接填写百分数（如 20%）；其他取值按页面上显示的格式填写，"
        "如 {min: 35%, per: quarter}。",
    )
    reason = forms.CharField(label="调整原因", max_length=300)

    def __init__(self, *args, paths, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["path"].choices = paths
        self.fields["since"].initial = dt.date.today().replace(day=1)

    def clean_value(self):
        text = self.cleaned_data["value"].strip()
        path = self.data.get("path", "")
        if path.endswith(".quota") and text.endswith("%") and "{" not in text:
            return {"ratio": text}
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise forms.ValidationError(f"无法识别的取值格式：{error}") from error
        if isinstance(value, dict | list):
            return value
        raise forms.ValidationError("取值应为 {…} 形式的映射、[…] 列表，或抽查比例的百分数。")
