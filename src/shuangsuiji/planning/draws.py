"""The quarterly draw as a coordinator runs it: prepare → commit → draw → (fix) → reveal.

Each step is a service that checks the actor, locks the rows it changes and writes the bundle
of SHUANGSUIJI-DRAW-v1 byte for byte, so anyone can re-run the draw from the public files.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuangsuiji import draw as engine
from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.audit.services import audited
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.directory.selectors import target_by_code
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.inspections.models import Inspection, InspectionMember
from shuangsuiji.inspections.services import results_publish_with_list
from shuangsuiji.planning.models import (
    SUBSTITUTION_REASONS,
    AnnualPlan,
    ConflictOfInterest,
    Draw,
    DrawSource,
    ManualAssignment,
    SamplingTask,
    Substitution,
)
from shuangsuiji.planning.plans import organisation_settings
from shuangsuiji.planning.policies import effective_preset, organisation_policy
from shuangsuiji.policy import PolicyError, Quarter, classify, quotas


def _check_coordinator(actor, organisation) -> None:
    require_own(actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以组织抽取。")


def _field(text: str) -> str:
    """A pool/roster field: NFC, one line, no separator."""
    return unicodedata.normalize("NFC", " ".join(text.replace("|", "／").split()))


def task_quarter(task: SamplingTask, today: dt.date) -> Quarter:
    if task.quarter:
        return Quarter(task.plan.year, task.quarter)
    # A task drawn once for the year is classified as of the quarter it is drawn in.
    return Quarter.of(today) if today.year == task.plan.year else Quarter(task.plan.year, 1)


@dataclass
class Preparation:
    """What a commit would freeze: the coordinator reviews it on one page first."""

    task: SamplingTask
    quarter: Quarter
    strata: list  # policy Quota of the task's drawn classes
    coverage: list  # policy Quota of classes covered in full (not drawn)
    classifications: list
    candidates: list[engine.Candidate]
    inspectors: list[engine.Inspector]
    conflicts: list[tuple[str, str]]
    team_size: int
    as_of: dt.date

    @property
    def excluded(self):
        return [
            c
            for c in self.classifications
            if c.class_code in self.task.classes and c.in_population and not c.eligible
        ]


def annual_counts(organisation, year: int) -> Counter:
    """Inspections per target this year, random and targeted alike (绛县 cap of 2)."""
    rows = (
        Inspection.objects.filter(organisation=organisation, year=year)
        .active()
        .values_list("target_id", flat=True)
    )
    return Counter(rows)


def inspector_loads(organisation, year: int) -> Counter:
    active = Inspection.objects.filter(organisation=organisation, year=year).active()
    rows = InspectionMember.objects.filter(inspection__in=active)
    return Counter(rows.values_list("inspector_id", flat=True))


def draw_prepare(task: SamplingTask, *, today: dt.date | None = None) -> Preparation:
    today = today or timezone.localdate()
    organisation = task.organisation
    settings = organisation_settings(organisation)
    preset = effective_preset(organisation_policy(organisation))
    quarter = task_quarter(task, today)
    year = task.plan.year
    counts = annual_counts(organisation, year)
    targets = list(Target.objects.filter(organisation=organisation, in_register=True))
    records = [target_record(vars(t), counts.get(t.pk, 0)) for t in targets]
    events = [
        event_record(row)
        for row in RegulatoryEvent.objects.filter(organisation=organisation).values(
            "credit_code", "kind", "date", "reference"
        )
    ]
    as_of = min(today, quarter.end)
    classifications = classify(preset, records, events, quarter, as_of=as_of)
    enforcement = Inspector.objects.filter(
        organisation=organisation,
        in_register=True,
        on_duty=True,
        category=InspectorCategory.ENFORCEMENT,
    )
    try:
        all_quotas = quotas(preset, classifications, quarter, inspectors=enforcement.count())
    except PolicyError as error:
        # 获嘉 leaves its 特殊监管对象 ratio to the bureau: say so instead of failing.
        raise ValidationError(f"{error}。请在“本单位政策”中设定后再抽取。") from error
    chosen = [q for q in all_quotas if q.code in task.classes]
    fallback_region = organisation.code
    candidates = [
        engine.Candidate(
            id=c.target.id,
            stratum=c.class_code,
            region=_field(c.target.region) or fallback_region,
            eligible=c.eligible,
            tags=c.target.tags,
            reason=_field(c.reason) if not c.eligible else "",
        )
        for c in classifications
        if c.class_code in task.classes
        and c.in_population
        and next(q for q in chosen if q.code == c.class_code).kind == "draw"
    ]
    loads = inspector_loads(organisation, year)
    senior_before = year - settings.seniority_years
    inspectors = [
        engine.Inspector(
            id=i.certificate_no,
            region=_field(i.area) or fallback_region,
            senior=i.start_year is not None and i.start_year <= senior_before,
            tags=frozenset(i.tag_list),
            load=loads.get(i.pk, 0),
            cap=settings.inspector_annual_cap,
        )
        for i in enforcement
    ]
    conflicts = list(
        ConflictOfInterest.objects.filter(organisation=organisation, active=True)
        .select_related("inspector", "target")
        .values_list("inspector__certificate_no", "target__credit_code", "target__project_code")
    )
    pairs = [(cert, project or credit) for cert, credit, project in conflicts]
    return Preparation(
        task=task,
        quarter=quarter,
        strata=[q for q in chosen if q.kind == "draw"],
        coverage=[q for q in chosen if q.kind == "coverage"],
        classifications=classifications,
        candidates=candidates,
        inspectors=inspectors,
        conflicts=pairs,
        team_size=settings.team_size,
        as_of=as_of,
    )


@audited("draw.commit", "承诺抽取")
@transaction.atomic
def draw_commit(
    *, actor, task: SamplingTask, sources: list[tuple[str, str]], reveal_on: dt.date
) -> Draw:
    """Freeze pool, roster and conflicts, name the random sources, commit to a secret salt."""
    _check_coordinator(actor, task.organisation)
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if task.plan.status not in (AnnualPlan.Status.PUBLISHED, AnnualPlan.Status.ADJUSTING):
        raise ValidationError("无计划清单不检查（JX-2.2）：年度抽查计划公开后才能抽取。")
    if task.draws.exclude(status=Draw.Status.ABORTED).exists():
        raise ValidationError("该任务已有一次未作废的抽取，不能重复抽取。")
    sources = [(_field(t), _field(label)) for t, label in sources if t.strip() or label.strip()]
    if not sources or any(not t or not label for t, label in sources):
        raise ValidationError(
            {"sources": "请至少写明一个公开随机源的类型和名称（如双色球某期开奖号码）。"}
        )
    if reveal_on < timezone.localdate():
        raise ValidationError({"reveal_on": "最迟公开日期不能早于今天。"})
    preparation = draw_prepare(task)
    if not preparation.strata:
        raise ValidationError("该任务没有需要随机抽取的类别。")
    attempt = task.draws.count() + 1
    draw_id = f"{task.organisation.code}-{task.number}-{attempt}"
    now = timezone.localtime()
    strata = [
        {"code": q.code, "k": q.quota, "name": q.name, "basis": q.basis} for q in preparation.strata
    ]
    params = engine.render_params(
        draw_id=draw_id,
        team_size=preparation.team_size,
        strata=strata,
        sources=[engine.Source(type=t, label=label) for t, label in sources],
        committed_at=now.isoformat(timespec="seconds"),
    )
    files = {
        "params.json": params,
        "pool.txt": engine.render_pool(preparation.candidates),
        "roster.txt": engine.render_roster(preparation.inspectors),
        "conflicts.txt": engine.render_conflicts(preparation.conflicts),
    }
    bundle = engine.parse_bundle(files, engine.COMMIT_INPUTS)  # the spec's own validation
    salt = engine.new_salt()
    commitment = engine.dumps(engine.commit(bundle, salt).as_dict())
    try:
        with transaction.atomic():
            draw = Draw.objects.create(
                task=task,
                organisation=task.organisation,
                draw_id=draw_id,
                attempt=attempt,
                quarter=str(preparation.quarter),
                params=params.decode(),
                pool=files["pool.txt"].decode(),
                roster=files["roster.txt"].decode(),
                conflicts=files["conflicts.txt"].decode(),
                commitment=commitment.decode(),
                salt=salt,
                reveal_on=reveal_on,
                committed_by=actor,
            )
    except IntegrityError as error:
        raise ValidationError("该任务已有一次未作废的抽取，不能重复抽取。") from error
    DrawSource.objects.bulk_create(
        DrawSource(draw=draw, position=i, type=t, label=label)
        for i, (t, label) in enumerate(sources)
    )
    return draw


@audited("draw.execute", "录入随机源并抽取", subject="draw")
@transaction.atomic
def draw_execute(*, actor, draw: Draw, values: list[str]) -> Draw:
    """Enter the named sources' values; the seed, the selection and the teams follow."""
    _check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != Draw.Status.COMMITTED:
        raise ValidationError(f"该抽取当前为“{draw.get_status_display()}”，不能再次抽取。")
    sources = list(draw.sources.all())
    if len(values) != len(sources) or any(not v.strip() for v in values):
        raise ValidationError({"values": "请填写每一个随机源的取值。"})
    entropy = engine.render_entropy(
        engine.EntropyValue(type=s.type, label=s.label, value=v.strip())
        for s, v in zip(sources, values, strict=True)
    )
    files = {**draw.bundle_files(with_salt=True), "entropy.json": entropy}
    try:
        bundle = engine.parse_bundle(files, engine.DRAW_INPUTS)
    except engine.BundleError as error:
        raise ValidationError({"values": str(error)}) from error
    result = engine.compute(bundle)
    for source, value in zip(sources, values, strict=True):
        source.value = value.strip()
        source.save(update_fields=["value"])
    draw.entropy = entropy.decode()
    draw.result = engine.dumps(result.as_dict()).decode()
    draw.status = Draw.Status.DRAWN
    draw.drawn_by = actor
    draw.drawn_at = timezone.now()
    draw.save(update_fields=["entropy", "result", "status", "drawn_by", "drawn_at"])
    _create_inspections(draw, result)
    return draw


def _create_inspections(draw: Draw, result: engine.Result) -> None:
    task = draw.task
    targets = {t.draw_id: t for t in Target.objects.filter(organisation=draw.organisation)}
    inspectors = {
        i.certificate_no: i for i in Inspector.objects.filter(organisation=draw.organisation)
    }
    stratum_of = {s.id: stratum.code for stratum in result.strata for s in stratum.selected}
    methods = _methods_by_unit(draw)
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


def _methods_by_unit(draw: Draw) -> dict[str, str]:
    preparation = draw_prepare(draw.task)
    return {c.target.id: c.method for c in preparation.classifications}


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
    lines = {tag for item in items for tag in item.tag_list}
    joint = len(lines) > 1
    if joint != inspection.internal_joint:
        inspection.internal_joint = joint
        inspection.save(update_fields=["internal_joint"])


def _set_team(inspection: Inspection, team: list[Inspector]) -> None:
    InspectionMember.objects.filter(inspection=inspection).delete()
    InspectionMember.objects.bulk_create(
        InspectionMember(inspection=inspection, inspector=member, position=i, is_lead=i == 0)
        for i, member in enumerate(team)
    )


def _roster_line(draw: Draw, certificate_no: str) -> list[str] | None:
    for line in draw.roster.splitlines():
        fields = line.split("|")
        if fields[0] == certificate_no:
            return fields
    return None


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
    import json

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
        method=_methods_by_unit(draw).get(substitute_unit, inspection.method),
        status=Inspection.Status.ASSIGNED if keep else Inspection.Status.NEEDS_TEAM,
        flags=[] if keep else ["SUBSTITUTE"],
    )
    _attach_items(replacement)
    if keep:
        _set_team(replacement, team)
    return replacement


