"""Open data (一公开): the portal's public content as JSON and CSV under ``/api/``.

Every endpoint reads through ``disclosure.selectors``, the same functions the portal pages use,
so the API can never show more than the pages. Each answer carries an ETag and, where the data
has a change time, Last-Modified: a mirror polling with If-None-Match / If-Modified-Since gets
304 after one aggregate query, without the list being built.

The OpenAPI schema documents every answer an operation can give (200 with its media types, 304,
400, 404, 422) and the range of every parameter. The rules are enforced by the code that reads
the parameters (``_check_page``, ``filters.ResultFilter``, the site's NUL guard in
config/middleware.py); the schema states them from the same constants, and
tests/fuzz/test_api_schemathesis.py holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.functional import SimpleLazyObject
from django.utils.http import http_date
from ninja import Field, NinjaAPI, Query, Schema
from ninja.decorators import decorate_view
from ninja.errors import ValidationError as NinjaValidationError

from shuangsuiji.disclosure import exports, filters, selectors
from shuangsuiji.disclosure.caching import ResultsInOrder, of_query, public_cached, public_count
from shuangsuiji.inspections.models import Inspection, ResultCategory
from shuangsuiji.params import YEARS
from shuangsuiji.planning.models import Draw

#: Part of every ETag: a release that changes the output shape invalidates mirrors' copies.
SCHEMA_VERSION = "1"
MAX_PAGE_SIZE = 500
#: Far beyond any list (a million pages of 500); keeps the offset well inside the databases'
#: 64-bit LIMIT/OFFSET, which a larger page number overflowed into a 500.
MAX_PAGE = 1_000_000
#: No text parameter may contain NUL: the whole site refuses it with 400 before any view runs
#: (config/middleware.py), as PostgreSQL can neither store nor compare it.
NO_NUL = r"^[^\x00]*$"

api = NinjaAPI(
    title="生态环境“双随机、一公开”开放数据接口",
    version="1.0",
    description=(
        "年度抽查计划、随机抽查事项清单、检查对象与执法检查人员名录、随机抽取（承诺与公开材料）、"
        "抽查结果。列表分页（page、page_size），加 format=csv 下载全部匹配行（UTF-8 带 BOM，"
        "可直接用 Excel 打开）。每个响应带 ETag 和 Last-Modified，可用 If-None-Match / "
        "If-Modified-Since 轮询，未变化时返回 304。参数无效返回 422，路径或参数中含有空字符"
        "（NUL）返回 400，两者的 detail 都是逐项的列表，每项写明参数名（field）和中文原因"
        "（message）；单位或抽取不存在返回 404，detail 是一句中文说明。"
    ),
    urls_namespace="api",
)


#: pydantic's error types, said in Chinese; any other is “取值不符合要求”.
ERROR_WORDS = {
    "int_parsing": "应为整数",
    "int_parsing_size": "应为整数，且不能这么大",
    "int_from_float": "应为整数",
    "int_type": "应为整数",
    "literal_error": "应为以下之一：{expected}",
    "missing": "必须填写",
    "string_too_long": "过长",
}


class ParameterError(Exception):
    """A query parameter the API refuses, with its name and the reason in Chinese."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


@api.exception_handler(ParameterError)
def _refused(request, exc: ParameterError):
    detail = [{"field": name, "message": message} for name, message in exc.problems]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    """Name the parameter, its value and the problem in Chinese rather than pydantic's English."""
    problems = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        name = location[-1] if location else "参数"
        value = request.GET.get(name, "")
        words = ERROR_WORDS.get(error.get("type", ""), "取值不符合要求")
        expected = str((error.get("ctx") or {}).get("expected", ""))
        expected = expected.replace("'", "").replace(" or ", "、").replace(", ", "、")
        words = words.format(expected=expected)
        problems.append({"field": name, "message": f"参数 {name}=“{value}”无效：{words}。"})
    return api.create_response(request, {"detail": problems}, status=422)


# -- schemas -------------------------------------------------------------------------------


class OrganisationOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    portal_url: str


class PlanRevisionOut(Schema):
    organisation: str
    year: int
    version: int
    published_at: dt.datetime
    reason: str
    issued_on: str | None
    tasks: list[dict]


class ItemOut(Schema):
    sequence: int | None
    category: str
    name: str
    target_scope: str
    item_class: str
    methods: str
    subject: str
    basis: str


class TargetOut(Schema):
    name: str
    credit_code: str
    address: str


class InspectorOut(Schema):
    name: str
    certificate_no: str
    department: str


class DrawOut(Schema):
    draw_id: str
    organisation: str
    task: str
    status: str
    status_label: str
    committed_at: dt.datetime
    revealed_at: dt.datetime | None
    aborted_at: dt.datetime | None
    portal_url: str


class SourceOut(Schema):
    label: str
    type: str
    value: str | None


class SelectedOut(Schema):
    stratum: str
    rank: int
    id: str
    name: str
    team: list[str]


class SubstitutionOut(Schema):
    stratum: str
    replaced: str
    substitute: str
    reason: str
    evidence: str


class ManualAssignmentOut(Schema):
    unit: str
    team: list[str]
    reason: str


class DrawDetailOut(DrawOut):
    aborted_reason: str
    commitment: dict
    params: dict
    sources: list[SourceOut]
    files: dict[str, str]
    bundle_url: str
    salt: str | None
    verified: bool | None
    verification: list[str]
    verify_command: str
    selected: list[SelectedOut]
    substitutions: list[SubstitutionOut]
    manual_assignments: list[ManualAssignmentOut]


class FollowUpOut(Schema):
    kind: str
    opened_on: dt.date
    closed_on: dt.date | None


class ResultOut(Schema):
    organisation: str
    organisation_name: str
    target_name: str
    credit_code: str
    task: str
    draw_id: str | None
    items: list[str]
    method: str
    category: str
    category_label: str
    summary: str
    determined_on: dt.date | None
    published_at: dt.datetime
    follow_ups: list[FollowUpOut]


class Page(Schema):
    count: int
    page: int
    page_size: int


class OrganisationPage(Page):
    results: list[OrganisationOut]


class PlanPage(Page):
    results: list[PlanRevisionOut]


class ItemPage(Page):
    results: list[ItemOut]


class TargetPage(Page):
    results: list[TargetOut]


class InspectorPage(Page):
    results: list[InspectorOut]


class DrawPage(Page):
    results: list[DrawOut]


class ResultPage(Page):
    results: list[ResultOut]


class Problem(Schema):
    field: str = Field(description="参数名（路径中的无法对应到参数时为 path）")
    message: str = Field(description="中文原因")


class Refusal(Schema):
    """400 and 422: one entry for each refused parameter."""

    detail: list[Problem]


class NotFound(Schema):
    detail: str = Field(description="中文说明")


# -- parameters ----------------------------------------------------------------------------
#
# The ranges below are documented in the schema only (``json_schema_extra``); the checks with
# their Chinese messages are ``_check_page`` and ``filters.ResultFilter``, from the same
# constants. pydantic checks the types.


def _documented(description: str, **rules) -> Callable[[dict], None]:
    """The schema of one parameter: its description and rules. An optional one (``X | None``)
    is documented as X, left out when not wanted: a query string has no null."""

    def amend(schema: dict) -> None:
        for branch in schema.pop("anyOf", []):
            if branch.get("type") != "null":
                schema.update(branch)
        if "default" in schema and schema["default"] is None:
            del schema["default"]
        schema.update(description=description, **rules)

    return amend


def _text(description: str) -> Any:
    return Field("", json_schema_extra=_documented(description, pattern=NO_NUL))


def _path_parameter(description: str) -> Any:
    """A path parameter: no NUL, at least one character. (ninja gives a path parameter a
    ``json_schema_extra`` dict of its own, which a callable cannot join: this is a dict.)"""
    rules = {"description": description, "pattern": NO_NUL, "minLength": 1}
    return Annotated[str, Field(json_schema_extra=rules)]


Code = _path_parameter("单位代码")
DrawId = _path_parameter("抽取编号")


class ListQuery(Schema):
    page: int = Field(
        1, json_schema_extra=_documented(f"页码，1–{MAX_PAGE}", minimum=1, maximum=MAX_PAGE)
    )
    page_size: int = Field(
        100,
        json_schema_extra=_documented(
            f"每页条数，1–{MAX_PAGE_SIZE}", minimum=1, maximum=MAX_PAGE_SIZE
        ),
    )
    format: Literal["json", "csv"] = Field(
        "json",
        json_schema_extra=_documented("csv：下载全部匹配行（不分页，UTF-8 带 BOM）"),
    )


