"""CSV downloads: the edition's figures as its reports show them, safe to open in a spreadsheet.

Each download is the report's, not the processed table's:

* **scoped**: the edition's ICB and month. The scorecard downloads hold only the ICB's practices
  open in the month (the practices the report and packs cover), its indicators suppressed as the
  pages suppress them; waiting times are the ICB's months up to the edition's, beside England's.
  A download that is deliberately wider says so in its file name and its line on the index
  (``..._and_england``, ``..._all_england``); one whose data are another organisation's (the
  shipped trackers and referral extract) says so on the index as its report's heading does.
* **rounded as published**: each figure to the decimals its page prints (:data:`DECIMALS`, taken
  from the reports' formats), counts as whole numbers, dates as ``YYYY-MM-DD``, yes/no as words,
  missing values as empty cells. A column of fractions without its decimals is an error, so no
  unrounded figure can slip out.
* **safe**: organisation and scheme names come from publishers' and teams' files; a cell such as
  ``=HYPERLINK("http://x","y")`` would run as a formula in Excel or LibreOffice. Text cells that
  begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are written with a leading
  apostrophe, which spreadsheets show as text; number columns are written as numbers.

The tables are chosen in ``params.yaml`` (``publish: csv_exports:``); every stage's quarantine
table is always offered.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.config import download_stem
from helpers.core.provenance import hash_part, kept_folder
from helpers.domains.organisation.edition import NamedMonth

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
GROUP = "downloads"  # where the edition's index lists them
DEFAULT_DECIMALS = 1  # the pages' default (one decimal place) for a table no report formats
YES, NO = "Yes", "No"


def neutralise(value):
    """Text that a spreadsheet would read as a formula, prefixed so it stays text; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out


# ------------------------------------------------------------------------------- rounding and blanks

def as_printed(values: pd.Series, digits: int) -> pd.Series:
    """``values`` rounded as a page prints them with ``f"{value:.{digits}f}"``: whole numbers (empty
    when missing) for ``digits`` 0, else numbers of that many decimals. Rounded through the printed
    text, so the download and the page never differ in the last digit."""
    numbers = pd.to_numeric(values, errors="raise").astype("float64")
    printed = numbers.map(lambda v: v if pd.isna(v) else float(f"{v:.{digits}f}"))
    if digits == 0:
        return printed.astype("Int64")
    return printed.astype("float64")


def _fractional(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series) and not series.dropna().eq(series.dropna().round()).all()


def rounded(frame: pd.DataFrame, decimals: Mapping[str, int], *, default: int | None = None) -> pd.DataFrame:
    """``frame`` with each column in ``decimals`` rounded as printed (:func:`as_printed`).

    Any other column of fractions is rounded to ``default`` decimals, or is an error when no
    default is given: a download never carries a figure more precise than its page. Float
    columns holding only whole numbers (counts read as floats) become whole numbers.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        if column in decimals:
            out[column] = as_printed(series, decimals[column])
        elif _fractional(series):
            if default is None:
                raise ValueError(f"column {column!r} holds fractions but no decimals are given for it")
            out[column] = as_printed(series, default)
        elif pd.api.types.is_float_dtype(series):
            out[column] = as_printed(series, 0)
    return out


def for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as a spreadsheet should read them: dates as ``YYYY-MM-DD``, true/false as Yes/No, missing
    text, numbers and dates as empty cells (never 'nan', 'None' or 'NaT'), formula text neutralised."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            continue
        # cell by cell into an object column: a mapped column would be read back as numbers (62 as 62.0)
        out[column] = pd.Series([_cell(value) for value in series], index=series.index, dtype=object)
    return out


def _cell(value):
    """A cell of a text, date or yes/no column: empty when missing, a date as ``YYYY-MM-DD``, true/false
    as Yes/No, formula text neutralised; numbers (in a column mixing whole numbers and amounts) as they are."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return YES if value else NO
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    return neutralise(value)


def within(frame: pd.DataFrame, column: str, codes: Iterable[str]) -> pd.DataFrame:
    """The rows whose ``column`` is one of ``codes`` (the edition's ICB, its practices)."""
    return frame[frame[column].isin(set(codes))].reset_index(drop=True)


