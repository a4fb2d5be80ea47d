"""Inspections created by planning's decisions: from a draw (with its teams), by hand where the
matching could not staff one, by substitution from the reserve list, for a 全覆盖 class, and
定向 checks outside the draw. Planning decides; the inspections layer owns the rows.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji import draw as engine
from shuangsuiji.accounts.access import require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.directory.models import Inspector, Target
from shuangsuiji.directory.selectors import target_by_code
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.inspections.models import Inspection, InspectionAssistant, InspectionMember
from shuangsuiji.inspections.parts import parts_create
from shuangsuiji.inspections.selectors import annual_draws, inspector_loads
from shuangsuiji.planning.draws import check_coordinator as _check_coordinator
from shuangsuiji.planning.draws import draw_prepare
from shuangsuiji.planning.models import (
    SUBSTITUTION_REASONS,
    ConflictOfInterest,
    Draw,
    ManualAssignment,
    SamplingTask,
    Substitution,
)


def inspections_create_from_draw(*, draw: Draw, result: engine.Result, methods: dict) -> None:
    """The inspections a draw decided, with their teams and items. Called by the draw act
    (``acts.draws.draw_execute``) in the transaction of the draw and its audit entry; the
    methods are those frozen at commit (``Draw.methods``), never re-read from the register."""
    task = draw.task
    targets = {t.draw_id: t for t in Target.objects.filter(organisation=draw.organisation)}
    inspectors = {
        i.certificate_no: i for i in Inspector.objects.filter(organisation=draw.organisation)
    }
    stratum_of = {s.id: stratum.code for stratum in result.strata for s in stratum.selected}
    for assignment in result.assignments:
        inspection = Inspection.objects.create(
            organisation=draw.organisation,
            task=task,
            draw=draw,
            target=targets[assignment.unit],
            year=task.plan.year,
            kind=Inspection.Kind.RANDOM,
            stratum=stratum_of[assignment.unit],
            method=methods.get(assignment.unit, "现场检查"),
            status=Inspection.Status.ASSIGNED if assignment.team else Inspection.Status.NEEDS_TEAM,
            flags=list(assignment.flags),
        )
        _set_team(inspection, [inspectors[i] for i in assignment.team])
        _attach_items(inspection)
        if assignment.partners:
            parts_create(
                inspection=inspection,
                teams={t.code: (list(t.team), list(t.flags)) for t in assignment.partners},
            )


def applicable_items(task: SamplingTask | None, target: Target) -> list:
    """The task's items that concern the target: an item with 要素标签 applies when it shares
    one with the target; an item without tags applies to every target; and a target whose tags
    are not recorded gets every item (better checked than skipped)."""
    if task is None:
        return []
    items = list(task.items.all())
    tags = set(target.tag_list)
    if not tags:
        return items
    return [i for i in items if not i.tag_list or tags & set(i.tag_list)]


def _attach_items(inspection: Inspection) -> None:
    items = applicable_items(inspection.task, inspection.target)
    inspection.items.set(items)


def _set_team(inspection: Inspection, team: list[Inspector]) -> None:
    """Replace the team member by member, so each one who leaves or joins is a history row
    (``InspectionMember.history``) beside the audit entry of the act that changed it."""
    wanted = {member.pk: position for position, member in enumerate(team)}
    for member in InspectionMember.objects.filter(inspection=inspection):
        if wanted.get(member.inspector_id) != member.position:
            member.delete()
    kept = set(
        InspectionMember.objects.filter(inspection=inspection).values_list(
            "inspector_id", flat=True
        )
    )
    for position, member in enumerate(team):
        if member.pk not in kept:
            InspectionMember.objects.create(
                inspection=inspection, inspector=member, position=position, is_lead=position == 0
            )


@audited("draw.manual_team", "人工指派执法人员", subject="inspection")
@transaction.atomic
def inspection_assign_team(
    *, actor, inspection: Inspection, inspectors: list[Inspector], reason: str
) -> Inspection:
    """A task the matching could not staff (NO_SENIOR, TEAM_INCOMPLETE) gets a team by hand."""
    _check_coordinator(actor, inspection.organisation)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    draw = inspection.draw
    if inspection.status != Inspection.Status.NEEDS_TEAM:
        raise ValidationError("只有待人工指派的检查可以手工指派执法人员。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写手工指派的原因。"})
    team_size = organisation_settings(inspection.organisation).team_size
    if len(set(inspectors)) < team_size:
        raise ValidationError({"inspectors": f"每组至少 {team_size} 名执法人员。"})
    for member in inspectors:
        if not member.can_be_drawn or member.organisation_id != inspection.organisation_id:
            raise ValidationError({"inspectors": f"{member} 不是本单位在编在岗的执法人员。"})
        if ConflictOfInterest.objects.filter(
            inspector=member, target=inspection.target, active=True
        ).exists():
            raise ValidationError({"inspectors": f"{member} 对该检查对象须回避。"})
    lead = inspectors[0]
    settings = organisation_settings(inspection.organisation)
    if lead.start_year is None or lead.start_year > inspection.year - settings.seniority_years:
        message = f"带队人 {lead} 参加执法工作不满 {settings.seniority_years} 年（以老带新）。"
        raise ValidationError({"inspectors": message})
    _set_team(inspection, inspectors)
    inspection.status = Inspection.Status.ASSIGNED
    inspection.save(update_fields=["status"])
    if draw is None:
        return inspection  # a 全覆盖 check is not drawn: its team is in the log and history only
    ManualAssignment.objects.create(
        draw=draw,
        unit=inspection.target.draw_id,
        team=[m.certificate_no for m in inspectors],
        flags=inspection.flags,
        reason=reason.strip(),
        created_by=actor,
    )
    return inspection


@audited("draw.substitute", "替补", subject="inspection")
@transaction.atomic
def inspection_substitute(
    *, actor, inspection: Inspection, reason: str, evidence: str
) -> Inspection:
    """A selected target that cannot be inspected is replaced by the top of the reserve list."""
    _check_coordinator(actor, inspection.organisation)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.draw_id is None:
        # A 全覆盖 or 定向 check was not drawn: there is no reserve list to take from.
        raise ValidationError("该检查不经抽取，没有备选名单，不能替补。")
    draw = Draw.objects.select_for_update().get(pk=inspection.draw_id)
    if draw.status != Draw.Status.DRAWN:
        raise ValidationError("只有已抽取、尚未公开的抽取可以替补。")
    if inspection.status not in (Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM):
        raise ValidationError("该检查不能替补。")
    if reason not in dict(SUBSTITUTION_REASONS):
        raise ValidationError({"reason": "请从规定的原因中选择。"})
    if not evidence.strip():
        raise ValidationError({"evidence": "请写明依据（如注销公告、停产证明、联系记录）。"})
    stratum = next(s for s in json.loads(draw.result)["strata"] if s["code"] == inspection.stratum)
    used = set(draw.substitutions.values_list("substitute_unit", flat=True))
    candidates = [unit for unit in stratum["reserve"] if unit not in used]
    if not candidates:
        raise ValidationError("该类别的备选名单已用完，无法替补。")
    substitute_unit = candidates[0]
    target = target_by_code(draw.organisation, substitute_unit)
    Substitution.objects.create(
        draw=draw,
        stratum=inspection.stratum,
        replaced_unit=inspection.target.draw_id,
        substitute_unit=substitute_unit,
        reason=reason,
        evidence=evidence.strip(),
        created_by=actor,
    )
    inspection.status = Inspection.Status.SUBSTITUTED
    inspection.save(update_fields=["status"])
    team = [m.inspector for m in inspection.members.select_related("inspector")]
    # The replaced unit's team goes along unless a member must stand aside (回避) or the
    # substitute lies in another 片区; then the coordinator assigns a team by hand.
    conflicted = ConflictOfInterest.objects.filter(
        inspector__in=team, target=target, active=True
    ).exists()
    same_region = all(
        (m.area or draw.organisation.code) == (target.area or draw.organisation.code) for m in team
    )
    keep = bool(team) and not conflicted and same_region
    replacement = Inspection.objects.create(
        organisation=draw.organisation,
        task=inspection.task,
        draw=draw,
        target=target,
        year=inspection.year,
        kind=Inspection.Kind.RANDOM,
        stratum=inspection.stratum,
        method=draw.methods.get(substitute_unit, inspection.method),
        status=Inspection.Status.ASSIGNED if keep else Inspection.Status.NEEDS_TEAM,
        flags=[] if keep else ["SUBSTITUTE"],
    )
    _attach_items(replacement)
    if keep:
        _set_team(replacement, team)
    return replacement


def coverage_described(inspections, kwargs):
    task = kwargs["task"]
    summary = f"建立全覆盖检查：{task}，{len(inspections)} 项"
    return task, summary, {"检查对象": [str(i.target) for i in inspections]}


@audited("inspection.coverage", "建立全覆盖检查", describe=coverage_described)
@transaction.atomic
def coverage_inspections_create(*, actor, task: SamplingTask) -> list[Inspection]:
    """ZH-2.5: every eligible target of a coverage class (遵化 正面清单) is checked this quarter
    by its method (非现场), outside the draw. Running it again adds only the missing ones."""
    _check_coordinator(actor, task.organisation)
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if not task.plan.drawable:
        raise ValidationError("年度抽查计划经审批并向社会公开后才能安排检查（无计划清单不检查）。")
    year = task.plan.year
    preparation = draw_prepare(
        task,
        drawn=annual_draws(task.organisation, year),
        loads=inspector_loads(task.organisation, year),
    )
    if not preparation.coverage:
        raise ValidationError("该任务没有全覆盖的类别。")
    methods = {q.code: q.method for q in preparation.coverage}
    existing = set(
        Inspection.objects.filter(task=task, kind=Inspection.Kind.COVERAGE)
        .active()
        .values_list("target_id", flat=True)
    )
    targets = {t.draw_id: t for t in Target.objects.filter(organisation=task.organisation)}
    created = []
    for c in preparation.classifications:
        target = targets[c.target.id]
        if c.class_code in methods and c.eligible and target.pk not in existing:
            created.append(
                Inspection.objects.create(
                    organisation=task.organisation,
                    task=task,
                    target=target,
                    year=task.plan.year,
                    kind=Inspection.Kind.COVERAGE,
                    stratum=c.class_code,
                    method=methods[c.class_code],
                    status=Inspection.Status.NEEDS_TEAM,
                )
            )
            _attach_items(created[-1])
    return created


@audited("inspection.targeted", "登记定向检查")
@transaction.atomic
def targeted_inspection_create(
    *,
    actor,
    target: Target,
    case: str,
    reference: str,
    inspectors: list[Inspector],
    method: str = "现场检查",
) -> Inspection:
    """绛县 三、（一）: a check outside the draw (投诉举报, 上级交办 …), labelled with its case.
    It counts toward the target's annual count and the inspectors' load like any other."""
    from shuangsuiji.inspections.models import TARGETED_CASES

    _check_coordinator(actor, target.organisation)
    if case not in dict(TARGETED_CASES):
        raise ValidationError({"case": "请选择定向检查的事由。"})
    if not reference.strip():
        raise ValidationError({"reference": "请填写案件、交办文件或线索编号。"})
    settings = organisation_settings(target.organisation)
    if len(set(inspectors)) < settings.team_size:
        raise ValidationError({"inspectors": f"每组至少 {settings.team_size} 名执法人员。"})
    for member in inspectors:
        if not member.can_be_drawn or member.organisation_id != target.organisation_id:
            raise ValidationError({"inspectors": f"{member} 不是本单位在编在岗的执法人员。"})
        if ConflictOfInterest.objects.filter(inspector=member, target=target, active=True).exists():
            raise ValidationError({"inspectors": f"{member} 对该检查对象须回避。"})
    inspection = Inspection.objects.create(
        organisation=target.organisation,
        target=target,
        year=timezone.localdate().year,
        kind=Inspection.Kind.TARGETED,
        method=method,
        status=Inspection.Status.ASSIGNED,
        targeted_case=case,
        case_reference=reference.strip(),
    )
    _set_team(inspection, inspectors)
    return inspection


@audited("inspection.partners", "登记联合部门人员", subject="inspection")
@transaction.atomic
def inspection_set_partners(*, actor, inspection: Inspection, names: list[str]) -> Inspection:
    """部门联合: the partner departments' inspectors on this inspection, recorded by name."""
    _check_coordinator(actor, inspection.organisation)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    inspection.partner_inspectors = [" ".join(n.split()) for n in names if n.strip()]
    inspection.save(update_fields=["partner_inspectors"])
    return inspection


