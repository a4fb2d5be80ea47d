"""The quarterly draw as a coordinator runs it: prepare → commit → draw → reveal (or abort).

Each step is a service that checks the actor, locks the rows it changes and writes the bundle
of SHUANGSUIJI-DRAW-v1 byte for byte, so anyone can re-run the draw from the public files. The
inspections a draw decides belong to the layer above (``inspections.creation``); the acts in
``acts.draws`` run both in one transaction. What the year's inspections contribute to a draw
(each target's count, each inspector's load) is passed in, never read from here.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuangsuiji import draw as engine
from shuangsuiji.accounts.access import has_permission, require_own
from shuangsuiji.accounts.models import Organisation
from shuangsuiji.audit.services import audited
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.bureau.policies import effective_preset, organisation_policy
from shuangsuiji.directory.models import Inspector, RegulatoryEvent, Target
from shuangsuiji.directory.policy_input import event_record, target_record
from shuangsuiji.draw.documents import parse_entropy, parse_params
from shuangsuiji.draw.sources import SourceValueError, check_value
from shuangsuiji.planning.models import (
    ConflictOfInterest,
    Draw,
    DrawSource,
    SamplingTask,
)
from shuangsuiji.policy import PolicyError, PolicyValueMissing, Quarter, classify, quotas
from shuangsuiji.policy.engine import DrawnIn
from shuangsuiji.policy.loader import Reference
from shuangsuiji.policy.targeting import filter_matches, filter_words


def check_coordinator(actor, organisation) -> None:
    require_own(actor, organisation.pk, "manage_sampling", "只有本单位的抽查管理员可以组织抽取。")


def _field(text: str) -> str:
    """A pool/roster field: NFC, one line, no separator."""
    return unicodedata.normalize("NFC", " ".join(text.replace("|", "／").split()))


def task_quarter(task: SamplingTask, today: dt.date) -> Quarter:
    if task.quarter:
        return Quarter(task.plan.year, task.quarter)
    # A task drawn once for the year is classified as of the quarter it is drawn in.
    return Quarter.of(today) if today.year == task.plan.year else Quarter(task.plan.year, 1)


def task_period(task: SamplingTask) -> tuple[dt.date, dt.date]:
    """The days the task's inspections run: its quarter (or its year, for a task drawn once),
    ending on its 检查时限 where one is set."""
    year = task.plan.year
    if task.quarter:
        quarter = Quarter(year, task.quarter)
        start, end = quarter.start, quarter.end
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return start, task.inspection_deadline or end


def commit_rules(task: SamplingTask, today: dt.date) -> tuple[dt.date, bool]:
    """What a commit of ``task`` today must respect (issue 19 §5): the earliest 最迟公开日期 —
    the end of its inspection period, so a list is never public while its checks may still
    run — and whether it is drawn ahead of its period, which needs a reason."""
    start, end = task_period(task)
    return max(end, today), today < start


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
    #: Earlier draws of the year whose lists are not public (draw-spec v2 ``withheld_from``);
    #: empty, or no rule of the plan looks at earlier draws, means a v1 draw.
    withheld_from: tuple[str, ...] = ()
    #: 部门联合: each registered partner department of the task with the inspectors of its own
    #: register, matched by the same draw (获嘉 二、（三） 匹配各部门执法检查人员).
    partners: tuple[tuple[engine.Partner, list[engine.Inspector]], ...] = ()

    @property
    def excluded(self):
        return [
            c
            for c in self.classifications
            if c.class_code in self.task.classes and c.in_population and not c.eligible
        ]

    @property
    def withheld(self):
        """Pooled candidates left out for reasons resting on lists not yet public: the bureau
        sees them here; the public sees them as eligible until those lists are revealed."""
        pooled = {c.id for c in self.candidates}
        return [c for c in self.classifications if c.withheld and c.target.id in pooled]


def _looks_at_earlier_draws(preset, day: dt.date) -> bool:
    """Whether the plan has a rule resting on the year's earlier draws (绛县 四、（五）'s
    cap, its no-repeat classes): a public fact, so the choice of spec version tells nothing."""
    no_repeat = any(r.no_repeat is not None and r.no_repeat.at(day).value for r in preset.classes)
    return no_repeat or "annual_cap" in preset.exclusions


def draw_prepare(
    task: SamplingTask,
    *,
    drawn: Mapping[int, tuple[DrawnIn, ...]],
    loads: Counter,
    today: dt.date | None = None,
) -> Preparation:
    """Classify the register and build pool and roster. ``drawn`` (the draws that chose each
    target at random this year, public or not: ``inspections.selectors.annual_draws``, for
    绛县's cap of 2 and its no-repeat classes) and ``loads`` (every inspection per inspector)
    come from the inspections layer above, through the act that calls this (``acts.draws``).
    The team size, the seniority of a lead and an inspector's annual cap are the bureau's
    settings, numbers no plan states (``OrganisationSettings.BUREAU_DEFAULTS``)."""
    today = today or timezone.localdate()
    organisation = task.organisation
    settings = organisation_settings(organisation)
    preset = effective_preset(organisation_policy(organisation))
    quarter = task_quarter(task, today)
    year = task.plan.year
    withheld_from: tuple[str, ...] = ()
    if _looks_at_earlier_draws(preset, quarter.start):
        # The secret lists this draw may rest on: the year's drawn, unrevealed draws of tasks
        # sharing a class with it (public facts: task and classes). An annual 在建 draw revealed
        # in December must not hold back every quarterly reveal of the year.
        secret = (
            Draw.objects.filter(
                organisation=organisation, task__plan__year=year, status=Draw.Status.DRAWN
            )
            .exclude(task=task)
            .values_list("draw_id", "task__classes")
        )
        withheld_from = tuple(
            sorted(d for d, classes in secret if set(classes) & set(task.classes))
        )
    # A secret draw outside ``withheld_from`` cannot ground an exclusion without naming its
    # units: the unit stays drawable, as if that draw had not chosen it.
    kept = set(withheld_from)
    drawn = {
        pk: tuple(d for d in found if d.public or d.draw_id in kept) for pk, found in drawn.items()
    }
    targets = list(Target.objects.filter(organisation=organisation, in_register=True))
    records = [target_record(vars(t), drawn.get(t.pk, ())) for t in targets]
    events = [
        event_record(row)
        for row in RegulatoryEvent.objects.filter(organisation=organisation).values(
            "credit_code", "kind", "date", "reference"
        )
    ]
    as_of = min(today, quarter.end)
    classifications = classify(preset, records, events, quarter, as_of=as_of)
    if task.filters:
        # 定向抽查: units of the task's classes outside its range are not in this draw at all;
        # the quota is computed on those inside it.
        records_of: dict[str, list[tuple[str, dt.date]]] = {}
        for event in events:
            if event.date <= as_of:
                records_of.setdefault(event.credit_code, []).append((event.kind, event.date))
        classifications = [
            c
            for c in classifications
            if c.class_code not in task.classes
            or filter_matches(
                task.filters,
                c.target.fields,
                c.target.tags,
                records_of.get(c.target.credit_code, ()),
            )
        ]
    if task.sample:
        # A 专项 or 定向 task's own share of each class, set when the task was added.
        ref = Reference(document="抽查任务", clause=f"任务 {task.number}")
        for code in task.classes:
            preset = preset.with_value(f"classes.{code}.quota", task.sample, quarter.start, ref)
    enforcement = Inspector.objects.drawable().filter(organisation=organisation)
    try:
        all_quotas = quotas(preset, classifications, quarter, inspectors=enforcement.count())
    except PolicyValueMissing as error:
        # 获嘉 leaves its 特殊监管对象 ratio to the bureau: say so instead of failing.
        raise ValidationError(f"{error}。请在“本单位政策”中设定后再抽取。") from error
    except PolicyError as error:
        # 获嘉 “人均6家次” / 保定 1:5 with no officer on duty: the message names the register.
        raise ValidationError(f"{error}。") from error
    chosen = [q for q in all_quotas if q.code in task.classes]
    fallback_region = organisation.code
    candidates = [
        engine.Candidate(
            id=c.target.id,
            stratum=c.class_code,
            region=_field(c.target.region) or fallback_region,
            weight=c.weight,
            eligible=c.eligible,
            tags=c.target.tags,
            reason=_field(c.reason) if not c.eligible else "",
        )
        for c in classifications
        if c.class_code in task.classes
        and c.in_population
        and next(q for q in chosen if q.code == c.class_code).kind == "draw"
    ]
    senior_before = year - settings.seniority_years

    def roster_entry(i: Inspector, region: str) -> engine.Inspector:
        """A roster line: the bureau's officers and its partner departments' alike."""
        return engine.Inspector(
            id=i.certificate_no,
            region=region,
            senior=i.start_year is not None and i.start_year <= senior_before,
            tags=frozenset(i.tag_list),
            load=loads.get(i.pk, 0),
            cap=settings.inspector_annual_cap,
        )

    inspectors = [roster_entry(i, _field(i.area) or fallback_region) for i in enforcement]
    conflicts = list(
        ConflictOfInterest.objects.filter(organisation=organisation, active=True)
        .select_related("inspector", "target")
        .values_list("inspector__certificate_no", "target__credit_code", "target__project_code")
    )
    pairs = [(cert, project or credit) for cert, credit, project in conflicts]
    partners = tuple(
        (
            engine.Partner(code=d.code, name=d.name, team_size=settings.team_size),
            [
                # A department's inspectors serve the whole county: ANY_REGION.
                roster_entry(i, engine.ANY_REGION)
                for i in Inspector.objects.filter(organisation=d).drawable()
            ],
        )
        for d in task.partner_departments.order_by("code")
    )
    return Preparation(
        partners=partners,
        task=task,
        quarter=quarter,
        withheld_from=withheld_from,
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
    *,
    actor,
    task: SamplingTask,
    sources: list[tuple[str, str]],
    reveal_on: dt.date,
    drawn: Mapping[int, tuple[DrawnIn, ...]],
    loads: Counter,
    ahead_reason: str = "",
) -> Draw:
    """Freeze pool, roster and conflicts, name the random sources, commit to a secret salt."""
    check_coordinator(actor, task.organisation)
    task = SamplingTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
    if not task.plan.drawable:
        raise ValidationError("年度抽查计划经审批并向社会公开后才能抽取（无计划清单不检查）。")
    if task.draws.exclude(status=Draw.Status.ABORTED).exists():
        raise ValidationError("该任务已有一次未作废的抽取，不能重复抽取。")
    sources = [(_field(t), _field(label)) for t, label in sources if t.strip() or label.strip()]
    if not sources or any(not t or not label for t, label in sources):
        raise ValidationError(
            {"sources": "请至少写明一个公开随机源的类型和名称（如双色球某期开奖号码）。"}
        )
    earliest, ahead = commit_rules(task, timezone.localdate())
    if reveal_on < earliest:
        raise ValidationError(
            {
                "reveal_on": f"最迟公开日期不能早于 {earliest:%Y-%m-%d}"
                "（本任务检查期限的最后一天）：名单在检查期间公开，被查对象就能事先知道。"
            }
        )
    if ahead and not ahead_reason.strip():
        start, _ = task_period(task)
        raise ValidationError(
            {
                "ahead_reason": f"本任务的检查期间自 {start:%Y-%m-%d} 开始，今天抽取属于提前抽取，"
                "名单须保密更久：请写明提前抽取的原因。"
            }
        )
    preparation = draw_prepare(task, drawn=drawn, loads=loads)
    if not preparation.strata:
        raise ValidationError("该任务没有需要随机抽取的类别。")
    attempt = task.draws.count() + 1
    draw_id = f"{task.organisation.code}-{task.number}-{attempt}"
    now = timezone.localtime()
    strata = [
        {"code": q.code, "k": q.quota, "name": q.name, "basis": q.basis} for q in preparation.strata
    ]
    salt = engine.new_salt()
    withheld = None
    if preparation.withheld_from:
        # draw-spec v2: what rests on the earlier secret lists is committed, not shown.
        withheld = engine.render_withheld(
            (c.target.id, c.withheld_from, _field(c.withheld)) for c in preparation.withheld
        )
    params = engine.render_params(
        draw_id=draw_id,
        team_size=preparation.team_size,
        strata=strata,
        sources=[engine.Source(type=t, label=label) for t, label in sources],
        committed_at=now.isoformat(timespec="seconds"),
        filter_text=filter_words(task.filters),
        withheld_commit=engine.commit_withheld(salt, withheld) if withheld is not None else None,
        withheld_from=preparation.withheld_from,
        partners=[partner for partner, _ in preparation.partners],
    )
    partner_rosters = {
        partner.code: engine.render_roster(inspectors)
        for partner, inspectors in preparation.partners
    }
    files = {
        "params.json": params,
        "pool.txt": engine.render_pool(preparation.candidates),
        "roster.txt": engine.render_roster(preparation.inspectors),
        "conflicts.txt": engine.render_conflicts(preparation.conflicts),
        **{engine.partner_file(code): roster for code, roster in partner_rosters.items()},
    }
    if withheld is not None:
        files[engine.WITHHELD] = withheld
    try:
        bundle = engine.parse_bundle(files, engine.COMMIT_INPUTS)  # the spec's own validation
    except engine.BundleError as error:
        # e.g. one 执法证号 in the bureau's register and a partner department's.
        raise ValidationError(f"抽取材料有误，无法承诺：{error}") from error
    pooled = {c.id for c in preparation.candidates}
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
                partner_rosters={code: r.decode() for code, r in partner_rosters.items()},
                commitment=commitment.decode(),
                withheld=withheld.decode() if withheld is not None else "",
                withheld_from=list(preparation.withheld_from),
                methods={
                    c.target.id: c.method
                    for c in preparation.classifications
                    if c.target.id in pooled
                },
                grades={
                    c.target.id: c.grade
                    for c in preparation.classifications
                    if c.target.id in pooled
                },
                salt=salt,
                reveal_on=reveal_on,
                ahead_reason=_field(ahead_reason) if ahead else "",
                committed_by=actor,
            )
    except IntegrityError as error:
        raise ValidationError("该任务已有一次未作废的抽取，不能重复抽取。") from error
    DrawSource.objects.bulk_create(
        DrawSource(draw=draw, position=i, type=t, label=label)
        for i, (t, label) in enumerate(sources)
    )
    return draw


def draw_in_background(draw: Draw) -> bool:
    """A pool of more candidates than SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES (one line of
    pool.txt each) is drawn by the worker: a province-wide draw takes seconds to a minute."""
    return draw.pool.count("\n") > django_settings.SHUANGSUIJI_DRAW_BACKGROUND_CANDIDATES


@audited("draw.execute", "录入随机源并抽取", subject="draw")
@transaction.atomic
def draw_execute(*, actor, draw: Draw, values: list[str]) -> tuple[Draw, engine.Result | None]:
    """Enter the named sources' values; the seed, the selection and the teams follow. The
    inspections they decide are created by the act (``acts.draws.draw_execute``).

    A large pool (``draw_in_background``) is only recorded here: values and entropy.json, the
    draw 抽取中, and the act queues the worker's task; the result is then None. The values are
    fixed either way, and the result is what the committed bundle and these values give."""
    check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != Draw.Status.COMMITTED:
        raise ValidationError(f"该抽取当前为“{draw.get_status_display()}”，不能再次抽取。")
    sources = list(draw.sources.all())
    if len(values) != len(sources) or any(not v.strip() for v in values):
        raise ValidationError({"values": "请填写每一个随机源的取值。"})
    for source, value in zip(sources, values, strict=True):
        # The draw is irreversible: a value nobody can match against the announcement (a
        # 双色球 result typed as read out) is refused before it is hashed.
        try:
            check_value(source.type, source.label, value.strip())
        except SourceValueError as error:
            raise ValidationError({"values": str(error)}) from error
    entropy = engine.render_entropy(
        engine.EntropyValue(type=s.type, label=s.label, value=v.strip())
        for s, v in zip(sources, values, strict=True)
    )
    background = draw_in_background(draw)
    try:
        if background:
            # The other files were validated at commit and never change: entropy.json is all
            # that is new, checked as parse_bundle checks it, without reading the whole pool.
            parse_entropy(entropy, parse_params(draw.params.encode()))
        else:
            files = {**draw.bundle_files(with_salt=True), "entropy.json": entropy}
            bundle = engine.parse_bundle(files, engine.DRAW_INPUTS)
    except engine.BundleError as error:
        raise ValidationError({"values": str(error)}) from error
    for source, value in zip(sources, values, strict=True):
        source.value = value.strip()
        source.save(update_fields=["value"])
    draw.entropy = entropy.decode()
    draw.drawn_by = actor
    if background:
        draw.status = Draw.Status.DRAWING
        draw.drawing_step = Draw.Step.QUEUED
        draw.save(update_fields=["entropy", "status", "drawing_step", "drawn_by"])
        return draw, None
    result = engine.compute(bundle)
    _drawn(draw, result)
    draw.save(update_fields=["entropy", "result", "status", "drawn_by", "drawn_at"])
    return draw, result


def _drawn(draw: Draw, result: engine.Result) -> None:
    draw.result = result.dumps().decode()  # the same bytes, without a dict per task
    draw.status = Draw.Status.DRAWN
    draw.drawn_at = timezone.now()


def draw_queued(draw: Draw, task_id: str) -> None:
    """Note the worker's task of a draw 抽取中 (queued by ``acts.draws.draw_execute`` in the
    transaction that recorded the values), for its page to tell queued from running."""
    Draw.objects.filter(pk=draw.pk, status=Draw.Status.DRAWING).update(background_task=task_id)
    draw.background_task = task_id


def draw_step(draw: Draw, step: int) -> None:
    """The worker has reached ``step`` (``Draw.Step``): what the draw's page shows meanwhile.
    A progress mark outside the draw's record, like an export's percentage."""
    Draw.objects.filter(pk=draw.pk, status=Draw.Status.DRAWING).update(drawing_step=step)


def draw_result(draw: Draw) -> engine.Result:
    """The result of a draw 抽取中, computed from its stored files as ``shuangsuiji draw
    compute`` does (the commitment checked again): the same bytes on every run, so a run after
    a kill draws what the killed one would have. Outside any lock or transaction: on a large
    pool it takes seconds, while the draw's page and the rest of the bureau go on."""
    _, _, result = engine.compute_files(draw.bundle_files(with_salt=True))
    return result