# ------------------------------------------------------------------------- what the pages print

# Decimals as the reports print each figure (see each domain's report.py):
DECIMALS = {
    # scorecard/report.py: scores (score_<domain> too), deprivation and every indicator value, limit and
    # comparator with _number (one decimal place); registered patients and counts of indicators whole
    "scorecard_scores": {
        "score": 1, "previous_score": 1, "score_change": 1, "context_imd_2019": 1, "context_list_size": 0,
        "indicators_banded": 0, "reds": 0, "previous_reds": 0, "indicators_available": 0},
    "scorecard_indicators": {
        "value": 1, "lower95": 1, "upper95": 1, "lower998": 1, "upper998": 1, "icb_value": 1, "england_value": 1},
    # rtt/report.py HEADLINE_MEASURES: html.percent and html.one_dp (one decimal place), html.integer
    "rtt_summary": {"pct_within_18_weeks": 1, "median_weeks": 1, "p92_weeks": 1},
    # referrals/report.py: percentages with html.percent (one decimal place), counts with html.integer
    "referrals_monthly": {"pct_returned_or_cancelled": 1, "pct_urgent_booked_48h": 1, "pct_urgent_booked_5d": 1},
    # qipp/report.py: money() prints £m to one decimal place, pct() whole percentages
    "qipp_schemes": {"plan": 1, "due": 1, "delivered": 1, "forecast": 1, "best": 1, "middle": 1, "worse": 1,
                     "variance_sheet": 1, "variance": 1, "pct_delivered": 0},
}
# indicators whose numerator and denominator are counts of people or events (whole numbers); a ratio's
# are amounts (NHS payments in pounds and pence, weighted patients), kept to two decimal places
COUNT_TYPES = ("proportion", "rate")
AMOUNT_DECIMALS = 2


@dataclass(frozen=True)
class Scope(NamedMonth):
    """What an edition's downloads are for: its ICB, its month, the ICB's practices open in that month,
    and, for a domain whose files are another organisation's, what its report's heading says so with."""

    code: str                                      # the ICB, e.g. QNX
    name: str                                      # e.g. NHS Sussex ICB
    month: pd.Timestamp                            # the data month (its last day)
    practices: frozenset[str] = frozenset()        # the ICB's practices open in the month
    indicators: pd.DataFrame | None = None         # the scorecard's indicators as the pages publish them
    decimals: Mapping[str, int] = field(default_factory=dict)  # indicator id -> decimals its pages print
    elsewhere: Mapping[str, str] = field(default_factory=dict)  # domain -> 'data for ..., not ...'


@dataclass(frozen=True)
class Download:
    file: str           # its name in downloads/
    description: str    # one line on the index, in plain words
    frame: pd.DataFrame


