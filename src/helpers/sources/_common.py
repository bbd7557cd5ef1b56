"""What the readers share: file discovery, header checks and number parsing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputMissingError, SourceFormatError

PRACTICE_CODE = re.compile(r"^[A-Z]\d{5}$")  # ODS GP practice code, e.g. H82006


def discover(folder: Path, pattern: str, what: str = "file") -> list[Path]:
    """Files in ``folder`` whose names match ``pattern`` (sorted); missing folder or none -> exit 3.

    ``what`` names the expected file in the message, e.g. "QIPP tracker (XLSX or CSV)".
    """
    if not folder.is_dir():
        raise InputMissingError(f"{folder}: source folder not found (expected a {what} in it)")
    files = sorted(p for p in folder.iterdir() if p.is_file() and re.search(pattern, p.name))
    if not files:
        raise InputMissingError(f"{folder}: no {what} (names matching {pattern!r})")
    return files


def read_text_csv(path: Path, *, encoding: str = "utf-8-sig", header: int | None = 0,
                  names: list[str] | None = None) -> pd.DataFrame:
    """Every cell as text (blank = ''), quoted newlines kept inside their field."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, header=header,
                            names=names, skipinitialspace=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(path, f"not a readable CSV file ({exc.__class__.__name__}: {exc})") from None
    if header == 0:
        frame.columns = [str(c).strip() for c in frame.columns]  # publishers leave trailing spaces
    frame.index = frame.index + (2 if header == 0 else 1)  # file line of each record (header is line 1)
    frame.index.name = "line"
    return frame


def require_columns(frame: pd.DataFrame, path: Path, required: list[str]) -> None:
    """Stop with the first missing column named, and what the file has instead."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceFormatError(path, f"expected column {missing[0]!r} is missing (found: "
                                      f"{', '.join(map(repr, frame.columns[:30]))})", column=missing[0])


def to_number(frame: pd.DataFrame, column: str, path: Path, *, blank_ok: bool = True) -> pd.Series:
    """Text to float; blanks -> NaN; any other non-number stops with its line and value."""
    text = frame[column].astype(str).str.strip().str.replace(",", "", regex=False)
    values = pd.to_numeric(text.replace({"": np.nan, "-": np.nan}), errors="coerce")
    bad = values.isna() & ~text.isin(["", "-"])
    if bad.any():
        line = bad[bad].index[0]
        raise SourceFormatError(path, f"{text[line]!r} is not a number", line=int(line), column=column)
    if not blank_ok and values.isna().any():
        line = values[values.isna()].index[0]
        raise SourceFormatError(path, "blank where a number is required", line=int(line), column=column)
    return values.astype(float)


def is_synthetic(path: Path) -> bool:
    return "SYNTHETIC" in path.name.upper()