class TargetQuery(ListQuery):
    q: str = _text("名称片段或完整的统一社会信用代码（最多取前 100 个字）")


class DrawQuery(ListQuery):
    organisation: str = _text("单位代码，只列该单位的抽取")
    status: Literal["", "committed", "drawing", "drawn", "revealed", "aborted"] = Field(
        "", json_schema_extra=_documented("抽取状态")
    )


class ResultQuery(ListQuery):
    organisation: str = _text("单位代码，只列该单位的结果")
    year: int | None = Field(
        None,
        json_schema_extra=_documented("结果认定日期的年度", minimum=YEARS[0], maximum=YEARS[1]),
    )
    quarter: int | None = Field(
        None,
        json_schema_extra=_documented(
            "结果认定日期的季度，须同时给 year",
            minimum=filters.QUARTERS[0],
            maximum=filters.QUARTERS[1],
        ),
    )
    category: Literal[tuple(ResultCategory.values)] | None = Field(  # type: ignore[valid-type]
        None, json_schema_extra=_documented("检查结果（五种表述之一）")
    )
    month: str = Field(
        "",
        json_schema_extra=_documented(
            "结果发布的月份，YYYY-MM（{}-01 至 {}-12），空为不限".format(*YEARS),
            pattern=filters.MONTH_PATTERN,
        ),
    )
    credit_code: str = _text("统一社会信用代码")


def _answers(
    ok: type[Schema] | None,
    *,
    missing: str = "",
    csv: bool = False,
    zip_file: bool = False,
    has_query: bool = True,
) -> dict:
    """``response`` and ``openapi_extra`` of an operation: every status it can answer with.
    ``missing`` says when it is 404; ``has_query``: it has query parameters, hence a 422."""
    said = {
        200: "公开材料 zip" if zip_file else "成功",
        304: "数据未变化（请求带 If-None-Match 或 If-Modified-Since 时），没有正文",
        400: "路径或参数中含有空字符（NUL）：全站在到达接口之前即拒绝，detail 逐项写明参数名和原因",
    }
    response: dict = {200: ok, 304: None, 400: Refusal}
    if missing:
        response[404] = NotFound
        said[404] = missing
    if has_query:
        response[422] = Refusal
        said[422] = "参数无效（类型、取值范围或组合），detail 逐项写明参数名和原因"
    extra: dict = {"responses": {code: {"description": text} for code, text in said.items()}}
    if csv:
        extra["responses"][200]["content"] = {
            "text/csv": {"schema": {"type": "string", "description": "format=csv 时"}}
        }
    if zip_file:
        extra["responses"][200]["content"] = {
            "application/zip": {"schema": {"type": "string", "format": "binary"}}
        }
    return {"response": response, "openapi_extra": extra}


# -- plumbing ------------------------------------------------------------------------------


def _conditional(
    request: HttpRequest,
    newest: dt.datetime | None,
    build: Callable[[], HttpResponse],
    *,
    extra: str = "",
) -> HttpResponse:
    """Answer 304 when the client's copy is current; otherwise build and stamp the answer.
    ``newest`` covers every change to the rows behind the answer (see the selectors)."""
    stamp = newest.isoformat() if newest else "-"
    key = f"{SCHEMA_VERSION}|{request.get_full_path()}|{stamp}|{extra}"
    etag = quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    last_modified = int(newest.timestamp()) if newest else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return not_modified
    response = build()
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = "public, max-age=60"
    return response


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """Times in Beijing time, as the pages show them."""
    return timezone.localtime(value) if value else None


def _json(payload: Schema) -> HttpResponse:
    return HttpResponse(
        json.dumps(payload.model_dump(mode="json"), ensure_ascii=False, cls=DjangoJSONEncoder),
        content_type="application/json; charset=utf-8",
    )


def _json_value(value):
    """Dates and times as the schemas write them (ISO 8601, Beijing time with its offset)."""
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _check_page(query: ListQuery) -> None:
    if not 1 <= query.page <= MAX_PAGE:
        raise ParameterError([("page", f"参数 page=“{query.page}”无效：页码为 1–{MAX_PAGE}。")])
    if not 1 <= query.page_size <= MAX_PAGE_SIZE:
        raise ParameterError(
            [("page_size", f"参数 page_size=“{query.page_size}”无效：每页 1–{MAX_PAGE_SIZE} 条。")]
        )