def scorecard_scores(scores: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """Overall scores of the edition's practices (scored and not scored), rounded as the report prints them."""
    rows = within(scores, "practice_code", codes)
    domains = {column: 1 for column in rows.columns if column.startswith("score")}  # one per scorecard domain
    return rounded(rows, {**domains, **DECIMALS["scorecard_scores"]})


INDICATOR_COLUMNS = ["practice_code", "practice_name", "indicator_id", "indicator_name", "section", "unit",
                     "period", "latest_period", "numerator", "denominator", "value", "icb_value", "england_value",
                     "lower95", "upper95", "lower998", "upper998", "band", "compared_to_icb", "compared_to_england",
                     "suppression_reason"]


def _per_row(values: pd.Series, digits: pd.Series) -> pd.Series:
    """``values`` each rounded as printed to its own row's ``digits``: a column mixing whole numbers
    (kept whole) with figures to some decimals."""
    printed = {d: as_printed(values, d) for d in set(digits)}
    cells = [None if pd.isna(printed[d][i]) else (int(printed[d][i]) if d == 0 else printed[d][i])
             for i, d in zip(values.index, digits, strict=True)]
    return pd.Series(cells, index=values.index, dtype=object)


def scorecard_indicators(published: pd.DataFrame, practices: pd.DataFrame, codes: Iterable[str],
                         decimals: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Every indicator of the edition's practices, as the report publishes them (``published``: suppressed
    rows blanked, their band 'Suppressed'), each figure rounded as its page prints it: values, limits and
    comparators to the indicator's own ``decimals`` (by indicator id, as the catalogue gives them: whole
    registered patients; one place unless given), numerators and denominators whole for counts and to
    the penny for amounts."""
    rows = within(published, "practice_code", codes)
    names = practices.drop_duplicates("practice_code").set_index("practice_code")["practice_name"]
    rows = rows.assign(practice_name=rows["practice_code"].map(names),
                       latest_period=rows["period_rank"] == 1)
    rows = rows.sort_values(["practice_code", "section", "indicator_id", "period_rank"], ignore_index=True)
    figures = DECIMALS["scorecard_indicators"]
    out = rounded(rows.drop(columns=["numerator", "denominator", *figures]), {}, default=1)
    digits = rows["indicator_id"].map(decimals or {}).fillna(figures["value"]).astype(int)
    for column in figures:
        out[column] = _per_row(rows[column], digits)
    amounts = rows["type"].isin(COUNT_TYPES).map({True: 0, False: AMOUNT_DECIMALS})
    out["numerator"] = _per_row(rows["numerator"], amounts)
    out["denominator"] = _per_row(rows["denominator"], amounts)
    return out[[c for c in INDICATOR_COLUMNS if c in out.columns]]


def rtt_summary(summary: pd.DataFrame, icb: str, month: pd.Timestamp) -> pd.DataFrame:
    """The ICB's and England's waiting times by month, up to the edition's month, as the report prints them."""
    level = summary["org_level"].astype(str)
    keep = (((level == "icb") & (summary["org_code"] == icb)) | (level == "england")) & (summary["period"] <= month)
    rows = summary[keep].copy()
    rows["org_level"] = rows["org_level"].astype(str)
    rows = rows.sort_values(["period", "org_level", "rtt_part"], ascending=[True, False, True], ignore_index=True)
    return rounded(rows, DECIMALS["rtt_summary"])


# --------------------------------------------------------------------------------------- the list

QUARANTINE = "_quarantine"  # every stage's rows set aside: <domain>_quarantine, always offered
# quarantine tables whose files cover all of England (the practice-level sources), not the ICB alone
NATIONAL_QUARANTINES = {"scorecard": "the practice files, which cover every practice in England"}
QUARANTINE_SOURCES = {"referrals": "the referral gateway's extract", "qipp": "the QIPP tracker",
                      "actions": "the action plan", "board": "the national time series",
                      "rtt": "the waiting times extract", "organisation": "the organisation reference files"}


def with_quarantines(processed_dir: Path, tables: list[str]) -> list[str]:
    """``tables`` and every stage's quarantine table (the rows the data-quality appendix counts)."""
    quarantines = sorted(p.stem for p in processed_dir.glob(f"*{QUARANTINE}.parquet"))
    return list(dict.fromkeys([*tables, *quarantines]))


def _elsewhere(scope: Scope | None, domain: str) -> str:
    text = (scope.elsewhere.get(domain, "") if scope else "") or ""
    return f" ({text})" if text else ""


def _for_edition(scope: Scope | None, table: str) -> Scope:
    if scope is None:
        raise ValueError(f"the {table} download is for one edition: its ICB and month are needed")
    return scope


def _scorecard_scores(frame: pd.DataFrame, processed: Path, scope: Scope | None) -> Download:
    scope = _for_edition(scope, "scorecard_scores")
    rows = scorecard_scores(frame, scope.practices)
    return Download("scorecard_scores.csv", f"Overall score, band and movement of each of {scope.name}'s "
                    f"practices open in {scope.month_name}, scores to one decimal place as the report shows them", rows)


def _scorecard_indicators(frame: pd.DataFrame, processed: Path, scope: Scope | None) -> Download:
    scope = _for_edition(scope, "scorecard_indicators")
    practices = pd.read_parquet(processed / "organisation_practices.parquet", columns=["practice_code", "practice_name"])
    rows = scorecard_indicators(scope.indicators if scope.indicators is not None else frame, practices,
                                scope.practices, scope.decimals)
    return Download("scorecard_indicators.csv", f"Each indicator of {scope.name}'s practices: numerator, "
                    f"denominator, value, ICB and England values, 95% and 99.8% limits, band and comparisons; "
                    f"small numbers withheld as in the report", rows)


