"""GX Data Docs show text from the data as text: a name holding markup cannot run in a reader's browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from helpers.core import quality
from helpers.render import data_docs, vendor

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
# a script element opened by the data (GX's own pages load scripts from files, with no inline alert)
RUNNABLE = re.compile(r"<script[^>]*>\s*alert", re.IGNORECASE)


def test_escaped_for_docs_escapes_data_and_keeps_what_gx_looks_up():
    stored = {
        "suite_name": "s", "success": False,
        "meta": {"data_name": f"/in/{SCRIPT}.csv", "run_name": "pipeline"},
        "results": [{
            "success": False,
            "expectation_config": {"type": "expect_column_values_to_be_in_set",
                                   "kwargs": {"column": "name", "value_set": ["A", "B&C"], "mostly": 0.9}},
            "result": {"unexpected_count": 2, "unexpected_percent": 50.0,
                       "partial_unexpected_list": [SCRIPT, FORMULA],
                       "partial_unexpected_counts": [{"value": SCRIPT, "count": 1}]},
            "exception_info": {"raised_exception": False, "exception_message": None},
        }],
    }
    before = json.dumps(stored)
    out = quality.escaped_for_docs(stored)
    assert json.dumps(stored) == before, "the stored result itself is not changed"
    item = out["results"][0]
    assert item["expectation_config"]["type"] == "expect_column_values_to_be_in_set"
    assert item["expectation_config"]["kwargs"] == {"column": "name", "value_set": ["A", "B&amp;C"], "mostly": 0.9}
    assert item["result"]["partial_unexpected_list"] == ["&lt;script&gt;alert(1)&lt;/script&gt;",
                                                         "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"]
    assert item["result"]["partial_unexpected_counts"] == [{"value": "&lt;script&gt;alert(1)&lt;/script&gt;",
                                                            "count": 1}]
    assert item["result"]["unexpected_count"] == 2 and item["exception_info"]["raised_exception"] is False
    assert out["meta"] == {"data_name": "/in/&lt;script&gt;alert(1)&lt;/script&gt;.csv", "run_name": "pipeline"}


def test_data_docs_show_markup_from_the_data_as_text(tmp_path):
    """Unexpected values and a file's own column names reach the validation page escaped."""
    (tmp_path / "expectations").mkdir()
    suite = {"name": "names.raw", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "name", "value_set": ["Good Practice"]},
         "severity": "warning"},
        {"type": "expect_table_columns_to_match_ordered_list", "kwargs": {"column_list": ["name", "count"]},
         "severity": "warning"},
    ]}
    (tmp_path / "expectations" / "names.raw.json").write_text(json.dumps(suite), encoding="utf-8")
    frame = pd.DataFrame({"name": [SCRIPT, FORMULA, "Good Practice"], "count": [1, 2, 3], SCRIPT: [0, 0, 0]})
    outcome = quality.validate(frame, "names.raw", data_name="names.csv", results_dir=tmp_path / "results",
                               root=tmp_path)
    assert len(outcome.warnings) == 2  # both fail, so GX renders their unexpected and observed values
    quality.build_data_docs(tmp_path / "results", tmp_path / "site", tmp_path)
    pages = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html")}
    validation = [text for p, text in pages.items() if "validations" in p.parts]
    assert len(validation) == 1
    assert validation[0].count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # a value and a column name, shown
    assert "&amp;lt;" not in validation[0]  # escaped once, not twice
    assert [p for p, text in pages.items() if RUNNABLE.search(text)] == []


# --- published from a file share: offline, no promotion, runs named after stage and edition ------

EDITION = "2026-01_20260320T063001000000Z"
PROMOTION = re.compile(r"subscribe|newsletter|disable this footer|greatexpectations\.io|to continue exploring", re.I)


def _remote(address: str) -> bool:
    return address.strip().lower().startswith(("http:", "https:", "//"))


def _site(tmp_path: Path) -> tuple[Path, dict[str, BeautifulSoup]]:
    """Data Docs of two stages' results, as an edition publishes them."""
    (tmp_path / "expectations").mkdir()
    suite = {"name": "counts.raw", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "count"}, "severity": "warning"}]}
    (tmp_path / "expectations" / "counts.raw.json").write_text(json.dumps(suite), encoding="utf-8")
    frame = pd.DataFrame({"count": [1, None, 3]})
    for domain in ("rtt", "board"):
        quality.validate(frame, "counts.raw", data_name=f"{domain}.csv", results_dir=tmp_path / "results" / domain,
                         root=tmp_path)
    site = tmp_path / "site"
    quality.build_edition_docs(tmp_path / "results", site, tmp_path, edition=EDITION,
                               stages={"rtt": "cleanse_rtt", "board": "board_paper"})
    pages = {str(p.relative_to(site)): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
             for p in sorted(site.rglob("*.html"))}
    return site, pages


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return _site(tmp_path_factory.mktemp("docs"))


