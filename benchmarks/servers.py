"""Which server should run ``shuangsuiji serve``: waitress, gunicorn and granian on one benchmark.

    uv run python benchmarks/servers.py               # 500,000 targets, 1,000,000 results
    uv run python benchmarks/servers.py --quick       # 20,000 / 40,000 / 20 organisations
    uv run python benchmarks/servers.py --engines granian serve --workers 2

Issue 21 §4: "compare waitress with gunicorn (and one more, e.g. granian) on the same benchmark;
keep the best as ``shuangsuiji serve``'s engine". The data, routes, load generator and CPU
accounting are ``benchmarks/portal.py``'s, imported, not copied: a throwaway PostgreSQL cluster
loaded once, then for each number of worker processes (``--workers``, 1 and 2 on a 2-core
machine) and each engine in turn, the app is served in production settings on loopback and every
portal route, the ``/healthz`` floor first, is measured with ``--concurrency`` closed-loop
keep-alive clients. So each engine has its own floor, measured minutes before its routes.

The engines, each at the same number of processes and ``--threads`` threads running Django:

- ``waitress``: ``waitress.serve`` with ``shuangsuiji serve``'s former settings (``--connections``,
  poll); with several workers, this script opens the socket and forks them (the way ``serve`` did
  before it moved to granian; nothing restarts a dead one here, a benchmark needs no supervision);
- ``gunicorn``: its own command line, ``gthread`` workers with ``--threads`` threads each, the
  same connection limit, idle keep-alive connections kept 75 s (its default of 2 s drops a
  reader's connection between two pages);
- ``granian``: its own command line, WSGI interface, ``--blocking-threads`` = ``--threads`` (the
  threads that run Python), one Rust I/O thread per worker, the settings of ``shuangsuiji serve``
  (which runs it since this comparison);
- ``serve``: ``shuangsuiji serve`` itself, as deployed (optional: it shows what the engine costs
  inside our command, proxy-header handling included).

Prints per engine, worker count and route: requests, errors, p50/p95/p99 (ms), requests/s, the
p95 ratio to that engine's floor, CPU milliseconds per request of the server's processes (the
parent and all its children, reaped ones included) and of PostgreSQL, the 1-minute load average
at the end of the route, and the server's resident memory at the end (the sum over its
processes: pages shared after a fork count once per process). Then a summary per engine: the
floor, and over the five app routes the geometric means of requests/s and p95. Exits non-zero if
any request answered other than 200/304.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import portal

ENGINES = ("waitress", "gunicorn", "granian")
APP = "shuangsuiji.config.wsgi:application"
#: ``shuangsuiji serve --connections``' default: open connections per worker process.
CONNECTIONS = 500
#: Seconds gunicorn keeps an idle keep-alive connection open (nginx's own keepalive_timeout);
#: its default of 2 s closes it under a client that thinks longer, which then sees an error.
KEEPALIVE = 75


def tool(name: str) -> str:
    """A console script of this virtual environment."""
    script = Path(sys.executable).with_name(name)
    if not script.exists():
        raise SystemExit(f"{name} is not installed in this environment ({script})")
    return str(script)


def engine_command(engine: str, port: int, workers: int, threads: int) -> list[str]:
    """The command that serves the app on ``127.0.0.1:port`` with ``engine``."""
    if engine == "serve":
        return portal.serve_command(port, threads, workers)
    if engine == "waitress":
        return [sys.executable, __file__, "--run-waitress", str(port), str(workers), str(threads)]
    if engine == "gunicorn":
        return [tool("gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                "--worker-class", "gthread", "--threads", str(threads),
                "--worker-connections", str(CONNECTIONS), "--keep-alive", str(KEEPALIVE),
                "--no-control-socket", "--log-level", "warning", APP]  # fmt: skip
    if engine == "granian":
        return [tool("granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
                "--backlog", "2048", "--backpressure", str(CONNECTIONS),
                "--respawn-failed-workers", "--log-level", "warning", APP]  # fmt: skip
    raise ValueError(engine)


def run_waitress(port: int, workers: int, threads: int) -> None:
    """waitress on one socket, in this process or in ``workers`` forked ones (until SIGTERM)."""
    from waitress import serve

    from shuangsuiji.config.wsgi import application

    options = {"threads": threads, "connection_limit": CONNECTIONS, "asyncore_use_poll": True}
    listener = socket.create_server(("127.0.0.1", port), backlog=2048)
    if workers == 1:
        serve(application, sockets=[listener], **options)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            serve(application, sockets=[listener], **options)
            os._exit(0)
        children.append(pid)

    def stop(_signum, _frame) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


def resident_mib(parent: int) -> float:
    """Resident memory of a process and its children, MiB (shared pages counted per process)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == parent or ppid == parent) and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0])
    return total / 1024