def _rtt_summary(frame: pd.DataFrame, processed: Path, scope: Scope | None) -> Download:
    scope = _for_edition(scope, "rtt_summary")
    return Download("rtt_summary_icb_and_england.csv", f"Waiting times by month to {scope.month_name} for "
                    f"{scope.name} and, for comparison, all of England: patients waiting, % within 18 weeks, "
                    f"long waits, median and 92nd percentile waits", rtt_summary(frame, scope.code, scope.month))


def _described(file: str, description: str, domain: str) -> Callable:
    def build(frame: pd.DataFrame, processed: Path, scope: Scope | None) -> Download:
        table = file.removesuffix(".csv")
        return Download(file, description + _elsewhere(scope, domain),
                        rounded(frame, DECIMALS.get(table, {}), default=DEFAULT_DECIMALS))
    return build


BUILDERS: dict[str, Callable[[pd.DataFrame, Path, Scope | None], Download]] = {
    "scorecard_scores": _scorecard_scores,
    "scorecard_indicators": _scorecard_indicators,
    "rtt_summary": _rtt_summary,
    "referrals_monthly": _described("referrals_monthly.csv", "Referrals received, booked, transferred and "
                                    "returned by month, with how quickly urgent referrals were booked", "referrals"),
    "qipp_schemes": _described("qipp_schemes.csv", "Every QIPP scheme: savings planned, due, delivered and "
                               "forecast in £ millions, with its ratings", "qipp"),
    "actions_plan": _described("actions_plan.csv", "Every action in the action plan: its lead, timescale, "
                               "due date and progress", "actions"),
}


def _quarantine(table: str, frame: pd.DataFrame, scope: Scope | None) -> Download:
    domain = table.removesuffix(QUARANTINE)
    if domain in NATIONAL_QUARANTINES:
        whose = f" not only {scope.name}'s" if scope else " not only the edition's ICB's"
        where = f"{NATIONAL_QUARANTINES[domain]},{whose}"
    else:
        where = QUARANTINE_SOURCES.get(domain, f"the {domain} input files")
    return Download(f"{download_stem(domain, 'quarantine')}.csv",
                    f"Rows set aside from {where}, each with its file, line, column, value and the reason"
                    + _elsewhere(scope, domain), rounded(frame, {}, default=DEFAULT_DECIMALS))


def download(table: str, processed: Path, scope: Scope | None = None) -> Download:
    """The download made from the processed table ``table`` for the edition ``scope``."""
    source = processed / f"{table}.parquet"
    if not source.exists():
        raise FileNotFoundError(f"publish.csv_exports names {table}, but {source} does not exist")
    frame = pd.read_parquet(source)
    if table in BUILDERS:
        return BUILDERS[table](frame, processed, scope)
    if table.endswith(QUARANTINE):
        return _quarantine(table, frame, scope)
    return Download(f"{table}.csv", f"The {table.replace('_', ' ')} figures",
                    rounded(frame, DECIMALS.get(table, {}), default=DEFAULT_DECIMALS))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (for Excel); text quoted (a CR inside a name stays inside its cell), numbers bare,
    missing values empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for_csv(frame).to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC, na_rep="")


def write(processed_dir: Path, dest: Path, tables: list[str], scope: Scope | None = None) -> list[dict]:
    """Each named table's download in ``dest`` (see :func:`download`); the index's entries.

    A table not in ``processed_dir`` is an error: the list in params.yaml names tables that exist.
    """
    entries = []
    for table in tables:
        made = download(table, processed_dir, scope)
        write_csv(made.frame, dest / made.file)
        entries.append({"title": made.file, "href": f"{dest.name}/{made.file}",
                        "note": f"{made.description} ({len(made.frame):,} rows)", "group": GROUP})
    return entries


KEPT = Path("build/cache/downloads")  # under the project root: an edition's downloads, by what makes them
KEEP = 3  # sets kept: this run's, and a couple to go back to
ENTRIES = ".entries.json"  # in a kept set: the index's entries for its files


