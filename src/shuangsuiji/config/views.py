from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    # Our own refusals are written in Chinese for the reader; Django's are English and internal.
    message = str(exception.args[0]) if exception and exception.args else ""
    readable = any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return render(request, "404.html", {"message": message if readable else ""}, status=404)


def server_error(request):
    return render(request, "500.html", status=500)
