"""The referral gateway report as the main command publishes it from the shipped sample.

Assertions are on the shared published project copy (``published_sample``); one extra run
checks that a monthly table that does not add up stops the pipeline. Expected figures are
computed with plain pandas from the sample file (tests/referral_sample.py).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from support import copy_project, referral_sample, settings_for

pytestmark = pytest.mark.e2e
DOCUMENT = "referral-gateway.html"
IDENTIFIERS = ["nhs_number", "patient_name", "date_of_birth"]


@pytest.fixture(scope="module")
def page(published_sample) -> BeautifulSoup:
    project, _ = published_sample
    return BeautifulSoup((project / "reports" / "latest" / DOCUMENT).read_text(encoding="utf-8"), "html.parser")


def test_report_is_published_and_listed(published_sample, page):
    project, _ = published_sample
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert DOCUMENT in index and "Referral gateway" in index
    assert "SYNTHETIC DATA" in page.get_text()
    assert not page.find_all("pre") and "import " not in page.get_text()  # no code, no tracebacks


def test_as_at_date_in_every_title(page):
    headings = page.find_all(["h1", "h2", "h3"])
    assert len(headings) >= 10
    for h in headings:
        assert "as at 12 May 2011" in h.get_text(), h.get_text()
    for caption in page.find_all("caption"):
        if "Input files" not in caption.get_text() and "Great Expectations" not in caption.get_text():
            assert "12 May 2011" in caption.get_text(), caption.get_text()
    assert all(img.get("alt") for img in page.find_all("img")) and len(page.find_all("img")) >= 4


def test_headline_figures_match_plain_pandas(page):
    frame, held, _ = referral_sample.plain()
    left = frame[["booked_date", "cancelled_date", "returned_date", "transferred_date"]].notna().any(axis=1)
    text = page.get_text(" ")
    assert f"{int((~left).sum()):,} not yet booked" in text
    assert f"{len(frame):,} referrals received since 1 December 2010" in text
    assert f"{held:,} rows failed the row checks" in text
    # the booking table's Returns row: other / received per month, printed to whole percent
    month = frame["received_date"].dt.strftime("%b-%y")
    other = frame["cancelled_date"].notna() | frame["returned_date"].notna()
    expected = (100 * other.groupby(month).sum() / month.value_counts()).round(0)
    table = next(t for t in page.find_all("table") if "Booking information by month" in t.caption.get_text())
    head = [th.get_text() for th in table.thead.find_all("th")]
    row = next(tr for tr in table.tbody.find_all("tr") if "Returns / cancellations" in tr.get_text())
    printed = dict(zip(head, [c.get_text() for c in row.find_all(["th", "td"])]))
    for label, pct in expected.items():
        assert printed[label] == f"{pct:.0f}%"


def test_identifiers_never_reach_processed_data_or_reports(published_sample):
    project, _ = published_sample
    raw = referral_sample.raw()
    nhs = set(raw["nhs_number"])
    names = set(raw["patient_name"])
    births = set(raw.loc[pd.to_datetime(raw["date_of_birth"], format="%d/%m/%Y").dt.year < 2000, "date_of_birth"])
    assert len(nhs) == len(raw) and len(births) > 1000
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in (project / "reports").rglob("*")
             if p.is_file() and p.suffix in {".html", ".ipynb", ".json"}}
    for path in (project / "data" / "processed").glob("*.parquet"):
        frame = pd.read_parquet(path)
        assert not set(IDENTIFIERS) & set(frame.columns), path.name
        texts[path] = frame.astype(str).to_csv()
    assert any(p.name == DOCUMENT for p in texts) and len(texts) > 10
    for path, text in texts.items():
        assert not nhs & set(re.findall(r"\b\d{10}\b", text)), f"NHS number in {path}"
        assert "Synthpatient" not in text and not names & set(re.findall(r"Synthpatient Q\d{6}", text)), path
        assert not births & set(re.findall(r"\b\d{2}/\d{2}/\d{4}\b", text)), f"date of birth in {path}"


def test_quarantine_lists_each_broken_row_with_its_reason(published_sample):
    project, _ = published_sample
    q = pd.read_parquet(project / "data" / "processed" / "referrals_quarantine.parquet")
    assert list(q.columns) == ["source", "file", "line", "column", "value", "reason"]
    reasons = " | ".join(q["reason"])
    for expected in ("month only", "repeated 2 times", "appointment date before the referral",
                     "practice not in the practice list sizes file"):
        assert expected in reasons
    # line numbers point at the file: check one against the raw text (header is line 1)
    raw = referral_sample.raw()
    month_only = q[q["reason"].str.startswith("month only")].iloc[0]
    assert raw.at[int(month_only["line"]) - 2, "received_date"] == month_only["value"]


def test_board_section_is_a_fragment_for_the_board_paper(published_sample):
    from helpers.core.config import Project
    from helpers.domains.referrals import report as referrals_report

    project, _ = published_sample
    fragment = referrals_report.board_section(Project(project), settings_for("report_referrals", project))
    soup = BeautifulSoup(fragment, "html.parser")
    levels = [h.name for h in soup.find_all(re.compile(r"^h\d$"))]
    assert levels[0] == "h2" and set(levels) == {"h2", "h3"} and levels.count("h2") == 1
    assert all(t.caption and t.caption.get_text() for t in soup.find_all("table"))
    assert all(img.get("alt") for img in soup.find_all("img"))
    assert "Plan A" in soup.get_text() and "Plan B" in soup.get_text()
    status = soup.find_all(class_="status")  # RAG as text as well as colour
    assert status and all(s.get_text().strip() for s in status)
    assert "<html" not in fragment and "<body" not in fragment


def test_plans_reach_their_targets_on_the_dates_worked_from_the_data(published_sample, page):
    """Plan A and Plan B recomputed here by the published arithmetic from params.yaml."""
    import yaml

    project, _ = published_sample
    plans = yaml.safe_load((project / "params.yaml").read_text())["referrals_report"]["scenarios"]
    frame, _, _ = referral_sample.plain()
    left = frame[["booked_date", "cancelled_date", "returned_date", "transferred_date"]].notna().any(axis=1)
    backlog0 = int((~left).sum())
    inflow = (frame["received_date"] > referral_sample.AS_AT - pd.Timedelta(days=28)).sum() / 28
    text = page.get_text(" ")
    for plan in plans.values():
        target = plan.get("target", plan.get("target_days", 0) * inflow)
        backlog, week = backlog0, 0
        while backlog > target and week < 26:
            week += 1
            start = plan.get("temporary_from_week", 1)
            temporary = start <= week < start + plan.get("temporary_weeks", 0)
            capacity = (plan["wte"] + (plan.get("temporary_wte", 0) if temporary else 0)) * plan["bookings_per_wte_day"] \
                * plan.get("working_days", 5) + plan.get("overtime_hours", 0) * plan.get("bookings_per_overtime_hour", 0)
            backlog = max(0, backlog + 7 * inflow - capacity)
        met = referral_sample.AS_AT + pd.Timedelta(weeks=week)
        assert f"Met by {met.day} {met:%B %Y}" in text, (plan["label"], met)


def test_notebooks_run_top_to_bottom_as_in_jupyterlab(tmp_path):
    """In a fresh copy, as JupyterLab runs them: kernel in notebooks/, no parameters injected."""
    import nbformat
    from nbclient import NotebookClient

    project = copy_project(tmp_path)
    for name in ("12_cleanse_referrals.ipynb", "22_report_referrals.ipynb"):
        nb = nbformat.read(project / "notebooks" / name, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(project / "notebooks")}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, (name, errors)
        shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                 if o.output_type in ("display_data", "execute_result")]
        assert len(shown) >= 5, name
    assert (project / "data/processed/referrals_headline.parquet").exists()
