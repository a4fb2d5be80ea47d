"""What the public may see. Every public page and every API endpoint reads through these
functions only, so what must never leak is decided in one place:

- an unrevealed draw's selection and teams, and the results that would give them away;
- 涉密 results and items, and 定向检查 (not 双随机 results);
- 身份证号, phone numbers and every register field beyond the published ones (a draw's
  ``pool.txt`` necessarily carries each candidate's class, 片区 and 要素标签, which are not
  confidential);
- draft or unpublished plans.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.directory.models import InspectionItem, Inspector, Target
from shuangsuiji.directory.vocabulary import InspectorCategory
from shuangsuiji.inspections.models import Confidentiality, FollowUp, Inspection, ResultCategory
from shuangsuiji.params import YEARS, whole_number
from shuangsuiji.planning.models import AnnualPlan, Draw, PlanRevision

#: The register fields the public sees (BD-3.5 “两库名单”); nothing else leaves the building.
TARGET_FIELDS = ("name", "credit_code", "address")
INSPECTOR_FIELDS = ("name", "certificate_no", "department")
ITEM_FIELDS = (
    "sequence",
    "category",
    "name",
    "target_scope",
    "item_class",
    "methods",
    "subject",
    "basis",
)
#: The large text columns of a draw, never needed to list its results.
DRAW_BULK = ("params", "pool", "roster", "conflicts", "commitment", "entropy", "result", "salt")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_active=True).select_related("parent")


def public_plan_revisions(organisation: Organisation | None = None) -> QuerySet[PlanRevision]:
    """Published versions only: a draft or an approved-but-unpublished plan is not public."""
    revisions = PlanRevision.objects.select_related("plan", "plan__organisation")
    return revisions.filter(plan__organisation=organisation) if organisation else revisions


def public_plans(organisation: Organisation) -> QuerySet[AnnualPlan]:
    return AnnualPlan.objects.filter(organisation=organisation, revisions__isnull=False).distinct()


def public_draws(organisation: Organisation | None = None) -> QuerySet[Draw]:
    """Every draw is public from its commitment on; its list only from its reveal or abort."""
    draws = Draw.objects.select_related("task", "organisation").filter(organisation__is_active=True)
    return draws.filter(organisation=organisation) if organisation else draws


def public_bundle(draw: Draw) -> dict[str, bytes]:
    """The draw's files as the portal hands them out (see ``Draw.public_files``)."""
    return draw.public_files()


def public_policy(organisation: Organisation) -> dict | None:
    """实施方案 (BD-3.5, GC-2.8b 公开工作方案): every value the bureau's draws follow, with its
    clause, and the bureau's adjustments with their reasons (not who entered them)."""
    from shuangsuiji.planning.policies import (
        NoPolicy,
        effective_preset,
        organisation_policy,
        policy_parameters,
    )

    try:
        policy = organisation_policy(organisation)
    except NoPolicy:
        return None
    preset = effective_preset(policy)
    return {
        "preset": preset,
        "parameters": policy_parameters(preset),
        "adjustments": policy.adjustments.order_by("created_at").values(
            "path", "since", "value", "reason", "created_at"
        ),
    }


def public_items(organisation: Organisation) -> QuerySet[InspectionItem]:
    """随机抽查事项清单 without the items marked 涉密."""
    return InspectionItem.objects.filter(
        organisation=organisation, in_register=True, confidential=False
    ).order_by("sequence", "category", "name")


def public_targets(organisation: Organisation, query: str = "") -> QuerySet[Target]:
    """检查对象名录库: name, 统一社会信用代码 and address of the targets in the register."""
    targets = Target.objects.filter(organisation=organisation, in_register=True)
    if query:
        targets = targets.filter(Q(name__icontains=query) | Q(credit_code=query.upper()))
    return targets.order_by("name", "credit_code").only("pk", "project_code", *TARGET_FIELDS)


