"""Site-wide request guards."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

NUL = "\x00"
#: The paths whose answers are JSON (the open-data API, disclosure/api.py).
API_PREFIX = "/api/"


class RefuseNulMiddleware:
    """Refuse, with 400, a request whose path, query string or form fields contain NUL.

    PostgreSQL text can neither hold nor be compared with NUL: such a value reaching a query
    raises DataError, a 500, in the open-data API, the portal's search and every staff list
    filter or form alike. No legitimate value contains it, so it is refused here once, before
    any view runs, and not parameter by parameter. The refusal names the parameter: under
    ``/api/`` as JSON in the API's refusal shape (``{"detail": [{"field", "message"}]}``,
    documented as the 400 of every operation), elsewhere on the 400 page.

    400, not the API's 422: the request is refused before routing (an unknown path too), for
    a character no value of any parameter may contain; 422 stays the answer of an operation's
    own rules (types, ranges, combinations). Headers are not looked at: the WSGI server
    (granian) already refuses a header with a control character.

    Reading ``request.POST`` here is what CsrfViewMiddleware does anyway for every POST; no view
    of this site changes ``request.upload_handlers``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields = nul_fields(request)
        if fields:
            return refuse_nul(request, fields)
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """Under ``/api/``, a path no route matches gets the API's JSON 404, not the site's page.

    Every 404 the API documents is ``{"detail": "…"}``; a path parameter holding “/” (or a
    mistyped endpoint) leaves the API's routes, and Django's own 404 would be the HTML page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path_info.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            detail = f"没有这个接口：{request.path_info}。接口列表见 /api/docs。"
            return _json({"detail": detail}, status=404)
        return response


def nul_fields(request: HttpRequest) -> list[str]:
    """The names of the parts of the request that contain NUL, in order, without repeats."""
    fields: list[str] = []
    if NUL in request.path_info:
        fields.extend(_path_fields(request.path_info))
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            if NUL in name or any(NUL in value for value in values):
                fields.append(_shown(name))
    return list(dict.fromkeys(fields))


def _path_fields(path: str) -> list[str]:
    """The URL parameters (``code``, ``draw_id`` …) that carry the NUL, else the path itself."""
    try:
        match = resolve(path)
    except Resolver404:
        return ["path"]
    names = [name for name, value in match.kwargs.items() if NUL in str(value)]
    return names or ["path"]


def _json(payload: dict, *, status: int) -> JsonResponse:
    """As the API answers: UTF-8 Chinese, not ``\\u`` escapes."""
    return JsonResponse(
        payload,
        status=status,
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )


def _shown(name: str) -> str:
    return name.replace(NUL, "\\0")


def _message(field: str) -> str:
    where = "网址路径" if field == "path" else f"参数 {field} "
    return f"{where}中含有空字符（NUL，\\0），无法处理，请删除后重试。"


def refuse_nul(request: HttpRequest, fields: list[str]) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        detail = [{"field": field, "message": _message(field)} for field in fields]
        return _json({"detail": detail}, status=400)
    return render(request, "400.html", {"problems": [_message(f) for f in fields]}, status=400)
