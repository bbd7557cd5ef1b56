"""Statistical process control (XmR charts) in the style of NHS England's Making Data Count.

An XmR chart plots each value against a centre line (the mean) and process limits at
mean +/- 2.66 x the mean moving range (2.66 = 3 / d2, d2 = 1.128 for ranges of two points), so
"sigma" below means 2.66 / 3 x the mean moving range. Special-cause variation is flagged by four
rules, each a small function returning boolean arrays for the high and low side:

- ``beyond_limits``: a point above the upper or below the lower process limit;
- ``shift``: a run of ``shift_length`` or more points all above (or all below) the mean;
- ``trend``: a run of ``trend_length`` or more points each higher (or lower) than the one before;
- ``two_of_three``: two or three of three consecutive points beyond 2 sigma, all three on the
  same side of the mean (only the points beyond 2 sigma are flagged).

Rule lengths, moving-range screening, the minimum number of points for firm limits and the
behaviour below that minimum are :class:`Settings`, with two named presets (``PRESETS``):

``plotthedots``
    as the NHSRplotthedots R package: shift 7, trend 7, moving ranges above 3.267 x their mean
    screened out before the limits are computed (Nelson 1982), 12 points for firm limits; with
    fewer, trial limits and icons are shown and labelled as trial.
``nhse_excel``
    as NHS England's Making Data Count Excel tool (single-chart tool, 2023 logic): shift 7 and
    trend 7 (the tool lets the user choose 6 instead), no screening of moving ranges (so limits
    are wider when there are outliers), limits and icons only from 13 points; with fewer, the
    trial limits are drawn but no variation or assurance icon is given. When a point is both
    improvement and concern (e.g. a rising trend below the mean), improvement is shown, as the
    tool does.

Where the presets come from: NHSRplotthedots' documentation ("Deviations from Excel defaults":
the Excel tools do not screen outlying moving ranges; "Number of points required": 12 points,
trial limits below) and the Making Data Count team's notes on the single-chart tool (limits and
icons from 13 points; two-of-three counting points beyond the limit, all three on one side,
only the points beyond 2 sigma flagged; improvement shown when a point signals both ways;
runs of 6 or 7 selectable).

Rebasing splits the series at given dates: each segment has its own mean and limits, moving
ranges do not cross a rebase, and runs are counted within a segment only.

Fixing the limits (``fix_after_n_points``, as NHSRplotthedots has it) computes a segment's mean and
limits from its first n points only (the baseline) and judges every later point against them, so
that a change after the baseline shows as special cause instead of moving the limits with it.
With fewer than n points in a segment the limits come from all of them, as without fixing.

:func:`reasons` says in words which rule flagged a point ("7 points in a row above the mean"), so
a chart and a summary table can name why a point is special cause.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

LIMIT_FACTOR = 2.66          # process limits: mean +/- 2.66 x mean moving range
SIGMA_FACTOR = LIMIT_FACTOR / 3
SCREEN_FACTOR = 3.267        # upper range limit of the moving-range chart (D4 for n = 2)

INCREASE, DECREASE, NEITHER = "increase", "decrease", "neither"
DIRECTIONS = (INCREASE, DECREASE, NEITHER)

# Point classes
IMPROVEMENT, CONCERN, NEUTRAL, COMMON = "improvement", "concern", "neutral", "common cause"

# Variation icons (from the last point) and assurance icons (target against the limits)
VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation: improvement (high)",
    "improvement_low": "Special cause variation: improvement (low)",
    "concern_high": "Special cause variation: concern (high)",
    "concern_low": "Special cause variation: concern (low)",
    "neither_high": "Special cause variation: neither improvement nor concern (high)",
    "neither_low": "Special cause variation: neither improvement nor concern (low)",
}
ASSURANCE_TEXT = {
    "pass": "Consistently passing the target",
    "fail": "Consistently failing the target",
    "hit_and_miss": "Hit and miss: the target lies within the process limits",
}


@dataclass(frozen=True)
class Settings:
    """How the chart is computed; see the module docstring for the presets."""

    name: str
    shift_length: int = 7
    trend_length: int = 7
    screen_outliers: bool = True
    screen_factor: float = SCREEN_FACTOR
    min_points: int = 12            # fewer points in a segment: trial limits
    icons_below_minimum: bool = True
    prefer_improvement: bool = True  # a point flagged both ways counts as improvement

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def reader_name(self) -> str:
        """The rule set as reader pages name it (:data:`READER_NAMES`)."""
        return READER_NAMES.get(self.name, f"{self.name} rule set")


# how reader pages name each preset (its key is a setting, not a name a board member knows)
READER_NAMES = {
    "plotthedots": "Making Data Count rules as the NHS-R Community's R package applies them",
    "nhse_excel": "Making Data Count rules as NHS England's Excel tool applies them",
}
COLUMN_NAMES = {"plotthedots": "R package (NHSRplotthedots)", "nhse_excel": "NHS England Excel tool"}

PRESETS = {
    "plotthedots": Settings("plotthedots", shift_length=7, trend_length=7, screen_outliers=True,
                            min_points=12, icons_below_minimum=True),
    "nhse_excel": Settings("nhse_excel", shift_length=7, trend_length=7, screen_outliers=False,
                           min_points=13, icons_below_minimum=False),
}


def settings(preset: str | Settings = "plotthedots", **overrides) -> Settings:
    """A preset by name, optionally with some settings changed."""
    base = preset if isinstance(preset, Settings) else PRESETS.get(preset)
    if base is None:
        raise ValueError(f"unknown SPC preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return base.with_(**overrides) if overrides else base


# ---- limits -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    mean: float
    mean_moving_range: float
    lower: float
    upper: float
    points: int
    trial: bool

    @property
    def sigma(self) -> float:
        return SIGMA_FACTOR * self.mean_moving_range

    @property
    def lower_2sigma(self) -> float:
        return self.mean - 2 * self.sigma

    @property
    def upper_2sigma(self) -> float:
        return self.mean + 2 * self.sigma


def moving_ranges(values) -> np.ndarray:
    """|x[i] - x[i-1]|; the first is NaN (it has no predecessor)."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    out[1:] = np.abs(np.diff(v))
    return out


