"""Annual plans and their tasks: generated from the organisation's policy, then edited,
approved by a 领导, published, and adjusted with reasons (GC-2.8, JX-4.1, HJ-1.3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.access import require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.calendar import workday_calendar
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.bureau.policies import NoPolicy, effective_preset, organisation_policy
from shuangsuiji.directory.models import InspectionItem, JointItem
from shuangsuiji.planning.models import AnnualPlan, PlanReview, PlanRevision, SamplingTask
from shuangsuiji.policy import PolicyError, Preset, Quarter
from shuangsuiji.policy.inspection_deadline import task_inspection_deadline
from shuangsuiji.policy.schema import validate_quota
from shuangsuiji.policy.targeting import filter_words, validate_filters
from shuangsuiji.policy.targets import PLAN_DEADLINE, PLAN_PUBLICATION_WORKDAYS, plan_target
from shuangsuiji.workdays import WorkdayCalendar

PERIOD_NAMES = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度", None: "全年"}


def task_name(organisation: Organisation, year: int, quarter: int | None, task_type: str) -> str:
    template = organisation_settings(organisation).task_name_template
    parent = organisation.parent
    values = {
        "市": parent.name if parent else "",
        "县区": organisation.name,
        "单位": organisation.name,
        "年度": year,
        "时间": PERIOD_NAMES[quarter],
        "任务类型": task_type,
    }
    # Templates saved before the placeholders were named in Chinese keep working.
    values |= dict(
        zip(
            ("city", "county", "organisation", "year", "period", "task_type"),
            values.values(),
            strict=True,
        )
    )
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise ValidationError(f"任务名称模板有误：{template}（{error}）") from error


def _ratio_text(preset: Preset, codes: list[str], day: dt.date) -> str:
    parts = []
    for code in codes:
        rule = preset.class_rule(code)
        entry = rule.quota.at(day)
        value = entry.value
        if "ratio" in value:
            amount = f"不低于 {value['ratio']}" + ("（全年）" if value.get("per") == "year" else "")
        elif "coverage" in value:
            amount = f"{value['method']}全覆盖"
        elif "either" in value or "min_of" in value:
            # 获嘉 附件 “或”: the reading the bureau's preset takes (``take``), said in words.
            take = value.get("take", "smaller")
            lead = (
                "两项均须达到（取较大者）：" if take == "larger" else "两项满足其一（取较小者）："
            )
            amount = lead + "；".join(
                f"不低于 {p['ratio']}" if "ratio" in p else f"不少于人均 {p['per_inspector']} 家次"
                for p in value.get("either") or value["min_of"]
            )
        elif "per_inspector" in value:
            period = "年度" if value["per"] == "year" else "季度"
            amount = f"执法人员数 × {value['per_inspector']}（{period}）"
        else:
            amount = "本局根据实际设定"
        parts.append(f"{rule.name}：{amount}（{entry.ref.clause}）")
    return "；".join(parts)


@dataclass(frozen=True)
class _TaskSpec:
    quarter: int | None
    classes: list[str]
    task_type: str
    scope: str
    partners: list[str]


def _task_specs(preset: Preset, day: dt.date) -> list[_TaskSpec]:
    quarterly, annual = [], []
    for rule in preset.classes:
        value = rule.quota.at(day).value
        (annual if value.get("per") == "year" and "ratio" in value else quarterly).append(rule)
    specs = [
        _TaskSpec(quarter, [r.code for r in quarterly], "随机抽查", SamplingTask.Scope.OWN, [])
        for quarter in (1, 2, 3, 4)
    ]
    for rule in annual:
        partners = rule.partners.at(day).value if rule.partners else []
        scope = SamplingTask.Scope.DEPARTMENT_JOINT if partners else SamplingTask.Scope.OWN
        specs.append(_TaskSpec(None, [rule.code], f"{rule.name}随机抽查", scope, partners))
    return specs


@audited("plan.generate", "生成年度抽查计划")
@transaction.atomic
def plan_generate(*, actor, organisation: Organisation, year: int) -> AnnualPlan:
    """A draft plan: four quarterly tasks and one task per class the plan draws once a year."""
    require_own(
        actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以制定抽查计划。"
    )
    if AnnualPlan.objects.filter(organisation=organisation, year=year).exists():
        raise ValidationError(f"本单位 {year} 年度已有抽查计划。")
    preset = effective_preset(organisation_policy(organisation))
    day = dt.date(year, 1, 1)
    # The day no plan states: the bureau's setting (default 15, ``BUREAU_DEFAULTS``).
    draw_day_of_month = organisation_settings(organisation).draft_draw_day
    plan = AnnualPlan.objects.create(organisation=organisation, year=year)
    items = list(InspectionItem.objects.filter(organisation=organisation, in_register=True))
    parent = organisation.parent
    calendar = workday_calendar(organisation)
    for sequence, spec in enumerate(_task_specs(preset, day), start=1):
        names = "、".join(preset.class_rule(code).name for code in spec.classes)
        # A quarterly task is drawn on that day of its quarter's first month, a yearly one in Q1.
        draw_day = Quarter(year, spec.quarter or 1).start.replace(day=draw_day_of_month)
        task = SamplingTask.objects.create(
            plan=plan,
            organisation=organisation,
            sequence=sequence,
            number=f"{year}{sequence:03d}",
            name=task_name(organisation, year, spec.quarter, spec.task_type),
            scope=spec.scope,
            quarter=spec.quarter,
            classes=spec.classes,
            target_scope=f"{organisation.name}辖区内的{names}",
            ratio_text=_ratio_text(preset, spec.classes, day),
            draw_date=draw_day,
            inspection_deadline=task_inspection_deadline(
                preset, year=year, quarter=spec.quarter, draw_date=draw_day, calendar=calendar
            ),
            initiator=organisation.name,
            guidance_unit=parent.name if parent else "",
            basis=f"《{preset.document}》；随机抽查事项清单所列检查依据",
            partners=spec.partners,
            lead_department=organisation.name if spec.partners else "",
        )
        task.items.set(items)
    return plan


def _check_editable(plan: AnnualPlan) -> None:
    if plan.status == AnnualPlan.Status.SUBMITTED:
        raise ValidationError("计划已提交审批，须由领导退回后才能修改。")
    if not plan.editable:
        raise ValidationError("计划已审批或已公开，须先“调整计划”并说明原因，才能修改。")


#: Words that name the bureau's own department in a city's joint list.
OWN_DEPARTMENT = "生态环境"


def _joint_list(organisation: Organisation, industry: str):
    """一业一查 (遵化 二、（二）): the bureau's items the city's joint list links to ``industry``,
    the other departments it names, and the lead (the bureau, where the list names 生态环境)."""
    rows = list(
        JointItem.objects.filter(organisation=organisation, industry=industry, in_register=True)
    )
    if not rows:
        raise ValidationError(
            {"joint_industry": f"本单位的一业一查部门联合抽查事项清单中没有“{industry}”行业领域。"}
        )
    names = list(dict.fromkeys(n for row in rows for n in row.own_item_names))
    items = list(
        InspectionItem.objects.filter(organisation=organisation, in_register=True, name__in=names)
    )
    unknown = sorted(set(names) - {i.name for i in items})
    if unknown or not names:
        raise ValidationError(
            {"joint_industry": f"一业一查清单“{industry}”对应的本局事项"
             + (f"“{'、'.join(unknown)}”不在本局随机抽查事项清单中" if unknown else "未填写")
             + "，请先在清单中核对“本局对应事项”。"}
        )  # fmt: skip
    departments = [d for row in rows for d in (row.lead, *row.partner_names)]
    partners = list(dict.fromkeys(d for d in departments if OWN_DEPARTMENT not in d))
    ours = any(OWN_DEPARTMENT in row.lead for row in rows)
    return items, partners, organisation.name if ours else rows[0].lead


def _set_partner_departments(task: SamplingTask, departments) -> None:
    """Link the registered partner departments (获嘉 二、（一） 科学合理确定联合部门) and keep
    every partner's name in ``partners``: the registered ones first, then those named only."""
    departments = list(departments)
    allowed = set(Organisation.objects.partners_of(task.organisation).values_list("pk", flat=True))
    strangers = [d.name for d in departments if d.pk not in allowed]
    if strangers:
        raise ValidationError(
            {"partner_departments": f"“{'、'.join(strangers)}”不是本单位登记的联合部门。"}
        )
    task.partner_departments.set(departments)
    registered = [d.name for d in departments]
    names = registered + [n for n in task.partners if n not in registered]
    if names != task.partners:
        task.partners = names
        task.save(update_fields=["partners"])
    if departments and task.scope != SamplingTask.Scope.DEPARTMENT_JOINT:
        raise ValidationError({"scope": "选择了联合部门的任务，联合类型须为“部门联合”。"})


