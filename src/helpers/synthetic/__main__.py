"""``python -m helpers.synthetic [--out data/raw] [--only NAME ...]``: regenerate the samples."""

from __future__ import annotations

import argparse
import importlib
import pathlib

GENERATORS = [  # modules of helpers.synthetic, each with generate(out_root)
    "rtt",
    "qipp",  # transcribed from board papers (TRANSCRIBED_ files), not generated figures
    "referrals",
    "scorecard",
    "timeseries",
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.synthetic", description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("data/raw"),
                        help="folder to write the source subfolders into (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=GENERATORS, default=GENERATORS, metavar="NAME",
                        help=f"generators to run (default: all of {', '.join(GENERATORS)})")
    args = parser.parse_args(argv)
    for name in args.only:
        for path in importlib.import_module(f"helpers.synthetic.{name}").generate(args.out):
            print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
