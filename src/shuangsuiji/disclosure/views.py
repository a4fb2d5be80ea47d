"""The public portal: no login, no JavaScript needed, every read through ``selectors``."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET, require_http_methods

from shuangsuiji.bureau import plan_documents
from shuangsuiji.bureau.document_views import document_response
from shuangsuiji.bureau.organisation_settings import organisation_settings
from shuangsuiji.directory.models import Target
from shuangsuiji.disclosure import exports, selectors
from shuangsuiji.disclosure.caching import (
    ResultsInOrder,
    across,
    across_registers,
    of_enterprise,
    of_path,
    public_cached,
    public_count,
    public_kept,
)
from shuangsuiji.disclosure.filters import CREDIT_CODE, EnterpriseSearch, ResultFilter, TargetSearch
from shuangsuiji.inspections.models import ResultCategory
from shuangsuiji.params import YEARS, whole_number
from shuangsuiji.policy import Quarter

PAGE_SIZE = 50
CREDIT_CODE_LENGTH = Target._meta.get_field("credit_code").max_length


def _page(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    # The paginator's own count is a cached_property.
    paginator.count = public_count(request, queryset)
    return paginator.get_page(request.GET.get("page"))


@require_GET
@public_cached(across)
def index(request):
    return render(
        request,
        "disclosure/index.html",
        {"organisations": selectors.public_organisations().in_tree_order()},
    )


@require_GET
@public_cached(across_registers)
def search(request):
    found = EnterpriseSearch(request.GET, queryset=selectors.public_enterprises())
    query = found.query
    rows = selectors.enterprise_rows(found.qs, walk=found.walk) if query else []
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
    results = selectors.enterprise_result_values(credit_code.upper())
    if CREDIT_CODE.match(credit_code.upper()):
        registered = selectors.registered_enterprise(credit_code.upper())
    else:
        found = EnterpriseSearch(
            {"q": credit_code.upper()}, queryset=selectors.public_enterprises()
        )
        registered = selectors.enterprise_rows(found.qs, walk=found.walk)
    if not registered and not results:
        raise Http404("名录库中没有该统一社会信用代码，也没有它的公开抽查结果。")
    name = registered[0]["name"] if registered else results[0]["target_name"]
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
    org = selectors.public_organisation(code)
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
    org = selectors.public_organisation(code)
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
    document = plan_documents.public_plan_document(selectors.public_organisation(code), pk)
    if document is None:
        raise Http404("没有该实施方案文件，或该文件已撤回。")
    return document_response(document)


@require_GET
@public_cached(of_path)
def items(request, code: str):
    org = selectors.public_organisation(code)
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
    org = selectors.public_organisation(code)
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
    org = selectors.public_organisation(code)
    return render(
        request,
        "disclosure/inspectors.html",
        {"org": org, "page": _page(request, selectors.public_inspectors(org))},
    )


@require_GET
@public_cached(of_path)
def results(request, code: str):
    return _results_page(request, code)


def _results_page(request, code: str) -> HttpResponse:
    """The results page of ``code`` with the filters of the query string (400 naming a bad one)."""
    org = selectors.public_organisation(code)
    filterset = ResultFilter.named_in(request.GET)
    problems = filterset.problems if filterset is not None else []
    chosen = filterset.chosen if filterset is not None else dict.fromkeys(ResultFilter.base_filters)

    def chosen_rows():
        rows = selectors.public_results(org)
        if filterset is not None:
            rows = filterset.filter_queryset(rows)
        return rows.order_by(*selectors.RESULT_ORDER)

    if any(chosen.values()):
        page = _page(request, chosen_rows())
        results = selectors.public_result_values(page.object_list, parts=True)
    else:
        # The list as most read it, without a filter: kept in order, its pages read by id; its
        # queryset is built only for a list longer than is kept.
        ordered = ResultsInOrder(request, org.pk, SimpleLazyObject(chosen_rows), parts=True)
        page = Paginator(range(ordered.count()), PAGE_SIZE).get_page(request.GET.get("page"))
        results = ordered.window((page.number - 1) * PAGE_SIZE, PAGE_SIZE)
    monthly = organisation_settings(org).publish_monthly
    return render(
        request,
        "disclosure/results.html",
        {
            "org": org,
            "page": page,
            "results": results,
            "chosen": chosen,
            "chosen_query": _chosen_query(chosen),
            "problems": problems,
            "categories": ResultCategory.choices,
            # 保定's batches, the same on every page of the list: counted once per version.
            "batches": (
                public_kept(request, f"batches:{org.pk}", lambda: selectors.result_batches(org))
                if monthly
                else []
            ),
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


@require_http_methods(["GET", "POST"])
def results_xlsx(request, code: str):
    """The results the page lists, with its filters, as an Excel workbook: the same columns and
    rows as the open-data CSV (``/api/results?organisation=…&format=csv``).

    Up to SHUANGSUIJI_EXPORT_BACKGROUND_ROWS rows it is written within the request. A larger
    one is built once by the worker and shared (``results_files``, issue 21 §5): a GET offers
    to build it and writes nothing (a crawler following links queues no work); the visitor's
    POST queues it, and then the page says 正在生成 and refreshes itself (``wait=1``) until
    the file comes, the same for everyone asking the same thing until the results change."""
    from shuangsuiji.directory.tasks import task_run_now, worker_seen
    from shuangsuiji.disclosure import results_files

    org = selectors.public_organisation(code)
    filterset = ResultFilter(request.GET, queryset=selectors.public_results(org))
    if filterset.problems:
        return _results_page(request, code)  # the page, naming what is wrong (400)
    chosen = filterset.chosen
    filters = _chosen_query(chosen)
    title = _results_title(org, chosen)
    address = reverse("disclosure:results_xlsx", args=[org.code]) + (
        f"?{filters}" if filters else ""
    )
    progress = f"{address}{'&' if filters else '?'}wait=1"
    # The progress page asking again looks for the shared file first; a plain download counts
    # first, so a small one never touches the shared files.
    waiting = "wait" in request.GET or request.method == "POST"
    count = None if waiting else filterset.qs.count()
    if count is not None and count <= settings.SHUANGSUIJI_EXPORT_BACKGROUND_ROWS:
        rows = selectors.with_public_details(filterset.qs).order_by("-published_at", "-pk")
        return exports.results_xlsx_response(title, rows.iterator(chunk_size=2000))
    version = results_files.results_version(org)
    found = results_files.results_file_find(org, filters, version)
    if not results_files.results_file_usable(found):
        found = None
    if request.method == "POST":
        if found is None:
            found = results_files.results_file_request(
                organisation=org, filters=filters, version=version, title=title
            )
            if found is not None and not settings.SHUANGSUIJI_BACKGROUND_EXPORTS:
                task_run_now(found.task_id)  # no worker process: this request builds it
        if found is not None:
            return redirect(progress)
    elif found is None:
        # Nothing built or being built: offer to build it (a POST), and write nothing.
        count = filterset.qs.count() if count is None else count
        response = render(
            request,
            "disclosure/results_file.html",
            {"org": org, "title": title, "address": address, "offer": count},
        )
        response["Cache-Control"] = "no-store"
        return response
    if found is not None and found.has_file and not waiting:
        try:
            handle = found.file.open("rb")
        except OSError:
            raise Http404("下载文件刚被更新，请返回抽查结果页重新下载。") from None
        response = FileResponse(handle, content_type=exports.XLSX)
        response["Content-Disposition"] = content_disposition_header(
            True, exports.results_download_name(found.title)
        )
        return response
    unfinished = found is not None and found.status in found.UNFINISHED
    response = render(
        request,
        "disclosure/results_file.html",
        {
            "org": org,
            "found": found,
            "title": title,
            "filename": exports.results_download_name(title),
            "address": address,
            "worker": worker_seen() if unfinished else True,
            "keep_hours": settings.SHUANGSUIJI_EXPORT_KEEP_HOURS,
        },
        status=503 if found is None else 202 if unfinished else 200,
    )
    if found is None:
        response["Retry-After"] = "60"
    elif unfinished:
        # No script needed: every browser follows Refresh, as it would <meta http-equiv>.
        response["Refresh"] = f"2; url={progress}"
    elif found.has_file:
        response["Refresh"] = f"0; url={address}"  # built: the file comes, the page stays
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@public_cached(of_path)
def plan_revision(request, code: str, year: int, version: int):
    org = selectors.public_organisation(code)
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
