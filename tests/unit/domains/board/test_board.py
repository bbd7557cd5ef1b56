"""Board measures: series checks, SPC on the real A&E series, catalogue, sections and icons."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from helpers.core.config import Project
from helpers.core.errors import SourceFormatError
from helpers.domains.board import measures as board
from helpers.domains.board import report as board_report
from helpers.methods import spc
from helpers.sources import ae_national_timeseries as ae
from support import REAL, ROOT, settings_for

PRESETS = ["plotthedots", "nhse_excel"]
CATALOGUE = board.load_catalogue(ROOT / "board_measures.yaml")
BY_REF = {m.reference: m for m in CATALOGUE}


def rows(values, start="2022-01-01", periods=None, raw=None):
    periods = periods if periods is not None else pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"period": pd.to_datetime(periods), "value": values,
                         "raw": raw if raw is not None else [None] * len(values), "source": "test",
                         "file": "sample.xlsx", "line": np.arange(len(values)) + 15})


MEASURE = board.Measure("T-01", "Test measure", "percent", "increase", 90.0, "Owner", {"table": "t", "column": "v"})


# ---- series that must be reported, not charted wrongly ----------------------------------------------

def test_missing_month_is_not_charted():
    periods = list(pd.date_range("2022-01-01", periods=15, freq="MS").delete(6))  # no July 2022
    result = board.evaluate(MEASURE, rows([80.0 + i % 3 for i in range(14)], periods=periods), spc.settings("plotthedots"))
    assert result.points is None and result.variation is None and result.assurance is None
    assert result.check.problems == ["missing month: Jul 2022 (no value between Jan 2022 and Mar 2023)"]
    assert "not charted: missing month: Jul 2022" in result.exception[0]


def test_blank_inside_the_series_is_a_missing_month_but_leading_dashes_are_not():
    values = [np.nan, np.nan] + [80.0 + i % 3 for i in range(14)]
    raw = ["-", "-"] + [None] * 14
    ok = board.check_series(rows(values, raw=raw), spc.settings("plotthedots"))
    assert ok.chartable  # not collected before the series starts: outside it
    values[8], raw[8] = np.nan, ""
    check = board.check_series(rows(values, raw=raw), spc.settings("plotthedots"), "T-01")
    assert check.problems == ["missing month: Sep 2022 (no value between Mar 2022 and Apr 2023)"]
    assert check.quarantine[0]["line"] == 23 and "missing value" in check.quarantine[0]["reason"]


def test_duplicated_month_is_not_charted_and_names_the_lines():
    frame = rows([80.0 + i % 3 for i in range(15)])
    frame.loc[5, "period"] = frame.loc[4, "period"]  # May 2022 twice, June missing
    result = board.evaluate(MEASURE, frame, spc.settings("nhse_excel"))
    assert result.points is None
    assert result.check.problems[0] == "duplicated month: May 2022 (sample.xlsx lines 19, 20)"
    assert any(p.startswith("missing month: Jun 2022") for p in result.check.problems)
    assert [q["reason"] for q in result.check.quarantine] == ["duplicated month"] * 2


def test_text_in_the_value_column_is_not_charted():
    values = [80.0 + i % 3 for i in range(15)]
    raw = [None] * 15
    values[10], raw[10] = np.nan, "n/a"
    result = board.evaluate(MEASURE, rows(values, raw=raw), spc.settings("plotthedots"))
    assert result.points is None
    assert result.check.problems == ["text in the value column: 'n/a' in Nov 2022 (sample.xlsx line 25)"]
    assert result.check.quarantine == [{"source": "test", "file": "sample.xlsx", "line": 25, "column": "T-01",
                                        "value": "n/a", "reason": "text in the value column"}]


@pytest.mark.parametrize("preset, icons", [("plotthedots", True), ("nhse_excel", False)])
def test_too_few_points_gives_labelled_trial_limits(preset, icons):
    result = board.evaluate(MEASURE, rows([70.0, 72.0, 71.0, 73.0, 72.0]), spc.settings(preset))
    assert result.points is not None and result.points["trial"].all()
    minimum = spc.PRESETS[preset].min_points
    assert result.check.notes[0].startswith(f"only 5 months, fewer than the {minimum} needed for firm limits: "
                                            "trial limits")
    assert (result.variation is not None) is icons
    one = board.evaluate(MEASURE, rows([70.0]), spc.settings(preset))
    assert one.points is None and one.check.problems == ["only 1 month: at least 2 are needed for a moving range"]


def test_a_listed_measure_with_no_values_is_reported():
    result = board.evaluate(MEASURE, rows([]), spc.settings("plotthedots"))
    assert result.points is None and result.check.problems == ["no values found in the data source"]


# ---- the real A&E series, checked against an independent computation -----------------------------------

def independent_xmr(values: pd.Series, segments: pd.Series, screen: bool, shift_len=7, trend_len=7) -> pd.DataFrame:
    """Plain pandas, written apart from helpers.spc: limits, and the four rules' flags."""
    out = []
    for _, v in values.groupby(segments):
        v = v.reset_index(drop=True)
        mr = v.diff().abs()
        mr_bar = mr.mean()
        if screen:
            mr_bar = mr[mr <= 3.267 * mr_bar].mean()
        mean, sigma = v.mean(), 2.66 * mr_bar / 3
        f = pd.DataFrame({"mean": mean, "upper": mean + 3 * sigma, "lower": mean - 3 * sigma}, index=v.index)
        f["beyond_limits_high"], f["beyond_limits_low"] = v > f["upper"], v < f["lower"]
        for name, side in (("shift_high", np.sign(v - mean) > 0), ("shift_low", np.sign(v - mean) < 0)):
            run = (side != side.shift()).cumsum()
            f[name] = side & (side.groupby(run).transform("size") >= shift_len)
        step = np.sign(v.diff())
        for name, s in (("trend_high", 1), ("trend_low", -1)):
            same = step == s
            run = (same != same.shift()).cumsum()
            long_steps = same & (same.groupby(run).transform("size") >= trend_len - 1)
            f[name] = long_steps | long_steps.shift(-1, fill_value=False)
        for name, sign in (("two_of_three_high", 1), ("two_of_three_low", -1)):
            flags = [False] * len(v)
            dev = sign * (v - mean)
            for i in range(len(v) - 2):
                w = dev.iloc[i:i + 3]
                if (w > 0).all() and (w > 2 * sigma).sum() >= 2:
                    for j in range(i, i + 3):
                        flags[j] = flags[j] or bool(dev.iloc[j] > 2 * sigma)
            f[name] = flags
        out.append(f)
    return pd.concat(out, ignore_index=True)


