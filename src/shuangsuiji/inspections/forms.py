from django import forms

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.bureau.dates import limit_dates
from shuangsuiji.directory.models import Inspector
from shuangsuiji.inspections.creation import assistant_candidates
from shuangsuiji.inspections.models import (
    CHECK_METHODS,
    REVISIT_FORMS,
    Confidentiality,
    ConfidentialPublication,
    FollowUp,
    InspectionAssistant,
    ItemOutcome,
    ResultCategory,
    Revisit,
)
from shuangsuiji.inspections.services import RecordData
from shuangsuiji.params import RangedDateField, RangedDateTimeField
from shuangsuiji.policy.schema import RECORD_KINDS


class RecordForm(forms.Form):
    checked_at = RangedDateTimeField(label="检查时间", required=False)
    method_used = forms.ChoiceField(
        label="实际检查方式", choices=[("", "（请选择）"), *CHECK_METHODS], required=False
    )
    present_members = forms.MultipleChoiceField(
        label="在场检查人员", required=False, widget=forms.CheckboxSelectMultiple
    )
    representative = forms.CharField(label="企业在场人员", max_length=100, required=False)
    result_category = forms.ChoiceField(
        label="检查结果", required=False, choices=[("", "（请选择）"), *ResultCategory.choices]
    )
    findings = forms.CharField(
        label="检查情况与发现的问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    public_summary = forms.CharField(
        label="公示摘要", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confidentiality = forms.ChoiceField(
        label="涉密", required=False, choices=Confidentiality.choices
    )
    confidential_reason = forms.CharField(label="不予公开的理由", max_length=300, required=False)
    confidential_publication = forms.ChoiceField(
        label="涉密结果的公示方式",
        required=False,
        choices=ConfidentialPublication.choices,
        help_text="涉密时适用：不公开；公开摘要（只公开不含涉密内容的摘要）；限定范围（仅所选联合部门可查阅）。",
    )
    shared_with = forms.ModelMultipleChoiceField(
        label="限定范围：可查阅的联合部门",
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    determined_on = RangedDateField(label="结果认定日期", required=False)

    def __init__(self, *args, inspection, items, checks, members, preset=None, **kwargs):
        """``members``: the team with its inspectors; ``preset``: the bureau's effective policy,
        where the view has read it (the form's dates start with it)."""
        partners = Organisation.objects.partners_of(inspection.organisation)
        # Read only where there are partners to choose from (most bureaus have none).
        shared = list(inspection.shared_with.all()) if partners.exists() else None
        initial = {
            "checked_at": inspection.checked_at,
            "method_used": inspection.method_used or inspection.method,
            "present_members": inspection.present_members,
            "representative": inspection.representative,
            "result_category": inspection.result_category,
            "findings": inspection.findings,
            "public_summary": inspection.public_summary,
            "confidentiality": inspection.confidentiality,
            "confidential_reason": inspection.confidential_reason,
            "confidential_publication": inspection.confidential_publication,
            "shared_with": shared or [],
            "determined_on": inspection.determined_on,
        }
        super().__init__(*args, initial=initial, **kwargs)
        if shared is not None:
            self.fields["shared_with"].queryset = partners
        else:
            del self.fields["shared_with"]
            self.fields["confidential_publication"].choices = [
                c for c in ConfidentialPublication.choices
                if c[0] != ConfidentialPublication.RESTRICTED
            ]  # fmt: skip
        limit_dates(self, inspection.organisation, preset)
        self.fields["present_members"].choices = [
            (m.inspector.certificate_no, m.inspector.name) for m in members
        ]
        self.items = items
        for item in items:
            check = checks.get(item.pk)
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=item.name,
                required=False,
                widget=forms.RadioSelect,
                choices=ItemOutcome.choices,
                initial=check.outcome if check else "",
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label="说明", required=False, max_length=500, initial=check.note if check else ""
            )

    def record_fields(self) -> list:
        """The record's own fields, in order, without each item's outcome and note (the page
        shows those with their items)."""
        return [self[name] for name in self.fields if name in self.base_fields]

    def record_data(self) -> RecordData:
        d = self.cleaned_data
        return RecordData(
            checked_at=d["checked_at"],
            method_used=d["method_used"],
            representative=d["representative"],
            present_members=tuple(d["present_members"]),
            result_category=d["result_category"],
            findings=d["findings"],
            public_summary=d["public_summary"],
            confidentiality=d["confidentiality"],
            confidential_reason=d["confidential_reason"],
            determined_on=d["determined_on"],
            confidential_publication=d["confidential_publication"],
            shared_with=tuple(d.get("shared_with") or ()),
        )

    def outcomes(self) -> dict[int, tuple[str, str]]:
        return {
            item.pk: (self.cleaned_data[f"item_{item.pk}"], self.cleaned_data[f"note_{item.pk}"])
            for item in self.items
        }


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=[(k, k) for k in RECORD_KINDS])
    file = forms.FileField(label="文件（JPG、PNG 或 PDF）")


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class _ButtonRowForm(forms.Form):
    """A small form posted from a row of the page; its errors go to a message above it."""

    def problems(self) -> list[str]:
        """The errors in words that name their field, for a message above the page."""
        return [
            f"{self.fields[name].label}：{error}" if name in self.fields else error
            for name, errors in self.errors.items()
            for error in errors
        ]


