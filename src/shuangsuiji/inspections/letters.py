"""Letters to the enterprise, kept with the inspection.

- 一次告知书 (获嘉 二、（三）, HJ-2.3b): “需要企业提供的证照、环评等资料，要一次告知检查对象，提前
  准备” — what to prepare, when the team comes and who comes, from the task and its items.
- 检查结果告知书 (获嘉 三、（二）, HJ-3.2): “检查反馈结果‘一表告知’被检查对象” — each item's
  conclusion, the result, the follow-ups and their deadlines, on one sheet, with signatures.

Each letter is issued once by an act of the team (or the 抽查管理员), frozen as a PDF among the
inspection's 材料 and logged; a letter issued again (a corrected notice, a result reopened and
submitted anew) is a new PDF beside the first, never in its place.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from shuangsuiji.accounts.access import has_permission
from shuangsuiji.audit.services import audited
from shuangsuiji.inspections.models import Attachment, Inspection
from shuangsuiji.inspections.services import is_team_member

NOTICE = "一次告知书"
RESULT_NOTICE = "结果告知书"
LETTER_KINDS = (NOTICE, RESULT_NOTICE)
#: What one notice may list: enough for any check of the plans' item lists, short enough to
#: stay one page or two.
MATERIALS_MAX_LINES = 30
MATERIALS_MAX_CHARS = 200


class LetterUnavailable(Exception):
    """The PDF component is missing on the server (WeasyPrint needs Pango)."""


def letter_writer(user, inspection: Inspection) -> bool:
    """The team writes to the enterprise it inspects; the bureau's 抽查管理员 may do it for it."""
    if is_team_member(user, inspection):
        return True
    return (
        user.is_authenticated
        and has_permission(user, "manage_sampling")
        and user.organisation_id == inspection.organisation_id
    )


def _check_writer(actor, inspection: Inspection) -> None:
    if actor is None or not letter_writer(actor, inspection):
        raise PermissionDenied("只有本组执法人员或本单位抽查管理员可以出具告知书。")


def public_items(inspection: Inspection) -> list:
    """The items a letter names: a 涉密 item is checked but never written to the enterprise."""
    return [item for item in inspection.items.all() if not item.confidential]


def suggested_materials(inspection: Inspection) -> list[str]:
    """The notice's first draft: one line per item, for the team to make precise."""
    return [f"与“{item.name}”有关的许可证照、台账和记录" for item in public_items(inspection)]


def _pdf(template: str, context: dict) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as error:  # the machine lacks Pango
        raise LetterUnavailable(
            "服务器缺少 PDF 组件，请系统管理员安装 libpango-1.0-0、libpangoft2-1.0-0 和 "
            "fonts-noto-cjk。"
        ) from error
    return HTML(string=render_to_string(template, context)).write_pdf()


def _kept(actor, inspection: Inspection, kind: str, pdf: bytes, day: dt.date) -> Attachment:
    name = f"{kind}-{inspection.target.name}-{day:%Y%m%d}.pdf"
    attachment = Attachment(
        inspection=inspection,
        kind=kind,
        original_name=name,
        size=len(pdf),
        content_type="application/pdf",
        uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(pdf), save=False)
    attachment.save()
    return attachment


def _members(inspection: Inspection) -> list:
    return list(inspection.members.select_related("inspector").order_by("-is_lead", "pk"))


def clean_materials(lines: list[str]) -> list[str]:
    materials = [" ".join(line.split()) for line in lines if line.strip()]
    if not materials:
        raise ValidationError({"materials": "请写明需企业准备的资料，每行一项。"})
    if len(materials) > MATERIALS_MAX_LINES:
        raise ValidationError(
            {
                "materials": f"需企业准备的资料最多 {MATERIALS_MAX_LINES} 项"
                f"（所填为 {len(materials)} 项）。"
            }
        )
    for number, line in enumerate(materials, start=1):
        if len(line) > MATERIALS_MAX_CHARS:
            raise ValidationError(
                {
                    "materials": f"第 {number} 项超过 {MATERIALS_MAX_CHARS} 个字"
                    f"（所填为 {len(line)} 个字）。"
                }
            )
    return materials


@audited("inspection.notice", "出具一次告知书")
@transaction.atomic
def notice_issue(
    *, actor, inspection: Inspection, visit_on: dt.date, materials: list[str]
) -> Attachment:
    """The 一次告知书: before the check, what to prepare, the day and the team."""
    _check_writer(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status != Inspection.Status.ASSIGNED:
        raise ValidationError(
            f"该检查当前为“{inspection.get_status_display()}”：一次告知书在检查前出具。"
        )
    today = timezone.localdate()
    if visit_on < today:
        raise ValidationError(
            {"visit_on": f"检查日期不能早于今天（{today:%Y-%m-%d}），所填为 {visit_on:%Y-%m-%d}。"}
        )
    materials = clean_materials(materials)
    pdf = _pdf(
        "inspections/letter_notice.html",
        {
            "inspection": inspection,
            "items": public_items(inspection),
            "members": _members(inspection),
            "materials": materials,
            "visit_on": visit_on,
            "issued_on": today,
        },
    )
    return _kept(actor, inspection, NOTICE, pdf, today)


@audited("inspection.result_notice", "出具检查结果告知书")
@transaction.atomic
def result_notice_issue(*, actor, inspection: Inspection) -> Attachment:
    """The 检查结果告知书 (一表告知): each item's conclusion, the result, what follows."""
    _check_writer(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status != Inspection.Status.DONE:
        raise ValidationError(
            f"该检查当前为“{inspection.get_status_display()}”：检查结果提交后才能出具结果告知书。"
        )
    checks = {
        check.item_id: check
        for check in inspection.item_checks.select_related("item")
        if not check.item.confidential
    }
    today = timezone.localdate()
    pdf = _pdf(
        "inspections/letter_result.html",
        {
            "inspection": inspection,
            "rows": [(item, checks.get(item.pk)) for item in public_items(inspection)],
            "members": _members(inspection),
            "follow_ups": list(inspection.follow_ups.order_by("opened_on", "pk")),
            "issued_on": today,
            "checked_on": timezone.localdate(inspection.checked_at)
            if inspection.checked_at
            else None,
        },
    )
    return _kept(actor, inspection, RESULT_NOTICE, pdf, today)