@pytest.fixture(scope="module")
def ae_tidy():
    return ae.read(REAL / "ae_national_timeseries" / "Monthly-AE-Time-Series-March-2024.xls")


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("reference", ["AE-01", "AE-02", "AE-03"])
def test_real_ae_series_agree_with_an_independent_computation(ae_tidy, preset, reference):
    measure = BY_REF[reference]
    series = board.clean_series(board.measure_rows(measure, ae_tidy, {}.__getitem__))
    points = spc.chart(series, direction=measure.improvement_direction, cfg=preset, rebase=measure.rebase_dates)
    segments = sum((series["period"] >= d).astype(int) for d in measure.rebase_dates) if measure.rebase else \
        pd.Series(0, index=series.index)
    expected = independent_xmr(series["value"], segments, screen=preset == "plotthedots")
    for column in ("mean", "upper", "lower"):
        np.testing.assert_allclose(points[column], expected[column], rtol=1e-12, err_msg=column)
    for column in [c for c in expected.columns if c.endswith(("_high", "_low"))]:
        assert points[column].tolist() == expected[column].tolist(), column


def test_real_ae_four_hour_series_by_hand(ae_tidy):
    # 161 months Nov 2010 - Mar 2024, rebased Jun 2015, May 2019 and Jun 2023: segments of 55, 47, 49 and
    # 10 months. The last has 10 < 12 (13 for the Excel tool) points: trial limits.
    measure = BY_REF["AE-01"]
    series = board.clean_series(board.measure_rows(measure, ae_tidy, {}.__getitem__))
    for preset in PRESETS:
        points = spc.chart(series, direction="increase", cfg=preset, rebase=measure.rebase_dates)
        assert points.groupby("segment").size().tolist() == [55, 47, 49, 10]
        assert points.groupby("segment")["trial"].first().tolist() == [False, False, False, True]
    # In the last segment every value (70.2% - 74.2%) is far below 95%: the target is above the upper
    # limit, so the process will not meet it -> fail (plotthedots shows icons with trial limits).
    ptd = spc.chart(series, direction="increase", cfg="plotthedots", rebase=measure.rebase_dates)
    last = ptd[ptd["segment"] == 3]
    assert last["upper"].iloc[0] < 95
    assert spc.assurance(ptd, 95, "increase", "plotthedots") == "fail"
    assert spc.assurance(ptd, 95, "increase", "nhse_excel") is None
    # Without rebasing, 2010-2015 lies wholly above the long-run mean: a shift (concern would be low).
    whole = spc.chart(series, direction="increase", cfg="plotthedots")
    assert whole["shift_high"].iloc[:55].all() and whole["shift_low"].iloc[-24:].all()
    assert spc.variation(whole, "increase") == "concern_low"