def _listing(
    request,
    query: ListQuery,
    rows: QuerySet,
    newest: dt.datetime | None,
    *,
    page_class: type[Page],
    out: Callable,
    csv_name: str,
    csv_header: list[str],
    csv_row: Callable,
    prepare: Callable[[QuerySet], QuerySet] = lambda rows: rows,
    values: Callable[[QuerySet], list[dict]] | None = None,
    window: Callable[[int, int], list[dict]] | None = None,
    count: Callable[[], int] | None = None,
    extra: str = "",
):
    """One list endpoint: a JSON page, or the whole list as CSV, under the conditional check.
    ``values(page)``, where given, reads a page's rows as the schema's dicts directly (the
    results: a page of a hundred would otherwise build and validate thousands of objects);
    ``window(start, size)`` reads them without the queryset, and ``count()`` counts them
    (by default ``caching.public_count`` of ``rows``)."""
    _check_page(query)

    def build() -> HttpResponse:
        if query.format == "csv":
            return exports.csv_response(
                csv_name, csv_header, prepare(rows).iterator(chunk_size=2000), csv_row
            )
        start = (query.page - 1) * query.page_size
        if values is not None:
            page = {
                "count": count() if count is not None else public_count(request, rows),
                "page": query.page,
                "page_size": query.page_size,
                "results": window(start, query.page_size)
                if window is not None
                else values(rows[start : start + query.page_size]),
            }
            return HttpResponse(
                json.dumps(page, ensure_ascii=False, default=_json_value),
                content_type="application/json; charset=utf-8",
            )
        chunk = prepare(rows)[start : start + query.page_size]
        return _json(
            page_class(
                count=public_count(request, rows),
                page=query.page,
                page_size=query.page_size,
                results=[out(row) for row in chunk],
            )
        )

    return _conditional(request, newest, build, extra=extra)


def _newest(rows: QuerySet, field: str) -> dt.datetime | None:
    return rows.order_by().aggregate(newest=Max(field))["newest"]


# -- organisations and plans ----------------------------------------------------------------


def _organisation_out(org) -> OrganisationOut:
    return OrganisationOut(
        code=org.code,
        name=org.name,
        level=org.get_level_display(),
        parent=org.parent.code if org.parent_id else None,
        portal_url=reverse("disclosure:organisation", args=[org.code]),
    )


@api.get(
    "/organisations",
    **_answers(OrganisationPage, csv=True),
    summary="单位列表",
    tags=["单位与计划"],
)
@decorate_view(public_cached(of_query))
def organisations(request, query: Query[ListQuery]):
    rows = selectors.public_organisations().in_tree_order()
    # Organisations carry no change time; 200 short rows hash in well under a millisecond.
    digest = hashlib.sha256(
        repr(list(rows.values_list("code", "name", "level", "parent__code"))).encode()
    ).hexdigest()
    return _listing(
        request,
        query,
        rows,
        None,
        extra=digest,
        page_class=OrganisationPage,
        out=_organisation_out,
        csv_name="organisations.csv",
        csv_header=["单位代码", "单位名称", "层级", "上级单位代码"],
        csv_row=lambda o: [
            o.code,
            o.name,
            o.get_level_display(),
            o.parent.code if o.parent else "",
        ],
    )


@api.get(
    "/organisations/{code}/plans",
    **_answers(PlanPage, missing="没有这个单位代码的单位", csv=True),
    summary="年度抽查计划（已公开的各版本）",
    tags=["单位与计划"],
)
@decorate_view(public_cached(of_query))
def plans(request, code: Code, query: Query[ListQuery]):
    org = selectors.public_organisation(code)
    rows = selectors.public_plan_revisions(org).order_by("-plan__year", "-version")

    def out(revision) -> PlanRevisionOut:
        return PlanRevisionOut(
            organisation=org.code,
            year=revision.plan.year,
            version=revision.version,
            published_at=_local(revision.published_at),
            reason=revision.reason,
            issued_on=revision.snapshot.get("issued_on"),
            tasks=revision.snapshot["tasks"],
        )

    if query.format == "csv":
        return _plans_csv(request, query, org, rows)
    return _listing(
        request,
        query,
        rows,
        _newest(rows, "published_at"),
        page_class=PlanPage,
        out=out,
        csv_name="",
        csv_header=[],
        csv_row=list,
    )


