"""Check that runs on other Pythons produced the same processed tables as a reference run.

    python tests/tools/compare_processed.py REFERENCE OTHER [OTHER ...]

Each argument is a project folder (or its ``data/processed`` folder). Every ``*.parquet`` table
in either must be in both, with the same columns in the same order, the same types, the same
index and the same values row by row. Floating-point values may differ by float noise only
(relative 1e-9, absolute 1e-12) and NaN equals NaN; nothing else has a tolerance. Text that
names a run's own folder is compared with that folder written as ``<project>``, since each run
lives in a different place. Every difference is printed with its table, column and first rows;
the exit code is 1 when there is any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

RTOL, ATOL = 1e-9, 1e-12
SHOWN = 3  # differing rows printed per column


def processed_dir(folder: Path) -> Path:
    return folder / "data" / "processed" if (folder / "data" / "processed").is_dir() else folder


def project_of(processed: Path) -> Path:
    """The project folder around a ``data/processed`` folder (itself if it is not one)."""
    return processed.parents[1] if processed.parts[-2:] == ("data", "processed") else processed


def _is_float(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series.dtype)


def _same_value(a, b) -> bool:
    """One cell against another, for columns that pandas cannot compare in one go (lists, dicts)."""
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    if pd.api.types.is_scalar(a) and pd.api.types.is_scalar(b) and pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b)


def same_cells(a: pd.Series, b: pd.Series) -> np.ndarray:
    """A boolean per row: does ``b`` hold what ``a`` does (float noise aside)?"""
    if _is_float(a) and _is_float(b):
        x, y = a.to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
        return np.isclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True)
    try:
        equal = (a.isna().to_numpy() & b.isna().to_numpy()) | (a == b).fillna(False).to_numpy(dtype=bool)
        return equal
    except (TypeError, ValueError):  # cells holding lists or dicts
        return np.array([_same_value(x, y) for x, y in zip(a, b)], dtype=bool)


def _shown(value) -> str:
    """A cell as Python writes it (numpy's scalars as plain numbers), floats in full."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def compare_frames(name: str, ref: pd.DataFrame, other: pd.DataFrame) -> list[str]:
    """Every difference between two versions of one table, as lines naming table and column."""
    if list(ref.columns) != list(other.columns):
        return [f"{name}: columns differ: reference {list(ref.columns)}, other {list(other.columns)}"]
    if len(ref) != len(other):
        return [f"{name}: {len(ref)} rows in the reference, {len(other)} in the other"]
    problems = []
    if not ref.index.equals(other.index):
        problems.append(f"{name}: the index differs")
    for column in ref.columns:
        a, b = ref[column], other[column]
        if a.dtype != b.dtype:
            problems.append(f"{name}: column {column!r}: type {a.dtype} in the reference, {b.dtype} in the other")
            continue
        rows = np.flatnonzero(~same_cells(a, b))
        if len(rows):
            shown = "; ".join(f"row {r}: {_shown(a.iloc[r])} != {_shown(b.iloc[r])}" for r in rows[:SHOWN])
            problems.append(f"{name}: column {column!r}: {len(rows)} of {len(a)} rows differ ({shown})")
    return problems


def read_table(path: Path) -> pd.DataFrame:
    """A table with its own project folder written as ``<project>`` in text columns."""
    frame = pd.read_parquet(path)
    root = str(project_of(path.parent).resolve())
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype) or frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: v.replace(root, "<project>") if isinstance(v, str) else v)
    return frame


def compare_folders(reference: Path, other: Path) -> list[str]:
    ref_dir, other_dir = processed_dir(reference), processed_dir(other)
    ref_tables = {p.name for p in ref_dir.glob("*.parquet")}
    other_tables = {p.name for p in other_dir.glob("*.parquet")}
    if not ref_tables:
        return [f"{ref_dir}: no processed tables"]
    problems = [f"{name}: only in {where}" for names, where in ((ref_tables - other_tables, ref_dir),
                                                                  (other_tables - ref_tables, other_dir))
                for name in sorted(names)]
    for name in sorted(ref_tables & other_tables):
        problems += compare_frames(name, read_table(ref_dir / name), read_table(other_dir / name))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    reference, *others = map(Path, argv)
    failed = False
    for other in others:
        problems = compare_folders(reference, other)
        tables = len(list(processed_dir(reference).glob("*.parquet")))
        if problems:
            failed = True
            print(f"DIFFERENT: {other} against {reference}:")
            print("\n".join(f"  {p}" for p in problems))
        else:
            print(f"same: {other} against {reference}: {tables} tables, every column equal")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
