"""The integrated performance report's measures: catalogue, monthly series, checks and SPC.

Each measure is described in ``board_measures.yaml`` (reference, name, unit, improvement
direction, target, owner, data source, rebase dates, comment). Its monthly values come either
from a national time-series workbook (read by this stage) or from a table another stage wrote
in ``data/processed/``. Before a series is charted it is checked: a duplicated month, a missing
month or text in the value column stops that measure from being charted (the board paper says
why, and the cells are quarantined); fewer points than the SPC minimum gives trial limits,
labelled as such.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from helpers.core.errors import QUARANTINE_COLUMNS, InputMissingError, SourceFormatError
from helpers.methods import spc
from helpers.sources import ae_national_timeseries as ae_src
from helpers.sources import rtt_national_timeseries as rtt_src
from helpers.sources import timeseries as ts

READERS = {ae_src.SOURCE_FOLDER: ae_src, rtt_src.SOURCE_FOLDER: rtt_src}
UNITS = {"percent", "count", "millions", "weeks"}
SCOPES = ("icb", "england")
MEASURE_COLUMNS = ["reference", "period", "value", "source", "file", "line"]


# ---- catalogue ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    reference: str
    name: str
    unit: str
    improvement_direction: str
    target: float | None
    owner: str
    data_source: dict
    scope: str = "icb"               # icb: the edition's ICB; england: context, never an exception
    rebase: tuple = ()
    baseline_points: int | None = None  # limits fixed on each segment's first n months (None: all)
    start: pd.Timestamp | None = None
    comment: str = ""
    commentary: str = ""
    actions: tuple = ()

    @property
    def rebase_dates(self) -> list[pd.Timestamp]:
        return [pd.Timestamp(r["date"]) for r in self.rebase]

    @property
    def source_label(self) -> str:
        """Where its values come from, in words a reader follows (no file paths or formats)."""
        d = self.data_source
        if "table" in d:
            domain, _, table = d["table"].partition("_")
            return f"the processed {domain.upper() if domain == 'rtt' else domain} {table} table, " \
                   f"column {d['column'].replace('_', ' ')}"
        return f"{d['source']}: {d['sheet']} / {d['series']}"

    @property
    def domain(self) -> str | None:
        """The domain whose processed table it reads (None for a publisher's workbook read by the board stage)."""
        table = self.data_source.get("table")
        return table.partition("_")[0] if table else None


def load_catalogue(path: Path) -> list[Measure]:
    """Measures from the YAML catalogue, checked field by field (a bad entry is an error here)."""
    try:
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("measures") or []
    except (OSError, yaml.YAMLError) as exc:
        raise SourceFormatError(path, f"cannot read the measure catalogue: {exc}") from None
    measures, seen = [], set()
    for n, e in enumerate(entries, start=1):
        where = f"measure {n} ({e.get('reference', '?')})"
        missing = [k for k in ("reference", "name", "unit", "improvement_direction", "owner", "data_source")
                   if not e.get(k)]
        if missing:
            raise SourceFormatError(path, f"{where}: missing {', '.join(missing)}")
        if e["reference"] in seen:
            raise SourceFormatError(path, f"{where}: reference used twice")
        seen.add(e["reference"])
        if e.get("scope") not in SCOPES:
            raise SourceFormatError(path, f"{where}: scope {e.get('scope')!r} is not one of {', '.join(SCOPES)}")
        if e["unit"] not in UNITS:
            raise SourceFormatError(path, f"{where}: unit {e['unit']!r} is not one of {', '.join(sorted(UNITS))}")
        if e["improvement_direction"] not in spc.DIRECTIONS:
            raise SourceFormatError(path, f"{where}: improvement_direction {e['improvement_direction']!r} is not "
                                    f"one of {', '.join(spc.DIRECTIONS)}")
        source = e["data_source"]
        if not ({"source", "sheet", "series"} <= set(source) or {"table", "column"} <= set(source)):
            raise SourceFormatError(path, f"{where}: data_source needs source, sheet and series, or table and column")
        target = e.get("target")
        if target is not None and not isinstance(target, int | float):
            raise SourceFormatError(path, f"{where}: target {target!r} is not a number")
        baseline = e.get("baseline_points")
        if baseline is not None and (not isinstance(baseline, int) or isinstance(baseline, bool) or baseline < 2):
            raise SourceFormatError(path, f"{where}: baseline_points {baseline!r} is not a whole number of months, "
                                    "at least 2")
        measures.append(Measure(
            reference=str(e["reference"]), name=e["name"], unit=e["unit"],
            improvement_direction=e["improvement_direction"], target=None if target is None else float(target),
            owner=e["owner"], data_source=dict(source), scope=e["scope"],
            rebase=tuple({"date": str(r["date"]), "reason": r.get("reason", "")} for r in e.get("rebase") or ()),
            baseline_points=baseline,
            start=pd.Timestamp(e["start"]) if e.get("start") else None, comment=e.get("comment") or "",
            commentary=(e.get("commentary") or "").strip(), actions=tuple(e.get("actions") or ())))
    return measures


# ---- reading the values -------------------------------------------------------------------------

def read_sources(folders: dict[str, Path]) -> pd.DataFrame:
    """Every tidy row of every workbook in the given source folders."""
    frames = []
    for source, folder in folders.items():
        reader = READERS[source]
        for path in reader.find_files(Path(folder)):
            frames.append(reader.read(path))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ts.TIDY_COLUMNS)