def _plans_csv(request, query, org, rows):
    """One CSV line per task of every published version (the plan's own table)."""
    _check_page(query)

    def lines():
        for revision in rows:
            for task in revision.snapshot["tasks"]:
                yield revision, task

    return _conditional(
        request,
        _newest(rows, "published_at"),
        lambda: exports.csv_response(
            f"{org.code}-plans.csv",
            [
                "年度",
                "版本",
                "公开时间",
                "调整原因",
                "任务编号",
                "抽查计划名称",
                "抽查事项",
                "抽查对象范围",
                "抽查比例",
                "抽查时间",
            ],
            lines(),
            lambda pair: [
                pair[0].plan.year,
                pair[0].version,
                _local(pair[0].published_at).isoformat(),
                pair[0].reason,
                pair[1]["number"],
                pair[1]["name"],
                "；".join(pair[1]["items"]),
                pair[1]["target_scope"],
                pair[1]["ratio"],
                pair[1]["draw_date"],
            ],
        ),
    )


# -- registers -------------------------------------------------------------------------------


@api.get(
    "/organisations/{code}/items",
    **_answers(ItemPage, missing="没有这个单位代码的单位", csv=True),
    summary="随机抽查事项清单",
    tags=["一单两库"],
)
@decorate_view(public_cached(of_query))
def items(request, code: Code, query: Query[ListQuery]):
    org = selectors.public_organisation(code)
    rows = selectors.public_items(org)
    every = org.items.all()  # removed or 涉密 rows change the list too

    def values(i) -> list:
        return [
            i.sequence,
            i.category,
            i.name,
            i.target_scope,
            i.get_item_class_display(),
            i.methods_display,
            i.subject,
            i.basis,
        ]

    return _listing(
        request,
        query,
        rows,
        _newest(every, "updated_at"),
        page_class=ItemPage,
        out=lambda i: ItemOut(**dict(zip(selectors.ITEM_FIELDS, values(i), strict=True))),
        csv_name=f"{org.code}-items.csv",
        csv_header=[
            "序号",
            "抽查类别",
            "抽查事项",
            "检查对象",
            "事项类别",
            "检查方式",
            "检查主体",
            "检查依据",
        ],
        csv_row=values,
    )


@api.get(
    "/organisations/{code}/targets",
    **_answers(TargetPage, missing="没有这个单位代码的单位", csv=True),
    summary="检查对象名录库",
    tags=["一单两库"],
)
@decorate_view(public_cached(of_query))
def targets(request, code: Code, query: Query[TargetQuery]):
    org = selectors.public_organisation(code)
    text = query.q.strip()[:100]
    rows = selectors.public_targets(org, text)
    return _listing(
        request,
        query,
        rows,
        selectors.latest_target_change(org.pk),
        page_class=TargetPage,
        out=lambda t: TargetOut(name=t.name, credit_code=t.credit_code, address=t.address),
        # A page of a hundred targets read as the schema's dicts, in its field order: building
        # and validating a hundred objects was most of the cost of a first view (issue 21 §1).
        values=lambda page: list(page.values(*TargetOut.model_fields)),
        # The whole register, as most read it: a query compiled once, counted under its name.
        # (Its order is not kept as the results' is: read by offset, a page comes from the index
        # that holds the register in order, ``target_register_order``, and most first views
        # would read the whole order.)
        window=None
        if text
        else lambda start, size: selectors.organisation_target_values(org.pk, start, size),
        count=None if text else lambda: public_count(request, rows, f"targets:{org.pk}"),
        csv_name=f"{org.code}-targets.csv",
        csv_header=["单位名称", "统一社会信用代码", "单位地址"],
        csv_row=lambda t: [t.name, t.credit_code, t.address],
    )


