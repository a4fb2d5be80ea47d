"""The form renderer writes Django's standard widgets in Python (``shuangsuiji.widgets``,
issue 21 §3): every kind of widget, in every state the writers tell apart, gives byte for byte
what Django's own Jinja2 widget templates give."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import Jinja2, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from shuangsuiji.widgets import FormRenderer

NASTY = "A&B <b>\"粗\"</b> '引'"
#: A template Django ships that no writer stands for, used as an option's template.
ODD = "django/forms/widgets/attrs.html"
CHOICES = [("", "（请选择）"), ("a", "甲"), (1, NASTY), ("c", gettext_lazy("Yes"))]
GROUPED = [("", "（请选择）"), ("水", [("w1", "废水"), ("w2", "雨水")]), ("x", "其他")]
ATTRS = {
    "required": True,
    "disabled": False,
    "data-note": NASTY,
    "maxlength": 10,
    "aria-describedby": "id_x_helptext",
    "class": "wide",
}

CASES = [
    (forms.TextInput(), None),
    (forms.TextInput(), ""),
    (forms.TextInput(), NASTY),
    (forms.TextInput(attrs=ATTRS), "王厂长"),
    (forms.TextInput(), mark_safe("<i>已是安全的</i>")),
    (forms.NumberInput(attrs={"min": 0, "step": 1}), 0),
    (forms.NumberInput(), 17),
    (forms.EmailInput(), "a@b.cn"),
    (forms.URLInput(), "https://例子.中国/?a=1&b=2"),
    (forms.PasswordInput(), "secret"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.HiddenInput(), 42),
    (forms.DateInput(attrs={"type": "date", "min": "2026-01-01"}), dt.date(2026, 3, 1)),
    (forms.DateTimeInput(attrs={"type": "datetime-local"}), dt.datetime(2026, 3, 1, 9, 30)),
    (forms.TimeInput(), dt.time(8, 5)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.CheckboxInput(attrs={"disabled": True}), "on"),
    (forms.FileInput(), None),
    (forms.ClearableFileInput(), None),
    (forms.Textarea(), None),
    (forms.Textarea(), ""),
    (forms.Textarea(attrs={"rows": 3}), "第一行\n<第二行> & “引号”"),
    (forms.Select(choices=CHOICES), None),
    (forms.Select(choices=CHOICES), "a"),
    (forms.Select(choices=CHOICES, attrs=ATTRS), 1),
    (forms.Select(choices=GROUPED), "w2"),
    (forms.Select(choices=[]), ""),
    (forms.NullBooleanSelect(), True),
    (forms.SelectMultiple(choices=CHOICES), ["a", 1]),
    (forms.RadioSelect(choices=CHOICES), "c"),
    (forms.RadioSelect(choices=CHOICES, attrs={"class": "inline"}), None),
    (forms.RadioSelect(choices=GROUPED), "w1"),
    (forms.CheckboxSelectMultiple(choices=CHOICES), ["", "c"]),
    (forms.CheckboxSelectMultiple(choices=GROUPED, attrs={"disabled": True}), ["x"]),
    (forms.SplitDateTimeWidget(), dt.datetime(2026, 3, 1, 9, 30)),
    # An option template no writer stands for: that option is rendered by Jinja2.
    (type("OddRadio", (forms.RadioSelect,), {"option_template_name": ODD})(choices=CHOICES), "a"),
]


@pytest.mark.parametrize(("widget", "value"), CASES, ids=lambda c: type(c).__name__)
@pytest.mark.parametrize("element_id", ["id_field", None])
def test_each_widget_is_written_as_djangos_jinja2_templates_write_it(widget, value, element_id):
    attrs = {"id": element_id} if element_id else None
    python = widget.render("field", value, attrs=attrs, renderer=FormRenderer())
    jinja2 = widget.render("field", value, attrs=attrs, renderer=Jinja2())
    assert python == jinja2


@pytest.mark.parametrize("widget", [forms.RadioSelect, forms.CheckboxSelectMultiple])
def test_a_choice_written_on_its_own_is_as_its_template_writes_it(widget):
    """A template loops over the choices and writes each with ``{{ radio.tag }}``, as the record
    form's 检查结论 does."""

    class Form(forms.Form):
        outcome = forms.ChoiceField(choices=CHOICES, widget=widget)

    def tags(renderer) -> list[str]:
        field = Form({"outcome": "a"}, renderer=renderer)["outcome"]
        return [str(choice.tag()) + choice.choice_label for choice in field]

    assert tags(FormRenderer()) == tags(Jinja2())


def test_a_whole_form_with_errors_is_as_before():
    """The form's own layout, its labels and error lists still come from Jinja2's templates."""

    class Form(forms.Form):
        name = forms.CharField(label="单位名称", max_length=5, help_text="不超过 5 个字")
        kind = forms.ChoiceField(choices=GROUPED)
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        agreed = forms.BooleanField()

    data = {"name": "名称太长了的单位", "kind": "zz", "when": "2026-13-40"}
    python, jinja2 = Form(data, renderer=FormRenderer()), Form(data, renderer=Jinja2())
    assert not python.is_valid() and not jinja2.is_valid()
    assert str(python) == str(jinja2)
    assert "不超过 5 个字" in str(python) and 'aria-invalid="true"' in str(python)


def test_the_project_renders_its_forms_with_it():
    assert isinstance(get_default_renderer(), FormRenderer)