def mean_moving_range(values, cfg: Settings) -> float:
    """Mean moving range, after screening out ranges above ``screen_factor`` x the mean if set."""
    mr = moving_ranges(values)[1:]
    if len(mr) == 0:
        return np.nan
    mean = mr.mean()
    if cfg.screen_outliers:
        mean = mr[mr <= cfg.screen_factor * mean].mean()
    return float(mean)


def limits(values, cfg: Settings) -> Limits | None:
    """Mean and process limits of one segment; None with fewer than two points (no moving range)."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return None
    centre, mr = float(v.mean()), mean_moving_range(v, cfg)
    return Limits(centre, mr, centre - LIMIT_FACTOR * mr, centre + LIMIT_FACTOR * mr, len(v),
                  trial=len(v) < cfg.min_points)


# ---- rules: each returns (high, low) boolean arrays over one segment -------------------------------

def _runs(condition: np.ndarray, length: int) -> np.ndarray:
    """Mark every element of a run of at least ``length`` consecutive True values."""
    out = np.zeros(len(condition), dtype=bool)
    start = None
    for i, c in enumerate([*condition, False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def beyond_limits(values, lim: Limits) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=float)
    return v > lim.upper, v < lim.lower


def shift(values, lim: Limits, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``length`` or more points on one side of the mean; a point on the mean breaks a run."""
    v = np.asarray(values, dtype=float)
    return _runs(v > lim.mean, length), _runs(v < lim.mean, length)


