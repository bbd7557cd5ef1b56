"""Organisations from the reference files: names for pages, practices' parents and status, the edition."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from helpers.core.errors import ConfigurationError
from helpers.domains.organisation import edition
from helpers.domains.organisation import measures as org
from helpers.sources import gp_practice_reference, qof_2020_21
from support import REAL


@pytest.mark.parametrize("printed, shown", [
    ("NHS LANCASHIRE AND SOUTH CUMBRIA INTEGRATED CARE BOARD", "NHS Lancashire and South Cumbria ICB"),
    ("NHS SUSSEX INTEGRATED CARE BOARD", "NHS Sussex ICB"),
    ("NHS WEST SUSSEX (SUB ICB LOCATION)", "NHS West Sussex"),
    ("UNIVERSITY HOSPITALS SUSSEX NHS FOUNDATION TRUST", "University Hospitals Sussex NHS Foundation Trust"),
    ("BUPA CROMWELL HOSPITAL", "Bupa Cromwell Hospital"),
    ("NHS 15N", "NHS 15N"),
    ("WEST-END SURGERY", "West-End Surgery"),
    ("", None),
])
def test_short_names_for_pages(printed, shown):
    assert org.short_name(printed) == shown


@pytest.fixture(scope="module")
def real_practices():
    epraccur = gp_practice_reference.read_epraccur(REAL / "gp_practice_reference")
    geography = qof_2020_21.read_geography(REAL / "qof_2020_21")
    return org.practices(epraccur, geography), geography


def test_sussex_practices_match_the_ods_file_read_with_csv(real_practices):
    practices, _ = real_practices
    with open(REAL / "gp_practice_reference" / "epraccur.csv", newline="") as f:
        rows = [r for r in csv.reader(f) if r[3] == "QNX" and r[25] == "4"]
    sussex = practices[practices["icb_code"] == "QNX"].set_index("practice_code")
    assert set(sussex.index) >= {r[0] for r in rows}
    by_status = sussex.loc[[r[0] for r in rows], "status"].value_counts().to_dict()
    expected = pd.Series([{"A": "Active", "C": "Closed", "D": "Dormant"}[r[12]] for r in rows]).value_counts().to_dict()
    assert by_status == expected
    assert set(sussex.loc[[r[0] for r in rows], "sub_icb_code"]) == {"09D", "70F", "97R"}
    assert sussex.loc["H82029", "close_date"] == pd.Timestamp("2022-03-31")  # closed 31 March 2022 (SOURCE.md)


def test_practices_open_in_a_month(real_practices):
    practices, _ = real_practices
    sussex = practices[practices["icb_code"] == "QNX"]
    open_2026 = org.is_open(sussex, pd.Timestamp("2026-01-31"))
    assert not open_2026[sussex["practice_code"] == "H82029"].any()
    assert open_2026.sum() == (sussex["status"] == "Active").sum()
    # in 2021 a practice that closed in March 2022 was still open
    assert org.is_open(sussex, pd.Timestamp("2021-06-30"))[sussex["practice_code"] == "H82029"].all()


def test_sub_icb_locations_keep_the_old_ccg_codes(real_practices):
    practices, geography = real_practices
    names = pd.DataFrame({"icb_code": ["QNX"] * 3, "icb_name": ["NHS SUSSEX INTEGRATED CARE BOARD"] * 3,
                          "sub_icb_code": ["70F", "97R", "09D"],
                          "sub_icb_name": ["NHS WEST SUSSEX (SUB ICB LOCATION)", "NHS EAST SUSSEX (SUB ICB LOCATION)",
                                           "NHS BRIGHTON AND HOVE (SUB ICB LOCATION)"]})
    subs = org.sub_icbs(practices, names, geography)
    sussex = subs[subs["icb_code"] == "QNX"].set_index("sub_icb_code")["name"].to_dict()
    assert sussex == {"09D": "NHS Brighton and Hove", "70F": "NHS West Sussex", "97R": "NHS East Sussex"}
    icbs = org.icbs(practices, names).set_index("icb_code")
    assert icbs.loc["QNX", "name"] == "NHS Sussex ICB" and icbs.loc["QNX", "open_practices"] == 158
    assert icbs.loc["QOP", "name"] == "QOP"  # no name in these sources: named by its code


def test_the_period_is_a_month_in_the_data():
    months = [pd.Timestamp("2025-12-31"), pd.Timestamp("2026-01-31")]
    assert edition.resolve_month("latest", months) == pd.Timestamp("2026-01-31")
    assert edition.resolve_month("2025-12", months) == pd.Timestamp("2025-12-31")
    with pytest.raises(ConfigurationError, match=r"period: '2025-06' is not in the data; months present: 2025-12, 2026-01"):
        edition.resolve_month("2025-06", months)
