"""SPC rules on hand-worked series, for both presets (figures worked by hand in the comments)."""

import pandas as pd
import pytest

from helpers.methods import spc

PRESETS = ["plotthedots", "nhse_excel"]


def frame(values, start="2022-01-01"):
    return pd.DataFrame({"period": pd.date_range(start, periods=len(values), freq="MS"), "value": values})


# Sigma = 1 exactly: mean moving range 3 / 2.66, so 2 sigma = 2 and the limits are +/- 3.
UNIT = spc.Limits(mean=0.0, mean_moving_range=3 / 2.66, lower=-3.0, upper=3.0, points=20, trial=False)


def test_limits_are_mean_plus_minus_2_66_mean_moving_range():
    # values 1..5: mean 3, moving ranges all 1 -> limits 3 -/+ 2.66
    lim = spc.limits([1, 2, 3, 4, 5], spc.settings("nhse_excel"))
    assert (lim.mean, lim.mean_moving_range) == (3, 1)
    assert lim.lower == pytest.approx(0.34) and lim.upper == pytest.approx(5.66)
    assert lim.upper_2sigma == pytest.approx(3 + 2 * 2.66 / 3)


SCREEN = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]  # 18 points, one outlier


@pytest.mark.parametrize("preset, expected_mr", [
    # 17 moving ranges: fifteen 1s, 8 and 9 -> mean 32/17 = 1.882; 3.267 x 1.882 = 6.15 screens out
    # 8 and 9 (plotthedots) -> 1.0; the Excel tool keeps them -> 32/17.
    ("plotthedots", 1.0), ("nhse_excel", 32 / 17)])
def test_moving_range_screening(preset, expected_mr):
    lim = spc.limits(SCREEN, spc.settings(preset))
    assert lim.mean == pytest.approx(35 / 18)
    assert lim.mean_moving_range == pytest.approx(expected_mr)
    assert lim.upper == pytest.approx(35 / 18 + 2.66 * expected_mr)
    points = spc.chart(frame(SCREEN), cfg=preset)
    assert points["beyond_limits_high"].tolist() == [i == 4 for i in range(18)]
    assert not points["beyond_limits_low"].any()


def test_beyond_limits_on_both_sides():
    high, low = spc.beyond_limits([0, 3.1, -3.1, 3, -3], UNIT)
    assert high.tolist() == [False, True, False, False, False]  # on the limit is not beyond it
    assert low.tolist() == [False, False, True, False, False]


# Shift: 7 points alternating 11/13 then 7 alternating 9/7. Mean 140/14 = 10; every moving range
# is 2, so sigma = 1.773, 2 sigma = 13.55 (no point beyond it) and the limits are 10 -/+ 5.32.
SHIFT_7 = [11, 13, 11, 13, 11, 13, 11, 9, 7, 9, 7, 9, 7, 9]
# The same with runs of 6: mean 10; moving ranges five 2s, 4, five 2s.
SHIFT_6 = [11, 13, 11, 13, 11, 13, 9, 7, 9, 7, 9, 7]


@pytest.mark.parametrize("preset", PRESETS)
def test_shift_of_seven_flags_both_runs(preset):
    points = spc.chart(frame(SHIFT_7), cfg=preset)
    assert points["mean"].iloc[0] == 10 and points["upper"].iloc[0] == pytest.approx(15.32)
    assert points["shift_high"].tolist() == [True] * 7 + [False] * 7
    assert points["shift_low"].tolist() == [False] * 7 + [True] * 7
    for rule in ("beyond_limits", "trend", "two_of_three"):
        assert not points[f"{rule}_high"].any() and not points[f"{rule}_low"].any(), rule
    assert points["point_class"].tolist() == ["improvement"] * 7 + ["concern"] * 7
    assert spc.variation(points, "increase", preset) == "concern_low"
    down = spc.chart(frame(SHIFT_7), cfg=preset, direction="decrease")
    assert down["point_class"].tolist() == ["concern"] * 7 + ["improvement"] * 7
    assert spc.variation(down, "decrease", preset) == "improvement_low"
    neither = spc.chart(frame(SHIFT_7), cfg=preset, direction="neither")
    assert set(neither["point_class"]) == {"neutral"}
    assert spc.variation(neither, "neither", preset) == "neither_low"


