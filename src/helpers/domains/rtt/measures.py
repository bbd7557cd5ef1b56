"""Referral-to-treatment waiting times: tidy pathways and summary measures.

Two processed tables, with stable column names (see ``PATHWAY_COLUMNS`` and ``SUMMARY_COLUMNS``):

``rtt_pathways``
    one row per period x provider x commissioner x RTT part x treatment function x week band,
    with the number of pathways. Zero cells are not stored. ``week_lower``/``week_upper`` bound
    the band in weeks (``week_upper`` is empty for the open-ended 104+ band); patients whose clock
    start is unknown form their own band ``unknown`` with no bounds. The publisher's ``C_999``
    roll-up rows are not in this table (they would double count) but are used to check it.

``rtt_summary``
    one row per period x organisation x RTT part, for England, each ICB (commissioner parent) and
    each provider: total pathways (the publisher's own roll-up), % within 18 weeks, counts over
    52/65/78/104 weeks, and the median and 92nd-percentile wait estimated from the week bands.

Conventions: % within 18 weeks and the percentiles are of pathways with a known clock start, as
NHS England computes them; totals include unknown clock starts. Percentiles assume waits spread
evenly within a band (linear interpolation); a percentile that falls in the open 104+ band is
reported as missing because the band has no upper bound to interpolate to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.sources import rtt_full_csv as src

PARTS = {
    "Part_1A": "Completed Pathways For Admitted Patients",
    "Part_1B": "Completed Pathways For Non-Admitted Patients",
    "Part_2": "Incomplete Pathways",
    "Part_2A": "Incomplete Pathways with DTA",
    "Part_3": "New RTT Periods - All Patients",
}
INCOMPLETE = "Part_2"
NEW_PERIODS = "Part_3"  # clock starts only: the publisher gives a total and no week bands
STANDARD_WEEKS = 18
LONG_WAIT_WEEKS = (52, 65, 78, 104)
PERCENTILES = (50, 92)
UNKNOWN_BAND = "unknown"

PATHWAY_COLUMNS = [
    "period", "provider_parent_code", "provider_code", "provider_name",
    "commissioner_parent_code", "commissioner_parent_name", "commissioner_code",
    "commissioner_name", "rtt_part", "treatment_function_code", "treatment_function_name",
    "week_band", "week_lower", "week_upper", "pathways",
]
PATHWAY_KEY = ["period", "provider_code", "commissioner_code", "rtt_part",
               "treatment_function_code", "week_band"]
SUMMARY_KEY = ["period", "org_level", "org_code", "rtt_part"]
SUMMARY_COLUMNS = SUMMARY_KEY + [
    "org_name", "rtt_part_description", "total_pathways", "pathways_in_bands",
    "known_clock_start", "unknown_clock_start", "within_18_weeks", "pct_within_18_weeks",
    *[f"over_{w}_weeks" for w in LONG_WAIT_WEEKS], "median_weeks", "p92_weeks",
]
ORG_LEVELS = {  # level -> (code column, name column) in rtt_pathways
    "england": (None, None),
    "icb": ("commissioner_parent_code", "commissioner_parent_name"),
    "provider": ("provider_code", "provider_name"),
}
_RENAME = {
    "Provider Parent Org Code": "provider_parent_code",
    "Provider Org Code": "provider_code",
    "Provider Org Name": "provider_name",
    "Commissioner Parent Org Code": "commissioner_parent_code",
    "Commissioner Parent Name": "commissioner_parent_name",
    "Commissioner Org Code": "commissioner_code",
    "Commissioner Org Name": "commissioner_name",
    "RTT Part Type": "rtt_part",
    "Treatment Function Code": "treatment_function_code",
    "Treatment Function Name": "treatment_function_name",
}


def week_bands() -> pd.DataFrame:
    """The 105 published week bands plus the unknown-clock-start band, in order."""
    lower = list(range(src.OPEN_BAND_WEEKS + 1))
    labels = [f"{w:02d}-{w + 1:02d}" for w in range(src.OPEN_BAND_WEEKS)] + [f"{src.OPEN_BAND_WEEKS}+"]
    return pd.DataFrame({
        "column": src.BAND_COLUMNS + [src.UNKNOWN_COLUMN],
        "week_band": labels + [UNKNOWN_BAND],
        "week_lower": pd.array(lower + [None], dtype="Int16"),
        "week_upper": pd.array([w + 1 for w in range(src.OPEN_BAND_WEEKS)] + [None, None], dtype="Int16"),
    })


def _is_rollup(frame: pd.DataFrame) -> pd.Series:
    return frame["Treatment Function Code"] == src.ROLLUP_CODE


def tidy_pathways(frame: pd.DataFrame, period_end: dt.date) -> pd.DataFrame:
    """The extract reshaped to one row per non-zero week-band cell (roll-up rows left out)."""
    rows = frame[~_is_rollup(frame) & (frame["RTT Part Type"] != NEW_PERIODS)]
    bands = week_bands()
    counts = src.count_matrix(rows, bands["column"].tolist())
    row_idx, band_idx = np.nonzero(counts > 0)
    # Text made categorical before each row is repeated once per band: the repeats are then codes.
    ids = _categorical(rows[list(_RENAME)].rename(columns=_RENAME))
    out = pd.concat([ids.iloc[row_idx].reset_index(drop=True),
                     _categorical(bands.iloc[:, 1:]).iloc[band_idx].reset_index(drop=True)], axis=1)
    out["pathways"] = counts[row_idx, band_idx].astype("int64")
    out.insert(0, "period", pd.Timestamp(period_end))
    for column in PATHWAY_COLUMNS:
        if isinstance(out[column].dtype, pd.CategoricalDtype):  # a row or band with no pathways
            out[column] = out[column].cat.remove_unused_categories()
    return out[PATHWAY_COLUMNS]


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns categorical."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.astype(dict.fromkeys(text, "category")) if text else frame


def rollup_totals(frame: pd.DataFrame, period_end: dt.date) -> pd.DataFrame:
    """The publisher's C_999 totals per provider x commissioner x part (``Total All``)."""
    rows = frame[_is_rollup(frame)]
    out = rows[["Provider Org Code", "Provider Org Name", "Commissioner Parent Org Code",
                "Commissioner Parent Name", "Commissioner Org Code", "RTT Part Type"]].rename(columns=_RENAME)
    out["total_pathways"] = src.count_matrix(rows, [src.TOTAL_ALL_COLUMN])[:, 0].astype("int64")
    out.insert(0, "period", pd.Timestamp(period_end))
    return out.reset_index(drop=True)


