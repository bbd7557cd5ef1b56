"""Markup kept between stages and runs: made again exactly when something it is made from changes."""

from __future__ import annotations

import matplotlib.pyplot as plt

from helpers.render import html, kept, plots  # noqa: F401  (plots: the headless backend)

MADE_FROM = ["data/processed/rtt_summary.parquet", "build/validation/rtt", "catalogue/indicators.yaml"]


def _project(root):
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "processed" / "rtt_summary.parquet").write_bytes(b"one")
    (root / "data" / "processed" / "scorecard_scores.parquet").write_bytes(b"one")
    (root / "catalogue").mkdir()
    (root / "catalogue" / "indicators.yaml").write_text("a: 1\n")


def test_a_fragment_is_made_once_until_what_it_is_made_from_changes(tmp_path):
    _project(tmp_path)
    made = []

    def make(text):
        def maker():
            made.append(text)
            return f"<p>{text}</p>"
        return maker

    settings = {"max_providers": 15, "organisation": "QNX"}
    assert kept.fragment(tmp_path, "rtt", settings, MADE_FROM, make("first")) == "<p>first</p>"
    assert kept.fragment(tmp_path, "rtt", dict(settings), MADE_FROM, make("again")) == "<p>first</p>"
    (tmp_path / "data" / "processed" / "scorecard_scores.parquet").write_bytes(b"two")  # not what it is made from
    assert kept.fragment(tmp_path, "rtt", settings, MADE_FROM, make("another table")) == "<p>first</p>"
    assert made == ["first"]
    kept.fragment(tmp_path, "rtt", {**settings, "max_providers": 4}, MADE_FROM, make("a setting"))
    kept.fragment(tmp_path, "referrals", settings, MADE_FROM, make("another name"))
    (tmp_path / "data" / "processed" / "rtt_summary.parquet").write_bytes(b"two")
    kept.fragment(tmp_path, "rtt", settings, MADE_FROM, make("a table"))
    (tmp_path / "catalogue" / "indicators.yaml").write_text("a: 2\n")
    kept.fragment(tmp_path, "rtt", settings, MADE_FROM, make("a catalogue"))
    (tmp_path / "build" / "validation" / "rtt").mkdir(parents=True)  # a folder stands for its files
    (tmp_path / "build" / "validation" / "rtt" / "x.json").write_text("{}")
    kept.fragment(tmp_path, "rtt", settings, MADE_FROM, make("a validation result"))
    assert made == ["first", "a setting", "another name", "a table", "a catalogue", "a validation result"]


def test_the_key_follows_the_code_and_only_the_newest_are_kept(tmp_path, monkeypatch):
    _project(tmp_path)
    before = kept.key(tmp_path, "rtt", {}, MADE_FROM)
    monkeypatch.setattr(kept, "code_digest", lambda: "other code")
    assert kept.key(tmp_path, "rtt", {}, MADE_FROM) != before
    for n in range(kept.KEEP + 3):
        kept.fragment(tmp_path, "rtt", {"n": n}, MADE_FROM, lambda: "<p></p>")
    assert len(list((tmp_path / kept.SECTIONS).glob("rtt-*.html"))) == kept.KEEP


class _Report:
    """Stands for a report's data: what a page and its board section are drawn from."""


def test_a_figure_is_drawn_once_for_each_reports_data():
    drawn = []

    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        drawn.append(fig)
        return fig

    first, second = _Report(), _Report()
    page = html.drawn(first, draw, alt="Line chart", caption="A trend")
    assert html.drawn(first, draw, alt="Line chart", caption="A trend") == page  # the board section's
    assert len(drawn) == 1 and not plt.fignum_exists(drawn[0].number)  # closed once embedded
    html.drawn(first, draw, alt="Line chart", caption="Another trend")
    html.drawn(second, draw, alt="Line chart", caption="A trend")
    assert len(drawn) == 3
    assert "data:image/png;base64," in str(page) and "A trend" in str(page)


def test_a_section_of_a_reports_data_is_made_once_for_it():
    made = []

    @html.once_per_report
    def section(data):
        made.append(data)
        return "<h2>Funnels</h2>"

    report = _Report()
    assert section(report) == section(report) == "<h2>Funnels</h2>"
    assert isinstance(section(report), html.Fragment) and made == [report]
    section(_Report())
    assert len(made) == 2
