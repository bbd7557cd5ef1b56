"""Reader for NHS England's "A&E Attendances and Emergency Admissions" monthly time series.

England totals, one row per month, in a legacy ``.xls`` workbook (sheets ``Activity`` and
``Performance``). The publisher's traps, handled here:

* the header row is found by its ``Period`` cell (row 14 today), under merged group headings
  (``A&E attendances``, ``Percentage of attendances within 4 hours`` ...) that name the groups
  of repeated column names (the type 1/2/3 columns appear under several groups);
* ``Period`` is an Excel date serial, converted with the workbook's date mode;
* Nov-2010 to May-2015 values are estimates apportioned from weekly data and are fractional:
  they are kept as they are (the counts are not rounded);
* a stray ``Operational standard`` / ``0.95`` pair sits right of the header, outside the table;
* trailing empty rows; ``-`` for not applicable; ``Chart Data`` is never read (placeholders).

The same layout saved as ``.xlsx`` is read too (openpyxl), which is how the shipped synthetic
sample is stored: writing the legacy binary format needs a library the project does not carry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.core.errors import SourceFormatError
from helpers.sources import timeseries as ts
from helpers.sources._common import PassedOver
from helpers.sources._common import discover as _discover
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "ae_national_timeseries"
SHEETS = ("Activity", "Performance")
FILE_PATTERN = re.compile(r"^(SYNTHETIC_)?Monthly-AE-Time-Series-[A-Za-z]+-\d{4}\.xlsx?$")
PERCENT_4H = "Percentage in 4 hours or less (all)"
TOTAL_ATTENDANCES = "Total Attendances"


EXPECTED = "an A&E time-series workbook (Monthly-AE-Time-Series-<Month>-<YYYY>.xls)"


def find_files(folder: Path) -> list[Path]:
    return _discover(folder, FILE_PATTERN.pattern, EXPECTED.removeprefix("an "))


def passed_over(folder: Path) -> list[PassedOver]:
    return _passed_over(folder, [FILE_PATTERN.pattern], EXPECTED)


def _header_row(rows: list[list], path: Path, sheet: str) -> tuple[int, int]:
    for r, row in enumerate(rows[:40]):
        for c, value in enumerate(row):
            if ts.cell_text(value) == "Period":
                return r, c
    raise SourceFormatError(path, f"sheet {sheet!r}: no header row with a 'Period' cell in the first 40 rows")


def _names(rows: list[list], header: int, first: int, path: Path, sheet: str) -> dict[int, str]:
    """Column index -> series name; a name repeated under several groups gets its group in front."""
    heads = {c: ts.cell_text(v) for c, v in enumerate(rows[header]) if c > first and ts.cell_text(v)}
    groups, current = {}, ""
    above = rows[header - 1] if header else []
    for c in range(first + 1, max(heads, default=first) + 1):
        text = ts.cell_text(above[c]) if c < len(above) else ""
        current = text or current
        groups[c] = current
    # The table ends at the first empty header cell: what follows is a note, not a column.
    columns, c = {}, first + 1
    while c in heads:
        columns[c] = heads[c]
        c += 1
    if not columns:
        raise SourceFormatError(path, f"sheet {sheet!r}: no columns after 'Period'", line=header + 1)
    counts = pd.Series(list(columns.values())).value_counts()
    return {c: (f"{groups[c]}: {name}" if counts[name] > 1 and groups[c] else name) for c, name in columns.items()}


def read_sheet(path: Path, sheet: str) -> pd.DataFrame:
    rows, datemode = ts.grid(path, sheet)
    header, first = _header_row(rows, path, sheet)
    names = _names(rows, header, first, path, sheet)
    records = []
    for r in range(header + 1, len(rows)):
        row = rows[r]
        period_cell = row[first] if first < len(row) else None
        cells = [row[c] if c < len(row) else None for c in names]
        if ts.cell_text(period_cell) == "":
            if any(ts.cell_text(v) for v in cells):
                raise SourceFormatError(path, f"sheet {sheet!r}: values in a row with no period", line=r + 1,
                                        column="Period")
            continue  # trailing empty rows
        period = ts.month(period_cell, datemode, path, r + 1, "Period")
        records += ts.row_records(SOURCE_FOLDER, path, sheet, r + 1, period, names, cells)
    if not records:
        raise SourceFormatError(path, f"sheet {sheet!r}: no month rows under the header", line=header + 2)
    return ts.tidy(records)


def read(path: Path) -> pd.DataFrame:
    """Tidy rows (source, file, sheet, line, period, series, value, raw) of both sheets."""
    return pd.concat([read_sheet(path, s) for s in SHEETS], ignore_index=True)
