"""The main command end to end, in a copy of the project, as a user or the scheduler runs it.

Expected figures are computed here with plain pandas straight from the input files, not from
the package under test.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

import support
from support import REAL, run_pipeline

ROOT = support.ROOT
SAMPLE = ROOT / "data" / "raw" / "rtt_full_csv" / "SYNTHETIC_20260131-RTT-January-2026-full-extract.csv"
NATIONAL = REAL / "rtt_full_csv" / "20260131-RTT-January-2026-full-extract.csv.gz"

pytestmark = pytest.mark.e2e


def snapshot(project: Path) -> dict:
    """What a failed run must not change: the published index, the editions and processed tables."""
    reports = project / "reports"
    return {
        "index": (reports / "index.html").read_bytes(),
        "latest": (reports / "latest").resolve(),
        "editions": sorted(p.name for p in (reports / "editions").iterdir()),
        "processed": {p.name: p.read_bytes() for p in (project / "data" / "processed").glob("*.parquet")},
    }


def read_publisher_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)


def incomplete_figures(frame: pd.DataFrame, icb: str | None = None) -> tuple[int, float]:
    """Waiting list and % within 18 weeks for England (or one ICB), from the publisher's columns."""
    rows = frame[(frame["RTT Part Type"] == "Part_2") & (frame["Treatment Function Code"] != "C_999")]
    if icb:
        rows = rows[rows["Commissioner Parent Org Code"] == icb]
    bands = [c for c in frame.columns if c.startswith("Gt ")]
    within = rows[bands[:18]].fillna(0).to_numpy().sum()
    return int(rows["Total All"].fillna(0).sum()), 100 * within / rows[bands].fillna(0).to_numpy().sum()


@pytest.fixture
def synthetic_project(published_sample):
    return published_sample


def board_html(project: Path) -> BeautifulSoup:
    return BeautifulSoup((project / "reports" / "latest" / "rtt-waiting-times.html").read_text(), "html.parser")


def test_publishes_index_report_data_docs_and_audit_notebooks(synthetic_project):
    project, _ = synthetic_project
    index = project / "reports" / "index.html"
    links = [a["href"] for a in BeautifulSoup(index.read_text(), "html.parser").find_all("a")]
    targets = {Path(h).name for h in links}
    assert {"rtt-waiting-times.html", "index.html", "10_cleanse_rtt.html", "20_report_rtt.html"} <= targets
    for href in links:
        assert (index.parent / href).is_file(), f"broken link in index.html: {href}"
    audit = project / "reports" / "latest" / "audit"
    assert (audit / "10_cleanse_rtt.ipynb").is_file() and (audit / "20_report_rtt.ipynb").is_file()
    docs = (project / "reports" / "latest" / "data-docs" / "index.html").read_text()
    assert "rtt_full_csv.raw" in docs and "rtt_summary.processed" in docs


def test_board_report_has_no_code_and_is_accessible(synthetic_project):
    project, _ = synthetic_project
    soup = board_html(project)
    text = soup.get_text(" ")
    assert not soup.select(".jp-InputArea, .jp-InputPrompt, pre")
    assert "injected" not in text.lower() and "import " not in text and "rr.load" not in text
    images = soup.find_all("img")
    assert len(images) >= 4
    for img in images:
        assert img.get("alt", "").strip(), "every chart needs alt text"
        assert img["src"].startswith("data:image/png;base64,"), "images must be embedded"
    assert not soup.find_all("script", src=True) and not soup.find_all("link", rel="stylesheet")
    for table in soup.find_all("table"):
        assert table.find("caption") and table.find("caption").get_text(strip=True)
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    assert "SYNTHETIC DATA" in text
    assert "@media print" in str(soup.find("style"))


def test_report_figures_match_the_input_file(synthetic_project):
    project, _ = synthetic_project
    frame = read_publisher_csv(SAMPLE)
    icb = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))["organisation"]  # the default edition's
    total, pct = incomplete_figures(frame, icb)
    eng_total, eng_pct = incomplete_figures(frame)
    rows = {tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in board_html(project).find("table").find("tbody").find_all("tr")}
    assert rows["Waiting list (incomplete pathways)"] == [f"{total:,}", f"{eng_total:,}"]
    assert rows["% waiting within 18 weeks"] == [f"{pct:.1f}%", f"{eng_pct:.1f}%"]


def test_trend_appears_with_several_months(synthetic_project):
    project, _ = synthetic_project
    months = len(list((project / "data" / "raw" / "rtt_full_csv").glob("SYNTHETIC_*-full-extract.csv*")))
    soup = board_html(project)
    trend = [t for t in soup.find_all("table") if "Monthly trend" in t.find("caption").get_text()]
    assert months == 24 and trend and len(trend[0].find("tbody").find_all("tr")) == months


def test_second_run_with_nothing_changed_does_no_work(synthetic_project):
    project, _ = synthetic_project
    before = snapshot(project)
    again = run_pipeline(project, "data/raw")
    assert again.returncode == 0, again.stderr
    assert "Data and pipelines are up to date" in again.stdout
    assert snapshot(project) == before


