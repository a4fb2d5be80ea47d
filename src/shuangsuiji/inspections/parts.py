"""The partner departments' parts of a 部门联合 inspection (获嘉 二、（一）–（三）): each partner's
team comes from the task's draw, matched from its own register; each partner enters, submits
and publishes its own findings ("谁检查、谁录入、谁公开"), and neither side edits the other's."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.models import Inspector
from shuangsuiji.inspections.models import PUBLIC_RESULT, Inspection, InspectionPart
from shuangsuiji.planning.models import Draw


def parts_create(*, inspection: Inspection, teams: dict[str, tuple[list[str], list[str]]]) -> None:
    """One part per registered partner department of the inspection's task, with the team the
    draw matched for it (``teams``: department code → (执法证号 in the draw's order, flags)).
    Called by ``inspections_create_from_draw`` inside the draw's transaction."""
    if inspection.task is None:
        return
    for department in inspection.task.partner_departments.all():
        numbers, flags = teams.get(department.code, ([], ["部门联合：本次抽取未包含该部门"]))
        by_number = {
            i.certificate_no: i
            for i in Inspector.objects.filter(organisation=department, certificate_no__in=numbers)
        }
        part = InspectionPart.objects.create(
            inspection=inspection,
            organisation=department,
            status=InspectionPart.Status.ASSIGNED if numbers else InspectionPart.Status.NEEDS_TEAM,
            flags=list(flags),
        )
        part.team.set([by_number[n] for n in numbers])


def may_record(user, part: InspectionPart) -> bool:
    """The department's coordinator, or one of its inspectors on the part's team."""
    if not user.is_authenticated or user.organisation_id != part.organisation_id:
        return False
    if has_permission(user, "manage_sampling"):
        return True
    return (
        has_permission(user, "record_inspections")
        and part.team.filter(certificate_no=user.username).exists()
    )


def _check_recorder(actor, part: InspectionPart) -> None:
    if actor is not None and not may_record(actor, part):
        raise PermissionDenied("只有该联合部门的抽查管理员或其检查人员可以录入本部门的检查情况。")


@audited("inspection.part_save", "保存联合部门检查情况", subject="part")
@transaction.atomic
def part_save(
    *,
    actor,
    part: InspectionPart,
    checked_at: dt.datetime | None,
    result_category: str,
    findings: str,
    public_summary: str,
) -> InspectionPart:
    _check_recorder(actor, part)
    part = InspectionPart.objects.select_for_update().get(pk=part.pk)
    if part.status == InspectionPart.Status.SUBMITTED:
        raise ValidationError("本部门的检查情况已提交，不能再修改。")
    if checked_at and checked_at > timezone.now():
        raise ValidationError({"checked_at": "检查时间不能晚于现在。"})
    part.checked_at = checked_at
    part.result_category = result_category
    part.findings = findings.strip()
    part.public_summary = public_summary.strip()
    part.full_clean()
    part.save()
    return part


def part_missing(part: InspectionPart) -> list[str]:
    """What the part still needs before it is submitted."""
    missing = []
    if not part.checked_at:
        missing.append("请填写检查时间。")
    if not part.result_category:
        missing.append("请选择检查结果。")
    if not part.findings:
        missing.append("请填写检查情况与发现的问题。")
    if not part.public_summary:
        missing.append("请填写公示摘要。")
    return missing


@audited("inspection.part_submit", "提交联合部门检查情况", subject="part")
@transaction.atomic
def part_submit(*, actor, part: InspectionPart) -> InspectionPart:
    _check_recorder(actor, part)
    part = InspectionPart.objects.select_for_update().get(pk=part.pk)
    if part.status == InspectionPart.Status.SUBMITTED:
        raise ValidationError("本部门的检查情况已提交。")
    missing = part_missing(part)
    if missing:
        raise ValidationError(missing)
    part.status = InspectionPart.Status.SUBMITTED
    part.submitted_at = timezone.now()
    part.submitted_by = actor
    part.save(update_fields=["status", "submitted_at", "submitted_by"])
    return part


def publish_refusal(part: InspectionPart) -> str:
    """Why the part cannot be published now, or "" when it can."""
    if part.published_at:
        return "本部门的检查情况已公示。"
    if part.status != InspectionPart.Status.SUBMITTED:
        return "本部门的检查情况提交后才能公示。"
    inspection = part.inspection
    if inspection.draw_id and inspection.draw.status not in Draw.LIST_PUBLIC:
        # Before the lead's list is public, a published part would tell who was drawn.
        return "牵头单位的抽取名单公开后才能公示（名单公开前不得透露抽中的对象）。"
    if not Inspection.objects.filter(PUBLIC_RESULT, pk=inspection.pk).exists():
        return "牵头单位认定本次检查结果涉密、不予公示，本部门的检查情况也不公示。"
    return ""


@audited("inspection.part_publish", "公示联合部门检查情况", subject="part")
@transaction.atomic
def part_publish(*, actor, part: InspectionPart) -> InspectionPart:
    require_own(
        actor, part.organisation_id, "manage_sampling", "只有该联合部门的抽查管理员可以公示。"
    )
    part = InspectionPart.objects.select_for_update().get(pk=part.pk)
    refusal = publish_refusal(part)
    if refusal:
        raise ValidationError(refusal)
    part.published_at = timezone.now()
    part.save(update_fields=["published_at"])
    Inspection.objects.filter(pk=part.inspection_id).update(public_changed_at=part.published_at)
    return part
