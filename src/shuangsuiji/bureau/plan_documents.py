"""实施方案 files: the bureau's 抽查管理员 uploads the document as issued, with its 文号 and
印发日期, and the public policy page offers it beside the parameters (issue 20 §7).

保定 三、（五） (BD-3.5) asks to “及时公开随机抽查工作方案”, 藁城 二、（八） (GC-2.8b) that the
“年度计划、实施方案……及时向社会公开”: the parameters the platform follows are public already;
this is the document they were read from, so anyone can hold one against the other.

- Only PDF and Word (.doc, .docx) are kept, recognised by their content, never by the file's
  name: a “.pdf” that is a zip or a program is refused, a Word file named “.pdf” is kept as Word.
- The size limit is the setting ``SHUANGSUIJI_PLAN_DOCUMENT_MAX_BYTES`` (default 20 MB), named
  in the message of a file over it. A refused upload stores nothing: no row, no file.
- Kept for good (``PlanDocument`` is archive): a new version replaces a current one, which stays
  listed as 已替换; a document is withdrawn with a reason, which takes it off the portal and
  leaves it in the bureau's list.

Services ``plan_document_upload`` and ``plan_document_withdraw``; the selectors below read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from shuangsuiji import filetypes
from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited, snapshot
from shuangsuiji.bureau.models import PlanDocument
from shuangsuiji.bureau.models import file_size_text as size_text
from shuangsuiji.params import YEARS

#: The size limit when the setting is not given: a scanned 实施方案 of thirty pages is 5–10 MB.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: 文号 as the 党政机关公文格式 (GB/T 9704) writes it: 机关代字〔年份〕序号 — “获嘉环〔2024〕12号”.
NUMBER_EXAMPLE = "获嘉环〔2024〕12号"
_NUMBER = re.compile(r"[^\s〔〕]{1,30}〔(?:19|20)\d{2}〕第?\d{1,6}号")
#: Brackets people type for 〔〕 (half- and full-width square, round and 【】), around a year.
_YEAR_BRACKETS = re.compile(r"[\[［【(（〔]\s*((?:19|20)\d{2})\s*[\]］】)）〕]")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
#: Parts a .docx holds: Word writes about a dozen, a few more with pictures. A zip announcing
#: thousands is no document (and zipfile would read its whole directory into memory).
MAX_DOCX_PARTS = 2000
#: [Content_Types].xml is a few kilobytes; more is no Word document.
_MAX_CONTENT_TYPES = 1 << 20
#: The name of the stream every Word 97–2003 document holds, as the compound file stores it.
_WORD_STREAM = "WordDocument".encode("utf-16-le")
CONTENT_TYPES = {
    PlanDocument.Kind.PDF: "application/pdf",
    PlanDocument.Kind.DOC: "application/msword",
    PlanDocument.Kind.DOCX: (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
}
ACCEPTED = "只接受 PDF 或 Word 文档（.doc、.docx），按文件内容判断，与扩展名无关"


def max_bytes() -> int:
    """The size limit, read when asked (never at import), so a changed setting applies."""
    return getattr(settings, "SHUANGSUIJI_PLAN_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


# ---- what the file is --------------------------------------------------------------------------


def file_kind(content: bytes, name: str) -> PlanDocument.Kind:
    """The document's type from its content; ``ValidationError`` on the file field naming the
    file and what it really is."""
    label = f"文件“{name}”"
    kind = filetypes.file_type(content)
    if kind is filetypes.PDF:
        # A PDF ends with %%EOF (trailing bytes after it are tolerated by every reader); an
        # upload cut short lacks it and would not open.
        if b"%%EOF" not in content[-2048:]:
            raise _file_error(f"{label}不是完整的 PDF（缺少文件结尾），可能上传中断，请重新上传")
        return PlanDocument.Kind.PDF
    if kind is filetypes.OLE2:
        if _WORD_STREAM not in content:
            raise _file_error(
                f"{label}是 Office 97–2003 文件，但不是 Word 文档（可能是 Excel 表格），{ACCEPTED}"
            )
        return PlanDocument.Kind.DOC
    if kind is filetypes.ZIP:
        _check_docx(content, label)
        return PlanDocument.Kind.DOCX
    found = f"（实为{kind.label}）" if kind else ""
    raise _file_error(f"{label}的内容不是 PDF 或 Word 文档{found}，{ACCEPTED}")


def _check_docx(content: bytes, label: str) -> None:
    """A .docx is a zip holding ``word/document.xml``; a zip of anything else is refused, and
    so is a macro-enabled document (.docm), whose macros would run on the public's computers."""
    if _zip_parts(content) > MAX_DOCX_PARTS:
        raise _file_error(f"{label}是压缩包，部件超过 {MAX_DOCX_PARTS} 个，不是 Word 文档")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise _file_error(f"{label}的内容是 zip 压缩包，不是 Word 文档，{ACCEPTED}")
            types = archive.getinfo("[Content_Types].xml")
            if types.file_size > _MAX_CONTENT_TYPES:
                raise _file_error(f"{label}不是正常的 Word 文档（内容类型表过大）")
            with archive.open(types) as stream:
                declared = stream.read(_MAX_CONTENT_TYPES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as error:
        # zipfile's own words are English: the message says what it means for the user.
        raise _file_error(f"{label}已损坏，无法读取为 Word 文档，请重新导出后上传") from error
    if b"macroEnabled" in declared or "word/vbaProject.bin" in names:
        raise _file_error(
            f"{label}是含宏的 Word 文档（.docm），请另存为不含宏的 .docx 或 PDF 后上传"
        )


def _zip_parts(content: bytes) -> int:
    """The parts a zip's end record announces, read before zipfile parses the directory."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or end + 22 > len(content):
        return 0  # no end record: zipfile refuses it as damaged
    count = int.from_bytes(content[end + 10 : end + 12], "little")
    directory = int.from_bytes(content[end + 12 : end + 16], "little")
    return MAX_DOCX_PARTS + 1 if count == 0xFFFF else max(count, directory // 46)


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": f"{message}。"})


# ---- the other fields --------------------------------------------------------------------------


def normalise_number(raw: str) -> str:
    """文号 as written on the document: spaces dropped, full-width digits made plain, and the
    brackets around the year, whichever were typed, made 〔〕."""
    text = re.sub(r"\s+", "", raw or "").translate(_FULL_WIDTH_DIGITS)
    return _YEAR_BRACKETS.sub(r"〔\1〕", text)


def number_problem(number: str) -> str | None:
    """Loose: 机关代字, a year in 〔〕, a serial number and 号; nothing else is asked."""
    limit = PlanDocument._meta.get_field("document_number").max_length
    if not number:
        return f"请填写文号，如“{NUMBER_EXAMPLE}”。"
    if len(number) > limit:
        return f"文号不能超过 {limit} 个字（所填为 {len(number)} 个字）。"
    if not _NUMBER.fullmatch(number):
        return (
            f"文号“{number}”不是公文文号的写法：应为机关代字〔年份〕序号号，如“{NUMBER_EXAMPLE}”。"
        )
    return None


def _field_problems(*, year, title: str, number: str, issued_on, today: dt.date) -> dict:
    problems = {}
    title_limit = PlanDocument._meta.get_field("title").max_length
    if not title:
        problems["title"] = "请填写标题，如“获嘉县2024年“双随机、一公开”监管工作实施方案”。"
    elif len(title) > title_limit:
        problems["title"] = f"标题不能超过 {title_limit} 个字（所填为 {len(title)} 个字）。"
    if (problem := number_problem(number)) is not None:
        problems["document_number"] = problem
    if issued_on is None:
        problems["issued_on"] = "请填写印发日期。"
    elif issued_on > today:
        problems["issued_on"] = (
            f"印发日期不能晚于今天（{today.isoformat()}），所填为 {issued_on.isoformat()}。"
        )
    elif issued_on.year < YEARS[0]:
        problems["issued_on"] = (
            f"印发日期须在 {YEARS[0]} 年以后（所填为 {issued_on.isoformat()}）。"
        )
    last = today.year + 1
    if year is None:
        problems["year"] = "请填写年度。"
    elif not YEARS[0] <= year <= last:
        problems["year"] = f"年度须在 {YEARS[0]} 至 {last} 之间（所填为 {year}）。"
    return problems


def _read(upload) -> tuple[bytes, str]:
    """The upload's bytes, refused before reading when over the limit, or empty."""
    name = (getattr(upload, "name", "") or "文件").rsplit("/", 1)[-1][:255]
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _file_error(
            f"文件“{name}”大小 {size_text(size)}，超过 {size_text(limit)} 的上限，"
            "请压缩图片或删去附件后重新上传"
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _file_error(f"文件“{name}”超过 {size_text(limit)} 的上限，请压缩后重新上传")
    if not content:
        raise _file_error(f"文件“{name}”是空文件（0 字节），请重新选择")
    return content, name


# ---- services ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    content: bytes
    name: str
    kind: str
    sha256: str


def _check_replaced(organisation: Organisation, replaces: PlanDocument | None, year: int) -> None:
    if replaces is None:
        return
    if replaces.organisation_id != organisation.pk:
        raise ValidationError({"replaces": "只能替换本单位的实施方案文件。"})
    if not replaces.is_current:
        raise ValidationError({"replaces": f"{replaces}{replaces.status}，只能替换现行的文件。"})
    if replaces.year != year:
        raise ValidationError(
            {
                "replaces": f"{replaces}是 {replaces.year} 年度的文件，新文件为 {year} 年度："
                "只能替换同一年度的文件。"
            }
        )


def _describe_upload(document: PlanDocument, kwargs: dict):
    detail = {"新建": snapshot(document)}
    replaced = kwargs.get("replaces")
    if replaced is not None:
        detail["替换"] = str(replaced)
    summary = f"上传实施方案文件：{document.year} 年度{document}"
    return document, summary, detail


def plan_document_upload(
    *,
    actor,
    organisation: Organisation,
    year: int | None,
    title: str,
    document_number: str,
    issued_on: dt.date | None,
    upload,
    replaces: PlanDocument | None = None,
) -> PlanDocument:
    """Keep the 实施方案 file with its 文号 and 印发日期, replacing ``replaces`` (a current
    document of the same year) when given. Every problem of the fields is named at once; a
    refused upload writes nothing, neither the row nor the file."""
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以上传实施方案文件。"
    )
    title = (title or "").strip()
    number = normalise_number(document_number)
    problems = _field_problems(
        year=year, title=title, number=number, issued_on=issued_on, today=timezone.localdate()
    )
    try:
        content, name = _read(upload)
        kind = file_kind(content, name)
    except ValidationError as error:
        problems.update(error.message_dict)
        problems = {key: value[0] if isinstance(value, list) else value
                    for key, value in problems.items()}  # fmt: skip
    try:
        _check_replaced(organisation, replaces, year)
    except ValidationError as error:
        if "year" not in problems:
            problems["replaces"] = error.message_dict["replaces"][0]
    if problems:
        raise ValidationError(problems)
    checked = _Checked(content, name, kind, hashlib.sha256(content).hexdigest())
    document = PlanDocument(
        organisation=organisation,
        year=year,
        title=title,
        document_number=number,
        issued_on=issued_on,
        kind=checked.kind,
        original_name=checked.name,
        size=len(checked.content),
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    # The file goes to storage before the row, and is removed again if the row is refused
    # (a document uploaded twice at once, a replaced document replaced meanwhile).
    document.file.save(f"upload.{checked.kind}", ContentFile(checked.content), save=False)
    try:
        return _plan_document_record(
            actor=actor, document=document, organisation=organisation, replaces=replaces
        )
    except BaseException:
        document.file.delete(save=False)
        raise


@audited("plan_document.upload", "上传实施方案文件", describe=_describe_upload)
@transaction.atomic
def _plan_document_record(
    *, actor, document: PlanDocument, organisation: Organisation, replaces: PlanDocument | None
) -> PlanDocument:
    """The row of ``plan_document_upload``, its file already stored: checked again under the
    locks, so two coordinators replacing the same document at once cannot both succeed."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    if replaces is not None:
        replaces = PlanDocument.objects.select_for_update().get(pk=replaces.pk)
    _check_replaced(organisation, replaces, document.year)
    same = (
        PlanDocument.objects.filter(
            organisation=organisation, sha256=document.sha256, withdrawn_at__isnull=True
        )
        .order_by("pk")
        .first()
    )
    if same is not None:
        raise ValidationError(
            {"file": f"文件“{document.original_name}”与已上传的{same}内容完全相同，无需重复上传。"}
        )
    document.full_clean()
    document.save()
    if replaces is not None:
        replaces.replaced_by = document
        replaces.save(update_fields=["replaced_by"])
    return document


@audited("plan_document.withdraw", "撤回实施方案文件", subject="document")
@transaction.atomic
def plan_document_withdraw(*, actor, document: PlanDocument, reason: str) -> PlanDocument:
    """Take the document off the portal with a reason; it stays in the bureau's list with the
    reason, who withdrew it and when. A withdrawn document is not brought back: upload it again."""
    require_own(
        actor,
        document.organisation_id,
        "manage_sampling",
        "只有本单位的抽查管理员可以撤回实施方案文件。",
    )
    reason = (reason or "").strip()
    limit = PlanDocument._meta.get_field("withdrawal_reason").max_length
    if not reason:
        raise ValidationError({"reason": "请填写撤回原因（保留在本单位的文件列表中）。"})
    if len(reason) > limit:
        raise ValidationError(
            {"reason": f"撤回原因不能超过 {limit} 个字（所填为 {len(reason)} 个字）。"}
        )
    locked = PlanDocument.objects.select_for_update().get(pk=document.pk)
    if locked.withdrawn_at is not None:
        when = timezone.localtime(locked.withdrawn_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError(f"{locked}已于 {when} 撤回，不能再次撤回。")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = actor
    locked.withdrawal_reason = reason
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    return locked


# ---- selectors -----------------------------------------------------------------------------------


def plan_documents_of(organisation: Organisation) -> QuerySet[PlanDocument]:
    """The bureau's list: every document it uploaded, withdrawn and replaced ones included."""
    return PlanDocument.objects.of_organisation(organisation).select_related(
        "uploaded_by", "withdrawn_by", "replaced_by"
    )


def replaceable(organisation: Organisation) -> QuerySet[PlanDocument]:
    """The documents a new upload may replace: the bureau's current ones."""
    return PlanDocument.objects.of_organisation(organisation).filter(
        withdrawn_at__isnull=True, replaced_by__isnull=True
    )


def public_plan_documents(organisation: Organisation) -> QuerySet[PlanDocument]:
    """What the portal may show and serve: every document not withdrawn (replaced ones too,
    marked 已替换: they were public, and the portal keeps what it once published)."""
    return PlanDocument.objects.of_organisation(organisation).filter(withdrawn_at__isnull=True)


@dataclass(frozen=True)
class YearDocuments:
    year: int
    #: Every year with a document on the portal, latest first.
    years: list[int]
    current: list[PlanDocument] = field(default_factory=list)
    replaced: list[PlanDocument] = field(default_factory=list)

    @property
    def other_years(self) -> list[int]:
        return [year for year in self.years if year != self.year]


def public_year_documents(
    organisation: Organisation, requested: int | None, today: dt.date | None = None
) -> YearDocuments:
    """The portal's documents of one year: the year asked for; else this year if it has
    documents; else the latest earlier year that has (a 实施方案 stays in force until the next
    one); else the latest year that has; else this year, with none."""
    today = today or timezone.localdate()
    documents = public_plan_documents(organisation).select_related("replaced_by")
    years = sorted(set(documents.values_list("year", flat=True)), reverse=True)
    if requested is not None:
        year = requested
    elif today.year in years:
        year = today.year
    else:
        year = next((y for y in years if y < today.year), years[0] if years else today.year)
    shown = list(documents.filter(year=year)) if year in years else []
    return YearDocuments(
        year=year,
        years=years,
        current=[d for d in shown if d.is_current],
        replaced=[d for d in shown if not d.is_current],
    )


def public_plan_document(organisation: Organisation, pk: int) -> PlanDocument | None:
    return public_plan_documents(organisation).filter(pk=pk).first()


def download_name(document: PlanDocument) -> str:
    """The file's name for a download: its title without the marks a file name cannot carry
    or needs not (“双随机、一公开” → 双随机一公开), and the extension of what it really is."""
    stem = re.sub(r"[^\w〔〕（）()\-]", "", document.title)[:100] or "实施方案"
    return f"{stem}.{document.kind}"
