"""A county part-way through its year, built through the real services, for the public portal.

- Q4 drawn and revealed: one result 未发现问题, one 责令整改 with a follow-up, one 涉密.
- Q3 drawn, not revealed: one submitted result, which must stay hidden with the list.
- Q2 committed only: pool and commitment public, nothing else.
- A targeted inspection (not a 双随机 result) and a plan draft in the neighbouring bureau.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.inspections.models import Inspection, ItemOutcome, ResultCategory
from shuangsuiji.inspections.services import RecordData, inspection_record_save, inspection_submit
from tests.support.county import build_county
from tests.support.tree import adopt_preset

SOURCES = [("lottery", "中国福利彩票双色球 2026130 期"), ("witness", "监督员 陈静")]
VALUES = ["3.7.12.19.25.31./9./", "20261122"]
REVEAL = dt.date(2026, 12, 31)


@dataclass
class Portal:
    county: object
    neighbour: object
    coordinator: object
    leader: object
    revealed: object
    hidden: object
    committed: object
    clean: Inspection
    ordered: Inspection
    secret: Inspection
    unrevealed: Inspection
    targeted: Inspection
    users: dict = field(default_factory=dict)


def team_user(inspection, make_user):
    from django.contrib.auth import get_user_model

    member = inspection.members.first().inspector
    user = get_user_model().objects.filter(username=member.certificate_no).first()
    return user or make_user(member.certificate_no, inspection.organisation, Role.INSPECTOR)


def record(inspection, user, category=ResultCategory.NO_PROBLEM, determined=None, **extra):
    """The team fills the result and submits it."""
    outcome = ItemOutcome.PROBLEM if category == ResultCategory.ORDERED else ItemOutcome.PASS
    data = RecordData(
        checked_at=timezone.now(),
        method_used="现场检查",
        representative="王厂长",
        present_members=tuple(m.inspector.certificate_no for m in inspection.members.all()),
        result_category=category,
        findings="内部记录：污染防治设施运行情况（不公开）。",
        public_summary=extra.pop("public_summary", "未发现问题"),
        determined_on=determined or dt.date(2026, 11, 20),
        **extra,
    )
    outcomes = {item.pk: (outcome, "") for item in inspection.items.all()}
    inspection_record_save(actor=user, inspection=inspection, data=data, outcomes=outcomes)
    return inspection_submit(actor=user, inspection=inspection)


def staffed(draw, n):
    return list(
        Inspection.objects.filter(draw=draw, status=Inspection.Status.ASSIGNED).order_by("pk")[:n]
    )


def build_portal(organisations, make_user) -> Portal:
    from shuangsuiji.acts.draws import draw_commit, draw_execute, draw_reveal
    from shuangsuiji.directory.models import Target
    from shuangsuiji.inspections.creation import targeted_inspection_create
    from shuangsuiji.inspections.services import follow_up_open
    from shuangsuiji.planning.plans import plan_approve, plan_generate, plan_publish, plan_submit

    county = build_county(organisations["a"])
    coordinator = make_user("coord", county, Role.COORDINATOR)
    leader = make_user("leader", county, Role.LEADER)
    plan = plan_generate(actor=coordinator, organisation=county, year=2026)
    plan_submit(actor=None, plan=plan)
    plan_approve(actor=leader, plan=plan)
    plan_publish(actor=coordinator, plan=plan)

    def drawn(quarter):
        draw = draw_commit(
            actor=coordinator, task=plan.tasks.get(quarter=quarter), sources=SOURCES,
            reveal_on=REVEAL,
        )  # fmt: skip
        return draw_execute(actor=coordinator, draw=draw, values=VALUES)

    revealed = drawn(4)
    clean, ordered, secret = staffed(revealed, 3)
    record(
        clean, team_user(clean, make_user), public_summary="未发现问题，企业污染防治设施正常运行"
    )
    ordered = record(ordered, team_user(ordered, make_user), ResultCategory.ORDERED,
           public_summary="发现问题已责令整改：危废标识不规范")  # fmt: skip
    follow_up_open(actor=coordinator, inspection=ordered, kind="rectify",
                   opened_on=dt.date(2026, 11, 20), deadline=dt.date(2026, 12, 20))  # fmt: skip
    record(secret, team_user(secret, make_user), confidentiality="commercial",
           confidential_reason="涉及企业工艺参数", public_summary="")  # fmt: skip

    # The salts are random, so the draws differ from run to run: the withheld checks are of
    # units nothing public names for another reason (drawn again and published in Q4).
    published = {clean.target_id, ordered.target_id, secret.target_id}
    hidden = drawn(3)
    unrevealed = next(i for i in staffed(hidden, 20) if i.target_id not in published)
    record(unrevealed, team_user(unrevealed, make_user), public_summary="名单未公开时不得出现")

    revealed = draw_reveal(actor=coordinator, draw=revealed, today=REVEAL)
    committed = draw_commit(
        actor=coordinator, task=plan.tasks.get(quarter=2), sources=SOURCES, reveal_on=REVEAL
    )
    drawn_units = Inspection.objects.filter(draw__in=[revealed, hidden]).values("target_id")
    target = (
        Target.objects.filter(organisation=county, name__startswith="一般企业")
        .exclude(pk__in=drawn_units)
        .order_by("name")
        .first()
    )
    targeted = targeted_inspection_create(
        actor=coordinator, target=target, case="complaint", reference="举报 2026-031",
        inspectors=list(county.inspectors.filter(category="enforcement")[:2]),
    )  # fmt: skip
    record(targeted, team_user(targeted, make_user), public_summary="举报核查（定向检查）")

    neighbour = build_neighbour(organisations["b"], make_user)
    for inspection in (clean, ordered, secret, unrevealed, targeted):
        inspection.refresh_from_db()
    return Portal(
        county=county, neighbour=neighbour, coordinator=coordinator, leader=leader,
        revealed=revealed, hidden=hidden, committed=committed, clean=clean, ordered=ordered,
        secret=secret, unrevealed=unrevealed, targeted=targeted,
    )  # fmt: skip


def build_neighbour(organisation, make_user):
    """Another bureau with a draft plan only: nothing of it is public yet."""
    from shuangsuiji.planning.plans import plan_generate

    adopt_preset(organisation, "zunhua-2024")
    coordinator = make_user("coord-b", organisation, Role.COORDINATOR)
    plan_generate(actor=coordinator, organisation=organisation, year=2026)
    return organisation
