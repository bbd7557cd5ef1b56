"""Data Docs built once per set of validation results: an edition's copy is the site a build under its
name gives, and a second edition from the same results does not build again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers.core import quality
from helpers.pipeline import datadocs

STAGES = {"rtt": "cleanse_rtt", "board": "cleanse_board"}
FIRST, SECOND = "2026-01_20260301T090000000000Z", "2026-01_20260302T090000000000Z"


def _project(root: Path) -> Path:
    """Two domains' stored results of a small suite; returns the results folder."""
    (root / "expectations").mkdir(parents=True)
    suite = {"name": "counts.raw", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "count"}, "severity": "warning"}]}
    (root / "expectations" / "counts.raw.json").write_text(json.dumps(suite), encoding="utf-8")
    for domain, values in (("rtt", [1, None, 3]), ("board", [4, 5, 6])):
        quality.validate(pd.DataFrame({"count": values}), "counts.raw", data_name=f"{domain}.csv",
                         results_dir=root / "build" / "validation" / domain, root=root)
    return root / "build" / "validation"


# GX gives each collapsible block a random id, so two builds differ in those alone.
RANDOM_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): RANDOM_ID.sub(b"<id>", p.read_bytes())
            for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A project, its edition's Data Docs from the cache, and the same built directly under that name."""
    root = tmp_path_factory.mktemp("project")
    results = _project(root)
    datadocs.for_edition(results, root / "edition" / "data-docs", root, edition=FIRST, stages=STAGES)
    quality.build_edition_docs(results, root / "direct", root, edition=FIRST, stages=STAGES)
    return root, results


def test_an_editions_copy_is_the_site_built_under_its_name(made):
    root, _ = made
    copied, direct = _files(root / "edition" / "data-docs"), _files(root / "direct")
    assert copied.keys() == direct.keys() and len(copied) > 3
    assert any(FIRST in name for name in copied), "the edition names the runs, and so the folders"
    for name, data in copied.items():
        assert data == direct[name], name


def test_a_second_edition_from_the_same_results_is_copied_not_built(made, monkeypatch):
    root, results = made

    def no_build(*args, **kwargs):
        raise AssertionError("built again")

    monkeypatch.setattr(quality, "build_edition_docs", no_build)
    dest = root / "second" / "data-docs"
    datadocs.for_edition(results, dest, root, edition=SECOND, stages=STAGES)
    files = _files(dest)
    assert len(files) == len(_files(root / "direct"))
    assert any(SECOND in name for name in files) and not any(FIRST in name for name in files)
    for name, data in files.items():
        assert datadocs.PLACEHOLDER.encode() not in data and datadocs.PLACEHOLDER not in name, name
        assert FIRST.encode() not in data, name
    assert SECOND in (dest / "index.html").read_text(encoding="utf-8")


def test_the_digest_follows_results_suites_and_stages(tmp_path):
    results = _project(tmp_path)
    before = datadocs.digest(results, tmp_path, STAGES)
    assert datadocs.digest(results, tmp_path, STAGES) == before
    assert datadocs.digest(results, tmp_path, {**STAGES, "rtt": "another_stage"}) != before
    suite = tmp_path / "expectations" / "counts.raw.json"
    suite.write_text(suite.read_text(encoding="utf-8").replace("warning", "critical"), encoding="utf-8")
    after_suite = datadocs.digest(results, tmp_path, STAGES)
    assert after_suite != before
    stored = next(results.rglob("*.json"))
    stored.write_text(stored.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert datadocs.digest(results, tmp_path, STAGES) != after_suite


def test_changed_results_are_built_again_and_old_sites_pruned(tmp_path, monkeypatch):
    results = _project(tmp_path)
    built = []

    def fake_build(results_dir, site_dir, root=None, **kwargs):
        built.append(kwargs["edition"])
        site_dir.mkdir(parents=True)
        (site_dir / "index.html").write_text(f"<p>{kwargs['edition']}</p>", encoding="utf-8")

    monkeypatch.setattr(quality, "build_edition_docs", fake_build)
    stored = next(results.rglob("*.json"))
    sites = set()
    for _ in range(datadocs.KEEP + 2):
        sites.add(datadocs.prepare(results, tmp_path, stages=STAGES))
        datadocs.prepare(results, tmp_path, stages=STAGES)  # the same results: not built again
        stored.write_text(stored.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert built == [datadocs.PLACEHOLDER] * (datadocs.KEEP + 2) and len(sites) == datadocs.KEEP + 2
    kept = [p for p in (tmp_path / datadocs.CACHE).iterdir()]
    assert len(kept) == datadocs.KEEP and not any(p.name.startswith(".") for p in kept)
