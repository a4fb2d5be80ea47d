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

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from shuangsuiji.accounts.models import Organisation
from shuangsuiji.directory.models import InspectionItem, Inspector, Target
from shuangsuiji.directory.search import name_contains
from shuangsuiji.directory.vocabulary import InspectorCategory

# The API reads the result filter here until it builds it from disclosure.filters itself.
from shuangsuiji.inspections.models import PUBLIC_RESULT, FollowUp, Inspection, InspectionPart
from shuangsuiji.inspections.selectors import item_names
from shuangsuiji.planning import labels
from shuangsuiji.planning.models import Draw, PlanRevision
from shuangsuiji.prepared import Prepared

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


def public_organisations() -> QuerySet[Organisation]:
    return Organisation.objects.bureaus().filter(is_active=True).select_related("parent")


#: Every page and answer about one organisation reads it first by its code: compiled once and
#: planned once per connection (shuangsuiji.prepared; issue 21 §1).
_PUBLIC_ORGANISATION = Prepared(
    lambda code: public_organisations().filter(code=code), code=str, planned_once=True
)


def public_organisation(code: str) -> Organisation:
    """The active bureau of ``code``, its parent read with it; 404, saying why, if there is
    none (the portal's pages and the API's answers alike)."""
    found = _PUBLIC_ORGANISATION(code=code)
    if not found:
        raise Http404(f"没有单位代码为“{code}”的单位。")
    return found[0]


def public_plan_revisions(organisation: Organisation | None = None) -> QuerySet[PlanRevision]:
    """Published versions only: a draft or an approved-but-unpublished plan is not public."""
    revisions = PlanRevision.objects.select_related("plan", "plan__organisation")
    return revisions.filter(plan__organisation=organisation) if organisation else revisions


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
    from shuangsuiji.bureau.policies import (
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


def removed_items(organisation: Organisation) -> QuerySet[InspectionItem]:
    """Items taken out of the public list, with when and why (绛县 四、（一） “只增不减”: a
    removal is shown, never silent). 涉密 items were never listed and are not shown."""
    return InspectionItem.objects.filter(
        organisation=organisation, in_register=False, confidential=False
    ).order_by("-updated_at", "name")


def public_targets(organisation: Organisation, query: str = "") -> QuerySet[Target]:
    """检查对象名录库: name, 统一社会信用代码 and address of the targets in the register."""
    targets = Target.objects.filter(organisation=organisation, in_register=True)
    if query:
        targets = targets.filter(name_contains(query) | Q(credit_code=query.upper()))
    # The id last: a unit's projects share its name and code, and a list read page by page
    # must not swap them between two pages.
    return targets.order_by(*TARGET_ORDER).only("pk", "project_code", *TARGET_FIELDS)


#: The index ``target_register_order`` (directory.models.Target) holds the register in this
#: order: change both together.
TARGET_ORDER = ("name", "credit_code", "pk")


#: 检查对象名录库 of an organisation, unfiltered, as the open-data API lists it page by page:
#: compiled once and planned once per connection. Every page of every organisation, small or
#: large, is read the same way, from the index that holds the register in this order with
#: every column shown (``target_register_order``), so one plan serves them all; planning it
#: each time cost PostgreSQL more than reading the page.
_ORGANISATION_TARGETS = Prepared(
    lambda organisation: public_targets(organisation).values(*TARGET_FIELDS),
    organisation=int,
    sliced=True,
    planned_once=True,
)


def organisation_target_values(organisation_id: int, offset: int, limit: int) -> list[dict]:
    """``limit`` rows of ``public_targets`` of the organisation from ``offset``, as values of
    ``TARGET_FIELDS``."""
    return _ORGANISATION_TARGETS(organisation=organisation_id, limit=limit, offset=offset)


def _latest_of(model, field: str) -> Prepared:
    """The latest ``field`` of an organisation's rows of ``model`` (none without rows),
    compiled once and planned once per connection: the open-data API stamps a list's first
    view with it (its ``ETag`` and ``Last-Modified``), and building the aggregate anew cost a
    tenth of the view. Written as the newest non-empty value rather than a ``MAX`` by
    organisation, so PostgreSQL reads one entry of the ``(organisation, field)`` index instead
    of every row of the organisation (1.0 ms for a county of 3,000 results)."""

    def latest(organisation):
        return (
            model.objects.filter(organisation_id=organisation, **{f"{field}__isnull": False})
            .order_by(f"-{field}")
            .values_list(field, flat=True)[:1]
        )

    latest.__qualname__ = f"latest({model.__name__}.{field})"
    return Prepared(latest, organisation=int, planned_once=True)


_LATEST_PUBLIC_CHANGE = _latest_of(Inspection, "public_changed_at")
_LATEST_TARGET_CHANGE = _latest_of(Target, "updated_at")


def latest_public_change(organisation_id: int) -> dt.datetime | None:
    """When any result of the organisation last changed in public (``public_changed_at``)."""
    return next(iter(_LATEST_PUBLIC_CHANGE(organisation=organisation_id)), None)


def latest_target_change(organisation_id: int) -> dt.datetime | None:
    """When the organisation's 检查对象名录库 last changed (a row's ``updated_at``)."""
    return next(iter(_LATEST_TARGET_CHANGE(organisation=organisation_id)), None)


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
            PUBLIC_RESULT, published_at__isnull=False, status=Inspection.Status.DONE
        )
        .exclude(kind=Inspection.Kind.TARGETED)
        .filter(Q(draw__isnull=True) | Q(draw__status=Draw.Status.REVEALED))
        .filter(organisation__is_active=True)
    )
    if organisation is not None:
        results = results.filter(organisation=organisation)
    return results


