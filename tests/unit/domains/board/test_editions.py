"""One ICB's board measures for the national run: the ICB's rows of the processed tables, the
workbooks' rows as the measures stage read them once; expectations computed with plain pandas."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers.core.config import Project
from helpers.domains.board import editions
from helpers.domains.board import measures as board
from helpers.methods import spc
from helpers.sources import timeseries as ts
from support import ROOT

MONTHS = pd.date_range("2024-01-01", periods=20, freq="MS")
ICB_FILTER = {"org_level": "icb", "org_code": "${organisation}", "rtt_part": "Part_2"}
CATALOGUE = [
    board.Measure("RTT-W", "Waiting list", "count", "decrease", None, "Owner",
                  {"table": "rtt_summary", "filter": ICB_FILTER, "column": "total_pathways"}),
    board.Measure("RTT-E", "England within 18 weeks", "percent", "increase", 92.0, "Owner",
                  {"table": "rtt_summary", "filter": {"org_level": "england", "rtt_part": "Part_2"},
                   "column": "pct_within_18_weeks"}, scope="england"),
    board.Measure("AE-4", "Within 4 hours", "percent", "increase", 95.0, "Owner",
                  {"source": "ae_national_timeseries", "sheet": "Performance", "series": "4 hours"},
                  scope="england"),
]
CFG = spc.settings("nhse_excel")  # no screening of moving ranges: limits are mean +/- 2.66 x mean moving range


def summary() -> pd.DataFrame:
    """An RTT summary with two ICBs (different waiting lists), England, and a Part_1 row to leave out."""
    rng = np.random.default_rng(7)
    frames = []
    for level, code, base in (("icb", "AAA", 1000), ("icb", "BBB", 5000), ("england", "ENG", 7_000_000)):
        for part in ("Part_1", "Part_2"):
            frames.append(pd.DataFrame({
                "period": MONTHS + pd.offsets.MonthEnd(0), "org_level": level, "org_code": code, "rtt_part": part,
                "total_pathways": base + rng.integers(0, 200, len(MONTHS)) + (0 if part == "Part_2" else 99_999),
                "pct_within_18_weeks": 55 + rng.random(len(MONTHS)) * 10, "over_52_weeks": rng.integers(0, 50, len(MONTHS))}))
    return pd.concat(frames, ignore_index=True)


def tidy() -> pd.DataFrame:
    """The A&E workbook's rows as read, one month a text cell."""
    values = [70.0 + (i % 5) for i in range(len(MONTHS))]
    raw = [None] * len(MONTHS)
    values[0], raw[0] = np.nan, "n/a"
    return pd.DataFrame({"source": "ae_national_timeseries", "file": "ae.xls", "sheet": "Performance",
                         "line": np.arange(len(MONTHS)) + 14, "period": MONTHS, "series": "4 hours",
                         "value": values, "raw": raw})[ts.TIDY_COLUMNS]


def national(table: pd.DataFrame, organisation: str = "AAA"):
    """What the measures stage writes for ``organisation``: board_series and board_quarantine."""
    words = tidy()
    series = board.series_table(CATALOGUE, words, lambda name: table, {"organisation": organisation})
    results = board.evaluate_all(CATALOGUE, series, CFG)
    return series, board.quarantine_table(words, results)


def expected_icb_rows(table: pd.DataFrame, code: str) -> pd.DataFrame:
    mine = table[(table["org_level"] == "icb") & (table["org_code"] == code) & (table["rtt_part"] == "Part_2")]
    return mine.sort_values("period")


def test_a_measure_filtered_by_organisation_takes_that_icbs_rows():
    table = summary()
    series, quarantine = national(table, "AAA")
    made = editions.for_icb(CATALOGUE, series, quarantine, lambda name: table, "BBB", CFG)
    want = expected_icb_rows(table, "BBB")
    got = made.series[made.series["reference"] == "RTT-W"]
    assert got["value"].tolist() == want["total_pathways"].astype(float).tolist()
    assert got["period"].tolist() == list(MONTHS)
    points = made.measures[made.measures["reference"] == "RTT-W"]
    values = want["total_pathways"].astype(float)
    mean = values.mean()
    assert points["value"].tolist() == values.tolist()
    assert points["mean"].iloc[-1] == pytest.approx(mean)
    assert points["upper"].iloc[-1] == pytest.approx(mean + 2.66 * values.diff().abs().mean())
    latest = next(r for r in made.results if r.measure.reference == "RTT-W")
    assert latest.latest_value == values.iloc[-1] and latest.latest_period == MONTHS[-1]
    # not the ICB the measures stage was run for
    aaa = series[series["reference"] == "RTT-W"]["value"]
    assert aaa.tolist() == expected_icb_rows(table, "AAA")["total_pathways"].astype(float).tolist()
    assert aaa.tolist() != got["value"].tolist()


