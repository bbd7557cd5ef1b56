"""A practice pack's spine chart and trends: the spine's figures are the spread of the ICB's practices'
latest values (worked out here with plain pandas), and a trend is drawn for each indicator the
practice has values for in two or more periods, no other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from helpers.domains.scorecard import report

# three indicators, three periods (rank 1 the latest) and six practices in the ICB:
# - cov (high is good): every practice every period, except P2 in the two earlier periods and P6's
#   latest value suppressed (blank);
# - ae (low is good): the latest period only;
# - pay (no judgement): the two latest periods for P1, the latest only for the others.
PERIODS = {1: "2021/22", 2: "2020/21", 3: "2019/20"}


def _indicators() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    spec = {"cov": ("A", "high is good", "%", "proportion", (1, 2, 3)), "ae": ("B", "low is good", "per 1,000", "rate", (1,)),
            "pay": ("C", "no judgement", "£", "ratio", (1, 2))}
    for ind, (section, polarity, unit, kind, ranks) in spec.items():
        for n in range(1, 7):
            code = f"P{n}"
            for rank in ranks:
                if ind == "cov" and code == "P2" and rank > 1:
                    continue
                if ind == "pay" and rank == 2 and code != "P1":
                    continue
                value = float(rng.uniform(60, 99)) if kind == "proportion" else float(rng.uniform(100, 900))
                if ind == "cov" and code == "P6" and rank == 1:
                    value = np.nan
                compared = {"cov": ["Better", "Similar", "Worse"][n % 3], "ae": "Worse", "pay": "Not compared"}[ind]
                rows.append({"indicator_id": ind, "indicator_name": f"Indicator {ind}", "section": section,
                             "type": kind, "polarity": polarity, "unit": unit, "practice_code": code,
                             "period": PERIODS[rank], "period_rank": rank, "value": value,
                             "icb_value": 80.0 + rank, "england_value": 85.0 if ind == "cov" else np.nan,
                             "compared_to_icb": compared})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("code", ["P1", "P2", "P6"])
def test_the_spine_is_the_spread_of_the_practices_latest_values(code):
    indicators = _indicators()
    rows = report.spine_rows(indicators, code).set_index("indicator_id")
    assert list(rows.index) == ["cov", "ae", "pay"]  # the pack table's order: by section
    for ind in ("cov", "ae", "pay"):
        latest = indicators[(indicators["indicator_id"] == ind) & (indicators["period"] == "2021/22")]
        values = latest["value"].dropna()
        row = rows.loc[ind]
        assert row["icb_lowest"] == pytest.approx(values.min())
        assert row["icb_q25"] == pytest.approx(values.quantile(0.25))
        assert row["icb_q75"] == pytest.approx(values.quantile(0.75))
        assert row["icb_highest"] == pytest.approx(values.max())
        assert row["practices"] == len(values) == (5 if ind == "cov" else 6)
        own = latest.loc[latest["practice_code"] == code, "value"].iloc[0]
        assert (np.isnan(row["value"]) and np.isnan(own)) or row["value"] == own
    assert rows.loc["cov", "england_value"] == 85.0 and np.isnan(rows.loc["ae", "england_value"])


def test_better_is_to_the_right_whatever_the_polarity():
    rows = report.spine_rows(_indicators(), "P1").set_index("indicator_id")
    high, low = rows.loc["cov"], rows.loc["ae"]
    assert report.spine_position(high["icb_highest"], report.spine_scale(high)) == pytest.approx(1)
    assert report.spine_position(high["icb_lowest"], report.spine_scale(high)) == pytest.approx(0)
    assert report.spine_position(low["icb_lowest"], report.spine_scale(low)) == pytest.approx(1)  # low is good
    assert report.spine_position(low["icb_highest"], report.spine_scale(low)) == pytest.approx(0)


def test_a_point_is_coloured_by_its_comparison_only_where_the_indicator_is_judged():
    assert report.spine_class("high is good", "Better") == "Better"
    assert report.spine_class("low is good", "Worse") == "Worse"
    assert report.spine_class("no judgement", "Higher") == report.NOT_JUDGED
    assert report.spine_class("no judgement", "Similar") == report.NOT_JUDGED
    assert report.spine_class("no judgement", "Not compared") == report.NOT_COMPARED
    assert report.spine_class("high is good", "Suppressed") == report.NOT_COMPARED


def test_a_spine_chart_with_alt_text_and_its_figures_as_a_table():
    figure, table = report.spine_chart(_indicators(), "P6")
    img = BeautifulSoup(figure, "html.parser").find("img")
    assert img["alt"].startswith("Spine chart of 3 indicators")
    cells = [[td.get_text() for td in tr.find_all("td")] for tr in BeautifulSoup(table, "html.parser").tbody.find_all("tr")]
    assert [c[0] for c in cells] == ["Indicator cov", "Indicator ae", "Indicator pay"]
    assert cells[0][2] == "\u2013"  # P6's suppressed value: a dash, not 'nan'
    assert report.spine_chart(_indicators(), "P9") == ("", "")  # no rows, no chart


def test_a_trend_for_each_indicator_with_two_or_more_periods_of_values_for_the_practice():
    indicators = _indicators()
    own = indicators.dropna(subset=["value"])
    for code in [f"P{n}" for n in range(1, 7)]:
        periods = own[own["practice_code"] == code].groupby("indicator_id")["period"].nunique()
        expected = set(periods[periods >= 2].index)
        assert set(report.trend_rows(indicators, code)) == expected, code
        charts = report.trend_charts(indicators, code)
        assert len(charts) == len(expected)
        alts = [BeautifulSoup(c, "html.parser").find("img")["alt"] for c in charts]
        assert all(any(f"Trend of Indicator {ind}," in a for a in alts) for ind in expected)
    assert set(report.trend_rows(indicators, "P1")) == {"cov", "pay"}
    assert set(report.trend_rows(indicators, "P2")) == set()  # one period of coverage only
    assert set(report.trend_rows(indicators, "P6")) == {"cov"}  # the two earlier periods; the latest is blank


def test_the_pack_table_shows_the_previous_value_or_a_dash_and_the_thresholds():
    from helpers.domains.scorecard import measures as scorecard

    indicators = _indicators().assign(lower95=np.nan, upper95=np.nan, compared_to_england="Not compared",
                                      band="Not banded")
    catalogue = [scorecard.Indicator(id="cov", name="Indicator cov", source="x", select={}, domain="d", section="A",
                                     type="proportion", polarity="high is good", thresholds={"good": 95, "acceptable": 90}),
                 scorecard.Indicator(id="ae", name="Indicator ae", source="x", select={}, domain="d", section="B",
                                     type="rate", polarity="low is good", thresholds={"good": 600, "acceptable": 900})]
    table = report.pack_table(indicators, "P1", catalogue)
    previous = indicators[(indicators["practice_code"] == "P1") & (indicators["period"] == "2020/21")]
    expected = previous.set_index("indicator_id")["value"]
    assert list(table["Previous"].iloc[[0, 2]]) == pytest.approx([expected["cov"], expected["pay"]])
    assert np.isnan(table["Previous"].iloc[1])  # ae: one period only
    assert [report._dash(v) for v in table["Previous"]][1] == "\u2013"
    assert list(table[report.THRESHOLDS]) == ["\u226595 / \u226590", "\u2264600 / \u2264900", "\u2013"]


def test_the_pack_table_prints_each_indicator_to_its_own_decimals():
    from helpers.domains.scorecard import measures as scorecard

    indicators = _indicators().assign(lower95=np.nan, upper95=np.nan, compared_to_england="Not compared",
                                      band="Not banded")
    catalogue = [scorecard.Indicator(id="pay", name="Indicator pay", source="x", select={}, domain="d", section="C",
                                     type="ratio", polarity="no judgement", decimals=0)]
    printed = report._printed(report.pack_table(indicators, "P1", catalogue), catalogue)
    mine = indicators[indicators["practice_code"] == "P1"].set_index(["indicator_id", "period_rank"])["value"]
    rows = printed.set_index("Indicator")
    assert rows.loc["Indicator pay", "Value"] == f"{mine['pay', 1]:,.0f}"
    assert rows.loc["Indicator pay", "Previous"] == f"{mine['pay', 2]:,.0f}"
    assert rows.loc["Indicator cov", "Value"] == f"{mine['cov', 1]:,.1f}"  # not in the catalogue: one decimal
    assert rows.loc["Indicator ae", "Previous"] == "\u2013"
