"""The published board paper, as a board member opens it: structure, Chromium, accessibility.

Uses the shared ``published_sample`` project (one pipeline run on the samples). Chromium is driven
over the DevTools protocol through a pipe (``tests/browser.py``); axe-core comes from the npm
registry into ``build/cache`` on first use.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from support import REAL, ROOT
from support.browser import Browser, a4_css_pixels, axe_source, pdf_destinations, pdf_links

pytestmark = pytest.mark.e2e

AXE_RUN = "\n;axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => " \
          "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"


@pytest.fixture(scope="module")
def paper(published_sample):
    project, _ = published_sample
    path = project / "reports" / "latest" / "board-paper.html"
    assert path.exists(), sorted(p.name for p in (project / "reports" / "latest").iterdir())
    return project, path


@pytest.fixture(scope="module")
def soup(paper):
    return BeautifulSoup(paper[1].read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def axe():
    return axe_source(ROOT / "build" / "cache")


def test_paper_is_listed_on_the_index(paper):
    project, _ = paper
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert "Integrated performance report" in index and "board-paper.html" in index


def test_sections_in_order_with_headings_that_do_not_skip(soup):
    headings = [(int(h.name[1]), h.get_text(" ", strip=True)) for h in soup.find_all(re.compile("^h[1-6]$"))]
    assert [t for level, t in headings if level == 1] == ["Integrated performance report"]
    for (before, _), (after, text) in zip(headings, headings[1:]):
        assert after <= before + 1, f"heading level skipped at {text!r}"
    top = [t for level, t in headings if level == 2]
    order = ["Cover sheet", "Executive summary of exceptions", "Summary matrix", "Summary of measures", "Exception:",
             "Referral to treatment waiting times", "Appendix A: data quality", "Appendix B: methods and provenance"]
    positions = [next(i for i, t in enumerate(top) if t.startswith(o)) for o in order]
    assert positions == sorted(positions), top


def test_cover_sheet_has_the_seed_fields(soup):
    cover = [h.get_text(strip=True) for h in soup.find_all("h3")]
    for field in ("Purpose of the report", "Executive summary", "Decision required",
                  "Corporate objectives and Board Assurance Framework", "Risks", "Resource implications",
                  "Equality and diversity considerations", "Patient and public engagement", "Communications"):
        assert field in cover


def test_self_contained_with_alt_text_and_captions(soup):
    assert not soup.find_all("script") and not soup.find_all("link", rel="stylesheet")
    images = soup.find_all("img")
    assert images and all(i["src"].startswith("data:image/png;base64,") for i in images)
    assert all(len(i.get("alt", "")) > 40 for i in images)
    assert all(t.find("caption") and t.find("caption").get_text(strip=True) for t in soup.find_all("table"))
    assert "@media print" in str(soup) and "size: A4" in str(soup) and "break-before: page" in str(soup)
    assert "SYNTHETIC DATA" in soup.get_text()


def test_summary_table_lists_every_measure_with_icons_in_words(paper, soup):
    project, _ = paper
    table = next(t for t in soup.find_all("table") if t.caption.get_text().startswith("Measures at a glance"))
    heads = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    assert heads == ["Ref", "Measure", "For", "Latest", "Target", "Variation", "Assurance", "Owner", "Data date",
                     "Staleness", "Notes"]
    refs = [tr.th.get_text(strip=True) for tr in table.tbody.find_all("tr")]
    catalogue = __import__("yaml").safe_load((project / "board_measures.yaml").read_text())["measures"]
    assert refs == [m["reference"] for m in catalogue]
    for svg in table.find_all("svg"):
        assert svg["aria-label"] and svg.find_next_sibling(class_="icon-text").get_text() == svg["aria-label"]


def _icon_key(cell) -> str | None:
    """The icon a summary-table cell shows, from its class (``icon concern-high``: concern_high; ``icon none``: None)."""
    kind = next(c for c in cell.select_one("span.icon")["class"] if c != "icon")
    return None if kind == "none" else kind.replace("-", "_")


def test_the_summary_matrix_places_every_measure_of_the_table_once_with_the_same_icons(paper, soup):
    project, _ = paper
    table = next(t for t in soup.find_all("table") if t.caption.get_text().startswith("Measures at a glance"))
    heads = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    rows = {tr.th.get_text(strip=True): dict(zip(heads[1:], tr.find_all("td"))) for tr in table.tbody.find_all("tr")}
    section = soup.select_one("section.summary-matrix")
    items = section.select("li.matrix-measure")
    assert sorted(li["data-ref"] for li in items) == sorted(rows)  # each measure of the table exactly once
    charted = set(pd.read_parquet(project / "data/processed/board_measures.parquet")["reference"])
    assert charted and charted <= set(rows)
    for li in items:
        ref, row = li["data-ref"], rows[li["data-ref"]]
        variation, assurance = _icon_key(row["Variation"]), _icon_key(row["Assurance"])
        assert (li["data-variation"] or None, li["data-assurance"] or None) == (variation, assurance), ref
        words = [t.get_text(strip=True) for t in (row["Variation"].select(".icon-text") + row["Assurance"].select(".icon-text"))]
        assert [svg["aria-label"] for svg in li.select(".icon svg")] == words, ref
        # the cell: the column by the kind of variation, the row by the assurance (or whether there is a target)
        column = "none" if variation is None else variation if variation == "common_cause" else variation.rsplit("_", 1)[0]
        line = assurance or ("no_target" if row["Target"].get_text(strip=True) == "none" else "none")
        cell = li.find_parent("td")
        assert (cell["data-variation-group"], cell["data-assurance-group"]) == (column, line), ref
        assert li.select_one(".latest").get_text(strip=True) == row["Latest"].get_text(strip=True), ref
        spark = li.select_one("svg.sparkline")
        if ref in charted:
            assert spark is not None and spark["role"] == "img", ref
            name = row["Measure"].get_text(strip=True)
            assert spark["aria-label"].startswith(f"Sparkline of {name}, ") and spark.title.get_text() == spark["aria-label"]
            months = int(re.search(r", (\d+) months from ", spark["aria-label"])[1])
            assert len(spark.find("polyline")["points"].split()) == months, ref
        else:
            assert spark is None and "Not charted" in li.get_text(), ref
    assert section.find_parent("nav") is None and soup.select_one('nav.contents a[href="#summary-matrix"]')


def test_printed_to_pdf_it_has_a_contents_page_the_matrix_on_one_page_and_no_table_past_the_page(paper, soup):
    """Chromium's print: a page that holds the contents' links (each to a later page), the summary matrix alone on
    one page, and, laid out at A4's width less house.css's 15 mm margins, no table or cell past the page."""
    _, path = paper
    contents = [a["href"][1:] for a in soup.select("nav.contents a")]
    width, height = a4_css_pixels(15)
    with Browser() as browser:
        pdf, pages = browser.print_to_pdf(browser.open(path.resolve().as_uri()))
        session = browser.open_as_printed(path.resolve().as_uri(), width)
        overflow = browser.tables_past_the_page(session, width)
        matrix_height = browser.evaluate(session, "document.querySelector('section.summary-matrix')"
                                                  ".getBoundingClientRect().height")
    links = [list(dict.fromkeys(dests)) for dests in pdf_links(pdf)]  # a link over two lines is two annotations
    assert len(links) == pages
    contents_page = next((i for i, dests in enumerate(links) if dests == contents), None)
    assert contents_page is not None and contents_page < 4, links[:4]
    landing = pdf_destinations(pdf)
    assert all(landing[d] > contents_page for d in contents)
    assert [landing[d] for d in contents] == sorted(landing[d] for d in contents)
    after = contents[contents.index("summary-matrix") + 1]
    assert landing[after] == landing["summary-matrix"] + 1  # the matrix is one page, the next section the next
    assert 0 < matrix_height <= height
    assert overflow == []


def test_processed_outputs_and_quarantine(paper):
    project, _ = paper
    processed = project / "data" / "processed"
    measures = pd.read_parquet(processed / "board_measures.parquet")
    assert not measures.duplicated(["reference", "period"]).any()
    quarantine = pd.read_parquet(processed / "board_quarantine.parquet")
    assert list(quarantine.columns) == ["source", "file", "line", "column", "value", "reason"]
    assert (quarantine["value"] == "52+").any()  # the sample's censored percentiles
    provenance = json.loads((processed / "board_provenance.json").read_text())
    assert provenance["synthetic_inputs"] and len(provenance["inputs"]) == 2
    assert any(p.name.startswith("national_timeseries.raw") for p in (project / "build/validation/board").iterdir())


def test_opens_in_chromium_without_console_errors_or_serious_accessibility_violations(paper, axe):
    _, path = paper
    with Browser() as browser:
        session = browser.open(path.resolve().as_uri())
        title = browser.evaluate(session, "document.title")
        violations = browser.evaluate(session, axe + AXE_RUN)
        errors = browser.console_errors(session)
    assert title == "Integrated performance report"
    assert errors == []
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)


def test_the_accessibility_check_does_find_problems(tmp_path, axe):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><main>'
                    '<img src="data:image/png;base64,iVBORw0KGgo="><script>console.error("boom")</script>'
                    '</main></body></html>')
    with Browser() as browser:
        session = browser.open(page.as_uri())
        violations = browser.evaluate(session, axe + AXE_RUN)
        errors = browser.console_errors(session)
    assert {v["id"] for v in violations if v["impact"] == "critical"} >= {"image-alt"}
    assert errors and "boom" in errors[0]


def test_real_national_series_publish_a_paper(published_real):
    """The main command on the real A&E and RTT workbooks."""
    project = published_real
    # Expected from the publisher's file, read with pandas: March 2024, all types, within 4 hours.
    perf = pd.read_excel(REAL / "ae_national_timeseries" / "Monthly-AE-Time-Series-March-2024.xls",
                         sheet_name="Performance", header=13, engine="xlrd").dropna(subset=["Period"])
    march = perf[perf["Period"] == "2024-03-01"]["Percentage in 4 hours or less (all)"].iloc[0]
    soup = BeautifulSoup((project / "reports/latest/board-paper.html").read_text(encoding="utf-8"), "html.parser")
    table = next(t for t in soup.find_all("table") if t.caption.get_text().startswith("Measures at a glance"))
    row = {tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
           for tr in table.tbody.find_all("tr")}
    assert row["AE-01"][1] == "England (context: data to March 2024)"  # not the edition's month
    assert row["AE-01"][2] == f"{100 * march:.1f}%" == "74.2%"
    assert row["AE-01"][7] == "Mar 2024" and row["RTT-01"][7] == "Jun 2022"
    assert "trial limits" in row["AE-01"][9]  # ten months since the June 2023 rebase
    assert "Consistently failing the target" in row["AE-01"][5]
    provenance = json.loads((project / "data/processed/board_provenance.json").read_text())
    assert not provenance["synthetic_inputs"]
    assert {i["file"].rsplit("/", 1)[-1] for i in provenance["inputs"]} == {
        "Monthly-AE-Time-Series-March-2024.xls", "RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx"}


def test_the_contents_list_links_every_section_and_each_section_links_its_full_report(paper, soup):
    contents = soup.select_one("nav.contents")
    assert contents is not None
    listed = [a["href"][1:] for a in contents.select("a")]
    after = [h for h in contents.find_all_next("h2") if contents not in h.parents]  # not the list's own heading
    assert listed == [h.get("id") for h in after] and len(listed) >= 6
    assert any(h.get_text(strip=True).startswith("Appendix A") for h in after)
    full = [a["href"] for a in soup.select("p.full-report a")]
    assert full and all((paper[1].parent / href).is_file() for href in full)
    assert len(full) == len(soup.select("section.board-section.domain"))
