"""A practice pack draws a funnel plot only for an indicator the practice has a value for, and says why not."""

from __future__ import annotations

import numpy as np
import pandas as pd
from bs4 import BeautifulSoup

import support
from helpers.domains.scorecard import CATALOGUE, report
from helpers.domains.scorecard import measures as scorecard

CATALOGUE_ROWS = scorecard.load_catalogue(support.ROOT / CATALOGUE)
CHOSEN = [i for i in CATALOGUE_ROWS if i.id in ("imm_6in1_12m", "ae_0to4")]


def _indicators() -> pd.DataFrame:
    """Ten practices with both indicators, except that P10 has no 6-in-1 coverage published."""
    rng = np.random.default_rng(1)
    rows = []
    for ind in CHOSEN:
        for n in range(1, 11):
            code = f"P{n:02d}"
            if code == "P10" and ind.id == "imm_6in1_12m":
                continue
            denominator = int(rng.integers(40, 400))
            numerator = int(denominator * (0.9 if ind.type == "proportion" else 0.7))
            rows.append({"indicator_id": ind.id, "practice_code": code, "period": "2021/22", "period_rank": 1,
                         "numerator": numerator, "denominator": denominator,
                         "value": numerator / denominator * ind.multiplier, "band": "Good"})
    return pd.DataFrame(rows)


def test_no_chart_for_an_indicator_the_practice_has_no_value_for_and_one_line_saying_why():
    indicators = _indicators()
    assert report.no_chart_reasons(indicators, CHOSEN, "P01") == []
    six_in_one = next(i for i in CHOSEN if i.id == "imm_6in1_12m")
    assert report.no_chart_reasons(indicators, CHOSEN, "P10") == [
        f"No chart for {six_in_one.name}: no value published for this practice in 2021/22."]
    alt = BeautifulSoup(report.peer_funnels(indicators, CHOSEN, "P10"), "html.parser").find("img")["alt"]
    assert six_in_one.name not in alt and "A&E attendances" in alt
    both = BeautifulSoup(report.peer_funnels(indicators, CHOSEN, "P01"), "html.parser").find("img")["alt"]
    assert six_in_one.name in both


def test_a_practice_with_no_values_gets_no_figure():
    indicators = _indicators()
    assert report.peer_funnels(indicators[indicators["practice_code"] != "P05"], CHOSEN, "P05") == ""
    assert len(report.no_chart_reasons(indicators[indicators["practice_code"] != "P05"], CHOSEN, "P05")) == 2


def test_what_each_pack_asks_of_one_frame_is_found_once_and_a_new_frame_is_asked_afresh():
    indicators = _indicators()
    first = report.funnel_candidates(indicators, CHOSEN)
    assert report.funnel_candidates(indicators, CHOSEN) is first  # one run of packs: found once
    without_p01 = indicators[(indicators["practice_code"] != "P01") | (indicators["indicator_id"] != "ae_0to4")]
    assert report.no_chart_reasons(indicators, CHOSEN, "P01") == []
    assert len(report.no_chart_reasons(without_p01, CHOSEN, "P01")) == 1  # another frame: not the kept answer
    assert [ind.id for ind, _ in report.funnel_candidates(indicators, CHOSEN[:1])] == [CHOSEN[0].id]  # another catalogue


def test_what_to_look_at_lists_the_unacceptable_and_the_worse_than_the_icb_only():
    rows = pd.DataFrame({
        "practice_code": ["P1"] * 4 + ["P2"], "period_rank": [1, 1, 1, 2, 1], "section": ["A", "A", "B", "A", "A"],
        "indicator_id": ["a", "b", "c", "a", "a"], "indicator_name": ["Alpha", "Beta", "Gamma", "Alpha", "Alpha"],
        "band": ["Unacceptable", "Good", "Good", "Unacceptable", "Unacceptable"],
        "compared_to_icb": ["Worse", "Worse", "Similar", "Worse", "Worse"],
        "value": [80.04, 91.0, 95.0, 70.0, 10.0], "icb_value": [90.0, 93.0, 94.0, 90.0, 90.0],
        "unit": ["%", "£", "%", "%", "%"]})
    assert report.to_look_at(rows, "P1") == ["Alpha: Unacceptable and worse than the ICB (80.0%, ICB 90.0%)",
                                             "Beta: worse than the ICB (£91.0, ICB £93.0)"]
    assert report.to_look_at(rows, "P9") == []


def test_funnel_axes_are_fitted_to_the_points_and_limits_with_a_key_to_the_bands():
    """Prevalence-like values of 6 to 15% get an axis around them, not 0 to 100%, and the key names the
    bands of the points drawn."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(3)
    prevalence = scorecard.Indicator(id="prev", name="Recorded prevalence of something", source="x", select={},
                                     domain="d", section="C", type="proportion", polarity="no judgement",
                                     multiplier=100, unit="%")
    denominators = rng.integers(3000, 15000, 20)
    shares = rng.uniform(0.06, 0.15, 20)
    rows = pd.DataFrame({"indicator_id": "prev", "practice_code": [f"P{n:02d}" for n in range(20)], "period": "2020/21",
                         "period_rank": 1, "numerator": np.round(denominators * shares), "denominator": denominators,
                         "band": ["Not banded"] * 19 + ["Good"]})
    rows["value"] = rows["numerator"] / rows["denominator"] * 100
    fig, panels = report.funnel_figure_panels(rows, [prevalence])
    try:
        (ax, _ind, _rows), = panels
        bottom, top = ax.get_ylim()
        assert bottom <= rows["value"].min() and top >= rows["value"].max()
        assert bottom > 0 and top < 30  # fitted, not 0 to 100
        assert top - bottom < 3 * (rows["value"].max() - rows["value"].min())
        assert any("axis starts at" in t.get_text() for t in ax.texts)  # the break marked
        labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert {"Good", "Not banded", "This practice", "95% limits"} <= set(labels)
        assert "Unacceptable" not in labels  # only the bands drawn
    finally:
        plt.close(fig)
