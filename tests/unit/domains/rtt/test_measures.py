"""Tidy pathways and summary measures, checked against figures computed here from the CSV itself.

Expected figures are made with plain pandas straight from the publisher's columns (selected by the
publisher's names) and a percentile loop written in this file; small examples are worked by hand.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from helpers.domains.rtt import measures as rtt

PERIOD_END = dt.date(2026, 1, 31)
ROLLUP = "C_999"
FIRST_BAND, OPEN_BAND = "Gt 00 To 01 Weeks SUM 1", "Gt 104 Weeks SUM 1"
UNKNOWN = "Patients with unknown clock start date"
BANDED_PARTS = ["Part_1A", "Part_1B", "Part_2", "Part_2A"]
PROVIDERS = ["RXR", "RF4"]  # East Lancashire (also has commissioners with no ICB); a name with a comma
ICB = "QE1"


# --- independent arithmetic ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def bands(national_header) -> list[str]:
    """The publisher's 105 week-band columns, by name, in file order."""
    cols = national_header[national_header.index(FIRST_BAND): national_header.index(OPEN_BAND) + 1]
    assert len(cols) == 105
    assert cols[17] == "Gt 17 To 18 Weeks SUM 1" and cols[52] == "Gt 52 To 53 Weeks SUM 1"
    return cols


def interpolated_percentile(band_totals: list[float], p: float) -> float:
    """The p-th percentile in weeks, waits spread evenly over each one-week band; NaN in 104+."""
    total = sum(band_totals)
    if total == 0:
        return math.nan
    target = total * p / 100.0
    running = 0.0
    for week, count in enumerate(band_totals):
        if count > 0 and running + count >= target:
            if week == len(band_totals) - 1:
                return math.nan  # the open band has no upper end
            return week + (target - running) / count
        running += count
    return math.nan


def expected_measures(raw: pd.DataFrame, rows: pd.Series, bands: list[str]) -> dict:
    """The summary measures for the detail rows selected by ``rows``, from the CSV's own columns."""
    sel = raw.loc[rows & (raw["Treatment Function Code"] != ROLLUP)]
    per_band = sel[bands].sum()  # blank (NaN) sums as 0
    known = float(per_band.sum())
    within = float(per_band.iloc[:18].sum())
    out = {
        "total_pathways": float(sel["Total All"].sum()),
        "known_clock_start": known,
        "unknown_clock_start": float(sel[UNKNOWN].sum()),
        "within_18_weeks": within,
        "pct_within_18_weeks": 100.0 * within / known if known else math.nan,
        "median_weeks": interpolated_percentile(per_band.tolist(), 50),
        "p92_weeks": interpolated_percentile(per_band.tolist(), 92),
    }
    for weeks in (52, 65, 78):
        out[f"over_{weeks}_weeks"] = float(sel[bands[bands.index(f"Gt {weeks} To {weeks + 1} Weeks SUM 1"):]]
                                           .sum().sum())
    out["over_104_weeks"] = float(sel[OPEN_BAND].sum())
    return out


# --- the code under test, run once on the national file -----------------------------------------

@pytest.fixture(scope="module")
def pathways(national_frame) -> pd.DataFrame:
    return rtt.tidy_pathways(national_frame, PERIOD_END)


@pytest.fixture(scope="module")
def totals(national_frame) -> pd.DataFrame:
    return rtt.rollup_totals(national_frame, PERIOD_END)


@pytest.fixture(scope="module")
def summary(pathways, totals) -> pd.DataFrame:
    return rtt.summarise(pathways, totals)


def summary_row(summary: pd.DataFrame, level: str, code: str, part: str) -> pd.Series:
    rows = summary[(summary["org_level"] == level) & (summary["org_code"] == code) & (summary["rtt_part"] == part)]
    assert len(rows) == 1, (level, code, part)
    return rows.iloc[0]


def assert_matches(row: pd.Series, expected: dict) -> None:
    for name, value in expected.items():
        got = row[name]
        if math.isnan(value):
            assert pd.isna(got), name
        elif name in {"pct_within_18_weeks", "median_weeks", "p92_weeks"}:
            assert got == pytest.approx(value, abs=1e-9, rel=0), name
        else:
            assert int(got) == value, name


# --- percentile_weeks by hand --------------------------------------------------------------------

def _bands(**counts: float) -> np.ndarray:
    """A 1 x 105 band-count row: _bands(b0=10, b1=10) puts 10 in 0-1 weeks and 10 in 1-2 weeks."""
    row = np.zeros((1, 105))
    for key, value in counts.items():
        row[0, int(key[1:])] = value
    return row


