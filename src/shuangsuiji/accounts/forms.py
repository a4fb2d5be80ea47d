from django import forms

from shuangsuiji.accounts.models import Organisation, OrganisationLevel
from shuangsuiji.accounts.roles import Role
from shuangsuiji.policy.loader import preset_titles


def _preset_choices() -> list[tuple[str, str]]:
    return [("", "（未设置）"), *preset_titles().items()]


class OrganisationCreateForm(forms.Form):
    parent = forms.ModelChoiceField(label="上级单位", queryset=Organisation.objects.none())
    code = forms.CharField(
        label="单位代码", max_length=12, help_text="6 位行政区划代码，创建后不可修改。"
    )
    name = forms.CharField(label="单位名称", max_length=100)
    level = forms.TypedChoiceField(
        label="层级", choices=OrganisationLevel.choices, coerce=int, required=False
    )
    policy_preset = forms.ChoiceField(label="政策预设", required=False)

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        self.fields["policy_preset"].choices = _preset_choices()


class OrganisationUpdateForm(forms.Form):
    name = forms.CharField(label="单位名称", max_length=100)
    policy_preset = forms.ChoiceField(label="政策预设", required=False)
    is_active = forms.BooleanField(label="启用", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_preset"].choices = _preset_choices()


class UserForm(forms.Form):
    display_name = forms.CharField(label="姓名", max_length=50)
    organisation = forms.ModelChoiceField(label="所属单位", queryset=Organisation.objects.none())
    roles = forms.MultipleChoiceField(
        label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class UserCreateForm(UserForm):
    username = forms.CharField(label="登录名", max_length=150)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput,
        required=False,
        help_text="留空则自动生成，并在保存后显示一次。",
    )
    field_order = ["username", "display_name", "organisation", "roles", "password"]


class UserUpdateForm(UserForm):
    is_active = forms.BooleanField(label="启用", required=False)


class SetPasswordForm(forms.Form):
    password = forms.CharField(label="新密码", widget=forms.PasswordInput)
