"""Reader for a QIPP savings tracker kept as a finance team keeps it (XLSX or CSV).

The sheet has a title block, a header row (``Workstream / Scheme``, ``Exec lead``, milestone
counts ``R A G``, ``Milestones`` rating, one annual-plan column per financial year ``2010/11``,
``Due``, ``Delivered``, ``Variance``, ``RAG``, forecasts), then for each workstream a header row
(name and lead, no figures), its scheme rows, and a subtotal row with no name; a ``TOTAL`` row, a
``YTD yield`` row and notes. Amounts are £m with savings negative, written ``(1.1)``; ``-`` is
nil; cells may be numbers or text.

The reader classifies every row and parses every cell, keeping the printed text of any amount it
cannot read (column ``unparsed``) for the gate to report with its line. Layout problems (header
not where the layout puts it, missing columns, a scheme before any workstream) raise
:class:`~helpers.errors.SourceFormatError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import privacy
from helpers.core.errors import SourceFormatError
from helpers.sources._common import PassedOver
from helpers.sources._common import discover as _discover
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "qipp_tracker"
DEFAULT_FILE_PATTERN = r"(?i)^(TRANSCRIBED_|SYNTHETIC_)?.*qipp.*\.(xlsx|csv)$"
DEFAULT_HEADER_ROW = 4  # the layout's header line (1-based); 'auto' searches the first rows
HEADER_SEARCH_ROWS = 30
FY = re.compile(r"(20\d{2})\s*/\s*(\d{2})")

# Header text (normalised) -> column name. Year columns are found by FY.
HEADER_NAMES = {
    "workstream / scheme": "name", "workstream scheme": "name", "workstream/scheme": "name", "workstream": "name",
    "scheme": "name", "exec lead": "lead", "lead": "lead", "exec": "lead",
    "r": "ms_red", "a": "ms_amber", "g": "ms_green", "milestones": "ms_rating", "milestone rag": "ms_rating",
    "due": "due", "delivered": "delivered", "variance": "variance", "rag": "rag", "financial rag": "rag",
    "f'cast": "forecast", "fcast": "forecast", "forecast": "forecast",
    "best": "best", "middle": "middle", "worse": "worse", "worst": "worse",
}
REQUIRED = ["name", "lead", "ms_red", "ms_amber", "ms_green", "ms_rating", "due", "delivered", "variance", "rag"]
AMOUNTS = ["due", "delivered", "variance", "forecast", "best", "middle", "worse"]
COUNTS = ["ms_red", "ms_amber", "ms_green"]
RATINGS = {"r": "R", "red": "R", "a": "A", "amber": "A", "g": "G", "green": "G",
           "n/a": "n/a", "na": "n/a", "n.a.": "n/a", "n/a.": "n/a"}
NIL = {"-", "–", "—", "_", "nil"}
AMOUNT_TEXT = re.compile(r"^(?P<neg>-)?\(?(?P<num>\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d*\.\d+|\d+)\)?$")
SCHEME_CODE = re.compile(r"^\s*(?P<code>[A-Z]{2,5}\s*\((?:[^()]|\([^()]*\))*?(?:\)|(?=\s*[-–])))\s*[-–]?\s*(?P<title>.*)$")


@dataclass
class Tracker:
    """One tracker sheet: its rows classified and parsed, and what its title block says."""

    path: Path
    rows: pd.DataFrame  # index: line (sheet row number)
    year: str  # the financial year of Due / Delivered, e.g. '2010/11'
    plan_years: list[str]
    title: str
    stated_yields: dict = field(default_factory=dict)  # {'ytd': 71.0, 'forecast': 68.0} as printed
    transcribed: bool = False
    synthetic: bool = False

    @property
    def name(self) -> str:
        return self.path.name


def discover(folder: Path, pattern: str = DEFAULT_FILE_PATTERN) -> list[Path]:
    return _discover(folder, pattern, "QIPP tracker workbook (XLSX or CSV)")


def passed_over(folder: Path, pattern: str = DEFAULT_FILE_PATTERN) -> list[PassedOver]:
    return _passed_over(folder, [pattern], "a QIPP tracker (a name with 'qipp', XLSX or CSV; qipp.file_pattern)")


def parse_amount(value) -> tuple[float, bool]:
    """A printed £m amount -> (value, ok). ``(1.1)`` -> -1.1, ``-`` -> 0, blank -> NaN."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan, True
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value), True
    text = str(value).strip().replace("£", "").replace(" ", "")
    text = re.sub(r"(?i)m$", "", text)
    if text == "":
        return np.nan, True
    if text in NIL:
        return 0.0, True
    m = AMOUNT_TEXT.match(text)
    if not m or (text.startswith("(") != text.endswith(")")):
        return np.nan, False
    number = float(m["num"].replace(",", ""))
    negative = bool(m["neg"]) or text.startswith("(")
    return (-number if negative else number), True


