"""Charts that do not mislead: axes from zero, or a marked break; labels wrapped, never cut."""

from __future__ import annotations

import io
import re

import matplotlib.pyplot as plt
import pandas as pd

from helpers.render import plots


def _axes(values):
    fig, ax = plt.subplots()
    ax.plot(range(len(values)), values)
    return fig, ax


def test_a_count_axis_starts_at_zero():
    fig, ax = _axes([94.4, 95.6, 95.0])
    plots.from_zero(ax)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 95.6
    plt.close(fig)


def test_an_axis_cut_short_is_marked_and_says_where_it_starts():
    fig, ax = _axes([94.4, 95.6, 95.0])
    assert plots.mark_break(ax)
    notes = [t.get_text() for t in ax.texts]
    assert len(notes) == 1 and notes[0].startswith("axis starts at 94.") and notes[0].endswith(", not 0")
    fig.savefig(io.BytesIO(), format="png")  # the mark draws
    plt.close(fig)
    fig, ax = _axes([0, 5, 3])
    ax.set_ylim(bottom=0)
    assert not plots.mark_break(ax) and len(ax.texts) == 0
    plt.close(fig)


def test_long_labels_are_wrapped_not_truncated():
    label = "Pre-school booster (DTaP/IPV) coverage at 5 years"
    lines = plots.wrapped(label).split("\n")
    assert len(lines) > 1 and " ".join(lines) == label


def test_the_house_trend_chart_starts_at_zero():
    frame = pd.DataFrame({"month": pd.date_range("2025-01-31", periods=3, freq="ME"), "a": [94.4, 95.6, 95.0]})
    fig = plots.trend(frame, x="month", series=["a"], ylabel="%")
    assert fig.axes[0].get_ylim()[0] == 0
    plt.close(fig)


def test_a_long_monthly_axis_is_labelled_every_few_months_not_every_month():
    periods = pd.date_range("2024-02-29", periods=24, freq="ME")
    frame = pd.DataFrame({"period": periods, "a": range(24)})
    fig = plots.trend(frame, x="period", series=["a"], ylabel="n", percent=False)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    plt.close(fig)
    assert 2 <= len(labels) <= 10
    assert all(re.fullmatch(r"[A-Z][a-z]{2} 20\d\d", label) for label in labels)
    short = pd.DataFrame({"period": periods[:6], "a": range(6)})
    fig = plots.trend(short, x="period", series=["a"], ylabel="n", percent=False)
    fig.canvas.draw()
    assert len([t for t in fig.axes[0].get_xticklabels() if t.get_text()]) == 6  # every month when they fit
    plt.close(fig)