@api.get(
    "/organisations/{code}/inspectors",
    **_answers(InspectorPage, missing="没有这个单位代码的单位", csv=True),
    summary="执法检查人员名录库",
    tags=["一单两库"],
)
@decorate_view(public_cached(of_query))
def inspectors(request, code: Code, query: Query[ListQuery]):
    org = selectors.public_organisation(code)
    rows = selectors.public_inspectors(org)
    return _listing(
        request,
        query,
        rows,
        _newest(org.inspectors.all(), "updated_at"),
        page_class=InspectorPage,
        out=lambda i: InspectorOut(
            name=i.name, certificate_no=i.certificate_no, department=i.department
        ),
        values=lambda page: list(page.values(*InspectorOut.model_fields)),  # as the targets
        csv_name=f"{org.code}-inspectors.csv",
        csv_header=["姓名", "执法证号", "所属部门"],
        csv_row=lambda i: [i.name, i.certificate_no, i.department],
    )


# -- draws ---------------------------------------------------------------------------------


def _draw_newest(rows: QuerySet) -> dt.datetime | None:
    changed = Greatest(
        "committed_at",
        Coalesce("drawn_at", "committed_at"),
        Coalesce("revealed_at", "committed_at"),
        Coalesce("aborted_at", "committed_at"),
    )
    return rows.order_by().aggregate(newest=Max(changed))["newest"]


def _draw_out(draw: Draw, cls=DrawOut, **extra):
    return cls(
        draw_id=draw.draw_id,
        organisation=draw.organisation.code,
        task=draw.task.name,
        status=draw.status,
        status_label=_status_label(draw),
        committed_at=_local(draw.committed_at),
        revealed_at=_local(draw.revealed_at),
        aborted_at=_local(draw.aborted_at),
        portal_url=reverse("disclosure:draw", args=[draw.draw_id]),
        **extra,
    )


def _status_label(draw: Draw) -> str:
    if draw.status == Draw.Status.REVEALED:
        return "已公开"
    if draw.status == Draw.Status.ABORTED:
        return "作废"
    return "名单将于检查结束后公开"


@api.get(
    "/draws",
    **_answers(DrawPage, missing="organisation 指定的单位不存在", csv=True),
    summary="随机抽取列表",
    tags=["随机抽取"],
)
@decorate_view(public_cached(of_query))
def draws(request, query: Query[DrawQuery]):
    organisation = query.organisation
    rows = selectors.public_draws(
        selectors.public_organisation(organisation) if organisation else None
    )
    if query.status:
        rows = rows.filter(status=query.status)
    rows = rows.order_by("-committed_at", "pk")
    return _listing(
        request,
        query,
        rows,
        _draw_newest(rows),
        page_class=DrawPage,
        out=_draw_out,
        csv_name="draws.csv",
        csv_header=["抽取编号", "单位代码", "任务", "状态", "承诺时间", "公开时间", "作废时间"],
        csv_row=lambda d: [
            d.draw_id,
            d.organisation.code,
            d.task.name,
            _status_label(d),
            _local(d.committed_at).isoformat(),
            _local(d.revealed_at).isoformat() if d.revealed_at else "",
            _local(d.aborted_at).isoformat() if d.aborted_at else "",
        ],
    )


def _public_draw(draw_id: str) -> Draw:
    draw = selectors.public_draws().filter(draw_id=draw_id).first()
    if draw is None:
        raise Http404(f"没有抽取编号为“{draw_id}”的抽取。")
    return draw


