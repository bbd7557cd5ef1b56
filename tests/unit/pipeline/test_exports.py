"""CSV downloads: formula text neutralised, numbers and ordinary text as they are."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from helpers.pipeline import exports


def test_formula_text_is_neutralised_and_numbers_left_alone(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    names = ['=HYPERLINK("http://x","y")', "+44 1234", "-cmd", "@SUM(A1)", "\tTab", "\rCR",
             "<script>alert(1)</script>", "St Mary's Surgery"]
    frame = pd.DataFrame({"name": names, "count": [-3, 5, 0, 1, 2, 3, 4, 5], "rate": [-0.5] * 8})
    frame.to_parquet(processed / "table.parquet")
    entries = exports.write(processed, tmp_path / "downloads", ["table"])
    assert entries == [{"title": "table.csv", "href": "downloads/table.csv", "note": "(8 rows)", "group": "downloads"}]
    with open(tmp_path / "downloads" / "table.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == ["'" + n for n in names[:6]] + names[6:]
    assert [r["count"] for r in rows] == ["-3", "5", "0", "1", "2", "3", "4", "5"]  # numbers untouched
    assert {r["rate"] for r in rows} == {"-0.5"}


def test_a_table_not_processed_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="publish.csv_exports names missing"):
        exports.write(tmp_path, tmp_path / "downloads", ["missing"])


def test_every_quarantine_table_is_offered_beside_the_named_ones(tmp_path):
    for name in ("rtt_summary", "rtt_quarantine", "board_quarantine", "scorecard_scores"):
        pd.DataFrame({"x": [1]}).to_parquet(tmp_path / f"{name}.parquet")
    assert exports.with_quarantines(tmp_path, ["scorecard_scores", "board_quarantine"]) == [
        "scorecard_scores", "board_quarantine", "rtt_quarantine"]
    entries = exports.write(tmp_path, tmp_path / "downloads", exports.with_quarantines(tmp_path, []))
    assert [e["href"] for e in entries] == ["downloads/board_quarantine.csv", "downloads/rtt_quarantine.csv"]