# ---- catalogue, cover, sections -------------------------------------------------------------------

def _catalogue(tmp_path, **change):
    entry = {"reference": "X-1", "name": "X", "unit": "percent", "improvement_direction": "increase", "target": 90,
             "owner": "O", "scope": "icb", "data_source": {"table": "t", "column": "c"}, **change}
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump({"measures": [entry]}))
    return path


@pytest.mark.parametrize("change, message", [
    ({"improvement_direction": "up"}, "improvement_direction 'up' is not one of"),
    ({"unit": "pounds"}, "unit 'pounds'"),
    ({"target": "ninety"}, "target 'ninety' is not a number"),
    ({"owner": ""}, "missing owner"),
    ({"data_source": {"source": "x"}}, "data_source needs"),
    ({"scope": "region"}, "scope 'region' is not one of icb, england"),
    ({"baseline_points": 1}, "baseline_points 1 is not a whole number of months, at least 2"),
    ({"baseline_points": "twelve"}, "baseline_points 'twelve'"),
])
def test_catalogue_errors_name_the_measure(tmp_path, change, message):
    with pytest.raises(SourceFormatError, match=message):
        board.load_catalogue(_catalogue(tmp_path, **change))


def test_catalogue_holds_every_field():
    assert {m.reference for m in CATALOGUE} >= {"AE-01", "AE-02", "AE-03", "RTT-01", "RTT-02", "RTT-03"}
    for m in CATALOGUE:
        assert m.name and m.unit and m.improvement_direction in spc.DIRECTIONS and m.owner and m.data_source
    assert BY_REF["AE-01"].rebase_dates == [pd.Timestamp(d) for d in ("2015-06-01", "2019-05-01", "2023-06-01")]


def test_cover_needs_every_field(tmp_path):
    cover = yaml.safe_load((ROOT / "board_cover.yaml").read_text())
    assert board_report.load_cover(ROOT / "board_cover.yaml")["title"]
    del cover["equality"]
    path = tmp_path / "cover.yaml"
    path.write_text(yaml.safe_dump(cover))
    with pytest.raises(SourceFormatError, match="no Equality and diversity considerations"):
        board_report.load_cover(path)


def test_a_section_that_does_not_import_or_has_no_board_section_is_an_error(monkeypatch):
    with pytest.raises(board_report.BoardSectionError,
                       match=r"board section of 'no_such' cannot be imported as helpers.domains.no_such.report"):
        board_report.domain_section("no_such", Project(ROOT), None)
    monkeypatch.delattr("helpers.domains.qipp.report.board_section")
    with pytest.raises(board_report.BoardSectionError, match="has no board_section"):
        board_report.domain_section("qipp", Project(ROOT), None)


@pytest.mark.parametrize("key", [*spc.VARIATION_TEXT, *spc.ASSURANCE_TEXT])
def test_icons_are_labelled_svg_with_text(key):
    kind = "variation" if key in spc.VARIATION_TEXT else "assurance"
    text = {**spc.VARIATION_TEXT, **spc.ASSURANCE_TEXT}[key]
    soup = BeautifulSoup(board_report.icon(key, kind), "html.parser")
    svg = soup.find("svg")
    assert svg["role"] == "img" and svg["aria-label"] == text and svg.find("title").text == text
    assert soup.find(class_="icon-text").text == text


def _context(results, cfg):
    return board_report.ReportData(Project(ROOT), settings_for("board_paper", stale_after_months=2), {}, cfg, {},
                                   results, {"inputs": []})


def test_summary_and_exception_pages_say_why_a_measure_is_not_charted():
    cfg = spc.settings("plotthedots")
    good = board.evaluate(MEASURE, rows([91.0, 93, 92, 94, 93, 92, 95, 93, 92, 94, 93, 92, 94]), cfg)
    frame = rows([80.0 + i % 3 for i in range(15)])
    frame.loc[5, "period"] = frame.loc[4, "period"]
    bad_measure = board.Measure("T-02", "Duplicated", "count", "decrease", None, "Owner", {"table": "t", "column": "v"})
    bad = board.evaluate(bad_measure, frame, cfg)
    for r in (good, bad):
        r.months_behind = 0
    ctx = _context([good, bad], cfg)
    table = board_report.summary_table(ctx)
    assert table.loc[1, "Notes"].startswith("Not charted: duplicated month: May 2022")
    assert "No icon" in table.loc[1, "Variation"]
    # mean 1208/13 = 92.92, mean moving range 19/12 = 1.583: limits 88.71 - 97.13 straddle the 90 target
    assert "Hit and miss" in table.loc[0, "Assurance"]
    pages = BeautifulSoup(board_report.exception_pages(ctx), "html.parser")
    assert [h.text for h in pages.find_all("h2")] == ["Exception: T-02 Duplicated"]
    assert "This measure is not charted: duplicated month" in pages.text
    assert not pages.find_all("img")


