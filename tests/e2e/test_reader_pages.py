"""What a reader sees on every page of the samples' edition: its ICB and month, no missing-value
markers or tool words, sections for other organisations labelled, the synthetic banner only where
a figure comes from a synthetic file.

Reads the edition the main command published from the shipped samples (the session's shared run);
Data Docs and the audit copies are analyst pages and are left out. Expected values are worked out
here from the input files' names, not from the package.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from support import ROOT
from support.browser import Browser, a4_css_pixels

pytestmark = pytest.mark.e2e

ICB = "NHS Sussex ICB"  # QNX, the default organisation: the samples are its practices and waits
RAW = ROOT / "data" / "raw"
BLANK_MARKERS = re.compile(r"\b(nan|NaN|NaT|None)\b")
TOOL_WORDS = re.compile(r"parquet|params\.yaml|DataFrame|notebook|\bplotthedots\b|\bnhse_excel\b", re.IGNORECASE)
ELSEWHERE = {"referral-gateway.html": "referral_gateway", "qipp-savings.html": "qipp_tracker",
             "action-plan.html": "action_plan"}


def _month() -> str:
    """The newest month among the RTT sample files' names (YYYYMMDD-RTT-...): the edition's month."""
    dates = [re.match(r"(?:SYNTHETIC_)?(\d{8})-RTT", p.name) for p in (RAW / "rtt_full_csv").iterdir()]
    newest = max(dt.datetime.strptime(m.group(1), "%Y%m%d") for m in dates if m)
    return f"{newest:%B %Y}"


def _kind(path: Path) -> str:
    name = path.name.upper()
    return "synthetic" if name.startswith("SYNTHETIC") else "transcribed" if name.startswith("TRANSCRIBED") else "real"


@pytest.fixture(scope="module")
def edition(published_sample) -> Path:
    project, _ = published_sample
    return (project / "reports" / "latest").resolve()


def reader_pages(edition: Path) -> list[Path]:
    """Every page published for readers: the index, the reports and board paper, the packs and their index."""
    return sorted(p for p in edition.rglob("*.html") if not {"data-docs", "audit"} & set(p.relative_to(edition).parts))


def visible_text(path: Path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for element in soup(["style", "script"]):
        element.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


def test_no_reader_page_shows_a_missing_value_marker_or_a_tool_word(edition):
    pages = reader_pages(edition) + [edition.parents[1] / "index.html"]
    assert {"board-paper.html", "qipp-savings.html", "action-plan.html", "index.html"} <= {p.name for p in pages}
    assert any(p.parent.name == "packs" for p in pages)
    found = {}
    for page in pages:
        text = visible_text(page)
        hits = [m.group(0) for m in BLANK_MARKERS.finditer(text)] + [m.group(0) for m in TOOL_WORDS.finditer(text)]
        if hits:
            found[str(page.relative_to(edition.parents[1]))] = sorted(set(hits))
    assert found == {}


def test_the_check_finds_markers_and_tool_words():
    assert BLANK_MARKERS.findall("a NaN, NaT and None and nan") == ["NaN", "NaT", "None", "nan"]
    assert not BLANK_MARKERS.search("financial, nano, Nonetheless, none of them")
    assert TOOL_WORDS.findall("data/processed/x.parquet (params.yaml) a DataFrame, the Notebooks, plotthedots") == [
        "parquet", "params.yaml", "DataFrame", "Notebook", "plotthedots"]
    assert not TOOL_WORDS.search("the NHSRplotthedots R package")  # a package cited by name is not a setting


def test_every_reader_pages_masthead_names_the_icb_and_data_month(edition):
    label = f"{ICB}, data for {_month()}"
    for page in reader_pages(edition):
        masthead = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("header")
        assert masthead and label in masthead.get_text(" "), page.name


def test_sections_for_another_organisation_say_so_in_their_heading(edition):
    not_this = f"not {ICB} {_month()}"
    for file in ELSEWHERE:
        headings = BeautifulSoup((edition / file).read_text(encoding="utf-8"), "html.parser").find_all(["h1", "h2"])
        assert any("data for" in h.get_text() and not_this in h.get_text() for h in headings), file
    board = BeautifulSoup((edition / "board-paper.html").read_text(encoding="utf-8"), "html.parser")
    context = [s for s in board.find_all("section") if "context" in (s.get("class") or [])]
    assert len(context) == len(ELSEWHERE)
    assert all(not_this in s.get_text(" ") for s in context)


def test_the_banner_follows_the_pages_own_sources_and_the_index_lists_them(edition):
    kinds = {folder.name: {_kind(f) for f in folder.iterdir() if f.suffix.lower() not in (".md",)}
             for folder in RAW.iterdir() if folder.is_dir()}
    for file, folder in (("qipp-savings.html", "qipp_tracker"), ("action-plan.html", "action_plan"),
                         ("referral-gateway.html", "referral_gateway"), ("rtt-waiting-times.html", "rtt_full_csv")):
        soup = BeautifulSoup((edition / file).read_text(encoding="utf-8"), "html.parser")
        assert bool(soup.select(".banner.synthetic")) == ("synthetic" in kinds[folder]), file
    index = BeautifulSoup((edition / "index.html").read_text(encoding="utf-8"), "html.parser")
    heading = next(h for h in index.find_all("h2") if h.get_text().startswith("Sources"))
    listed = dict(li.get_text().split(": ", 1) for li in heading.find_next("ul").find_all("li"))
    read = {folder: found for folder, found in kinds.items() if folder in listed}
    assert set(listed) >= {"rtt_full_csv", "qipp_tracker", "action_plan", "referral_gateway"}
    for folder, found in read.items():
        assert listed[folder].split(":")[0] == (found.pop() if len(found) == 1 else "mixed"), folder


def test_every_link_on_a_reader_page_resolves(edition):
    """Every link to a file of the edition leads to one that exists, and every link to a place in a
    page (#id) to an element with that id."""
    broken = []
    for page in reader_pages(edition) + [edition.parents[1] / "index.html"]:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for a in soup.find_all("a", href=True):
            href = a["href"]
            if re.match(r"[a-z]+:", href):  # the publishers' own sites, mail
                continue
            target, _, fragment = href.partition("#")
            path = (page.parent / target).resolve() if target else page
            if not path.is_file():
                broken.append(f"{page.name}: {href}")
            elif fragment and BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find(id=fragment) is None:
                broken.append(f"{page.name}: {href} (no element with that id)")
    assert broken == []


def test_every_report_page_prints_with_no_table_past_the_page(edition):
    """Laid out as Chromium prints on A4 (house.css's 15 mm margins), every top-level page of the
    edition (the domain reports, definitions, the index) keeps its tables within the page."""
    width, _ = a4_css_pixels(15)
    pages = sorted(edition.glob("*.html"))
    assert len(pages) >= 7
    with Browser() as browser:
        overflow = {page.name: browser.tables_past_the_page(browser.open_as_printed(page.as_uri(), width), width)
                    for page in pages}
    assert {name: cells[:5] for name, cells in overflow.items() if cells} == {}