def test_the_same_for_the_icb_the_measures_stage_ran_for():
    table = summary()
    series, quarantine = national(table, "BBB")
    made = editions.for_icb(CATALOGUE, series, quarantine, lambda name: table, "BBB", CFG)
    pd.testing.assert_frame_equal(made.series, series)
    pd.testing.assert_frame_equal(made.quarantine, quarantine)


def test_workbook_and_england_measures_are_every_icbs_and_in_catalogue_order():
    table = summary()
    series, quarantine = national(table, "AAA")
    made = editions.for_icb(CATALOGUE, series, quarantine, lambda name: table, "BBB", CFG)
    assert list(dict.fromkeys(made.series["reference"])) == ["RTT-W", "RTT-E", "AE-4"]
    for ref in ("RTT-E", "AE-4"):
        pd.testing.assert_frame_equal(made.series[made.series["reference"] == ref].reset_index(drop=True),
                                      series[series["reference"] == ref].reset_index(drop=True))
    england = table[(table["org_level"] == "england") & (table["rtt_part"] == "Part_2")].sort_values("period")
    assert made.series.loc[made.series["reference"] == "RTT-E", "value"].tolist() == \
        england["pct_within_18_weeks"].tolist()
    # the workbook's text cell stays quarantined, as the measures stage quarantined it (the cell, and the
    # measure's row it stopped from being charted)
    assert made.quarantine["file"].tolist() == ["ae.xls", "ae.xls"] and set(made.quarantine["value"]) == {"n/a"}
    pd.testing.assert_frame_equal(made.quarantine, quarantine)


def test_a_problem_in_one_icbs_rows_is_that_icbs_alone():
    table = summary()
    doubled = table[(table["org_code"] == "AAA") & (table["rtt_part"] == "Part_2")].tail(1)
    table = pd.concat([table, doubled], ignore_index=True)  # AAA's latest month twice
    series, quarantine = national(table, "AAA")
    assert (quarantine["reason"] == "duplicated month").sum() == 2
    made = editions.for_icb(CATALOGUE, series, quarantine, lambda name: table, "BBB", CFG)
    assert "duplicated month" not in set(made.quarantine["reason"])
    assert next(r for r in made.results if r.measure.reference == "RTT-W").check.chartable
    back = editions.for_icb(CATALOGUE, made.series, made.quarantine, lambda name: table, "AAA", CFG)
    assert (back.quarantine["reason"] == "duplicated month").sum() == 2
    assert not next(r for r in back.results if r.measure.reference == "RTT-W").check.chartable


def test_an_icb_without_rows_has_no_values_for_its_own_measures():
    table = summary()
    series, quarantine = national(table, "AAA")
    made = editions.for_icb(CATALOGUE, series, quarantine, lambda name: table, "ZZZ", CFG)
    assert "RTT-W" not in set(made.series["reference"])
    result = next(r for r in made.results if r.measure.reference == "RTT-W")
    assert result.check.problems == ["no values found in the data source"]