@audited("plan.task_update", "修改抽查任务", subject="task")
@transaction.atomic
def task_update(*, actor, task: SamplingTask, **fields) -> SamplingTask:
    require_own(
        actor, task.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以修改任务。"
    )
    plan = AnnualPlan.objects.select_for_update().get(pk=task.plan_id)
    _check_editable(plan)
    items = fields.pop("items", None)
    departments = fields.pop("partner_departments", None)
    for name, value in fields.items():
        setattr(task, name, value)
    if task.scope == SamplingTask.Scope.DEPARTMENT_JOINT and not (task.partners or departments):
        raise ValidationError({"partners": "部门联合抽查须写明联合部门。"})
    task.full_clean()
    task.save()
    if items is not None:
        task.items.set(items)
    if departments is not None:
        _set_partner_departments(task, departments)
    return task


@audited("plan.task_add", "添加抽查任务", subject="task")
@transaction.atomic
def task_add(
    *,
    actor,
    plan: AnnualPlan,
    name: str,
    quarter: int | None,
    classes: list[str],
    scope: str = SamplingTask.Scope.OWN,
    partners: list[str] | tuple[str, ...] = (),
    partner_departments=(),
    filters: dict | None = None,
    sample: dict | None = None,
    joint_industry: str = "",
) -> SamplingTask:
    """A 专项, 定向 or 部门联合 task beside the generated ones (获嘉 二, 保定 三、（四）). A draft
    takes it directly; a published plan only through the adjustment procedure (藁城 二、（八）
    GC-2.8): ``plan_adjust`` with a reason, then approval and a new public version."""
    require_own(
        actor, plan.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以添加任务。"
    )
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    _check_editable(plan)
    organisation = plan.organisation
    preset = effective_preset(organisation_policy(organisation))
    known = {rule.code: rule.name for rule in preset.classes}
    if not classes or any(code not in known for code in classes):
        raise ValidationError({"classes": "请从本单位政策的监管类别中选择至少一类。"})
    if quarter not in (None, 1, 2, 3, 4):
        raise ValidationError({"quarter": "季度应为一至四季度，或全年。"})
    try:
        filters = validate_filters(filters or {})
        if sample:
            validate_quota(sample, "本任务抽查比例")
            if set(sample) != {"ratio"}:
                raise PolicyError("本任务抽查比例只能写百分数，如 10%")
    except PolicyError as error:
        raise ValidationError(str(error)) from error
    partners = [p.strip() for p in partners if p.strip()]
    joint_items = None
    if joint_industry:
        joint_items, joint_partners, lead = _joint_list(organisation, joint_industry)
        scope = SamplingTask.Scope.DEPARTMENT_JOINT
        partners += [p for p in joint_partners if p not in partners]
    if scope == SamplingTask.Scope.DEPARTMENT_JOINT and not (partners or partner_departments):
        raise ValidationError({"partners": "部门联合抽查须写明联合部门。"})
    sequence = (
        plan.tasks.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    ) + 1
    day = dt.date(plan.year, 1, 1)
    settings = organisation_settings(organisation)
    draw_day = Quarter(plan.year, quarter or 1).start.replace(day=settings.draft_draw_day)
    names = "、".join(known[code] for code in classes)
    ratio = f"本任务各类别抽取 {sample['ratio']}" if sample else _ratio_text(preset, classes, day)
    task = SamplingTask.objects.create(
        plan=plan,
        organisation=organisation,
        sequence=sequence,
        number=f"{plan.year}{sequence:03d}",
        name=name.strip() or task_name(organisation, plan.year, quarter, "专项抽查"),
        kind=SamplingTask.Kind.DIRECTED if filters else SamplingTask.Kind.UNDIRECTED,
        scope=scope,
        quarter=quarter,
        classes=list(classes),
        target_scope=f"{organisation.name}辖区内的{names}"
        + (f"（{filter_words(filters)}）" if filters else ""),
        ratio_text=ratio,
        draw_date=draw_day,
        inspection_deadline=task_inspection_deadline(
            preset,
            year=plan.year,
            quarter=quarter,
            draw_date=draw_day,
            calendar=workday_calendar(organisation),
        ),
        initiator=organisation.name,
        guidance_unit=organisation.parent.name if organisation.parent else "",
        basis=f"《{preset.document}》；随机抽查事项清单所列检查依据",
        partners=partners,
        lead_department=(lead if joint_industry else organisation.name)
        if partners or partner_departments
        else "",
        joint_industry=joint_industry,
        filters=filters,
        sample=sample or {},
    )
    task.items.set(
        joint_items
        if joint_items is not None
        else InspectionItem.objects.filter(organisation=organisation, in_register=True)
    )
    if partner_departments:
        _set_partner_departments(task, partner_departments)
    return task


