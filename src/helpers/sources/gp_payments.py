"""Reader for "NHS Payments to General Practice, England" (one CSV per financial year).

Column sets differ by year (schemes come and go), so columns are taken by name, never by
position. Traps handled here:

* UTF-8 with a byte-order mark, CRLF, no final newline: read with ``utf-8-sig``;
* trailing spaces and odd capitals in names (``'Appraisal Costs '``): names are stripped and
  matched without regard to case;
* numbers may carry thousands separators; missing dates are ``-`` or blank;
* practices with 0 registered patients have 0 (not blank) payments per patient: set to blank
  here, since no per-patient figure exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import SourceFormatError
from helpers.sources._common import PassedOver, discover, is_synthetic, read_text_csv, to_number
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "gp_payments"
FILE_PATTERN = r"(?i)^(SYNTHETIC_)?nhs_payments_to_general_practice_(\d{2})-(\d{2})\.csv$"

# wanted name -> the publisher's column names over the years (compared case-insensitively)
COLUMNS = {
    "practice_code": ["Practice Code"],
    "practice_name": ["Practice Name"],
    "registered_patients": ["Number of Registered Patients (Last Known Figure)"],
    "weighted_patients": ["Number of Weighted Patients (Last Known Figure)"],
    "total_payments": ["Total NHS Payments to General Practice"],
    "payments_per_weighted_patient": ["Average payments per weighted patient"],
}
NUMBERS = ["registered_patients", "weighted_patients", "total_payments", "payments_per_weighted_patient"]
EXPECTED = "NHS Payments to General Practice (nhs_payments_to_general_practice_YY-YY.csv)"
# Copies kept under the year alone, as some analysts' repositories keep them: the year is there,
# but nothing in the name says which publication the file is, so it is listed, not guessed at.
YEAR_ONLY = r"^\d{2}-\d{2}\.csv$"


def files(folder: Path) -> list[Path]:
    return discover(folder, FILE_PATTERN)


def passed_over(folder: Path) -> list[PassedOver]:
    """Files not read, with the reason; ``18-19.csv`` is told how to be read."""
    def hint(item: PassedOver) -> PassedOver:
        if not re.match(YEAR_ONLY, item.name):
            return item
        return PassedOver(item.path, f"named by its year alone: if it is NHS Payments to General Practice, "
                                     f"rename it nhs_payments_to_general_practice_{item.name} to be read")
    return [hint(item) for item in _passed_over(folder, [FILE_PATTERN], EXPECTED)]


def period(path: Path) -> str:
    """'..._22-23.csv' -> '2022/23'."""
    match = re.search(FILE_PATTERN, path.name)
    if not match:
        raise SourceFormatError(path, "cannot tell the financial year from the file name (expected ..._YY-YY.csv)")
    return f"20{match.group(2)}/{match.group(3)}"


def read(path: Path) -> pd.DataFrame:
    raw = read_text_csv(path, encoding="utf-8-sig")
    by_lower = {c.lower(): c for c in raw.columns}
    frame = pd.DataFrame(index=raw.index)
    for name, options in COLUMNS.items():
        found = next((by_lower[o.lower()] for o in options if o.lower() in by_lower), None)
        if found is None:
            raise SourceFormatError(path, f"expected column {options[0]!r} is missing", column=options[0])
        frame[name] = raw[found].str.strip()
    for column in NUMBERS:
        frame[column] = to_number(frame, column, path)
    no_list = frame["registered_patients"].fillna(0).eq(0)
    frame.loc[no_list, "payments_per_weighted_patient"] = np.nan  # the publisher writes 0
    frame["period"] = period(path)
    frame["file"] = path.name
    frame["synthetic"] = is_synthetic(path)
    return frame