def public_inspectors(organisation: Organisation) -> QuerySet[Inspector]:
    """执法检查人员名录库: the enforcement officers' name, 执法证号 and department; never
    身份证号 or phone. Experts and assistants are not 执法检查人员 and are not listed."""
    return (
        Inspector.objects.filter(
            organisation=organisation, in_register=True, category=InspectorCategory.ENFORCEMENT
        )
        .order_by("department", "name")
        .only("pk", *INSPECTOR_FIELDS)
    )


def public_results(organisation: Organisation | None = None) -> QuerySet[Inspection]:
    """Published 双随机 results. A result of a draw whose list is still confidential stays
    hidden until the reveal, or it would announce who was drawn."""
    results = (
        Inspection.objects.filter(
            published_at__isnull=False,
            status=Inspection.Status.DONE,
            confidentiality=Confidentiality.NONE,
        )
        .exclude(kind=Inspection.Kind.TARGETED)
        .filter(Q(draw__isnull=True) | Q(draw__status=Draw.Status.REVEALED))
        .filter(organisation__is_active=True)
    )
    if organisation is not None:
        results = results.filter(organisation=organisation)
    return results


def with_public_details(results: QuerySet[Inspection]) -> QuerySet[Inspection]:
    """The related rows a result is shown with, in a fixed number of queries."""
    return (
        results.select_related("organisation", "target", "task", "draw")
        # A draw row holds its whole pool, roster and result: a list needs its id and status.
        .defer(*(f"draw__{name}" for name in DRAW_BULK))
        .prefetch_related(
            Prefetch("items", queryset=InspectionItem.objects.filter(confidential=False)),
            Prefetch("follow_ups", queryset=FollowUp.objects.order_by("opened_on", "pk")),
        )
    )


#: A result filter accepts ``year`` (and the year of ``month``) within params.YEARS, and these
#: quarters; the portal and the API enforce them here and the API's schema documents them from
#: the same numbers.
QUARTERS = (1, 4)
#: ``month`` as YYYY-MM within YEARS, or empty (no month), the API's documented pattern; taken
#: as it is, not stripped. A month outside a datetime's range would fail when its end is
#: computed, and a century ago has no published results.
MONTH_PATTERN = r"^((20[0-9]{2}|2100)-(0[1-9]|1[0-2]))?$"


@dataclass(frozen=True)
class ResultFilter:
    year: int | None = None
    quarter: int | None = None
    category: str = ""
    month: dt.date | None = None

    @classmethod
    def from_query(cls, params) -> tuple[ResultFilter, list[tuple[str, str]]]:
        """Read the filter from a query string; bad values are named (parameter, message),
        not ignored silently."""
        problems = []
        values: dict = {}
        for name, (low, high) in (("year", YEARS), ("quarter", QUARTERS)):
            raw = (params.get(name) or "").strip()
            if not raw:
                continue
            value = whole_number(raw, low, high)
            if value is not None:
                values[name] = value
            else:
                problems.append((name, f"参数 {name}=“{raw}”无效，应为 {low}–{high} 的整数。"))
        category = (params.get("category") or "").strip()
        if category:
            if category in ResultCategory.values:
                values["category"] = category
            else:
                problems.append(("category", f"参数 category=“{category}”无效。"))
        month = params.get("month") or ""
        if month:
            if re.fullmatch(MONTH_PATTERN, month):
                values["month"] = dt.date(int(month[:4]), int(month[5:]), 1)
            else:
                low, high = YEARS
                problems.append(
                    ("month", f"参数 month=“{month}”无效，应为 YYYY-MM（{low}-01 至 {high}-12）。")
                )
        if "quarter" in values and "year" not in values:
            problems.append(("quarter", "按季度筛选时请同时指定年度（year）。"))
            values.pop("quarter")
        return cls(**values), problems

    def apply(self, results: QuerySet[Inspection]) -> QuerySet[Inspection]:
        if self.year and self.quarter:
            first = dt.date(self.year, 3 * self.quarter - 2, 1)
            last = dt.date(self.year + (self.quarter == 4), (3 * self.quarter) % 12 + 1, 1)
            results = results.filter(determined_on__gte=first, determined_on__lt=last)
        elif self.year:
            results = results.filter(determined_on__year=self.year)
        if self.category:
            results = results.filter(result_category=self.category)
        if self.month:
            start = _local_midnight(self.month)
            end = _local_midnight(_next_month(self.month))
            results = results.filter(published_at__gte=start, published_at__lt=end)
        return results


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def result_batches(organisation: Organisation) -> list[dict]:
    """保定 二 “每月向社会公示”: the organisation's published results grouped by the month of
    publication, newest first, each a batch with its count."""
    rows = (
        public_results(organisation)
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("-month")
    )
    return [{"month": row["month"].date(), "count": row["count"]} for row in rows]


