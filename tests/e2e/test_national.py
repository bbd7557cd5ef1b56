"""The national run on the samples: every ICB's edition and every open practice's pack, on a
LocalCluster of two workers; a task made to fail is reported with its ICB and the others are
published all the same.

The ICBs expected are read from the sample RTT extract with plain pandas; the practices from the
processed organisation table with plain pandas (open in the latest month).
"""

from __future__ import annotations

import json
import re
import sys

import pandas as pd
import pytest

from helpers.pipeline import national
from support import ROOT, copy_project

pytestmark = pytest.mark.e2e

SAMPLE_RTT = sorted((ROOT / "data" / "raw" / "rtt_full_csv").glob("*.csv*"))


def expected_icbs() -> set[str]:
    """Every commissioner parent (ICB) in the sample extracts, read with plain pandas."""
    found = set()
    for path in SAMPLE_RTT:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["Commissioner Parent Org Code"])
        found |= set(frame["Commissioner Parent Org Code"]) - {""}
    return found


@pytest.fixture(scope="module")
def national_project(tmp_path_factory):
    """A fresh copy whose national run went through the command (two workers)."""
    import subprocess

    project = copy_project(tmp_path_factory.mktemp("national"))
    done = subprocess.run([sys.executable, "-m", "helpers.pipeline", "national", "--workers", "2"], cwd=project,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return project, done


def test_every_icb_has_its_edition_and_every_open_practice_its_pack(national_project):
    project, done = national_project
    out = project / "reports" / "national"
    icbs = expected_icbs()
    assert len(icbs) >= 2
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(icbs)  # nothing hidden left behind
    practices = pd.read_parquet(project / "data" / "processed" / "organisation_practices.parquet")
    month = pd.read_parquet(project / "data" / "processed" / "rtt_summary.parquet")["period"].max()
    closes_later = practices["close_date"].notna() & (practices["close_date"] > month)
    open_ = practices[practices["status"].isin(["Active", "Proposed"]) | closes_later]  # open in the month
    packs = 0
    for code in icbs:
        folder = out / code
        index = (folder / "index.html").read_text(encoding="utf-8")
        for page in ("rtt-waiting-times.html", "gp-practice-scorecard.html"):
            assert f'href="{page}"' in index and (folder / page).exists()
        rtt = (folder / "rtt-waiting-times.html").read_text(encoding="utf-8")
        assert code in rtt
        mine = sorted(open_.loc[open_["icb_code"] == code, "practice_code"])
        made = sorted(p.stem for p in (folder / "packs").glob("*.html") if p.name != "index.html") \
            if (folder / "packs").exists() else []
        assert made == mine, code
        packs += len(mine)
        for practice in mine:
            page = (folder / "packs" / f"{practice}.html").read_text(encoding="utf-8")
            assert f"({practice})</title>" in page
            assert "not yet published" not in page and f"ICB edition {code}" in page
    assert packs >= 10
    top = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{code}/index.html"' in top for code in icbs)
    assert f"{len(icbs)} ICB editions and {packs} practice packs published" in done.stdout
    assert re.search(r"peak memory per worker: \d+ MB, \d+ MB", done.stdout)
    assert "national run:" in done.stderr and f"{len(icbs) + sum(1 for c in icbs if (out / c / 'packs').exists())}" \
        in done.stderr  # the progress bar counted every task
    for page in out.rglob("*.html"):
        if "audit" not in page.parts:
            words = re.sub(r"data:image/png;base64,[^\"]+", "", page.read_text(encoding="utf-8"))
            assert not re.search(r"\b(None|NaN|nan)\b", words), page


def expected_waiting_list(project, code: str) -> tuple[pd.Timestamp, float]:
    """The ICB's patients waiting (incomplete pathways) in its latest month, from the processed RTT
    summary with plain pandas."""
    summary = pd.read_parquet(project / "data" / "processed" / "rtt_summary.parquet")
    mine = summary[(summary["org_level"] == "icb") & (summary["org_code"] == code) & (summary["rtt_part"] == "Part_2")]
    latest = mine.sort_values("period").iloc[-1]
    return pd.Timestamp(latest["period"]), float(latest["total_pathways"])


def summary_cell(soup, reference: str, column: str) -> str:
    """A cell of the board paper's measures-at-a-glance table, by the measure's reference and the column."""
    table = next(t for t in soup.find_all("table") if t.caption and t.caption.get_text().startswith("Measures at a"))
    headers = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    row = next(tr for tr in table.tbody.find_all("tr") if tr.find("th").get_text(strip=True) == reference)
    return row.find_all(["th", "td"])[headers.index(column)].get_text(" ", strip=True)


def test_every_icbs_edition_has_its_own_board_paper(national_project):
    from bs4 import BeautifulSoup

    from helpers.render.templating import css_string

    project, _ = national_project
    out = project / "reports" / "national"
    names = pd.read_parquet(project / "data" / "processed" / "organisation_icbs.parquet").set_index("icb_code")["name"]
    month = pd.read_parquet(project / "data" / "processed" / "rtt_summary.parquet")["period"].max()
    month_name = f"{month:%B %Y}"
    icbs = sorted(expected_icbs())
    waiting = {}
    for code in icbs:
        folder, name = out / code, str(names[code])
        index = (folder / "index.html").read_text(encoding="utf-8")
        assert 'href="board-paper.html"' in index, code
        page = (folder / "board-paper.html").read_text(encoding="utf-8")
        soup = BeautifulSoup(page, "html.parser")
        text = soup.get_text(" ", strip=True)
        # the ICB and month on every page: the masthead, which every printed page carries in its margin
        label = f"{name}, data for {month_name}"
        assert soup.find("header", class_="masthead").find_all("p")[1].get_text(strip=True) == label, code
        assert f"@bottom-left {{ content: {css_string(label)}; }}" in page, code
        assert f"{name}, {month_name}:" in text  # the executive summary, written from the ICB's figures
        others = [str(names[c]) for c in icbs if c != code]
        assert not [other for other in others if other in page], code
        # sections for another organisation still say so
        assert f"not {name} {month_name}" in text
        assert "Context: sections for other organisations and periods" in text
        # the ICB's waiting list, as the processed RTT summary has it
        period, value = expected_waiting_list(project, code)
        waiting[code] = value
        assert summary_cell(soup, "ICB-RTT-01", "Latest") == f"{value:,.0f}", code
        assert summary_cell(soup, "ICB-RTT-01", "Data date") == f"{period:%b %Y}", code
        assert summary_cell(soup, "ICB-RTT-01", "For") == name, code
        # its links stay inside the ICB's edition
        for link in soup.find_all("a", href=True):
            href = link["href"].split("#")[0]
            if href and "://" not in href:
                assert (folder / href).exists(), (code, href)
        assert (folder / "audit" / "90_board_paper.ipynb").exists()
        # the workbooks were read and gated once (the cleanse stage's gates, in every paper); the ICB's
        # measures were gated as the ICB's
        appendix = next(s for s in soup.find_all("section") if "Appendix A: data quality" in s.get_text())
        assert "national_timeseries.raw" in appendix.get_text() and "board_measures.processed" in appendix.get_text()
        own = project / "build" / "national" / code / "build" / "validation" / "board"
        assert [p.name.split("__")[0] for p in own.glob("*.json")] == ["board_measures.processed"]
        assert json.loads((folder / "provenance.json").read_text(encoding="utf-8"))["params"]["board"][
            "organisation"] == code
    assert len(set(waiting.values())) == len(waiting)  # each its own ICB's figure


def test_a_failed_icb_is_reported_and_the_others_are_published(national_project):
    from distributed import Client, LocalCluster

    project, _ = national_project
    out = project / "reports" / "national"
    icbs = sorted(expected_icbs())
    doomed = icbs[1]
    before = {code: (out / code / "index.html").stat().st_mtime_ns for code in icbs}

    def failing(root, code, folder):  # pickled by value: the workers run it
        if code == doomed:
            raise RuntimeError(f"made to fail for {code}")
        return national.icb_pages(root, code, folder)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      memory_limit=0) as cluster, Client(cluster) as client:
        outcome = national.publish_all(project, client=client, edition=failing, progress=False)
        assert len(client.scheduler_info()["workers"]) == 2
    assert outcome.code == 1
    assert outcome.failures == [f"ICB {doomed}: its pages failed: RuntimeError: made to fail for {doomed}"]
    assert sorted(outcome.icbs) == [c for c in icbs if c != doomed]
    for code in icbs:
        changed = (out / code / "index.html").stat().st_mtime_ns != before[code]
        assert changed == (code != doomed), code  # the failed ICB keeps its last edition
    assert not list(out.glob(".staging-*"))
    top = (out / "index.html").read_text(encoding="utf-8")
    assert f"ICB {doomed}: its pages failed" in top
    assert all(f'href="{code}/index.html"' in top for code in icbs)
    assert set(outcome.peak_mb) and all(mb > 0 for mb in outcome.peak_mb.values())
