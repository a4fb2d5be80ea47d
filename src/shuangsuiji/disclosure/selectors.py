"""What the public may see. Every public page reads through these functions only, so what must
never leak (an unrevealed list, drafts, salts) is decided in one place."""

from __future__ import annotations

from django.db.models import QuerySet

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.planning.models import AnnualPlan, Draw, PlanRevision


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_active=True).select_related("parent")


def public_plan_revisions(organisation: Organisation) -> QuerySet[PlanRevision]:
    """Published versions only: a draft or an approved-but-unpublished plan is not public."""
    return PlanRevision.objects.filter(plan__organisation=organisation).select_related("plan")


def public_plans(organisation: Organisation) -> QuerySet[AnnualPlan]:
    return AnnualPlan.objects.filter(organisation=organisation, revisions__isnull=False).distinct()


def public_draws(organisation: Organisation | None = None) -> QuerySet[Draw]:
    """Every draw is public from its commitment on; its list only from its reveal or abort."""
    draws = Draw.objects.select_related("task", "organisation")
    return draws.filter(organisation=organisation) if organisation else draws


def public_bundle(draw: Draw) -> dict[str, bytes]:
    """Before reveal: params, pool and commitment only. The roster and conflicts (people) and
    the result stay with auditors until reveal; the salt is published at reveal or abort."""
    files = draw.bundle_files(with_salt=draw.salt_public)
    if not draw.salt_public:
        files = {name: files[name] for name in ("params.json", "pool.txt", "commitment.json")}
    return files
