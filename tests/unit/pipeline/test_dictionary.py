"""The data dictionary: every indicator and measure of the catalogues, with its source's publisher."""

from __future__ import annotations

import pytest
import yaml
from bs4 import BeautifulSoup

from helpers.core.errors import SourceFormatError
from helpers.domains.scorecard import measures as scorecard
from helpers.pipeline import dictionary, stages
from support import ROOT


@pytest.fixture(scope="module")
def page():
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return BeautifulSoup(dictionary.body(ROOT, params), "html.parser")


def test_every_indicator_and_measure_of_the_catalogues_is_defined(page):
    indicators = yaml.safe_load((ROOT / "catalogue/indicators.yaml").read_text(encoding="utf-8"))["indicators"]
    measures = yaml.safe_load((ROOT / "board_measures.yaml").read_text(encoding="utf-8"))["measures"]
    headings = [h.get_text() for h in page.select("section.definition h3")]
    assert headings == [i["name"] for i in indicators] + [f"{m['reference']}: {m['name']}" for m in measures]
    for section, indicator in zip(page.select("section.definition"), indicators):
        fields = {dt.get_text(): dd.get_text(" ", strip=True) for dt, dd in zip(section("dt"), section("dd"))}
        assert fields["Numerator"] == indicator["numerator"] and fields["Denominator"] == indicator["denominator"]


def test_every_source_a_stage_reads_has_a_publisher_and_the_links_are_the_registry_s(page):
    sources = yaml.safe_load((ROOT / dictionary.SOURCES).read_text(encoding="utf-8"))["sources"]
    assert set(stages.sources()) <= set(sources)
    links = {a["href"] for a in page.select("table a")}
    assert links == {s["link"] for s in sources.values() if s.get("link")}
    assert "parquet" not in page.get_text() and "None" not in page.get_text()


def test_judgement_says_how_an_indicator_is_banded_or_that_it_is_not():
    catalogue = {i.id: i for i in scorecard.load_catalogue(ROOT / "catalogue/indicators.yaml")}
    assert dictionary.judgement(catalogue["imm_6in1_12m"]) == (
        "High is good; Good at 95% or more, Acceptable at 90% or more, otherwise Unacceptable")
    assert dictionary.judgement(catalogue["prev_dm"]).startswith("No judgement: compared Higher / Similar / Lower")


def test_a_source_without_its_publisher_is_named(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": {"rtt_full_csv": {"title": "RTT", "released": "monthly"}}}))
    with pytest.raises(SourceFormatError, match="source rtt_full_csv: missing publisher"):
        dictionary.load_sources(path)
