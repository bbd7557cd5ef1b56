"""The QIPP chart (matplotlib, imported by the section that draws it, so that what only reads the
report's data, such as publish's downloads, does not load it)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from helpers.render import html, plots


def plan_chart(ctx):
    """Savings due to date and delivered, by workstream, with the annual plan marked (``ctx``: the report's data)."""
    plots.use_house_style()
    ws = ctx.tables["workstreams"].query("level == 'workstream'").iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(ws) + 1.4))
    y = range(len(ws))
    ax.barh([i + 0.2 for i in y], ws["due"], height=0.4, color=html.NHS_MID_GREY, label="Due to date")
    ax.barh([i - 0.2 for i in y], ws["delivered"], height=0.4, color=html.NHS_BLUE, label="Delivered")
    ax.scatter(ws["plan"], list(y), marker="|", s=220, color=html.NHS_DARK_BLUE, label="Annual plan", zorder=3)
    ax.set_yticks(list(y), ws["workstream"])
    ax.set_xlabel("Savings, £m")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig
