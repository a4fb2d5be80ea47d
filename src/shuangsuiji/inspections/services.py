"""The team's record of an inspection and its result (绛县 四、（六）（七））.

The team edits its own record until it submits; after that only the 抽查管理员 can reopen it,
with a reason. Every change is kept by simple-history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from shuangsuiji import filetypes
from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited, deferred
from shuangsuiji.bureau.dates import allowed_dates
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.directory.models import DERIVED_EVENT_SOURCE, InspectionItem, RegulatoryEvent
from shuangsuiji.directory.vocabulary import EventKind
from shuangsuiji.inspections.deadlines import publication_deadline
from shuangsuiji.inspections.models import (
    PUBLIC_RESULT,
    VIOLATION_CATEGORIES,
    Attachment,
    Confidentiality,
    ConfidentialPublication,
    Inspection,
    ItemCheck,
    ItemOutcome,
    ResultCategory,
)
from shuangsuiji.policy import Preset
from shuangsuiji.policy.schema import RECORD_KINDS

EDITABLE = (Inspection.Status.ASSIGNED,)
#: Files accepted as evidence, recognised by their first bytes rather than their names.
EVIDENCE_TYPES = (filetypes.JPEG, filetypes.PNG, filetypes.PDF)


def is_team_member(user, inspection: Inspection, members=None) -> bool:
    """``user`` is an officer of the inspection's team. ``members``: its members with their
    inspectors, where the caller has read them already."""
    if not (
        user.is_authenticated
        and has_permission(user, "record_inspections")
        and user.organisation_id == inspection.organisation_id
    ):
        return False
    if members is not None:
        return any(member.inspector.certificate_no == user.username for member in members)
    return inspection.members.filter(inspector__certificate_no=user.username).exists()


def _check_team(actor, inspection: Inspection) -> None:
    if actor is not None and not is_team_member(actor, inspection):
        raise PermissionDenied("只有本组执法人员可以填写本组的检查记录。")


@dataclass
class RecordData:
    checked_at: dt.datetime | None = None
    method_used: str = ""
    representative: str = ""
    present_members: tuple[str, ...] = ()
    result_category: str = ""
    findings: str = ""
    public_summary: str = ""
    confidentiality: str = ""
    confidential_reason: str = ""
    determined_on: dt.date | None = None
    confidential_publication: str = ""
    #: 限定范围: the partner departments (Organisation) that may read the 涉密 result.
    shared_with: tuple = ()


@audited("inspection.record", "保存检查记录", subject="inspection")
@transaction.atomic
def inspection_record_save(
    *, actor, inspection: Inspection, data: RecordData, outcomes: dict[int, tuple[str, str]]
) -> Inspection:
    """Save the team's draft: the record, the item outcomes and the result, not yet submitted."""
    _check_team(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status not in EDITABLE:
        raise ValidationError(f"该检查当前为“{inspection.get_status_display()}”，不能修改。")
    team = set(inspection.members.values_list("inspector__certificate_no", flat=True))
    strangers = set(data.present_members) - team
    if strangers:
        raise ValidationError(
            {"present_members": f"不是本组执法人员：{'、'.join(sorted(strangers))}"}
        )
    _check_dates(
        inspection.organisation,
        checked_at=(data.checked_at, "检查时间"),
        determined_on=(data.determined_on, "结果认定日期"),
    )
    items = {item.pk: item for item in inspection.items.all()}
    for item_id, (outcome, _note) in outcomes.items():
        if item_id not in items:
            raise ValidationError({"items": "只能填写本次检查的事项。"})
        if outcome and outcome not in ItemOutcome.values:
            raise ValidationError({"items": f"检查结论“{outcome}”无效。"})
    for field in (
        "checked_at",
        "method_used",
        "representative",
        "result_category",
        "findings",
        "public_summary",
        "confidentiality",
        "confidential_reason",
        "determined_on",
        "confidential_publication",
    ):
        setattr(inspection, field, getattr(data, field))
    if not inspection.confidentiality:
        inspection.confidential_publication = ConfidentialPublication.WITHHELD
    partners = Organisation.objects.partners_of(inspection.organisation)
    allowed = set(partners.values_list("pk", flat=True))
    strangers = [o.name for o in data.shared_with if o.pk not in allowed]
    if strangers:
        raise ValidationError(
            {"shared_with": f"“{'、'.join(strangers)}”不是本单位登记的联合部门。"}
        )
    inspection.present_members = sorted(data.present_members)
    inspection.publication_due = _publication_due(inspection)
    inspection.full_clean(exclude=["team", "items", "shared_with"])
    inspection.save()
    restricted = inspection.confidential_publication == ConfidentialPublication.RESTRICTED
    inspection.shared_with.set(data.shared_with if restricted else [])
    _item_checks_write(inspection, items, outcomes)
    return inspection


def _item_checks_write(
    inspection: Inspection, items: dict, outcomes: dict[int, tuple[str, str]]
) -> None:
    """Each item's outcome (an empty one clears the item's check), in one statement for the new
    checks, one for those kept and one for those cleared, whatever the number of items: one
    ``update_or_create`` per item was a savepoint, a read, a write and its history row each,
    and on PostgreSQL every write of a versioned table runs its trigger (about 3 ms), all while
    the bureau's version row stays locked for the rest of the submission (issue 21 §3). The
    history rows are those a save writes, by the same user (simple_history's bulk helpers).
    The inspection row is locked by the caller, so no other save of its checks runs between."""
    existing = {check.item_id: check for check in ItemCheck.objects.filter(inspection=inspection)}
    new, kept, cleared = [], [], []
    for item_id, (outcome, note) in outcomes.items():
        check = existing.get(item_id)
        if not outcome:
            if check is not None:
                cleared.append(check.pk)
        elif check is None:
            new.append(
                ItemCheck(inspection=inspection, item=items[item_id], outcome=outcome, note=note)
            )
        else:
            check.outcome, check.note = outcome, note
            kept.append(check)
    if new:
        bulk_create_with_history(new, ItemCheck)
    if kept:
        bulk_update_with_history(kept, ItemCheck, ["outcome", "note"])
    if cleared:
        ItemCheck.objects.filter(pk__in=cleared).delete()


def _check_dates(organisation, **dates: tuple[dt.date | dt.datetime | None, str]) -> None:
    """No date of the bureau's records lies outside its range: before its policy is in force
    or beyond the end of next year (``planning.dates``; the forms also refuse a future day
    for what has already happened)."""
    allowed = allowed_dates(organisation, future=True)
    for field, (value, label) in dates.items():
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).date()
        allowed.check(value, label, field)


@transaction.atomic
def inspection_record_submit(
    *, actor, inspection: Inspection, data: RecordData, outcomes: dict[int, tuple[str, str]]
) -> Inspection:
    """Save the record and submit it, both or neither: a refused submission leaves the draft
    and the log as they were (each step is audited in this one transaction, the two entries
    appended at its end: ``audit.services.deferred``)."""
    with deferred():
        inspection_record_save(actor=actor, inspection=inspection, data=data, outcomes=outcomes)
        return inspection_submit(actor=actor, inspection=inspection)


@audited("inspection.attachment", "上传检查材料")
@transaction.atomic
def attachment_add(*, actor, inspection: Inspection, kind: str, upload) -> Attachment:
    _check_team(actor, inspection)
    if inspection.status not in EDITABLE:
        raise ValidationError("检查结果已提交，不能再添加材料；如需补充请抽查管理员退回。")
    if kind not in RECORD_KINDS:
        raise ValidationError({"kind": f"材料类型应为：{'、'.join(RECORD_KINDS)}"})
    limit = getattr(settings, "SHUANGSUIJI_UPLOAD_MAX_MB", 20)
    if upload.size > limit * 1024 * 1024:
        raise ValidationError({"file": f"{upload.name}：文件超过 {limit} MB。"})
    found = filetypes.upload_type(upload)
    if found not in EVIDENCE_TYPES:
        raise ValidationError({"file": f"{upload.name}：只接受 JPG、PNG 图片或 PDF 文件。"})
    attachment = Attachment(
        inspection=inspection,
        kind=kind,
        original_name=upload.name,
        size=upload.size,
        content_type=found.content_type,
        uploaded_by=actor,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment


def _violation(inspection: Inspection) -> bool:
    return (
        inspection.result_category in VIOLATION_CATEGORIES
        or inspection.item_checks.filter(outcome=ItemOutcome.PROBLEM).exists()
    )


def submission_problems(
    inspection: Inspection,
    preset: Preset | None = None,
    *,
    items: list[InspectionItem] | None = None,
    checks: dict[int, ItemCheck] | None = None,
    kinds: set[str] | None = None,
) -> list[str]:
    """Everything that stops this result from being submitted, in words for the team.
    ``preset``: the organisation's effective policy when the caller has read it already
    (``records_preset``; the record form asks three questions of it); ``items`` and
    ``checks`` (by item id): the inspection's items and their conclusions, where the caller
    has read them already (the record form shows them); ``kinds``: the kinds of the files
    uploaded, likewise."""
    problems = []
    if not inspection.checked_at:
        problems.append("请填写检查时间。")
    if not inspection.method_used:
        problems.append("请选择实际检查方式。")
    if not inspection.result_category:
        problems.append("请选择检查结果。")
    if not inspection.determined_on:
        problems.append("请填写结果认定日期。")
    if checks is None:
        checks = {check.item_id: check for check in inspection.item_checks.all()}
    if items is None:
        items = list(inspection.items.all())
    missing = [i.name for i in items if i.pk not in checks]
    if missing:
        problems.append(f"以下事项尚未填写检查结论：{'、'.join(missing)}。")
    found = any(check.outcome == ItemOutcome.PROBLEM for check in checks.values())
    if found and inspection.result_category in (
        ResultCategory.NO_PROBLEM,
        ResultCategory.NO_ACTIVITY,
    ):
        problems.append("检查事项中有“发现问题”，检查结果不能是“未发现问题”。")
    if inspection.confidentiality and not inspection.confidential_reason.strip():
        problems.append("涉密的检查结果请写明不予公开的理由。")
    if not inspection.confidentiality and not inspection.public_summary.strip():
        problems.append("请填写公示摘要（不涉密的结果将向社会公示）。")
    mode = inspection.confidential_publication if inspection.confidentiality else ""
    if mode == ConfidentialPublication.SUMMARY and not inspection.public_summary.strip():
        problems.append("涉密结果选择“公开摘要”的，请填写不含涉密内容的公示摘要。")
    if mode == ConfidentialPublication.RESTRICTED and not inspection.shared_with.exists():
        problems.append("涉密结果选择“限定范围”的，请选择可查阅的联合部门。")
    if inspection.method_used == "现场检查":
        problems += _missing_records(inspection, preset, kinds)
    return problems


def records_preset(inspection: Inspection) -> Preset:
    """The effective policy whose 现场检查 records rule ``submission_problems`` applies (three
    queries: the organisation's adopted policy and its adjustments)."""
    return effective_preset(organisation_policy(inspection.organisation))


def _missing_records(
    inspection: Inspection, preset: Preset | None = None, kinds: set[str] | None = None
) -> list[str]:
    """The 现场检查 records the bureau's rule asks for and the result lacks. ``kinds``: the
    kinds of the files uploaded, where the caller has read them."""
    preset = preset or records_preset(inspection)
    if preset.records is None:
        return []
    entry = preset.records.at(inspection.determined_on or timezone.localdate())
    violation = _violation(inspection)
    required = entry.value["violation" if violation else "no_violation"]
    if kinds is None:
        kinds = set(inspection.attachments.values_list("kind", flat=True))
    missing = [kind for kind in required if kind not in kinds]
    if not missing:
        return []
    situation = "发现问题的" if violation else "未发现问题的"
    return [f"现场检查{situation}，须上传：{'、'.join(missing)}（{entry.ref.clause}）。"]


@audited("inspection.submit", "提交检查结果", subject="inspection")
@transaction.atomic
def inspection_submit(*, actor, inspection: Inspection) -> Inspection:
    _check_team(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status not in EDITABLE:
        raise ValidationError(f"该检查当前为“{inspection.get_status_display()}”，不能提交。")
    problems = submission_problems(inspection)
    if problems:
        raise ValidationError(problems)
    inspection.publication_due = _publication_due(inspection)
    inspection.status = Inspection.Status.DONE
    inspection.submitted_at = timezone.now()
    inspection.submitted_by = actor
    automatic = not organisation_settings(inspection.organisation).require_release
    if automatic and is_public_result(inspection) and list_is_public(inspection):
        # Publication is automatic unless the bureau wants its coordinator to release results;
        # a result of a draw whose list is still secret is published with the list (draw_reveal).
        inspection.published_at = inspection.public_changed_at = inspection.submitted_at
    inspection.save(
        update_fields=[
            "status",
            "submitted_at",
            "submitted_by",
            "publication_due",
            "published_at",
            "public_changed_at",
        ]
    )
    if _violation(inspection):
        # A violation found here keeps a 绛县 特殊监管对象 in its class next quarter (四、（五）3).
        RegulatoryEvent.objects.get_or_create(
            organisation=inspection.organisation,
            credit_code=inspection.target.credit_code,
            kind=EventKind.OWN_PROBLEM,
            date=inspection.determined_on,
            reference=_event_reference(inspection),
            defaults={"source": DERIVED_EVENT_SOURCE},
        )
    return inspection


def _event_reference(inspection: Inspection) -> str:
    return f"检查记录 {inspection.pk}：{inspection.get_result_category_display()}"


@audited("inspection.reopen", "退回检查结果", subject="inspection")
@transaction.atomic
def inspection_reopen(*, actor, inspection: Inspection, reason: str) -> Inspection:
    """Only the 抽查管理员 reopens a submitted result, with a reason; the history is kept."""
    require_own(
        actor,
        inspection.organisation_id,
        "manage_sampling",
        "只有本单位的抽查管理员可以退回已提交的检查结果。",
    )
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if inspection.status != Inspection.Status.DONE:
        raise ValidationError("只有已提交的检查结果可以退回。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写退回原因。"})
    inspection.status = Inspection.Status.ASSIGNED
    inspection.reopened_reason = reason.strip()
    # A reopened result is withdrawn from the portal until it is submitted again; its due date
    # still runs from the determination.
    if inspection.published_at:
        inspection.public_changed_at = timezone.now()
    inspection.published_at = None
    inspection.released_by = None
    inspection.save(
        update_fields=[
            "status",
            "reopened_reason",
            "published_at",
            "released_by",
            "public_changed_at",
        ]
    )
    # The record derived from the withdrawn result goes with it; resubmitting makes it again.
    RegulatoryEvent.objects.filter(
        organisation=inspection.organisation,
        kind=EventKind.OWN_PROBLEM,
        source=DERIVED_EVENT_SOURCE,
        reference=_event_reference(inspection),
    ).delete()
    return inspection


def list_is_public(inspection: Inspection) -> bool:
    """A drawn result may be public only once its draw's list is (JX-6.4)."""
    return inspection.draw_id is None or inspection.draw.status == "revealed"


def is_public_result(inspection: Inspection) -> bool:
    """A submitted result that is not 涉密 (国家秘密、商业秘密、个人隐私) is to be published
    (绛县 四、（七）); a 定向检查 is not a 双随机 result and is not."""
    return (
        inspection.status == Inspection.Status.DONE
        and (
            inspection.confidentiality == Confidentiality.NONE
            or inspection.confidential_publication == ConfidentialPublication.SUMMARY
        )
        and inspection.kind != Inspection.Kind.TARGETED
    )


def _publication_due(inspection: Inspection) -> dt.date | None:
    """20 working days from the determination, on the bureau's working-day calendar with 调休
    (``inspections.deadlines``). A year without a confirmed calendar gives a provisional date,
    shown as 暂定 and recomputed when the year is confirmed: a result is never refused for it."""
    deadline = publication_deadline(inspection.organisation, inspection.determined_on)
    return deadline.day if deadline else None


@audited("result.release", "发布公示", subject="inspection")
@transaction.atomic
def result_release(*, actor, inspection: Inspection) -> Inspection:
    """Where the bureau requires it, the 抽查管理员 releases a submitted result to the portal;
    a result of a draw whose list is still secret goes public with the list."""
    _check_coordinator(actor, inspection)
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if not is_public_result(inspection):
        raise ValidationError("只有已提交、不涉密（或涉密但公开摘要）的随机抽查结果可以公示。")
    if inspection.published_at:
        raise ValidationError("该检查结果已公示。")
    if inspection.released_by_id:
        raise ValidationError("该检查结果已发布，将在抽取名单公开时一并公示。")
    inspection.released_by = actor
    if list_is_public(inspection):
        inspection.published_at = inspection.public_changed_at = timezone.now()
    inspection.save(update_fields=["published_at", "released_by", "public_changed_at"])
    return inspection


def results_publish_with_list(draw) -> int:
    """At a draw's reveal, publish its results held back until then: every submitted, public
    result, unless the bureau requires a release and it has not been given. Returns the count."""
    held = (
        draw.inspections.filter(PUBLIC_RESULT)
        .filter(status=Inspection.Status.DONE, published_at__isnull=True)
        .exclude(kind=Inspection.Kind.TARGETED)
    )
    if organisation_settings(draw.organisation).require_release:
        held = held.filter(released_by__isnull=False)
    return held.update(published_at=draw.revealed_at, public_changed_at=draw.revealed_at)


def publication_state(inspection: Inspection) -> str:
    """Where a submitted result stands on its way to the portal, in the words the team reads."""
    if inspection.status != Inspection.Status.DONE:
        return ""
    mode = inspection.confidential_publication
    if inspection.confidentiality and mode == ConfidentialPublication.RESTRICTED:
        names = "、".join(o.name for o in inspection.shared_with.all())
        return f"涉密，限定范围：仅{names}可查阅"
    if inspection.confidentiality and mode != ConfidentialPublication.SUMMARY:
        return "涉密，不予公示"
    if inspection.kind == Inspection.Kind.TARGETED:
        return "定向检查，不在双随机抽查结果中公示"
    if inspection.published_at:
        return f"已于 {timezone.localtime(inspection.published_at):%Y-%m-%d} 公示"
    releasing = organisation_settings(inspection.organisation).require_release
    if releasing and not inspection.released_by_id:
        return "待抽查管理员发布公示"
    return "待抽取名单公开后一并公示"


def _touch_public(inspection: Inspection) -> None:
    """The follow-ups of a published result are public (藁城 二、（八）: 后续处理结果及时公开)."""
    Inspection.objects.filter(pk=inspection.pk, published_at__isnull=False).update(
        public_changed_at=timezone.now()
    )


def _check_coordinator(actor, inspection: Inspection) -> None:
    require_own(
        actor,
        inspection.organisation_id,
        "manage_sampling",
        "只有本单位的抽查管理员可以登记后续处置。",
    )


@audited("follow_up.open", "登记后续处置")
@transaction.atomic
def follow_up_open(
    *,
    actor,
    inspection: Inspection,
    kind: str,
    opened_on: dt.date,
    deadline: dt.date | None = None,
    case_number: str = "",
    receiver: str = "",
):
    """A step after a result with a violation: 责令整改 needs a deadline, 立案调查 a case number,
    a transfer names the receiver."""
    from shuangsuiji.inspections.models import FollowUp

    _check_coordinator(actor, inspection)
    if inspection.status != Inspection.Status.DONE:
        raise ValidationError("检查结果提交后才能登记后续处置。")
    if kind not in FollowUp.Kind.values:
        raise ValidationError({"kind": "请选择处置方式。"})
    if kind == FollowUp.Kind.RECTIFY and not deadline:
        raise ValidationError({"deadline": "责令整改须写明整改期限。"})
    _check_dates(
        inspection.organisation, opened_on=(opened_on, "开始日期"), deadline=(deadline, "整改期限")
    )
    if deadline and deadline < opened_on:
        raise ValidationError(
            {"deadline": f"整改期限（{deadline}）不能早于开始日期（{opened_on}）。"}
        )
    if kind == FollowUp.Kind.CASE and not case_number.strip():
        raise ValidationError({"case_number": "立案调查须写明案件编号。"})
    if kind in (FollowUp.Kind.TRANSFER, FollowUp.Kind.JUDICIAL) and not receiver.strip():
        raise ValidationError({"receiver": "请写明移送至哪个部门或机关。"})
    _touch_public(inspection)
    return FollowUp.objects.create(
        inspection=inspection,
        organisation_id=inspection.organisation_id,
        kind=kind,
        opened_on=opened_on,
        deadline=deadline,
        case_number=case_number.strip(),
        receiver=receiver.strip(),
        created_by=actor,
    )


@audited("follow_up.close", "办结后续处置", subject="follow_up")
@transaction.atomic
def follow_up_close(
    *, actor, follow_up, closed_on: dt.date, outcome: str, penalty_decided_on: dt.date | None = None
):
    """Close a step. A 行政处罚决定 becomes a 监管记录 of the target, so next quarter's classes
    see it (藁城 二、（四）, 绛县 四、（五）3)."""
    from shuangsuiji.directory.models import RegulatoryEvent
    from shuangsuiji.directory.vocabulary import EventKind
    from shuangsuiji.inspections.models import FollowUp

    inspection = follow_up.inspection
    _check_coordinator(actor, inspection)
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.closed_on:
        raise ValidationError("该后续处置已办结。")
    if not outcome.strip():
        raise ValidationError({"outcome": "请写明办结情况（如复查结果、处罚结果、接收情况）。"})
    _check_dates(
        inspection.organisation,
        closed_on=(closed_on, "办结日期"),
        penalty_decided_on=(penalty_decided_on, "行政处罚决定日期"),
    )
    if closed_on < follow_up.opened_on:
        raise ValidationError({"closed_on": "办结日期不能早于开始日期。"})
    follow_up.closed_on = closed_on
    follow_up.outcome = outcome.strip()
    follow_up.penalty_decided_on = penalty_decided_on
    follow_up.save(update_fields=["closed_on", "outcome", "penalty_decided_on"])
    _touch_public(inspection)
    if follow_up.kind == FollowUp.Kind.CASE and penalty_decided_on:
        RegulatoryEvent.objects.get_or_create(
            organisation=inspection.organisation,
            credit_code=inspection.target.credit_code,
            kind=EventKind.PENALTY,
            date=penalty_decided_on,
            reference=follow_up.case_number,
            defaults={"source": DERIVED_EVENT_SOURCE},
        )
    return follow_up


def is_closed(inspection: Inspection) -> bool:
    """An inspection is closed when its result is submitted and every follow-up is done."""
    return (
        inspection.status == Inspection.Status.DONE
        and not inspection.follow_ups.filter(closed_on__isnull=True).exists()
    )


def revisits_described(revisits, kwargs):
    draw = kwargs["draw"]
    summary = f"抽取回访对象：{draw.draw_id}，{len(revisits)} 项"
    return draw, summary, {"回访": [str(r.inspection) for r in revisits]}


@audited("revisit.sample", "抽取回访对象", describe=revisits_described)
@transaction.atomic
def revisit_sample(*, actor, draw) -> list:
    """HJ-3.4: 对日常监管对象按 10% 的比例进行回访 — drawn from the draw's completed inspections
    with the draw's own seed, as docs/draw-spec.md "The revisit sample" specifies, so anyone can
    recompute it (``shuangsuiji draw verify`` with revisit.json)."""
    import json

    from shuangsuiji.draw import dumps
    from shuangsuiji.draw.revisit import draw_revisit
    from shuangsuiji.inspections.models import Revisit
    from shuangsuiji.planning.models import Draw
    from shuangsuiji.policy.targets import REVISIT_SHARE, plan_target

    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    require_own(
        actor, draw.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以抽取回访对象。"
    )
    if draw.status != Draw.Status.REVEALED:
        raise ValidationError(
            "抽取公开后才能抽取回访对象（回访样本用本次抽取公开的种子计算，任何人可核验）。"
        )
    if draw.revisits.exists():
        raise ValidationError("本次抽取已抽取过回访对象。")
    preset = effective_preset(organisation_policy(draw.organisation))
    target = plan_target(preset, REVISIT_SHARE, timezone.localdate())
    if target is None:
        raise ValidationError(
            "本局方案未规定回访比例，可在“本单位政策”中设定 targets.revisit_share。"
        )
    done = {
        i.target.draw_id: i
        for i in draw.inspections.filter(status=Inspection.Status.DONE).select_related("target")
    }
    # "不低于 10%": the exact fraction, rounded up by the spec's integer arithmetic.
    share = target.share
    seed = bytes.fromhex(json.loads(draw.result)["seed"])
    basis = f"{target.ref.document} {target.ref.clause}".strip()
    sample = draw_revisit(seed, draw.draw_id, done, share.numerator, share.denominator, basis=basis)
    draw.revisit = dumps(sample.as_dict()).decode()
    draw.save(update_fields=["revisit"])
    return [
        Revisit.objects.create(inspection=done[unit.id], draw=draw, rank=rank, key=unit.key.hex())
        for rank, unit in enumerate(sample.selected, start=1)
    ]


@audited("revisit.record", "记录回访", subject="revisit")
@transaction.atomic
def revisit_record(
    *,
    actor,
    revisit,
    form: str,
    done_on: dt.date,
    opinions: str,
    escalated: bool = False,
    escalation_note: str = "",
):
    from shuangsuiji.inspections.models import REVISIT_FORMS, Revisit

    _check_coordinator(actor, revisit.inspection)
    if form not in dict(REVISIT_FORMS):
        raise ValidationError({"form": "请选择回访形式。"})
    if escalated and not escalation_note.strip():
        raise ValidationError({"escalation_note": "移交纪检监察的，请写明移交情况。"})
    _check_dates(revisit.draw.organisation, done_on=(done_on, "回访日期"))
    revisit = Revisit.objects.select_for_update().get(pk=revisit.pk)
    revisit.form, revisit.done_on, revisit.opinions = form, done_on, opinions.strip()
    revisit.escalated, revisit.escalation_note = escalated, escalation_note.strip()
    revisit.save()
    return revisit
