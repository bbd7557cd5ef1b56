"""Patient identifiers must never enter an aggregate source: NHS numbers are looked for and refused.

An NHS number is ten digits whose last is a modulus-11 check digit over the first nine (weights
10 down to 2; a remainder giving 10 is never issued). Printed forms ``943 476 5919`` and
``943-476-5919`` count too. About one random ten-digit number in eleven passes the check, so a
ten-digit count could trip it; no aggregate these readers take has counts that large per row.

A refusal names the file, the line and the column, never the value: the message is printed,
logged and e-mailed, and must not carry the identifier it is refusing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import SourceFormatError

_SEPARATORS = re.compile(r"[\s-]")
_TEN_DIGITS = re.compile(r"^\d{10}$")
_WEIGHTS = np.arange(10, 1, -1)


def is_nhs_number(value) -> bool:
    """True for ten digits (spaces or hyphens allowed between them) with a valid check digit."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        if not np.isfinite(value) or value != int(value):
            return False
        value = str(int(value))
    text = _SEPARATORS.sub("", str(value).strip())
    if not _TEN_DIGITS.match(text):
        return False
    digits = np.frombuffer(text.encode("ascii"), dtype=np.uint8) - ord("0")
    check = 11 - int(digits[:9] @ _WEIGHTS) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def _column_hits(values: pd.Series) -> pd.Series:
    """Mask of the cells of one column that hold an NHS number (each distinct value tested once)."""
    if pd.api.types.is_bool_dtype(values):
        return pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        maybe = (numbers >= 1e9) & (numbers < 1e10)  # cheap screen before the check digit
        if not maybe.any():
            return pd.Series(False, index=values.index)
    uniques = pd.unique(values.dropna())
    flagged = {u for u in uniques if is_nhs_number(u)}
    return values.isin(flagged) if flagged else pd.Series(False, index=values.index)


def _numbers_cleared(frame: pd.DataFrame) -> set[int]:
    """Positions of the numeric columns with no value of ten digits, found in one pass over them all
    (a publisher's extract has a hundred count columns: one at a time costs more than the rest of the read)."""
    positions = [i for i, dtype in enumerate(frame.dtypes)
                 if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)]
    if not positions:
        return set()
    numbers = frame.iloc[:, positions].to_numpy(dtype="float64", na_value=np.nan)
    maybe = ((numbers >= 1e9) & (numbers < 1e10)).any(axis=0)
    return {position for position, found in zip(positions, maybe) if not found}


def first_in_frame(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> tuple[str, object] | None:
    """(column, row label) of the first cell holding an NHS number, scanning column by column."""
    cleared = _numbers_cleared(frame)
    for position, column in enumerate(frame.columns):
        if column in skip or position in cleared:
            continue
        hits = _column_hits(frame.iloc[:, position])  # by position: a spoiled header may repeat a name
        if hits.any():
            return str(column), hits[hits].index[0]
    return None


def first_in_rows(rows: list[list]) -> tuple[int, int] | None:
    """(1-based line, 0-based column) of the first cell of a sheet grid holding an NHS number."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and is_nhs_number(value):
                return r + 1, c
    return None


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how spreadsheet users find a column."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


PROBLEM = ("holds an NHS number (ten digits passing the modulus-11 check); this source must be aggregate "
           "with no patient identifiers, so the file is refused: remove the identifiers at source and "
           "supply the file again")


def refuse_in_frame(frame: pd.DataFrame, path: Path, skip: tuple[str, ...] = ()) -> None:
    """Stop with the column and line of the first NHS number in ``frame`` (index = file line)."""
    hit = first_in_frame(frame, skip)
    if hit:
        column, line = hit
        raise SourceFormatError(path, PROBLEM, line=int(line) if isinstance(line, int | np.integer) else None,
                                column=column)


def refuse_in_rows(rows: list[list], path: Path, sheet: str | None = None) -> None:
    """Stop with the line and column (letter) of the first NHS number in a sheet grid."""
    hit = first_in_rows(rows)
    if hit:
        line, column = hit
        problem = PROBLEM if sheet is None else f"sheet {sheet!r}: {PROBLEM}"
        raise SourceFormatError(path, problem, line=line, column=column_letter(column))
