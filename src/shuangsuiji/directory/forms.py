"""Web forms of the registers, built from the same column definitions as the import."""

from __future__ import annotations

from django import forms
from django.conf import settings

from shuangsuiji.directory.limits import too_large
from shuangsuiji.directory.registers import CellError, RegisterSpec, is_blank


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx、.xls 或 .csv）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SHUANGSUIJI_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(too_large(upload.name, upload.size, limit))
        return upload


class ImportApplyForm(forms.Form):
    reason = forms.CharField(
        label="导入原因",
        max_length=300,
        help_text="记入每条记录的变更历史，如“2026 年第二季度名录动态调整”。",
    )
    remove_absent = forms.BooleanField(
        label="将文件中没有的记录移出名录（不删除，可恢复）", required=False
    )


def record_form_class(spec: RegisterSpec) -> type[forms.Form]:
    """A form whose fields are the register's columns and whose cleaning is the import's.

    Built with ``kept`` (the stored values of the personal columns, 身份证号 and 联系电话), a
    personal field the form showed masked and that comes back as that mask keeps the stored
    number: the edit page never shows the full number unless asked (and audited).
    """
    fields: dict[str, forms.Field] = {}
    for column in spec.columns:
        if column.options and not column.multiple:
            choices = [("", "（未填写）"), *[(o, o) for o in column.options]]
            field = forms.ChoiceField(choices=choices)
        else:
            widget = forms.Textarea(attrs={"rows": 4}) if column.multiline else forms.TextInput
            field = forms.CharField(widget=widget)
        field.label = column.header
        field.required = column.required
        if column.multiple:
            field.help_text = f"多个用“、”分隔，可选：{'、'.join(column.options)}"
        fields[column.field] = field
    fields["reason"] = forms.CharField(label="变更原因", max_length=200)

    def __init__(self, *args, kept: dict[str, str] | None = None, **kwargs):
        super(form_class, self).__init__(*args, **kwargs)
        self.kept = kept or {}

    def clean(self):
        data = super(form_class, self).clean()
        values = {}
        for column in spec.columns:
            raw = data.get(column.field)
            stored = self.kept.get(column.field)
            if column.sensitive and stored and raw == column.mask(stored):
                values[column.field] = stored  # shown masked, left alone
                continue
            if is_blank(raw):
                values[column.field] = column.default
                continue
            try:
                values[column.field] = column.read(raw)
            except CellError as error:
                self.add_error(column.field, str(error))
        if not self.errors:
            for header, message in spec.row_rules(values):
                field_name = next(c.field for c in spec.columns if c.header == header)
                self.add_error(field_name, message)
        data["values"] = values
        return data

    form_class = type(
        f"{spec.key.title()}Form", (forms.Form,), {**fields, "__init__": __init__, "clean": clean}
    )
    return form_class


def initial_from(spec: RegisterSpec, instance, *, reveal: bool = False) -> dict[str, str]:
    """The record's values as the form shows them: personal numbers masked unless ``reveal``."""
    initial = {}
    for column in spec.columns:
        value = getattr(instance, column.field)
        text = "" if value in (None, "") else column.write(value)
        masked = column.sensitive and text and not reveal
        initial[column.field] = column.mask(text) if masked else text
    return initial


def kept_values(spec: RegisterSpec, instance) -> dict[str, str]:
    """The stored personal numbers a masked field keeps when it comes back unchanged."""
    if instance is None:
        return {}
    return {c.field: getattr(instance, c.field) or "" for c in spec.columns if c.sensitive}