#: The order of a list of published results: the latest published first.
RESULT_ORDER = ("-published_at", "-pk")

#: The columns of a published result its downloads show (``exports.result_values``).
PUBLIC_DETAILS = (
    "organisation__code", "organisation__name", "target__name", "target__credit_code",
    "task__name", "draw__draw_id", "method", "method_used", "result_category",
    "public_summary", "determined_on", "published_at",
)  # fmt: skip


def with_public_details(results: QuerySet[Inspection]) -> QuerySet[Inspection]:
    """The related rows a result is shown with, in a fixed number of queries."""
    return (
        results.select_related("organisation", "target", "task", "draw")
        # What a download of results shows (exports.result_values), and nothing else: a draw
        # row holds its whole pool, roster and result, and the other columns (JSON flags,
        # teams, registers' details) would be read and decoded for nothing.
        .only(*PUBLIC_DETAILS)
        .prefetch_related(
            # A list shows an item's name and a follow-up's kind and dates: the other columns
            # (an item's JSON tags and methods) would be decoded for hundreds of rows a page.
            Prefetch(
                "items",
                queryset=InspectionItem.objects.filter(confidential=False).only(
                    "id", "name", "sequence"
                ),
            ),
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.order_by("opened_on", "pk").only(
                    "id", "inspection_id", "kind", "opened_on", "closed_on"
                ),
            ),
        )
    )


#: The columns of a published result the API and the downloads show, read as values: a page
#: of a hundred results is read without building a model object per row and per item.
_RESULT_VALUES = {
    "organisation": "organisation__code",
    "organisation_name": "organisation__name",
    "target_name": "target__name",
    "credit_code": "target__credit_code",
    "task": "task__name",
    "draw_id": "draw__draw_id",
    "method_used": "method_used",
    "method": "method",
    "category": "result_category",
    "summary": "public_summary",
    "determined_on": "determined_on",
    "published_at": "published_at",
}


#: What is read of each published result (``public_result_values``): its id, whether it is
#: 涉密, and the columns above.
_RESULT_COLUMNS = ("pk", "confidentiality", *_RESULT_VALUES.values())

#: The follow-ups and the partner departments' published parts of a page of results, compiled
#: once per connection (shuangsuiji.prepared): every first view of a results page asks them.
_FOLLOW_UPS = Prepared(
    lambda ids: (
        FollowUp.objects.filter(inspection_id__in=ids)
        .order_by("opened_on", "pk")
        .values_list("inspection_id", "kind", "opened_on", "closed_on")
    ),
    ids=list,
    planned_once=True,
)
_PUBLISHED_PARTS = Prepared(
    # 部门联合: each partner department's part, once that department has published it.
    lambda ids: (
        InspectionPart.objects.filter(inspection_id__in=ids, published_at__isnull=False)
        .order_by("organisation__code", "pk")
        .values_list("inspection_id", "organisation__name", "result_category", "public_summary")
    ),
    ids=list,
    planned_once=True,
)


