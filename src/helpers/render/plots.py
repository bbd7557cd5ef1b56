"""Charts in the house style: NHS colours, plain sans-serif type, labelled axes, no chart junk.

Each function returns a matplotlib Figure; :func:`helpers.html.figure` embeds it with alt text.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: the pipeline runs on servers with no display

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns

from helpers.render.html import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_MID_GREY,
    NHS_RED,
    NHS_WARM_YELLOW,
)


def use_house_style() -> None:
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": ["Arial", "Liberation Sans", "DejaVu Sans"],
        "axes.edgecolor": NHS_MID_GREY,
        "axes.labelcolor": NHS_DARK_GREY,
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "grid.color": "#dde3e5",
        "figure.dpi": 100,
    })


def _reference_line(ax, x=None, y=None, label="", colour=NHS_DARK_GREY, at_bottom=False):
    """A dashed line with its label; ``at_bottom`` keeps two nearby vertical labels apart."""
    if x is not None:
        ax.axvline(x, color=colour, linestyle="--", linewidth=1.2)
        ax.annotate(label, (x, 0 if at_bottom else 1), xycoords=("data", "axes fraction"),
                    xytext=(3, 4 if at_bottom else -12), textcoords="offset points", color=colour, fontsize=9,
                    backgroundcolor="white")
    else:
        ax.axhline(y, color=colour, linestyle="--", linewidth=1.2)
        ax.annotate(label, (1, y), xycoords=("axes fraction", "data"), xytext=(-3, 3),
                    textcoords="offset points", color=colour, fontsize=9, ha="right")


def wait_distribution(shares: pd.DataFrame, *, standard_weeks: int = 18, long_wait: int = 52):
    """Share of waiting pathways by week waited; ``shares`` has week_lower and one column per area."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(9, 4))
    colours = [NHS_BLUE, NHS_MID_GREY]
    for colour, area in zip(colours, [c for c in shares.columns if c != "week_lower"]):
        ax.step(shares["week_lower"], shares[area], where="post", color=colour, linewidth=2, label=area)
    _reference_line(ax, x=standard_weeks, label=f"{standard_weeks} weeks")
    _reference_line(ax, x=long_wait, label=f"{long_wait} weeks", colour=NHS_RED)
    ax.set_xlim(0, 105)
    ax.set_xlabel("Weeks waited so far")
    ax.set_ylabel("Share of waiting pathways")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=1))
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def ranked_bars(frame: pd.DataFrame, *, label: str, value: str, xlabel: str, reference: float | None = None,
                reference_label: str = "", target: float | None = None, target_label: str = "",
                percent: bool = True, highlight_below: float | None = None):
    """Horizontal bars, largest first, with optional reference and target lines."""
    use_house_style()
    data = frame.sort_values(value, ascending=True)
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.38 * len(data) + 1.2)))
    colours = [NHS_WARM_YELLOW if highlight_below is not None and v < highlight_below else NHS_BLUE
               for v in data[value]]
    ax.barh(data[label], data[value], color=colours)
    for y, v in enumerate(data[value]):
        ax.annotate(f"{v:.1f}%" if percent else f"{v:,.0f}", (v, y), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8, color=NHS_DARK_GREY)
    if reference is not None:
        _reference_line(ax, x=reference, label=reference_label, colour=NHS_DARK_BLUE, at_bottom=True)
    if target is not None:
        _reference_line(ax, x=target, label=target_label, colour=NHS_RED)
    if percent:
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def from_zero(ax) -> None:
    """Counts, rates and percentages start their axis at zero, so a small change looks small."""
    ax.set_ylim(bottom=0)


def mark_break(ax, below: float = 2) -> bool:
    """Where an axis of non-negative values does not start at zero (an SPC chart, a fitted funnel),
    say so on the chart: a break mark across the foot of the axis and a note under it (``below`` font
    sizes under the axis, at the left: clear of small tick labels, of an x-label placed at the right).
    True if marked."""
    bottom = ax.get_ylim()[0]
    if bottom <= 0:
        return False
    for offset in (0.0, 0.018):
        ax.plot([-0.012, 0.012], [0.01 + offset, 0.035 + offset], transform=ax.transAxes, color=NHS_DARK_GREY,
                linewidth=1.2, clip_on=False, zorder=5)
    ax.annotate(f"axis starts at {bottom:,.4g}, not 0", xy=(0, 0), xycoords="axes fraction", xytext=(0, -below),
                textcoords="offset fontsize", fontsize=7, color=NHS_DARK_GREY, ha="left", va="top")
    return True


def month_ticks(ax, months: int, label: str = "%b %y", most: int = 10) -> None:
    """Ticks on a monthly date axis every 1, 2, 3, 6 or 12 months (or whole years), the fewest steps
    that leave at most ``most`` labels: one label a month over two years would run into each other."""
    import matplotlib.dates as mdates

    step = next(k for k in (1, 2, 3, 6, 12, 24, 48) if max(1, months) / k <= most)
    ax.xaxis.set_major_locator(mdates.YearLocator(step // 12) if step >= 12
                               else mdates.MonthLocator(bymonth=range(1, 13, step)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter(label))


def wrapped(label: str, width: int = 22) -> str:
    """A long tick label on several lines rather than cut short."""
    import textwrap

    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def trend(frame: pd.DataFrame, *, x: str, series: list[str], ylabel: str, target: float | None = None,
          target_label: str = "", percent: bool = True):
    """Monthly lines for each column in ``series``."""
    use_house_style()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    for colour, column in zip([NHS_BLUE, NHS_MID_GREY, NHS_DARK_BLUE], series):
        ax.plot(frame[x], frame[column], marker="o", color=colour, linewidth=2, label=column)
    if target is not None:
        _reference_line(ax, y=target, label=target_label, colour=NHS_RED)
    if percent:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(decimals=0))
    else:
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    month_ticks(ax, len(frame), "%b %Y")
    from_zero(ax)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