@pytest.mark.parametrize("preset", PRESETS)
def test_run_of_six_is_not_a_shift_unless_the_length_is_six(preset):
    points = spc.chart(frame(SHIFT_6), cfg=preset)
    assert not points["shift_high"].any() and not points["shift_low"].any()
    assert set(points["point_class"]) == {"common cause"}
    six = spc.chart(frame(SHIFT_6), cfg=spc.settings(preset, shift_length=6))
    assert six["shift_high"].tolist() == [True] * 6 + [False] * 6


def test_a_point_on_the_mean_breaks_a_shift():
    lim = spc.Limits(10, 1, 7.34, 12.66, 20, False)
    high, _ = spc.shift([11, 11, 11, 10, 11, 11, 11, 11], lim, 7)
    assert not high.any()
    high, _ = spc.shift([11] * 7 + [10], lim, 7)
    assert high.tolist() == [True] * 7 + [False]


def test_trend_of_seven_points_up_and_down():
    up, down = spc.trend([3, 1, 2, 3, 4, 5, 6, 7, 5], 7)  # 1..7 rises six times: seven points
    assert up.tolist() == [False] + [True] * 7 + [False]
    assert not down.any()
    up, down = spc.trend([9, 8, 7, 6, 5, 4, 3, 4], 7)
    assert down.tolist() == [True] * 7 + [False] and not up.any()


def test_trend_of_six_points_or_with_a_tie_is_not_a_trend():
    assert not spc.trend([3, 1, 2, 3, 4, 5, 6, 5], 7)[0].any()
    assert not spc.trend([1, 2, 3, 3, 4, 5, 6, 7], 7)[0].any()  # the tie splits 3 and 5 points
    assert spc.trend([3, 1, 2, 3, 4, 5, 6, 5], 6)[0].tolist() == [False] + [True] * 6 + [False]


def test_two_of_three_flags_only_the_points_beyond_two_sigma():
    # windows (0.5, 2.5, 0.5): one beyond; (2.5, 0.5, 2.5): two beyond, all above the mean.
    high, low = spc.two_of_three([0.5, 2.5, 0.5, 2.5, 0.5], UNIT)
    assert high.tolist() == [False, True, False, True, False] and not low.any()


def test_two_of_three_needs_all_three_on_one_side():
    high, low = spc.two_of_three([2.5, -0.5, 2.5], UNIT)
    assert not high.any() and not low.any()
    high, low = spc.two_of_three([-2.5, -2.1, 0.5], UNIT)
    assert not low.any()
    high, low = spc.two_of_three([-2.5, -2.1, -0.5], UNIT)
    assert low.tolist() == [True, True, False] and not high.any()


def test_two_of_three_counts_points_beyond_the_limit():
    high, _ = spc.two_of_three([2.5, 3.5, 1.0], UNIT)
    assert high.tolist() == [True, True, False]
    high, _ = spc.two_of_three([1.0, 1.5, 3.5], UNIT)  # one beyond 2 sigma only
    assert not high.any()


@pytest.mark.parametrize("preset", PRESETS)
def test_two_of_three_in_a_chart(preset):
    # 20 points alternating 9/11 (mean 10, moving range 2 -> sigma 1.773, 2 sigma 13.547, limit
    # 15.32), then 14 and 14.5: both beyond 2 sigma, within the limit. With them the mean is
    # (200 + 28.5) / 22 = 10.386 and the moving ranges are nineteen 2s, 3 and 0.5: mean 41.5/21.
    values = [9, 11] * 10 + [14, 14.5]
    points = spc.chart(frame(values), cfg=preset)
    mean, mr = 228.5 / 22, 41.5 / 21
    assert points["mean"].iloc[0] == pytest.approx(mean)
    assert points["upper_2sigma"].iloc[0] == pytest.approx(mean + 2 * 2.66 / 3 * mr)
    assert points["two_of_three_high"].tolist() == [False] * 20 + [True, True]
    assert not points["beyond_limits_high"].any()
    assert spc.variation(points, "increase", preset) == "improvement_high"
    down = spc.chart(frame(values), cfg=preset, direction="decrease")
    assert spc.variation(down, "decrease", preset) == "concern_high"


