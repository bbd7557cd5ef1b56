"""What the two national time-series readers share: a sheet as a grid of cells, and tidy output.

Both publishers' workbooks are a block of months (one row each) under one or two header rows.
Readers return every cell of that block as a tidy row (period, series, value) and keep what the
publisher wrote when it was not a number (``raw``) together with its sheet line, so a measure
built from it can say exactly which cell was text, blank or a duplicated month.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from helpers.core import privacy
from helpers.core.errors import QUARANTINE_COLUMNS, SourceFormatError

TIDY_COLUMNS = ["source", "file", "sheet", "line", "period", "series", "value", "raw"]
NOT_AVAILABLE = {"-"}   # the publishers' "not collected / not applicable"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # date serials of 1900-based workbooks (datemode 0)


def grid(path: Path, sheet: str) -> tuple[list[list], int]:
    """Cell values of one sheet (rows of Python values) and the workbook's date mode.

    ``.xls`` is read with xlrd, ``.xlsx`` with openpyxl (cached formula results, not formulas).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xls":
            import xlrd

            book = xlrd.open_workbook(str(path), on_demand=True)
            if sheet not in book.sheet_names():
                raise SourceFormatError(path, f"no sheet {sheet!r}; sheets: {', '.join(book.sheet_names())}")
            ws = book.sheet_by_name(sheet)
            rows = [ws.row_values(r) for r in range(ws.nrows)]
            privacy.refuse_in_rows(rows, path, sheet)
            return rows, book.datemode
        if suffix == ".xlsx":
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            if sheet not in book.sheetnames:
                raise SourceFormatError(path, f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
            rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
            book.close()
            privacy.refuse_in_rows(rows, path, sheet)
            return rows, 0
    except SourceFormatError:
        raise
    except Exception as exc:  # xlrd / openpyxl / zipfile errors for a damaged or mislabelled file
        raise SourceFormatError(path, f"cannot be read as a {suffix} workbook ({type(exc).__name__}: {exc})") from None
    raise SourceFormatError(path, f"unsupported file type {suffix!r} (expected .xls or .xlsx)")


def cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def month(value, datemode: int, path: Path, line: int, column: str) -> pd.Timestamp:
    """A month from a date cell, an Excel date serial or text such as 'Aug-10'."""
    if isinstance(value, dt.datetime | dt.date):
        stamp = pd.Timestamp(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if datemode == 0:
            stamp = pd.Timestamp(EXCEL_EPOCH + dt.timedelta(days=float(value)))
        else:
            import xlrd

            stamp = pd.Timestamp(xlrd.xldate_as_datetime(value, datemode))
    else:
        stamp = pd.to_datetime(cell_text(value), format="%b-%y", errors="coerce")
        if pd.isna(stamp):
            raise SourceFormatError(path, f"period {value!r} is not a date", line=line, column=column)
    if stamp.day != 1 or stamp.hour or stamp.minute:
        raise SourceFormatError(path, f"period {value!r} is not the first of a month", line=line, column=column)
    return stamp.normalize()


def number(value) -> float | None:
    """A float, or None when the cell is not a number (text, blank, '-')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def row_records(source: str, path: Path, sheet: str, line: int, period, names: dict, cells: list) -> list[dict]:
    """One record per series of a month's row; a cell that is not a number keeps its text in ``raw``."""
    records = []
    for name, value in zip(names.values(), cells):
        num = number(value)
        records.append({"source": source, "file": path.name, "sheet": sheet, "line": line, "period": period,
                        "series": name, "value": num, "raw": None if num is not None else cell_text(value)})
    return records


def tidy(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=TIDY_COLUMNS)
    frame["period"] = pd.to_datetime(frame["period"])
    frame["value"] = frame["value"].astype("float64")
    frame["line"] = frame["line"].astype("int64")
    return frame


def quarantine(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells that were not numbers, with the reason: text, a blank or a censored band."""
    bad = frame[frame["value"].isna()]
    out = pd.DataFrame({
        "source": bad["source"], "file": bad["file"], "line": bad["line"],
        "column": bad["sheet"] + ": " + bad["series"], "value": bad["raw"].fillna(""),
        "reason": [reason(r) for r in bad["raw"]],
    })
    return out.reset_index(drop=True)[QUARANTINE_COLUMNS]


def reason(raw) -> str:
    text = cell_text(raw)
    if text == "":
        return "blank cell in a month row"
    if text in NOT_AVAILABLE:
        return "not available ('-' in the publisher's file)"
    if text.endswith("+"):
        return f"censored value {text!r}: beyond the last band"
    return "text in a numeric column"
