"""Queries compiled once (``shuangsuiji.prepared``) with the ORM's value converters worked out
once per compiled query, against working them out on every call as ``results_iter`` does
(issue 21 §3).

    uv run python benchmarks/converters.py --database-url URL --data-dir DIR

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only``. Pages of ``staff.py``'s county that read most of their rows through compiled
queries (the record form, 我的任务, a draw, a plan), and the first view of a public results page
and of the open-data API's results (a URL never asked before, as in ``cold_pages.py``), each
opened ``--repeat`` times both ways, the two taking turns request by request, with ``/healthz``
as the floor in the same turns. Printed: the median thread CPU of a request each way (this
process only; the database's share is the same for both) and over the floor. The script
checks that both ways give the same page, byte for byte (the CSRF tokens aside).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import portal  # noqa: E402

#: A page's CSRF tokens differ from request to request.
TOKEN = re.compile(rb'(csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]*"')
#: The parameter that makes a public URL new, where a page's links repeat it.
ASKED = re.compile(rb"(&amp;|&|\?)_=\d+")


def main() -> None:
    args, county = portal.staff_county(__doc__, repeat=300)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from shuangsuiji import prepared

    users = get_user_model().objects
    clients = {}
    for role in ("inspector", "coordinator"):
        clients[role] = Client(HTTP_HOST="127.0.0.1", headers=portal.HEADERS)
        clients[role].force_login(users.get(username=county["users"][role]))
    clients["public"] = Client(HTTP_HOST="127.0.0.1", headers=portal.HEADERS)
    code = county["code"]
    pages = {
        "record form": ("inspector", f"/inspections/{county['open']}/record/"),
        "my tasks": ("inspector", "/inspections/mine/"),
        "draw detail": ("coordinator", f"/planning/draws/{county['draw']}/"),
        "plan detail": ("coordinator", f"/planning/plans/{county['plan']}/"),
        "results list, first view": ("public", f"/gongkai/org/{code}/results/?page=2"),
        "API results, first view": ("public", f"/api/results?organisation={code}&page=3"
                                              "&page_size=100"),
    }  # fmt: skip
    kept = prepared._Compiled.rows

    def every_call(self, rows):
        # As before: ``results_iter`` works the converters out again on every call.
        return list(self.compiler.results_iter(results=[rows], tuple_expected=True))

    ways = {"every call (before)": every_call, "once (now)": kept}
    asked = 0

    def get(role: str, path: str):
        nonlocal asked
        if role == "public":  # a URL never asked before: the page cache misses
            asked += 1
            path += f"{'&' if '?' in path else '?'}_={asked}"
        response = clients[role].get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    def cpu_ms(role: str, path: str) -> float:
        started = time.thread_time()
        get(role, path)
        return (time.thread_time() - started) * 1000

    for label, (role, path) in pages.items():
        seen = []
        for way in ways.values():
            prepared._Compiled.rows = way
            for _ in range(5):  # templates compiled, queries prepared
                page = get(role, path).content
            seen.append(ASKED.sub(b"", TOKEN.sub(rb"\1", page)))
        assert seen[0] == seen[1], f"{label}: the two ways give different pages"

    times = {(label, way): [] for label in pages for way in ways}
    floor = []
    for _ in range(args.repeat):
        for label, (role, path) in pages.items():
            for name, way in ways.items():
                prepared._Compiled.rows = way
                times[label, name].append(cpu_ms(role, path))
        floor.append(cpu_ms("public", "/healthz"))
    prepared._Compiled.rows = kept
    floor_ms = statistics.median(floor)
    print(f"{county['name']}, {args.repeat} requests each way")
    print(f"floor /healthz: {floor_ms:.2f} ms CPU; load {os.getloadavg()[0]:.2f}\n")
    print(f"{'page':<26}" + "".join(f"{name:>22}" for name in ways))
    for label in pages:
        cells = []
        for name in ways:
            median = statistics.median(times[label, name])
            cells.append(f"{median:.2f} ms ({median / floor_ms:.1f}×)")
        print(f"{label:<26}" + "".join(f"{cell:>22}" for cell in cells))
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