def parse_count(value) -> tuple[float, bool]:
    amount, ok = parse_amount(value)
    if not ok or (not np.isnan(amount) and (amount < 0 or amount != int(amount))):
        return np.nan, False
    return (0.0 if np.isnan(amount) else amount), True


def normalise_rating(value) -> str | None:
    """'Red'/'R' -> 'R' etc.; blank -> None; anything else is returned as written for the gate."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    if text == "":
        return None
    return RATINGS.get(text.lower(), text)


def parse_percent(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) * (100 if abs(value) <= 1.5 else 1)
    m = re.match(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$", str(value or ""))
    return float(m[1]) if m else np.nan


def scheme_code(name: str) -> tuple[str | None, str]:
    """'SWE (PC1a) Referral management centre' -> ('SWE (PC1a)', 'Referral management centre')."""
    m = SCHEME_CODE.match(name or "")
    if not m:
        return None, (name or "").strip()
    code = m["code"].strip()
    if not code.endswith(")"):
        code += ")"
    return re.sub(r"\s+", " ", code), m["title"].strip()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: teams keep these sheets in Excel, whose plain
    "CSV" on Windows is Windows-1252 (a pound sign is byte 0xA3). Every byte decodes in that code
    page except five unassigned ones, which still fail clearly."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _cells(path: Path) -> list[list]:
    """Every row of the first sheet (XLSX) or the CSV, as a list of raw cell values."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            wb.close()
            privacy.refuse_in_rows(rows, path)
            return rows
        if suffix == ".csv":
            rows = [list(r) for r in csv.reader(io.StringIO(_decode(path.read_bytes()), newline=""))]
            privacy.refuse_in_rows(rows, path)
            return rows
    except SourceFormatError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise SourceFormatError(path, f"cannot be read as {suffix[1:].upper()} ({exc})") from exc
    except Exception as exc:  # openpyxl raises zipfile/XML errors for damaged workbooks
        raise SourceFormatError(path, f"cannot be read as {suffix[1:].upper()} ({type(exc).__name__}: {exc})") from exc
    raise SourceFormatError(path, "expected an .xlsx workbook or a .csv file")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _header_map(row: list) -> dict[int, str]:
    mapping = {}
    for i, value in enumerate(row):
        key = re.sub(r"\s+", " ", _text(value).lower().replace("’", "'")).rstrip(":")
        if FY.search(key) and "name" in mapping.values():
            m = FY.search(key)
            mapping[i] = f"plan {m[1]}/{m[2]}"
        elif key in HEADER_NAMES and HEADER_NAMES[key] not in mapping.values():
            mapping[i] = HEADER_NAMES[key]
    return mapping


def _is_header(row: list) -> bool:
    names = set(_header_map(row).values())
    return {"name", "due", "delivered"} <= names


def find_header(path: Path, rows: list[list], header_row) -> int:
    """The 0-based index of the header row; with a fixed row, the layout must put it there."""
    found = next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if _is_header(r)), None)
    if header_row in (None, "auto"):
        if found is None:
            raise SourceFormatError(path, f"no header row (with 'Workstream / Scheme', 'Due' and 'Delivered') "
                                          f"in the first {HEADER_SEARCH_ROWS} rows")
        return found
    wanted = int(header_row) - 1
    if wanted < len(rows) and _is_header(rows[wanted]):
        return wanted
    shown = " | ".join(_text(v) for v in (rows[wanted] if wanted < len(rows) else []) if _text(v))[:80]
    where = (f"the header is on line {found + 1} instead: rows were added or removed above it, so check the "
             f"title block, or set qipp.header_row to {found + 1} (or 'auto')") if found is not None else \
        "no header row was found in the first rows"
    raise SourceFormatError(path, f"expected the header ('Workstream / Scheme', 'Exec lead', 'R', 'A', 'G', ..., "
                                  f"'Due', 'Delivered') on this line, found {shown or 'an empty row'}; {where}",
                            line=wanted + 1)


def _tracker_year(path: Path, title: str, plan_years: list[str], year) -> str:
    if year not in (None, "auto"):
        if str(year) not in plan_years:
            raise SourceFormatError(path, f"qipp.year {year} has no plan column (plan years: {', '.join(plan_years)})")
        return str(year)
    m = FY.search(title)
    if m and f"{m[1]}/{m[2]}" in plan_years:
        return f"{m[1]}/{m[2]}"
    if len(plan_years) == 1:
        return plan_years[0]
    raise SourceFormatError(path, f"several plan years ({', '.join(plan_years)}) and the title does not say which "
                                  f"one Due and Delivered belong to; set qipp.year")