def test_percentile_median_between_two_equal_bands():
    # 20 pathways, 10 waiting 0-1 weeks and 10 waiting 1-2 weeks: the 10th falls at exactly 1 week.
    assert rtt.percentile_weeks(_bands(b0=10, b1=10), 50)[0] == 1.0


def test_percentile_all_in_one_band():
    # 8 pathways all in 3-4 weeks: median at 3 + 4/8, 92nd at 3 + 7.36/8.
    row = _bands(b3=8)
    assert rtt.percentile_weeks(row, 50)[0] == pytest.approx(3.5, abs=1e-12)
    assert rtt.percentile_weeks(row, 92)[0] == pytest.approx(3.92, abs=1e-12)


def test_percentile_92_by_hand():
    # 25 pathways: 5 in 0-1, 10 in 1-2, 10 in 2-3. 92% of 25 = 23; 15 are below 2 weeks,
    # so the 92nd percentile is 8 of the 10 into the 2-3 band: 2 + 8/10 = 2.8 weeks.
    # Median: 12.5 -> 7.5 of the 10 in 1-2: 1.75 weeks.
    row = _bands(b0=5, b1=10, b2=10)
    assert rtt.percentile_weeks(row, 92)[0] == pytest.approx(2.8, abs=1e-12)
    assert rtt.percentile_weeks(row, 50)[0] == pytest.approx(1.75, abs=1e-12)


def test_percentile_skips_empty_leading_bands():
    # Nothing before week 10; 4 in 10-11 and 4 in 11-12: median = end of 10-11 = 11.0.
    assert rtt.percentile_weeks(_bands(b10=4, b11=4), 50)[0] == pytest.approx(11.0, abs=1e-12)


def test_percentile_empty_row_is_nan():
    assert np.isnan(rtt.percentile_weeks(np.zeros((1, 105)), 50)[0])


def test_percentile_in_open_band_is_nan():
    # 1 pathway in 0-1 weeks, 9 over 104 weeks: the median (5th) is in the open band -> NaN,
    # while the 5th percentile (0.5 of a pathway) is half-way through 0-1 weeks.
    row = _bands(b0=1, b104=9)
    assert np.isnan(rtt.percentile_weeks(row, 50)[0])
    assert rtt.percentile_weeks(row, 5)[0] == pytest.approx(0.5, abs=1e-12)


def test_percentile_last_closed_band_is_not_nan():
    # All in 103-104 weeks: median 103.5, a real number even though the next band is open.
    assert rtt.percentile_weeks(_bands(b103=2), 50)[0] == pytest.approx(103.5, abs=1e-12)


def test_percentile_rows_are_independent():
    rows = np.vstack([_bands(b0=10, b1=10), np.zeros((1, 105)), _bands(b3=8), _bands(b0=1, b104=9)])
    got = rtt.percentile_weeks(rows, 50)
    assert got[0] == 1.0 and np.isnan(got[1]) and got[2] == pytest.approx(3.5) and np.isnan(got[3])


# --- wait_measures on a hand-made tidy table ---------------------------------------------------

def _tidy(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["org", "week_band", "pathways"])


def test_wait_measures_hand_worked():
    # Org A: 10 in 00-01, 10 in 01-02, 5 in 52-53, 2 in 104+, 3 unknown clock start.
    #   known 27, unknown 3, within 18 = 20, % = 2000/27, over 52 = 7, over 65/78/104 = 2,
    #   median: 13.5th of 27 -> 3.5 of 10 into 01-02 = 1.35;
    #   92nd: 24.84 -> 20 before week 52, 4.84 of 5 into 52-53 = 52.968.
    # Org B: only 4 unknown -> no known clock starts: % and percentiles missing.
    table = _tidy([("A", "00-01", 10), ("A", "01-02", 10), ("A", "52-53", 5), ("A", "104+", 2),
                   ("A", "unknown", 3), ("B", "unknown", 4)])
    out = rtt.wait_measures(table, ["org"]).set_index("org")
    a, b = out.loc["A"], out.loc["B"]
    assert (a["pathways_in_bands"], a["known_clock_start"], a["unknown_clock_start"]) == (30, 27, 3)
    assert a["within_18_weeks"] == 20
    assert a["pct_within_18_weeks"] == pytest.approx(2000 / 27, abs=1e-12)
    assert (a["over_52_weeks"], a["over_65_weeks"], a["over_78_weeks"], a["over_104_weeks"]) == (7, 2, 2, 2)
    assert a["median_weeks"] == pytest.approx(1.35, abs=1e-12)
    assert a["p92_weeks"] == pytest.approx(52.968, abs=1e-12)
    assert (b["pathways_in_bands"], b["known_clock_start"], b["unknown_clock_start"]) == (4, 0, 4)
    assert pd.isna(b["pct_within_18_weeks"]) and pd.isna(b["median_weeks"]) and pd.isna(b["p92_weeks"])


