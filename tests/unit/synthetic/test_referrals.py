"""The shipped referral gateway sample is exactly what the seeded generator writes."""

from __future__ import annotations

import gzip

import pandas as pd

from helpers.synthetic import referrals as synthetic
from support.referral_sample import SAMPLE, SAMPLE_DIR


def test_shipped_sample_is_the_generators_output(tmp_path):
    written = synthetic.generate(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in SAMPLE_DIR.iterdir())
    for path in written:
        assert "SYNTHETIC" in path.name
        assert path.read_bytes() == (SAMPLE_DIR / path.name).read_bytes(), f"{path.name}: run make sample"


def test_sample_layout_as_documented():
    with gzip.open(SAMPLE, "rt", encoding="utf-8", newline="") as f:
        header = f.readline()
    assert header.endswith("\r\n")
    columns = header.strip().split(",")
    for required in ["referral_id", "received_date", "practice_code", "priority", "specialty_code", "source",
                     "channel", "status", "booked_date", "appointment_date", "cancelled_date", "returned_date",
                     "transferred_date", "transferred_to"]:
        assert required in columns
    # identifiers are in the sample on purpose, so the pipeline is seen to drop them
    assert {"nhs_number", "patient_name", "date_of_birth"} <= set(columns)
    raw = pd.read_csv(SAMPLE, dtype=str)
    assert raw["nhs_number"].str.fullmatch(r"999\d{7}").all()  # the range kept for testing
    assert set(raw["priority"]) == {"urgent", "routine", "two_week_wait"}
    assert raw["practice_code"].str.startswith("Z").all()