# Rebase: 20 points alternating 9/11 then 20 alternating 19/21.
STEP = [9, 11] * 10 + [19, 21] * 10


@pytest.mark.parametrize("preset, mean_mr", [
    # Without a rebase: mean 15; 39 moving ranges, thirty-eight 2s and one 8 (11 -> 19): mean 84/39.
    # plotthedots screens the 8 out (3.267 x 2.154 = 7.04) -> 2.0; the Excel tool keeps it.
    ("plotthedots", 2.0), ("nhse_excel", 84 / 39)])
def test_rebase_splits_the_limits(preset, mean_mr):
    whole = spc.chart(frame(STEP), cfg=preset)
    assert whole["mean"].iloc[0] == 15
    assert whole["upper"].iloc[0] == pytest.approx(15 + 2.66 * mean_mr)
    assert whole["shift_low"].iloc[:20].all() and whole["shift_high"].iloc[20:].all()
    rebased = spc.chart(frame(STEP), cfg=preset, rebase=["2023-09-01"])  # the 21st month
    assert rebased["segment"].tolist() == [0] * 20 + [1] * 20
    assert rebased["mean"].tolist() == [10] * 20 + [20] * 20
    # Each segment: moving ranges all 2 (the jump is not a range within a segment) -> +/- 5.32.
    assert rebased["upper"].to_numpy() == pytest.approx([15.32] * 20 + [25.32] * 20)
    assert set(rebased["point_class"]) == {"common cause"}
    assert spc.variation(rebased, "increase", preset) == "common_cause"


def test_runs_do_not_cross_a_rebase():
    # 4 points above the first segment's mean and 4 above the second's: no run of 7 in either.
    values = [5, 5.5, 6, 5.5, 11, 12, 11, 12, 1, 2, 1, 2, 9, 10, 9, 10]
    points = spc.chart(frame(values), cfg="plotthedots", rebase=["2022-09-01"])
    assert not points["shift_high"].any() and not points["shift_low"].any()


@pytest.mark.parametrize("preset, icons", [("plotthedots", True), ("nhse_excel", False)])
def test_trial_limits_below_the_minimum(preset, icons):
    points = spc.chart(frame([9, 11, 9, 11, 9]), cfg=preset)
    assert points["trial"].all() and points["mean"].iloc[0] == pytest.approx(9.8)
    assert (spc.variation(points, "increase", preset) == "common_cause") is icons
    assert (spc.assurance(points, 4, "increase", preset) == "pass") is icons  # limits 4.48, 15.12
    # 12 points: firm for plotthedots (12), still trial for the Excel tool (13).
    twelve = spc.chart(frame([9, 11] * 6), cfg=preset)
    assert bool(twelve["trial"].all()) is (preset == "nhse_excel")
    assert not spc.chart(frame([9, 11] * 7), cfg=preset)["trial"].any()


def test_one_point_has_no_limits():
    points = spc.chart(frame([5.0]), cfg="plotthedots")
    assert points["mean"].isna().all()
    assert spc.variation(points, "increase") is None and spc.assurance(points, 1, "increase") is None


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("target, direction, expected", [
    (4, "increase", "pass"), (16, "increase", "fail"), (10, "increase", "hit_and_miss"),
    (16, "decrease", "pass"), (4, "decrease", "fail"), (10, "decrease", "hit_and_miss"),
    (None, "increase", None), (10, "neither", None)])
def test_assurance_from_target_against_limits(preset, target, direction, expected):
    points = spc.chart(frame([9, 11] * 10), cfg=preset)  # limits 4.68 and 15.32
    assert spc.assurance(points, target, direction, preset) == expected