def test_a_filter_can_take_the_edition_organisation():
    table = pd.DataFrame({"period": pd.to_datetime(["2025-12-31", "2026-01-31", "2026-01-31"]),
                          "org_code": ["QE1", "QE1", "QF7"], "v": [0.5, 0.6, 0.9]})
    measure = board.Measure("T-03", "From a table", "percent", "increase", 92.0, "Owner",
                            {"table": "t", "filter": {"org_code": "${organisation}"}, "column": "v", "scale": 100})
    tables = {"t": table}.__getitem__
    got = board.measure_rows(measure, pd.DataFrame(), tables, {"organisation": "QE1"})
    assert got["period"].tolist() == [pd.Timestamp("2025-12-01"), pd.Timestamp("2026-01-01")]
    assert got["value"].tolist() == [50.0, 60.0]
    with pytest.raises(Exception, match=r"measure filter \$\{organisation\}: no such setting"):
        board.measure_rows(measure, pd.DataFrame(), tables, {})


def test_a_single_month_between_rebases_is_noted():
    measure = board.Measure("T-04", "Rebased", "percent", "increase", None, "Owner", {"table": "t", "column": "v"},
                            rebase=({"date": "2022-02-01", "reason": "r"},))
    result = board.evaluate(measure, rows([70.0] + [80.0 + i % 3 for i in range(14)]), spc.settings("plotthedots"))
    assert result.points is not None and pd.isna(result.points["mean"].iloc[0])
    assert result.check.notes == ["Jan 2022 is the only month of its segment (between rebase dates): no limits"]


def test_a_measure_with_fixed_limits_is_judged_against_its_baseline_and_says_which_rule_flagged_it():
    # Twelve months alternating 80 and 82 (mean 81, limits 81 +/- 2.66 x 2 = 75.68 to 86.32), then
    # three at 74: below the fixed lower limit. Without fixing, the mean and limits move with them.
    values = [80.0, 82.0] * 6 + [74.0] * 3
    fixed = board.Measure("T-03", "Fixed", "percent", "increase", None, "Owner", {"table": "t", "column": "v"},
                          baseline_points=12)
    cfg = spc.settings("plotthedots")
    result = board.evaluate(fixed, rows(values), cfg)
    assert result.points["lower"].iloc[-1] == pytest.approx(75.68)
    assert result.variation == "concern_low"
    assert result.reasons[0] == "a point below the lower process limit"
    assert "a point below the lower process limit" in result.exception[0]
    plain = board.evaluate(MEASURE, rows(values), cfg)
    assert plain.points["mean"].iloc[-1] == pytest.approx(sum(values) / len(values))
    result.months_behind = 0
    notes = board_report.summary_table(_context([result], cfg)).loc[0, "Notes"]
    assert "Special cause: a point below the lower process limit" in notes


# ---- sections and measures for another organisation or period ----------------------------------------

def test_a_measure_from_a_domain_whose_data_is_elsewhere_is_context_never_an_exception():
    cfg = spc.settings("plotthedots")
    referrals = board.Measure("REF-01", "Referrals not booked", "count", "decrease", 0.0, "Owner",
                              {"table": "referrals_monthly", "column": "not_booked"})
    result = board.evaluate(referrals, rows([900.0 + 40 * i for i in range(15)]), cfg)  # a rising trend: concern
    assert result.exception and result.headline
    same, other = (settings_for("report_referrals", same_edition=flag) for flag in (True, False))
    assert board_report.apart([("referrals", same), ("qipp", settings_for("report_qipp", same_edition=True))]) == set()
    assert board_report.apart([("referrals", other)]) == {"referrals"}
    assert referrals.domain == "referrals" and MEASURE.domain == "t" and BY_REF["AE-01"].domain is None
    result.elsewhere = True
    ctx = _context([result], cfg)
    assert not result.headline and ctx.exceptions == []
    assert board_report.measure_for(ctx, result).endswith("(context: data for another organisation or period)")