def public_result_values(results: QuerySet[Inspection], *, parts: bool = False) -> list[dict]:
    """The public fields of each result of ``results`` (``public_results``, already sliced to
    a page), in its order: three queries whatever the page's size, four with ``parts`` (each
    partner department's published part of a 部门联合 check, which the portal's pages show).
    The same values as the results' Excel and CSV rows (``exports.result_values``), and what
    the portal's table writes (``templatetags/results_table.py``): a page of fifty results is
    read without building a model object per row, per item and per follow-up (issue 21 §3)."""
    return _result_details(list(results.values(*_RESULT_COLUMNS)), parts=parts)


def _organisation_in_order(organisation) -> QuerySet[Inspection]:
    """An organisation's published results, newest first (``RESULT_ORDER``), nothing joined
    yet: its pages add the columns they show, its kept order only the ids (the joins of the
    columns would stay in the query and cost PostgreSQL a lookup of each result's enterprise
    for nothing: 8.4 → 4.5 ms for a county of 3,700 results)."""
    return public_results().filter(organisation=organisation).order_by(*RESULT_ORDER)


def _organisation_results(organisation):
    return _organisation_in_order(organisation).values(*_RESULT_COLUMNS)


_ORGANISATION_RESULTS = Prepared(_organisation_results, organisation=int, sliced=True)


def organisation_result_values(
    organisation_id: int, offset: int, limit: int, *, parts: bool = False
) -> list[dict]:
    """``public_result_values`` of ``limit`` of an organisation's published results from
    ``offset``, newest first (``RESULT_ORDER``), with no filter: the portal's results page and
    the API's list as most read them, their query compiled once per connection
    (shuangsuiji.prepared; issue 21 §1)."""
    rows = _ORGANISATION_RESULTS(organisation=organisation_id, limit=limit, offset=offset)
    return _result_details(rows, parts=parts)


_ORGANISATION_RESULT_IDS = Prepared(
    lambda organisation: _organisation_in_order(organisation).values_list("pk", flat=True),
    organisation=int,
    sliced=True,
)


def organisation_result_ids(organisation_id: int, limit: int) -> list[int]:
    """The ids of an organisation's first ``limit`` published results, newest first
    (``RESULT_ORDER``): what its pages are cut from (``caching.ResultsInOrder``)."""
    return _ORGANISATION_RESULT_IDS(organisation=organisation_id, limit=limit)


#: A page of results by id, still only those published (``public_results``): planned once, as a
#: lookup by key, where the list read by offset is planned afresh for each organisation and
#: walks every row before the page (issue 21 §1).
_RESULTS_BY_ID = Prepared(
    lambda ids: (
        public_results().filter(pk__in=ids).order_by(*RESULT_ORDER).values(*_RESULT_COLUMNS)
    ),
    ids=list,
    planned_once=True,
)


def result_values_of(ids: list[int], *, parts: bool = False) -> list[dict]:
    """``public_result_values`` of the published results among ``ids``, newest first: a
    result no longer published is left out, whatever list the ids were taken from."""
    return _result_details(_RESULTS_BY_ID(ids=ids), parts=parts)


