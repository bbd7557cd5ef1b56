"""QIPP tracker: RAG rules, reader, roll-ups against the seed's workstream table, bad input.

Expected figures come from the seed document itself (the board paper's "SUMMARY OF
INITIATIVES - BY WORKSTREAM" table, parsed here with plain string handling), not from the code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import support
from helpers.core.errors import DataQualityError, SourceFormatError
from helpers.domains.qipp import cleanse as qipp_cleanse
from helpers.domains.qipp import measures as qipp
from helpers.domains.qipp.settings import FinancialRag
from helpers.sources import qipp_tracker as src
from helpers.synthetic import qipp as sample
from support import scratch, settings_for

ROOT = support.ROOT
SEED = ROOT.parent / "shared" / "seeds" / "004_028db55a4b02186f.txt"
XLSX = ROOT / "data" / "raw" / "qipp_tracker" / f"{sample.QIPP_STEM}.xlsx"
RULES = settings_for("cleanse_qipp").rules()


# --- the rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("delivered, expected", [(79.9, "R"), (80, "A"), (94.9, "A"), (95, "G"), (0, "R"),
                                                 (120, "G")])
def test_financial_rag_boundaries(delivered, expected):
    assert qipp.financial_rag(100, delivered) == expected


@pytest.mark.parametrize("due, delivered, expected", [
    (32.8, 0.8 * 32.8, "A"), (32.8, 0.95 * 32.8, "G"), (1.0, 0.8, "A"), (0.7, 0.56, "A"), (0.6, 0.57, "G"),
])
def test_financial_rag_exact_thresholds_survive_floating_point(due, delivered, expected):
    assert qipp.financial_rag(due, delivered) == expected


@pytest.mark.parametrize("due", [0, 0.0, -0.0, float("nan")])
def test_nothing_due_is_not_applicable(due):
    assert qipp.financial_rag(due, 0.3) == "n/a"


def test_thresholds_come_from_params():
    rules = settings_for("cleanse_qipp", financial_rag=FinancialRag(red_below_pct=75, green_from_pct=95)).rules()
    assert rules["financial_rag"] == {"red_below_pct": 75, "green_from_pct": 95}
    assert qipp.financial_rag(100, 76, **rules["financial_rag"]) == "A"


@pytest.mark.parametrize("counts, default, sheet_practice", [
    ((0, 0, 5), "G", "G"), ((0, 1, 3), "A", "A"), ((0, 6, 0), "A", "A"), ((1, 0, 3), "A", "R"),
    ((2, 0, 1), "R", "R"), ((4, 1, 1), "R", "R"), ((0, 0, 0), "n/a", "n/a"),
])
def test_milestone_rag(counts, default, sheet_practice):
    assert qipp.milestone_rag(*counts) == default
    assert qipp.milestone_rag(*counts, red_when_red_at_least=1) == sheet_practice


# --- the reader -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("(1.1)", -1.1), ("1.1", 1.1), ("-", 0.0), ("(0.0)", -0.0), ("0.00", 0.0),
                                         ("-2.3", -2.3), ("£1,234.5m", 1234.5), (" (0.01) ", -0.01), (2.5, 2.5)])
def test_parse_amount(text, value):
    assert src.parse_amount(text) == (value, True)


@pytest.mark.parametrize("text", ["tbc", "1.1m?", "(1.1", "n/a", "1.2.3"])
def test_text_amounts_are_flagged(text):
    assert src.parse_amount(text)[1] is False


@pytest.mark.parametrize("name, code, title", [
    ("SWE (PC1a) Referral management centre", "SWE (PC1a)", "Referral management centre"),
    ("SEE (PC1j) - Review Dermatology provision in Community", "SEE (PC1j)", "Review Dermatology provision in Community"),
    ("SWE (PC7b) – Data validation (TA: 206)", "SWE (PC7b)", "Data validation (TA: 206)"),
    ("Core contract", None, "Core contract"),
])
def test_scheme_codes(name, code, title):
    assert src.scheme_code(name) == (code, title)


@pytest.fixture(scope="module")
def tracker():
    return src.read(XLSX)


@pytest.fixture(scope="module")
def tables(tracker):
    schemes = qipp.schemes(tracker, RULES)
    return schemes, qipp.rollup(schemes, RULES)


def test_reader_finds_the_layout(tracker):
    kinds = tracker.rows["row_type"].value_counts()
    assert (kinds["workstream"], kinds["scheme"], kinds["subtotal"], kinds["total"]) == (13, 39, 13, 1)
    assert tracker.year == "2010/11" and tracker.stated_yields == {"ytd": 71.0, "forecast": 68.0}
    assert tracker.rows["unparsed"].isna().all()


def test_csv_export_reads_the_same_as_the_workbook(tmp_path, tracker):
    sample.generate(tmp_path, formats=("all",))
    from_csv = src.read(tmp_path / "qipp_tracker" / f"{sample.QIPP_STEM}.csv")
    columns = ["row_type", "workstream", "name", "ms_red", "ms_amber", "ms_green", "plan 2010/11", "due", "delivered",
               "variance", "rag", "forecast", "best", "middle", "worse"]
    pd.testing.assert_frame_equal(from_csv.rows[columns], tracker.rows[columns])


def _seed_workstreams() -> pd.DataFrame:
    """The seed's 2010/11 'BY WORKSTREAM' table, parsed from the text with plain string handling."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("QIPP Tracker for 2010/11"))
    rows = []
    for line in lines[start:start + 25]:
        cells = line.split("\t")
        if len(cells) == 11 and cells[2].strip().isdigit():
            def money(t):
                t = t.strip()
                return 0.0 if t == "-" else (-float(t[1:-1]) if t.startswith("(") else float(t))
            rows.append({"workstream": cells[0].strip(), "lead": cells[1].strip(), "ms_red": int(cells[2]),
                         "ms_amber": int(cells[3]), "ms_green": int(cells[4]), "ms_rating": cells[5].strip(),
                         "plan": -money(cells[6]), "due": -money(cells[7]), "delivered": -money(cells[8]),
                         "variance": money(cells[9]), "rag": cells[10].strip()})
        if line.startswith("TOTAL"):
            break
    return pd.DataFrame(rows)