@audited("plan.submit", "提交审批年度抽查计划", subject="plan")
@transaction.atomic
def plan_submit(*, actor, plan: AnnualPlan, comment: str = "") -> AnnualPlan:
    """The 抽查管理员 hands the draft (or the adjusted plan) to the 领导: it can no longer be
    edited until it is approved or sent back."""
    require_own(
        actor, plan.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以提交审批。"
    )
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.editable:
        raise ValidationError(f"计划当前为“{plan.get_status_display()}”，不能提交审批。")
    if not plan.tasks.exists():
        raise ValidationError("计划没有任何抽查任务，不能提交审批。")
    plan.status = AnnualPlan.Status.SUBMITTED
    plan.save(update_fields=["status"])
    _review(plan, PlanReview.Decision.SUBMITTED, actor, comment)
    return plan


def _review(plan: AnnualPlan, decision: str, actor, comment: str) -> None:
    PlanReview.objects.create(
        plan=plan,
        version=plan.version,
        decision=decision,
        comment=comment.strip(),
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _check_submitted(plan: AnnualPlan, act: str) -> None:
    if plan.status != AnnualPlan.Status.SUBMITTED:
        raise ValidationError(
            f"计划当前为“{plan.get_status_display()}”，须由抽查管理员提交审批后才能{act}。"
        )


@audited("plan.approve", "审批年度抽查计划", subject="plan")
@transaction.atomic
def plan_approve(*, actor, plan: AnnualPlan, comment: str = "") -> AnnualPlan:
    require_own(actor, plan.organisation_id, "approve_plans", "只有本单位领导可以审批抽查计划。")
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    _check_submitted(plan, "审批")
    now = timezone.now()
    plan.status = AnnualPlan.Status.APPROVED
    plan.approved_by = actor
    plan.approved_at = now
    plan.issued_on = plan.issued_on or timezone.localdate(now)
    plan.save(update_fields=["status", "approved_by", "approved_at", "issued_on"])
    _review(plan, PlanReview.Decision.APPROVED, actor, comment)
    return plan


@audited("plan.return", "退回年度抽查计划", subject="plan")
@transaction.atomic
def plan_return(*, actor, plan: AnnualPlan, comment: str) -> AnnualPlan:
    """The 领导 sends the plan back with what to change: it is a draft again (or, once
    published before, a plan under adjustment), to be edited and submitted anew."""
    require_own(actor, plan.organisation_id, "approve_plans", "只有本单位领导可以退回抽查计划。")
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    _check_submitted(plan, "退回")
    if not comment.strip():
        raise ValidationError({"comment": "请写明退回的原因和修改意见。"})
    published_before = plan.revisions.exists()
    plan.status = AnnualPlan.Status.ADJUSTING if published_before else AnnualPlan.Status.DRAFT
    plan.save(update_fields=["status"])
    _review(plan, PlanReview.Decision.RETURNED, actor, comment)
    return plan


def plan_snapshot(plan: AnnualPlan) -> dict:
    tasks = plan.tasks.prefetch_related("items").order_by("sequence")
    return {
        "year": plan.year,
        "version": plan.version,
        "issued_on": plan.issued_on.isoformat() if plan.issued_on else None,
        "tasks": [
            {
                "number": t.number,
                "name": t.name,
                "kind": t.get_kind_display(),
                "scope": t.get_scope_display(),
                "period": t.period_label,
                "items": [i.name for i in t.items.all() if not i.confidential],
                "target_scope": t.target_scope,
                "ratio": t.ratio_text,
                "draw_date": t.draw_date.isoformat(),
                "initiator": t.initiator,
                "guidance_unit": t.guidance_unit,
                "basis": t.basis,
                "partners": t.partners,
                "filter": filter_words(t.filters),
            }
            for t in tasks
        ],
    }


@audited("plan.publish", "公开年度抽查计划", subject="plan")
@transaction.atomic
def plan_publish(*, actor, plan: AnnualPlan) -> AnnualPlan:
    require_own(
        actor, plan.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以公开计划。"
    )
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != AnnualPlan.Status.APPROVED:
        raise ValidationError("只有已审批的计划可以公开。")
    now = timezone.now()
    plan.status = AnnualPlan.Status.PUBLISHED
    plan.published_at = now
    plan.save(update_fields=["status", "published_at"])
    PlanRevision.objects.create(
        plan=plan,
        version=plan.version,
        published_at=now,
        reason=plan.adjustment_reason,
        snapshot=plan_snapshot(plan),
    )
    return plan


@audited("plan.adjust", "调整年度抽查计划", subject="plan")
@transaction.atomic
def plan_adjust(*, actor, plan: AnnualPlan, reason: str) -> AnnualPlan:
    """GC-2.8: 调整年度计划须履行程序并公开 — reopen with a reason; approve and publish again."""
    require_own(
        actor, plan.organisation_id, "manage_sampling", "只有本单位的抽查管理员可以调整计划。"
    )
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != AnnualPlan.Status.PUBLISHED:
        raise ValidationError("只有已公开的计划需要走调整程序；草稿可直接修改。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写调整原因。"})
    plan.status = AnnualPlan.Status.ADJUSTING
    plan.version += 1
    plan.adjustment_reason = reason.strip()
    plan.save(update_fields=["status", "version", "adjustment_reason"])
    return plan