def search_enterprises(query: str, limit: int = 50) -> list[dict]:
    """Find enterprises by 统一社会信用代码 (exact) or a fragment of the name, across every
    organisation's register; one row per enterprise and organisation."""
    query = query.strip()
    if not query:
        return []
    targets = Target.objects.filter(in_register=True, organisation__is_active=True)
    if CREDIT_CODE.match(query.upper()):
        targets = targets.filter(credit_code=query.upper())
    else:
        targets = targets.filter(name__icontains=query)
    rows = (
        targets.values("credit_code", "name", "organisation__name", "organisation__code")
        .order_by("name", "credit_code")
        .distinct()[:limit]
    )
    return list(rows)


def enterprise_results(credit_code: str) -> QuerySet[Inspection]:
    """Every public result of one enterprise, in any organisation, newest first."""
    return with_public_details(public_results().filter(target__credit_code=credit_code)).order_by(
        "-determined_on", "-pk"
    )


def version(queryset: QuerySet, field: str) -> tuple[int, dt.datetime | None]:
    """(rows, newest change) of a public list: one aggregate query, so a mirror polling with
    If-None-Match or If-Modified-Since is answered without building the list."""
    summary = queryset.order_by().aggregate(rows=Count("pk"), newest=Max(field))
    return summary["rows"], summary["newest"]


def target_classes(organisation: Organisation, quarter) -> dict[str, str]:
    """This quarter's 监管类别 of each target, by draw id, for a bureau that publishes them."""
    from shuangsuiji.planning.policies import quarter_view

    view = quarter_view(organisation, quarter)
    return {
        c.target.id: view.preset.class_rule(c.class_code).name
        for c in view.classifications
        if c.class_code
    }


def draw_disclosure(draw: Draw) -> dict:
    """Everything public about one draw: before reveal the commitment, sources and pool; at
    reveal or abort the salt and the server's verification; at reveal the list with ranks,
    enterprise names and teams, substitutions and manual assignments with their reasons."""
    from shuangsuiji import draw as engine

    disclosure = {
        "draw": draw,
        "commitment": json.loads(draw.commitment),
        "params": json.loads(draw.params),
        "files": public_bundle(draw),
        "sources": list(draw.sources.all()),
    }
    if draw.salt_public:
        disclosure["report"] = engine.verify(disclosure["files"])
        disclosure["salt"] = bytes(draw.salt).hex()
    if draw.status == Draw.Status.REVEALED:
        result = json.loads(draw.result)
        inspections = (
            draw.inspections.exclude(status=Inspection.Status.CANCELLED)
            .select_related("target")
            .prefetch_related("members__inspector")
        )
        teams = {
            i.target.draw_id: (i.target.name, [m.inspector.name for m in i.members.all()])
            for i in inspections
        }
        for stratum in result["strata"]:
            for rank, selected in enumerate(stratum["selected"], start=1):
                selected["rank"] = rank
                selected["name"], selected["team"] = teams.get(selected["id"], ("", []))
        disclosure["result"] = result
        disclosure["substitutions"] = list(draw.substitutions.all())
        disclosure["manual"] = list(draw.manual_assignments.all())
    return disclosure
