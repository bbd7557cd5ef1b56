"""The referral gateway's charts (matplotlib, imported by the sections that draw them, so that what
only reads the report's data, such as publish's downloads, does not load it)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd

from helpers.render import html, plots

PLAN_COLOURS = [html.NHS_BLUE, html.NHS_WARM_YELLOW, html.NHS_DARK_GREY, html.NHS_GREEN]


def backlog_chart(backlog: pd.DataFrame, *, target: float | None, target_label: str = "Target", title: str):
    plots.use_house_style()
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.plot(backlog["week_ending"], backlog["backlog"], marker="o", color=html.NHS_BLUE, linewidth=2,
            label="Referrals not yet booked")
    if target is not None:
        ax.axhline(target, color=html.NHS_RED, linestyle="--", linewidth=1.2)
        ax.annotate(target_label, (0.01, target), xycoords=("axes fraction", "data"),
                    xytext=(0, 4), textcoords="offset points", color=html.NHS_RED, fontsize=9)
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_ylabel("Referrals not booked")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def scenarios_chart(projections: pd.DataFrame, summary: pd.DataFrame, *, title: str):
    """Every plan's projected backlog on one chart, each with its own target line."""
    plots.use_house_style()
    fig, ax = plt.subplots(figsize=(9, 4))
    for colour, (name, frame) in zip(PLAN_COLOURS, projections.groupby("scenario", sort=False)):
        plan = summary.set_index("scenario").loc[name]
        ax.plot(frame["week_ending"], frame["backlog"], marker="o", markersize=3, color=colour, linewidth=2,
                label=plan["label"])
        ax.axhline(plan["target"], color=colour, linestyle=":", linewidth=1.2)
        if pd.notna(plan["target_met"]):
            ax.annotate(f"{plan['target']:,.0f} by {pd.Timestamp(plan['target_met']):%d %b}",
                        (plan["target_met"], plan["target"]), xytext=(4, 8), textcoords="offset points",
                        color=colour if colour != html.NHS_WARM_YELLOW else html.NHS_DARK_GREY, fontsize=9)
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Referrals not booked (projected)")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def bars_chart(labels, values, *, xlabel: str, title: str, percent: bool = False, reference: float | None = None,
               reference_label: str = ""):
    plots.use_house_style()
    fig, ax = plt.subplots(figsize=(8, max(2.2, 0.35 * len(labels) + 1)))
    ax.barh(list(labels)[::-1], list(values)[::-1], color=html.NHS_BLUE)
    for y, v in enumerate(list(values)[::-1]):
        ax.annotate(f"{v:.1f}%" if percent else f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8, color=html.NHS_DARK_GREY)
    if reference is not None:
        ax.axvline(reference, color=html.NHS_DARK_BLUE, linestyle="--", linewidth=1.2)
        ax.annotate(reference_label, (reference, 0), xycoords=("data", "axes fraction"), xytext=(3, 4),
                    textcoords="offset points", color=html.NHS_DARK_BLUE, fontsize=9, backgroundcolor="white")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
