"""Public-health indicator statistics: confidence limits, funnel limits and comparisons.

The methods are the ones OHID Fingertips and the NHS balanced scorecards use, so a figure here
matches the published one:

* proportions: Wilson score interval;
* rates and counts: exact Poisson limits (chi-squared) below 10 events, Byar's approximation
  from 10 events up;
* funnel plots: limits around the overall (pooled) value at 95% ("2 sigma", p = 0.975 either
  side) and 99.8% ("3 sigma", p = 0.999), the inverse of the Wilson interval for proportions
  and of the exact Poisson interval for rates;
* comparisons: an area is Better / Worse than a comparator when its confidence interval
  excludes the comparator's value, read through the indicator's polarity; Higher / Lower when
  the indicator makes no judgement; Not compared when the value or interval is missing.

The normal quantile is taken exactly (``scipy.stats.norm.ppf(0.975)``, not 1.96), as the
reference implementations do. Every function is vectorised over NumPy arrays or pandas Series;
missing inputs give missing outputs rather than errors.

The data-frame functions (:func:`phe_proportion`, :func:`phe_rate`) return the column names
of the R package PHEindicatormethods, so results can be compared with that package's output:
``value``, ``lowercl``/``uppercl`` for one confidence level, or ``lower95_0cl``,
``upper95_0cl``, ``lower99_8cl``, ``upper99_8cl`` for both, plus ``confidence``,
``statistic`` and ``method``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CONFIDENCE_95 = 0.95
CONFIDENCE_99_8 = 0.998
EXACT_BELOW = 10  # events: exact Poisson limits below this count, Byar's from it up

HIGH_IS_GOOD = "high is good"
LOW_IS_GOOD = "low is good"
NO_JUDGEMENT = "no judgement"
POLARITIES = (HIGH_IS_GOOD, LOW_IS_GOOD, NO_JUDGEMENT)

BETTER, SIMILAR, WORSE, NOT_COMPARED = "Better", "Similar", "Worse", "Not compared"
HIGHER, LOWER = "Higher", "Lower"


def _scipy_stats():
    """SciPy's distributions, imported when a limit is first worked out (a second's import that
    what only describes the methods, such as the data dictionary, need not pay)."""
    from scipy import stats

    return stats


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level (0.95 -> 1.959964...)."""
    _check_confidence(confidence)
    return float(_scipy_stats().norm.ppf(1 - (1 - confidence) / 2))


def _check_confidence(confidence: float) -> None:
    if not 0.9 <= confidence < 1:
        raise ValueError(f"confidence must be between 0.9 and 1 (e.g. 0.95 or 0.998), not {confidence!r}")


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(v)), errors="coerce"), dtype=float)
            for v in values]


def _shape_like(result: np.ndarray, template):
    """Return a scalar for scalar input, an array otherwise."""
    return float(result[0]) if np.ndim(template) == 0 else result


# ---------------------------------------------------------------------------------------- limits