@dataclass
class Run:
    engine: str
    workers: int
    round: int
    measured: list[tuple[portal.Route, portal.Figures]]
    resident: float


def measure(
    engine: str, workers: int, round_: int, args, env: dict, cwd: Path, picks: dict, postmaster: int
) -> Run:
    port = portal.free_port()
    log_path = cwd / f"{engine}-{workers}-{round_}.log"
    with log_path.open("wb") as server_log:
        server = subprocess.Popen(
            engine_command(engine, port, workers, args.threads), env=env, cwd=cwd,
            stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        portal.wait_healthy(port, server, log_path)
        portal.sanity_check(port, picks)

        def cpu() -> tuple[float, float]:
            return portal.tree_cpu(server.pid), portal.postgres_cpu(postmaster)

        measured = []
        for n, route in enumerate(portal.routes(picks)):
            figures = portal.hammer(
                port, route, concurrency=args.concurrency, warmup=args.warmup,
                duration=args.duration, requests=None, seed=args.seed + n, cpu=cpu,
            )  # fmt: skip
            measured.append((route, figures))
            portal.log(f"{engine} × {workers}: {route.label}: {len(figures.latencies)} requests")
        resident = resident_mib(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: the workers go with it
            server.wait()
    noted = log_path.read_text(errors="replace").strip()
    if noted:
        portal.log(f"{engine} × {workers} logged:\n{noted[-1500:]}")
    return Run(engine, workers, round_, measured, resident)


def geometric_mean(values: list[float]) -> float:
    values = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def summary(run: Run) -> tuple[float, ...]:
    """floor req/s and p95; over the app routes: geometric means of req/s, p95 and p95/floor,
    server CPU ms per request; resident MiB; errors."""
    floor_figures, app = run.measured[0][1], run.measured[1:]
    floor = floor_figures.percentile(0.95)
    p95s = [f.percentile(0.95) for _, f in app]
    requests = sum(len(f.latencies) for _, f in app)
    return (
        len(floor_figures.latencies) / floor_figures.seconds,
        floor,
        geometric_mean([len(f.latencies) / f.seconds for _, f in app]),
        geometric_mean(p95s),
        geometric_mean([p / floor for p in p95s]),
        sum(f.app_cpu for _, f in app) * 1000 / max(requests, 1),
        run.resident,
        sum(f.errors for _, f in run.measured),
    )


def summary_row(figures: tuple[float, ...]) -> str:
    floor_rate, floor, rate, p95, ratio, cpu, resident, errors = figures
    return (
        f"{floor_rate:>12.1f}{floor:>10.1f}{rate:>10.1f}{p95:>9.1f}{ratio:>13.1f}×{cpu:>8.1f}"
        f"{resident:>8.0f}{errors:>7.0f}"
    )


def print_runs(runs: list[Run]) -> None:
    header = (
        f"{'engine':<10}{'workers':>8}{'round':>6}  {'route':<21}{'requests':>9}{'errors':>7}"
        f"{'p50':>8}{'p95':>8}{'p99':>8}{'req/s':>8}{'p95/floor':>10}{'srv CPU':>8}"
        f"{'db CPU':>7}{'load1':>6}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        floor = run.measured[0][1].percentile(0.95)
        for route, figures in run.measured:
            count = len(figures.latencies)
            p95 = figures.percentile(0.95)
            print(
                f"{run.engine:<10}{run.workers:>8}{run.round:>6}  {route.label:<21}{count:>9}"
                f"{figures.errors:>7}{figures.percentile(0.50):>8.1f}{p95:>8.1f}"
                f"{figures.percentile(0.99):>8.1f}{count / figures.seconds:>8.1f}"
                f"{p95 / floor:>9.1f}×{figures.app_cpu * 1000 / max(count, 1):>8.1f}"
                f"{figures.db_cpu * 1000 / max(count, 1):>7.1f}{figures.load:>6.2f}"
            )
        print()
    print("summary: floor = /healthz; app = the five portal routes (geometric means)\n")
    header = (
        f"{'engine':<10}{'workers':>8}{'round':>6}{'floor req/s':>12}{'floor p95':>10}"
        f"{'app req/s':>10}{'app p95':>9}{'app p95/floor':>14}{'srv CPU':>8}{'RSS MiB':>8}"
        f"{'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    summaries = [(run, summary(run)) for run in runs]
    for run, figures in summaries:
        print(f"{run.engine:<10}{run.workers:>8}{run.round:>6}" + summary_row(figures))
    rounds = max(run.round for run in runs)
    if rounds > 1:
        print(f"{'mean of the rounds':^24}")
        groups: dict[tuple[str, int], list[tuple[float, ...]]] = {}
        for run, figures in summaries:
            groups.setdefault((run.engine, run.workers), []).append(figures)
        for (engine, workers), rows in groups.items():
            means = tuple(sum(column) / len(column) for column in zip(*rows, strict=True))
            print(f"{engine:<10}{workers:>8}{'mean':>6}" + summary_row(means))
    print(
        "\np50/p95/p99 in ms; srv CPU, db CPU: CPU ms per request of the server's processes and of"
        "\nPostgreSQL (summary: over the app routes' requests); load1: 1-minute load average at the"
        "\nend of the route; RSS: resident memory of the server's processes after the last route."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", nargs="+", default=list(ENGINES),
                        choices=[*ENGINES, "serve"], help="in this order")  # fmt: skip
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="process counts")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (serve's)")
    parser.add_argument("--targets", type=int, default=500_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per route")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per route, not counted")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat all; every other round in reverse order")  # fmt: skip
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--quick", action="store_true", help="20,000 / 40,000 / 20 orgs, 5 s")
    parser.add_argument("--run-waitress", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_waitress:
        run_waitress(*args.run_waitress)
        return
    if args.quick:
        args.targets, args.results, args.organisations = 20_000, 40_000, 20
        args.duration, args.warmup = 5.0, 2.0

    from shuangsuiji_demo.pgcluster import PostgresUnavailable, throwaway_cluster

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sjs-servers-") as tmp, contextlib.ExitStack() as stack:
        tmp_path = Path(tmp)
        try:
            url = stack.enter_context(throwaway_cluster("servers"))
        except PostgresUnavailable as error:
            raise SystemExit(f"PostgreSQL unavailable: {error}") from error
        env = portal.production_env(url, tmp_path)
        print(f"loading {args.organisations} organisations, {args.targets:,} targets, "
              f"{args.results:,} results …", flush=True)  # fmt: skip
        picks_path = tmp_path / "picks.json"
        sizes = json.loads(
            portal.run_child(
                "--load",
                [str(picks_path), "--targets", str(args.targets), "--results", str(args.results),
                 "--organisations", str(args.organisations), "--seed", str(args.seed)],
                env,
            ).splitlines()[-1]
        )  # fmt: skip
        picks = json.loads(picks_path.read_text())
        postmaster = sizes.pop("_postmaster")
        print(f"loaded in {sizes.pop('load_seconds')} s: "
              + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))  # fmt: skip
        order = [(engine, workers) for workers in args.workers for engine in args.engines]
        runs = []
        for round_ in range(1, args.rounds + 1):
            for engine, workers in order if round_ % 2 else reversed(order):
                run = measure(engine, workers, round_, args, env, tmp_path, picks, postmaster)
                runs.append(run)
        runs.sort(key=lambda run: (run.workers, order.index((run.engine, run.workers)), run.round))
    print(
        f"\n{args.concurrency} concurrent keep-alive clients, {args.threads} threads per worker, "
        f"{args.duration:g} s per route after {args.warmup:g} s warm-up; times in ms\n"
    )
    print_runs(runs)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{(time.monotonic() - started) / 60:.1f} minutes in all")  # fmt: skip
    errors = sum(f.errors for run in runs for _, f in run.measured)
    if errors:
        print(f"\n{errors} requests failed (status other than 200/304)")
        sys.exit(1)


if __name__ == "__main__":
    main()