def _result_details(rows: list[dict], *, parts: bool) -> list[dict]:
    """``public_result_values`` of the rows read: their items, follow-ups and parts, and labels."""
    ids = [row["pk"] for row in rows]
    items = item_names(ids, confidential=False)
    follow_ups: dict[int, list[dict]] = {pk: [] for pk in ids}
    kinds = dict(FollowUp.Kind.choices)
    for pk, kind, opened_on, closed_on in _FOLLOW_UPS(ids=ids):
        follow_ups[pk].append(
            {"kind": kinds.get(kind, kind), "opened_on": opened_on, "closed_on": closed_on}
        )
    categories = dict(Inspection._meta.get_field("result_category").flatchoices)
    published_parts: dict[int, list[dict]] = {pk: [] for pk in ids}
    if parts:
        for pk, organisation_name, category, summary in _PUBLISHED_PARTS(ids=ids):
            published_parts[pk].append(
                {
                    "organisation_name": organisation_name,
                    "category_label": categories.get(category, category),
                    "summary": summary,
                }
            )
    secrecy = dict(Inspection._meta.get_field("confidentiality").flatchoices)
    # Beijing time, as ``timezone.localtime`` gives it, with the zone looked up once a page.
    zone = timezone.get_current_timezone()
    values = []
    for row in rows:
        value = {name: row[column] for name, column in _RESULT_VALUES.items()}
        value["task"] = value["task"] or ""
        value["method"] = value.pop("method_used") or value["method"]
        value["category_label"] = categories.get(value["category"], value["category"])
        published = value["published_at"]
        value["published_at"] = published.astimezone(zone) if published else None
        value["items"] = items[row["pk"]]
        value["follow_ups"] = follow_ups[row["pk"]]
        confidentiality = row["confidentiality"]
        # Blank is 不涉密, which the table does not mention.
        value["confidentiality_label"] = (
            secrecy.get(confidentiality, confidentiality) if confidentiality else ""
        )
        value["parts"] = published_parts[row["pk"]]
        values.append(value)
    return values


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


def public_enterprises() -> QuerySet[Target]:
    """The targets in the registers of active organisations, where 企业查询 looks
    (``disclosure.filters.EnterpriseSearch``)."""
    return Target.objects.filter(in_register=True, organisation__is_active=True)


#: 企业查询: up to this many matches are sorted by name as they are; more are found walking
#: the names in order (``enterprise_rows``).
SORTED_MATCHES = 5_000

#: A row of 企业查询 (an enterprise in one organisation's register), and the order of the rows.
ENTERPRISE_SHOWN = ("credit_code", "name", "organisation__name", "organisation__code")
ENTERPRISE_ORDER = ("name", "credit_code", "organisation_id")


def enterprise_rows(
    targets: QuerySet[Target], limit: int = 50, *, walk: QuerySet[Target] | None = None
) -> list[dict]:
    """One row per enterprise and organisation (an enterprise's projects are one row), at most
    ``limit``, by name, code and organisation.

    On PostgreSQL, how the first ``limit`` are found depends on how many match (issue 21 §2).
    A common word (“公司”, “有限”) matches most of the province's 500,000 targets: sorting them
    all took 0.4 s (of three processes), where walking the ``target_name_order`` index in name
    order meets the first fifty at once. A rarer one is better sorted: walking, PostgreSQL
    looks through most of the index for matches that sort late (“阳平…”, 0.2 s). So one query
    looks up at most ``SORTED_MATCHES`` + 1 matches by the name's bigram index and, when there
    are no more, sorts them; only beyond that does a second query walk the names: ``walk``, the
    same targets not narrowed by the bigram index (with it, PostgreSQL sometimes sorted a
    hundred thousand matches instead). Rows are told apart by ``DISTINCT ON`` the order's own
    columns, which the walk can stop early for."""
    if not connections[targets.db].features.can_distinct_on_fields:
        rows = targets.values(*ENTERPRISE_SHOWN).order_by(*ENTERPRISE_ORDER)
        return list(rows.distinct()[:limit])
    matched, count = _sorted_matches(targets, limit)
    if count <= SORTED_MATCHES:
        return matched
    walked = (targets if walk is None else walk).values(*ENTERPRISE_SHOWN)
    return list(walked.order_by(*ENTERPRISE_ORDER).distinct(*ENTERPRISE_ORDER)[:limit])


def _sorted_matches(targets: QuerySet[Target], limit: int) -> tuple[list[dict], int]:
    """(the first ``limit`` rows, how many targets match, counting to SORTED_MATCHES + 1). The
    matches are materialized first, so that the order cannot be served by walking the names,
    and sorted only when there are no more than SORTED_MATCHES of them."""
    probe, params = (
        targets.order_by()
        .values_list(*ENTERPRISE_ORDER)[: SORTED_MATCHES + 1]
        .query.sql_with_params()
    )
    connection = connections[targets.db]
    organisation = connection.ops.quote_name(Organisation._meta.db_table)
    sql = f"""
        WITH matched (name, credit_code, organisation_id) AS MATERIALIZED ({probe}),
             counted (n) AS (SELECT count(*) FROM matched)
        SELECT NULL, NULL, NULL, NULL, n FROM counted
        UNION ALL (
            SELECT DISTINCT ON (m.name, m.credit_code, m.organisation_id)
                   m.credit_code, m.name, o.name, o.code, NULL
            FROM matched m
            JOIN {organisation} o ON o.id = m.organisation_id
            WHERE (SELECT n FROM counted) <= %s
            ORDER BY m.name, m.credit_code, m.organisation_id
            LIMIT %s
        )"""  # the table's name from the model, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, SORTED_MATCHES, limit])
        (_, _, _, _, count), *rows = cursor.fetchall()
    return [dict(zip(ENTERPRISE_SHOWN, row[:4], strict=True)) for row in rows], count


