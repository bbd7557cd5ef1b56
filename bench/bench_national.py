"""Benchmark: the national run (every ICB's edition, every open practice's pack) on Dask.

Measures, in a scratch copy of the project, ``python -m helpers.pipeline national`` on the inputs
given (default: the real files first, then the samples for the sources they lack):
  * the national run on a LocalCluster of ``--workers`` (default 2) workers, from a fresh copy:
    ICBs and packs published, seconds (the whole command, and the Dask part alone), peak memory
    per worker;
  * scaling: the Dask part again on one worker and on ``--workers`` workers, for the ICBs given
    by ``--scale-icbs`` (default: the first six; ``all`` for every one), the data already
    checked, so that only the editions and packs are timed;
and, as the baseline measured in the same run, a plain ``pandas.read_csv`` of the largest input
file in a fresh process. Targets (issue): the whole national run on the real files within 15
minutes on two cores; two workers at least 1.7x faster than one.

    .venv/bin/python bench/bench_national.py [--inputs ../shared/data/real data/raw] [--workers 2]
                                             [--scale-icbs 6]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import BASELINE, largest_input, load
from common import ROOT, copy_project, python, run_checked


def national(project: Path, folders: list[Path], workers: int, icbs: list[str] | None = None) -> dict:
    command = [sys.executable, "-m", "helpers.pipeline", "national", "--inputs", *map(str, folders),
               "--workers", str(workers), *(["--icb", *icbs] if icbs else [])]
    started = time.perf_counter()
    run_checked(command, project)
    record = json.loads((project / "build" / "national_run.json").read_text())
    record["wall"] = time.perf_counter() - started
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", nargs="+", default=[str(ROOT.parent / "shared" / "data" / "real"), "data/raw"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale-icbs", default="6", help="ICBs timed on one worker and on --workers, or 'all'")
    args = parser.parse_args()
    folders = [(ROOT / f).resolve() if not Path(f).is_absolute() else Path(f) for f in args.inputs]
    largest = largest_input(folders)
    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) at the start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_national_") as scratch:
        project = copy_project(Path(scratch))
        print(f"National run on {args.workers} workers, from a fresh copy ...", flush=True)
        full = national(project, folders, args.workers)
        chosen = None if args.scale_icbs == "all" else sorted(full["icbs"])[: int(args.scale_icbs)]
        print(f"Scaling: {'every ICB' if chosen is None else ', '.join(chosen)} on 1 worker ...", flush=True)
        one = national(project, folders, 1, chosen)
        print(f"... and on {args.workers} workers ...", flush=True)
        many = national(project, folders, args.workers, chosen)
        print(f"Baseline: plain pandas read of {largest.name}", flush=True)
        out = python(BASELINE, ROOT, largest).split()
        base, rows = float(out[0]), int(out[2])

    print(f"\nLargest input: {largest} ({largest.stat().st_size / 1e6:.1f} MB, {rows:,} rows); plain read with "
          f"importing pandas {base:.2f} s (the baseline)")
    peak = ", ".join(f"{mb:.0f} MB" for mb in full["peak_mb_per_worker"].values())
    print(f"National run, {args.workers} workers: {len(full['icbs'])} ICB editions, {full['packs']:,} packs, "
          f"{len(full['failures'])} failures; {full['wall']:.1f} s in all ({full['wall'] / base:.0f}x the baseline; "
          f"target <= 900 s), of which {full['seconds']:.1f} s on Dask; peak memory per worker: {peak}")
    for line in full["failures"]:
        print(f"  failed: {line}")
    speedup = one["seconds"] / many["seconds"]
    print(f"Scaling ({len(one['icbs'])} ICB editions, {one['packs']:,} packs, the Dask part): 1 worker "
          f"{one['seconds']:.1f} s, {args.workers} workers {many['seconds']:.1f} s: {speedup:.2f}x "
          f"(target >= 1.7x); peak memory per worker {', '.join(f'{m:.0f} MB' for m in many['peak_mb_per_worker'].values())}")
    print(f"load average (1, 5, 15 min) at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