def test_a_measure_names_its_table_in_words_not_a_file():
    label = BY_REF["ICB-RTT-02"].source_label
    assert "parquet" not in label and "/" not in label and label.startswith("the processed RTT summary table")


def test_board_sections_say_their_source_kind_and_put_data_elsewhere_last(tmp_path, monkeypatch):
    import json

    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    kinds = {"rtt": ["20260131-RTT-January-2026-full-extract.csv.gz"],
             "referrals": ["SYNTHETIC_referral_extract_20110512.csv.gz"],
             "qipp": ["TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"]}
    for domain, files in kinds.items():
        (processed / f"{domain}_provenance.json").write_text(json.dumps({"inputs": [{"file": f} for f in files]}))
    monkeypatch.setattr(board_report, "domain_section", lambda domain, project, settings: f"<h2>{domain} section</h2>")
    ctx = _context([], spc.settings("plotthedots"))
    ctx.project, ctx.elsewhere = Project(tmp_path), frozenset({"referrals", "qipp"})
    soup = BeautifulSoup(board_report.domain_sections(ctx, [("rtt", None), ("referrals", None), ("qipp", None)]),
                         "html.parser")
    sections = soup.find_all("section")
    assert [s.find_all("h2")[-1].text for s in sections] == [
        "rtt section", "referrals section", "qipp section"]
    sources = [s.find(class_="source-kind").text for s in sections]
    assert sources[0].startswith("Source: real") and "synthetic" in sources[1] and "transcribed" in sources[2]
    assert "context" not in sections[0]["class"] and {"context"} <= set(sections[1]["class"])
    assert sections[1].find("h2").text.startswith("Context: sections for other organisations and periods")


def test_the_cover_opens_with_sentences_written_from_the_papers_figures():
    from helpers.domains.organisation.edition import Edition

    cfg = spc.settings("plotthedots")
    # 18 weeks: 60% against 92% misses by 32 / 92 = 0.35 of the target; 52 weeks: 500 against 0 by all of it
    pct = board.Measure("P-1", "Within 18 weeks", "percent", "increase", 92.0, "Owner", {"table": "t", "column": "v"})
    waits = board.Measure("W-1", "Over 52 weeks", "count", "decrease", 0.0, "Owner", {"table": "t", "column": "w"})
    met = board.Measure("M-1", "Met", "percent", "increase", 50.0, "Owner", {"table": "t", "column": "m"})
    results = [board.evaluate(pct, rows([60.0 + i % 2 for i in range(14)]), cfg),
               board.evaluate(waits, rows([500.0 + i % 3 for i in range(14)]), cfg),
               board.evaluate(met, rows([90.0 + i % 2 for i in range(14)]), cfg)]
    ctx = _context(results, cfg)
    ctx.edition = Edition("QNX", "NHS Sussex ICB", pd.Timestamp("2023-02-28"), ())
    assert [r.measure.reference for r in ctx.exceptions] == ["P-1", "W-1"]  # both consistently failing
    said = board_report.from_the_figures(ctx)
    assert said["executive_summary"] == ("NHS Sussex ICB, February 2023: 2 of 3 headline measures are exceptions. "
                                         "Furthest from its target: W-1 Over 52 weeks, 501 against 0.")
    assert said["decision_required"].startswith("The board is asked to note the 2 exceptions (P-1, W-1)")
    ctx.cover = board_report.load_cover(ROOT / "board_cover.yaml")
    fields = BeautifulSoup(board_report.cover_section(ctx), "html.parser").select("div.cover-field")
    opening = {f.h3.get_text(): f.find("p").get_text() for f in fields if f.find("p", class_="from-figures")}
    assert opening["Executive summary"] == said["executive_summary"]
    assert opening["Decision required"] == said["decision_required"]


def test_exception_actions_past_due_at_the_meeting_are_flagged_overdue():
    actions = [{"action": "Validate lists", "lead": "COO", "due": "2026-03-01"},
               {"action": "Mutual aid", "lead": "DPC", "due": "2026-06-30"},
               {"action": "Done early", "lead": "DPC", "due": "2026-01-31", "complete": True},
               {"action": "Keep going", "lead": "DPC"}]
    table = board_report.action_table(actions, dt.date(2026, 3, 26))
    states = [BeautifulSoup(s, "html.parser").get_text() for s in table["State"]]
    assert states == ["Overdue", "Not yet due", "Complete", "Ongoing"]
    assert 'class="status bad"' in table.loc[0, "State"] and table.loc[0, "Due"] == "1 March 2026"
    assert table.loc[3, "Due"] == "no date"
