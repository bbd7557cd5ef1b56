"""Every helper that builds HTML by hand shows names from the data as text.

Organisation, practice, provider, scheme, owner and action names come from publishers' and
teams' files; a name such as ``<script>alert(1)</script>`` must reach the page escaped.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers.domains.actions import report as actions_report
from helpers.domains.board import report as board_report
from helpers.domains.organisation.edition import Edition
from helpers.domains.qipp import report as qipp_report
from helpers.domains.scorecard import packs
from helpers.domains.scorecard import report as scorecard_report
from helpers.render import html
from support import settings_for

SCRIPT = "<script>alert(1)</script>"
QUOTE = 'x" onmouseover="alert(1)'  # breaks out of an attribute if quotes are not escaped
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
RAW = re.compile(r"<script|onmouseover=\"", re.I)


def _safe(fragment: str) -> str:
    assert not RAW.search(fragment), fragment
    return fragment


def test_table_escapes_cells_headers_and_caption_but_not_raw_html_columns():
    frame = pd.DataFrame({SCRIPT: [1], "Name": [SCRIPT], "Formatted": [2.0], "State": [html.status(SCRIPT, "bad")]})
    out = html.table(frame, caption=SCRIPT, formats={"Formatted": lambda v: SCRIPT}, raw_html={"State"},
                     row_header="Name")
    _safe(out)
    assert out.replace("<wbr>", "").count(ESCAPED) == 5  # header, row header, formatted cell, caption, status label


def test_page_kpis_status_and_figure_text():
    _safe(html.page(SCRIPT, "<p>body</p>", subtitle=SCRIPT))
    _safe(html.kpis([(SCRIPT, SCRIPT)]))
    _safe(html.status(SCRIPT, QUOTE))
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1))
    try:
        out = _safe(html.figure(fig, alt=QUOTE, caption=SCRIPT))
    finally:
        plt.close(fig)
    assert 'alt="x&#34; onmouseover=&#34;alert(1)"' in out and ESCAPED in out  # MarkupSafe's spelling of the quote


def test_practice_pack_index_and_heading():
    entries = [{"practice_code": "A00001", "name": SCRIPT, "band": SCRIPT, "file": f'{QUOTE}.html'}]
    out = _safe(packs.index_page(entries, title=SCRIPT, synthetic=False))
    assert out.count(ESCAPED) >= 3
    tables = {"practices": pd.DataFrame({"practice_code": ["A00001"], "practice_name": [SCRIPT],
                                         "pcn_name": [SCRIPT], "icb_code": ["QE1"]}),
              "provenance": {}}
    icb = Edition("QE1", SCRIPT, pd.Timestamp("2026-01-31"), ())
    empty = pd.DataFrame()
    data = scorecard_report.ReportData(tables, settings_for("report_scorecard"), icb, empty, empty, empty, empty,
                                       {"A00001"}, [])
    heading = scorecard_report.pack_heading(data, "A00001")  # the house style comes with the page shell
    assert "<style" not in heading and _safe(heading).count(ESCAPED) == 3  # practice, PCN and ICB names


@pytest.mark.parametrize("label", [qipp_report.rag, actions_report.state, scorecard_report.band_label,
                                   scorecard_report.compare_label])
def test_labels_built_from_data(label):
    assert ESCAPED in _safe(label(SCRIPT))


def test_board_paper_prose_and_owner_text():
    out = _safe(board_report._prose(f"{SCRIPT}\n\n- {SCRIPT}\n  {SCRIPT}"))
    assert out.count(ESCAPED) == 3


def test_notebook_tables_escape_too():
    """Tables a notebook shows as a DataFrame (the audit copies, the report notebooks' extra tables)."""
    out = pd.DataFrame({"scheme": [SCRIPT], SCRIPT: [1]})._repr_html_()
    assert ESCAPED in _safe(out)


def test_long_names_in_tables_can_fold_and_stay_escaped():
    from bs4 import BeautifulSoup

    name = "SYNTHETIC_20240229-RTT-February-2024-full-extract.csv.gz"
    digest = "0123456789abcdef" * 4
    hostile = "<script>alert(1)</script>_and_a_long_tail"
    frame = pd.DataFrame({"File": [name, digest, hostile, "short"]})
    page = str(html.table(frame, caption="files"))
    cells = BeautifulSoup(page, "html.parser").find_all("td")
    assert [c.get_text() for c in cells] == [name, digest, hostile, "short"]  # read as written
    assert all(len(c.find_all("wbr")) >= 3 for c in cells[:3]) and not cells[3].find_all("wbr")
    assert "<script>" not in page and len(BeautifulSoup(page, "html.parser").find_all("script")) == 0
