"""企业查询 (``/gongkai/search/?q=``) on the province data: the database's time per query for
common words, rarer ones and credit codes, before and after issue 21 §2's ordered walk.

    uv run python benchmarks/search.py --database-url URL --data-dir DIR

``URL`` and ``DIR`` are a database loaded by ``benchmarks/staff.py --database-url URL --data-dir
DIR --load-only`` (or by an earlier ``staff.py`` run with them): ``portal.py``'s province, 200
organisations and 500,000 targets whose names are built from brands, trades and 有限公司.

For each query the selector the page calls (``disclosure.selectors.enterprise_rows`` on
``disclosure.filters.EnterpriseSearch``, what ``/gongkai/search/`` shows, without the page's
cache) is run ``--repeat`` times, one after the other in this process; and, for comparison in
the same run, the query as it was before (``DISTINCT`` over the shown columns, ordered by name:
PostgreSQL sorted every match). Printed per query: how many targets match, the median wall time
of each (one client, so the wall time is this process's and PostgreSQL's CPU, and waiting for
neither), and their ratio to the floor, the median of a primary-key lookup of one target's name
measured in the same run. Both give the same rows; the script checks it.
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

#: Words of every frequency among the benchmark's names (portal.py's): the legal forms nearly
#: every name has (LEGAL_SUFFIXES), trades some have, places (cities, counties) few have.
WORDS = (
    *("公司", "有限", "有限公司", "责任公司", "股份"),
    *("钢铁", "化工", "科技"),
    *("唐山", "阳平", "平泉"),
)


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()

    portal.use_loaded_database(args.database_url, Path(args.data_dir))
    from shuangsuiji.directory.models import Target
    from shuangsuiji.disclosure import selectors
    from shuangsuiji.disclosure.filters import EnterpriseSearch

    codes = list(Target.objects.order_by("pk").values_list("credit_code", flat=True)[:1])
    first = Target.objects.order_by("pk").values_list("pk", flat=True).first()

    def floor() -> None:
        list(Target.objects.filter(pk=first).values_list("name"))

    def now(query: str):
        search = EnterpriseSearch({"q": query}, queryset=selectors.public_enterprises())
        return selectors.enterprise_rows(search.qs, walk=search.walk)

    def before(query: str):
        search = EnterpriseSearch({"q": query}, queryset=selectors.public_enterprises())
        shown = ("credit_code", "name", "organisation__name", "organisation__code")
        return list(search.qs.values(*shown).order_by("name", "credit_code").distinct()[:50])

    floor_ms = median_ms(floor, args.repeat * 4)
    load = os.getloadavg()[0]
    print(f"floor (a target's name by primary key): {floor_ms:.2f} ms; load {load:.2f}\n")
    print(f"{'query':<14}{'matches':>9}{'before ms':>11}{'×floor':>9}{'now ms':>9}{'×floor':>9}")
    figures = []
    for query in (*WORDS, *codes):
        search = EnterpriseSearch({"q": query}, queryset=selectors.public_enterprises())
        matches = search.qs.count()
        # The same rows by name and code (which organisation's row of an enterprise registered
        # twice came first was not fixed before).
        named = [(row["name"], row["credit_code"]) for row in now(query)]
        assert named == [(row["name"], row["credit_code"]) for row in before(query)], query
        before_ms = median_ms(lambda q=query: before(q), args.repeat)
        now_ms = median_ms(lambda q=query: now(q), args.repeat)
        figures.append({"query": query, "matches": matches, "before_ms": before_ms,
                        "now_ms": now_ms, "floor_ms": floor_ms})  # fmt: skip
        print(
            f"{query:<14}{matches:>9,}{before_ms:>11.1f}{before_ms / floor_ms:>8.0f}×"
            f"{now_ms:>9.1f}{now_ms / floor_ms:>8.0f}×",
            flush=True,
        )
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
