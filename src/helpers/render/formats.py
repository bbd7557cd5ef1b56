"""Numbers as the pages print them: blank when missing, thousands separated.

Python code and templates (as filters of the same names) format with these, so a figure reads
the same wherever it appears.
"""

from __future__ import annotations

import pandas as pd


def integer(value) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def one_dp(value) -> str:
    return "" if pd.isna(value) else f"{value:,.1f}"


def percent(value) -> str:
    return "" if pd.isna(value) else f"{value:.1f}%"


def number(value, spec: str) -> str:
    """``value`` in a format spec, e.g. ``",.0f"``: the ``f"{value:,.0f}"`` of a template."""
    return format(value, spec)