@transaction.atomic
def draw_complete(*, draw: Draw, result: engine.Result) -> Draw | None:
    """Record the result of a draw 抽取中 (``draw_result``): once, on the locked row still
    抽取中. None when another run recorded it first, or the draw was aborted meanwhile: the
    caller then creates nothing. The act's audit entry is the coordinator's ``draw.execute``:
    the values decided this result, and the worker only computes it."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != Draw.Status.DRAWING:
        return None
    _drawn(draw, result)
    draw.save(update_fields=["result", "status", "drawn_at"])
    return draw


@audited("draw.reveal", "公开抽取名单", subject="draw")
@transaction.atomic
def draw_reveal(*, actor, draw: Draw, open_inspections: int, today: dt.date | None = None) -> Draw:
    """Publish salt and result once the task's inspections are done or the date set has come."""
    check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    today = today or timezone.localdate()
    if draw.status != Draw.Status.DRAWN:
        raise ValidationError("只有已抽取的名单可以公开。")
    pending = draw.withheld_pending()
    if pending:
        # Publishing this draw's withheld file would name units of those secret lists.
        raise ValidationError(
            f"本次抽取排除的部分对象依据此前抽取 {'、'.join(pending)} 的名单，"
            "须先公开这些名单，才能公开本次名单（保密纪律，JX-6.4）。"
        )
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
    return draw


