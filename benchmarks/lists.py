"""Lists of keys sent to PostgreSQL as one array (``= ANY``) or a placeholder per value
(``IN (%s, …)``): the CPU of this process for the queries a page of results asks by its ids.

    uv run python benchmarks/lists.py --database-url URL --data-dir DIR

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only`` (or by an earlier ``staff.py`` run with them): ``portal.py``'s province.

A first view of a page of a hundred published results (the open-data API's ``/api/results``)
reads the results' items, follow-ups and published parts by their ids; 我的任务 reads its cards,
teams and items the same way. Each is a ``shuangsuiji.prepared.Prepared`` query with a list
argument. Written as Django writes ``pk__in``, a query with more than 50 parameters is parsed
afresh by psycopg on every call (it keeps the parsing of shorter statements only); as one
array parameter it is not (``prepared._lists_as_arrays``, issue 21 §1).

The script takes the ids of ``--size`` published results of the largest bureau, then runs the
three queries ``--repeat`` times each way, the ways alternating in rounds in this process, and
prints per round and way the CPU time of this thread (``time.thread_time``: psycopg and Django,
not PostgreSQL) per page, the median of the rounds, and the floor measured in the same run (a
primary-key lookup through the same path). Both ways give the same rows; the script checks it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import portal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--size", type=int, default=100, help="ids in each list (a page)")
    parser.add_argument("--repeat", type=int, default=200, help="pages per round and way")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    portal.use_loaded_database(args.database_url, Path(args.data_dir))
    from django.db import connections
    from django.db.models import Count

    from shuangsuiji import prepared
    from shuangsuiji.disclosure import selectors
    from shuangsuiji.inspections.models import Inspection
    from shuangsuiji.inspections.selectors import item_names

    largest = (
        selectors.public_results()
        .values("organisation")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("organisation", flat=True)[0]
    )
    ids = list(
        selectors.public_results()
        .filter(organisation=largest)
        .order_by(*selectors.RESULT_ORDER)
        .values_list("pk", flat=True)[: args.size]
    )
    first = ids[0]
    as_arrays = prepared._lists_as_arrays
    ways = {
        "one array (= ANY)": as_arrays,
        "a placeholder per value (IN)": lambda sql, slots, lengths: (sql, slots),
    }

    def page() -> tuple:
        return (
            item_names(ids, confidential=False),
            selectors._FOLLOW_UPS(ids=ids),
            selectors._PUBLISHED_PARTS(ids=ids),
        )

    def floor() -> None:
        list(Inspection.objects.filter(pk=first).values_list("pk", flat=True))

    def use(way) -> None:
        prepared._lists_as_arrays = way
        # Compiled queries are kept on the connection: compile again for this way.
        connections["default"].__dict__.pop("shuangsuiji_prepared", None)

    answers = []
    for way in ways.values():
        use(way)
        answers.append(page())
    assert answers[0] == answers[1], "the two ways gave different rows"

    def cpu_ms(run) -> float:
        started = time.thread_time()
        for _ in range(args.repeat):
            run()
        return (time.thread_time() - started) * 1000 / args.repeat

    load = os.getloadavg()[0]
    print(f"{len(ids)} ids of published results of organisation {largest}; load {load:.2f}")
    floor_ms = min(cpu_ms(floor) for _ in range(3))
    print(f"floor (one result's id by primary key, Django's path): {floor_ms:.3f} ms CPU\n")
    rounds: dict[str, list[float]] = {name: [] for name in ways}
    for number in range(args.rounds):
        for name, way in ways.items():
            use(way)
            page()  # compiled and prepared before timing
            rounds[name].append(cpu_ms(page))
        shown = "   ".join(f"{name}: {values[-1]:.2f} ms" for name, values in rounds.items())
        print(f"round {number + 1}: {shown}", flush=True)
    prepared._lists_as_arrays = as_arrays
    print()
    figures = {}
    for name, values in rounds.items():
        median = statistics.median(values)
        figures[name] = median
        print(f"{name:<30} median {median:.2f} ms CPU a page ({median / floor_ms:.1f}× floor)")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"floor_ms": floor_ms, **figures}, ensure_ascii=False, indent=1)
        )


if __name__ == "__main__":
    main()
