"""统计表, the rows behind each figure, the dashboard, and the documents as Excel and PDF.

A user reads their own organisation and every organisation below it (a 市局 its 分局); the
organisation is chosen with ``?org=<code>`` among those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe

from shuangsuiji import spreadsheets
from shuangsuiji.accounts.access import role_required
from shuangsuiji.accounts.models import Organisation, in_tree_order, tree_position
from shuangsuiji.bureau.calendar import calendar_warning
from shuangsuiji.directory.models import Target
from shuangsuiji.disclosure import versions
from shuangsuiji.disclosure.caching import TIMEOUT, release
from shuangsuiji.html import escape
from shuangsuiji.inspections import selectors
from shuangsuiji.inspections.filters import ArchiveChoice, ArchiveFilter
from shuangsuiji.inspections.models import Inspection, ResultCategory
from shuangsuiji.params import YEARS, whole_number
from shuangsuiji.planning.models import (
    DRAW_FILES_OF_INSPECTION,
    AnnualPlan,
    JointParticipation,
    SamplingTask,
)
from shuangsuiji.policy import Quarter
from shuangsuiji.prepared import PREFIX, Prepared
from shuangsuiji.reports import compliance, documents, evaluators, exports
from shuangsuiji.reports.models import UpwardDeadline, UpwardReview
from shuangsuiji.reports.statistics import NEAR, OrganisationStore, tree_numbers, tree_tables

READERS = ("manage_sampling", "read_org_data")
#: The archive is also the 监督员's and the 领导's: every one who reads the organisation's work.
ARCHIVE_READERS = ("manage_sampling", "read_org_data", "approve_plans", "view_audit")


#: The active bureaus of a reader's subtree, read by every report page (``Period``): compiled
#: and planned once (``shuangsuiji.prepared``).
_SUBTREE = Prepared(
    lambda path: (
        Organisation.objects.filter(path__startswith=path).bureaus().filter(is_active=True)
    ),
    path=PREFIX,
    planned_once=True,
)


class Period:
    """The organisation and period a report page is about, read from the query string."""

    def __init__(self, request):
        today = timezone.localdate()
        #: Those the user may choose, read once: the page's choice of organisation lists them,
        #: and the dashboard finds the organisation's 分局 among them.
        self.organisations = in_tree_order(_SUBTREE(path=request.user.organisation.path))
        code = request.GET.get("org", "")
        self.organisation = request.user.organisation
        if code:
            self.organisation = next((o for o in self.organisations if o.code == code), None)
            if self.organisation is None:
                raise Http404("没有这个单位，或无权查看。")
        year = request.GET.get("year", "")
        self.year = whole_number(year, *YEARS) or today.year
        quarter = request.GET.get("quarter", None)
        if quarter is None:
            self.quarter = Quarter.of(today).number if self.year == today.year else None
        else:
            self.quarter = int(quarter) if quarter in ("1", "2", "3", "4") else None

    def query(self, **extra) -> str:
        if not extra:
            return self._query  # a board's every check links its rows with it
        return urlencode({**self._params, **extra})

    @cached_property
    def _params(self) -> dict[str, object]:
        return {"org": self.organisation.code, "year": self.year, "quarter": self.quarter or ""}

    @cached_property
    def _query(self) -> str:
        return urlencode(self._params)

    def queries(self, codes: list[str]) -> list[str]:
        """``query(org=code)`` for each of ``codes``, the period's part encoded once: a
        province's 统计表 links some two hundred organisations' columns."""
        period = urlencode({k: v for k, v in self._params.items() if k != "org"})
        return [f"{urlencode({'org': code})}&{period}" for code in codes]

    @property
    def label(self) -> str:
        return f"{self.year} 年第 {self.quarter} 季度" if self.quarter else f"{self.year} 年全年"

    def below(self) -> list[Organisation]:
        """The active bureaus directly below the organisation, by code."""
        found = [o for o in self.organisations if o.parent_id == self.organisation.pk]
        return sorted(found, key=lambda o: o.code)


def _version_rows(organisations: list[int]) -> QuerySet:
    newest_review = UpwardReview.objects.order_by("-pk").values("pk")[:1]
    newest_deadline = UpwardDeadline.objects.order_by("-updated_at").values("updated_at")[:1]
    return (
        versions.organisations_rows(organisations)
        .order_by()
        .values_list("counter", Subquery(newest_review), Subquery(newest_deadline))
    )


#: ``data_version``'s query, compiled and planned once: it runs for every request of the
#: dashboard, kept or not (``shuangsuiji.prepared``).
_VERSION_ROWS = Prepared(_version_rows, organisations=list, planned_once=True)


def data_version(organisations: list[int]) -> str:
    """A key that changes whenever any row of ``organisations`` (ids) changes, or a row of no
    one organisation (the list of organisations, a province-wide calendar day), or a 统计报送
    act.

    The first is the sum of their public version counters (disclosure/versions.py), which the
    database's triggers raise on every write of every table but the staff's own (accounts,
    audit, reports), whoever writes; counters only ever rise, so two different states never
    share a sum. The dashboard also reads 统计报送 (reports' own tables, not versioned): every
    act on a report adds a review, and a deadline keeps its time of change, so the newest of
    each stands for them, read with each counter row. One query."""
    rows = _VERSION_ROWS(organisations=sorted(organisations))
    # Row 0 exists once any organisation does, so there is always a row to carry the newest
    # review and deadline.
    total = sum(counter for counter, _, _ in rows)
    review = rows[0][1] if rows else None
    deadline = rows[0][2] if rows else None
    stamp = deadline.timestamp() if deadline else 0
    return f"{total}.{review or 0}.{stamp}"


def organisation_counters(organisations: QuerySet[Organisation] | list[int]) -> dict[int, int]:
    """The public version counter (disclosure/versions.py) of each of ``organisations`` (a
    query, or ids) that has one, and of the rows of no one organisation (key 0): one query."""
    ids = organisations.values("pk") if isinstance(organisations, QuerySet) else organisations
    rows = versions.organisations_rows(ids)
    return dict(rows.values_list("organisation_id", "counter"))


def cached_content(
    page: str, period: Period, version: str, render: Callable[[], str]
) -> SafeString:
    """The part of a report page computed from the organisations' rows (issue 21 §3): rendered
    once per ``version`` of those rows (``data_version``) and per day (the states depend on the
    date), then read from the cache. The part is the same for every reader of the organisation:
    who may open the page is checked before (``Period``), and what depends on the reader stays
    outside it."""
    key = ":".join(
        str(part)
        for part in (
            "reports", page, release(), period.organisation.code, period.year,
            period.quarter or 0, timezone.localdate().isoformat(), version,
        )
    )  # fmt: skip
    content = cache.get(key)
    if content is None:
        content = render()
        cache.set(key, content, TIMEOUT)
    # Our own template's output, escaped as it was rendered.
    return mark_safe(content)


def _names(period: Period, below: list[Organisation]) -> list[str]:
    if below:
        # The total, the organisation's own work (a 市局 also inspects), then each below it.
        return ["合计", f"{period.organisation.name}（本级）", *(o.name for o in below)]
    return [period.organisation.name]


def _tables(period: Period):
    tables = tree_tables(
        period.organisation, period.year, period.quarter, subtree=period.organisations
    )
    names = _names(period, [t.organisation for t in tables.below])
    if tables.below:
        return [tables.total, tables.own, *tables.below], names
    return [tables.total], names


def _statistics_content(period: Period, store: OrganisationStore) -> str:
    total, own, below = tree_numbers(
        period.organisation, period.year, period.quarter, store, subtree=period.organisations
    )
    code = period.organisation.code
    # The total and the own column (as ``_tables``) both link to the organisation's rows.
    columns, codes = [total], [code]
    if below:
        columns += [own, *(numbers for _, numbers in below)]
        codes += [code, *(o.code for o, _ in below)]
    names = _names(period, [o for o, _ in below])
    rows = documents.statistics_rows(columns)
    # A province's table is some five thousand cells, most of them links to the inspections
    # behind the figure: each link's query (``Period.query(figure=…, org=…)``, the same
    # string) is joined from its organisation's part and its figure's, each encoded and
    # escaped for HTML once (escaping is per character, so the parts escaped give the whole
    # escaped; ``statistics_body``), and the path is reversed once, not per cell (issue 21 §3:
    # 0.2 s a page after a change).
    org_parts = [escape(query) for query in period.queries(codes)]
    return render_to_string(
        "reports/_statistics_content.html",
        {
            "period": period,
            "names": names,
            "rows": rows,
            "rows_url": reverse("reports:rows"),
            "org_parts": org_parts,
        },
    )


@role_required(*READERS)
def statistics_page(request):
    """The table counts every row of the organisation and of all below it for the year: a
    province's is half a million inspections. The page is rendered once per change of any of
    them (``cached_content``), and then only the tables of the organisations whose rows changed
    are counted again (``statistics.OrganisationStore``)."""
    period = Period(request)
    counters = organisation_counters(Organisation.objects.subtree_of(period.organisation))
    # Counters only rise: their sum changes with any row of the tree.
    version = str(sum(counters.values()))
    store = OrganisationStore(cache, f"reports:table:{release()}", counters, TIMEOUT, NEAR)
    content = cached_content(
        "statistics", period, version, lambda: _statistics_content(period, store)
    )
    return render(
        request,
        "reports/statistics.html",
        {"period": period, "content": content, "quarters": (1, 2, 3, 4)},
    )


@role_required(*READERS)
def statistics_file(request, fmt: str):
    period = Period(request)
    tables, names = _tables(period)
    return _file(documents.statistics_sheet(tables, names), fmt)


def _file(sheet: documents.Sheet, fmt: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(exports.to_xlsx(sheet), content_type=exports.XLSX)
    elif fmt == "pdf":
        try:
            response = HttpResponse(exports.to_pdf(sheet), content_type="application/pdf")
        except exports.PdfUnavailable as error:
            return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    else:
        raise Http404("只提供 xlsx 和 pdf 两种格式。")
    response["Content-Disposition"] = content_disposition_header(
        True, spreadsheets.file_name(sheet.filename, fmt)
    )
    return response


@role_required(*READERS)
def figure_rows(request):
    """The inspections behind one figure of the 统计表 or the dashboard."""
    period = Period(request)
    key = request.GET.get("figure", "")
    tables, _ = _tables(period)
    own = next((t for t in tables if t.organisation == period.organisation), tables[0])
    try:
        figure = own.figure(key)
    except KeyError as error:
        raise Http404("没有这个统计项。") from error
    inspections = (
        Inspection.objects.readable_by(request.user)
        .filter(pk__in=figure.ids)
        .select_related("target", "task", "draw", "organisation")
        .defer(*DRAW_FILES_OF_INSPECTION)
        .order_by(
            tree_position(period.organisations, "organisation"), "task__sequence", "target__name"
        )
    )
    inspections = list(inspections)
    return render(
        request,
        "reports/rows.html",
        {
            "period": period,
            "figure": figure,
            "inspections": inspections,
            # A subordinate bureau's unrevealed list is counted, never shown (docs/security.md).
            "withheld": len(figure.ids) - len(inspections) if figure.count is None else 0,
            "joint": own.figures["internal_joint"].ids,
        },
    )


def _boards(
    period: Period, registers: OrganisationStore | None = None
) -> tuple[compliance.Dashboard, list[compliance.Dashboard]]:
    """The organisation's board and one per active organisation directly below it, read in one
    set of queries however many there are."""
    board, *side = compliance.dashboards(
        [period.organisation, *period.below()], period.year, period.quarter, registers=registers
    )
    return board, side


def _kept_boards(
    period: Period, registers: OrganisationStore
) -> tuple[compliance.Dashboard, list[compliance.SideBoard]]:
    """The organisation's board, and the side-by-side view of each one directly below it.

    A board is computed from its own organisation's rows and row 0's alone, as its 统计表 is
    (``tree_tables``), so each board below is kept under those two counters and the day
    (``OrganisationStore``): a result recorded in one 分局 recomputes the 市局's page with that
    分局's board and the 市局's own, not the other boards of its twenty (issue 21 §3). The
    organisation's own board is computed on every change: the page shows its rows and charts."""
    below = period.below()
    computed: list[compliance.Dashboard] = []

    def compute(stale: list[Organisation]) -> dict[int, compliance.SideBoard]:
        # One set of queries for the organisation's own board and the stale ones below.
        own, *fresh = compliance.dashboards(
            [period.organisation, *stale], period.year, period.quarter, registers=registers
        )
        computed.append(own)
        return {b.organisation.pk: compliance.SideBoard.of(b) for b in fresh}

    kept = {}
    if below:  # a 分局's page has no side-by-side view: nothing to read
        store = OrganisationStore(
            cache,
            f"reports:side:{release()}:{timezone.localdate().isoformat()}",
            organisation_counters([o.pk for o in below]),
            TIMEOUT,
            NEAR,
        )
        kept = store.kept(below, period.year, period.quarter, compute)
    if not computed:  # every board below was kept
        compute([])
    side = [dataclasses.replace(kept[o.pk], organisation=o) for o in below]
    return computed[0], side


def _dashboard_content(period: Period, shown: list[int]) -> str:
    # Each board's classified register is kept under its register version: a result recorded
    # changes the page's version but not the registers (disclosure.versions.REGISTER_TABLES).
    registers = OrganisationStore(
        cache, f"reports:classified:{release()}", versions.register_versions(shown), TIMEOUT
    )
    board, side = _kept_boards(period, registers)
    trend = [board.quarter_table(q) for q in (1, 2, 3, 4)]

    def planned(t):  # drawn or 全覆盖: the checks the plan itself calls for
        return t.figures["random"].ids | t.figures["coverage"].ids

    charts = {
        "trend": {
            "quarters": ["一季度", "二季度", "三季度", "四季度"],
            "inspections": [len(planned(t)) for t in trend],
            "checked": [len(t.figures["checked"].ids & planned(t)) for t in trend],
            "problems": [len(t.figures["problems"].ids & planned(t)) for t in trend],
        },
        "workload": {
            "names": [name for name, _ in board.workload.per_inspector],
            "counts": board.workload.counts,
            "cap": board.workload.cap,
        },
        "classes": {
            "names": [row.name for row in board.table.classes],
            "required": [row.required for row in board.table.classes],
            "drawn": [row.drawn.value for row in board.table.classes],
            "inspected": [row.inspected.value for row in board.table.classes],
        },
    }
    return render_to_string(
        "reports/_dashboard_content.html",
        {
            "period": period,
            "board": board,
            "counts": board.counts,
            "side": side,
            "matrix": documents.dashboard_matrix(side),
            "charts": charts,
            # Reversed once: a 市局's matrix links each of its 分局's checks (issue 21 §3).
            "check_rows_url": reverse("reports:check_rows"),
        },
    )


@role_required(*READERS)
def dashboard_page(request):
    """The boards of the organisation and of each one directly below it: their registers
    classified, their year's inspections counted; computed once per change of their rows
    (``cached_content``)."""
    period = Period(request)
    shown = [period.organisation.pk, *(o.pk for o in period.below())]
    version = data_version(shown)
    content = cached_content(
        "dashboard", period, version, lambda: _dashboard_content(period, shown)
    )
    return render(
        request,
        "reports/dashboard.html",
        {
            "period": period,
            "content": content,
            "calendar_warning": calendar_warning(timezone.localdate()),
            "quarters": (1, 2, 3, 4),
        },
    )


@role_required(*READERS)
def dashboard_file(request, fmt: str):
    """The dashboard as the 市局 files it: every check of the organisation and of each one below."""
    period = Period(request)
    board, side = _boards(period)
    return _file(documents.dashboard_sheet([board, *side]), fmt)


@role_required(*READERS)
def check_rows(request):
    """The rows behind one check of the dashboard: inspections, register units or months."""
    period = Period(request)
    board = compliance.dashboard(period.organisation, period.year, period.quarter)
    check = board.check(request.GET.get("check", ""))
    if check is None or check.rows is None:
        raise Http404("没有这个指标的明细。")
    rows = check.rows
    context = {"period": period, "check": check, "rows": rows, "withheld": 0}
    if rows.kind == evaluators.INSPECTIONS:
        readable = (
            Inspection.objects.readable_by(request.user)
            .filter(pk__in=rows.ids)
            .select_related("target", "task", "organisation")
            .order_by("task__sequence", "target__name")
        )
        context["inspections"] = [(i, rows.notes.get(i.pk, "")) for i in readable]
        # A subordinate bureau's unrevealed list is counted, never shown (docs/security.md).
        context["withheld"] = len(rows.ids) - len(context["inspections"])
    elif rows.kind == evaluators.TARGETS:
        if selectors.secret_lists_hidden_from(request.user, period.organisation, period.year):
            # Which units are still to be drawn tells who was drawn: not before reveal.
            context["withheld"] = len(rows.ids)
            context["targets"] = []
        else:
            targets = Target.objects.filter(
                organisation=period.organisation, pk__in=rows.ids
            ).order_by("name")
            context["targets"] = [(t, rows.notes.get(t.pk, "")) for t in targets]
    elif rows.kind == evaluators.TASKS:
        tasks = SamplingTask.objects.filter(
            organisation=period.organisation, pk__in=rows.ids
        ).order_by("sequence")
        context["tasks"] = [(t, rows.notes.get(t.pk, "")) for t in tasks]
        context["participations"] = JointParticipation.objects.filter(
            organisation=period.organisation, pk__in=rows.participations
        ).order_by("checked_on", "pk")
    return render(request, "reports/check_rows.html", context)


@role_required(*READERS)
def plan_file(request, pk: int, fmt: str):
    plan = get_object_or_404(AnnualPlan.objects.readable_by(request.user), pk=pk)
    return _file(documents.plan_sheet(plan), fmt)


@role_required(*READERS)
def items_file(request, fmt: str):
    period = Period(request)
    return _file(documents.items_sheet(period.organisation), fmt)


#: A workbook of more rows than this is refused: the page asks for a narrower filter.
ARCHIVE_EXPORT_LIMIT = 50_000
ARCHIVE_PAGE_SIZE = 50


def _archive_filter(request) -> tuple[ArchiveFilter, dict]:
    """The inspections the user may read narrowed by the query string (what it could not read
    is left out), and the choices of the page's form."""
    archive = ArchiveFilter(request.GET, queryset=selectors.archive(request.user), request=request)
    organisations = Organisation.objects.subtree_of(request.user.organisation).bureaus()
    choices = {
        "organisations": organisations.filter(is_active=True).in_tree_order(),
        "kinds": Inspection.Kind.choices,
        "statuses": Inspection.Status.choices,
        "results": ResultCategory.choices,
    }
    return archive, choices


def _archive_description(chosen: ArchiveChoice, user) -> str:
    parts = [chosen.organisation.name if chosen.organisation else f"{user.organisation.name}及下级"]
    parts.append(f"{chosen.year} 年" if chosen.year else "全部年度")
    labels = (
        (chosen.kind, Inspection.Kind),
        (chosen.status, Inspection.Status),
        (chosen.result, ResultCategory),
    )
    parts += [choices(value).label for value, choices in labels if value]
    if chosen.text:
        parts.append(f"检查对象含“{chosen.text}”")
    return "，".join(parts)


@role_required(*ARCHIVE_READERS)
def archive_page(request):
    """检查档案: every inspection of every year the user may read, filtered, paged."""
    archive, choices = _archive_filter(request)
    chosen = archive.chosen
    page = Paginator(archive.qs, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/archive.html",
        {
            "chosen": chosen,
            "description": _archive_description(chosen, request.user),
            "page": page,
            "years": selectors.archive_years(request.user),
            "query": request.GET.urlencode(),
            **choices,
        },
    )


@role_required(*ARCHIVE_READERS)
def archive_file(request):
    archive, _ = _archive_filter(request)
    chosen, rows = archive.chosen, archive.qs
    count = rows.count()
    if count > ARCHIVE_EXPORT_LIMIT:
        messages.error(
            request,
            f"符合条件的检查有 {count} 条，超过一次导出的上限 {ARCHIVE_EXPORT_LIMIT} 条："
            "请按年度或单位缩小范围后再导出。",
        )
        return redirect(f"{reverse('reports:archive')}?{request.GET.urlencode()}")
    year = chosen.year or "全部年度"
    code = chosen.organisation.code if chosen.organisation else request.user.organisation.code
    sheet = documents.archive_sheet(
        rows, _archive_description(chosen, request.user), filename=f"{code}-{year}-检查档案"
    )
    return _file(sheet, "xlsx")
