"""The production settings plus one middleware that counts each request's SQL queries, for
``benchmarks/staff.py`` only: it serves the app with ``DJANGO_SETTINGS_MODULE=staff_settings``
(this folder on ``PYTHONPATH``), so the deployed settings stay untouched.

The count comes from ``connection.execute_wrapper``, which works with ``DEBUG`` off (Django
records ``connection.queries`` only with ``DEBUG`` on, and that would change the app's speed).
Each thread of the server has its own connection, so a request counts only its own queries.
"""

from shuangsuiji.config.settings import *  # noqa: F403
from shuangsuiji.config.settings import MIDDLEWARE

#: The response header that carries the count.
HEADER = "X-Query-Count"

# First, so it counts the queries of every other middleware too (session, user, axes).
MIDDLEWARE = ["staff_settings.QueryCountMiddleware", *MIDDLEWARE]


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.db import connection

        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response[HEADER] = str(count)
        return response