@audited("draw.reveal", "公开抽取名单", subject="draw")
@transaction.atomic
def draw_reveal(*, actor, draw: Draw, today: dt.date | None = None) -> Draw:
    """Publish salt and result once the task's inspections are done or the date set has come."""
    _check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    today = today or timezone.localdate()
    if draw.status != Draw.Status.DRAWN:
        raise ValidationError("只有已抽取的名单可以公开。")
    open_inspections = draw.inspections.filter(
        status__in=[Inspection.Status.ASSIGNED, Inspection.Status.NEEDS_TEAM]
    ).count()
    if open_inspections and today < draw.reveal_on:
        raise ValidationError(
            f"还有 {open_inspections} 项检查未完成，名单须在检查结束后或 {draw.reveal_on:%Y-%m-%d} "
            "起才能公开（保密纪律，JX-6.4）。"
        )
    report = engine.verify(draw.bundle_files(with_salt=True))
    draw.verified = report.ok
    draw.status = Draw.Status.REVEALED
    draw.revealed_at = timezone.now()
    draw.save(update_fields=["verified", "status", "revealed_at"])
    # Results of this draw held back until now become public with the list.
    results_publish_with_list(draw)
    return draw


@audited("draw.abort", "作废抽取", subject="draw")
@transaction.atomic
def draw_abort(*, actor, draw: Draw, reason: str) -> Draw:
    """Abort with a reason: the salt is revealed at once and the draw stays public as 作废."""
    _check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status not in (Draw.Status.COMMITTED, Draw.Status.DRAWN):
        raise ValidationError("已公开或已作废的抽取不能作废。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写作废原因。"})
    draw.status = Draw.Status.ABORTED
    draw.aborted_reason = reason.strip()
    draw.aborted_at = timezone.now()
    draw.verified = engine.verify(draw.bundle_files(with_salt=True)).ok
    draw.save(update_fields=["status", "aborted_reason", "aborted_at", "verified"])
    draw.inspections.active().update(status=Inspection.Status.CANCELLED)
    return draw