def row_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row arithmetic of the extract, for the raw data-quality gate.

    One expectation per derived column replaces one per count column (108 of them), which keeps
    the gate fast on the national file while still pointing at the failing line.
    """
    bands = frame[src.BAND_COLUMNS].to_numpy(dtype="float64")
    counts = frame[src.COUNT_COLUMNS].to_numpy(dtype="float64")
    banded = np.nansum(bands, axis=1)
    unknown = np.nan_to_num(frame[src.UNKNOWN_COLUMN].to_numpy(dtype="float64"))
    has_bands = (frame["RTT Part Type"] != NEW_PERIODS).to_numpy()
    finite = np.where(np.isnan(counts), 0.0, counts)
    profile = pd.DataFrame({
        "provider_code": frame["Provider Org Code"],
        "commissioner_code": frame["Commissioner Org Code"],
        "rtt_part": frame["RTT Part Type"],
        "treatment_function_code": frame["Treatment Function Code"],
        "min_count": finite.min(axis=1),
        "fractional_cells": (finite != np.round(finite)).sum(axis=1),
        "bands_plus_unknown": np.where(has_bands, banded + unknown, np.nan),
        "bands": np.where(frame[src.TOTAL_COLUMN].notna(), banded, np.nan),
        "new_period_bands": np.where(has_bands, np.nan, banded),  # must be 0: Part_3 has no bands
        "total": frame[src.TOTAL_COLUMN].to_numpy(dtype="float64"),
        "total_all": frame[src.TOTAL_ALL_COLUMN].to_numpy(dtype="float64"),
    }, index=frame.index)
    # The roll-up row of each group must equal the sum of its specialty rows.
    key = ["Provider Org Code", "Commissioner Org Code", "RTT Part Type"]
    detail = frame[~_is_rollup(frame)].groupby(key, observed=True)[src.TOTAL_ALL_COLUMN].sum()
    rollups = frame[_is_rollup(frame)]
    sums = detail.reindex(pd.MultiIndex.from_frame(rollups[key])).fillna(0).to_numpy()
    profile["specialty_sum"] = np.nan
    profile.loc[rollups.index, "specialty_sum"] = sums
    return profile


def percentile_weeks(counts: np.ndarray, p: float) -> np.ndarray:
    """The p-th percentile wait in weeks for each row of a (n x 105) band-count matrix.

    Waits are assumed evenly spread within each one-week band. Rows with no pathways, and rows
    whose percentile falls in the open-ended last band, give NaN.
    """
    counts = np.asarray(counts, dtype="float64")
    total = counts.sum(axis=1)
    target = total * p / 100.0
    cumulative = np.cumsum(counts, axis=1)
    band = (cumulative < target[:, None]).sum(axis=1)  # first band reaching the target
    band = np.minimum(band, counts.shape[1] - 1)
    rows = np.arange(len(counts))
    before = np.where(band > 0, cumulative[rows, np.maximum(band - 1, 0)], 0.0)
    in_band = counts[rows, band]
    with np.errstate(divide="ignore", invalid="ignore"):
        weeks = band + (target - before) / in_band
    open_band = band == counts.shape[1] - 1
    return np.where((total > 0) & ~open_band, weeks, np.nan)


def wait_measures(pathways: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Waiting-time measures for each group of ``by`` columns, from the tidy pathways."""
    by = list(by)
    bands = week_bands()
    band_pos = pd.Categorical(_text(pathways["week_band"]), categories=bands["week_band"]).codes
    keyed = pathways[by].assign(_band=band_pos, pathways=pathways["pathways"].to_numpy())
    wide = keyed.groupby(by + ["_band"], observed=True)["pathways"].sum().unstack("_band")
    wide = wide.reindex(columns=range(len(bands)), fill_value=0).fillna(0)
    known = wide.iloc[:, : len(bands) - 1].to_numpy()
    unknown = wide.iloc[:, len(bands) - 1].to_numpy()
    lower = bands["week_lower"].to_numpy(dtype="float64")[:-1]
    upper = bands["week_upper"].to_numpy(dtype="float64", na_value=np.inf)[:-1]
    out = wide.index.to_frame(index=False)
    known_total = known.sum(axis=1)
    out["pathways_in_bands"] = (known_total + unknown).astype("int64")
    out["known_clock_start"] = known_total.astype("int64")
    out["unknown_clock_start"] = unknown.astype("int64")
    out["within_18_weeks"] = known[:, upper <= STANDARD_WEEKS].sum(axis=1).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_within_18_weeks"] = np.where(
            known_total > 0, 100.0 * out["within_18_weeks"] / known_total, np.nan)
    for weeks in LONG_WAIT_WEEKS:
        out[f"over_{weeks}_weeks"] = known[:, lower >= weeks].sum(axis=1).astype("int64")
    out["median_weeks"] = percentile_weeks(known, 50)
    out["p92_weeks"] = percentile_weeks(known, 92)
    return out