def _scope_digest(scope: Scope | None) -> str:
    """Everything of ``scope`` a download is cut or worded by, as one hash."""
    if scope is None:
        return ""
    made = hashlib.sha256()
    for part in (scope.code, scope.name, f"{scope.month:%Y-%m-%d}", *sorted(scope.practices),
                 json.dumps(dict(scope.decimals), sort_keys=True), json.dumps(dict(scope.elsewhere), sort_keys=True)):
        hash_part(made, "part", str(part).encode())
    if scope.indicators is not None:
        hash_part(made, "indicators", pd.util.hash_pandas_object(scope.indicators).to_numpy().tobytes())
        hash_part(made, "columns", repr(list(scope.indicators.columns)).encode())
    return made.hexdigest()


def write_kept(root: Path, processed_dir: Path, dest: Path, tables: list[str], scope: Scope | None = None) -> list[dict]:
    """:func:`write`'s downloads, kept under a hash of what they are made from (the processed tables,
    ``scope`` and the package's code, :func:`helpers.render.kept.key`): an edition whose tables and
    scope are as before (a report setting changed, say) copies the last one's."""
    from helpers.render import kept

    key = kept.key(root, "downloads", {"tables": tables, "scope": _scope_digest(scope)},
                   [processed_dir.relative_to(root).as_posix()])
    written = []

    def fill(folder: Path) -> None:  # written for this edition, then kept
        written.extend(write(processed_dir, dest, tables, scope))
        if written:
            shutil.copytree(dest, folder)
        else:  # no downloads asked for: a set of none
            folder.mkdir()
        (folder / ENTRIES).write_text(json.dumps(written), encoding="utf-8")

    site = kept_folder(root / KEPT, key, fill, made=ENTRIES, keep=KEEP)
    entries = json.loads((site / ENTRIES).read_text(encoding="utf-8"))
    if entries and not written:  # kept by an earlier edition
        shutil.copytree(site, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(ENTRIES))
    return entries


# --------------------------------------------------------------------------------- the edition's

def edition_scope(root: Path, chosen: dict | None = None) -> Scope:
    """The edition's scope, as its reports resolve it: the organisation and period chosen for this run
    (build/run.yaml, else the top of params.yaml), the ICB's practices open in the month, the scorecard's
    indicators suppressed as its pages are, and what each tracker's heading says when its files are
    another organisation's."""
    from helpers.core.config import Project
    from helpers.domains.organisation import edition
    from helpers.domains.organisation import measures as organisation
    from helpers.pipeline import settings, stages

    project = Project(root)
    scope = settings.edition(root, chosen)
    found = edition.load(project, scope["organisation"], scope["period"])
    practices = pd.read_parquet(project.table_path("organisation", "practices"))
    practices = practices[practices["icb_code"] == found.code]
    codes = frozenset(practices.loc[organisation.is_open(practices, found.month), "practice_code"])
    indicators, decimals = None, {}
    if project.table_path("scorecard", "indicators").exists():
        from helpers.domains.scorecard import CATALOGUE
        from helpers.domains.scorecard import measures as catalogue
        report = settings.for_stage(stages.by_name()["report_scorecard"], root, chosen=chosen)
        indicators = catalogue.published_indicators(pd.read_parquet(project.table_path("scorecard", "indicators")),
                                                    report.suppression)
        decimals = {ind.id: ind.decimals for ind in catalogue.load_catalogue(root / CATALOGUE)}
    return Scope(found.code, found.name, found.month, codes, indicators, decimals, _headings(project, root, chosen))


ELSEWHERE_STAGES = ("report_referrals", "report_qipp", "report_actions")  # files perhaps another organisation's


def _headings(project, root: Path, chosen: dict | None) -> dict[str, str]:
    """Domain -> what its report's heading adds when its files are not the edition's ('' when they are)."""
    import importlib

    from helpers.core.errors import InputMissingError
    from helpers.pipeline import settings, stages

    found = {}
    for name in ELSEWHERE_STAGES:
        stage = stages.by_name()[name]
        report = settings.for_stage(stage, root, chosen=chosen)
        if getattr(report, "same_edition", True):
            continue
        try:
            data = importlib.import_module(stage.module).load(project, report)
        except InputMissingError:  # a domain not run: it offers no download either
            continue
        found[stage.domain] = data.elsewhere
    return found
