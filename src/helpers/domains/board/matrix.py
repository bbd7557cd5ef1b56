"""The board paper's one-page summary matrix, as in NHS England's integrated performance reports.

Every measure sits in one cell of a grid: its column is the kind of variation its latest point
shows (special-cause improvement, common cause, special-cause concern, or special cause where
neither direction is better), its row the assurance its process limits give against the target
(consistently passing, hit and miss, consistently failing, or no target). Both come from the
icons of the measure's :class:`~helpers.domains.board.measures.Result`, the same results the
summary table and the charts are drawn from, so the three can never disagree.

A measure with no variation icon (not charted, or trial limits under a rule set that gives no
icons then) or with a target but no assurance icon goes in a column or row of its own, shown only
when some measure is there: every measure of the paper appears exactly once.

The sparkline of each measure is computed here as coordinates; its markup is a template's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.domains.board.measures import Result

NO_ICON = "none"
NO_TARGET = "no_target"

# (key, heading), in the order the matrix shows them; the last of each only when a measure is there
VARIATION_GROUPS = (
    ("improvement", "Special cause improvement"),
    ("common_cause", "Common cause"),
    ("concern", "Special cause concern"),
    ("neither", "Special cause, neither improvement nor concern"),
    (NO_ICON, "No variation icon"),
)
ASSURANCE_GROUPS = (
    ("pass", "Consistently passing the target"),
    ("hit_and_miss", "Hit and miss"),
    ("fail", "Consistently failing the target"),
    (NO_TARGET, "No target"),
    (NO_ICON, "Target, but no assurance icon"),
)
ALWAYS_SHOWN = {"improvement", "common_cause", "concern", "neither", "pass", "hit_and_miss", "fail", NO_TARGET}


def variation_group(key: str | None) -> str:
    """The matrix column of a variation icon (``spc.variation``): high and low signals share one."""
    if key is None:
        return NO_ICON
    if key == "common_cause":
        return key
    kind = key.rsplit("_", 1)[0]
    if kind not in {"improvement", "concern", "neither"}:
        raise ValueError(f"variation icon {key!r} has no column in the summary matrix")
    return kind


def assurance_group(result: Result) -> str:
    """The matrix row of a measure: its assurance icon, else 'no target' if it has none, else no icon."""
    if result.assurance is not None:
        if result.assurance not in {"pass", "hit_and_miss", "fail"}:
            raise ValueError(f"assurance icon {result.assurance!r} has no row in the summary matrix")
        return result.assurance
    return NO_TARGET if result.measure.target is None else NO_ICON


@dataclass(frozen=True)
class Matrix:
    columns: list[tuple[str, str]]                      # variation groups shown: (key, heading)
    rows: list[tuple[str, str]]                         # assurance groups shown: (key, heading)
    cells: dict[tuple[str, str], list[Result]]          # (assurance, variation): the measures there

    def cell(self, assurance: str, variation: str) -> list[Result]:
        return self.cells.get((assurance, variation), [])

    def place(self, result: Result) -> tuple[str, str]:
        """The (assurance, variation) cell that holds ``result`` (the very object)."""
        return next(key for key, held in self.cells.items() if any(r is result for r in held))


def group(results: list[Result]) -> Matrix:
    """Each result in its cell, in the order given (the paper's); the optional column and row only
    when some measure falls in them."""
    cells: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        cells.setdefault((assurance_group(r), variation_group(r.variation)), []).append(r)
    used_rows, used_columns = {a for a, _ in cells}, {v for _, v in cells}
    return Matrix(columns=[(k, h) for k, h in VARIATION_GROUPS if k in ALWAYS_SHOWN or k in used_columns],
                  rows=[(k, h) for k, h in ASSURANCE_GROUPS if k in ALWAYS_SHOWN or k in used_rows],
                  cells=cells)


# ---- sparklines -------------------------------------------------------------------------------------

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 140, 30, 3


@dataclass(frozen=True)
class Sparkline:
    """A measure's monthly values as a line in a ``width`` x ``height`` box (y down, as SVG has it)."""

    points: str                       # "x,y x,y ..." for a polyline
    last: tuple[float, float]         # the latest point, marked
    target: float | None              # the target's y, when it lies within the values' range
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def sparkline(values, target: float | None = None, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT,
              pad: int = SPARK_PAD) -> Sparkline | None:
    """The line of ``values`` scaled to the box: the lowest at the bottom, the highest at the top (a flat
    series across the middle); None with no values. The target is drawn only inside the values' range,
    so a far target does not flatten the line."""
    v = pd.Series(values, dtype=float).dropna().reset_index(drop=True)
    if v.empty:
        return None
    low, high = float(v.min()), float(v.max())
    span = high - low

    def y(value: float) -> float:
        return round(height / 2 if span == 0 else pad + (high - value) / span * (height - 2 * pad), 2)

    step = (width - 2 * pad) / max(len(v) - 1, 1)
    xy = [(round(pad + i * step, 2), y(value)) for i, value in enumerate(v)]
    inside = target is not None and not pd.isna(target) and low <= target <= high
    return Sparkline(" ".join(f"{x:g},{y_:g}" for x, y_ in xy), xy[-1], y(target) if inside else None, width, height)