def enterprise_results(credit_code: str) -> QuerySet[Inspection]:
    """Every public result of one enterprise, in any organisation, newest first."""
    return (
        public_results().filter(target__credit_code=credit_code).order_by("-determined_on", "-pk")
    )


_ENTERPRISE_RESULTS = Prepared(
    lambda credit_code: enterprise_results(credit_code).values(*_RESULT_COLUMNS),
    credit_code=str,
    planned_once=True,
)


def enterprise_result_values(credit_code: str) -> list[dict]:
    """``public_result_values`` of ``enterprise_results``, the query compiled once per connection
    (shuangsuiji.prepared): 企业结果页 is the portal's most varied address, nearly every view
    of it a first one (issue 21 §1)."""
    return _result_details(_ENTERPRISE_RESULTS(credit_code=credit_code), parts=True)


def _registered(credit_code):
    return (
        public_enterprises()
        .filter(credit_code=credit_code)
        .values(*ENTERPRISE_SHOWN)
        .order_by(*ENTERPRISE_ORDER)
        .distinct()
    )


_REGISTERED = Prepared(_registered, credit_code=str, sliced=True, planned_once=True)


def registered_enterprise(credit_code: str, limit: int = 50) -> list[dict]:
    """``enterprise_rows`` of the registers holding the 统一社会信用代码 ``credit_code``."""
    return _REGISTERED(credit_code=credit_code, limit=limit)


def version(queryset: QuerySet, field: str) -> tuple[int, dt.datetime | None]:
    """(rows, newest change) of a public list: one aggregate query, so a mirror polling with
    If-None-Match or If-Modified-Since is answered without building the list."""
    summary = queryset.order_by().aggregate(rows=Count("pk"), newest=Max(field))
    return summary["rows"], summary["newest"]


def target_classes(organisation: Organisation, quarter) -> dict[str, str]:
    """This quarter's 监管类别 of each target, by draw id, for a bureau that publishes them."""
    from shuangsuiji.planning.quarters import quarter_view

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

    params = json.loads(draw.params)
    disclosure = {
        "draw": draw,
        "commitment": json.loads(draw.commitment),
        "params": params,
        "committed_at": dt.datetime.fromisoformat(params["committed_at"]),
        # Each value beside its Chinese name; the file's own key in <code>, to match commit.json.
        "commitment_rows": [
            (labels.commitment_name(key), key, value)
            for key, value in json.loads(draw.commitment).items()
        ],
        "files": public_bundle(draw),
        "sources": list(draw.sources.all()),
    }
    if draw.salt_public:
        # Once the salt is public the bundle changes no more (no substitution after reveal or
        # abort), so the server's check is computed once per state, not on every page view.
        # The salt (random per commit) keys the entry to this very draw, in any database.
        # A 回访 sample taken after reveal adds revisit.json: a new entry.
        salt = bytes(draw.salt).hex()
        key = f"draw-report:{draw.draw_id}:{draw.status}:{bool(draw.revisit)}:{salt}"
        disclosure["report"] = cache.get_or_set(key, lambda: engine.verify(disclosure["files"]))
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
        names = labels.class_names(draw)
        for stratum in result["strata"]:
            stratum["name"] = names.get(stratum["code"])
            for rank, selected in enumerate(stratum["selected"], start=1):
                selected["rank"] = rank
                selected["name"], selected["team"] = teams.get(selected["id"], ("", []))
        disclosure["result"] = result
        disclosure["substitutions"] = list(draw.substitutions.all())
        disclosure["manual"] = list(draw.manual_assignments.all())
    return disclosure