def test_wait_measures_band_edges_at_18_weeks():
    # 17-18 is within 18 weeks, 18-19 is not.
    out = rtt.wait_measures(_tidy([("A", "17-18", 3), ("A", "18-19", 1)]), ["org"])
    assert out.loc[0, "within_18_weeks"] == 3
    assert out.loc[0, "pct_within_18_weeks"] == pytest.approx(75.0)


def test_week_bands_table():
    bands = rtt.week_bands()
    assert len(bands) == 106
    assert bands.iloc[0][["week_band", "week_lower", "week_upper"]].tolist() == ["00-01", 0, 1]
    assert bands.iloc[104]["week_band"] == "104+" and bands.iloc[104]["week_lower"] == 104
    assert pd.isna(bands.iloc[104]["week_upper"])
    assert bands.iloc[105]["week_band"] == "unknown"
    assert pd.isna(bands.iloc[105]["week_lower"]) and pd.isna(bands.iloc[105]["week_upper"])


# --- tidy pathways on the national file ----------------------------------------------------------

def test_tidy_sums_per_part_match_the_csv(pathways, national_raw, bands):
    detail = national_raw[national_raw["Treatment Function Code"] != ROLLUP]
    got = pathways.groupby("rtt_part", observed=True)["pathways"].sum()
    for part in BANDED_PARTS:
        rows = detail[detail["RTT Part Type"] == part]
        expected = rows[bands].sum().sum() + rows[UNKNOWN].sum()
        assert got[part] == expected, part
        assert expected > 0
    assert set(got.index) == set(BANDED_PARTS)  # Part_3 has no week bands


def test_tidy_has_no_rollups_zeros_or_duplicates(pathways):
    assert ROLLUP not in set(pathways["treatment_function_code"].astype(str))
    assert (pathways["pathways"] > 0).all()
    assert not pathways.duplicated(rtt.PATHWAY_KEY).any()
    assert list(pathways.columns) == rtt.PATHWAY_COLUMNS


def test_tidy_row_count_is_the_non_zero_cells(pathways, national_raw, bands):
    detail = national_raw[(national_raw["Treatment Function Code"] != ROLLUP)
                          & (national_raw["RTT Part Type"] != "Part_3")]
    cells = detail[bands + [UNKNOWN]].fillna(0).to_numpy()
    assert len(pathways) == int((cells > 0).sum())


def test_tidy_one_row_reproduces_its_line(pathways, national_raw, bands):
    # Pick one busy detail row of the CSV and rebuild it from the tidy table.
    detail = national_raw[(national_raw["Treatment Function Code"] != ROLLUP)
                          & (national_raw["RTT Part Type"] == "Part_2")]
    line = detail["Total All"].idxmax()
    src_row = national_raw.loc[line]
    mine = pathways[(pathways["provider_code"] == src_row["Provider Org Code"])
                    & (pathways["commissioner_code"] == src_row["Commissioner Org Code"])
                    & (pathways["rtt_part"] == "Part_2")
                    & (pathways["treatment_function_code"] == src_row["Treatment Function Code"])]
    expected = {f"{i:02d}-{i + 1:02d}" if i < 104 else "104+": src_row[c]
                for i, c in enumerate(bands) if pd.notna(src_row[c]) and src_row[c] > 0}
    assert dict(zip(mine["week_band"].astype(str), mine["pathways"])) == expected
    for _, r in mine.iterrows():
        low = int(r["week_band"][:2]) if r["week_band"] != "104+" else 104
        assert r["week_lower"] == low
        assert (pd.isna(r["week_upper"]) if low == 104 else r["week_upper"] == low + 1)
    assert (mine["provider_name"].astype(str) == src_row["Provider Org Name"]).all()
    assert (mine["period"] == pd.Timestamp(PERIOD_END)).all()


def test_rollup_totals_are_the_c999_rows(totals, national_raw):
    rollups = national_raw[national_raw["Treatment Function Code"] == ROLLUP]
    assert len(totals) == len(rollups)
    assert totals["total_pathways"].sum() == rollups["Total All"].sum()
    by_part = totals.groupby("rtt_part")["total_pathways"].sum()
    expected = rollups.groupby("RTT Part Type")["Total All"].sum()
    assert by_part.to_dict() == expected.astype("int64").to_dict()
    assert "Part_3" in by_part.index


# --- the summary, against the CSV ----------------------------------------------------------------

@pytest.mark.parametrize("part", BANDED_PARTS)
def test_england_summary(summary, national_raw, bands, part):
    rows = national_raw["RTT Part Type"] == part
    assert_matches(summary_row(summary, "england", "ENG", part), expected_measures(national_raw, rows, bands))


