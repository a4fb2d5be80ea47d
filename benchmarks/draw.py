"""Benchmark of SHUANGSUIJI-DRAW-v1 at a county-wide scale.

    python benchmarks/draw.py [--scale 1.0] [--keep DIR]

Builds a bundle of 1,000,000 candidates in 5 strata, 20,000 inspectors in 50 regions and
quotas giving 50,000 tasks (all multiplied by --scale), then runs `draw compute` and
`draw verify` each in its own process, measuring wall-clock time and that process's peak
memory. For scale it also times the floor (one bare SHA-256 per candidate id) and what
other systems do (`random.sample` of the same k per stratum).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shuangsuiji.draw import EntropyValue, Source, render_entropy, render_params

GOAL_SECONDS = 10.0
GOAL_MIB = 2048
TAGS = ["噪声", "固废", "土壤", "大气", "危废", "水", "辐射"]
REASONS = ["年度已检查2次", "停产", "上级已检查未发现问题"]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# (code, share of the pool, k per 1,000,000 candidates): the k add up to 50,000 tasks.
STRATA = [
    ("SPECIAL", 0.02, 10_000),
    ("KEY", 0.10, 25_000),
    ("GEN", 0.80, 12_000),
    ("BUILD", 0.05, 2_500),
    ("JOINT", 0.03, 500),
]
SOURCES = [
    Source(type="lottery", label="中国福利彩票双色球 2026045 期"),
    Source(type="witness", label="监督员 甲"),
]


def build(folder: Path, scale: float, rng: random.Random) -> dict[str, list[str]]:
    """Write the bundle; return the eligible ids of each stratum for the baselines."""
    pool_size = round(1_000_000 * scale)
    regions = [f"1301{n:02d}" for n in range(50)]
    ids: set[str] = set()
    while len(ids) < pool_size:
        ids.add("9113" + "".join(rng.choices(ALPHABET, k=14)))
    codes = rng.choices([s[0] for s in STRATA], weights=[s[1] for s in STRATA], k=pool_size)
    eligible: dict[str, list[str]] = {code: [] for code, _, _ in STRATA}
    lines = []
    for uid, code in zip(sorted(ids), codes, strict=True):
        weight = rng.choice((2, 3, 4, 5)) if code == "GEN" and rng.random() < 0.3 else 1
        tags = ",".join(sorted(rng.sample(TAGS, rng.randint(0, 3)), key=str.encode))
        if rng.random() < 0.08:
            lines.append(
                f"{uid}|{code}|{rng.choice(regions)}|{weight}|0|{tags}|{rng.choice(REASONS)}"
            )
        else:
            lines.append(f"{uid}|{code}|{rng.choice(regions)}|{weight}|1|{tags}|")
            eligible[code].append(uid)
    (folder / "pool.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    roster = []
    inspectors = [f"1301{n:07d}" for n in range(round(20_000 * scale))]
    for number, inspector in enumerate(inspectors):
        tags = ",".join(sorted(rng.sample(TAGS, rng.randint(1, 3)), key=str.encode))
        senior = int(rng.random() < 0.3)
        load, cap = rng.randint(0, 5), rng.randint(10, 40)
        roster.append(f"{inspector}|{regions[number % 50]}|{senior}|{tags}|{load}|{cap}")
    (folder / "roster.txt").write_text("".join(line + "\n" for line in roster), encoding="utf-8")

    pairs = {
        f"{rng.choice(inspectors)}|{rng.choice(lines)[:18]}" for _ in range(round(5_000 * scale))
    }
    conflicts = "".join(line + "\n" for line in sorted(pairs))
    (folder / "conflicts.txt").write_text(conflicts, encoding="utf-8")

    strata = [
        {"code": code, "k": round(k * scale), "name": code, "basis": "基准测试"}
        for code, _, k in STRATA
    ]
    (folder / "params.json").write_bytes(
        render_params(
            draw_id="BENCH-2026Q2-1",
            team_size=2,
            strata=strata,
            sources=SOURCES,
            committed_at="2026-04-01T09:00:00+08:00",
        )
    )
    values = [
        EntropyValue(type=s.type, label=s.label, value=v)
        for s, v in zip(SOURCES, ["5.11.13.18.23.31./2./", "578417054"], strict=True)
    ]
    (folder / "entropy.json").write_bytes(render_entropy(values))
    (folder / "salt.hex").write_text(os.urandom(32).hex() + "\n")
    for stale in ("commitment.json", "result.json"):  # from an earlier run with --keep
        (folder / stale).unlink(missing_ok=True)
    return eligible


def run(command: str, folder: Path) -> tuple[float, float, float]:
    """Run one CLI step in a fresh process: wall seconds, CPU seconds (its helper process
    included) and peak resident MiB (the larger of the step and its helper)."""
    code = "import sys; from shuangsuiji.draw.cli import main; sys.exit(main(sys.argv[1:]))"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, "draw", command, str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(
            f"draw {command} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


def baselines(eligible: dict[str, list[str]], scale: float) -> tuple[float, float]:
    ids = [uid.encode() for stratum in eligible.values() for uid in stratum]
    sha256 = hashlib.sha256
    start = time.perf_counter()
    for uid in ids:
        sha256(uid).digest()
    floor = time.perf_counter() - start
    rng = random.Random()
    start = time.perf_counter()
    for code, _, k in STRATA:
        rng.sample(eligible[code], min(round(k * scale), len(eligible[code])))
    sample = time.perf_counter() - start
    return floor, sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every size (default 1.0)"
    )
    parser.add_argument("--keep", type=Path, help="write the bundle here and keep it")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each step N times, report the fastest"
    )
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="draw-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        eligible = build(folder, args.scale, random.Random(20260401))
        size = (folder / "pool.txt").stat().st_size / 2**20
        print(
            f"scale {args.scale}: pool {round(1_000_000 * args.scale):,} candidates "
            f"({size:.0f} MiB), roster {round(20_000 * args.scale):,}, "
            f"tasks {sum(round(k * args.scale) for *_, k in STRATA):,}; "
            f"built in {time.perf_counter() - start:.1f} s"
        )
        runs: dict[str, list[tuple[float, float, float]]] = {"compute": [], "verify": []}
        for _ in range(args.repeat):  # interleaved, so a busy moment hits both steps alike
            (folder / "result.json").unlink(missing_ok=True)
            for command, measured in runs.items():
                measured.append(run(command, folder))
        steps = {command: min(measured) for command, measured in runs.items()}  # least disturbed
        if args.repeat > 1:
            for command, measured in runs.items():
                print(f"{command} runs: " + ", ".join(f"{wall:.2f} s" for wall, _, _ in measured))
        floor, sample = baselines(eligible, args.scale)
        for command, (wall, cpu, mib) in steps.items():
            ok = wall <= GOAL_SECONDS and mib <= GOAL_MIB
            print(
                f"{command:8s} {wall:6.2f} s wall ({cpu:5.2f} s CPU)   peak {mib:5.0f} MiB   "
                f"goal <= {GOAL_SECONDS:.0f} s, <= {GOAL_MIB} MiB: {'ok' if ok else 'OVER GOAL'}"
            )
        compute_s, verify_s = steps["compute"][0], steps["verify"][0]
        print(
            f"floor: one bare sha256 per eligible id   {floor:6.2f} s   "
            f"compute/floor {compute_s / floor:5.1f}x   verify/floor {verify_s / floor:5.1f}x"
        )
        print(
            f"random.sample of the same k per stratum  {sample:6.3f} s   "
            f"compute/random.sample {compute_s / sample:,.0f}x"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} CPUs)")
    finally:
        if args.keep is None:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
