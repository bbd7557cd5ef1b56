"""CSV downloads: formula text neutralised, numbers and ordinary text as they are."""

from __future__ import annotations

import csv
import dataclasses

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
    assert [(e["title"], e["href"], e["group"]) for e in entries] == [("table.csv", "downloads/table.csv", "downloads")]
    assert entries[0]["note"].endswith("(8 rows)")
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


# --- rounded as the pages print, scoped to the edition ---------------------------------------------

def _read(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_figures_are_rounded_as_the_page_prints_them():
    values = pd.Series([84.94999, 0.05, 2.675, 1234.5678, None])
    assert exports.as_printed(values, 1).tolist()[:4] == [float(f"{v:.1f}") for v in values[:4]]
    assert exports.as_printed(values, 1).tolist()[:4] == [84.9, 0.1, 2.7, 1234.6]
    whole = exports.as_printed(values, 0)
    assert str(whole.dtype) == "Int64" and whole.tolist()[:4] == [85, 0, 3, 1235] and pd.isna(whole.iloc[4])


def test_a_column_of_fractions_needs_its_decimals():
    frame = pd.DataFrame({"rate": [1.23456, 2.5], "count": [3.0, 4.0], "name": ["a", "b"]})
    with pytest.raises(ValueError, match="rate"):
        exports.rounded(frame, {})
    out = exports.rounded(frame, {"rate": 2})
    assert out["rate"].tolist() == [1.23, 2.5]
    assert str(out["count"].dtype) == "Int64" and out["count"].tolist() == [3, 4]  # counts as whole numbers
    assert exports.rounded(frame, {}, default=1)["rate"].tolist() == [1.2, 2.5]


def test_blanks_are_empty_dates_plain_and_yes_no_in_words(tmp_path):
    frame = pd.DataFrame({"text": ["x", None, float("nan")], "when": pd.to_datetime(["2026-01-31", None, "2025-12-31"]),
                          "flag": [True, False, True], "count": pd.Series([1, None, 3], dtype="Int64"),
                          "rate": [1.5, float("nan"), 2.0], "mixed": pd.Series([62, 3.25, None], dtype=object)})
    exports.write_csv(frame, tmp_path / "x.csv")
    text = (tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    for marker in ("nan", "None", "NaT", "<NA>"):
        assert marker not in text
    rows = _read(tmp_path / "x.csv")
    assert [r["text"] for r in rows] == ["x", "", ""]
    assert [r["when"] for r in rows] == ["2026-01-31", "", "2025-12-31"]
    assert [r["flag"] for r in rows] == ["Yes", "No", "Yes"]
    assert [r["count"] for r in rows] == ["1", "", "3"]
    assert [r["mixed"] for r in rows] == ["62", "3.25", ""]  # a whole number stays whole in a mixed column


def test_within_keeps_only_the_codes_given():
    frame = pd.DataFrame({"practice_code": ["A1", "B2", "C3", "A1"], "x": [1, 2, 3, 4]})
    assert exports.within(frame, "practice_code", {"A1", "C3"})["x"].tolist() == [1, 3, 4]
    assert exports.within(frame, "practice_code", []).empty


def _indicators() -> pd.DataFrame:
    return pd.DataFrame({
        "indicator_id": ["imm", "imm", "pay", "imm"], "indicator_name": ["Imm", "Imm", "Pay", "Imm"],
        "section": ["A", "A", "C", "A"], "type": ["proportion", "proportion", "ratio", "proportion"],
        "unit": ["%", "%", "£", "%"], "practice_code": ["P1", "P1", "P1", "Q9"],
        "period": ["2021/22", "2020/21", "2022/23", "2021/22"], "period_rank": [1, 2, 1, 1],
        "numerator": [62.0, None, 552875.923, 5.0], "denominator": [73.0, None, 3724.441, 6.0],
        "value": [84.93150684, None, 148.44999, 83.3333], "lower95": [75.04, None, None, 43.6],
        "upper95": [91.449, None, None, 96.9], "lower998": [68.06, None, None, 27.1],
        "upper998": [93.75, None, None, 98.5], "icb_value": [92.0999, 90.1, 159.25, 90.3],
        "england_value": [None, None, 159.2, None], "compared_to_icb": ["Worse", "Similar", "Not compared", "Similar"],
        "compared_to_england": ["Not compared"] * 4, "band": ["Unacceptable", "Suppressed", "Not banded", "Good"],
        "suppression_reason": [None, "count under 8", None, None]})


def test_indicator_download_is_the_editions_practices_rounded_as_printed():
    practices = pd.DataFrame({"practice_code": ["P1", "Q9"], "practice_name": ["=Practice one", "Other"]})
    out = exports.scorecard_indicators(_indicators(), practices, {"P1"})
    assert set(out["practice_code"]) == {"P1"} and len(out) == 3  # Q9 is another ICB's
    assert out["practice_name"].tolist() == ["=Practice one"] * 3
    imm = out[(out["indicator_id"] == "imm") & out["latest_period"]].iloc[0]
    assert (imm["numerator"], imm["denominator"]) == (62, 73) and isinstance(imm["numerator"], int)
    assert [imm[c] for c in ("value", "lower95", "upper95", "lower998", "upper998", "icb_value")] == [
        84.9, 75.0, 91.4, 68.1, 93.8, 92.1]
    pay = out[out["indicator_id"] == "pay"].iloc[0]
    assert (pay["numerator"], pay["denominator"], pay["value"]) == (552875.92, 3724.44, 148.4)  # amounts: pence
    suppressed = out[out["band"] == "Suppressed"].iloc[0]
    assert pd.isna(suppressed["numerator"]) and pd.isna(suppressed["value"])
    assert suppressed["suppression_reason"] == "count under 8"


def test_an_indicator_printed_whole_is_downloaded_whole(tmp_path):
    # As registered patients: the catalogue gives the indicator 0 decimals, so its pages print 3,104, and
    # its download must say 3104, not 3104.0; the other indicators keep their one place.
    practices = pd.DataFrame({"practice_code": ["P1", "Q9"], "practice_name": ["One", "Other"]})
    out = exports.scorecard_indicators(_indicators(), practices, {"P1"}, {"pay": 0})
    exports.write_csv(out, tmp_path / "x.csv")
    rows = {(r["indicator_id"], r["period"]): r for r in _read(tmp_path / "x.csv")}
    pay = rows[("pay", "2022/23")]
    assert [pay[c] for c in ("value", "icb_value", "england_value")] == ["148", "159", "159"]
    assert [pay[c] for c in ("numerator", "denominator")] == ["552875.92", "3724.44"]  # amounts: still pence
    imm = rows[("imm", "2021/22")]
    assert [imm[c] for c in ("value", "lower95", "icb_value", "england_value")] == ["84.9", "75.0", "92.1", ""]


def test_scores_download_is_the_editions_practices_rounded_as_printed():
    scores = pd.DataFrame({"practice_code": ["P1", "Q9", "P2"], "score": [66.66666, 50.0, None],
                           "context_imd_2019": [28.0549, 1.0, 2.0], "context_list_size": [7849.0, 1.0, None],
                           "reds": pd.Series([1, 0, None], dtype="Int64"), "score_change": [-12.55, 0.0, None],
                           "contract_review": [True, False, False]})
    out = exports.scorecard_scores(scores, {"P1", "P2"})
    assert out["practice_code"].tolist() == ["P1", "P2"]
    assert out["score"].tolist()[0] == 66.7 and pd.isna(out["score"].iloc[1])
    assert out["context_imd_2019"].tolist() == [28.1, 2.0]
    assert out["context_list_size"].tolist()[0] == 7849 and str(out["context_list_size"].dtype) == "Int64"
    assert out["score_change"].tolist()[0] == float(f"{-12.55:.1f}")


def test_waiting_times_are_the_icbs_and_englands_to_the_editions_month():
    months = pd.to_datetime(["2025-12-31", "2026-01-31", "2026-02-28"])
    rows = [(m, level, code) for m in months for level, code in
            (("england", "ENG"), ("icb", "QNX"), ("icb", "QE1"), ("provider", "RXX"))]
    summary = pd.DataFrame(rows, columns=["period", "org_level", "org_code"])
    summary["org_level"] = summary["org_level"].astype("category")
    summary["rtt_part"] = "Part_2"
    summary["pct_within_18_weeks"] = 58.78817
    summary["median_weeks"] = 14.3785
    summary["p92_weeks"] = 43.13
    summary["total_pathways"] = pd.array([100] * len(summary), dtype="Int64")
    out = exports.rtt_summary(summary, "QNX", months[1])
    assert sorted(set(out["org_code"])) == ["ENG", "QNX"]
    assert out["period"].max() == months[1] and len(out) == 4
    assert set(out["pct_within_18_weeks"]) == {58.8} and set(out["median_weeks"]) == {14.4}


def test_edition_downloads_are_named_and_described(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    _indicators().to_parquet(processed / "scorecard_indicators.parquet")
    pd.DataFrame({"practice_code": ["P1", "Q9"], "practice_name": ["One", "Other"]}).to_parquet(
        processed / "organisation_practices.parquet")
    pd.DataFrame({"source": ["gp_payments"], "file": ["x.csv"], "line": [3], "column": ["practice_code"],
                  "value": ["H82999"], "reason": ["not known"]}).to_parquet(processed / "scorecard_quarantine.parquet")
    scope = exports.Scope("QNX", "NHS Sussex ICB", pd.Timestamp("2026-01-31"), frozenset({"P1"}))
    entries = exports.write(processed, tmp_path / "downloads",
                            exports.with_quarantines(processed, ["scorecard_indicators"]), scope)
    assert [e["title"] for e in entries] == ["scorecard_indicators.csv", "scorecard_quarantine_all_england.csv"]
    assert "NHS Sussex ICB" in entries[0]["note"] and "(3 rows)" in entries[0]["note"]
    assert "every practice in England" in entries[1]["note"]  # wider: its name and its line say so
    for entry in entries:
        assert not any(word in entry["note"].lower() for word in ("parquet", "dataframe", "params.yaml"))
    assert {r["practice_code"] for r in _read(tmp_path / "downloads" / "scorecard_indicators.csv")} == {"P1"}
    with pytest.raises(ValueError, match="ICB and month"):
        exports.write(processed, tmp_path / "other", ["scorecard_indicators"])


def test_an_editions_downloads_are_made_again_only_when_their_tables_or_scope_change(tmp_path, monkeypatch):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    _indicators().to_parquet(processed / "scorecard_indicators.parquet")
    pd.DataFrame({"practice_code": ["P1", "Q9"], "practice_name": ["One", "Other"]}).to_parquet(
        processed / "organisation_practices.parquet")
    scope = exports.Scope("QNX", "NHS Sussex ICB", pd.Timestamp("2026-01-31"), frozenset({"P1"}))
    made, write = [], exports.write

    def counted(*args):
        made.append(args[1].parent.name)
        return write(*args)

    monkeypatch.setattr(exports, "write", counted)
    first = exports.write_kept(tmp_path, processed, tmp_path / "one" / "downloads", ["scorecard_indicators"], scope)
    again = exports.write_kept(tmp_path, processed, tmp_path / "two" / "downloads", ["scorecard_indicators"], scope)
    assert made == ["one"] and again == first  # the second edition copied the first's
    assert (tmp_path / "two" / "downloads" / "scorecard_indicators.csv").read_bytes() == \
        (tmp_path / "one" / "downloads" / "scorecard_indicators.csv").read_bytes()
    assert not list((tmp_path / "two" / "downloads").glob(".*"))  # the kept set's own record stays behind
    other = dataclasses.replace(scope, practices=frozenset({"P1", "Q9"}))
    exports.write_kept(tmp_path, processed, tmp_path / "three" / "downloads", ["scorecard_indicators"], other)
    pd.DataFrame({"practice_code": ["P1"], "practice_name": ["One renamed"]}).to_parquet(
        processed / "organisation_practices.parquet")
    exports.write_kept(tmp_path, processed, tmp_path / "four" / "downloads", ["scorecard_indicators"], scope)
    assert made == ["one", "three", "four"]
