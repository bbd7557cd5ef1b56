"""Indicator statistics against a peer's expected results.

The expected values are PHEindicatormethods' own test data (``shared/data/oracles/phe``), read
from there, never copied. Tolerances follow that suite: testthat's ``expect_equal`` (relative
1.5e-8) for the limits, and half a unit in the last printed decimal for the funnel tables,
which are stored rounded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import support
from helpers.methods import stats

ORACLES = support.ROOT.parent / "shared" / "data" / "oracles" / "phe"
REL = 1.5e-8  # testthat::expect_equal's default tolerance


def _level(label: str) -> float:
    return {"95%": 0.95, "99.8%": 0.998}[label]


def _close(actual, expected, *, rel=REL, abs_=0.0):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=abs_, equal_nan=True)


@pytest.fixture(scope="module")
def byars_wilson() -> pd.DataFrame:
    return pd.read_csv(ORACLES / "testdata_Byars_Wilson_sheets" / "testdata_B_W.csv")


def test_z_is_exact_normal_quantile():
    assert stats.z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    assert stats.z_value(0.998) == pytest.approx(3.090232306167813, rel=1e-15)
    with pytest.raises(ValueError):
        stats.z_value(95)


def test_byars_limits_match_reference(byars_wilson):
    rows = byars_wilson[byars_wilson["method"] == "Byars"]
    assert len(rows) == 7
    for row in rows.itertuples():
        lower, upper = stats.byars_limits(row.x, _level(row.confidence))
        _close(lower, row.lowercl)  # NaN where Byar's lower limit falls below zero (x=1 at 99.8%)
        _close(upper, row.uppercl)


def test_wilson_limits_match_reference(byars_wilson):
    rows = byars_wilson[byars_wilson["method"] == "Wilson"]
    assert len(rows) == 6
    for row in rows.itertuples():
        lower, upper = stats.wilson_limits(row.x, row.n, _level(row.confidence))
        _close(lower, row.lowercl)
        _close(upper, row.uppercl)


def test_phe_proportion_matches_reference_at_both_levels():
    ref = pd.read_csv(ORACLES / "testdata_Proportion_sheets" / "testdata_Prop.csv")
    for multiplier, rows in ref.groupby("multiplier"):
        got = stats.phe_proportion(rows[["Area", "Numerator", "Denominator"]], "Numerator", "Denominator",
                                   confidence=[0.95, 0.998], multiplier=multiplier)
        for column in ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]:
            _close(got[column], rows[column])
        assert list(got["statistic"]) == list(rows["statistic"])
        assert set(got["method"]) == {"Wilson"}


def test_phe_proportion_single_level_grouped():
    ref = pd.read_csv(ORACLES / "testdata_Proportion_sheets" / "testdata_Prop_g.csv").dropna(subset=["lowercl"])
    got = stats.phe_proportion(ref[["Numerator", "Denominator"]], "Numerator", "Denominator")
    _close(got["lowercl"], ref["lowercl"])
    _close(got["uppercl"], ref["uppercl"])
    assert set(got["confidence"]) == {"95%"}


def test_phe_rate_matches_reference_exact_and_byars():
    ref = pd.read_csv(ORACLES / "testdata_Rate_sheets" / "testdata_Rate.csv")
    for multiplier, rows in ref.groupby("multiplier"):
        got = stats.phe_rate(rows[["Numerator", "Denominator"]], "Numerator", "Denominator",
                             multiplier=multiplier, confidence=[0.95, 0.998])
        for column in ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]:
            _close(got[column], rows[column])
        known = rows["method"].notna()
        assert list(got.loc[known.values, "method"]) == list(rows.loc[known, "method"])
        assert list(got["statistic"]) == list(rows["statistic"])


def test_phe_rate_grouped_95():
    ref = pd.read_csv(ORACLES / "testdata_Rate_sheets" / "testdata_Rate_g.csv").dropna(subset=["lowercl"])
    for multiplier, rows in ref.groupby("multiplier"):
        got = stats.phe_rate(rows[["Numerator", "Denominator"]], "Numerator", "Denominator", multiplier=multiplier)
        _close(got["lowercl"], rows["lowercl"])
        _close(got["uppercl"], rows["uppercl"])


@pytest.fixture(scope="module")
def funnel_inputs() -> pd.DataFrame:
    return pd.read_csv(ORACLES / "testdata_funnel_prop_inputs.csv", encoding="utf-8-sig")


def _decimals(path: Path, column: str) -> int:
    """How many decimals the stored table prints (its rounding sets the tolerance)."""
    text = pd.read_csv(path, encoding="utf-8-sig", dtype=str)[column]
    return max(len(v.split(".")[1]) if "." in v else 0 for v in text)


@pytest.mark.parametrize("outputs, keep", [
    ("testdata_funnel_prop_outputs.csv", None),
    ("testdata_funnel_prop_outputs_with_axis_variation.csv", 31000),
])
def test_proportion_funnel_limits_match_reference(funnel_inputs, outputs, keep):
    data = funnel_inputs if keep is None else funnel_inputs[funnel_inputs["denominator"] < keep]
    path = ORACLES / outputs
    ref = pd.read_csv(path, encoding="utf-8-sig")
    got = stats.proportion_funnel_limits(data["numerator"], data["denominator"], multiplier=100)
    assert list(got["population"].astype(int)) == list(ref["Population"])
    pairs = {"lower95_0": "Lower2s0025limit", "upper95_0": "Upper2s0025limit",
             "lower99_8": "Lower3s0001limit", "upper99_8": "Upper3s0001limit", "baseline": "Baseline"}
    for ours, theirs in pairs.items():
        half_unit = 0.5 * 10 ** -_decimals(path, theirs)
        _close(got[ours], ref[theirs], rel=0, abs_=half_unit + 1e-12)


def test_funnel_significance_of_all_303_areas(funnel_inputs):
    assert len(funnel_inputs) == 303
    got = stats.proportion_funnel_significance(funnel_inputs["numerator"], funnel_inputs["denominator"])
    mismatched = funnel_inputs.loc[got != funnel_inputs["significance"].to_numpy(), "Area"]
    assert mismatched.empty, list(mismatched)


def test_compare_reads_polarity():
    value, lower, upper = [10, 10, 10, np.nan], [8, 4, 1, np.nan], [12, 6, 3, np.nan]
    assert list(stats.compare(value, lower, upper, 5, stats.HIGH_IS_GOOD)) == ["Better", "Similar", "Worse", "Not compared"]
    assert list(stats.compare(value, lower, upper, 5, stats.LOW_IS_GOOD)) == ["Worse", "Similar", "Better", "Not compared"]
    assert list(stats.compare(value, lower, upper, 5, stats.NO_JUDGEMENT)) == ["Higher", "Similar", "Lower", "Not compared"]
    assert list(stats.compare([1], [0.5], [2], np.nan)) == ["Not compared"]
    with pytest.raises(ValueError):
        stats.compare(value, lower, upper, 5, "up")


def test_bad_proportion_inputs_give_no_limits():
    lower, upper = stats.wilson_limits([5, 11, 1, 3], [10, 10, 0, np.nan])
    assert np.isfinite(lower[0]) and np.isnan(lower[1:]).all() and np.isnan(upper[1:]).all()