def wilson_limits(x, n, confidence: float = CONFIDENCE_95):
    """Wilson score limits of the proportion ``x / n`` (on the 0-1 scale).

    ``x`` may be fractional (e.g. a weighted numerator). Missing, negative or zero-denominator
    inputs, and ``x > n``, give NaN: no proportion exists to bound.
    """
    z = z_value(confidence)
    xa, na = _arrays(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = xa / na
        centre = 2 * xa + z ** 2
        spread = z * np.sqrt(z ** 2 + 4 * xa * (1 - p))
        denom = 2 * (na + z ** 2)
        lower = (centre - spread) / denom
        upper = (centre + spread) / denom
    bad = ~(np.isfinite(xa) & np.isfinite(na)) | (na <= 0) | (xa < 0) | (xa > na)
    lower[bad] = np.nan
    upper[bad] = np.nan
    return _shape_like(lower, x), _shape_like(upper, x)


def byars_limits(x, confidence: float = CONFIDENCE_95):
    """Byar's approximation to the Poisson limits of a count ``x``.

    The lower limit is NaN where the approximation falls below zero (very small counts at high
    confidence), as in the reference implementation; use :func:`poisson_limits` to get the
    exact limits there.
    """
    z = z_value(confidence)
    (xa,) = _arrays(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = xa * (1 - 1 / (9 * xa) - z / (3 * np.sqrt(xa))) ** 3
        x1 = xa + 1
        upper = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    lower = np.where(lower < 0, np.nan, lower)
    lower[~np.isfinite(xa) | (xa < 0)] = np.nan
    upper[~np.isfinite(xa) | (xa < 0)] = np.nan
    return _shape_like(lower, x), _shape_like(upper, x)


def exact_poisson_limits(x, confidence: float = CONFIDENCE_95):
    """Exact (chi-squared) Poisson limits of a count ``x``; the lower limit of 0 events is 0."""
    alpha = 1 - confidence
    _check_confidence(confidence)
    (xa,) = _arrays(x)
    with np.errstate(invalid="ignore"):
        lower = np.where(xa > 0, _scipy_stats().chi2.ppf(alpha / 2, 2 * xa) / 2, 0.0)
        upper = _scipy_stats().chi2.ppf(1 - alpha / 2, 2 * xa + 2) / 2
    bad = ~np.isfinite(xa) | (xa < 0)
    lower[bad] = np.nan
    upper[bad] = np.nan
    return _shape_like(lower, x), _shape_like(upper, x)


def poisson_limits(x, confidence: float = CONFIDENCE_95):
    """Count limits as used for rates: exact below 10 events, Byar's from 10 up."""
    (xa,) = _arrays(x)
    exact_lo, exact_hi = exact_poisson_limits(xa, confidence)
    byars_lo, byars_hi = byars_limits(xa, confidence)
    use_exact = xa < EXACT_BELOW
    lower = np.where(use_exact, exact_lo, byars_lo)
    upper = np.where(use_exact, exact_hi, byars_hi)
    return _shape_like(lower, x), _shape_like(upper, x)


def rate_limits(x, n, multiplier: float = 1000, confidence: float = CONFIDENCE_95):
    """Limits of the rate ``x / n * multiplier`` (exact below 10 events, Byar's above)."""
    xa, na = _arrays(x, n)
    lower, upper = poisson_limits(xa, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(na > 0, multiplier / na, np.nan)
    return _shape_like(lower * scale, x), _shape_like(upper * scale, x)


def rate_method(x) -> np.ndarray:
    """'Exact' or 'Byars' per count, as :func:`poisson_limits` chooses; None where missing."""
    (xa,) = _arrays(x)
    return np.where(~np.isfinite(xa), None, np.where(xa < EXACT_BELOW, "Exact", "Byars")).astype(object)


# ------------------------------------------------------------------------------ data-frame API

def _cl_suffix(confidence: float) -> str:
    """0.95 -> '95_0', 0.998 -> '99_8' (the reference package's column naming)."""
    return f"{confidence * 100:.1f}".replace(".", "_")


def _confidence_label(confidence: float) -> str:
    return f"{confidence * 100:g}%"


def _as_levels(confidence) -> list[float]:
    levels = [confidence] if np.ndim(confidence) == 0 else list(confidence)
    for level in levels:
        _check_confidence(level)
    return levels


def phe_proportion(data: pd.DataFrame, x: str, n: str, *, confidence: float | Sequence[float] = CONFIDENCE_95,
                   multiplier: float = 1) -> pd.DataFrame:
    """``data`` with a proportion and its Wilson limits added (PHEindicatormethods columns).

    ``multiplier`` 1 gives a proportion of 1, 100 a percentage. One confidence level adds
    ``lowercl``/``uppercl`` and ``confidence``; several add ``lower95_0cl``... per level.
    """
    out = data.copy()
    num, den = _arrays(out[x], out[n])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(den > 0, num / den * multiplier, np.nan)
    levels = _as_levels(confidence)
    for level in levels:
        lower, upper = wilson_limits(num, den, level)
        lo, hi = _limit_columns(levels, level)
        out[lo], out[hi] = lower * multiplier, upper * multiplier
    if len(levels) == 1:
        out["confidence"] = _confidence_label(levels[0])
    else:
        out["confidence"] = ", ".join(_confidence_label(level) for level in levels)
    out["statistic"] = "percentage" if multiplier == 100 else f"proportion of {multiplier:g}"
    out["method"] = "Wilson"
    return out


def phe_rate(data: pd.DataFrame, x: str, n: str, *, multiplier: float = 100_000,
             confidence: float | Sequence[float] = CONFIDENCE_95) -> pd.DataFrame:
    """``data`` with a crude rate per ``multiplier`` and its limits added (exact < 10 events, Byar's >= 10)."""
    out = data.copy()
    num, den = _arrays(out[x], out[n])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(den > 0, num / den * multiplier, np.nan)
    levels = _as_levels(confidence)
    for level in levels:
        lower, upper = rate_limits(num, den, multiplier, level)
        lo, hi = _limit_columns(levels, level)
        out[lo], out[hi] = lower, upper
    if len(levels) == 1:
        out["confidence"] = _confidence_label(levels[0])
    else:
        out["confidence"] = ", ".join(_confidence_label(level) for level in levels)
    out["statistic"] = f"rate per {multiplier:g}"
    out["method"] = rate_method(num)
    return out


def _limit_columns(levels: list[float], level: float) -> tuple[str, str]:
    if len(levels) == 1:
        return "lowercl", "uppercl"
    suffix = _cl_suffix(level)
    return f"lower{suffix}cl", f"upper{suffix}cl"


# ------------------------------------------------------------------------------------- funnels

def _signif_floor(x: float, digits: int = 1) -> float:
    if x <= 0:
        return 0.0
    scale = 10 ** (np.floor(np.log10(x)) - digits + 1)
    return float(np.floor(x / scale) * scale)


def _signif_ceiling(x: float, digits: int = 2) -> float:
    if x <= 0:
        return 0.0
    scale = 10 ** (np.floor(np.log10(x)) - digits + 1)
    return float(np.ceil(x / scale) * scale)


def funnel_axis(denominators, points: int = 100) -> np.ndarray:
    """The x-axis (population) points at which funnel limits are drawn: geometric, whole numbers.

    From ``max(1, axis_min)`` to ``axis_max`` = 1.05 x the largest denominator rounded up to two
    significant figures; ``axis_min`` is 0 unless the denominators span less than a factor of 2,
    when it is 0.95 x the smallest rounded down to one significant figure.
    """
    (den,) = _arrays(denominators)
    den = den[np.isfinite(den) & (den > 0)]
    if den.size == 0:
        raise ValueError("funnel axis needs at least one positive denominator")
    axis_max = _signif_ceiling(1.05 * den.max())
    axis_min = 0.0 if den.max() > 2 * den.min() else _signif_floor(0.95 * den.min())
    values = [max(1.0, axis_min)]
    for j in range(2, points + 1):
        prev = values[-1]
        step = (axis_max / prev) ** (1 / (points + 1 - j)) * prev
        values.append(max(float(np.round(step)), prev + 1))
    return np.asarray(values)


def _proportion_funnel_bound(baseline: float, population, z: float, side: int) -> np.ndarray:
    """The observed proportion at which the Wilson interval's edge touches ``baseline``.

    Inverting the Wilson (score) interval: the score test statistic of p_hat against baseline is
    z exactly when p_hat = baseline +/- z * sqrt(baseline * (1 - baseline) / n).
    """
    pop = np.asarray(population, dtype=float)
    return baseline + side * z * np.sqrt(baseline * (1 - baseline) / pop)


def proportion_funnel_limits(numerators, denominators, *, multiplier: float = 100,
                             population=None, points: int = 100) -> pd.DataFrame:
    """Funnel limits for proportions around the pooled value sum(x)/sum(n).

    Returns one row per population point (``population`` or :func:`funnel_axis`) with
    ``baseline`` and ``lower95_0``, ``upper95_0``, ``lower99_8``, ``upper99_8`` on the
    ``multiplier`` scale, clipped to [0, multiplier].
    """
    num, den = _arrays(numerators, denominators)
    keep = np.isfinite(num) & np.isfinite(den) & (den > 0)
    baseline = num[keep].sum() / den[keep].sum()
    pop = funnel_axis(den[keep], points) if population is None else np.asarray(population, dtype=float)
    out = pd.DataFrame({"population": pop, "baseline": baseline * multiplier})
    for level in (CONFIDENCE_95, CONFIDENCE_99_8):
        z = z_value(level)
        suffix = _cl_suffix(level)
        for side, name in ((-1, "lower"), (1, "upper")):
            bound = np.clip(_proportion_funnel_bound(baseline, pop, z, side), 0, 1)
            out[f"{name}{suffix}"] = bound * multiplier
    return out


def rate_funnel_limits(numerators, denominators, *, multiplier: float = 1000,
                       population=None, points: int = 100) -> pd.DataFrame:
    """Funnel limits for crude rates around the pooled rate sum(x)/sum(n), on the rate scale.

    At population ``n`` the expected count is ``lambda = baseline * n``; the limits are the
    counts at which an exact Poisson interval around the observed count would just include
    ``lambda`` (chi-squared inversion), divided by ``n``.
    """
    num, den = _arrays(numerators, denominators)
    keep = np.isfinite(num) & np.isfinite(den) & (den > 0)
    baseline = num[keep].sum() / den[keep].sum()
    pop = funnel_axis(den[keep], points) if population is None else np.asarray(population, dtype=float)
    expected = baseline * pop
    out = pd.DataFrame({"population": pop, "baseline": baseline * multiplier})
    for level in (CONFIDENCE_95, CONFIDENCE_99_8):
        alpha = 1 - level
        suffix = _cl_suffix(level)
        lower_count = _scipy_stats().chi2.ppf(alpha / 2, 2 * expected) / 2
        upper_count = _scipy_stats().chi2.ppf(1 - alpha / 2, 2 * expected + 2) / 2
        out[f"lower{suffix}"] = lower_count / pop * multiplier
        out[f"upper{suffix}"] = upper_count / pop * multiplier
    return out


def funnel_significance(value, lower95, upper95, lower998, upper998) -> np.ndarray:
    """'High (0.001)', 'High (0.025)', 'Not significant', 'Low (0.025)', 'Low (0.001)' per area.

    ``value`` and the limits are on the same scale, the limits evaluated at each area's own
    denominator. 0.001 means outside the 99.8% limits, 0.025 outside 95% only.
    """
    v, lo95, hi95, lo998, hi998 = _arrays(value, lower95, upper95, lower998, upper998)
    out = np.full(v.shape, "Not significant", dtype=object)
    out[v > hi95] = "High (0.025)"
    out[v > hi998] = "High (0.001)"
    out[v < lo95] = "Low (0.025)"
    out[v < lo998] = "Low (0.001)"
    out[~np.isfinite(v)] = None
    return out


def proportion_funnel_significance(numerators, denominators, baseline: float | None = None) -> np.ndarray:
    """Funnel significance of each area's proportion against the pooled (or given) baseline (0-1 scale)."""
    num, den = _arrays(numerators, denominators)
    keep = np.isfinite(num) & np.isfinite(den) & (den > 0)
    if baseline is None:
        baseline = num[keep].sum() / den[keep].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = num / den
        limits = [_proportion_funnel_bound(baseline, den, z_value(level), side)
                  for level in (CONFIDENCE_95, CONFIDENCE_99_8) for side in (-1, 1)]
    return funnel_significance(p, limits[0], limits[1], limits[2], limits[3])


# ---------------------------------------------------------------------------------- comparisons

def compare(value, lower, upper, comparator, polarity: str = HIGH_IS_GOOD) -> np.ndarray:
    """Compare each area's interval [lower, upper] with a comparator value.

    Returns 'Better' / 'Similar' / 'Worse' by ``polarity`` ('high is good' or 'low is good'),
    or 'Higher' / 'Similar' / 'Lower' for 'no judgement'; 'Not compared' where the value, a
    limit or the comparator is missing. ``comparator`` may be a scalar or one value per area.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, not {polarity!r}")
    v, lo, hi = _arrays(value, lower, upper)
    (cmp_,) = _arrays(comparator)
    cmp_ = np.broadcast_to(cmp_, v.shape) if cmp_.size == 1 else cmp_
    above, below = lo > cmp_, hi < cmp_
    if polarity == HIGH_IS_GOOD:
        labels = (BETTER, WORSE)
    elif polarity == LOW_IS_GOOD:
        labels = (WORSE, BETTER)
    else:
        labels = (HIGHER, LOWER)
    out = np.full(v.shape, SIMILAR, dtype=object)
    out[above] = labels[0]
    out[below] = labels[1]
    missing = ~(np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi) & np.isfinite(cmp_))
    out[missing] = NOT_COMPARED
    return out