def test_rollups_equal_the_seed_workstream_rows_within_rounding(tables):
    seed = _seed_workstreams()
    assert len(seed) == 14  # 13 workstreams and TOTAL
    schemes, rollups = tables
    merged = seed.merge(rollups, on="workstream", suffixes=("_seed", ""), validate="1:1")
    assert len(merged) == 14
    for m in ["ms_red", "ms_amber", "ms_green"]:
        assert (merged[m] == merged[f"{m}_seed"]).all(), m
    for m in ["plan", "due", "delivered", "variance"]:
        tolerance = 0.05 * (merged["schemes"] + 1) + 1e-9  # n printed figures, each rounded to 0.1
        off = merged[(merged[m] - merged[f"{m}_seed"]).abs() > tolerance]
        assert off.empty, off[["workstream", m, f"{m}_seed"]]


def test_financial_ratings_match_the_seed_workstream_rows(tables):
    """Our ratings from the scheme rows against the seed's printed workstream ratings."""
    seed = _seed_workstreams().set_index("workstream")
    rollups = tables[1].set_index("workstream")
    agree = [w for w in seed.index if seed.loc[w, "rag"] == rollups.loc[w, "rag"]]
    # Community Hospitals: nothing due after rounding (the sheet prints (0.0) due and rates it R).
    assert sorted(set(seed.index) - set(agree)) == ["Community Hospitals"]


def test_total_and_yields(tracker, tables):
    schemes, rollups = tables
    total = rollups.set_index("workstream").loc["TOTAL"]
    # printed: (37.0) (32.8) (23.4) 9.4; 39 scheme rows, each rounded
    assert abs(total["plan"] - 37.0) <= 0.05 * 40 and abs(total["due"] - 32.8) <= 0.05 * 40
    y = qipp.yields(tracker, rollups, RULES).set_index("measure")
    assert round(y.loc["YTD yield", "computed_pct"]) == 71 == y.loc["YTD yield", "sheet_pct"]
    assert round(100 * 23.4 / 32.8) == 71  # the sheet's own arithmetic


def test_reconciliation_reports_the_one_printed_difference(tracker, tables):
    schemes, rollups = tables
    recon = qipp.reconcile(tracker, schemes, rollups, RULES)
    off = recon[~recon["within"]]
    assert off[["workstream", "measure", "sheet", "computed"]].values.tolist() == [
        ["Clinical Development, Quality and Innovation", "forecast", 0.0, 1.7]]
    assert (off["severity"] == "warning").all()


# --- bad input ------------------------------------------------------------------------------------

def _rows() -> list[list]:
    return [list(r) for r in sample.qipp_table()]


