"""Referral gateway row checks, measures and recovery trajectories.

Expected figures come from hand-worked cases or from plain pandas on the shipped sample file,
never from the functions under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import SourceFormatError
from helpers.domains.referrals import cleanse as referrals_cleanse
from helpers.domains.referrals import measures as referrals
from helpers.domains.referrals import trajectory
from helpers.sources import referral_extract as src
from support import referral_sample, scratch, settings_for
from support.referral_sample import AS_AT, SAMPLE, SAMPLE_DIR

GOOD = [  # referral_id, received, practice, priority, specialty, source, channel, status, booked, appointment,
          # cancelled, returned, transferred, transferred_to
    ("A1", "03/01/2011", "Z90001", "urgent", "110", "gp", "e_referral", "booked", "04/01/2011", "10/01/2011", "", "", "", ""),
    ("A2", "40546", "Z90001", "routine", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
    ("A3", "2011-01-03", "Z90002", "Two week wait", "502", "Consultant", "manual", "returned", "", "", "", "05/01/2011", "", ""),
    ("A4", "03/01/2011", "z90002", "routine", "101", "gp", "e-Referral", "transferred", "", "", "", "", "20/01/2011", "Trust X"),
]
BAD = {
    "B1": (("B1", "Dec-10", "Z90001", "routine", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "received_date", "month only"),
    "B2": (("B2", "03/01/2011", "Z90001", "urgent", "110", "gp", "manual", "booked", "04/01/2011", "01/01/2011", "", "", "", ""),
           "appointment_date", "appointment date before the referral was received"),
    "B3": (("B3", "03/01/2011", "Z99999", "routine", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "practice_code", "practice not in the practice list sizes file"),
    "B4": (("B4", "03/01/2011", "12345", "routine", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "practice_code", "not a GP practice code"),
    "B5": (("B5", "03/01/2011", "Z90001", "soon", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "priority", "not one of"),
    "B6": (("B6", "03/01/2011", "Z90001", "routine", "110", "gp", "manual", "booked", "", "", "", "", "", ""),
           "status", "status 'booked' without a booked_date"),
    "B7": (("B7", "03/01/2011", "Z90001", "routine", "110", "gp", "manual", "booked", "13/05/2011", "", "", "", "", ""),
           "booked_date", "after the extract date"),
    "B8": (("B8", "31/02/2011", "Z90001", "routine", "110", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "received_date", "not a date"),
    "B9": (("B9", "03/01/2011", "Z90001", "routine", "1100", "gp", "manual", "not_booked", "", "", "", "", "", ""),
           "specialty_code", "not a treatment function code"),
}
COLUMNS = ["referral_id", "received_date", "practice_code", "priority", "specialty_code", "source", "channel", "status",
           "booked_date", "appointment_date", "cancelled_date", "returned_date", "transferred_date", "transferred_to"]


def _extract(tmp_path: Path, rows) -> Path:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.insert(1, "nhs_number", [f"99900000{i:02d}" for i in range(len(frame))])
    path = tmp_path / "referral_extract_20110512.csv"
    frame.to_csv(path, index=False)
    return path


def _checked(tmp_path, rows):
    raw, _ = src.read_extract(_extract(tmp_path, rows))
    return referrals.check_rows(raw, "x.csv", as_at=AS_AT, known_practices={"Z90001", "Z90002"})


def test_good_rows_pass_in_every_date_format(tmp_path):
    good, quarantine = _checked(tmp_path, GOOD)
    assert quarantine.empty
    assert list(good["referral_id"]) == ["A1", "A2", "A3", "A4"]
    assert (good["received_date"] == pd.Timestamp("2011-01-03")).all()  # dd/mm/yyyy, Excel serial, ISO
    assert list(good["priority"].astype(str)) == ["urgent", "routine", "two_week_wait", "routine"]
    assert list(good["practice_code"].astype(str)) == ["Z90001", "Z90001", "Z90002", "Z90002"]
    assert list(good["source"].astype(str)) == ["gp", "gp", "consultant", "gp"]


@pytest.mark.parametrize("rid", sorted(BAD))
def test_bad_row_is_quarantined_with_its_reason(tmp_path, rid):
    row, column, reason = BAD[rid]
    good, quarantine = _checked(tmp_path, GOOD + [row])
    assert list(good["referral_id"]) == ["A1", "A2", "A3", "A4"]  # the others are untouched
    assert list(quarantine.columns) == ["source", "file", "line", "column", "value", "reason"]
    hit = quarantine[quarantine["column"] == column]
    assert len(hit) >= 1 and hit["reason"].str.contains(reason, regex=False).all(), quarantine
    assert (quarantine["line"] == 6).all()  # header is line 1, the bad row the fifth data row


def test_duplicate_ids_hold_back_every_copy(tmp_path):
    rows = GOOD + [GOOD[0][:1] + GOOD[1][1:]]  # A1 again
    good, quarantine = _checked(tmp_path, rows)
    assert "A1" not in set(good["referral_id"])
    assert sorted(quarantine["line"]) == [2, 6]
    assert quarantine["reason"].str.contains("repeated 2 times").all()


def test_no_practice_list_means_format_check_only(tmp_path):
    raw, _ = src.read_extract(_extract(tmp_path, GOOD + [BAD["B3"][0]]))
    good, quarantine = referrals.check_rows(raw, "x.csv", as_at=AS_AT, known_practices=None)
    assert quarantine.empty and "B3" in set(good["referral_id"])


def test_identifiers_never_reach_the_checked_tables(tmp_path):
    good, quarantine = _checked(tmp_path, GOOD + [row for row, _, _ in BAD.values()])
    assert "nhs_number" not in good.columns
    text = good.to_csv() + quarantine.to_csv()
    assert "99900000" not in text


# --- measures: hand-worked ------------------------------------------------------------------------

def _typed(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["received_date", "booked_date", "cancelled_date", "returned_date",
                                        "transferred_date", "priority", "source"])
    for c in frame.columns[:5]:
        frame[c] = pd.to_datetime(frame[c])
    frame["channel"] = "manual"
    frame["transferred_to"] = np.where(frame["transferred_date"].notna(), "Trust X", None)
    frame["practice_code"] = ["Z90001", "Z90001", "Z90002", "Z90002", "Z90002", "Z90001"][:len(frame)]
    return frame


HAND = _typed([
    ("2011-01-03", "2011-01-04", None, None, None, "urgent", "gp"),          # urgent, booked next day
    ("2011-01-03", "2011-01-10", None, None, None, "urgent", "gp"),          # urgent, booked in 7 days
    ("2011-01-05", None, None, "2011-01-07", None, "routine", "gp"),         # returned to GP
    ("2011-01-20", None, None, None, "2011-02-01", "routine", "consultant"),  # transferred
    ("2011-02-01", "2011-03-20", None, None, None, "routine", "gp"),         # booked after 7 weeks
    ("2011-02-14", None, None, None, None, "routine", "gp"),                 # still waiting
])


def test_state_and_monthly_by_hand():
    when = pd.Timestamp("2011-03-01")
    assert list(referrals.state_at(HAND, when)) == ["booked", "booked", "returned_or_cancelled", "transferred",
                                                    "not_booked", "not_booked"]
    m = referrals.monthly(HAND, when).set_index("month")
    jan, feb = m.loc[pd.Timestamp("2011-01-01")], m.loc[pd.Timestamp("2011-02-01")]
    assert (jan["received"], jan["booked"], jan["not_booked"], jan["returned_or_cancelled"]) == (4, 3, 0, 1)
    assert jan["transferred"] == 1 and jan["consultant_to_consultant"] == 1
    assert jan["pct_returned_or_cancelled"] == pytest.approx(25.0)
    assert (jan["pct_urgent_booked_48h"], jan["pct_urgent_booked_5d"]) == (50.0, 50.0)
    assert (feb["received"], feb["not_booked"]) == (2, 2)


def test_backlog_waits_transfers_by_hand():
    b = referrals.backlog_series(HAND, pd.Timestamp("2011-03-24"), window_days=28).set_index("week_ending")
    # 24 Mar: all received, 5 left (two booked Jan, returned, transferred, booked 20 Mar): 1 waiting
    assert b.loc[pd.Timestamp("2011-03-24"), "backlog"] == 1
    # 17 Mar: the 1 Feb referral not booked yet either
    assert b.loc[pd.Timestamp("2011-03-17"), "backlog"] == 2
    # 20 Jan: received 4 by then, 3 left by then (booked 4 Jan, booked 10 Jan, returned 7 Jan): 1
    assert b.loc[pd.Timestamp("2011-01-20"), "backlog"] == 1
    waits = referrals.wait_bands(HAND, pd.Timestamp("2011-03-01")).groupby("band")["not_booked"].sum()
    # 1 Feb -> 28 days = 4 weeks; 14 Feb -> 15 days = 2 weeks: both 0-5 weeks
    assert waits["0-5 weeks"] == 2 and waits.drop("0-5 weeks").sum() == 0
    waits = referrals.wait_bands(HAND, pd.Timestamp("2011-05-20")).groupby("band")["not_booked"].sum()
    assert waits["10-13 weeks"] == 1  # 14 Feb -> 20 May = 95 days = 13 weeks
    assert referrals.transfers(HAND, pd.Timestamp("2011-03-01"))["transferred"].tolist() == [1]


def test_practice_rate_by_hand():
    sizes = pd.DataFrame({"practice_code": ["Z90001", "Z90002"], "practice_name": ["P1", "P2"],
                          "weighted_list_size": [2000.0, 4000.0]})
    rates = referrals.practice_rates(HAND, pd.Timestamp("2011-03-01"), sizes).set_index("practice_code")
    # GP referrals only: Z90001 has 3 (rows 1, 2, 6), Z90002 has 2 (rows 3, 5; row 4 is consultant-to-consultant)
    assert rates["gp_referrals"].to_dict() == {"Z90001": 3, "Z90002": 2}
    assert rates.loc["Z90001", "rate_per_1000"] == pytest.approx(1.5)
    assert rates.loc["Z90002", "rate_per_1000"] == pytest.approx(0.5)
    days = (pd.Timestamp("2011-03-01") - pd.Timestamp("2011-01-03")).days + 1
    assert rates.loc["Z90001", "rate_per_1000_per_year"] == pytest.approx(1.5 * 365.25 / days)
    without = referrals.practice_rates(HAND, pd.Timestamp("2011-03-01"), None)
    assert without["rate_per_1000"].isna().all() and without["gp_referrals"].sum() == 5


# --- trajectories: a hand-worked case ---------------------------------------------------------------

def test_trajectory_hand_worked():
    # Start 1,000 not booked, 10 referrals a day (70 a week). 2 WTE x 20 a day x 5 days = 200, plus 5 overtime
    # hours x 4 = 20: 220 a week; 1 temporary WTE (+100) in weeks 1-2.
    # week 1: 1000 + 70 - 320 = 750; week 2: 750 + 70 - 320 = 500; week 3: 500 + 70 - 220 = 350;
    # week 4: 200; week 5: 50; week 6: max(0, 50 + 70 - 220) = 0.
    plan = trajectory.Scenario.from_params("p", {"wte": 2, "bookings_per_wte_day": 20, "overtime_hours": 5,
                                                 "bookings_per_overtime_hour": 4, "temporary_wte": 1,
                                                 "temporary_weeks": 2})
    frame = trajectory.project(plan, start_backlog=1000, start="2011-05-12", daily_inflow=10, weeks=6)
    assert frame["backlog"].tolist() == [1000, 750, 500, 350, 200, 50, 0]
    assert frame["capacity"].tolist() == [0, 320, 320, 220, 220, 220, 220]
    assert trajectory.target_met(frame, 200) == pd.Timestamp("2011-06-09")  # four weeks after 12 May
    assert trajectory.target_met(frame, -1) is None


def test_plans_side_by_side_with_their_own_targets():
    plans = trajectory.scenarios({
        "a": {"label": "A", "wte": 2, "bookings_per_wte_day": 20, "target_days": 5},       # target 50
        "b": {"label": "B", "wte": 2, "bookings_per_wte_day": 20, "temporary_wte": 2, "temporary_weeks": 1,
              "temporary_from_week": 2, "target": 400}})
    projections, summary = trajectory.project_all(plans, start_backlog=1000, start="2011-05-12", daily_inflow=10,
                                                  target=0, weeks=10)
    s = summary.set_index("scenario")
    assert s.loc["a", "target"] == 50 and s.loc["b", "target"] == 400
    # a: -130 a week: 870, 740, 610, 480, 350, 220, 90, 0 -> 50 met in week 8
    assert s.loc["a", "weeks_to_target"] == 8
    # b: week 1 870, week 2 (+200 capacity) 540, week 3 410, week 4 280 -> 400 met in week 4
    assert s.loc["b", "weeks_to_target"] == 4
    assert set(projections["scenario"]) == {"a", "b"}
    with pytest.raises(ValueError, match="unknown setting"):
        trajectory.scenarios({"c": {"wte": 1, "bookings_per_wte_day": 1, "staff": 3}})


# --- the shipped sample against plain pandas ------------------------------------------------------------

def run(folder, out, **changes):
    """The cleanse stage on ``folder``, outputs under ``out``, params.yaml's settings with ``changes``."""
    return referrals_cleanse.run({"referral_gateway": folder}, settings_for("cleanse_referrals", **changes),
                                 scratch(out))


