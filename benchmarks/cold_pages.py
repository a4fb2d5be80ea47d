"""First views of the public routes ("cold pages"), timed in this process (issue 21 §1).

    uv run python benchmarks/cold_pages.py --database-url URL --data-dir DIR
    PYTHONPATH=<other source>/src uv run python benchmarks/cold_pages.py --database-url URL …

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only``. ``portal.py`` shows that the public routes' p95 is set by their cold pages:
a page asked for the first time since its data changed is built by the view, and at 50
concurrent clients those builds queue on the two cores. This script times the builds alone.

Each request asks a URL of ``portal.py``'s routes (the same random organisations, pages,
enterprises and search words) with one query parameter no view reads added (``_=<n>``), so the
page cache misses and the view builds the page, as on a first view after a change; what the
views keep beside whole pages (a list's count, kept per version of the data) is kept, as it is
then. The routes take turns request by request, with ``/healthz`` as the floor in the same
turns, so the machine's swings fall on all alike. Printed: per route, the median thread CPU of
a request in this process (the view, the template, the ORM; the database's own CPU is not in
it) and its ratio to the floor's; then the same for the CPU of the PostgreSQL backend that
serves this process's connection (nanoseconds from ``/proc/<pid>/schedstat``, read just before
and just after each request), and for the two together. With ``PYTHONPATH`` pointing at another
checkout's ``src``, that code is timed instead (the same database), for a before-and-after
comparison.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import portal  # noqa: E402


def main() -> None:
    args, _ = portal.staff_county(__doc__, repeat=200)
    import json

    from django.db import connection
    from django.test import Client

    import shuangsuiji

    picks = json.loads((Path(args.data_dir) / "picks.json").read_text())
    routes = [route for route in portal.routes(picks) if route.path != "/healthz"]
    client = Client(HTTP_HOST="127.0.0.1", headers=portal.HEADERS)
    rng = random.Random(2025)
    asked = 0

    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    client.get("/healthz")  # the connection opened, and kept (CONN_MAX_AGE)
    pid = backend_pid()
    # The schedstat of the connection's PostgreSQL backend: its CPU nanoseconds first.
    backend = Path(f"/proc/{pid}/schedstat")

    def database_ns() -> int:
        return int(backend.read_text().split()[0])

    def cpu_ms(url: str) -> tuple[float, float]:
        """The request's CPU milliseconds in this thread and in the database's backend."""
        nonlocal asked
        asked += 1
        url += f"{'&' if '?' in url else '?'}_={asked}"
        database = database_ns()
        started = time.thread_time()
        response = client.get(url)
        spent = (time.thread_time() - started) * 1000
        database = (database_ns() - database) / 1e6
        # An enterprise the register no longer lists and that has no public result is a 404 by
        # design (docs/portal.md); portal.py draws none, and neither does this.
        assert response.status_code == 200, (url, response.status_code)
        return spent, database

    for route in routes:  # templates compiled, queries prepared
        for _ in range(5):
            cpu_ms(route.urls(rng))
    app: dict[str, list[float]] = {route.label: [] for route in routes}
    database: dict[str, list[float]] = {route.label: [] for route in routes}
    floor: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        for route in routes:
            spent, waited = cpu_ms(route.urls(rng))
            app[route.label].append(spent)
            database[route.label].append(waited)
        floor.append(cpu_ms("/healthz"))
    if backend_pid() != pid:
        raise SystemExit("the database connection was reopened: its backend's CPU is not known")
    heading = f"code: {Path(shuangsuiji.__file__).parent}; {args.repeat} first views a route"
    portal.print_medians(f"{heading}\n\nthis process", "route", app, [a for a, _ in floor])
    portal.print_medians(
        "\nthe database (the connection's backend)", "route", database, [d for _, d in floor]
    )
    both = {
        label: [a + d for a, d in zip(app[label], database[label], strict=True)] for label in app
    }
    portal.print_medians("\nboth", "route", both, [a + d for a, d in floor])


if __name__ == "__main__":
    main()
