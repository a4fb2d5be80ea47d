"""实施方案文件, the staff pages: the list (抽查管理员, 领导, 监督员), the upload and the
withdrawal (抽查管理员 only), and the file itself. The portal's page and download are in
``disclosure.views``; both serve the file through ``document_response``."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from shuangsuiji.accounts.access import has_permission, role_required
from shuangsuiji.bureau import plan_documents as documents
from shuangsuiji.bureau.models import PlanDocument
from shuangsuiji.params import YEARS, RangedDateField, whole_number

READERS = ("manage_sampling", "read_org_data")


class PlanDocumentForm(forms.Form):
    """What the page parses; the service checks every value again and names the problems."""

    title = forms.CharField(
        label="标题",
        error_messages={"required": "请填写标题。"},
        widget=forms.TextInput(attrs={"maxlength": 200}),
        help_text="与文件上的标题一致，如“获嘉县2024年“双随机、一公开”监管工作实施方案”。",
    )
    document_number = forms.CharField(
        label="文号",
        error_messages={"required": f"请填写文号，如“{documents.NUMBER_EXAMPLE}”。"},
        widget=forms.TextInput(attrs={"maxlength": 50}),
        help_text=f"如“{documents.NUMBER_EXAMPLE}”；年份的括号写作 [ ]、（ ）均可，保存为〔 〕。",
    )
    issued_on = RangedDateField(label="印发日期", error_messages={"required": "请填写印发日期。"})
    year = forms.IntegerField(
        label="年度",
        error_messages={"required": "请填写年度。", "invalid": "年度应为四位数字，如 2024。"},
        help_text="方案适用的年度；公开门户按年度列出。",
    )
    file = forms.FileField(
        label="文件（PDF 或 Word 文档）",
        allow_empty_file=True,  # the service names the empty file, with its name
        error_messages={"required": "请选择实施方案文件。"},
    )
    replaces = forms.ModelChoiceField(
        label="替换现行文件",
        queryset=PlanDocument.objects.none(),
        required=False,
        empty_label="不替换，新增一份",
        error_messages={"invalid_choice": "所选文件已不是现行文件，请重新选择。"},
        help_text="上传修订后的版本时选择原文件：原文件标为“已替换”，仍保留在列表中。",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaces"].queryset = documents.replaceable(organisation)
        self.fields["replaces"].label_from_instance = lambda d: f"{d.year} 年度{d}"
        last = timezone.localdate().year + 1
        self.fields["year"].widget.attrs.update(min=YEARS[0], max=last)
        limit = documents.size_text(documents.max_bytes())
        self.fields[
            "file"
        ].help_text = f"不超过 {limit}；按文件内容判断类型，与扩展名无关。含宏的 Word 文档不接受。"
        self.fields["file"].widget.attrs["accept"] = ".pdf,.doc,.docx"


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤回原因",
        error_messages={"required": "请填写撤回原因。"},
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
        help_text="如“误传了征求意见稿”。原因保留在本单位的文件列表中，不在公开门户显示。",
    )


def document_response(document: PlanDocument) -> FileResponse:
    """The file under its Chinese name (RFC 6266: ``filename*`` in UTF-8, with a plain
    ``filename`` for the few clients that read only that)."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("文件不在服务器上（可能未从备份恢复），请联系系统管理员。") from error
    response = FileResponse(handle, content_type=documents.CONTENT_TYPES[document.kind])
    name = documents.download_name(document)
    fallback = f"plan-{document.year}-{document.pk}.{document.kind}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=utf-8''{quote(name)}"
    )
    return response


@role_required(*READERS)
@require_GET
def plan_document_list(request):
    organisation = request.user.organisation
    return render(
        request,
        "bureau/plan_documents.html",
        {
            "documents": documents.plan_documents_of(organisation),
            "can_manage": has_permission(request.user, "manage_sampling"),
            "org": organisation,
        },
    )


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def plan_document_upload(request):
    organisation = request.user.organisation
    if request.method == "POST":
        form = PlanDocumentForm(request.POST, request.FILES, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = documents.plan_document_upload(
                    actor=request.user,
                    organisation=organisation,
                    year=data["year"],
                    title=data["title"],
                    document_number=data["document_number"],
                    issued_on=data["issued_on"],
                    upload=data["file"],
                    replaces=data["replaces"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                replaced = f"，原文件{data['replaces']}已标为“已替换”" if data["replaces"] else ""
                messages.success(
                    request,
                    f"已上传 {document.year} 年度{document}{replaced}，已在公开门户的实施方案页公开"
                    "（已记入审计日志）。",
                )
                return redirect("bureau:plan_documents")
        status = 400
    else:
        replaces = whole_number(request.GET.get("replaces"), 1, 2**63 - 1)
        initial = {"year": timezone.localdate().year}
        chosen = documents.replaceable(organisation).filter(pk=replaces or 0).first()
        if chosen is not None:
            initial.update(replaces=chosen, year=chosen.year, title=chosen.title)
        form = PlanDocumentForm(initial=initial, organisation=organisation)
        status = 200
    return render(request, "bureau/plan_document_upload.html", {"form": form}, status=status)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


@role_required("manage_sampling")
@require_http_methods(["GET", "POST"])
def plan_document_withdraw(request, pk: int):
    """撤回 on its own page, with a reason: the document leaves the portal at once."""
    document = get_object_or_404(
        PlanDocument.objects.editable_by(request.user).select_related("replaced_by"), pk=pk
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and request.POST.get("confirm") == "1" and form.is_valid():
        try:
            documents.plan_document_withdraw(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"已撤回{document}：公开门户不再显示，本单位列表中保留（已记入审计日志）。"
            )
            return redirect("bureau:plan_documents")
    blocked = (
        f"该文件已于 {timezone.localtime(document.withdrawn_at):%Y-%m-%d %H:%M} 撤回"
        f"（原因：{document.withdrawal_reason}）。"
        if document.withdrawn_at
        else ""
    )
    return render(
        request,
        "bureau/plan_document_withdraw.html",
        {"document": document, "form": form, "blocked": blocked},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*READERS)
@require_GET
def plan_document_file(request, pk: int):
    """The bureau's own copy, withdrawn ones included (the public portal serves its own)."""
    document = get_object_or_404(PlanDocument.objects.readable_by(request.user), pk=pk)
    return document_response(document)
