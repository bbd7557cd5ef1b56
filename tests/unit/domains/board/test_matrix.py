"""The summary matrix: each measure in the cell of its icons, once; sparklines; the section's markup."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from helpers.core.config import Project
from helpers.domains.board import matrix
from helpers.domains.board import measures as board
from helpers.domains.board import report as board_report
from helpers.methods import spc
from support import ROOT, settings_for


def measure(reference: str, target: float | None = 90.0, direction: str = "increase") -> board.Measure:
    return board.Measure(reference, f"Measure {reference}", "percent", direction, target, "Owner",
                         {"table": "t", "column": "v"})


def result(reference: str, variation: str | None, assurance: str | None, target: float | None = 90.0,
           direction: str = "increase") -> board.Result:
    return board.Result(measure(reference, target, direction), board.Check(), None, variation, assurance,
                        pd.Timestamp("2026-01-01"), 50.0, months_behind=0)


def rows(values) -> pd.DataFrame:
    return pd.DataFrame({"period": pd.date_range("2022-01-01", periods=len(values), freq="MS"), "value": values,
                         "raw": [None] * len(values), "source": "test", "file": "sample.xlsx",
                         "line": np.arange(len(values)) + 2})


def context(results, cfg=None):
    return board_report.ReportData(Project(ROOT), settings_for("board_paper", stale_after_months=2), {},
                                   cfg or spc.settings("plotthedots"), {}, results, {"inputs": []})


# ---- the cells --------------------------------------------------------------------------------------

@pytest.mark.parametrize("variation, assurance, target, direction, cell", [
    ("improvement_high", "pass", 90.0, "increase", ("pass", "improvement")),
    ("improvement_low", "fail", 0.0, "decrease", ("fail", "improvement")),
    ("common_cause", "hit_and_miss", 90.0, "increase", ("hit_and_miss", "common_cause")),
    ("concern_low", "fail", 90.0, "increase", ("fail", "concern")),
    ("concern_high", "hit_and_miss", 5.0, "decrease", ("hit_and_miss", "concern")),
    ("neither_high", None, None, "neither", ("no_target", "neither")),
    ("neither_low", None, 50.0, "neither", ("none", "neither")),       # a target the icons cannot judge
    ("common_cause", None, None, "decrease", ("no_target", "common_cause")),
    (None, None, 90.0, "increase", ("none", "none")),                 # not charted, or trial limits without icons
    (None, None, None, "increase", ("no_target", "none")),
])
def test_a_measure_goes_in_the_cell_of_its_icons(variation, assurance, target, direction, cell):
    r = result("T-01", variation, assurance, target, direction)
    found = matrix.group([r])
    assert found.place(r) == cell
    assert found.cell(*cell) == [r]


def test_every_measure_appears_once_in_the_papers_order_and_optional_columns_only_when_used():
    results = [result("A", "concern_high", "fail"), result("B", "common_cause", "fail"),
               result("C", "concern_low", "fail"), result("D", "improvement_high", None, target=None)]
    found = matrix.group(results)
    assert [k for k, _ in found.columns] == ["improvement", "common_cause", "concern", "neither"]
    assert [k for k, _ in found.rows] == ["pass", "hit_and_miss", "fail", "no_target"]
    assert [r.measure.reference for r in found.cell("fail", "concern")] == ["A", "C"]
    placed = [r for held in found.cells.values() for r in held]
    assert sorted(r.measure.reference for r in placed) == ["A", "B", "C", "D"]
    with_none = matrix.group([*results, result("E", None, None)])
    assert [k for k, _ in with_none.columns][-1] == "none" and [k for k, _ in with_none.rows][-1] == "none"


def test_an_icon_the_matrix_does_not_know_is_an_error():
    with pytest.raises(ValueError, match="no column"):
        matrix.variation_group("sideways_high")
    with pytest.raises(ValueError, match="no row"):
        matrix.assurance_group(result("T", "common_cause", "maybe"))


@pytest.mark.parametrize("target, cell", [(90.0, ("fail", "concern")), (70.0, ("pass", "concern")),
                                          (80.0, ("hit_and_miss", "concern")), (None, ("no_target", "concern"))])
def test_measures_charted_by_spc_land_where_their_limits_put_them(target, cell):
    # Twelve months alternating 80 and 82, limits fixed on them: mean 81, limits 81 +/- 2.66 x 2 = 75.68 to
    # 86.32. Three months at 74 fall below the lower limit: special-cause concern for a measure where higher
    # is better. A target of 90 lies above the upper limit (failing), 70 below the lower (passing), 80 between.
    m = board.Measure("T-05", "Fixed", "percent", "increase", target, "Owner", {"table": "t", "column": "v"},
                      baseline_points=12)
    r = board.evaluate(m, rows([80.0, 82.0] * 6 + [74.0] * 3), spc.settings("plotthedots"))
    assert matrix.group([r]).place(r) == cell


# ---- sparklines -------------------------------------------------------------------------------------

def test_a_sparkline_runs_from_the_lowest_at_the_bottom_to_the_highest_at_the_top():
    line = matrix.sparkline([1.0, 3.0, 2.0], target=2.0, width=140, height=30, pad=3)
    # x: 3, 3 + 67, 3 + 134; y: the highest (3) at the pad, the lowest (1) at 30 - 3, 2 half way
    assert line.points == "3,27 70,3 137,15" and line.last == (137, 15) and line.target == 15
    assert matrix.sparkline([1.0, 3.0, 2.0], target=10.0).target is None  # outside the values: not drawn
    flat = matrix.sparkline([5.0, 5.0], width=140, height=30, pad=3)
    assert flat.points == "3,15 137,15"
    assert matrix.sparkline([]) is None and matrix.sparkline([np.nan]) is None


# ---- the section ----------------------------------------------------------------------------------------

def test_the_section_puts_each_measure_in_its_cell_with_its_icons_value_and_sparkline():
    cfg = spc.settings("plotthedots")
    fixed = board.Measure("T-05", "Fixed", "percent", "increase", 90.0, "Owner", {"table": "t", "column": "v"},
                          baseline_points=12)
    charted = board.evaluate(fixed, rows([80.0, 82.0] * 6 + [74.0] * 3), cfg)
    frame = rows([80.0 + i % 3 for i in range(15)])
    frame.loc[5, "period"] = frame.loc[4, "period"]  # a duplicated month: not charted
    uncharted = board.evaluate(measure("T-06", target=None), frame, cfg)
    for r in (charted, uncharted):
        r.months_behind = 0
    soup = BeautifulSoup(board_report.matrix_section(context([charted, uncharted], cfg)), "html.parser")
    assert soup.h2["id"] == "summary-matrix" and soup.table.caption.get_text(strip=True)
    items = {li["data-ref"]: li for li in soup.select("li.matrix-measure")}
    assert list(items) == ["T-05", "T-06"]
    one = items["T-05"]
    assert (one["data-variation"], one["data-assurance"]) == ("concern_low", "fail")
    cell = one.find_parent("td")
    assert (cell["data-assurance-group"], cell["data-variation-group"]) == ("fail", "concern")
    assert one.select_one(".latest").get_text() == "74.0%"
    labels = [svg["aria-label"] for svg in one.select(".icon svg")]
    assert labels == [spc.VARIATION_TEXT["concern_low"], spc.ASSURANCE_TEXT["fail"]]
    spark = one.select_one("svg.sparkline")
    assert spark["role"] == "img" and spark.title.get_text() == spark["aria-label"]
    assert spark["aria-label"] == ("Sparkline of Fixed, 15 months from January 2022 to March 2023: latest 74.0%, "
                                    "lowest 74.0%, highest 82.0%; target 90.0%.")
    two = items["T-06"]
    assert (two["data-variation"], two["data-assurance"]) == ("", "")
    assert (two.find_parent("td")["data-assurance-group"], two.find_parent("td")["data-variation-group"]) == \
        ("no_target", "none")
    assert two.select_one("svg.sparkline") is None and "Not charted" in two.get_text()


def test_the_matrix_and_the_summary_table_read_the_same_results():
    """Nothing is recomputed: a result changed after loading moves in both (they share the one object)."""
    cfg = spc.settings("plotthedots")
    r = board.evaluate(measure("T-07"), rows([91.0, 93, 92, 94, 93, 92, 95, 93, 92, 94, 93, 92, 94]), cfg)
    r.months_behind = 0
    ctx = context([r], cfg)
    assert r.variation == "common_cause"
    r.variation = "neither_high"
    soup = BeautifulSoup(board_report.matrix_section(ctx), "html.parser")
    assert soup.select_one("li.matrix-measure").find_parent("td")["data-variation-group"] == "neither"
    assert spc.VARIATION_TEXT["neither_high"] in board_report.summary_table(ctx).loc[0, "Variation"]