def test_write_for_icb_writes_the_icbs_tables_gated_and_read_before_the_projects(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "expectations", root / "expectations")
    catalogue = root / "board_measures.yaml"
    catalogue.write_text((ROOT / "board_measures.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    table = summary()
    project = Project(root)
    project.processed.mkdir(parents=True)
    measures = board.load_catalogue(catalogue)
    words = tidy().iloc[0:0]
    series = board.series_table(measures, words, lambda name: table, {"organisation": "AAA"})
    results = board.evaluate_all(measures, series, spc.settings("plotthedots"))
    table.to_parquet(project.processed / "rtt_summary.parquet")
    series.to_parquet(project.processed / "board_series.parquet")
    board.measures_table(results).to_parquet(project.processed / "board_measures.parquet")
    board.quarantine_table(words, results).to_parquet(project.processed / "board_quarantine.parquet")
    record = {"run_at": "2026-01-01T00:00:00Z", "inputs": [], "synthetic_inputs": True,
              "params": {"organisation": "AAA", "measures": "board_measures.yaml", "spc_preset": "plotthedots"}}
    (project.processed / "board_provenance.json").write_text(json.dumps(record), encoding="utf-8")
    (project.processed / "rtt_provenance.json").write_text(json.dumps({"params": {}}), encoding="utf-8")

    folder = editions.icb_folder(root, "BBB")
    own = editions.write_for_icb(project, "BBB", folder)
    assert own.out == folder == root / "build" / "national" / "BBB"
    written = pd.read_parquet(folder / "data" / "processed" / "board_series.parquet")
    want = expected_icb_rows(table, "BBB")["total_pathways"].astype(float).tolist()
    first = measures[0].reference  # the ICB's waiting list, by the catalogue
    assert measures[0].data_source["filter"]["org_code"] == "${organisation}"
    assert written.loc[written["reference"] == first, "value"].tolist() == want
    assert json.loads((folder / "data" / "processed" / "board_provenance.json").read_text())["params"][
        "organisation"] == "BBB"
    assert [p.name for p in (folder / "build" / "validation" / "board").glob("*.json")]
    # the paper's view: the ICB's board tables, the project's others
    assert own.table_path("board", "series") == folder / "data" / "processed" / "board_series.parquet"
    assert own.table_path("rtt", "summary") == project.processed / "rtt_summary.parquet"
    assert [p.parent for p in own.processed_files("*_provenance.json")] == \
        [folder / "data" / "processed", project.processed]
    national = root / "build" / "validation" / "board"
    national.mkdir(parents=True)
    for name in ("national_timeseries.raw__ae.xls.json", "board_measures.processed__board_measures.parquet.json"):
        (national / name).write_text("{}", encoding="utf-8")
    mine = folder / "build" / "validation" / "board"
    assert own.validation_files() == [("board", mine / "board_measures.processed__board_measures.parquet.json"),
                                      ("board", national / "national_timeseries.raw__ae.xls.json")]
    # the project's own tables are untouched
    assert pd.read_parquet(project.processed / "board_series.parquet").equals(series)


def test_the_papers_quality_appendix_reads_the_icbs_quarantine_and_the_projects_others(tmp_path):
    from bs4 import BeautifulSoup

    from helpers.core.errors import QUARANTINE_COLUMNS
    from helpers.domains.board import report as board_report
    from support import settings_for

    root = tmp_path / "project"
    project = Project(root)
    own = Project(root, out=editions.icb_folder(root, "BBB"))
    row = {"source": "s", "file": "f.csv", "line": 3, "column": "c", "value": "x", "reason": "why"}
    for where, domain, reason in ((project, "board", "the project's"), (project, "rtt", "rtt's"),
                                  (own, "board", "the ICB's")):
        where.processed.mkdir(parents=True, exist_ok=True)
        pd.DataFrame([{**row, "reason": reason}], columns=QUARANTINE_COLUMNS).to_parquet(
            where.processed / f"{domain}_quarantine.parquet")
    assert [p.parent for p in own.processed_files("*_quarantine.parquet")] == [own.processed, project.processed]

    def appendix(downloads: bool) -> str:
        data = board_report.ReportData(own, settings_for("board_paper"), {}, CFG, {}, [], {"inputs": []},
                                       downloads=downloads)
        return str(board_report.quality_appendix(data))

    text = BeautifulSoup(appendix(False), "html.parser").get_text(" ", strip=True)
    assert "the ICB's" in text and "rtt's" in text and "the project's" not in text
    assert "downloads/" not in appendix(False)
    assert 'href="downloads/board_quarantine.csv"' in appendix(True)
    # the Data Docs are published beside a paper with downloads, and only there does it send readers to them
    assert "documentation published with this paper" in appendix(True)
    assert "documentation" not in appendix(False)
