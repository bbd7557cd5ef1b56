"""Benchmark: the referral gateway cleanse on one million referrals (a large centre's year).

Generates a synthetic extract of about a million referrals (the sample's months scaled up, with
NHS number, name and date of birth columns), then measures, each in its own process:
  * the cleanse stage's work: read, drop identifiers, raw GX gate, row checks and quarantine,
    processed gates, every summary table (monthly, backlog, waits, transfers, practices), writes;
  * the baseline, in the same run: a plain ``pandas.read_csv`` of the same file.
Prints time and peak memory of each and their ratio. Targets (issue): under 30 s, under 2 GB.

    .venv/bin/python bench/bench_referrals.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import ROOT, python

BASELINE = """
import resource, sys, time
import pandas as pd
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1], keep_default_na=False, na_values=[""])
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(frame))
"""

CLEANSE = """
import logging, resource, sys, time
from pathlib import Path
logging.getLogger("great_expectations").setLevel(logging.ERROR)
from helpers.domains.referrals import cleanse as referrals_cleanse
folder, out, root = (Path(a) for a in sys.argv[1:4])
started = time.perf_counter()
result = referrals_cleanse.cleanse_referrals(folder, out / "processed", out / "validation", root)
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, result.rows_read,
      result.tables["quarantine"]["line"].nunique(), int(result.tables["headline"]["not_booked"].iloc[0]))
"""


def child(code: str, *args) -> list[str]:
    return python(code, ROOT, *args).split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="folder to write (and reuse) the generated extract in")
    args = parser.parse_args()
    from helpers.synthetic import referrals as synthetic

    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.keep or Path(scratch)) / "referral_gateway"
        extract = folder / "SYNTHETIC_referral_extract_20110512.csv"
        if not extract.exists():
            started = time.perf_counter()
            synthetic.write_extract(extract, args.rows)
            print(f"generated {extract.name} ({extract.stat().st_size / 1e6:,.0f} MB) in "
                  f"{time.perf_counter() - started:.0f} s")
        base_s, base_kb, rows = child(BASELINE, extract)
        clean_s, clean_kb, read, held, backlog = child(CLEANSE, folder, Path(scratch) / "out", ROOT)
    base_s, clean_s = float(base_s), float(clean_s)
    base_mb, clean_mb = int(base_kb) / 1024, int(clean_kb) / 1024
    print(f"referrals: {int(read):,} read, {int(held):,} quarantined, {int(backlog):,} not booked at the as-at date")
    print(f"{'':28}{'seconds':>10}{'peak MB':>10}")
    print(f"{'plain pandas read_csv':28}{base_s:>10.1f}{base_mb:>10,.0f}")
    print(f"{'cleanse + summary':28}{clean_s:>10.1f}{clean_mb:>10,.0f}")
    print(f"{'ratio':28}{clean_s / base_s:>10.1f}{clean_mb / base_mb:>10.1f}")
    ok = clean_s < 30 and clean_mb < 2048
    print(f"targets (under 30 s, under 2,048 MB): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