class _BureauDates(_ButtonRowForm):
    """A form whose dates are limited to its bureau's range (``bureau.dates``)."""

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self, organisation)


class FollowUpOpenForm(_BureauDates):
    kind = forms.ChoiceField(label="处置方式", choices=FollowUp.Kind.choices)
    opened_on = RangedDateField(label="开始日期", required=False, help_text="不填为今天")
    deadline = RangedDateField(label="整改期限", required=False, future=True)
    case_number = forms.CharField(
        label="案件编号", required=False, max_length=_max_length(FollowUp, "case_number")
    )
    receiver = forms.CharField(
        label="移送至", required=False, max_length=_max_length(FollowUp, "receiver")
    )


class FollowUpCloseForm(_BureauDates):
    closed_on = RangedDateField(label="办结日期", required=False, help_text="不填为今天")
    outcome = forms.CharField(label="办结情况", required=False)
    penalty_decided_on = RangedDateField(label="行政处罚决定日期", required=False)


class RevisitForm(_BureauDates):
    form = forms.ChoiceField(label="回访形式", choices=REVISIT_FORMS)
    done_on = RangedDateField(label="回访日期", required=False, help_text="不填为今天")
    opinions = forms.CharField(label="企业意见建议", required=False)
    escalated = forms.BooleanField(label="问题移交纪检监察", required=False)
    escalation_note = forms.CharField(
        label="移交情况", required=False, max_length=_max_length(Revisit, "escalation_note")
    )


class AssistantForm(_ButtonRowForm):
    """保定 三（二）: a 专家 or 辅助人员 of the register, named with a reason. The service checks
    the rest (在岗, 回避, not already on the inspection)."""

    person = forms.ModelChoiceField(
        label="专家或辅助人员", queryset=Inspector.objects.none(), empty_label="（请选择）"
    )
    reason = forms.CharField(
        label="参与理由", max_length=_max_length(InspectionAssistant, "reason")
    )

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        field.queryset = assistant_candidates(inspection.organisation).exclude(
            pk__in=inspection.assistants.values("person")
        )
        field.label_from_instance = lambda p: (
            f"{p.name}（{p.get_category_display()}"
            f"{'，' + p.tags if p.tags else ''}{'，' + p.unit if p.unit else ''}）"
        )


class NoticeForm(_BureauDates):
    """一次告知书 (获嘉 二、（三）): the day the team comes and what the enterprise prepares."""

    visit_on = RangedDateField(label="检查日期", future=True)
    materials = forms.CharField(
        label="需企业准备的资料（每行一项）",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="如：排污许可证（正、副本）；环境影响评价文件及批复；近三个月的自行监测报告。",
    )

    def material_lines(self) -> list[str]:
        return self.cleaned_data["materials"].splitlines()


class PartForm(forms.Form):
    """A partner department's own record of a 部门联合 inspection."""

    checked_at = RangedDateTimeField(label="检查时间", required=False)
    result_category = forms.ChoiceField(
        label="检查结果", required=False, choices=[("", "（请选择）"), *ResultCategory.choices]
    )
    findings = forms.CharField(
        label="检查情况与发现的问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    public_summary = forms.CharField(
        label="公示摘要", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
