"""Practice packs: the work every pack shares done once, each pack's own picture the same pixels
as drawing the whole figure for it, and packs rendered on several processes the same as here.

The expected picture is made the slow way, independently of the layer: the whole funnel figure
drawn again with the practice circled, and saved as a PNG.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from helpers.domains.scorecard import packs, report
from support import ROOT, scratch, settings_for


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The samples' organisation, RTT (the data months) and scorecard tables, processed into a scratch folder."""
    import importlib

    from helpers.pipeline import stages

    project = scratch(tmp_path_factory.mktemp("packs"))
    for name in ("cleanse_rtt", "cleanse_organisation", "cleanse_scorecard"):
        spec = stages.by_name()[name]
        module = importlib.import_module(spec.module)
        module.run({s: ROOT / "data" / "raw" / s for s in spec.sources}, settings_for(name), project)
    return project


@pytest.fixture(scope="module")
def data(project):
    return report.load(project, settings_for("packs_scorecard"))


def _redrawn(data, code: str) -> np.ndarray:
    """The pack's picture the slow way: every panel drawn again with ``code`` circled."""
    import matplotlib.pyplot as plt

    fig, panels = report.funnel_figure_panels(data.indicators, data.catalogue)
    for ax, _ind, rows in panels:
        if code in rows.index:
            own = rows.loc[[code]]
            ax.scatter(own["denominator"], own["value"], zorder=4, **report.MARK)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=report.PACK_DPI)
    plt.close(fig)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_a_practice_circled_on_the_shared_picture_is_the_whole_figure_redrawn(data):
    layer = report.funnel_layer(data.indicators, data.catalogue)
    marker = report.FunnelMarker(layer)
    codes = sorted(c for c in data.codes if c in layer.points)
    assert len(codes) >= 10
    for code in (codes[0], codes[len(codes) // 2], codes[-1]):
        ours = marker.pixels(code)[..., :3]
        expected = _redrawn(data, code)
        assert ours.shape == expected.shape
        assert np.array_equal(ours, expected), code
        # and the circles are really there: the picture differs from the shared one near each point
        changed = np.abs(ours.astype(int) - layer.pixels[..., :3].astype(int)).sum(axis=-1) > 0
        height = changed.shape[0]
        for _panel, x, y in layer.points[code]:
            row, column = int(round(height - y)), int(round(x))
            assert changed[max(row - 12, 0):row + 12, max(column - 12, 0):column + 12].any(), (code, x, y)


def test_the_picture_is_back_to_the_shared_one_between_packs(data):
    layer = report.funnel_layer(data.indicators, data.catalogue)
    marker = report.FunnelMarker(layer)
    codes = sorted(c for c in data.codes if c in layer.points)
    first = marker.pixels(codes[0]).copy()
    marker.pixels(codes[1])
    assert np.array_equal(marker.pixels(codes[0]), first)  # no circle of the other practice left behind
    assert np.array_equal(marker.pixels("no such practice")[..., :3], layer.pixels[..., :3])


def test_packs_on_two_processes_are_the_packs_made_here(data, tmp_path, monkeypatch):
    codes = sorted(data.codes)
    facts = packs.pack_facts(data)
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    drawn = []
    original = report.funnel_layer
    monkeypatch.setattr(report, "funnel_layer", lambda *a, **k: drawn.append(1) or original(*a, **k))
    spined = []
    original_spine = report.spine_layer
    monkeypatch.setattr(report, "spine_layer", lambda *a, **k: spined.append(1) or original_spine(*a, **k))
    # the sets of indicators the packs' spine charts show: each practice's latest rows of an indicator
    # some practice has a value for
    newest = data.indicators[data.indicators["period_rank"] == 1]
    valued = set(newest.loc[newest["value"].notna(), "indicator_id"])
    spine_sets = {frozenset(set(newest.loc[newest["practice_code"] == c, "indicator_id"]) & valued) for c in codes}
    spine_sets -= {frozenset()}
    # the sets of indicators practices have values for, straight from the published rows
    latest = data.indicators[(data.indicators["period_rank"] == 1) & data.indicators["value"].notna()
                             & (data.indicators["denominator"] > 0) & data.indicators["type"].isin(["proportion", "rate"])]
    sets = {frozenset(latest.loc[latest["practice_code"] == c, "indicator_id"]) for c in codes} - {frozenset()}
    assert len(sets) >= 2  # the samples have a practice without immunisation figures
    written = packs.render(data, codes, facts, here, workers=1)
    assert len(drawn) == len(sets)  # the funnel panels drawn once for each set, for all the packs
    assert len(spined) == len(spine_sets) >= 1  # and the spine chart's ranges
    monkeypatch.setattr(packs, "MIN_PACKS_PER_PROCESS", 1)
    parallel = packs.render(data, codes, facts, there, workers=2)
    assert len(drawn) == 2 * len(sets)  # once more, here: the processes are handed the layers
    assert len(spined) == 2 * len(spine_sets)
    assert [p.name for p in written] == [p.name for p in parallel] == [f"{c}.html" for c in codes]
    for a, b in zip(written, parallel):
        assert a.read_bytes() == b.read_bytes(), a.name
    names = facts["names"]
    for path, code in zip(written, codes):
        page = path.read_text(encoding="utf-8")
        assert f"<title>{names[code]} ({code})</title>" in page.replace("&#x27;", "'").replace("&amp;", "&")
        # one funnel picture, none for a practice with no values; a spine chart for one with indicators
        alts = [img["alt"] for img in BeautifulSoup(page, "html.parser").find_all("img")]
        assert sum(a.startswith("Funnel plots of") for a in alts) == int(code in set(latest["practice_code"]))
        assert sum(a.startswith("Spine chart of") for a in alts) == int(code in set(data.indicators["practice_code"]))
        words = re.sub(r"data:image/png;base64,[^\"]+", "", page)
        assert not re.search(r"\b(None|NaN|nan)\b", words), code


def test_build_all_swaps_the_set_in_whole_with_an_index(project, tmp_path):
    out = tmp_path / "packs"
    out.mkdir()
    (out / "X99999.html").write_text("a practice that has left")
    entries = packs.build_all(project, settings_for("packs_scorecard"), out_dir=out, workers=1)
    assert sorted(p.name for p in out.iterdir()) == sorted([*(e["file"] for e in entries), "index.html"])
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{e["file"]}"' in index for e in entries)
    assert not (tmp_path / ".packs.building").exists()