@pytest.fixture(scope="module")
def sample_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("referrals")
    return run(SAMPLE_DIR, out), out


@pytest.fixture(scope="module")
def plain():
    return referral_sample.plain()


def test_sample_backlog_and_returns_match_plain_pandas(sample_result, plain):
    result, _ = sample_result
    frame, held, _ = plain
    left = frame[["booked_date", "cancelled_date", "returned_date", "transferred_date"]].notna().any(axis=1)
    head = result.tables["headline"].iloc[0]
    assert head["not_booked"] == int((~left).sum())
    assert head["received"] == len(frame)
    returned = (frame["cancelled_date"].notna() | frame["returned_date"].notna()).sum()
    assert head["pct_returned_or_cancelled"] == pytest.approx(100 * returned / len(frame))
    assert result.tables["quarantine"]["line"].nunique() == held
    recent = frame["received_date"] > AS_AT - pd.Timedelta(days=28)
    assert head["daily_inflow"] == pytest.approx(recent.sum() / 28)


def test_sample_monthly_volumes_and_transfers_match_plain_pandas(sample_result, plain):
    result, _ = sample_result
    frame, _, _ = plain
    expected = frame.groupby(frame["received_date"].dt.to_period("M").dt.to_timestamp()).size()
    got = result.tables["monthly"].set_index("month")["received"]
    assert got.to_dict() == expected.to_dict()
    transfers = frame.dropna(subset=["transferred_date"]).groupby("to").size()
    assert result.tables["transfers"].set_index("transferred_to")["transferred"].to_dict() == transfers.to_dict()