@audited("conflict.declare", "登记回避")
@transaction.atomic
def conflict_declare(*, actor, inspector: Inspector, target: Target, reason: str):
    """回避 (JX-6.4): declared by the inspector for themself, or entered by the coordinator."""
    coordinator = actor is None or has_permission(actor, "manage_sampling")
    own = actor is not None and actor.username == inspector.certificate_no
    if actor is not None and actor.organisation_id != inspector.organisation_id:
        raise PermissionDenied("不能为其他单位的执法人员登记回避。")
    if not coordinator and not own:
        raise PermissionDenied("执法人员只能为本人申报回避。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写回避原因。"})
    if target.organisation_id != inspector.organisation_id:
        raise ValidationError({"target": "检查对象不在本单位名录中。"})
    conflict = ConflictOfInterest(
        organisation=inspector.organisation,
        inspector=inspector,
        target=target,
        reason=reason.strip(),
        declared_by=ConflictOfInterest.DeclaredBy.COORDINATOR
        if coordinator and not own
        else ConflictOfInterest.DeclaredBy.INSPECTOR,
        created_by=actor,
    )
    conflict.full_clean()
    conflict.save()
    return conflict


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
    if task.plan.status not in (AnnualPlan.Status.PUBLISHED, AnnualPlan.Status.ADJUSTING):
        raise ValidationError("无计划清单不检查（JX-2.2）：年度抽查计划公开后才能安排检查。")
    preparation = draw_prepare(task)
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
