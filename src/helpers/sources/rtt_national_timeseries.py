"""Reader for NHS England's "RTT Overview Timeseries" workbook (England, commissioner basis).

One ``.xlsx`` sheet, ``Full Time Series``: a metadata block, two header rows (a group such as
``Incomplete RTT pathways`` over each block of measures), then one row per month. Traps:

* ``Year`` cells are merged vertically (only the first month of each financial year has it):
  it is not needed, the ``Month`` column holds a real date;
* the group header is merged across its block: it is carried to the right;
* ``-`` means not collected (e.g. before Aug-2007), ``52+`` a percentile beyond the last band;
  neither is a number: both become missing values and are listed with their reason;
* ``% > 52 weeks`` is a formula from 2019: the cached value is read (``data_only``);
* percentages are fractions (0-1); ``Total waiting (mil)`` holds the number of pathways (the cell
  format shows it in millions), read as stored;
* months after the last published one are present but empty, and are dropped; notes follow.
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

SOURCE_FOLDER = "rtt_national_timeseries"
SHEET = "Full Time Series"
FILE_PATTERN = re.compile(r"^(SYNTHETIC_)?RTT-Overview-Timeseries.*\.xlsx$")
INCOMPLETE = "Incomplete RTT pathways"
PCT_18 = f"{INCOMPLETE}: % within 18 weeks"
WAITING_MIL = f"{INCOMPLETE}: Total waiting (mil)"
OVER_52 = f"{INCOMPLETE}: No. > 52 weeks"


EXPECTED = "an RTT overview time-series workbook (RTT-Overview-Timeseries-*.xlsx)"


def find_files(folder: Path) -> list[Path]:
    return _discover(folder, FILE_PATTERN.pattern, EXPECTED.removeprefix("an "))


def passed_over(folder: Path) -> list[PassedOver]:
    return _passed_over(folder, [FILE_PATTERN.pattern], EXPECTED)


def _header(rows: list[list], path: Path) -> tuple[int, int, int]:
    """Row of the group header (with 'Year'), and the columns of 'Year' and 'Month'."""
    for r, row in enumerate(rows[:40]):
        texts = [ts.cell_text(v) for v in row]
        if "Year" in texts and "Month" in texts:
            return r, texts.index("Year"), texts.index("Month")
    raise SourceFormatError(path, f"sheet {SHEET!r}: no header row with 'Year' and 'Month' in the first 40 rows")


def read(path: Path) -> pd.DataFrame:
    """Tidy rows (source, file, sheet, line, period, series, value, raw), one per month and measure."""
    rows, datemode = ts.grid(path, SHEET)
    top, _, month_col = _header(rows, path)
    if top + 1 >= len(rows):
        raise SourceFormatError(path, "the header has no second row (measures)", line=top + 2)
    groups, measures = rows[top], rows[top + 1]
    names, group = {}, ""
    for c in range(month_col + 1, max(len(groups), len(measures))):
        group = ts.cell_text(groups[c] if c < len(groups) else None) or group
        measure = ts.cell_text(measures[c] if c < len(measures) else None)
        if measure:
            names[c] = f"{group}: {measure}"
    if not names:
        raise SourceFormatError(path, "no measure columns after 'Month'", line=top + 2)
    records = []
    for r in range(top + 2, len(rows)):
        row = rows[r]
        first = ts.cell_text(row[1] if len(row) > 1 else None)
        if first.startswith("Notes"):
            break
        period_cell = row[month_col] if month_col < len(row) else None
        cells = [row[c] if c < len(row) else None for c in names]
        if all(ts.number(v) is None for v in cells):
            continue  # months not yet published (blank or '-' throughout), blank lines
        if ts.cell_text(period_cell) == "":
            raise SourceFormatError(path, "values in a row with no month", line=r + 1, column="Month")
        period = ts.month(period_cell, datemode, path, r + 1, "Month")
        records += ts.row_records(SOURCE_FOLDER, path, SHEET, r + 1, period, names, cells)
    if not records:
        raise SourceFormatError(path, "no month rows under the header", line=top + 3)
    return ts.tidy(records)