def test_changing_a_report_parameter_reruns_only_the_report_stages(synthetic_project):
    project, _ = synthetic_project
    params = project / "params.yaml"
    original = params.read_text()
    processed = snapshot(project)["processed"]
    try:
        params.write_text(original.replace("max_providers: 15", "max_providers: 4"))
        result = run_pipeline(project, "data/raw")
        assert result.returncode == 0, result.stderr
        assert "Stage 'cleanse_rtt' didn't change, skipping" in result.stdout, result.stdout
        assert "Running stage 'report_rtt'" in result.stdout and "Running stage 'publish'" in result.stdout
        assert snapshot(project)["processed"] == processed
    finally:
        params.write_text(original)
        assert run_pipeline(project, "data/raw").returncode == 0


def test_a_wrong_setting_stops_the_run_before_any_stage(synthetic_project):
    project, _ = synthetic_project
    params = project / "params.yaml"
    original = params.read_text()
    before = snapshot(project)
    try:
        params.write_text(original.replace("max_providers: 15", "max_providers: many"))
        result = run_pipeline(project, "data/raw")
    finally:
        params.write_text(original)
    assert result.returncode == 5, result.stdout + result.stderr
    assert "params.yaml rtt_report.max_providers: found 'many', expected a whole number" in result.stderr
    assert "Running stage" not in result.stdout
    assert snapshot(project) == before


# Every other way of spoiling an input is a fast case of the corpus (tests/bad_inputs/corpus.yaml,
# run through the preflight check); this one goes through a real run to prove that a failure
# publishes nothing and keeps the last good edition and tables.
BAD_INPUTS = {
    # name: (how to spoil the January file, exit code, words the message must contain)
    "truncated": (lambda b: b[: len(b) // 2], 2, ["line", "expected 121 fields"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_stops_with_clear_error_and_publishes_nothing(synthetic_project, tmp_path, case):
    project, _ = synthetic_project
    spoil, code, words = BAD_INPUTS[case]
    folder = tmp_path / "inputs" / "rtt_full_csv"
    folder.mkdir(parents=True)
    (folder / SAMPLE.name).write_bytes(spoil(SAMPLE.read_bytes()))
    before = snapshot(project)
    result = run_pipeline(project, tmp_path / "inputs", "data/raw")  # the other sources from the samples
    assert result.returncode == code, result.stdout + result.stderr
    for word in [SAMPLE.name, *words]:
        assert word in result.stderr, f"{word!r} missing from:\n{result.stderr}"
    assert "Nothing was published" in result.stderr
    assert snapshot(project) == before


def test_missing_inputs_folder_is_its_own_exit_code(synthetic_project, tmp_path):
    project, _ = synthetic_project
    (tmp_path / "empty").mkdir()
    for inputs in (tmp_path / "absent", tmp_path / "empty"):
        result = run_pipeline(project, inputs)
        assert result.returncode == 3, result.stderr
        assert str(inputs) in result.stderr


def test_real_national_january_2026(published_real):
    """Pointed at the real inputs, the report shows NHS England's January 2026 figures."""
    project = published_real
    with gzip.open(NATIONAL) as f:
        frame = read_publisher_csv(f)
    total, pct = incomplete_figures(frame)
    icb = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))["organisation"]  # the default edition's
    icb_total, icb_pct = incomplete_figures(frame, icb)
    soup = board_html(project)
    rows = {tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in soup.find("table").find("tbody").find_all("tr")}
    assert rows["Waiting list (incomplete pathways)"] == [f"{icb_total:,}", f"{total:,}"]
    assert rows["% waiting within 18 weeks"] == [f"{icb_pct:.1f}%", f"{pct:.1f}%"]
    # Sources with no public data come from the synthetic samples, and the board paper, which
    # draws on them, says so; the RTT page, built from the real file alone, must not.
    assert "SYNTHETIC" not in soup.get_text() and "Built from synthetic sample data" not in soup.get_text()
    paper = (project / "reports" / "latest" / "board-paper.html").read_text()
    assert "SYNTHETIC DATA" in paper
    assert "January 2026" in soup.get_text()


# (the referral gateway and tracker notebooks are run the same way in their own e2e tests)
@pytest.mark.parametrize("name", ["10_cleanse_rtt.ipynb", "20_report_rtt.ipynb", "30_cleanse_scorecard.ipynb",
                                  "40_report_scorecard.ipynb", "41_packs_scorecard.ipynb", "90_board_paper.ipynb"])
def test_notebook_runs_top_to_bottom_as_in_jupyterlab(synthetic_project, name):
    """JupyterLab starts kernels in the notebook's folder and injects no parameters."""
    import nbformat
    from nbclient import NotebookClient

    project, _ = synthetic_project
    nb = nbformat.read(project / "notebooks" / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(project / "notebooks")}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type in ("display_data", "execute_result")]
    # the scorecard report shows its page as one section; the packs notebook a count and the packs' list
    assert len(shown) >= {"41_packs_scorecard.ipynb": 1}.get(name, 3)
    assert any("<h2" in json.dumps(o) or "<table" in json.dumps(o) for o in shown), "nothing readable shown"


def test_every_published_page_opens_with_one_main_heading(synthetic_project):
    project, _ = synthetic_project
    latest = project / "reports" / "latest"
    pages = [latest / "index.html", *latest.glob("*.html"), *sorted((latest / "packs").glob("*.html"))[:3]]
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        headings = soup.find_all(re.compile(r"^h[1-6]$"))
        assert headings and headings[0].name == "h1", f"{page.name}: first heading is {headings[:1]}"
        assert len(soup.find_all("h1")) == 1, f"{page.name}: one h1 per page"
