"""Every page published for readers works from a file share: nothing is loaded from another host.

Board papers go onto NHS file shares and intranets where outside scripts are blocked, and a page
that calls a CDN tells a third party who read it. These tests read the edition the main command
published from the samples (every page: board paper, domain reports, packs, index, audit copies
and Data Docs), then open the Data Docs index in Chromium with no network at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from helpers.domains.scorecard import packs
from helpers.pipeline import publish, stages
from support.browser import Browser, a4_css_pixels

# what a page loads: each tag's address attributes (a plain <a href> is a link, not a load)
LOADS = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
         "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",), "embed": ("src",),
         "object": ("data",), "input": ("src",)}
REMOTE_CSS = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//|@import\s+(?:url\()?\s*['\"]?\s*(?:https?:)?//", re.I)
PACK_LIMIT = 150 * 1024
# with no network, any address but a file of the edition (or data embedded in the page) fails
NO_NETWORK = ("--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--disable-quic",
              "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _remote(address: str) -> bool:
    return address.strip().lower().startswith(("http:", "https:", "//"))


def remote_loads(page: str) -> list[str]:
    """What ``page`` would fetch from another host: tags' addresses and CSS in style elements and attributes."""
    soup = BeautifulSoup(page, "html.parser")
    found = []
    for tag, attrs in LOADS.items():
        for element in soup.find_all(tag):
            for attr in attrs:
                for address in re.split(r",\s*", element.get(attr) or ""):
                    if address and _remote(address.split()[0]):
                        found.append(f"<{tag} {attr}={address}>")
    styles = [s.get_text() for s in soup.find_all("style")] + [e["style"] for e in soup.find_all(style=True)]
    found += [f"CSS {m.group(0)}" for css in styles for m in REMOTE_CSS.finditer(css)]
    return found


@pytest.fixture(scope="module")
def edition(published_sample) -> Path:
    project, _ = published_sample
    return (project / "reports" / "latest").resolve()


def _project(request, run: str) -> Path:
    """The project copy of the samples' run or of the real files' run (both shared by the e2e tests)."""
    published = request.getfixturevalue(run)
    return published[0] if isinstance(published, tuple) else published


@pytest.mark.e2e
@pytest.mark.parametrize("run", ["published_sample", "published_real"])
def test_no_reader_page_of_the_edition_loads_anything_from_another_host(request, run):
    project = _project(request, run)
    edition = (project / "reports" / "latest").resolve()
    pages = sorted(edition.rglob("*.html")) + [project / "reports" / "index.html"]
    folders = {p.relative_to(edition).parts[0] for p in pages if edition in p.parents and len(p.relative_to(edition).parts) > 1}
    assert {"packs", "data-docs", "audit"} <= folders and len(pages) > 80
    assert {"board-paper.html", "gp-practice-scorecard.html", "index.html"} <= {p.name for p in pages}
    found = {str(p.relative_to(project)): remote_loads(p.read_text(encoding="utf-8")) for p in pages}
    assert {page: loads[:3] for page, loads in found.items() if loads} == {}


def test_the_check_finds_every_kind_of_remote_load():
    """The test above can fail: each way a page can reach another host is caught, and links are not."""
    for page in ('<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>', '<link rel="stylesheet" href="//x/y.css">',
                 '<img src="http://x/logo.png">', '<img srcset="a.png 1x, https://x/b.png 2x">',
                 '<iframe src="https://x/"></iframe>', "<style>h1 { background: url('https://x/y.png') }</style>",
                 '<style>@import url("https://fonts.example/css");</style>', '<p style="background:url(//x/y)">'):
        assert remote_loads(page), page
    assert remote_loads('<a href="https://www.england.nhs.uk/">source</a><script src="static/x.js"></script>'
                        '<img src="data:image/png;base64,AAAA"><p>url(https://x) as text</p>') == []