def _level_frame(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """``table`` with org_level/org_code/org_name columns for one organisation level."""
    code_col, name_col = ORG_LEVELS[level]
    if code_col is None:
        return table.assign(org_level=level, org_code="ENG", org_name="England")
    keep = table[code_col].notna()
    out = table[keep].assign(org_level=level, org_code=_text(table.loc[keep, code_col]))
    if name_col in out.columns:
        out["org_name"] = _text(out[name_col])
    return out


def _text(values: pd.Series) -> pd.Series:
    """``values.astype(str)``; for a categorical column (no missing values), by converting its few
    categories and picking them by code: a tenth of the time on a table of pathways."""
    if not isinstance(values.dtype, pd.CategoricalDtype) or values.hasnans:
        return values.astype(str)
    categories = values.cat.categories.astype(str)
    return pd.Series(categories.take(values.cat.codes.to_numpy()), index=values.index, name=values.name)


def summarise(pathways: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """``rtt_summary``: measures for England, each ICB and each provider, per period and part."""
    frames = []
    for level in ORG_LEVELS:
        measures = wait_measures(_level_frame(pathways, level), SUMMARY_KEY)
        level_totals = _level_frame(totals, level)
        names = level_totals.groupby("org_code", observed=True)["org_name"].first()
        merged = (level_totals.groupby(["period", "org_code", "rtt_part"], observed=True)["total_pathways"]
                  .sum().reset_index().assign(org_level=level)
                  .merge(measures, on=SUMMARY_KEY, how="outer"))
        merged["org_name"] = merged["org_code"].map(names)
        frames.append(merged)
    summary = pd.concat(frames, ignore_index=True)
    summary["rtt_part_description"] = summary["rtt_part"].map(PARTS)
    summary["total_pathways"] = summary["total_pathways"].astype("Int64")
    for column in ["pathways_in_bands", "known_clock_start", "unknown_clock_start", "within_18_weeks",
                   *[f"over_{w}_weeks" for w in LONG_WAIT_WEEKS]]:
        summary[column] = summary[column].astype("Int64")
    summary["org_level"] = pd.Categorical(summary["org_level"], categories=list(ORG_LEVELS))
    summary = summary.sort_values(["period", "org_level", "org_code", "rtt_part"]).reset_index(drop=True)
    return summary[SUMMARY_COLUMNS]