@pytest.mark.parametrize("part", BANDED_PARTS)
def test_icb_summary(summary, national_raw, bands, part):
    rows = (national_raw["RTT Part Type"] == part) & (national_raw["Commissioner Parent Org Code"] == ICB)
    assert_matches(summary_row(summary, "icb", ICB, part), expected_measures(national_raw, rows, bands))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("part", ["Part_2", "Part_1A"])
def test_provider_summary_sums_all_commissioners(summary, national_raw, bands, provider, part):
    rows = (national_raw["RTT Part Type"] == part) & (national_raw["Provider Org Code"] == provider)
    assert rows.sum() > 0
    assert_matches(summary_row(summary, "provider", provider, part), expected_measures(national_raw, rows, bands))


def test_provider_includes_commissioners_without_an_icb(summary, national_raw):
    # RXR treats patients for commissioners with no ICB code: the provider total must count them,
    # so it is more than the sum over its ICB-coded commissioners.
    rows = ((national_raw["RTT Part Type"] == "Part_2") & (national_raw["Provider Org Code"] == "RXR")
            & (national_raw["Treatment Function Code"] != ROLLUP))
    with_icb = national_raw.loc[rows & national_raw["Commissioner Parent Org Code"].notna(), "Total All"].sum()
    without = national_raw.loc[rows & national_raw["Commissioner Parent Org Code"].isna(), "Total All"].sum()
    assert without > 0
    assert summary_row(summary, "provider", "RXR", "Part_2")["total_pathways"] == with_icb + without


def test_england_part2_headline_by_hand(summary, national_raw, bands):
    # Restated explicitly for the headline figure: total, % within 18 weeks, median.
    part2 = national_raw[(national_raw["RTT Part Type"] == "Part_2")
                         & (national_raw["Treatment Function Code"] != ROLLUP)]
    england_bands = [float(part2[c].sum()) for c in bands]
    median = interpolated_percentile(england_bands, 50)
    row = summary_row(summary, "england", "ENG", "Part_2")
    assert row["total_pathways"] == part2["Total All"].sum()
    assert row["pct_within_18_weeks"] == pytest.approx(100 * sum(england_bands[:18]) / sum(england_bands),
                                                       abs=1e-9, rel=0)
    assert abs(row["median_weeks"] - median) < 1e-9
    assert 0 < median < 104


def test_part3_has_total_but_no_measures(summary, national_raw):
    rollups = national_raw[(national_raw["Treatment Function Code"] == ROLLUP)
                           & (national_raw["RTT Part Type"] == "Part_3")]
    detail = national_raw[(national_raw["Treatment Function Code"] != ROLLUP)
                          & (national_raw["RTT Part Type"] == "Part_3")]
    row = summary_row(summary, "england", "ENG", "Part_3")
    assert row["total_pathways"] == rollups["Total All"].sum() == detail["Total All"].sum()
    assert pd.isna(row["pct_within_18_weeks"]) and pd.isna(row["median_weeks"])
    assert pd.isna(row["known_clock_start"])
    assert row["rtt_part_description"] == "New RTT Periods - All Patients"


def test_summary_levels_and_keys(summary, national_raw):
    assert list(summary.columns) == rtt.SUMMARY_COLUMNS
    assert not summary.duplicated(rtt.SUMMARY_KEY).any()
    icbs = set(national_raw["Commissioner Parent Org Code"].dropna())
    providers = set(national_raw["Provider Org Code"])
    counts = summary.groupby("org_level", observed=True)["org_code"].nunique()
    assert counts["england"] == 1
    assert set(summary.loc[summary["org_level"] == "icb", "org_code"]) == icbs
    assert set(summary.loc[summary["org_level"] == "provider", "org_code"]) == providers
    # Every banded row adds up to the publisher's own roll-up.
    banded = summary[summary["rtt_part"] != "Part_3"].dropna(subset=["pathways_in_bands"])
    assert (banded["pathways_in_bands"] == banded["total_pathways"]).all()


def test_summary_names(summary, national_raw):
    assert summary_row(summary, "england", "ENG", "Part_2")["org_name"] == "England"
    name = national_raw.loc[national_raw["Commissioner Parent Org Code"] == ICB, "Commissioner Parent Name"].iloc[0]
    assert summary_row(summary, "icb", ICB, "Part_2")["org_name"] == name
    name = national_raw.loc[national_raw["Provider Org Code"] == "RF4", "Provider Org Name"].iloc[0]
    assert "," in name
    assert summary_row(summary, "provider", "RF4", "Part_2")["org_name"] == name
