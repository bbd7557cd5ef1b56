"""Readers for GP practice reference data: ODS ``epraccur`` and registered list sizes.

``epraccur.csv`` has **no header row**; its 27 columns follow the ODS specification. It lists
every prescribing cost centre in England and Wales, open and closed: GP practices are those with
prescribing setting 4. ``gp-reg-pat-prac-all*.csv`` ("Patients Registered at a GP Practice")
gives one list size per practice and month, the denominator for per-patient figures.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from helpers.core import privacy
from helpers.core.errors import SourceFormatError
from helpers.sources._common import (
    PRACTICE_CODE,
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

SOURCE_FOLDER = "gp_practice_reference"
EPRACCUR_PATTERN = r"(?i)^(SYNTHETIC_)?epraccur\.csv$"
LIST_SIZE_PATTERN = r"(?i)^(SYNTHETIC_)?gp-reg-pat-prac-all.*\.csv$"
EPRACCUR_COLUMNS = [
    "practice_code", "practice_name", "national_grouping", "icb_code", "address_1", "address_2", "address_3",
    "address_4", "address_5", "postcode", "open_date", "close_date", "status_code", "sub_type_code",
    "commissioner_code", "join_date", "left_date", "telephone", "null_19", "null_20", "null_21",
    "amended_record", "null_23", "provider_purchaser", "null_25", "prescribing_setting", "null_27",
]
STATUS = {"A": "Active", "C": "Closed", "D": "Dormant", "P": "Proposed"}
GP_PRACTICE_SETTING = "4"
LIST_SIZE_COLUMNS = ["EXTRACT_DATE", "CODE", "NUMBER_OF_PATIENTS"]
EXPECTED = "ODS epraccur (epraccur.csv) or registered list sizes (gp-reg-pat-prac-all*.csv)"


def passed_over(folder: Path) -> list[PassedOver]:
    """Files not read, and epraccur extracts but the last (one is read)."""
    extracts = matching(folder, EPRACCUR_PATTERN)
    return (_passed_over(folder, [EPRACCUR_PATTERN, LIST_SIZE_PATTERN], EXPECTED)
            + (not_chosen(extracts, extracts[-1], "epraccur extract") if extracts else []))


def _refuse_short_rows(path: Path) -> None:
    """A row with fewer fields than the layout's: a copy cut off between two fields reads as blanks otherwise."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as f:
        for line, row in enumerate(csv.reader(f), start=1):
            if row and len(row) != len(EPRACCUR_COLUMNS):
                raise SourceFormatError(path, f"expected {len(EPRACCUR_COLUMNS)} fields, found {len(row)} "
                                              f"(is the file truncated?)", line=line)


def read_epraccur(folder: Path) -> pd.DataFrame:
    """Every organisation in epraccur; ``is_gp_practice`` marks prescribing setting 4."""
    path = discover(folder, EPRACCUR_PATTERN)[-1]
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        first = f.readline()
    if re.match(r'^"?(Organisation Code|practice_code|CODE)"?,', first, re.I):
        raise SourceFormatError(path, "epraccur has no header row; this file starts with one", line=1)
    raw = read_text_csv(path, header=None, names=None)
    if raw.shape[1] != len(EPRACCUR_COLUMNS):
        raise SourceFormatError(path, f"expected {len(EPRACCUR_COLUMNS)} columns (ODS epraccur), found {raw.shape[1]}")
    _refuse_short_rows(path)
    raw.columns = EPRACCUR_COLUMNS
    privacy.refuse_in_frame(raw, path, skip=("telephone",))  # ten-digit phone numbers are not patients
    keep = ["practice_code", "practice_name", "national_grouping", "icb_code", "postcode", "open_date",
            "close_date", "status_code", "commissioner_code", "prescribing_setting"]
    frame = raw[keep].apply(lambda s: s.str.strip())
    frame["status"] = frame["status_code"].map(STATUS).fillna("Unknown")
    frame["is_gp_practice"] = frame["prescribing_setting"].eq(GP_PRACTICE_SETTING)
    for column in ("open_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column].replace("", None), format="%Y%m%d", errors="coerce")
    frame["valid_code"] = frame["practice_code"].str.match(PRACTICE_CODE.pattern)
    frame.attrs["path"] = path
    return frame


def read_list_sizes(folder: Path) -> pd.DataFrame:
    """Registered patients per practice (all persons), with the extract date."""
    frames = []
    for path in discover(folder, LIST_SIZE_PATTERN):
        raw = read_text_csv(path)
        require_columns(raw, path, LIST_SIZE_COLUMNS)
        if "SEX" in raw.columns:
            raw = raw[raw["SEX"].str.upper().isin(["ALL", ""]) & raw.get("AGE", "ALL").str.upper().isin(["ALL", ""])]
        frame = pd.DataFrame({
            "practice_code": raw["CODE"].str.strip(),
            "list_size": to_number(raw, "NUMBER_OF_PATIENTS", path, blank_ok=False),
            "extract_date": pd.to_datetime(raw["EXTRACT_DATE"].str.strip(), format="%d%b%Y", errors="coerce"),
        }, index=raw.index)
        if frame["extract_date"].isna().any():
            line = int(frame.index[frame["extract_date"].isna()][0])
            raise SourceFormatError(path, "extract date is not DDMONYYYY", line=line, column="EXTRACT_DATE")
        frame["file"] = path.name
        frame["synthetic"] = is_synthetic(path)
        frames.append(frame)
    return pd.concat(frames)
