"""CSV downloads of the key processed tables, safe to open in a spreadsheet.

Organisation and scheme names come from publishers' and teams' files; a cell such as
``=HYPERLINK("http://x","y")`` would run as a formula in Excel or LibreOffice. Text cells that
begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are therefore written with a
leading apostrophe, which spreadsheets show as text; number columns are written as they are.
The tables are chosen in ``params.yaml`` (``publish: csv_exports:``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GROUP = "downloads"  # where the edition's index lists them


def neutralise(value):
    """Text that a spreadsheet would read as a formula, prefixed so it stays text; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out


QUARANTINE = "_quarantine"  # every stage's rows set aside: <domain>_quarantine, always offered


def with_quarantines(processed_dir: Path, tables: list[str]) -> list[str]:
    """``tables`` and every stage's quarantine table (the rows the data-quality appendix counts)."""
    quarantines = sorted(p.stem for p in processed_dir.glob(f"*{QUARANTINE}.parquet"))
    return list(dict.fromkeys([*tables, *quarantines]))


def write(processed_dir: Path, dest: Path, tables: list[str]) -> list[dict]:
    """Each named ``<table>.parquet`` as ``dest/<table>.csv`` (UTF-8 with BOM, for Excel); index entries.

    A table not in ``processed_dir`` is an error: the list in params.yaml names tables that exist.
    """
    entries = []
    for table in tables:
        source = processed_dir / f"{table}.parquet"
        if not source.exists():
            raise FileNotFoundError(f"publish.csv_exports names {table}, but {source} does not exist")
        dest.mkdir(parents=True, exist_ok=True)
        frame = safe_frame(pd.read_parquet(source))
        # text quoted (a CR inside a name stays inside its cell), numbers bare
        frame.to_csv(dest / f"{table}.csv", index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)
        entries.append({"title": f"{table}.csv", "href": f"{dest.name}/{table}.csv",
                        "note": f"({len(frame):,} rows)", "group": GROUP})
    return entries
