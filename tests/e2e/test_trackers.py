"""QIPP and action plan trackers through the main command (the shared published sample run).

Expected figures are read from the shipped workbook with openpyxl directly, not via the reader.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

import support
from helpers.core.config import Project
from helpers.domains.actions import report as actions_report
from helpers.domains.qipp import report as qipp_report
from helpers.synthetic import qipp as sample
from support import settings_for

ROOT = support.ROOT
XLSX = ROOT / "data" / "raw" / "qipp_tracker" / f"{sample.QIPP_STEM}.xlsx"

pytestmark = pytest.mark.e2e


def _printed(value) -> float:
    """A cell as printed: numbers as they are, '(0.0)'-style text as signed zero, '-' as nil."""
    if isinstance(value, (int, float)):
        return float(value)
    text = (value or "").strip()
    return 0.0 if text in ("", "-") else float(text.strip("()"))


def _scheme_totals() -> tuple[float, float]:
    """Due and delivered summed over scheme rows: rows with a name and milestone counts, before TOTAL."""
    ws = load_workbook(XLSX, data_only=True)["By scheme"]
    due = delivered = 0.0
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[0] == "TOTAL":
            break
        if row[0] and isinstance(row[2], int):
            due += -_printed(row[7])
            delivered += -_printed(row[8])
    return round(due, 1), round(delivered, 1)


def _page(project: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((project / "reports" / "latest" / name).read_text(encoding="utf-8"), "html.parser")


def test_both_trackers_are_published(published_sample):
    project, result = published_sample
    assert "Running stage 'cleanse_qipp'" in result.stdout and "Running stage 'report_actions'" in result.stdout
    index = (project / "reports" / "latest" / "index.html").read_text(encoding="utf-8")
    assert "qipp-savings.html" in index and "action-plan.html" in index
    for name in ["qipp_schemes", "qipp_workstreams", "qipp_reconciliation", "qipp_quarantine", "actions_plan",
                 "actions_milestones", "actions_quarantine"]:
        assert (project / "data" / "processed" / f"{name}.parquet").exists(), name
    for domain in ("qipp", "actions"):
        record = json.loads((project / "data" / "processed" / f"{domain}_provenance.json").read_text())
        assert record["transcribed_sample"] is True and record["synthetic_inputs"] is False


def test_headline_matches_the_workbook(published_sample):
    project, _ = published_sample
    due, delivered = _scheme_totals()
    text = _page(project, "qipp-savings.html").get_text(" ", strip=True)
    assert f"£{delivered:.1f}m of £{due:.1f}m savings delivered" in text
    assert f"{100 * delivered / due:.0f}% year-to-date yield" in text
    assert "not current data" in text and "transcribed" in text


def test_quarantine_tables_have_the_shared_columns(published_sample):
    project, _ = published_sample
    for domain in ("qipp", "actions"):
        q = pd.read_parquet(project / "data" / "processed" / f"{domain}_quarantine.parquet")
        assert list(q.columns) == ["source", "file", "line", "column", "value", "reason"]
        assert len(q) > 0 and q["reason"].str.len().min() > 10


@pytest.mark.parametrize("module, stage", [(qipp_report, "report_qipp"), (actions_report, "report_actions")])
def test_board_section_is_an_accessible_fragment(published_sample, module, stage):
    project, _ = published_sample
    fragment = module.board_section(Project(project), settings_for(stage, project))
    soup = BeautifulSoup(fragment, "html.parser")
    assert not soup.find(["h1", "h4", "html", "body", "script"])
    assert soup.find("h2") and all(t.find("caption") for t in soup.find_all("table"))
    assert all(img.get("alt") for img in soup.find_all("img"))
    if module is qipp_report:  # RAG in words as well as colour
        labels = {s.get_text() for s in soup.select("span.status")}
        assert {"Red", "Amber", "Green"} <= labels


def test_overdue_list_by_lead(published_sample):
    project, _ = published_sample
    soup = _page(project, "action-plan.html")
    table = next(t for t in soup.find_all("table") if "overdue" in t.find("caption").get_text())
    leads = [tr.find_all(["td", "th"])[0].get_text() for tr in table.find("tbody").find_all("tr")]
    assert leads == sorted(leads) and "CE" in leads
    refs = [tr.find("th").get_text() for tr in table.find("tbody").find_all("tr")]
    assert "1.3" in refs and "1.8" not in refs  # Aug. 03 is overdue at 30 Nov 2003; Jun. 04 is not


@pytest.mark.parametrize("name", ["50_cleanse_qipp.ipynb", "51_report_qipp.ipynb", "52_cleanse_actions.ipynb",
                                  "53_report_actions.ipynb"])
def test_notebook_runs_top_to_bottom_as_in_jupyterlab(published_sample, name):
    import nbformat
    from nbclient import NotebookClient

    project, _ = published_sample
    nb = nbformat.read(project / "notebooks" / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(project / "notebooks")}}).execute()
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    shown = json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    # a report notebook shows its board section; a cleanse notebook what it read and checked
    wanted = r"QIPP savings and milestones \d{4}/\d{2}|Action plan as at \d" if "report" in name else "QIPP|[Aa]ction"
    assert re.search(wanted, shown)
