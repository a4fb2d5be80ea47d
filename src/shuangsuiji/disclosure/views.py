"""The public portal: no login, no JavaScript needed, every read through ``selectors``."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from shuangsuiji.bureau import plan_documents
from shuangsuiji.bureau.document_views import document_response
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.directory.models import Target
from shuangsuiji.disclosure import exports, selectors
from shuangsuiji.disclosure.caching import across, of_enterprise, of_path, public_cached
from shuangsuiji.disclosure.filters import EnterpriseSearch, ResultFilter, TargetSearch
from shuangsuiji.inspections.models import ResultCategory
from shuangsuiji.params import YEARS, whole_number
from shuangsuiji.policy import Quarter

PAGE_SIZE = 50
CREDIT_CODE_LENGTH = Target._meta.get_field("credit_code").max_length


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _organisation(code: str):
    return get_object_or_404(selectors.public_organisations(), code=code)


@require_GET
@public_cached(across)
def index(request):
    return render(
        request, "disclosure/index.html", {"organisations": selectors.public_organisations()}
    )


@require_GET
@public_cached(across)
def search(request):
    found = EnterpriseSearch(request.GET, queryset=selectors.public_enterprises())
    query = found.query
    rows = selectors.enterprise_rows(found.qs) if query else []
    return render(
        request,
        "disclosure/search.html",
        {"query": query, "rows": rows, "limit": 50},
    )


@require_GET
@public_cached(of_enterprise)
def enterprise(request, credit_code: str):
    if len(credit_code) > CREDIT_CODE_LENGTH:
        raise Http404(f"统一社会信用代码为 {CREDIT_CODE_LENGTH} 位，名录库中没有该代码。")
    results = list(selectors.enterprise_results(credit_code.upper()))
    found = EnterpriseSearch({"q": credit_code.upper()}, queryset=selectors.public_enterprises())
    registered = selectors.enterprise_rows(found.qs)
    if not registered and not results:
        raise Http404("名录库中没有该统一社会信用代码，也没有它的公开抽查结果。")
    name = registered[0]["name"] if registered else results[0].target.name
    return render(
        request,
        "disclosure/enterprise.html",
        {
            "credit_code": credit_code.upper(),
            "name": name,
            "registered": registered,
            "results": results,
        },
    )


@require_GET
@public_cached(of_path)
def organisation(request, code: str):
    org = _organisation(code)
    return render(
        request,
        "disclosure/organisation.html",
        {
            "org": org,
            "revisions": selectors.public_plan_revisions(org).order_by("-plan__year", "-version"),
            "draws": _page(request, selectors.public_draws(org).order_by("-committed_at")),
            "children": org.children.bureaus().filter(is_active=True),
            "results": selectors.public_results(org).count(),
        },
    )


@require_GET
@public_cached(of_path)
def policy(request, code: str):
    """实施方案: the parameters the draws follow and, beside them, the document as issued with
    its 文号 (保定 三、（五）, 藁城 二、（八）); ``?year=`` shows another year's documents."""
    org = _organisation(code)
    year = whole_number(request.GET.get("year"), *YEARS)
    return render(
        request,
        "disclosure/policy.html",
        {
            "org": org,
            "policy": selectors.public_policy(org),
            "documents": plan_documents.public_year_documents(org, year),
        },
    )


@require_GET
def plan_document_file(request, code: str, pk: int):
    """A 实施方案 file the portal lists (current or replaced); a withdrawn one is gone."""
    document = plan_documents.public_plan_document(_organisation(code), pk)
    if document is None:
        raise Http404("没有该实施方案文件，或该文件已撤回。")
    return document_response(document)


@require_GET
@public_cached(of_path)
def items(request, code: str):
    org = _organisation(code)
    return render(
        request,
        "disclosure/items.html",
        {
            "org": org,
            "items": selectors.public_items(org),
            "removed": selectors.removed_items(org),
        },
    )


