"""Reader for NHS Digital's Quality and Outcomes Framework raw CSV pack (practice level).

``PREVALENCE_<yy><yy>*.csv`` is long: one row per practice x disease register with the
register count and the list size it is a share of. Traps handled here:

* ``PATIENT_LIST_TYPE`` names the denominator (``TOTAL`` or an age-restricted list such as
  ``18OV``): the same practice has several list sizes, never to be summed;
* zero registers and tiny list sizes are real (new or closing practices);
* the geography mapping quotes names that contain commas.

The geography mapping (practice -> PCN, CCG, STP/ICB, region) is the scorecard's organisation
tree for the year.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.core.errors import SourceFormatError
from helpers.sources._common import (
    PassedOver,
    discover,
    is_synthetic,
    matching,
    not_chosen,
    read_text_csv,
    require_columns,
    to_number,
)
from helpers.sources._common import passed_over as _passed_over

SOURCE_FOLDER = "qof_2020_21"
PREVALENCE_PATTERN = r"(?i)^(SYNTHETIC_)?PREVALENCE_\d{4}(_v\d+)?\.csv$"
GEOGRAPHY_PATTERN = r"(?i)^(SYNTHETIC_)?MAPPING_NHS_GEOGRAPHIES_\d{4}\.csv$"
PREVALENCE_COLUMNS = ["PRACTICE_CODE", "GROUP_CODE", "REGISTER", "PATIENT_LIST_TYPE", "PRACTICE_LIST_SIZE"]
# The rest of the publisher's QOF pack: known, and not needed by the scorecard.
OTHER_QOF_FILES = (r"(?i)^(SYNTHETIC_)?(ACHIEVEMENT|MAPPING_INDICATORS|ORGANISATION_REFERENCE"
                   r"|PRACTICE_VALIDATION_OUTCOMES|PRACTICE_PCA_EXCL)_")
EXPECTED = "QOF prevalence (PREVALENCE_<yyyy>.csv) or geography (MAPPING_NHS_GEOGRAPHIES_<yyyy>.csv)"
GEOGRAPHY_COLUMNS = ["REGION_ODS_CODE", "REGION_NAME", "STP_ODS_CODE", "STP_NAME", "CCG_ODS_CODE", "CCG_NAME",
                     "PCN_ODS_CODE", "PCN_NAME", "PRACTICE_CODE", "PRACTICE_NAME"]


def _year(path: Path) -> str:
    """'PREVALENCE_2021_v2.csv' -> '2020/21' (the file names the financial year by its two ends)."""
    match = re.search(r"(?i)PREVALENCE_(\d{2})(\d{2})", path.name)
    if not match:
        raise SourceFormatError(path, "cannot tell the QOF year from the file name (expected e.g. PREVALENCE_2021)")
    return f"20{match.group(1)}/{match.group(2)}"


def prevalence_files(folder: Path) -> list[Path]:
    return discover(folder, PREVALENCE_PATTERN)


def passed_over(folder: Path) -> list[PassedOver]:
    """Files not read: other parts of the QOF pack, strangers, and geography mappings but the last."""
    known = {OTHER_QOF_FILES: "part of the QOF pack the scorecard does not use"}
    mappings = matching(folder, GEOGRAPHY_PATTERN)
    return (_passed_over(folder, [PREVALENCE_PATTERN, GEOGRAPHY_PATTERN], EXPECTED, known)
            + (not_chosen(mappings, mappings[-1], "geography mapping") if mappings else []))


def read_prevalence(path: Path) -> pd.DataFrame:
    raw = read_text_csv(path)
    require_columns(raw, path, PREVALENCE_COLUMNS)
    frame = pd.DataFrame({
        "practice_code": raw["PRACTICE_CODE"].str.strip(),
        "register": raw["GROUP_CODE"].str.strip(),
        "numerator": to_number(raw, "REGISTER", path),
        "list_type": raw["PATIENT_LIST_TYPE"].str.strip(),
        "denominator": to_number(raw, "PRACTICE_LIST_SIZE", path),
    }, index=raw.index)
    frame["period"] = _year(path)
    frame["file"] = path.name
    frame["synthetic"] = is_synthetic(path)
    return frame


def read_geography(folder: Path) -> pd.DataFrame:
    """Practice -> PCN, CCG, STP (ICB) and region, one row per practice."""
    path = discover(folder, GEOGRAPHY_PATTERN)[-1]
    raw = read_text_csv(path)
    require_columns(raw, path, GEOGRAPHY_COLUMNS)
    frame = raw[GEOGRAPHY_COLUMNS].apply(lambda s: s.str.strip())
    frame.columns = [c.lower().replace("_ods", "") for c in GEOGRAPHY_COLUMNS]
    frame = frame.rename(columns={"stp_code": "icb_code", "stp_name": "icb_name"})
    dupes = frame["practice_code"].duplicated(keep=False)
    if dupes.any():
        line = int(frame.index[dupes][1])
        raise SourceFormatError(path, f"practice {frame.loc[line, 'practice_code']} is mapped twice",
                                line=line, column="PRACTICE_CODE")
    frame.attrs["path"] = path
    return frame
