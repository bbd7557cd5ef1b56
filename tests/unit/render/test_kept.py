"""Markup kept between runs: made again exactly when something it is made from changes."""

from __future__ import annotations

from helpers.render import kept


def _project(root):
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "processed" / "rtt_summary.parquet").write_bytes(b"one")
    (root / "catalogue").mkdir()
    (root / "catalogue" / "indicators.yaml").write_text("a: 1\n")
    return root / "build" / "cache" / "sections"


def test_a_fragment_is_made_once_until_what_it_is_made_from_changes(tmp_path):
    cache, made = _project(tmp_path), []

    def make(text):
        def maker():
            made.append(text)
            return f"<p>{text}</p>"
        return maker

    settings = {"max_providers": 15, "organisation": "QNX"}
    assert kept.fragment(cache, tmp_path, "rtt", settings, make("first")) == "<p>first</p>"
    assert kept.fragment(cache, tmp_path, "rtt", dict(settings), make("again")) == "<p>first</p>"
    assert made == ["first"]
    kept.fragment(cache, tmp_path, "rtt", {**settings, "max_providers": 4}, make("a setting"))
    kept.fragment(cache, tmp_path, "referrals", settings, make("another name"))
    (tmp_path / "data" / "processed" / "rtt_summary.parquet").write_bytes(b"two")
    kept.fragment(cache, tmp_path, "rtt", settings, make("a table"))
    (tmp_path / "catalogue" / "indicators.yaml").write_text("a: 2\n")
    kept.fragment(cache, tmp_path, "rtt", settings, make("a catalogue"))
    (tmp_path / "build" / "validation" / "rtt").mkdir(parents=True)
    (tmp_path / "build" / "validation" / "rtt" / "x.json").write_text("{}")
    kept.fragment(cache, tmp_path, "rtt", settings, make("a validation result"))
    assert made == ["first", "a setting", "another name", "a table", "a catalogue", "a validation result"]


def test_the_key_follows_the_code_and_only_the_newest_are_kept(tmp_path, monkeypatch):
    cache = _project(tmp_path)
    before = kept.key(tmp_path, "rtt", {})
    monkeypatch.setattr(kept, "code_digest", lambda: "other code")
    assert kept.key(tmp_path, "rtt", {}) != before
    for n in range(kept.KEEP + 3):
        kept.fragment(cache, tmp_path, "rtt", {"n": n}, lambda: "<p></p>")
    assert len(list(cache.glob("rtt-*.html"))) == kept.KEEP
