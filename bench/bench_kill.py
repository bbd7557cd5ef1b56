"""Kill the pipeline with SIGKILL at random moments and check that nothing a reader sees breaks.

On a throwaway copy of the project: one good run, then for each trial some real work is made
for the next run (in turn: ``--force``; a new file in the RTT inputs folder; a scorecard report
parameter; the publish title), the run is started in its own session and, at a moment drawn
uniformly within that kind of run's measured duration, SIGKILL goes to its process group and to
every descendant (Jupyter kernels start sessions of their own). Then:

- ``reports/index.html``, ``reports/latest`` and every edition the index links to are whole
  (pages end, every local link resolves, as a browser resolves it);
- ``latest`` is byte for byte the last good edition, unless the killed run had swapped in a new
  one, which must then be complete and hold the same files (Data Docs aside);
- every visible file in ``data/processed`` reads whole;
- a recovery run (``python -m helpers.pipeline run``, no options) exits 0, and the checks pass
  again with no temporary leftovers.

    python bench/bench_kill.py [--trials 20] [--seed 7]

Prints a line per trial and a summary; exits 1 if any trial failed. About 90 s per trial on
two cores (a fresh project needs a first run of about 2-3 minutes, and one run of each kind
is timed before the trials).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from common import copy_project
from helpers.pipeline import integrity

KINDS = ["force", "rtt input", "scorecard params", "publish params"]


def run_env(project: Path) -> dict:
    """The copy runs its own code (not the checkout's, which may change while this runs)."""
    return dict(os.environ, PYTHONPATH=str(project / "src"), NHS_ANALYTICS_ROOT=str(project))


def command(kind: str) -> list[str]:
    return [sys.executable, "-m", "helpers.pipeline", "run", *(["--force"] if kind == "force" else [])]


def make_work(project: Path, kind: str, n: int) -> None:
    """Change something so that the next run has work of the given kind to do."""
    params = project / "params.yaml"
    if kind == "rtt input":  # a note beside the extracts: the folder changed, the file is passed over
        (project / "data/raw/rtt_full_csv" / f"notes-{n}.txt").write_text(f"refresh {n}\n")
    elif kind in ("scorecard params", "publish params"):
        line = {"scorecard params": "  title: GP practice balanced scorecard",
                "publish params": "  title: Commissioner performance reports"}[kind]
        text = re.sub(rf"^{re.escape(line)}( \(refresh \d+\))?$", f"{line} (refresh {n})", params.read_text(),
                      count=1, flags=re.M)
        params.write_text(text)


def run_to_end(project: Path, kind: str) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command(kind), cwd=project, env=run_env(project), capture_output=True, text=True)
    return time.perf_counter() - started, done


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL to the run's process group and every process descended from it."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in family:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()
    psutil.wait_procs(family, timeout=10)


def stage_at_kill(output: str) -> str:
    if "Done in" in output:
        return "(finished)"
    stages = re.findall(r"Running stage '([^']+)'", output)
    return stages[-1] if stages else "(dvc start-up)"


def state(project: Path) -> dict:
    reports = project / "reports"
    latest = (reports / "latest").resolve()
    return {"latest": latest.name, "digest": integrity.tree_digest(latest),
            "index": (reports / "index.html").read_bytes(),
            "files": {str(p.relative_to(latest)) for p in latest.rglob("*")
                      if p.is_file() and p.relative_to(latest).parts[0] != "data-docs"}}


def check_after_kill(project: Path, good: dict) -> tuple[str, list[str]]:
    reports = project / "reports"
    problems = integrity.reports_problems(reports) + integrity.processed_problems(project / "data/processed")
    if problems:
        return "broken", problems
    latest = (reports / "latest").resolve()
    if latest.name == good["latest"]:
        if integrity.tree_digest(latest) != good["digest"]:
            return "changed", [f"{latest}: the last good edition changed"]
        if (reports / "index.html").read_bytes() != good["index"]:
            return "changed", ["reports/index.html changed but latest did not"]
        return "previous edition intact", []
    new = state(project)
    if new["files"] != good["files"]:
        return "incomplete", [f"new edition {latest.name} differs in files: "
                              f"{sorted(new['files'] ^ good['files'])[:5]}"]
    return "new edition complete", []


def check_after_recovery(project: Path) -> list[str]:
    problems = integrity.reports_problems(project / "reports") + integrity.processed_problems(project / "data/processed")
    leftovers = integrity.hidden_leftovers(project / "data/processed", project / "reports/editions",
                                           project / "reports", project / "build/executed")
    return problems + [f"left over: {p}" for p in leftovers]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the project copy (its path is printed)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    begun = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench_kill_"))
    project = copy_project(work)
    print(f"project copy: {project}", flush=True)

    took, done = run_to_end(project, "")
    if done.returncode:
        sys.exit(f"first run failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    durations = {"force": took}
    print(f"first run: {took:.1f} s", flush=True)
    for n, kind in enumerate(KINDS[1:], start=1):  # time one run of each other kind
        make_work(project, kind, n)
        durations[kind], done = run_to_end(project, kind)
        if done.returncode:
            sys.exit(f"timing run ({kind}) failed:\n{done.stderr[-2000:]}")
    print("measured run times: " + ", ".join(f"{k} {v:.1f} s" for k, v in durations.items()), flush=True)

    print(f"\n{'trial':>5}  {'work':<16} {'kill at':>9}  {'stage at kill':<18} {'after kill':<24} "
          f"{'recovery':>9}  outcome", flush=True)
    failures, outcomes = 0, {}
    for trial in range(1, args.trials + 1):
        kind = KINDS[(trial - 1) % len(KINDS)]
        good = state(project)
        make_work(project, kind, 100 + trial)
        at = rng.uniform(0, durations[kind])
        with open(work / f"trial{trial}.log", "w+") as out:
            process = subprocess.Popen(command(kind), cwd=project, env=run_env(project), stdout=out,
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True)
            time.sleep(at)
            kill_tree(process)
            out.seek(0)
            stage = stage_at_kill(out.read())
        after, problems = check_after_kill(project, good)
        started = time.perf_counter()
        recovered = subprocess.run(command(""), cwd=project, env=run_env(project), capture_output=True, text=True)
        recovery = time.perf_counter() - started
        if recovered.returncode:
            problems.append(f"recovery run exited {recovered.returncode}: {recovered.stderr[-1500:]}")
        else:
            problems += check_after_recovery(project)
        outcome = "ok" if not problems else "FAILED"
        failures += bool(problems)
        outcomes[after] = outcomes.get(after, 0) + 1
        print(f"{trial:>5}  {kind:<16} {at:>7.1f} s  {stage:<18} {after:<24} {recovery:>7.1f} s  {outcome}", flush=True)
        for problem in problems[:8]:
            print(f"         {problem}", flush=True)
        notes = [line for line in recovered.stdout.splitlines() if line.startswith("Recovered:")]
        for note in notes:
            print(f"         {note[:200]}", flush=True)

    print(f"\n{args.trials - failures} of {args.trials} trials passed; after the kill: "
          + ", ".join(f"{v} {k}" for k, v in sorted(outcomes.items()))
          + f"; {(time.perf_counter() - begun) / 60:.1f} min in all", flush=True)
    if not args.keep:
        subprocess.run(["rm", "-rf", str(work)])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