def test_data_docs_carry_none_of_the_tools_promotion(site):
    _, pages = site
    assert len(pages) == 4  # the index, one suite, two validations
    found = {name: PROMOTION.findall(page.get_text(" ") + " ".join(a.get("href", "") for a in page.find_all("a")))
             for name, page in pages.items()}
    assert {name: words for name, words in found.items() if words} == {}
    assert all(len(page.find_all("title")) == 1 for page in pages.values())


def test_runs_are_named_after_the_stage_and_the_edition(site):
    site_dir, pages = site
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"'run_name': '([^']*)'", index))) == [f"board_paper@{EDITION}", f"cleanse_rtt@{EDITION}"]
    validations = {name: page for name, page in pages.items() if name.startswith("validations/")}
    assert {name.split("/")[3] for name in validations} == {f"board_paper@{EDITION}", f"cleanse_rtt@{EDITION}"}
    for page in validations.values():
        cells = [td.get_text(strip=True) for td in page.find_all("td")]
        run_name = cells[cells.index("Run Name") + 1]
        assert run_name in (f"board_paper@{EDITION}", f"cleanse_rtt@{EDITION}")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", cells[cells.index("Run Time") + 1])
        assert "__none__" not in page.get_text()


def test_assets_are_vendored_in_the_site_and_referenced_locally(site):
    site_dir, pages = site
    for package in vendor.PACKAGES:
        assert (site_dir / "static" / "vendor" / package.folder).is_dir(), package.name
    loaded = set()
    for name, page in pages.items():
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for element in page.find_all(tag, attrs={attr: True}):
                address = element[attr]
                assert not _remote(address), f"{name} loads {address}"
                target = ((site_dir / name).parent / address.split("?")[0]).resolve()
                assert target.is_file(), f"{name}: {address} is not in the site"
                loaded.add(target.relative_to(site_dir.resolve()).as_posix())
        for css in [s.get_text() for s in page.find_all("style")] + [e["style"] for e in page.find_all(style=True)]:
            assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//|@import", css, re.I), name
    shipped = {f"static/vendor/{p.folder}/{f}" for p in vendor.PACKAGES for f in p.files if not f.endswith("/")}
    assert shipped <= loaded  # every pinned script and stylesheet is used, from the site itself
    fonts = site_dir / "static/vendor" / vendor.FONT_AWESOME.folder / "webfonts"
    css = (site_dir / "static/vendor" / vendor.FONT_AWESOME.folder / "css/all.min.css").read_text(encoding="utf-8")
    assert all((fonts / font).is_file() for font in re.findall(r"\.\./webfonts/([\w.-]+)", css))
    assert not (site_dir / "static/images/glossary_scroller.gif").exists()  # GX's tutorial images are not shipped


def test_the_check_for_remote_references_finds_them():
    """What the rewriting must leave none of: each kind is caught."""
    for page in ('<script src="https://cdn.example/x.js"></script>', '<link rel="stylesheet" href="//cdn.example/x.css">',
                 '<img src="http://example.org/logo.png">', "<style>a { background: url('https://x/y.png') }</style>",
                 '<style>@import "https://x/y.css";</style>', '<div style="background:url(//x/y.png)"></div>'):
        assert data_docs.remote_references(page), page
    assert data_docs.remote_references('<script src="static/vendor/x.js"></script><p>url(https://x) as text</p>') == []


def test_an_unpinned_cdn_address_stops_the_rewrite():
    with pytest.raises(data_docs.DataDocsError, match="not pinned"):
        data_docs.rewrite_page('<html><head><script src="https://cdn.example/new.js"></script></head></html>', depth=0)


def test_a_pinned_package_that_does_not_match_its_digest_is_refused(tmp_path, monkeypatch):
    package = vendor.JQUERY
    (tmp_path / package.tarball).write_bytes(b"not the pinned tarball")
    monkeypatch.setattr(vendor, "_download", lambda p: b"a substituted tarball")
    with pytest.raises(vendor.VendorError, match="does not match"):
        vendor.tarball(package, tmp_path)
