"""Reader for childhood immunisation coverage by GP practice (UKHSA COVER, long format).

One row per year x practice x age x vaccine with numerator, denominator and proportion. Traps:

* ``Yet_to_receive`` is a left-padded string (``"  2"``, or ``Unknown``): stripped, then read as a number;
* some rows have a blank numerator and denominator but a published proportion (coverage from a
  source that gave percentages only): the proportion is kept, no limits can be computed;
* ``No eligible patients`` rows have no proportion: kept with a blank value (not a zero);
* vaccine codes change between years (``DTaP/IPV/Hib`` vs ``DTaPIPVHibHepB``): the catalogue
  lists every code an indicator accepts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.sources._common import PassedOver, discover, is_synthetic, read_text_csv, require_columns, to_number
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "child_immunisations"
FILE_PATTERN = r"(?i)^(SYNTHETIC_)?GP_immunisations.*\.csv$"
COLUMNS = ["Year", "ODS_Code", "Age", "Item", "Numerator", "Denominator", "Proportion", "Benchmark", "ODS_Name"]


EXPECTED = "COVER coverage by practice (GP_immunisations*.csv)"


def files(folder: Path) -> list[Path]:
    return discover(folder, FILE_PATTERN)


def passed_over(folder: Path) -> list[PassedOver]:
    return _passed_over(folder, [FILE_PATTERN], EXPECTED)


def read(path: Path) -> pd.DataFrame:
    raw = read_text_csv(path)
    require_columns(raw, path, COLUMNS)
    frame = pd.DataFrame({
        "period": raw["Year"].str.strip(),
        "practice_code": raw["ODS_Code"].str.strip(),
        "age": raw["Age"].str.strip(),
        "item": raw["Item"].str.strip(),
        "numerator": to_number(raw, "Numerator", path),
        "denominator": to_number(raw, "Denominator", path),
        "proportion": to_number(raw, "Proportion", path),
        "benchmark": raw["Benchmark"].str.strip(),
        "practice_name": raw["ODS_Name"].str.strip(),
    }, index=raw.index)
    if "Yet_to_receive" in raw.columns:  # left-padded text; 'Unknown' where the source had none
        padded = raw["Yet_to_receive"].str.strip().replace("Unknown", "")
        frame["yet_to_receive"] = to_number(raw.assign(Yet_to_receive=padded), "Yet_to_receive", path)
    frame["file"] = path.name
    frame["synthetic"] = is_synthetic(path)
    return frame