#: The draws that may still be aborted: not public yet.
ABORTABLE = (Draw.Status.COMMITTED, Draw.Status.DRAWING, Draw.Status.DRAWN)


@audited("draw.abort", "作废抽取", subject="draw")
@transaction.atomic
def draw_abort(*, actor, draw: Draw, reason: str) -> Draw:
    """Abort with a reason: the salt is revealed at once and the draw stays public as 作废."""
    check_coordinator(actor, draw.organisation)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    # 抽取中 is drawn already: the values are recorded and decide the result (the worker,
    # finding the draw aborted, then creates nothing).
    if draw.status not in ABORTABLE:
        raise ValidationError("已公开或已作废的抽取不能作废。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写作废原因。"})
    draw.status = Draw.Status.ABORTED
    draw.aborted_reason = reason.strip()
    draw.aborted_at = timezone.now()
    draw.verified = engine.verify(draw.bundle_files(with_salt=True)).ok
    draw.save(update_fields=["status", "aborted_reason", "aborted_at", "verified"])
    return draw


@audited("conflict.declare", "登记回避")
@transaction.atomic
def conflict_declare(*, actor, inspector: Inspector, target: Target, reason: str):
    """回避 (JX-6.4): declared by the inspector for themself, or entered by the coordinator."""
    coordinator = actor is None or has_permission(actor, "manage_sampling")
    own = actor is not None and actor.username == inspector.certificate_no
    # 部门联合: the bureau's coordinator also enters the 回避 of its partner departments'
    # officers, whom its draws match to its own register's units.
    partner = (
        Organisation.objects.partners_of(target.organisation)
        .filter(pk=inspector.organisation_id)
        .exists()
    )
    if actor is not None and actor.organisation_id != inspector.organisation_id:
        bureau = partner and coordinator and actor.organisation_id == target.organisation_id
        if not bureau:
            raise PermissionDenied("不能为其他单位的执法人员登记回避。")
    if not coordinator and not own:
        raise PermissionDenied("执法人员只能为本人申报回避。")
    if not reason.strip():
        raise ValidationError({"reason": "请填写回避原因。"})
    if target.organisation_id != inspector.organisation_id and not partner:
        raise ValidationError({"target": "检查对象不在本单位名录中。"})
    conflict = ConflictOfInterest(
        organisation=target.organisation,
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