def _write(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def _line(rows, name):
    """1-based line of the first row named ``name``."""
    for i, r in enumerate(rows, start=1):
        if r[0] == name:
            return i
    raise LookupError(name)


def _cleanse(tmp_path, rows, **changes):
    folder = _write(tmp_path / "in" / "qipp_tracker" / "qipp_tracker_test.csv", rows).parent
    return qipp_cleanse.run({"qipp_tracker": folder}, settings_for("cleanse_qipp", **changes), scratch(tmp_path))


def test_clean_sample_passes_and_quarantines_the_difference(tmp_path):
    result = _cleanse(tmp_path, _rows())
    assert list(result.quarantine["column"]) == ["forecast", "Forecast yield"]
    assert "differs from the sum of its rows" in result.quarantine["reason"].iloc[0]
    assert (tmp_path / "data" / "processed" / "qipp_quarantine.parquet").exists()


def test_text_amount_stops_with_line_and_value(tmp_path):
    rows = _rows()
    line = _line(rows, "Mental Health")
    rows[line - 1][8] = "tbc"  # Delivered
    with pytest.raises(DataQualityError) as err:
        _cleanse(tmp_path, rows)
    assert f"line {line}" in str(err.value) and "Delivered='tbc'" in str(err.value)
    assert not (tmp_path / "data" / "processed").exists()


def test_unknown_rating_stops_with_line_and_value(tmp_path):
    rows = _rows()
    line = _line(rows, "IVF")
    rows[line - 1][10] = "Blue"
    with pytest.raises(DataQualityError) as err:
        _cleanse(tmp_path, rows)
    assert "column='rag'" in str(err.value) and f"line {line}" in str(err.value) and "'Blue'" in str(err.value)


def test_ratings_in_words_are_accepted(tmp_path):
    rows = _rows()
    rows[_line(rows, "IVF") - 1][10] = "Red"
    assert (_cleanse(tmp_path, rows).tables["schemes"].query("scheme == 'IVF'")["rag_sheet"] == "R").all()


def test_subtotal_that_does_not_add_up_stops(tmp_path):
    rows = _rows()
    csi_end = next(i for i, r in enumerate(rows, start=1) if r[0] == "" and r[2] == 6)  # CSI Core subtotal
    rows[csi_end - 1][8] = "(7.9)"  # delivered (5.9) -> (7.9): 2.0 more than its schemes
    with pytest.raises(DataQualityError) as err:
        _cleanse(tmp_path, rows)
    message = str(err.value)
    assert "critical_ok" in message and "workstream=CSI Core" in message and "measure=delivered" in message
    assert f"line={csi_end}" in message


def test_milestone_count_off_by_one_stops(tmp_path):
    rows = _rows()
    total = _line(rows, "TOTAL")
    rows[total - 1][2] = 14
    with pytest.raises(DataQualityError, match="measure=ms_red"):
        _cleanse(tmp_path, rows)


def test_header_moved_down_two_rows_is_a_clear_error(tmp_path):
    rows = _rows()
    rows = rows[:2] + [[""] * 15, [""] * 15] + rows[2:]
    path = _write(tmp_path / "moved.csv", rows)
    with pytest.raises(SourceFormatError) as err:
        src.read(path)
    message = str(err.value)
    assert "line 4" in message and "the header is on line 6 instead" in message and "'auto'" in message
    # told to search for it, the reader finds the same figures
    moved = src.read(path, header_row="auto")
    assert moved.rows["due"].sum() == src.read(_write(tmp_path / "ok.csv", _rows())).rows["due"].sum()


def test_missing_column_and_empty_file(tmp_path):
    rows = [r[:8] + r[9:] for r in _rows()]  # no Delivered column
    with pytest.raises(SourceFormatError, match="expected the header"):
        src.read(_write(tmp_path / "nodelivered.csv", rows))
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="empty"):
        src.read(tmp_path / "empty.csv")


def test_scheme_before_any_workstream(tmp_path):
    rows = _rows()
    del rows[4]  # the CSI Core header row
    with pytest.raises(SourceFormatError, match="before any workstream header"):
        src.read(_write(tmp_path / "noheader.csv", rows))


def test_two_financial_years_side_by_side(tmp_path):
    """The 2011/12 month-1 layout (004, Primary Care rows): plan columns for three years."""
    header = ["Workstream / Scheme", "Exec lead", "R", "A", "G", "Milestones", "2010/11", "2011/12", "2012/13",
              "Due", "Delivered", "Variance", "RAG"]
    rows = [["QIPP Tracker 2011/12 - M1"] + [""] * 12, [""] * 13, [""] * 13, header,
            ["Primary Care", "IS"] + [""] * 11,
            ["GP Contracting", "", 0, 0, 5, "G", "(0.5)", "(1.5)", "-", "(0.1)", "(0.1)", "0.01", "A"],
            ["OOH Decommissioning and Service Reviews", "", 0, 0, 1, "G", "-", "(0.2)", "(0.1)", "(0.0)", "(0.0)", "-", "G"],
            ["", "", 0, 0, 6, "G", "(0.5)", "(1.7)", "(0.1)", "(0.1)", "(0.1)", "0.0", "G"],
            ["TOTAL", "", 0, 0, 6, "", "(0.5)", "(1.7)", "(0.1)", "(0.1)", "(0.1)", "0.0", ""]]
    tracker = src.read(_write(tmp_path / "two_years.csv", rows))
    assert tracker.year == "2011/12" and tracker.plan_years == ["2010/11", "2011/12", "2012/13"]
    schemes = qipp.schemes(tracker, RULES)
    assert schemes["plan"].tolist() == [1.5, 0.2]
    with pytest.raises(SourceFormatError, match="set qipp.year"):
        rows[0][0] = "QIPP Tracker - M1"
        src.read(_write(tmp_path / "no_year.csv", rows))
    assert src.read(tmp_path / "no_year.csv", year="2012/13").year == "2012/13"