def trend(values, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``length`` or more points each strictly above (below) the one before; a tie breaks it."""
    v = np.asarray(values, dtype=float)
    step = np.diff(v)
    up, down = np.zeros(len(v), dtype=bool), np.zeros(len(v), dtype=bool)
    # A run of n points is n - 1 consecutive steps the same way; mark the points at both ends.
    for marks, cond in ((up, step > 0), (down, step < 0)):
        steps = _runs(cond, length - 1)
        marks[1:] |= steps
        marks[:-1] |= steps
    return up, down


def two_of_three(values, lim: Limits) -> tuple[np.ndarray, np.ndarray]:
    """Two of three consecutive points beyond 2 sigma, all three on the same side of the mean.

    Points beyond a process limit count too (Making Data Count's logic from late 2023); the third
    point is flagged only if it is itself beyond 2 sigma.
    """
    v = np.asarray(values, dtype=float)
    high, low = np.zeros(len(v), dtype=bool), np.zeros(len(v), dtype=bool)
    for i in range(len(v) - 2):
        window = v[i:i + 3]
        for marks, side, far in ((high, window > lim.mean, window > lim.upper_2sigma),
                                 (low, window < lim.mean, window < lim.lower_2sigma)):
            if side.all() and far.sum() >= 2:
                marks[i:i + 3] |= far
    return high, low


RULES = ("beyond_limits", "shift", "trend", "two_of_three")


def reasons(point: pd.Series, cfg: Settings | str = "plotthedots") -> list[str]:
    """The rules that flagged ``point`` (a row of :func:`chart`), each in words; empty if none did."""
    cfg = settings(cfg)
    said = {
        ("beyond_limits", "high"): "a point above the upper process limit",
        ("beyond_limits", "low"): "a point below the lower process limit",
        ("shift", "high"): f"{cfg.shift_length} or more points in a row above the mean",
        ("shift", "low"): f"{cfg.shift_length} or more points in a row below the mean",
        ("trend", "high"): f"{cfg.trend_length} or more points in a row each higher than the last",
        ("trend", "low"): f"{cfg.trend_length} or more points in a row each lower than the last",
        ("two_of_three", "high"): "2 of 3 points in a row above 2 sigma",
        ("two_of_three", "low"): "2 of 3 points in a row below 2 sigma",
    }
    return [text for (rule, side), text in said.items() if bool(point.get(f"{rule}_{side}", False))]


# ---- the chart ----------------------------------------------------------------------------------

def segments(periods: pd.Series, rebase=()) -> np.ndarray:
    """Segment number of each period: a new segment starts at each rebase date."""
    p = pd.to_datetime(pd.Series(periods)).to_numpy()
    seg = np.zeros(len(p), dtype=int)
    for date in sorted(pd.Timestamp(d) for d in (rebase or ())):
        seg += p >= np.datetime64(date)
    return seg


def _classify(high: np.ndarray, low: np.ndarray, direction: str, cfg: Settings) -> list[str]:
    good_high = direction == INCREASE
    classes = []
    for h, lo in zip(high, low):
        if not (h or lo):
            classes.append(COMMON)
        elif direction == NEITHER:
            classes.append(NEUTRAL)
        else:
            kinds = {IMPROVEMENT if good_high else CONCERN} if h else set()
            if lo:
                kinds.add(CONCERN if good_high else IMPROVEMENT)
            classes.append(IMPROVEMENT if IMPROVEMENT in kinds and (cfg.prefer_improvement or len(kinds) == 1)
                           else CONCERN)
    return classes


def chart(frame: pd.DataFrame, *, direction: str = INCREASE, cfg: Settings | str = "plotthedots",
          rebase=(), period: str = "period", value: str = "value",
          fix_after_n_points: int | None = None) -> pd.DataFrame:
    """The XmR chart of a monthly series: one row per point with its limits, rule flags and class.

    ``frame`` must be one value per period, sorted, with no gaps (see ``board.check_series``).
    ``fix_after_n_points``: each segment's limits from its first n points (``baseline`` marks them).
    """
    cfg = settings(cfg)
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ValueError(f"fix_after_n_points {fix_after_n_points!r}: limits need at least 2 points")
    if direction not in DIRECTIONS:
        raise ValueError(f"improvement direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    out = frame[[period, value]].rename(columns={period: "period", value: "value"}).reset_index(drop=True)
    out["value"] = out["value"].astype(float)
    out["segment"] = segments(out["period"], rebase)
    columns = ["mean", "lower", "upper", "lower_2sigma", "upper_2sigma"]
    for c in columns:
        out[c] = np.nan
    out["trial"] = False
    out["baseline"] = fix_after_n_points is None
    for rule in RULES:
        out[f"{rule}_high"] = False
        out[f"{rule}_low"] = False
    for idx in out.groupby("segment").groups.values():
        v = out.loc[idx, "value"].to_numpy()
        base = len(v) if fix_after_n_points is None else min(fix_after_n_points, len(v))
        lim = limits(v[:base], cfg)
        out.loc[idx[:base], "baseline"] = True
        if lim is None:
            continue
        out.loc[idx, columns] = [lim.mean, lim.lower, lim.upper, lim.lower_2sigma, lim.upper_2sigma]
        out.loc[idx, "trial"] = lim.trial
        flags = {"beyond_limits": beyond_limits(v, lim), "shift": shift(v, lim, cfg.shift_length),
                 "trend": trend(v, cfg.trend_length), "two_of_three": two_of_three(v, lim)}
        for rule, (high, low) in flags.items():
            out.loc[idx, f"{rule}_high"] = high
            out.loc[idx, f"{rule}_low"] = low
    out["special_high"] = out[[f"{r}_high" for r in RULES]].any(axis=1)
    out["special_low"] = out[[f"{r}_low" for r in RULES]].any(axis=1)
    out["point_class"] = _classify(out["special_high"], out["special_low"], direction, cfg)
    return out


def variation(points: pd.DataFrame, direction: str, cfg: Settings | str = "plotthedots") -> str | None:
    """The variation icon from the last point; None when there are no limits to judge it by."""
    cfg = settings(cfg)
    if points.empty or pd.isna(points["mean"].iloc[-1]):
        return None
    last = points.iloc[-1]
    if last["trial"] and not cfg.icons_below_minimum:
        return None
    if not (last["special_high"] or last["special_low"]):
        return "common_cause"
    side = "high" if last["special_high"] and not last["special_low"] else "low"
    if last["special_high"] and last["special_low"]:  # conflict: shown as improvement or concern
        good = last["point_class"] == IMPROVEMENT
        side = "high" if (direction == INCREASE) == good else "low"
    if direction == NEITHER:
        return f"neither_{side}"
    return f"{last['point_class']}_{side}"


def assurance(points: pd.DataFrame, target: float | None, direction: str,
              cfg: Settings | str = "plotthedots") -> str | None:
    """The assurance icon: where the target lies against the latest segment's process limits."""
    cfg = settings(cfg)
    if target is None or pd.isna(target) or direction == NEITHER or points.empty:
        return None
    last = points.iloc[-1]
    if pd.isna(last["mean"]) or (last["trial"] and not cfg.icons_below_minimum):
        return None
    lower, upper = last["lower"], last["upper"]
    if direction == INCREASE:
        return "pass" if lower > target else "fail" if upper < target else "hit_and_miss"
    return "pass" if upper < target else "fail" if lower > target else "hit_and_miss"
