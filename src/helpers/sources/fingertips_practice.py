"""Generic reader for OHID Fingertips CSV exports ("download data" / ``api/all_data/csv``).

Any Fingertips indicator exported at GP-practice level reads the same way, so adding one to the
scorecard is a catalogue entry, not code. The format's traps:

* quoted fields may hold an embedded CRLF (``"Phoenix PCN\\r\\n"``): read as CSV records, never lines;
* the 23rd column is named after the parent area type (``Compared to PCNs (v. 27/10/23) value or
  percentiles`` or ``Compared to percentiles``): found by pattern, kept as ``compared_to_parent``;
* suppressed values are blank with a ``Value note``; empty limit, count and denominator columns
  are legitimate (e.g. IMD scores have none); rates above the multiplier are legitimate;
* England and other area types sit in the same file (split by ``Area Type``), with sex and
  deprivation-decile breakdowns (``Category Type``) for England.

A renamed or missing required column stops with :class:`SourceFormatError` naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.core.errors import SourceFormatError
from helpers.sources._common import PassedOver, discover, is_synthetic, read_text_csv, require_columns, to_number
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "fingertips_practice"
FILE_PATTERN = r"(?i)^(SYNTHETIC_)?fingertips_.*\.csv$"

RENAME = {
    "Indicator ID": "indicator_id", "Indicator Name": "indicator_name", "Parent Code": "parent_code",
    "Parent Name": "parent_name", "Area Code": "area_code", "Area Name": "area_name", "Area Type": "area_type",
    "Sex": "sex", "Age": "age", "Category Type": "category_type", "Category": "category",
    "Time period": "period", "Value": "value", "Lower CI 95.0 limit": "lower95", "Upper CI 95.0 limit": "upper95",
    "Lower CI 99.8 limit": "lower998", "Upper CI 99.8 limit": "upper998", "Count": "count",
    "Denominator": "denominator", "Value note": "value_note",
    "Compared to England value or percentiles": "compared_to_england",
}
NUMBERS = ["value", "lower95", "upper95", "lower998", "upper998", "count", "denominator"]
PARENT_COMPARISON = re.compile(r"^Compared to (?!England).*percentiles$")
GP_AREA_TYPES = {"GP", "GPs"}


EXPECTED = "a Fingertips export (fingertips_*.csv)"


def files(folder: Path) -> list[Path]:
    return discover(folder, FILE_PATTERN)


def passed_over(folder: Path) -> list[PassedOver]:
    return _passed_over(folder, [FILE_PATTERN], EXPECTED)


def read(path: Path) -> pd.DataFrame:
    """One export as a typed frame with snake-case columns; ``line`` (file record line) as index."""
    raw = read_text_csv(path)
    require_columns(raw, path, list(RENAME))
    parent = [c for c in raw.columns if PARENT_COMPARISON.match(c)]
    frame = raw[list(RENAME)].rename(columns=RENAME)
    frame["compared_to_parent"] = raw[parent[0]] if parent else ""
    for column in NUMBERS:
        frame[column] = to_number(frame, column, path)
    text = [c for c in frame.columns if c not in NUMBERS]
    frame[text] = frame[text].apply(lambda s: s.str.strip())
    if frame["indicator_id"].eq("").any():
        line = frame.index[frame["indicator_id"].eq("")][0]
        raise SourceFormatError(path, "blank indicator ID", line=int(line), column="Indicator ID")
    frame["synthetic"] = is_synthetic(path)
    frame["file"] = path.name
    return frame


def practices(frame: pd.DataFrame) -> pd.DataFrame:
    """The GP-practice rows (persons, no breakdown category)."""
    return frame[frame["area_type"].isin(GP_AREA_TYPES) & frame["category_type"].eq("")]


def england(frame: pd.DataFrame) -> pd.DataFrame:
    """England's persons value per indicator and period (no deprivation breakdown)."""
    rows = frame[frame["area_type"].eq("England") & frame["category_type"].eq("") & frame["sex"].eq("Persons")]
    return rows.drop_duplicates(["indicator_id", "period"])