def read(path: Path, *, header_row=DEFAULT_HEADER_ROW, year=None) -> Tracker:
    """The tracker as laid out: one row per sheet row that carries anything, classified."""
    rows = _cells(path)
    if not any(any(_text(v) for v in r) for r in rows):
        raise SourceFormatError(path, "the file is empty (expected a QIPP tracker sheet)")
    h = find_header(path, rows, header_row)
    mapping = _header_map(rows[h])
    missing = [c for c in REQUIRED if c not in mapping.values()]
    plan_years = [c[5:] for c in mapping.values() if c.startswith("plan ")]
    if missing or not plan_years:
        lacking = missing + ([] if plan_years else ["an annual plan column (e.g. 2010/11)"])
        raise SourceFormatError(path, f"header lacks {', '.join(lacking)}", line=h + 1)
    title = " ".join(_text(v) for r in rows[:h] for v in r if _text(v))
    tracker_year = _tracker_year(path, title, plan_years, year)
    columns = {name: i for i, name in mapping.items()}

    records, workstream, lead, section = [], None, None, "body"
    stated = {}
    for i in range(h + 1, len(rows)):
        row = rows[i]
        cell = {name: (row[j] if j < len(row) else None) for name, j in columns.items()}
        texts = [_text(v) for v in row]
        if not any(texts):
            continue
        line = i + 1
        name = _text(cell["name"])
        joined = " ".join(t for t in texts if t).lower()
        if "yield" in joined:  # 'YTD yield:' then the printed percentages
            percents = [(j, parse_percent(v)) for j, v in enumerate(row) if "%" in _text(v) or
                        (isinstance(v, float) and 0 < v <= 1.5)]
            percents = [(j, p) for j, p in percents if not np.isnan(p)]
            if percents:
                stated["ytd"] = percents[0][1]
            if len(percents) > 1:
                stated["forecast"] = percents[1][1]
            continue
        figures = [c for c in COUNTS + AMOUNTS + [f"plan {y}" for y in plan_years]
                   if c in cell and _text(cell[c]) != ""]
        if section == "after_total" or (not figures and name.startswith("*")):
            records.append({"line": line, "row_type": "note", "name": " ".join(t for t in texts if t)})
            continue
        if name.lower() in {"total", "grand total", "qipp total", "total savings"}:
            kind = "total"
            section = "after_total"
        elif not figures:
            kind, workstream, lead = "workstream", name, _text(cell["lead"]) or None
            records.append({"line": line, "row_type": kind, "workstream": workstream, "lead": lead, "name": name})
            continue
        elif name == "":
            kind = "subtotal"
        else:
            kind = "scheme"
        if kind in ("scheme", "subtotal") and workstream is None:
            raise SourceFormatError(path, f"a {kind} row before any workstream header row", line=line,
                                    column=rows[h][columns['name']] or "Workstream / Scheme")
        record = {"line": line, "row_type": kind, "workstream": workstream if kind != "total" else None,
                  "name": name or None, "lead": (_text(cell["lead"]) or (lead if kind == "scheme" else None))}
        bad = []
        for c in COUNTS:
            record[c], ok = parse_count(cell[c])
            if not ok:
                bad.append(f"{rows[h][columns[c]]}={_text(cell[c])!r}")
        for c in AMOUNTS + [f"plan {y}" for y in plan_years]:
            if c not in cell:
                record[c] = np.nan
                continue
            record[c], ok = parse_amount(cell[c])
            if not ok:
                bad.append(f"{_text(rows[h][columns[c]])}={_text(cell[c])!r}")
        record["ms_rating"] = normalise_rating(cell["ms_rating"])
        record["rag"] = normalise_rating(cell["rag"])
        record["unparsed"] = "; ".join(bad) if bad else None
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty or not (frame["row_type"] == "scheme").any():
        raise SourceFormatError(path, "no scheme rows under the header (expected workstream header rows, "
                                      "scheme rows and subtotal rows)", line=h + 1)
    frame = frame.set_index("line")
    for c in ["workstream", "name", "lead", "ms_rating", "rag", "unparsed"]:
        if c not in frame:
            frame[c] = None
    return Tracker(path=path, rows=frame, year=tracker_year, plan_years=plan_years, title=title,
                   stated_yields=stated, transcribed=path.name.upper().startswith("TRANSCRIBED"),
                   synthetic=path.name.upper().startswith("SYNTHETIC"))