def plan_warnings(
    plan: AnnualPlan,
    today: dt.date,
    *,
    preset: Preset | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[str]:
    """JX-4.1: issued by the deadline, published within N working days of issue. ``preset`` and
    ``calendar`` are the plan's bureau's, where the caller has read them already (the dashboard
    reads them for every 分局 at once)."""
    if preset is None:
        try:
            preset = effective_preset(organisation_policy(plan.organisation))
        except (NoPolicy, PolicyError):
            return []
    warnings = []
    new_year = dt.date(plan.year, 1, 1)
    deadline_target = plan_target(preset, PLAN_DEADLINE, new_year)
    if deadline_target:
        deadline = deadline_target.deadline(plan.year)
        issued = plan.issued_on
        if (issued and issued > deadline) or (not issued and today > deadline):
            warnings.append(
                f"年度抽查计划应于 {deadline:%Y-%m-%d} 前制定完成（{deadline_target.ref.clause}），"
                + (f"实际印发于 {issued:%Y-%m-%d}。" if issued else "至今尚未审批印发。")
            )
    limit_target = plan_target(preset, PLAN_PUBLICATION_WORKDAYS, new_year)
    if limit_target and plan.issued_on:
        limit = limit_target.workdays
        calendar = calendar or workday_calendar(plan.organisation)
        deadline = calendar.deadline(plan.issued_on, limit)
        due = deadline.day
        published = timezone.localdate(plan.published_at) if plan.published_at else None
        if (published and published > due) or (not published and today > due):
            provisional = "，暂定" if deadline.provisional else ""
            warnings.append(
                f"应在印发之日起 {limit} 个工作日内（{due:%Y-%m-%d} 前{provisional}）向社会公开"
                f"（{limit_target.ref.clause}），"
                + (f"实际公开于 {published:%Y-%m-%d}。" if published else "至今尚未公开。")
            )
    return warnings
