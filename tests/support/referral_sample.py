"""The shipped referral gateway sample read with plain pandas, independently of the package:
dates parsed by hand, the deliberately broken rows found by their own rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "raw" / "referral_gateway"
SAMPLE = SAMPLE_DIR / "SYNTHETIC_referral_extract_20110512.csv.gz"
SIZES = SAMPLE_DIR / "SYNTHETIC_practice_list_sizes.csv"
AS_AT = pd.Timestamp("2011-05-12")
DATES = ["received_date", "booked_date", "appointment_date", "cancelled_date", "returned_date", "transferred_date"]


def raw() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False, na_values=[""])


def plain() -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """(referrals that pass the checks with parsed dates, number of rows held back, list sizes)."""
    text = raw()
    dates = {}
    for c in DATES:
        d = pd.to_datetime(text[c], format="%d/%m/%Y", errors="coerce")
        d = d.fillna(pd.to_datetime(text[c], format="%Y-%m-%d", errors="coerce"))
        serial = pd.to_numeric(text[c], errors="coerce")
        dates[c] = d.fillna(pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D"))
    sizes = pd.read_csv(SIZES)
    bad = (text["referral_id"].duplicated(keep=False) | dates["received_date"].isna()
           | (dates["appointment_date"] < dates["received_date"]) | ~text["practice_code"].isin(sizes["practice_code"]))
    frame = pd.DataFrame(dates).assign(priority=text["priority"], source=text["source"],
                                       practice=text["practice_code"], to=text["transferred_to"])
    return frame[~bad], int(bad.sum()), sizes