#: The register categories that may join an inspection beside its enforcement officers.
ASSISTANT_CATEGORIES = (InspectorCategory.EXPERT, InspectorCategory.AUXILIARY)


def assistant_candidates(organisation):
    """The people a coordinator may name as 专家 or 辅助人员: the organisation's own register
    (获嘉 一（二） 专家库, 绛县 四、（四） 辅助检查人员名录库), in the register and 在岗, and of a
    non-enforcement category (an enforcement officer joins as a team member, never beside it)."""
    return Inspector.objects.filter(
        organisation=organisation,
        in_register=True,
        on_duty=True,
        category__in=ASSISTANT_CATEGORIES,
    )


def _check_assistant_coordinator(actor, inspection: Inspection) -> None:
    require_own(
        actor,
        inspection.organisation_id,
        "manage_sampling",
        "只有本单位的抽查管理员可以安排专家和辅助人员。",
    )


def _check_assistants_open(inspection: Inspection) -> None:
    """保定 三（二） "在满足执法检查人数要求的基础上": an assistant joins a team that is complete
    (待检查), and the record, once submitted, keeps who was there (退回重填 reopens it)."""
    if inspection.status != Inspection.Status.ASSIGNED:
        raise ValidationError(
            "只有已配齐执法人员、尚未提交结果的检查可以安排或撤下专家和辅助人员"
            "（保定方案三、（二）：在满足执法检查人数要求的基础上）。"
        )


