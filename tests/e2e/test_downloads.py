"""The edition's downloads are its reports': its ICB's practices, figures as the pages print them.

Expectations are worked out here with plain pandas and csv from the published project's processed
tables and params.yaml, not with the project's export code: which practices are the edition ICB's
and open in its month, which indicator rows the small-number rule withholds, and each figure
rounded to the one decimal place the scorecard's pages print.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

pytestmark = pytest.mark.e2e

MISSING_MARKERS = {"nan", "none", "nat", "<na>", "null"}
LIMITS = ("value", "icb_value", "england_value", "lower95", "upper95", "lower998", "upper998")
SMALL = 8  # params.yaml scorecard_report suppression: nhs_small_numbers, counts 1-7 and denominators under 8


def _edition(project: Path) -> Path:
    return (project / "reports" / "latest").resolve()


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def edition(published_sample) -> dict:
    """The edition's ICB, its month, its practices open in that month (plain pandas), and the tables."""
    project, _ = published_sample
    processed = project / "data" / "processed"
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    code = params["organisation"]
    assert params["period"] == "latest", "this test works out the month as the latest one"
    month = pd.read_parquet(processed / "rtt_summary.parquet")["period"].max()
    practices = pd.read_parquet(processed / "organisation_practices.parquet")
    ours = practices[practices["icb_code"] == code]
    opened = ours["status"].isin(["Active", "Proposed"]) | (ours["close_date"].notna() & (ours["close_date"] > month))
    return {"project": project, "code": code, "month": month, "downloads": _edition(project) / "downloads",
            "reference": set(ours["practice_code"]), "open": set(ours.loc[opened, "practice_code"]),
            "elsewhere": set(practices.loc[practices["icb_code"] != code, "practice_code"]),
            "scores": pd.read_parquet(processed / "scorecard_scores.parquet"),
            "indicators": pd.read_parquet(processed / "scorecard_indicators.parquet")}


def test_scorecard_downloads_hold_only_the_editions_practices(edition):
    assert edition["open"], "the edition's ICB has no open practice in the samples"
    other = set(edition["scores"]["practice_code"]) & edition["elsewhere"]
    assert other, "the processed scores hold no other ICB's practice: the test could not fail"
    for name in ("scorecard_scores.csv", "scorecard_indicators.csv"):
        codes = {r["practice_code"] for r in _rows(edition["downloads"] / name)}
        assert codes, name
        assert codes <= edition["reference"], f"{name}: practices of another ICB {sorted(codes - edition['reference'])[:5]}"
        assert codes <= edition["open"], f"{name}: practices closed in the month {sorted(codes - edition['open'])}"
    scored = set(edition["scores"]["practice_code"]) & edition["open"]
    assert {r["practice_code"] for r in _rows(edition["downloads"] / "scorecard_scores.csv")} == scored


def _printed(value, digits: int) -> str:
    """How the report prints a figure (to its indicator's decimals), as the download's cell reads back."""
    if pd.isna(value):
        return ""
    return f"{value:.0f}" if digits == 0 else repr(float(f"{value:.{digits}f}"))


def _decimals(project: Path) -> dict[str, int]:
    """Each indicator's decimals as the catalogue gives them (one place unless it says otherwise)."""
    spec = yaml.safe_load((project / "catalogue" / "indicators.yaml").read_text(encoding="utf-8"))
    return {entry["id"]: int(entry.get("decimals", 1)) for entry in spec["indicators"]}


def test_indicator_download_is_the_processed_table_rounded_as_published(edition):
    processed = edition["indicators"]
    expected = processed[processed["practice_code"].isin(edition["open"])]
    rows = _rows(edition["downloads"] / "scorecard_indicators.csv")
    assert len(rows) == len(expected) > 0
    by_key = expected.set_index(["practice_code", "indicator_id", "period"])
    assert by_key.index.is_unique
    decimals, whole = _decimals(edition["project"]), 0
    withheld = 0
    for row in rows:
        source = by_key.loc[(row["practice_code"], row["indicator_id"], row["period"])]
        num, den = source["numerator"], source["denominator"]
        small = (pd.notna(num) and 1 <= num < SMALL) or (pd.notna(den) and den < SMALL)
        if small:
            withheld += 1
            assert row["band"] == "Suppressed" and row["value"] == row["numerator"] == row["lower95"] == ""
            continue
        digits = decimals.get(row["indicator_id"], 1)
        whole += digits == 0 and pd.notna(source["value"])
        for column in LIMITS:
            assert row[column] == _printed(source[column], digits), (row["practice_code"], row["indicator_id"], column)
        if source["type"] in ("proportion", "rate"):  # counts: whole numbers
            for column, value in (("numerator", num), ("denominator", den)):
                assert row[column] == ("" if pd.isna(value) else str(int(value))), (row["indicator_id"], column)
        assert row["band"] == ("" if pd.isna(source["band"]) else source["band"])
        assert row["indicator_name"] == source["indicator_name"]
    assert (processed["value"].dropna() != processed["value"].dropna().round(1)).any(), "nothing to round"
    assert whole, "no indicator printed whole (registered patients) in the download: the test could not fail"


def test_scores_download_is_rounded_as_published(edition):
    scores = edition["scores"].set_index("practice_code")
    rows = _rows(edition["downloads"] / "scorecard_scores.csv")
    figures = [c for c in rows[0] if c.startswith("score") or c in ("previous_score", "context_imd_2019")]
    assert {"score", "score_change", "context_imd_2019"} <= set(figures)
    for row in rows:
        source = scores.loc[row["practice_code"]]
        for column in figures:
            assert row[column] == _printed(source[column], 1), (row["practice_code"], column)
        size = source["context_list_size"]
        assert row["context_list_size"] == ("" if pd.isna(size) else str(int(size)))


def test_no_download_cell_is_a_missing_value_marker_or_unrounded(edition):
    files = sorted(edition["downloads"].glob("*.csv"))
    assert len(files) >= 8
    for path in files:
        for row in _rows(path):
            for column, cell in row.items():
                assert cell.strip().lower() not in MISSING_MARKERS, f"{path.name} {column}: {cell!r}"
                if re.fullmatch(r"-?\d+\.\d+", cell):
                    assert len(cell.split(".")[1]) <= 2, f"{path.name} {column}: unrounded {cell}"


def test_every_download_is_on_the_index_with_a_plain_description(edition):
    index = BeautifulSoup((_edition(edition["project"]) / "index.html").read_text(encoding="utf-8"), "html.parser")
    listed = {a["href"]: a.parent.get_text(" ", strip=True) for a in index.find_all("a", href=True)}
    for path in sorted(edition["downloads"].glob("*.csv")):
        line = listed.get(f"downloads/{path.name}")
        assert line, f"{path.name} is not on the edition's index"
        description = line.removeprefix(path.name).strip()
        assert len(description.split()) >= 5, f"{path.name}: {description!r}"
        assert not re.search(r"parquet|dataframe|params\.yaml", description, re.I), description
    wider = [name for name in listed if name.startswith("downloads/") and "england" in name]
    assert wider and all("England" in listed[name] for name in wider)
