"""Report tables for one ICB, checked against plain pandas on the publisher's QE1 file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.domains.rtt import measures as rtt
from helpers.domains.rtt import report as rtt_report
from helpers.sources import rtt_full_csv as src
from support import QE1, settings_for

SETTINGS = settings_for("report_rtt", organisation="QE1", standard_pct=92, long_wait_weeks=52, max_providers=5,
                        min_provider_pathways=50)


@pytest.fixture(scope="module")
def ctx():
    frame = src.read(QE1)
    end = dt.date(2026, 1, 31)
    pathways = rtt.tidy_pathways(frame, end)
    summary = rtt.summarise(pathways, rtt.rollup_totals(frame, end))
    return rtt_report.ReportData(pathways, summary, {"synthetic_inputs": False}, [], "QE1",
                                    "NHS Lancashire and South Cumbria ICB", pd.Timestamp(end), SETTINGS)


@pytest.fixture(scope="module")
def plain():
    frame = pd.read_csv(QE1, keep_default_na=False, na_values=[""], low_memory=False)
    rows = frame[(frame["RTT Part Type"] == "Part_2") & (frame["Treatment Function Code"] != "C_999")]
    bands = [c for c in frame.columns if c.startswith("Gt ")]
    rows = rows.copy()  # de-fragment before adding columns
    return rows.assign(known=rows[bands].fillna(0).sum(axis=1),
                       within=rows[bands[:18]].fillna(0).sum(axis=1),
                       over52=rows[bands[52:]].fillna(0).sum(axis=1))


def test_provider_table_matches_plain_pandas(ctx, plain):
    by_provider = plain.groupby("Provider Org Code")[["known", "within"]].sum()
    table = rtt_report.provider_table(ctx).set_index("provider_code")
    assert set(table.index) == set(by_provider.index[by_provider["known"] > 0])
    for code, row in by_provider[by_provider["known"] > 0].iterrows():
        assert table.loc[code, "known_clock_start"] == row["known"]
        assert table.loc[code, "pct_within_18_weeks"] == pytest.approx(100 * row["within"] / row["known"])
        assert table.loc[code, "ranked"] == (row["known"] >= 50)


def test_chart_shows_the_largest_ranked_providers(ctx, plain):
    known = plain.groupby("Provider Org Code")["known"].sum()
    expected = set(known[known >= 50].nlargest(5).index)
    chosen = rtt_report.chart_providers(rtt_report.provider_table(ctx), 5)
    assert set(chosen["provider_code"]) == expected


def test_specialty_long_waits_match_plain_pandas(ctx, plain):
    by_tf = plain.groupby("Treatment Function Name")[["known", "over52"]].sum()
    table = rtt_report.specialty_table(ctx).set_index("treatment_function")
    for name, row in by_tf.iterrows():
        assert table.loc[name, "over_threshold"] == row["over52"]
    assert list(table["over_threshold"]) == sorted(table["over_threshold"], reverse=True)


def test_sections_render_with_alt_text_and_status_words(ctx):
    headline = rtt_report.headline_section(ctx)
    assert "Below standard" in headline or "Standard met" in headline
    providers = rtt_report.provider_section(ctx)
    assert 'alt="Bar chart of the 5 largest providers' in providers
    assert "not ranked" in providers
    assert "Only one month" in rtt_report.trend_section(ctx)
