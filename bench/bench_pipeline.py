"""Benchmark: a full refresh, a refresh with nothing to do, and one with a report parameter changed.

Measures, in a scratch copy of the project, ``python -m helpers.pipeline run`` on the inputs given
(default: the shipped samples, the pipeline's default data):
  * cold: every stage, from a fresh copy (best of ``--repeat``),
  * no-op: nothing changed (best of 3),
  * one report parameter changed (``rtt_report.max_providers``): only the stages that read it and
    publish re-run (the RTT page, the board paper, which embeds its section, and publish),
  * optionally (``--dvc-repro``) a cold plain ``dvc repro``, each stage in a process of its own,
    one after another, as the pipeline ran before the runner,
and, as the baseline measured in the same run, a plain ``pandas.read_csv`` of the largest input
file in a fresh process (importing pandas and reading). Each figure is printed beside the
baseline as a ratio, with the CPU seconds it used, the machine's load before and after, and the
cold run's stage timings. Targets (issue "A full refresh in seconds", on two cores): cold at most
30 s, no-op at most 1.5 s, a changed report parameter re-published in at most 10 s.

    .venv/bin/python bench/bench_pipeline.py [--inputs data/raw] [--repeat 1] [--dvc-repro]
    .venv/bin/python bench/bench_pipeline.py --inputs ../shared/data/real data/raw   # real files first
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, copy_project, python, run_checked

BASELINE = """
import sys, time
started = time.perf_counter()
import pandas as pd
imported = time.perf_counter()
frame = pd.read_csv(sys.argv[1], keep_default_na=False, na_values=[""], low_memory=False)
print(time.perf_counter() - started, time.perf_counter() - imported, len(frame))
"""
PARAMETER = ("  max_providers: 15", "  max_providers: 4")  # rtt_report: the RTT page's provider table


def largest_input(folders: list[Path]) -> Path:
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file() and ".csv" in p.name]
    return max(files, key=lambda p: p.stat().st_size)


def timed_run(command: list[str], cwd: Path) -> dict:
    """Wall and CPU seconds of a run (its kernels included), and the stages its summary lists."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    run_checked(command, cwd)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads((cwd / "build" / "last_run.json").read_text()) if (cwd / "build" / "last_run.json").exists() else {}
    return {"wall": wall, "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "stages": [s for s in summary.get("stages", []) if s["status"] == "ran"]}


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["wall"])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", nargs="+", default=["data/raw"], help="inputs folders, as for run")
    parser.add_argument("--repeat", type=int, default=1, help="cold runs to take the best of")
    parser.add_argument("--dvc-repro", action="store_true", help="also time a cold plain `dvc repro`")
    args = parser.parse_args()
    folders = [(ROOT / f).resolve() if not Path(f).is_absolute() else Path(f) for f in args.inputs]
    largest = largest_input(folders)
    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) at the start: {load()}", flush=True)
    command = [sys.executable, "-m", "helpers.pipeline", "run", "--inputs", *map(str, folders)]

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        cold = []
        for attempt in range(args.repeat):
            project = copy_project(scratch / f"project{attempt}")
            print(f"Cold run {attempt + 1} of {args.repeat} ...", flush=True)
            cold.append(timed_run(command, project))
        print("No-op runs ...", flush=True)
        noop = best([timed_run(command, project) for _ in range(3)])
        print("A report parameter changed ...", flush=True)
        params = project / "params.yaml"
        text = params.read_text()
        assert text.count(PARAMETER[0]) == 1, f"{PARAMETER[0]!r} not found once in params.yaml"
        params.write_text(text.replace(*PARAMETER))
        changed = timed_run(command, project)
        sequential = None
        if args.dvc_repro:
            print("Cold plain dvc repro ...", flush=True)
            by_hand = copy_project(scratch / "by_hand")
            run_checked([sys.executable, "-c", "import sys; from pathlib import Path; "
                         "from helpers.pipeline import inputs, stages; "
                         "found, _ = inputs.locate_sources(sys.argv[1:], stages.sources(), Path.cwd()); "
                         "inputs.write_run_file(found, Path.cwd())", *map(str, folders)], by_hand)
            sequential = timed_run([sys.executable, "-m", "dvc", "repro"], by_hand)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # before the baseline runs
        print(f"Baseline: plain pandas read of {largest.name}", flush=True)
        out = python(BASELINE, ROOT, largest).split()
        base, read_only, rows = float(out[0]), float(out[1]), int(out[2])
    coldest = best(cold)

    print(f"\nLargest input: {largest} ({largest.stat().st_size / 1e6:.1f} MB, {rows:,} rows); "
          f"plain read {read_only:.2f} s, with importing pandas {base:.2f} s (the baseline)")
    print(f"{'measure':<44}{'seconds':>9}{'cpu s':>8}{'ratio':>10}{'target':>9}")
    lines = [("cold refresh (every stage)", coldest, 30), ("no-op refresh (nothing changed)", noop, 1.5),
             ("report parameter changed (rtt_report)", changed, 10)]
    if sequential:
        lines.append(("cold plain dvc repro (before the runner)", sequential, None))
    for name, run, target in lines:
        verdict = "" if target is None else f"{'<=' if run['wall'] <= target else '> '} {target:g}"
        print(f"{name:<44}{run['wall']:>9.1f}{run['cpu']:>8.1f}{run['wall'] / base:>9.0f}x{verdict:>9}")
    print(f"{'peak memory, largest process (MB)':<44}{peak_kb / 1024:>9.0f}")
    print(f"ratio: seconds / baseline ({base:.2f} s); cpu s: user + system of the run and its kernels")
    if sequential:
        print(f"runner vs plain dvc repro, cold: {sequential['wall'] / coldest['wall']:.1f}x faster, "
              f"{sequential['cpu'] / coldest['cpu']:.1f}x less CPU")
    print("stages re-run after the parameter change: " + ", ".join(s["stage"] for s in changed["stages"]))
    print("cold run, seconds per stage (stages overlap): "
          + ", ".join(f"{s['stage']} {s['seconds']:.1f}" for s in coldest["stages"]))
    print(f"load average (1, 5, 15 min) at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