@require_GET
@public_cached(of_path)
def targets(request, code: str):
    org = _organisation(code)
    search = TargetSearch(request.GET, queryset=selectors.public_targets(org))
    query = search.query
    page = _page(request, search.qs)
    classes = {}
    if organisation_settings(org).publish_target_class:
        classes = selectors.target_classes(org, Quarter.of(timezone.localdate()))
        for target in page:
            target.public_class = classes.get(target.draw_id, "")
    return render(
        request,
        "disclosure/targets.html",
        {"org": org, "page": page, "query": query, "show_class": bool(classes)},
    )


@require_GET
@public_cached(of_path)
def inspectors(request, code: str):
    org = _organisation(code)
    return render(
        request,
        "disclosure/inspectors.html",
        {"org": org, "page": _page(request, selectors.public_inspectors(org))},
    )


@require_GET
@public_cached(of_path)
def results(request, code: str):
    org = _organisation(code)
    filterset = ResultFilter(request.GET, queryset=selectors.public_results(org))
    problems = filterset.problems
    rows = selectors.with_public_details(filterset.qs).order_by("-published_at", "-pk")
    page = _page(request, rows)
    monthly = organisation_settings(org).publish_monthly
    return render(
        request,
        "disclosure/results.html",
        {
            "org": org,
            "page": page,
            "chosen": filterset.chosen,
            "chosen_query": _chosen_query(filterset.chosen),
            "problems": problems,
            "categories": ResultCategory.choices,
            "batches": selectors.result_batches(org) if monthly else [],
            "monthly": monthly,
        },
        status=400 if problems else 200,
    )


QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def _chosen_query(chosen: dict) -> str:
    """The filters applied, as the query string of the page's downloads."""
    values = {name: value for name, value in chosen.items() if value}
    if "month" in values:
        values["month"] = values["month"].strftime("%Y-%m")
    return urlencode(values)


def _results_title(org, chosen: dict) -> str:
    """The download's name in words, e.g. “…遵化市分局-2026年第二季度-抽查结果”."""
    parts = [org.name]
    if chosen["year"]:
        parts.append(f"{chosen['year']}年{QUARTER_NAMES.get(chosen['quarter'], '')}")
    if chosen["month"]:
        parts.append(f"{chosen['month'].year}年{chosen['month'].month}月公示")
    if chosen["category"]:
        parts.append(ResultCategory(chosen["category"]).label)
    return "-".join([*parts, "抽查结果"])


@require_GET
def results_xlsx(request, code: str):
    """The results the page lists, with its filters, as an Excel workbook: the same columns and
    rows as the open-data CSV (``/api/results?organisation=…&format=csv``)."""
    org = _organisation(code)
    filterset = ResultFilter(request.GET, queryset=selectors.public_results(org))
    if filterset.problems:
        return results(request, code=code)  # the page, naming what is wrong (400)
    rows = selectors.with_public_details(filterset.qs).order_by("-published_at", "-pk")
    return exports.results_xlsx_response(
        _results_title(org, filterset.chosen), rows.iterator(chunk_size=2000)
    )


@require_GET
@public_cached(of_path)
def plan_revision(request, code: str, year: int, version: int):
    org = get_object_or_404(selectors.public_organisations(), code=code)
    revision = get_object_or_404(
        selectors.public_plan_revisions(org), plan__year=year, version=version
    )
    return render(
        request,
        "disclosure/plan.html",
        {
            "org": org,
            "revision": revision,
            "history": selectors.public_plan_revisions(org)
            .filter(plan__year=year)
            .order_by("version"),
        },
    )


def _draw(draw_id: str):
    return get_object_or_404(selectors.public_draws(), draw_id=draw_id)


@require_GET
@public_cached(across)
def draw(request, draw_id: str):
    return render(request, "disclosure/draw.html", selectors.draw_disclosure(_draw(draw_id)))


@require_GET
def draw_file(request, draw_id: str, name: str):
    files = selectors.public_bundle(_draw(draw_id))
    if name not in files:
        raise Http404("该文件尚未公开。")
    content_type = "application/json" if name.endswith(".json") else "text/plain"
    return HttpResponse(files[name], content_type=f"{content_type}; charset=utf-8")


@require_GET
def draw_bundle(request, draw_id: str):
    return exports.bundle_zip(_draw(draw_id))
