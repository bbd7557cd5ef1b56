"""Benchmark: the GP practice scorecard on the real files.

Measures, in a scratch copy of the project:
  * (first, untimed: the RTT and organisation tables, which name the ICBs, their practices and
    the data month)
  * the scorecard for all of England (every practice in the sources): read, GX gates, tidy
    table, limits, comparisons, bands, scores, in a fresh process, with its peak memory (RSS);
  * practice packs for every default practice (params.yaml scorecard_report.organisation) the
    project's way: the work every pack shares (published indicators, funnel limits, the funnel
    picture) done once, the packs rendered on every core (``--workers``);
  * in the same run, the naive loop as the baseline: per practice, the ``papermill`` command
    (new process, new kernel, imports) then ``jupyter nbconvert --to html --no-input``.
Prints the ratio, and the packs' sizes (min, median, max). Targets (issue): packs at least 40x
faster per pack than the naive loop, each at most 150 KB; all England under 60 s. The naive loop costs
several seconds a pack, so by default it runs on the first ``--naive`` practices and its per-pack
time is compared (``--naive all`` runs every one).

    .venv/bin/python bench/bench_scorecard.py [--inputs ../shared/data/real] [--naive 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, copy_project, python, run_checked

SOURCES = ["fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments", "gp_practice_reference"]

PREPARE = """
import importlib, sys
from pathlib import Path
from helpers.core.config import Project
from helpers.pipeline import inputs, settings, stages
root = Path.cwd()
found, _ = inputs.locate_sources([sys.argv[1], "data/raw"], stages.sources(), root)
for name in ("cleanse_rtt", "cleanse_organisation"):  # the data months and the ICBs' practices
    spec = stages.by_name()[name]
    importlib.import_module(spec.module).run({s: Path(found[s]) for s in spec.sources},
                                             settings.for_stage(spec, root), Project(root))
"""

SCORECARD = """
import json, resource, sys, time
from pathlib import Path
started = time.perf_counter()
from helpers.core.config import Project
from helpers.domains.scorecard import cleanse as scorecard_cleanse
from helpers.pipeline import settings, stages
root = Path.cwd()
inputs = {s: Path(sys.argv[1]) / s for s in json.loads(sys.argv[2])}
result = scorecard_cleanse.run(inputs, settings.for_stage(stages.by_name()["cleanse_scorecard"], root), Project(root))
print(json.dumps({"seconds": time.perf_counter() - started, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "practices": int(result.tables["scores"]["practice_code"].nunique()),
                  "rows": len(result.tables["indicators"]), "quarantined": len(result.tables["quarantine"])}))
"""

PACKS = """
import json, sys, time
from pathlib import Path
if __name__ == "__main__":
    started = time.perf_counter()
    from helpers.core.config import Project
    from helpers.domains.scorecard import packs
    from helpers.pipeline import settings, stages
    root = Path.cwd()
    out = root / "build" / "bench_packs"
    entries = packs.build_all(Project(root), settings.for_stage(stages.by_name()["packs_scorecard"], root), out_dir=out,
                              workers=int(sys.argv[1]))
    print(json.dumps({"seconds": time.perf_counter() - started, "packs": len(entries),
                      "codes": [e["practice_code"] for e in entries],
                      "sizes_kb": [(out / e["file"]).stat().st_size / 1024 for e in entries]}))
"""


def run_json(code: str, cwd: Path, *args: str) -> dict:
    return json.loads(python(code, cwd, *args).strip().splitlines()[-1])


def naive_loop(project: Path, codes: list[str]) -> float:
    """Papermill CLI then nbconvert CLI per practice, as an analyst's shell loop would."""
    bindir = Path(sys.executable).parent
    out = project / "build" / "naive_packs"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for code in codes:
        executed = out / f"{code}.ipynb"
        for command in (
            [str(bindir / "papermill"), "notebooks/templates/practice_pack.ipynb", str(executed),
             "-p", "practice_code", code, "--cwd", str(project), "--no-progress-bar"],
            [str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
        ):
            run_checked(command, project)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", default=str(ROOT.parent / "shared" / "data" / "real"))
    parser.add_argument("--naive", default="10", help="practices for the naive loop, or 'all'")
    parser.add_argument("--workers", type=int, default=0, help="processes for the packs (default: one per core)")
    args = parser.parse_args()
    inputs = Path(args.inputs).resolve()
    with tempfile.TemporaryDirectory(prefix="bench_scorecard_") as scratch:
        project = copy_project(Path(scratch))
        python(PREPARE, project, str(inputs))
        england = run_json(SCORECARD, project, str(inputs), json.dumps(SOURCES))
        print(f"Scorecard, all of England: {england['practices']:,} practices, {england['rows']:,} indicator rows, "
              f"{england['quarantined']:,} quarantined; {england['seconds']:.1f} s (target < 60 s), "
              f"peak memory {england['peak_kb'] / 1024:.0f} MB", flush=True)
        fast = run_json(PACKS, project, str(args.workers))
        per_fast = fast["seconds"] / max(fast["packs"], 1)
        print(f"Packs, shared work once, rendered on {args.workers or 'every'} core(s): {fast['packs']} packs in "
              f"{fast['seconds']:.1f} s ({per_fast:.3f} s a pack, process start, imports and shared work included)",
              flush=True)
        sizes = sorted(fast["sizes_kb"]) or [0.0]
        print(f"Pack size: min {sizes[0]:.0f} KB, median {statistics.median(sizes):.0f} KB, max {sizes[-1]:.0f} KB "
              f"(target <= 150 KB)", flush=True)
        codes = fast["codes"] if args.naive == "all" else fast["codes"][: int(args.naive)]
        naive = naive_loop(project, codes)
        per_naive = naive / len(codes)
        print(f"Packs, naive loop (papermill CLI + jupyter nbconvert per practice): {len(codes)} packs in "
              f"{naive:.1f} s ({per_naive:.2f} s a pack)")
        print(f"Speed-up per pack: {per_naive / per_fast:.1f}x (target >= 40x); all {fast['packs']} packs the naive "
              f"way would take about {per_naive * fast['packs']:.0f} s against {fast['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