@pytest.mark.parametrize("prefer, expected", [(True, "improvement"), (False, "concern")])
def test_conflicting_signals(prefer, expected):
    # Eight points at 20/22 then 10..16 rising: the last seven are a rising trend (improvement
    # when higher is better) and a run below the mean of 259/15 = 17.27 (concern).
    values = [20, 22] * 4 + list(range(10, 17))
    points = spc.chart(frame(values), cfg=spc.settings("plotthedots", prefer_improvement=prefer))
    assert points["mean"].iloc[0] == pytest.approx(259 / 15)
    last = points.iloc[-1]
    assert last["trend_high"] and last["shift_low"]
    assert last["point_class"] == expected


def test_unknown_preset_and_direction_are_errors():
    with pytest.raises(ValueError, match="unknown SPC preset"):
        spc.settings("excel")
    with pytest.raises(ValueError, match="improvement direction"):
        spc.chart(frame([1, 2, 3]), direction="up")


def test_presets_differ_as_documented():
    ptd, xl = spc.PRESETS["plotthedots"], spc.PRESETS["nhse_excel"]
    assert (ptd.shift_length, ptd.trend_length, ptd.screen_factor) == (7, 7, 3.267)
    assert ptd.screen_outliers and not xl.screen_outliers
    assert (xl.shift_length, xl.trend_length, xl.min_points) == (7, 7, 13)


# Twelve baseline months alternating 9 and 11 (mean 10, every moving range 2, so limits
# 10 +/- 2.66 x 2 = 4.68 to 15.32 and 2 sigma at 10 + 2 x 1.7733 = 13.55), then four at 15.5.
BASELINE = [9.0, 11.0] * 6
AFTER = [15.5] * 4


def _fixed_series():
    return pd.DataFrame({"period": pd.date_range("2024-01-31", periods=16, freq="ME"), "value": BASELINE + AFTER})


@pytest.mark.parametrize("preset", ["plotthedots", "nhse_excel"])
def test_fixed_limits_come_from_the_baseline_and_judge_later_points(preset):
    out = spc.chart(_fixed_series(), cfg=preset, fix_after_n_points=12)
    assert out["mean"].tolist() == pytest.approx([10.0] * 16)
    assert out["upper"].tolist() == pytest.approx([15.32] * 16) and out["lower"].tolist() == pytest.approx([4.68] * 16)
    assert out["baseline"].tolist() == [True] * 12 + [False] * 4
    assert out["beyond_limits_high"].tolist() == [False] * 12 + [True] * 4


def test_without_fixing_the_later_points_move_the_limits_and_are_not_beyond_them():
    out = spc.chart(_fixed_series(), cfg="nhse_excel")
    values = BASELINE + AFTER
    mean = sum(values) / 16
    mean_mr = sum(abs(b - a) for a, b in zip(values, values[1:])) / 15
    assert out["mean"].iloc[0] == pytest.approx(mean) and out["upper"].iloc[0] == pytest.approx(mean + 2.66 * mean_mr)
    assert not out["beyond_limits_high"].any() and out["baseline"].all()


def test_a_segment_shorter_than_the_baseline_takes_all_its_points():
    short = _fixed_series().iloc[:8]
    fixed, plain = spc.chart(short, fix_after_n_points=12), spc.chart(short)
    assert fixed["upper"].tolist() == pytest.approx(plain["upper"].tolist()) and fixed["baseline"].all()


def test_fixing_needs_two_points():
    with pytest.raises(ValueError, match="at least 2 points"):
        spc.chart(_fixed_series(), fix_after_n_points=1)


def test_reasons_name_the_rules_that_flagged_a_point():
    out = spc.chart(_fixed_series(), fix_after_n_points=12)
    assert spc.reasons(out.iloc[-1]) == ["a point above the upper process limit", "2 of 3 points in a row above 2 sigma"]
    assert spc.reasons(out.iloc[0]) == []
    shifted = pd.Series({"shift_low": True, "trend_high": True})
    assert spc.reasons(shifted, "plotthedots") == ["7 or more points in a row below the mean",
                                                   "7 or more points in a row each higher than the last"]
