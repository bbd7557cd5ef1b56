"""The scorecard through the main command: the shipped samples, the real files, a bad export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

import support

REAL = support.ROOT.parent / "shared" / "data" / "real"
SOURCES = ["fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments", "gp_practice_reference"]


def _open_practices(project: Path, epraccur: Path) -> set[str]:
    """The default ICB's open GP practices, straight from ODS epraccur (no header; column 4 the ICB,
    13 the status, 26 the prescribing setting)."""
    icb = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))["organisation"]
    ods = pd.read_csv(epraccur, header=None, dtype=str, keep_default_na=False)
    return set(ods.loc[(ods[3] == icb) & (ods[25] == "4") & (ods[12] == "A"), 0])


def _edition(project: Path) -> Path:
    return (project / "reports" / "latest").resolve()


@pytest.mark.e2e
def test_sample_publishes_scorecard_and_one_pack_per_open_practice(published_sample):
    project, _ = published_sample
    edition = _edition(project)
    expected = _open_practices(project, next((project / "data/raw/gp_practice_reference").glob("*epraccur.csv")))
    packs = {p.stem for p in (edition / "packs").glob("*.html")} - {"index"}
    assert packs == expected
    index = BeautifulSoup((project / "reports" / "index.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = [a["href"] for a in index.find_all("a")]
    assert any(h.endswith("packs/index.html") for h in hrefs)
    assert any(h.endswith("gp-practice-scorecard.html") for h in hrefs)
    board = BeautifulSoup((edition / "gp-practice-scorecard.html").read_text(encoding="utf-8"), "html.parser")
    assert "SYNTHETIC DATA" in board.get_text()
    assert len(board.find_all("img")) >= 3 and all(img.get("alt") for img in board.find_all("img"))
    league = board.find("caption", string=re.compile("Practices by overall score")).parent
    linked = {a["href"] for a in league.select("tbody a")}
    scores = pd.read_parquet(project / "data/processed/scorecard_scores.parquet")
    ranked = scores.loc[scores["practice_code"].isin(expected) & (scores["band"] != "Not scored"), "practice_code"]
    assert linked == {f"packs/{code}.html" for code in ranked} and linked  # each ranked practice to its pack
    assert all((edition / href).is_file() for href in linked)
    pack = BeautifulSoup((edition / "packs" / f"{sorted(expected)[0]}.html").read_text(encoding="utf-8"), "html.parser")
    assert pack.find("img") is not None
    assert pack.find("caption", string=re.compile("comparison with the ICB and England"))
    assert pack.find("span", class_="status") is not None  # bands as text in a coloured label
    assert "SYNTHETIC DATA" in pack.get_text()
    assert "def " not in pack.get_text() and "import " not in pack.get_text()  # no code in a pack
    quarantine = pd.read_parquet(project / "data/processed/scorecard_quarantine.parquet")
    assert list(quarantine.columns) == ["source", "file", "line", "column", "value", "reason"]


@pytest.mark.e2e
def test_real_files_publish_packs_for_the_icbs_open_practices(published_real):
    project = published_real
    edition = _edition(project)
    expected = _open_practices(project, REAL / "gp_practice_reference" / "epraccur.csv")
    packs = {p.stem for p in (edition / "packs").glob("*.html")} - {"index"}
    assert packs == expected and len(expected) > 100
    scores = pd.read_parquet(project / "data/processed/scorecard_scores.parquet")
    assert scores["practice_code"].is_unique and len(scores) > 6000  # England scored; the report picks its ICB's
    quarantine = pd.read_parquet(project / "data/processed/scorecard_quarantine.parquet")
    # the immunisations file repeats some practices' rows: the repeats are quarantined, with the first line named
    dupes = quarantine[quarantine["reason"].str.contains("duplicate practice and period")]
    raw = pd.read_csv(next((REAL / "child_immunisations").glob("*.csv")), dtype=str)
    chosen = raw[raw["Item"].isin(["DTaPIPVHibHepB", "MMR1", "MMR2", "DTaPIPV"])
                 & raw["Age"].isin(["12 months", "24 months", "5 years"])]
    chosen = chosen[~((chosen["Item"] == "MMR1") & (chosen["Age"] == "5 years"))
                    & ~((chosen["Item"] == "MMR2") & (chosen["Age"] != "5 years"))
                    & ~((chosen["Item"] == "DTaPIPV") & (chosen["Age"] != "5 years"))]
    repeats = chosen.duplicated(["Year", "ODS_Code", "Age", "Item"]).sum()
    assert len(dupes[dupes["source"] == "child_immunisations"]) == repeats > 0
    record = json.loads((project / "data/processed/scorecard_provenance.json").read_text(encoding="utf-8"))
    assert record["synthetic_inputs"] is False  # (the edition's banner stays: the RTT samples are synthetic)
    assert {Path(i["file"]).parent.name for i in record["inputs"]} == set(SOURCES)


@pytest.mark.e2e
def test_every_pack_has_a_spine_chart_a_trend_per_indicator_with_history_and_the_previous_value(published_sample):
    """Counted from the processed table: the practice's published (unsuppressed) values per indicator
    and period; the previous period is the one before the indicator's latest."""
    project, _ = published_sample
    edition = _edition(project)
    table = pd.read_parquet(project / "data/processed/scorecard_indicators.parquet")
    published = table[table["value"].notna() & ~table["suppressed"].astype(bool)]
    periods = {ind: sorted(rows["period"].unique(), reverse=True) for ind, rows in table.groupby("indicator_id")}
    names = table.drop_duplicates("indicator_id").set_index("indicator_name")["indicator_id"]
    pages = sorted(p for p in (edition / "packs").glob("*.html") if p.name != "index.html")
    assert pages
    trended = 0
    for path in pages:
        code = path.stem
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        alts = [img.get("alt", "") for img in soup.find_all("img")]
        assert sum(a.startswith("Spine chart of") for a in alts) == 1, code
        own = published[published["practice_code"] == code]
        counts = own.groupby("indicator_name")["period"].nunique()
        expected = set(counts[counts >= 2].index)
        shown = {re.match(r"Trend of (.+?), axis from 0", a).group(1) for a in alts if a.startswith("Trend of ")}
        assert shown == expected, code
        trended += len(expected)
        results = soup.find("caption", string=re.compile("comparison with the ICB and England")).parent
        headers = [th.get_text() for th in results.thead.find_all("th")]
        assert headers.index("Previous") == headers.index("Value") + 1
        for tr in results.tbody.find_all("tr"):
            cells = dict(zip(headers, (td.get_text() for td in tr.find_all("td"))))
            ind = names[cells["Indicator"]]
            before = periods[ind][1] if len(periods[ind]) > 1 else None
            value = own.loc[(own["indicator_id"] == ind) & (own["period"] == before), "value"]
            assert cells["Previous"] == (f"{value.iloc[0]:,.1f}" if len(value) else "\u2013"), (code, ind)
    assert trended > 0  # the samples have several years of child immunisations
