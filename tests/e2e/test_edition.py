"""One ICB's monthly edition, on the real public files, for three ICBs.

Each edition must be that ICB's and that month's throughout: every page names them and no other
ICB; the packs are exactly the ICB's open practices, worked out here from ODS epraccur with plain
csv; and the board paper's figures for the ICB are the processed tables' for the same month.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from support import REAL

MONTH = "January 2026"  # the one month of the real RTT extract
ICBS = {"QNX": "NHS Sussex ICB", "QE1": "NHS Lancashire and South Cumbria ICB", "QSL": "NHS Somerset ICB"}


def _run(project: Path, code: str) -> None:
    result = subprocess.run([sys.executable, "-m", "helpers.pipeline", "run", "--inputs", str(REAL), "data/raw",
                             "--organisation", code], cwd=project, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def editions(published_real, tmp_path_factory) -> dict[str, Path]:
    """The shared real run's edition (the default ICB) and, in a copy, each other ICB's."""
    out = {}
    for code in ICBS:
        project = tmp_path_factory.mktemp(f"edition_{code}")
        shutil.copytree(published_real, project, dirs_exist_ok=True, symlinks=True)
        _run(project, code)
        out[code] = project
    return out


def _reader_pages(project: Path) -> list[Path]:
    edition = project / "reports" / "latest"
    return [p for p in edition.rglob("*.html") if not {"data-docs", "audit"} & set(p.relative_to(edition).parts)]


def _text(path: Path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for element in soup(["style", "script"]):
        element.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


@pytest.mark.parametrize("code", list(ICBS))
def test_every_page_names_the_icb_and_month_and_no_other_icb(editions, code):
    others = [name for other, name in ICBS.items() if other != code]
    for page in _reader_pages(editions[code]):
        text = _text(page)
        assert ICBS[code] in text and MONTH in text, f"{page.name} does not name {ICBS[code]} and {MONTH}"
        for name in others:
            assert name not in text, f"{page.name} names {name}"


@pytest.mark.parametrize("code", list(ICBS))
def test_packs_are_exactly_the_icbs_open_practices(editions, code):
    with open(REAL / "gp_practice_reference" / "epraccur.csv", newline="") as f:
        expected = {row[0] for row in csv.reader(f) if row[3] == code and row[25] == "4" and row[12] == "A"}
    packs = {p.stem for p in (editions[code] / "reports" / "latest" / "packs").glob("*.html") if p.stem != "index"}
    assert expected and packs == expected


@pytest.mark.parametrize("code", list(ICBS))
def test_board_figures_are_the_processed_tables_for_the_month(editions, code):
    project = editions[code]
    summary = pd.read_parquet(project / "data" / "processed" / "rtt_summary.parquet")
    row = summary[(summary["org_level"] == "icb") & (summary["org_code"] == code) & (summary["rtt_part"] == "Part_2")
                  & (summary["period"] == summary["period"].max())].iloc[0]
    soup = BeautifulSoup((project / "reports" / "latest" / "board-paper.html").read_text(encoding="utf-8"),
                         "html.parser")
    table = next(t for t in soup.find_all("table") if "Measures at a glance" in t.caption.get_text())
    latest = {tr.find("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
              for tr in table.find("tbody").find_all("tr")}
    headers = [th.get_text(strip=True) for th in table.find("thead").find_all("th")][1:]
    value = {ref: dict(zip(headers, cells))["Latest"] for ref, cells in latest.items()}
    assert value["ICB-RTT-01"] == f"{int(row['total_pathways']):,}"
    assert value["ICB-RTT-02"] == f"{row['pct_within_18_weeks']:.1f}%"
    assert value["ICB-RTT-03"] == f"{int(row['over_52_weeks']):,}"
    rtt_page = _text(project / "reports" / "latest" / "rtt-waiting-times.html")
    assert f"{int(row['total_pathways']):,}" in rtt_page and f"{row['pct_within_18_weeks']:.1f}%" in rtt_page
