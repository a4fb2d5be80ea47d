"""A page of a register's list read as model objects (as ``directory.views.register_list`` read
it before) and as values (as it reads it now), on the province data (issue 21 §3).

    uv run python benchmarks/register_rows.py --database-url URL --data-dir DIR

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only`` (or by an earlier ``staff.py`` run with them). For the county coordinator of
``staff.py``, each register's first page of 50 rows (the page's own filter, order and columns:
``directory.filters.RegisterFilter`` on ``directory.selectors.register_rows``) is read both
ways, taking turns ``--repeat`` times, and the cells the list shows are taken from each row.
Printed: the median thread CPU of each (this process: building the rows is what changed; the
database's share is the same query), the floor (one target's name read by its primary key, in
the same run) and each over the floor. The script checks that both give the same cells.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import portal  # noqa: E402


def cpu_ms(run) -> float:
    started = time.thread_time()
    run()
    return (time.thread_time() - started) * 1000


def main() -> None:
    args, county = portal.staff_county(__doc__, repeat=200)
    from django.contrib.auth import get_user_model
    from django.http import QueryDict

    from shuangsuiji.directory import selectors
    from shuangsuiji.directory.filters import RegisterFilter
    from shuangsuiji.directory.models import Target
    from shuangsuiji.directory.registers import REGISTERS

    user = get_user_model().objects.get(username=county["users"]["coordinator"])
    first = Target.objects.order_by("pk").values_list("pk", flat=True).first()
    floor = statistics.median(
        cpu_ms(lambda: list(Target.objects.filter(pk=first).values_list("name")))
        for _ in range(args.repeat)
    )
    print(f"{county['name']}, {args.repeat} reads each way")
    load = os.getloadavg()[0]
    print(f"floor (a target's name by primary key): {floor:.2f} ms CPU; load {load:.2f}\n")
    print(f"{'register':<12}{'objects ms':>11}{'×floor':>8}{'values ms':>11}{'×floor':>8}")
    for key, spec in REGISTERS.items():
        rows = RegisterFilter(
            QueryDict(), spec=spec, queryset=selectors.register_rows(spec, user)
        ).qs
        shown = list(spec.list_fields)
        page = slice(0, selectors.PAGE_SIZE)

        def as_objects(rows=rows, shown=shown, page=page):
            columns = [*shown, "organisation", "organisation__name"]
            return [
                (row.pk, [getattr(row, f) for f in shown], row.organisation.name)
                for row in rows.only(*columns)[page]
            ]

        def as_values(rows=rows, shown=shown, page=page):
            return [
                (row["pk"], [row[f] for f in shown], row["organisation__name"])
                for row in rows.values("pk", *shown, "organisation__name")[page]
            ]

        assert as_objects() == as_values(), key
        times: dict = {as_objects: [], as_values: []}
        for _ in range(args.repeat):
            for read in times:
                times[read].append(cpu_ms(read))
        objects, values = (statistics.median(t) for t in times.values())
        print(
            f"{key:<12}{objects:>11.2f}{objects / floor:>7.1f}×"
            f"{values:>11.2f}{values / floor:>7.1f}×",
            flush=True,
        )
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