def test_sample_practice_rates_match_plain_pandas(sample_result, plain):
    result, _ = sample_result
    frame, _, sizes = plain
    gp = frame[frame["source"] == "gp"].groupby("practice").size()
    expected = (1000 * gp / sizes.set_index("practice_code")["weighted_list_size"]).dropna()
    got = result.tables["practices"].set_index("practice_code")["rate_per_1000"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_sample_is_calibrated_to_the_board_paper(plain):
    frame, _, _ = plain
    month = frame["received_date"].dt.strftime("%Y-%m")
    # the paper's monthly volumes, less the handful of deliberately broken rows
    for m, printed in {"2010-12": 1687, "2011-01": 3130, "2011-02": 3948, "2011-03": 4292}.items():
        assert printed - 10 <= (month == m).sum() <= printed
    returned = frame["cancelled_date"].notna() | frame["returned_date"].notna()
    dec_mar = month.between("2010-12", "2011-03")
    assert 0.08 <= returned[dec_mar].mean() <= 0.11


def test_processed_tables_carry_no_identifiers(sample_result):
    result, out = sample_result
    raw = pd.read_csv(SAMPLE, dtype=str, usecols=["nhs_number", "patient_name", "date_of_birth"])
    assert result.provenance["dropped_identifier_columns"] == ["nhs_number", "patient_name", "date_of_birth"]
    for path in (out / "data" / "processed").glob("*.parquet"):
        frame = pd.read_parquet(path)
        assert not {"nhs_number", "patient_name", "date_of_birth"} & set(frame.columns), path.name
        text = frame.astype(str).to_csv()
        for value in list(raw["nhs_number"].head(200)) + list(raw["patient_name"].head(200)):
            assert value not in text, (path.name, value)


def test_as_at_an_earlier_date(sample_result, tmp_path):
    result = run(SAMPLE_DIR, tmp_path, as_at="2011-03-31")
    head = result.tables["headline"].iloc[0]
    assert head["as_at"] == pd.Timestamp("2011-03-31")
    assert head["received"] < sample_result[0].tables["headline"].iloc[0]["received"]
    assert result.tables["monthly"]["month"].max() == pd.Timestamp("2011-03-01")
    with pytest.raises(SourceFormatError, match="after the extract's own date"):
        run(SAMPLE_DIR, tmp_path, as_at="2011-06-01")


def test_too_many_bad_rows_stop_the_run(tmp_path):
    rows = GOOD + [row for row, _, _ in BAD.values()]
    folder = tmp_path / "referral_gateway"
    folder.mkdir()
    _extract(folder, rows)
    with pytest.raises(SourceFormatError, match=r"rows .* fail the row checks, more than the 5"):
        run(folder, tmp_path)
    assert not (tmp_path / "data").exists()  # nothing written


def test_filters_select_specialty_and_practice(sample_result, tmp_path):
    result = run(SAMPLE_DIR, tmp_path, specialties=("110",), practices=("Z90001",))
    cleansed = result.tables["cleansed"]
    assert set(cleansed["specialty_code"].astype(str)) == {"110"}
    assert set(cleansed["practice_code"].astype(str)) == {"Z90001"}
    raw = pd.read_csv(SAMPLE, dtype=str)
    expected = raw[(raw["specialty_code"] == "110") & (raw["practice_code"] == "Z90001")]
    assert len(cleansed) <= len(expected) and len(expected) - len(cleansed) <= 2  # less any quarantined