def _assistant_described(assistant: InspectionAssistant, kwargs, verb: str):
    inspection = kwargs["inspection"]
    summary = f"{verb}{assistant.get_role_display()}：{assistant.person}，{inspection.target}"
    detail = {
        "人员": str(assistant.person),
        "身份": assistant.get_role_display(),
        "参与理由": assistant.reason,
    }
    return inspection, summary, detail


@audited(
    "inspection.assistant_add",
    "安排专家或辅助人员",
    describe=lambda result, kwargs: _assistant_described(result, kwargs, "安排"),
)
@transaction.atomic
def inspection_add_assistant(
    *, actor, inspection: Inspection, person: Inspector, reason: str
) -> InspectionAssistant:
    """保定 三（二）: a 专家 or 辅助人员 joins the inspection beside its enforcement officers,
    named by the coordinator with a reason (no plan draws them at random). They never count
    toward the team of at least two (行政处罚法 第四十二条), its lead or anyone's load."""
    _check_assistant_coordinator(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    _check_assistants_open(inspection)
    if not reason.strip():
        raise ValidationError({"reason": "请写明请专家或辅助人员参与的理由（如专业判断）。"})
    if person.organisation_id != inspection.organisation_id:
        raise ValidationError({"person": f"{person} 不在本单位的人员名录库中。"})
    if person.category not in ASSISTANT_CATEGORIES:
        raise ValidationError(
            {"person": f"{person} 是执法人员：执法人员作为检查组成员指派，不作为专家或辅助人员。"}
        )
    if not (person.in_register and person.on_duty):
        raise ValidationError({"person": f"{person} 已移出名录或不在岗，不能参加检查。"})
    if ConflictOfInterest.objects.filter(
        inspector=person, target=inspection.target, active=True
    ).exists():
        raise ValidationError({"person": f"{person} 对该检查对象须回避。"})
    if inspection.assistants.filter(person=person).exists():
        raise ValidationError({"person": f"{person} 已在本次检查中。"})
    return InspectionAssistant.objects.create(
        inspection=inspection,
        person=person,
        role=person.category,
        reason=" ".join(reason.split()),
        added_by=actor,
    )


@audited(
    "inspection.assistant_remove",
    "撤下专家或辅助人员",
    describe=lambda result, kwargs: _assistant_described(result, kwargs, "撤下"),
)
@transaction.atomic
def inspection_remove_assistant(
    *, actor, inspection: Inspection, assistant: InspectionAssistant
) -> InspectionAssistant:
    """Take a 专家 or 辅助人员 off an inspection not yet submitted; the row's history and the
    audit entry keep that they were named and by whom."""
    _check_assistant_coordinator(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    _check_assistants_open(inspection)
    if assistant.inspection_id != inspection.pk:
        raise ValidationError("该人员不在本次检查中。")
    removed = InspectionAssistant.objects.select_related("person").get(pk=assistant.pk)
    removed.delete()
    return removed