def _substitute(value, substitutions: dict):
    """``${name}`` in a filter means the stage's setting of that name (e.g. the ICB: ``${organisation}``)."""
    found = re.fullmatch(r"\$\{([A-Za-z_]+)\}", str(value))
    if not found:
        return value
    if found.group(1) not in substitutions:
        raise InputMissingError(f"measure filter {value}: no such setting (known: {', '.join(substitutions)})")
    return substitutions[found.group(1)]


def measure_rows(measure: Measure, tidy: pd.DataFrame, read_table: Callable[[str], pd.DataFrame],
                 substitutions: dict | None = None) -> pd.DataFrame:
    """The measure's monthly rows (period, value, raw, file, line) before any check.

    ``read_table(name)`` gives another stage's processed table (``rtt_summary``, say).
    """
    d = measure.data_source
    scale = float(d.get("scale", 1))
    if "table" in d:
        table = read_table(d["table"])
        if table.empty:
            return pd.DataFrame(columns=["period", "value", "raw", "source", "file", "line"])
        for column, value in (d.get("filter") or {}).items():
            table = table[table[column].astype(str) == str(_substitute(value, substitutions or {}))]
        rows = pd.DataFrame({"period": pd.to_datetime(table["period"]).dt.to_period("M").dt.to_timestamp(),
                             "value": pd.to_numeric(table[d["column"]], errors="coerce") * scale,
                             "raw": None, "source": d["table"], "file": f"{d['table']}.parquet",
                             "line": np.arange(len(table)) + 1})
    else:
        hit = tidy[(tidy["source"] == d["source"]) & (tidy["sheet"] == d["sheet"]) & (tidy["series"] == d["series"])]
        rows = pd.DataFrame({"period": hit["period"], "value": hit["value"] * scale, "raw": hit["raw"],
                             "source": hit["source"], "file": hit["file"], "line": hit["line"]})
    if measure.start is not None:
        rows = rows[rows["period"] >= measure.start]
    return rows.sort_values(["period", "line"]).reset_index(drop=True)


SERIES_COLUMNS = ["reference", "period", "value", "raw", "source", "file", "line"]


def series_table(measures: list[Measure], tidy: pd.DataFrame, read_table: Callable[[str], pd.DataFrame],
                 substitutions: dict | None = None) -> pd.DataFrame:
    """Every measure's monthly rows as read, one table (``board_series``): what the SPC is run on."""
    frames = [measure_rows(m, tidy, read_table, substitutions).assign(reference=m.reference) for m in measures]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
    return out.astype({"raw": "string", "source": "string", "file": "string", "line": "int64"})


