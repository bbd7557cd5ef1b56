"""What the readers share: file discovery, header checks and number parsing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import privacy
from helpers.core.errors import InputMissingError, SourceFormatError

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
    for path in files:
        check_size(path)
    return files


DEFAULT_MAX_FILE_MB = 1024
MAX_FILE_MB_ENV = "NHS_ANALYTICS_MAX_INPUT_MB"
_limit_mb = float(DEFAULT_MAX_FILE_MB)


def set_max_file_mb(megabytes: float) -> None:
    """The pipeline sets the limit from ``inputs.max_file_mb`` before a stage reads anything."""
    global _limit_mb
    _limit_mb = float(megabytes)


def max_file_mb() -> float:
    """The largest input file accepted: the environment variable, else the limit the pipeline set."""
    if os.environ.get(MAX_FILE_MB_ENV):
        return float(os.environ[MAX_FILE_MB_ENV])
    return _limit_mb


def check_size(path: Path) -> None:
    """Refuse, before reading a byte, a file larger than the limit (a wrong file or a runaway export).

    Every reader loads its file whole, so a file of gigabytes would take minutes and most of the
    machine's memory before failing; the limit turns that into an immediate, clear refusal.
    """
    limit = max_file_mb()
    size = path.stat().st_size
    if size > limit * 1e6:
        raise SourceFormatError(path, f"the file is {size / 1e9:.1f} GB, larger than the {limit:,.0f} MB allowed "
                                      f"for one input file (inputs.max_file_mb in params.yaml, or "
                                      f"{MAX_FILE_MB_ENV}); check it is the file intended, or raise the limit")


def utf8_problem(path: Path, data: bytes) -> SourceFormatError | None:
    """Where ``data`` stops being UTF-8, as an error naming the line and the byte; None if it is UTF-8.

    The usual cause is a file re-saved by Excel as "CSV" (Windows-1252), where a pound sign is
    the single byte 0xA3.
    """
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        hint = " (a '£' in Windows-1252)" if byte == 0xA3 else ""
        return SourceFormatError(path, f"the file is not UTF-8 text: byte 0x{byte:02X}{hint} cannot be decoded; "
                                       f"expected UTF-8 as the publisher issues it (it was probably re-saved by "
                                       f"Excel as Windows-1252): download it again, or save it as 'CSV UTF-8'",
                                 line=line)


def read_text_csv(path: Path, *, encoding: str = "utf-8-sig", header: int | None = 0,
                  names: list[str] | None = None) -> pd.DataFrame:
    """Every cell as text (blank = ''), quoted newlines kept inside their field.

    A file with a header is refused if it holds an NHS number (every source read this way is
    aggregate); a headerless one is checked by its reader once its columns are named.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, header=header,
                            names=names, skipinitialspace=False)
    except UnicodeDecodeError:
        raise utf8_problem(path, path.read_bytes()) or SourceFormatError(path, f"not {encoding} text") from None
    except pd.errors.EmptyDataError:
        raise SourceFormatError(path, "the file is empty (expected a header line and data rows)") from None
    except pd.errors.ParserError as exc:
        raise SourceFormatError(path, f"not a readable CSV file ({exc.__class__.__name__}: {exc})") from None
    if header == 0:
        frame.columns = [str(c).strip() for c in frame.columns]  # publishers leave trailing spaces
    frame.index = frame.index + (2 if header == 0 else 1)  # file line of each record (header is line 1)
    frame.index.name = "line"
    if header is not None:
        privacy.refuse_in_frame(frame, path)
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