@api.get(
    "/draws/{draw_id}",
    **_answers(DrawDetailOut, missing="没有这个抽取编号的抽取", has_query=False),
    summary="一次随机抽取：承诺、随机源、公开后的名单与核验",
    tags=["随机抽取"],
)
@decorate_view(public_cached(of_query))
def draw_detail(request, draw_id: DrawId):
    draw = _public_draw(draw_id)

    def build() -> HttpResponse:
        facts = selectors.draw_disclosure(draw)
        report = facts.get("report")
        selected = [
            SelectedOut(
                stratum=s["code"], rank=x["rank"], id=x["id"], name=x["name"], team=x["team"]
            )
            for s in facts.get("result", {}).get("strata", [])
            for x in s["selected"]
        ]
        return _json(
            _draw_out(
                draw,
                DrawDetailOut,
                aborted_reason=draw.aborted_reason,
                commitment=facts["commitment"],
                params=facts["params"],
                sources=[
                    SourceOut(
                        label=s.label, type=s.type, value=s.value if draw.salt_public else None
                    )
                    for s in facts["sources"]
                ],
                files={
                    name: reverse("disclosure:draw_file", args=[draw.draw_id, name])
                    for name in facts["files"]
                },
                bundle_url=reverse("api:draw_bundle", args=[draw.draw_id]),
                salt=facts.get("salt"),
                verified=report.ok if report else None,
                verification=[str(check) for check in report.checks] if report else [],
                verify_command=f"shuangsuiji draw verify {draw.draw_id}",
                selected=selected,
                substitutions=[
                    SubstitutionOut(
                        stratum=x.stratum,
                        replaced=x.replaced_unit,
                        substitute=x.substitute_unit,
                        reason=x.get_reason_display(),
                        evidence=x.evidence,
                    )
                    for x in facts.get("substitutions", [])
                ],
                manual_assignments=[
                    ManualAssignmentOut(unit=x.unit, team=list(x.team), reason=x.reason)
                    for x in facts.get("manual", [])
                ],
            )
        )

    return _conditional(request, _draw_newest(selectors.public_draws().filter(pk=draw.pk)), build)


@api.get(
    "/draws/{draw_id}/bundle.zip",
    **_answers(None, missing="没有这个抽取编号的抽取", zip_file=True, has_query=False),
    summary="下载公开材料（zip）",
    tags=["随机抽取"],
    url_name="draw_bundle",
)
def draw_bundle(request, draw_id: DrawId):
    draw = _public_draw(draw_id)
    newest = _draw_newest(selectors.public_draws().filter(pk=draw.pk))
    return _conditional(request, newest, lambda: exports.bundle_zip(draw))


# -- results -------------------------------------------------------------------------------


@api.get(
    "/results",
    **_answers(ResultPage, missing="organisation 指定的单位不存在", csv=True),
    summary="抽查结果",
    tags=["抽查结果"],
)
@decorate_view(public_cached(of_query))
def results(request, query: Query[ResultQuery]):
    # The same reading of year, quarter, category and month as the portal's results page.
    chosen = filters.ResultFilter.named_in(request.GET)
    if chosen is not None and chosen.problems:
        raise ParameterError(chosen.problems)
    organisation = query.organisation
    org = selectors.public_organisation(organisation) if organisation else None

    def chosen_rows() -> QuerySet:
        rows = selectors.public_results(org)
        if chosen is not None:
            rows = chosen.filter_queryset(rows)
        if query.credit_code:
            rows = rows.filter(target__credit_code=query.credit_code.strip().upper())
        return rows.order_by(*selectors.RESULT_ORDER)

    filtered = chosen is not None and any(chosen.chosen.values())
    whole = org is not None and not query.credit_code and not filtered
    rows = SimpleLazyObject(chosen_rows) if whole else chosen_rows()
    # An organisation's whole list, as most read it: kept in order, its pages read by id, as
    # the portal's page reads it (``caching.ResultsInOrder``); its queryset is built only where
    # it is still needed (a longer list than is kept, the CSV).
    ordered = ResultsInOrder(request, org.pk, rows) if whole else None
    return _listing(
        request,
        query,
        rows,
        selectors.latest_public_change(org.pk)
        if org
        else _newest(Inspection.objects.all(), "public_changed_at"),
        page_class=ResultPage,
        out=lambda r: ResultOut(**exports.result_values(r)),
        csv_name=f"{organisation or 'all'}-results.csv",
        csv_header=exports.RESULT_COLUMNS,
        csv_row=exports.result_row,
        prepare=selectors.with_public_details,
        values=_result_values,
        window=(lambda start, size: _fields(ordered.window(start, size))) if ordered else None,
        count=ordered.count if ordered else None,
    )


#: The fields of a result, in the schema's order (the JSON reads as the schema documents it).
RESULT_FIELDS = tuple(ResultOut.model_fields)


def _result_values(page: QuerySet) -> list[dict]:
    return _fields(selectors.public_result_values(page))


def _fields(results: list[dict]) -> list[dict]:
    return [{name: row[name] for name in RESULT_FIELDS} for row in results]


def _not_found(request, exc):
    return api.create_response(request, {"detail": str(exc) or "未找到。"}, status=404)


api.add_exception_handler(Http404, _not_found)
