from functools import cache
from pathlib import Path

from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

#: The site's icon, which the pages link to (base templates) and browsers also ask for as
#: /favicon.ico on pages that do not link it (the API's JSON, a PDF).
FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.svg"


@cache
def _favicon() -> bytes:
    return FAVICON.read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request):
    return HttpResponse(_favicon(), content_type="image/svg+xml")


@require_GET
@never_cache
def healthz(request):
    """Liveness and database reachability, for the load balancer and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return JsonResponse(
            {"status": "error", "database": {"ok": False, "error": str(error)}}, status=503
        )
    return JsonResponse(
        {"status": "ok", "database": {"ok": True, "vendor": connection.vendor}}, status=200
    )


def bad_request(request, exception=None):
    # A refusal raised as BadRequest with a Chinese reason (params.search_text) shows it.
    message = str(exception.args[0]) if exception and exception.args else ""
    readable = any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return render(request, "400.html", {"problems": [message] if readable else []}, status=400)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def permission_denied(request, exception=None):
    # Our own refusals give the reason in Chinese; anything else gets the page's general words.
    reason = str(exception or "")
    return render(request, "403.html", {"reason": reason if _chinese(reason) else ""}, status=403)


def page_not_found(request, exception=None):
    # Our own refusals are written in Chinese for the reader; Django's are English and internal.
    message = str(exception.args[0]) if exception and exception.args else ""
    readable = any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return render(request, "404.html", {"message": message if readable else ""}, status=404)


def server_error(request):
    return render(request, "500.html", status=500)
