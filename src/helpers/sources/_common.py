"""What the readers share: file discovery, header checks and number parsing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import privacy
from helpers.core.errors import InputMissingError, SourceFormatError

PRACTICE_CODE = re.compile(r"^[A-Z]\d{5}$")  # ODS GP practice code, e.g. H82006


@dataclass(frozen=True)
class PassedOver:
    """A file in a source folder that its reader does not read, and why.

    Readers list these rather than drop them silently, so that a month saved under an
    unexpected name shows in the cleanse notebook and the preflight check instead of vanishing.
    """

    path: Path
    reason: str

    @property
    def name(self) -> str:
        return self.path.name

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


NOTE_SUFFIXES = {".md", ".txt", ".pdf", ".doc", ".docx", ".htm", ".html", ".rtf"}


def is_lock_file(path: Path) -> bool:
    """Office's owner file (``~$name.xlsx``), present while someone has the workbook open."""
    return path.name.startswith("~$")


def folder_files(folder: Path) -> list[Path]:
    """The files a reader considers, sorted; hidden ones (``.DS_Store``, ``.gitkeep``) are not data."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def why_not_read(path: Path, expected: str, known: dict[str, str] | None = None) -> str:
    """The reason a file whose name matches none of a reader's patterns is passed over.

    ``known`` maps name patterns of files the reader knows and does not need (other parts of
    a publisher's pack, say) to the reason given for them.
    """
    if is_lock_file(path):
        return "an Office lock file (the workbook is open in Excel), not data"
    for pattern, reason in (known or {}).items():
        if re.search(pattern, path.name):
            return reason
    if path.suffix.lower() in NOTE_SUFFIXES:
        return "notes, not data"
    return f"not named as {expected}"


def passed_over(folder: Path, patterns: Iterable[str], expected: str,
                known: dict[str, str] | None = None) -> list[PassedOver]:
    """Files in ``folder`` matching none of ``patterns`` (lock files always), each with its reason.

    ``expected`` says what the reader does read, e.g. "an OHID Fingertips export (fingertips_*.csv)".
    A missing folder gives none: the reader itself reports it.
    """
    if not folder.is_dir():
        return []
    patterns = list(patterns)
    return [PassedOver(p, why_not_read(p, expected, known)) for p in folder_files(folder)
            if is_lock_file(p) or not any(re.search(pattern, p.name) for pattern in patterns)]


def matching(folder: Path, pattern: str) -> list[Path]:
    """Files in ``folder`` whose names match ``pattern``, sorted; none if there is no folder."""
    if not folder.is_dir():
        return []
    return [p for p in folder_files(folder) if not is_lock_file(p) and re.search(pattern, p.name)]


def not_chosen(files: list[Path], chosen: Path, what: str) -> list[PassedOver]:
    """Files of a kind read one at a time that lost to ``chosen`` (the last by name)."""
    return [PassedOver(p, f"another {what} is read: {chosen.name} (the last by name)") for p in files if p != chosen]


def discover(folder: Path, pattern: str, what: str = "file") -> list[Path]:
    """Files in ``folder`` whose names match ``pattern`` (sorted); missing folder or none -> exit 3.

    ``what`` names the expected file in the message, e.g. "QIPP tracker (XLSX or CSV)". Hidden
    files and Office lock files never match (see :func:`passed_over`).
    """
    if not folder.is_dir():
        raise InputMissingError(f"{folder}: source folder not found (expected a {what} in it)")
    files = matching(folder, pattern)
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