@pytest.mark.e2e
@pytest.mark.parametrize("run", ["published_sample", "published_real"])
def test_packs_are_small_titled_by_practice_and_link_back(request, run):
    project = _project(request, run)
    edition = (project / "reports" / "latest").resolve()
    names = pd.read_parquet(project / "data/processed/organisation_practices.parquet").set_index("practice_code")["practice_name"]
    pages = sorted(p for p in (edition / "packs").glob("*.html") if p.name != "index.html")
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(text, "html.parser")
        assert path.stat().st_size <= PACK_LIMIT, f"{path.name}: {path.stat().st_size / 1024:.0f} KB"
        assert soup.title.get_text() == f"{names[path.stem]} ({path.stem})"
        hrefs = {a["href"] for a in soup.find_all("a", href=True)}
        assert {"../gp-practice-scorecard.html", "../index.html"} <= hrefs
        assert all((path.parent / href).resolve().is_file() for href in hrefs if not href.startswith("#"))
        assert soup.find("header", class_="masthead") and f"Edition {edition.name}" in soup.header.get_text()
        assert soup.find_all("script") == [] and "jp-Notebook" not in text and "--jp-" not in text
        assert "practice_code =" not in soup.get_text() and "import " not in soup.get_text()  # no parameters or code
    index = BeautifulSoup((edition / "packs" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert {"../gp-practice-scorecard.html", "../index.html"} <= {a["href"] for a in index.find_all("a", href=True)}


def test_the_scorecard_link_names_the_page_the_stage_publishes():
    published_as = stages.by_name()["report_scorecard"].document[1]
    assert f"../{published_as}" == packs.SCORECARD_PAGE


@pytest.mark.e2e
def test_data_docs_runs_are_named_after_stage_and_edition(edition):
    index = (edition / "data-docs" / "index.html").read_text(encoding="utf-8")
    run_names = set(re.findall(r"'run_name': '([^']*)'", index))
    writers = stages.validation_writers()
    assert run_names == {f"{stage}@{edition.name}" for stage in writers.values()}
    assert "__none__" not in index


@pytest.mark.e2e
def test_data_docs_index_lists_the_results_in_chromium_with_no_network(edition):
    """The index's table is built by scripts: with the network gone, the shipped copies build it."""
    docs = edition / "data-docs"
    results = sorted((docs / "validations").rglob("*.html"))
    with Browser(args=NO_NETWORK) as browser:
        session = browser.open((docs / "index.html").as_uri(), domains=("Page", "Runtime", "Log", "Network"))
        shown = browser.evaluate(session, "[...document.querySelectorAll("
                                          "'table.ge-index-page-validation-results-table tbody tr')].map(r => r.innerText)")
        listed = browser.evaluate(session, "$('table.ge-index-page-validation-results-table')"
                                           ".bootstrapTable('getData').length")
        icon = browser.evaluate(session, "getComputedStyle(document.querySelector('.fa-check-circle, .fa-times'),"
                                         " '::before').content")
        requested = browser.requested(session)
        errors = browser.console_errors(session)
    assert listed == len(results) and len(shown) == min(len(results), 10)  # ten rows a page
    assert all(f"@{edition.name}" in row for row in shown)
    assert icon not in ("", "none", "normal")  # Font Awesome's stylesheet came from the site
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    assert errors == []


def test_a_pack_page_is_the_house_shell_and_publishing_names_its_edition():
    facts = {"names": {"A81001": "The <Surgery> & Co"}, "organisation": "NHS Sussex ICB", "month": "January 2026",
             "code_version": "abc"}
    page = packs.pack_page("<h1>body</h1>", "A81001", facts)
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title.get_text() == "The <Surgery> & Co (A81001)"
    assert [a["href"] for a in soup.header.find_all("a")] == ["../gp-practice-scorecard.html", "index.html", "../index.html"]
    assert "NHS Sussex ICB, data for January 2026" in soup.header.get_text() and "not yet published" in soup.header.get_text()
    assert "@media print" in soup.style.get_text() and soup.main.h1.get_text() == "body"
    stamped = BeautifulSoup(publish.html.stamp_edition(page, "Edition 2026-01_20260320T063001000000Z"), "html.parser")
    assert "Edition 2026-01_20260320T063001000000Z" in stamped.header.get_text()
    assert "not yet published" not in stamped.get_text()


@pytest.mark.e2e
def test_a_pack_printed_on_a4_fits_its_tables_to_the_page_width(edition):
    """Laid out as for print at A4's width less the margins, no table or cell runs past the page."""
    pack = sorted(p for p in (edition / "packs").glob("*.html") if p.name != "index.html")[0]
    width, _ = a4_css_pixels(12)  # A4 less packs.PACK_CSS's 12 mm margins
    with Browser() as browser:
        session = browser.open_as_printed(pack.as_uri(), width)
        overflow = browser.tables_past_the_page(session, width)
        tables = browser.evaluate(session, "document.querySelectorAll('table').length")
    assert tables >= 1
    assert overflow == []


@pytest.mark.e2e
def test_packs_print_on_at_most_two_a4_pages(edition):
    """The longest pack (most text and tables) and the shortest, printed to PDF in Chromium."""
    by_size = sorted((p for p in (edition / "packs").glob("*.html") if p.name != "index.html"),
                     key=lambda p: p.stat().st_size)
    assert by_size
    with Browser() as browser:
        counts = {p.name: browser.print_to_pdf(browser.open(p.as_uri()))[1] for p in {by_size[0], by_size[-1]}}
    assert all(1 <= n <= 2 for n in counts.values()), counts