# ---- checks ---------------------------------------------------------------------------------------

@dataclass
class Check:
    """What stops a series being charted (``problems``) and what only qualifies it (``notes``)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)

    @property
    def chartable(self) -> bool:
        return not self.problems


def _months(periods) -> str:
    return ", ".join(f"{pd.Timestamp(p):%b %Y}" for p in periods)


def check_series(rows: pd.DataFrame, cfg: spc.Settings, reference: str = "") -> Check:
    """Checks on one measure's monthly rows, in words a board reader can act on."""
    check = Check()
    if rows.empty:
        check.problems.append("no values found in the data source")
        return check
    # Months not collected at the start or not yet published at the end are outside the series.
    na = rows["value"].isna() & rows["raw"].fillna("").isin(["", *ts.NOT_AVAILABLE])
    present = rows.index[~na]
    rows = rows.loc[present.min():present.max()] if len(present) else rows.iloc[0:0]
    if rows.empty:
        check.problems.append("no values: every month is blank or not available")
        return check
    dup = rows[rows["period"].duplicated(keep=False)]
    if len(dup):
        detail = "; ".join(f"{p:%b %Y} ({g['file'].iloc[0]} lines {', '.join(map(str, g['line']))})"
                           for p, g in dup.groupby("period"))
        check.problems.append(f"duplicated month: {detail}")
        check.quarantine += [_q(r, reference, "duplicated month") for r in dup.itertuples()]
    text = rows[rows["value"].isna() & ~rows["raw"].fillna("").isin(["", *ts.NOT_AVAILABLE])]
    if len(text):
        detail = "; ".join(f"{r.raw!r} in {r.period:%b %Y} ({r.file} line {r.line})" for r in text.itertuples())
        check.problems.append(f"text in the value column: {detail}")
        check.quarantine += [_q(r, reference, "text in the value column") for r in text.itertuples()]
    blank = rows[rows["value"].isna() & rows["raw"].fillna("").isin(["", *ts.NOT_AVAILABLE])]
    expected = pd.date_range(rows["period"].min(), rows["period"].max(), freq="MS")
    absent = expected.difference(pd.DatetimeIndex(rows["period"].unique())).union(pd.DatetimeIndex(blank["period"]))
    if len(absent):
        check.problems.append(f"missing month: {_months(absent)} (no value between {rows['period'].min():%b %Y} "
                              f"and {rows['period'].max():%b %Y})")
        check.quarantine += [_q(r, reference, "missing value (blank or not available) inside the series")
                             for r in blank.itertuples()]
    points = rows["period"].nunique()
    if points < 2:
        check.problems.append(f"only {points} month: at least 2 are needed for a moving range")
    return check


def trial_note(points: pd.DataFrame, cfg: spc.Settings) -> str | None:
    """Said when the latest limits rest on fewer points than the preset's minimum."""
    last = points.iloc[-1]
    if not last["trial"]:
        return None
    n = int((points["segment"] == last["segment"]).sum())
    since = "" if last["segment"] == 0 else " since the last rebase"
    return (f"only {n} months{since}, fewer than the {cfg.min_points} needed for firm limits: trial limits"
            + ("" if cfg.icons_below_minimum else ", so no variation or assurance icon"))


def _q(row, reference: str, reason: str) -> dict:
    return {"source": row.source, "file": row.file, "line": int(row.line), "column": reference,
            "value": "" if row.raw is None or pd.isna(row.raw) else str(row.raw), "reason": reason}


def clean_series(rows: pd.DataFrame) -> pd.DataFrame:
    """A checked series: one numeric value per month, leading and trailing gaps dropped."""
    kept = rows.dropna(subset=["value"])
    return kept[["period", "value"]].reset_index(drop=True)


# ---- evaluating every measure -------------------------------------------------------------------

@dataclass
class Result:
    measure: Measure
    check: Check
    points: pd.DataFrame | None          # the SPC chart rows, or None when not charted
    variation: str | None
    assurance: str | None
    latest_period: pd.Timestamp | None
    latest_value: float | None
    months_behind: int | None = None
    current: bool = True                 # its latest month is the edition's month
    reasons: tuple[str, ...] = ()        # the SPC rules that flagged the latest point, in words
    elsewhere: bool = False              # its domain's data is for another organisation or period

    @property
    def headline(self) -> bool:
        """The edition's own figure: the ICB's, for the edition's month (not context)."""
        return self.measure.scope == "icb" and self.current and not self.elsewhere

    @property
    def exception(self) -> list[str]:
        """Why this measure needs the board's attention (empty: it does not)."""
        why = []
        if not self.check.chartable:
            why.append("not charted: " + "; ".join(self.check.problems))
        if self.variation and self.variation.startswith("concern"):
            why.append(spc.VARIATION_TEXT[self.variation] + (f" ({'; '.join(self.reasons)})" if self.reasons else ""))
        if self.assurance == "fail":
            why.append(spc.ASSURANCE_TEXT["fail"])
        return why


def evaluate(measure: Measure, rows: pd.DataFrame, cfg: spc.Settings) -> Result:
    check = check_series(rows, cfg, measure.reference)
    if not check.chartable:
        present = rows.dropna(subset=["value"])
        last = present.iloc[-1] if len(present) else None
        return Result(measure, check, None, None, None, None if last is None else last["period"],
                      None if last is None else float(last["value"]))
    series = clean_series(rows)
    points = spc.chart(series, direction=measure.improvement_direction, cfg=cfg, rebase=measure.rebase_dates,
                       fix_after_n_points=measure.baseline_points)
    if note := trial_note(points, cfg):
        check.notes.append(note)
    alone = points.groupby("segment")["period"].agg(["size", "first"])
    for first in alone.loc[alone["size"] < 2, "first"]:
        check.notes.append(f"{first:%b %Y} is the only month of its segment (between rebase dates): no limits")
    last = points.iloc[-1]
    return Result(measure, check, points, spc.variation(points, measure.improvement_direction, cfg),
                  spc.assurance(points, measure.target, measure.improvement_direction, cfg),
                  last["period"], float(last["value"]), reasons=tuple(spc.reasons(last, cfg)))


def evaluate_all(measures: list[Measure], series: pd.DataFrame, cfg: spc.Settings,
                 as_at: pd.Timestamp | None = None) -> list[Result]:
    """Every measure checked and charted from its rows in ``series`` (see :func:`series_table`)."""
    by_reference = dict(tuple(series.groupby("reference", sort=False)))
    empty = pd.DataFrame(columns=SERIES_COLUMNS)
    results = [evaluate(m, by_reference.get(m.reference, empty).drop(columns="reference").reset_index(drop=True), cfg)
               for m in measures]
    dates = [r.latest_period for r in results if r.latest_period is not None]
    as_at = as_at or (max(dates) if dates else None)
    for r in results:
        if r.latest_period is not None and as_at is not None:
            r.months_behind = (as_at.year - r.latest_period.year) * 12 + as_at.month - r.latest_period.month
    return results


def measures_table(results: list[Result]) -> pd.DataFrame:
    """Every charted point of every measure, tidy, for data/processed/board_measures.parquet."""
    frames = []
    for r in results:
        if r.points is None:
            continue
        p = r.points.copy()
        p.insert(0, "reference", r.measure.reference)
        frames.append(p)
    if not frames:
        return pd.DataFrame(columns=["reference", "period", "value", "segment", "mean", "lower", "upper",
                                     "point_class"])
    return pd.concat(frames, ignore_index=True)


def quarantine_table(tidy: pd.DataFrame, results: list[Result]) -> pd.DataFrame:
    """Cells that were not numbers in the workbooks, and measure rows that could not be charted."""
    rows = [ts.quarantine(tidy)] if len(tidy) else []
    extra = [q for r in results for q in r.check.quarantine]
    if extra:
        rows.append(pd.DataFrame(extra, columns=QUARANTINE_COLUMNS))
    if not rows:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["line"] = out["line"].astype("int64")
    return out.astype({c: "string" for c in ("source", "file", "column", "value", "reason")})
