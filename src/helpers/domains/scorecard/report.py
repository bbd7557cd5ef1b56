"""Scorecard report: the board section (league table, funnels, heat-map, trend) and practice packs.

Everything here reads the processed tables and applies the suppression policy *before* any
figure reaches a page (:func:`helpers.domains.scorecard.measures.published_indicators`). Bands are
written as words and shown in colour; charts carry alt text; tables have captions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.core.config import Project
from helpers.domains.organisation import edition
from helpers.domains.organisation import measures as organisation
from helpers.domains.organisation.edition import Edition
from helpers.domains.scorecard import CATALOGUE, TABLES
from helpers.domains.scorecard import measures as scorecard
from helpers.domains.scorecard.settings import ReportSettings
from helpers.methods import stats, suppression
from helpers.render import html, plots, template

DOMAIN = "scorecard"
BAND_KIND = {scorecard.GOOD: "good", scorecard.ACCEPTABLE: "neutral", scorecard.UNACCEPTABLE: "bad"}
BAND_COLOUR = {scorecard.GOOD: html.NHS_GREEN, scorecard.ACCEPTABLE: html.NHS_WARM_YELLOW,
               scorecard.UNACCEPTABLE: html.NHS_RED, scorecard.NOT_BANDED: html.NHS_PALE_GREY}
COMPARE_KIND = {stats.BETTER: "good", stats.WORSE: "bad"}


_CACHE: dict = {}


def _tables(project: Project) -> dict:
    """The processed tables (and every practice's organisation); kept in memory while they are
    unchanged (packs reuse one kernel)."""
    paths = {name: project.table_path(DOMAIN, name) for name in TABLES}
    paths["practices"] = project.table_path("organisation", "practices")
    provenance = project.provenance_path(DOMAIN)
    key = tuple((str(p), p.stat().st_mtime_ns) for p in (*paths.values(), provenance))
    if key not in _CACHE:
        _CACHE.clear()
        tables = {name: pd.read_parquet(path) for name, path in paths.items()}
        tables["provenance"] = json.loads(provenance.read_text(encoding="utf-8"))
        tables["version"] = key  # what the per-edition cache below is keyed on
        _CACHE[key] = tables
    return _CACHE[key]


@dataclass
class ReportData:
    """The edition's ICB: its open practices' published (suppressed) indicators and scores, the
    practices not scored and why, the closed and dormant ones, and the catalogue."""

    tables: dict                  # every practice in the sources, as processed
    settings: ReportSettings
    edition: Edition
    indicators: pd.DataFrame      # the ICB's open practices', suppressed for publication
    scores: pd.DataFrame          # the ICB's scored practices, by rank
    unscored: pd.DataFrame        # open practices not scored (too few indicators), with the reason
    closed: pd.DataFrame          # the ICB's closed and dormant practices, with their close dates
    codes: set[str]               # the ICB's practices open in the edition's month
    catalogue: list

    @property
    def where(self) -> str:
        return self.edition.name

    @property
    def synthetic(self) -> bool:
        return bool(self.tables["provenance"].get("synthetic_inputs"))

    @property
    def quarantine(self) -> pd.DataFrame:
        return self.tables["quarantine"]


def load(project: Project, settings: ReportSettings) -> ReportData:
    tables = _tables(project)
    scope = edition.load(project, settings.organisation, settings.period)
    return ReportData(tables, settings, scope, *edition_practices(tables, settings, scope),
                      scorecard.load_catalogue(project.path(CATALOGUE)))


_SCOPES: dict = {}


def edition_practices(tables: dict, settings: ReportSettings, scope: Edition) -> tuple:
    """(indicators, scores, unscored, closed, open codes) of the edition's ICB (kept while the tables
    and settings are unchanged, so a run of packs filters and suppresses once)."""
    key = (tables.get("version", id(tables)), settings, scope)
    if key not in _SCOPES:
        _SCOPES.clear()
        practices = tables["practices"][tables["practices"]["icb_code"] == scope.code]
        opened = organisation.is_open(practices, scope.month)
        codes = set(practices.loc[opened, "practice_code"])
        scores = tables["scores"][tables["scores"]["practice_code"].isin(codes)]
        scored = scores["band"] != scorecard.NOT_SCORED
        closed = practices[~opened].sort_values(["close_date", "practice_code"], ignore_index=True)
        indicators = scorecard.published_indicators(tables["indicators"], settings.suppression)
        _SCOPES[key] = (indicators[indicators["practice_code"].isin(codes)], scores[scored].reset_index(drop=True),
                        scores[~scored].reset_index(drop=True), closed, codes)
    return _SCOPES[key]


def band_label(value) -> str:
    """A band as a word in a coloured label: green Good, amber Acceptable, red Unacceptable."""
    if pd.isna(value):
        return ""
    return template("scorecard/band.html", band=str(value), acceptable=value == scorecard.ACCEPTABLE,
                    kind=BAND_KIND.get(value, "neutral"))


def compare_label(value) -> str:
    if pd.isna(value) or value == "":
        return ""
    return html.status(str(value), COMPARE_KIND.get(value, "neutral"))


def _number(value, digits=1) -> str:
    return "" if pd.isna(value) else f"{value:,.{digits}f}"


# -------------------------------------------------------------------------------------- tables

def league_table(scores: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame({
        "Practice": scores["practice_name"].fillna(scores["practice_code"]) + " (" + scores["practice_code"] + ")",
        "PCN": scores["pcn_code"],
        "Score": scores["score"],
        "Overall band": scores["band"],
        "Movement": scores["movement"],
        "Unacceptable indicators": scores["reds"],
        "Contract review": np.where(scores["contract_review"], "Yes", "No"),
        "Deprivation (IMD 2019)": scores.get("context_imd_2019"),
        "Registered patients": scores.get("context_list_size"),
    })
    return table


PACKS_DIR = "build/packs"  # where the packs stage writes them (domains/scorecard/packs.py)
PACKS_FOLDER = PACKS_DIR.rsplit("/", 1)[-1]  # where publishing puts them, beside this page


def pack_file(practice_code: str) -> str:
    return f"{practice_code}.html"


def league_html(scores: pd.DataFrame, caption: str) -> str:
    """The league table, each practice linked to its pack (packs sit in the edition's packs/ folder)."""
    table = league_table(scores)
    table["Practice"] = [html.link(text, f"{PACKS_FOLDER}/{pack_file(code)}")
                         for text, code in zip(table["Practice"], scores["practice_code"])]
    return html.table(table, caption=caption, raw_html={"Overall band", "Practice"},
                      formats={"Score": _number, "Overall band": band_label,
                               "Deprivation (IMD 2019)": _number, "Registered patients": html.integer})


def indicator_summary(indicators: pd.DataFrame) -> pd.DataFrame:
    latest = indicators[(indicators["period_rank"] == 1) & (indicators["type"] != "context")]
    rows = []
    for (_, name), group in latest.groupby(["indicator_id", "indicator_name"], sort=False):
        counts = group["band"].value_counts()
        rows.append({"Indicator": name, "Section": group["section"].iloc[0], "Period": group["period"].iloc[0],
                     "Practices": len(group), "Good": counts.get(scorecard.GOOD, 0),
                     "Acceptable": counts.get(scorecard.ACCEPTABLE, 0),
                     "Unacceptable": counts.get(scorecard.UNACCEPTABLE, 0),
                     "Worse than England": (group["compared_to_england"] == stats.WORSE).sum(),
                     "Suppressed": (group["band"] == suppression.SUPPRESSED).sum()})
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------- charts

def funnel_figure(rows: pd.DataFrame, *, title: str, multiplier: float, kind: str, unit: str,
                  highlight: str | None = None):
    """Practices' values against their denominators with 95% and 99.8% limits around the pooled value."""
    plots.use_house_style()
    data = rows.dropna(subset=["numerator", "denominator", "value"])
    data = data[data["denominator"] > 0]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    if data.empty:
        ax.text(0.5, 0.5, "No publishable values", ha="center", transform=ax.transAxes)
        return fig
    limits_of = stats.proportion_funnel_limits if kind == "proportion" else stats.rate_funnel_limits
    limits = limits_of(data["numerator"], data["denominator"], multiplier=multiplier)
    ax.plot(limits["population"], limits["baseline"], color=html.NHS_DARK_GREY, linewidth=1.2, label="Average")
    for suffix, style, label in (("95_0", "--", "95% limits"), ("99_8", ":", "99.8% limits")):
        ax.plot(limits["population"], limits[f"lower{suffix}"], color=html.NHS_BLUE, linestyle=style, label=label)
        ax.plot(limits["population"], limits[f"upper{suffix}"], color=html.NHS_BLUE, linestyle=style)
    colours = [BAND_COLOUR.get(b, html.NHS_MID_GREY) for b in data["band"]]
    ax.scatter(data["denominator"], data["value"], c=colours, edgecolors=html.NHS_DARK_GREY, s=28, zorder=3)
    if highlight is not None and highlight in set(data["practice_code"]):
        own = data[data["practice_code"] == highlight]
        ax.scatter(own["denominator"], own["value"], s=140, facecolors="none", edgecolors="black", linewidths=2,
                   zorder=4, label="This practice")
    if kind == "rate":  # limits at tiny populations would squash the practices into a line
        ax.set_ylim(0, max(data["value"].max(), limits["baseline"].iloc[0]) * 1.4)
    ax.set_xlabel("Denominator (patients)")
    ax.set_ylabel(unit or "Value")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def heatmap_figure(indicators: pd.DataFrame, scores: pd.DataFrame, max_practices: int = 60):
    """Practices (rows, by score) x indicators (columns) coloured by band, band initial in each cell."""
    plots.use_house_style()
    latest = indicators[(indicators["period_rank"] == 1) & (indicators["type"] != "context")]
    order = list(scores["practice_code"])[:max_practices]
    names = latest.drop_duplicates("indicator_id").set_index("indicator_id")["indicator_name"]
    grid = latest.pivot_table(index="practice_code", columns="indicator_id", values="band", aggfunc="first")
    grid = grid.reindex(index=[c for c in order if c in grid.index])
    palette = {scorecard.GOOD: 0, scorecard.ACCEPTABLE: 1, scorecard.UNACCEPTABLE: 2}
    numbers = grid.apply(lambda col: col.map(palette)).astype(float)
    fig, ax = plt.subplots(figsize=(1.0 * len(grid.columns) + 3, 0.28 * len(grid) + 2))
    cmap = matplotlib.colors.ListedColormap([html.NHS_GREEN, html.NHS_WARM_YELLOW, html.NHS_RED])
    ax.imshow(numbers.to_numpy(), cmap=cmap, vmin=0, vmax=2, aspect="auto")
    for (i, j), value in np.ndenumerate(grid.to_numpy()):
        text = {scorecard.GOOD: "G", scorecard.ACCEPTABLE: "A", scorecard.UNACCEPTABLE: "U"}.get(value, "-")
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if text in "GU" else "black")
    ax.set_xticks(range(len(grid.columns)), [plots.wrapped(names.get(c, c)) for c in grid.columns], rotation=40,
                  ha="right", fontsize=8)
    practice = scores.set_index("practice_code")["practice_name"].fillna("")
    ax.set_yticks(range(len(grid.index)), [f"{practice.get(c) or ''} ({c})".strip() for c in grid.index], fontsize=7)
    ax.grid(False)
    fig.tight_layout()
    return fig


def trend_figure(indicators: pd.DataFrame, indicator_id: str, highlight: str | None = None):
    """The pooled value per period (and one practice's own, if given)."""
    plots.use_house_style()
    rows = indicators[indicators["indicator_id"] == indicator_id].dropna(subset=["numerator", "denominator"])
    pooled = rows.groupby("period")[["numerator", "denominator"]].sum()
    mult = 100 if rows["type"].iloc[0] == "proportion" else 1000
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(pooled.index, pooled["numerator"] / pooled["denominator"] * mult, marker="o", color=html.NHS_BLUE,
            label="All practices in scope")
    if highlight is not None:
        own = indicators[(indicators["indicator_id"] == indicator_id) & (indicators["practice_code"] == highlight)]
        own = own.sort_values("period")
        ax.plot(own["period"], own["value"], marker="s", color=html.NHS_DARK_GREY, label="This practice")
    ax.set_title(rows["indicator_name"].iloc[0])
    plots.from_zero(ax)
    ax.set_ylabel(rows["unit"].iloc[0])
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------- board section

@html.once_per_report
def headline_section(data: ReportData) -> str:
    scores = data.scores
    return template("scorecard/headline.html", where=data.where, practices=len(scores), open=len(data.codes),
                    good=(scores["band"] == scorecard.GOOD).sum(), unacceptable=(scores["band"] == scorecard.UNACCEPTABLE).sum(),
                    reviews=int(scores["contract_review"].sum()))


@html.once_per_report
def league_section(data: ReportData) -> str:
    league = league_html(data.scores, f"Practices by overall score, {data.where}: band, movement since the previous "
                                      "period, Unacceptable indicators; deprivation and list size shown as context, "
                                      "not scored")
    indicators = html.table(indicator_summary(data.indicators),
                            caption="Practices per band for each indicator (latest period)")
    return template("scorecard/league.html", league=league, indicators=indicators)


def _figure(fig, *, alt: str, caption: str) -> html.Fragment:
    """The figure embedded, and closed (a report draws many)."""
    try:
        return html.figure(fig, alt=alt, caption=caption)
    finally:
        plt.close(fig)


@html.once_per_report
def funnel_section(data: ReportData) -> str:
    figures = []
    for ind in data.catalogue:
        if ind.type not in ("proportion", "rate"):
            continue
        rows = data.indicators[(data.indicators["indicator_id"] == ind.id) & (data.indicators["period_rank"] == 1)]
        if rows["value"].notna().sum() == 0:
            continue
        fig = funnel_figure(rows, title=ind.name, multiplier=ind.multiplier, kind=ind.type, unit=ind.unit)
        figures.append(_figure(fig, alt=f"Funnel plot of {ind.name}: each practice's value against its denominator, "
                                        f"with 95% and 99.8% control limits around the average; points coloured by band",
                               caption=f"{ind.name}, {rows['period'].iloc[0]}"))
    return template("scorecard/figures.html", title="Funnel plots", figures=figures)


@html.once_per_report
def heatmap_section(data: ReportData) -> str:
    figure = _figure(heatmap_figure(data.indicators, data.scores),
                     alt="Heat-map of practices by indicators; each cell coloured and lettered by band: G Good, "
                         "A Acceptable, U Unacceptable", caption="Bands by practice and indicator")
    return template("scorecard/figures.html", title="Heat-map of bands", figures=[figure])


def trended_indicators(data: ReportData) -> list:
    """Indicators with more than one period among the organisation's practices."""
    return [i for i in data.catalogue if i.type in ("proportion", "rate")
            and data.indicators.loc[data.indicators["indicator_id"] == i.id, "period"].nunique() > 1]


@html.once_per_report
def trend_section(data: ReportData) -> str:
    trended = trended_indicators(data)
    if not trended:
        return ""
    figures = [_figure(trend_figure(data.indicators, ind.id), alt=f"Line chart of {ind.name} by period for all "
                       "practices in scope", caption=f"{ind.name} by period") for ind in trended]
    return template("scorecard/figures.html", title="Trend", figures=figures)


def quarantine_table(data: ReportData) -> pd.DataFrame:
    """Source rows set aside, by source and reason."""
    summary = data.quarantine.groupby(["source", "reason"]).size().rename("rows").reset_index()
    summary["reason"] = summary["reason"].str.replace(r" \(first at line \d+\)", "", regex=True)
    return summary.groupby(["source", "reason"], as_index=False)["rows"].sum()


@html.once_per_report
def quality_section(data: ReportData) -> str:
    quarantine = data.quarantine
    table = html.table(quarantine_table(data), caption="Quarantined rows by source and reason") if len(quarantine) else None
    return template("scorecard/quality.html", quarantined=len(quarantine), table=table,
                    policy=suppression.policy(data.settings.suppression.rule()).describe())


SECTIONS = [headline_section, league_section, funnel_section, heatmap_section, trend_section, quality_section]


def board_section(project: Project, settings: ReportSettings, data: ReportData | None = None) -> str:
    """The scorecard's section of the board paper: its sections in order (level 2 and 3 headings only).
    ``data``: the report's, loaded already (its sections, drawn for its page, are not drawn again)."""
    data = data or load(project, settings)
    return html.Fragment("\n".join(section(data) for section in SECTIONS))


# -------------------------------------------------------------------------------- practice pack

def _for_frame(cache: dict, indicators: pd.DataFrame, *key) -> dict:
    """``cache``, emptied unless it was filled for this very frame of indicators (a run of packs asks
    about one frame many times) and the same ``key``. The frame itself is kept in it, so its id cannot
    be reused by another frame meanwhile."""
    if cache.get("indicators") is not indicators or cache.get("key") != (len(indicators), *key):
        cache.clear()
        cache.update(indicators=indicators, key=(len(indicators), *key))
    return cache


def _kept_or_made(kept: dict, key, make):
    """``kept[key]``, made first if missing; at most :data:`_MAX_LAYERS` kept (all dropped when full)."""
    if key not in kept:
        if len(kept) >= _MAX_LAYERS:
            kept.clear()
        kept[key] = make()
    return kept[key]


_BY_PRACTICE: dict = {}


def practice_rows(indicators: pd.DataFrame, practice_code: str) -> pd.DataFrame:
    """The rows of ``indicators`` for one practice (where they are is found once for a run of packs)."""
    cache = _for_frame(_BY_PRACTICE, indicators)
    if "where" not in cache:
        cache["where"] = indicators.groupby("practice_code", sort=False).indices
    return indicators.iloc[cache["where"].get(practice_code, [])]


def latest_rows(indicators: pd.DataFrame, practice_code: str) -> pd.DataFrame:
    """The practice's rows of the latest period, in the pack table's order (section, then indicator)."""
    mine = practice_rows(indicators, practice_code)
    return mine[mine["period_rank"] == 1].sort_values(["section", "indicator_id"])


def pack_table(indicators: pd.DataFrame, practice_code: str, catalogue: list = ()) -> pd.DataFrame:
    """The practice's latest value of each indicator beside the one before it (blank where there is
    none), its limits, the ICB and England, the comparisons, the band and (given the catalogue) the
    band's thresholds."""
    mine = practice_rows(indicators, practice_code)
    own = latest_rows(indicators, practice_code)
    before = mine[mine["period_rank"] == 2].drop_duplicates("indicator_id").set_index("indicator_id")["value"]
    thresholds = {ind.id: threshold_text(ind) for ind in catalogue}
    table = pd.DataFrame({
        "Section": own["section"], "Indicator": own["indicator_name"], "Period": own["period"],
        "Value": own["value"], "Previous": own["indicator_id"].map(before).astype(float), "95% limits": [
            "" if pd.isna(lo) else f"{lo:,.1f} to {hi:,.1f}" for lo, hi in zip(own["lower95"], own["upper95"])],
        "ICB": own["icb_value"], "England": own["england_value"],
        "vs ICB": own["compared_to_icb"], "vs England": own["compared_to_england"], "Band": own["band"],
    })
    if catalogue:
        table[THRESHOLDS] = own["indicator_id"].map(thresholds).fillna(DASH)
    return table


DASH = "\u2013"  # what a table shows where there is no figure
THRESHOLDS = "Thresholds"  # Good / Acceptable, on the value's scale (the pack's note says)


def _dash(value) -> str:
    """A number to one decimal place, or a dash where there is none."""
    return DASH if pd.isna(value) else _number(value)


def threshold_text(ind) -> str:
    """An indicator's band thresholds as the pack table prints them: '\u226595 / \u226590' (high is good),
    '\u2264600 / \u2264900' (low is good), a dash where it is not banded."""
    if not ind.thresholds or ind.type == "context":
        return DASH
    sign = "\u2265" if ind.polarity == stats.HIGH_IS_GOOD else "\u2264"
    good, acceptable = (float(ind.thresholds[k]) for k in ("good", "acceptable"))
    return f"{sign}{good:,g} / {sign}{acceptable:,g}"


def _pack_score(data: ReportData, practice_code: str) -> dict | None:
    """The practice's overall result as the pack prints it (None when it has no scored indicators)."""
    row = data.scores[data.scores["practice_code"] == practice_code]
    if row.empty:
        return None
    r = row.iloc[0]
    return {"score": _number(r["score"]), "band": str(r["band"]), "band_label": band_label(r["band"]),
            "movement": str(r["movement"]), "rank": list(data.scores["practice_code"]).index(practice_code) + 1,
            "peers": len(data.scores), "reds": f"{int(r['reds'])}", "contract_review": bool(r["contract_review"]),
            "imd": _number(r.get("context_imd_2019")), "list_size": r.get("context_list_size")}


def to_look_at(indicators: pd.DataFrame, practice_code: str) -> list[str]:
    """The pack's short list: the practice's indicators Unacceptable, or Worse than the ICB, latest period."""
    own = latest_rows(indicators, practice_code)
    lines = []
    for _, r in own.iterrows():
        why = [w for w, hit in (("Unacceptable", r["band"] == scorecard.UNACCEPTABLE),
                                ("worse than the ICB", r["compared_to_icb"] == stats.WORSE)) if hit]
        if why:
            lines.append(f"{r['indicator_name']}: {' and '.join(why)} ({_with_unit(r['value'], r['unit'])}, "
                         f"ICB {_with_unit(r['icb_value'], r['unit'])})")
    return lines


def _with_unit(value, unit) -> str:
    """'92.1%', '£154.2', '640.0 per 1,000', or 'no value'."""
    if pd.isna(value):
        return "no value"
    unit = "" if pd.isna(unit) else str(unit)
    return f"£{_number(value)}" if unit == "£" else f"{_number(value)}{unit if unit in ('', '%') else ' ' + unit}"


# ------------------------------------------------------------------- spine chart and trends

NHS_LIGHT_BLUE = "#41B6E6"
# the practice's point on the spine: its comparison with the ICB, in the indicator's polarity
SPINE_COLOUR = {stats.BETTER: html.NHS_GREEN, stats.SIMILAR: html.NHS_WARM_YELLOW, stats.WORSE: html.NHS_RED}
NOT_JUDGED, NOT_COMPARED = "Not judged", "Not compared"
SPINE_KEY = {stats.BETTER: html.NHS_GREEN, stats.SIMILAR: html.NHS_WARM_YELLOW, stats.WORSE: html.NHS_RED,
             NOT_JUDGED: NHS_LIGHT_BLUE, NOT_COMPARED: "white"}
SPINE_RANGE, SPINE_MIDDLE = "#D5DDE0", "#8FA1AB"  # lowest to highest practice; 25th to 75th percentile
SPINE_ENGLAND = html.NHS_DARK_BLUE
SPINE_POINT = {"s": 36, "edgecolors": html.NHS_DARK_GREY, "linewidths": 1}
SPINE_COLUMNS = ["indicator_id", "indicator_name", "polarity", "unit", "period", "value", "compared_to_icb",
                 "england_value"]
SPINE_ROW_INCHES, SPINE_EDGE_INCHES = 0.2, 0.6


def _spread(indicators: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, the spread of the latest values of the practices in ``indicators``."""
    latest = indicators[indicators["period_rank"] == 1]
    values = latest.dropna(subset=["value"]).groupby("indicator_id")["value"]
    return pd.DataFrame({"icb_lowest": values.min(), "icb_q25": values.quantile(0.25),
                         "icb_q75": values.quantile(0.75), "icb_highest": values.max(), "practices": values.size()})


_SPREADS: dict = {}


def spine_rows(indicators: pd.DataFrame, practice_code: str) -> pd.DataFrame:
    """What the practice's spine chart shows, one row per indicator of its pack table (latest period):
    its value and comparison with the ICB, the England value, and the spread of the values of the
    ICB's practices (every practice in ``indicators``) in that period: ``icb_lowest``, ``icb_q25``,
    ``icb_q75``, ``icb_highest`` and ``practices``. Indicators no practice has a value for are left out."""
    cache = _for_frame(_SPREADS, indicators)
    if "spread" not in cache:
        cache["spread"] = _spread(indicators)  # once a run
    own = latest_rows(indicators, practice_code)[SPINE_COLUMNS].drop_duplicates("indicator_id")
    return own.join(cache["spread"], on="indicator_id", how="inner").reset_index(drop=True)


def spine_class(polarity, compared) -> str:
    """The key entry of the practice's point: Better, Similar or Worse than the ICB where the
    indicator is judged, Not judged where it is not, Not compared where there is no comparison."""
    if compared in SPINE_COLOUR and polarity != stats.NO_JUDGEMENT:
        return str(compared)
    if compared in (stats.HIGHER, stats.LOWER, stats.SIMILAR):
        return NOT_JUDGED
    return NOT_COMPARED


def spine_scale(row) -> tuple[float, float, bool]:
    """A spine row's scale: (lowest, highest, flipped) over the ICB's practices and England; flipped
    for low is good, so that better is always to the right (as Fingertips draws it)."""
    known = [v for v in (row["icb_lowest"], row["icb_highest"], row["england_value"]) if pd.notna(v)]
    return min(known), max(known), row["polarity"] == stats.LOW_IS_GOOD


def spine_position(value, scale: tuple[float, float, bool]) -> float:
    """Where ``value`` sits on a row's scale: 0 worst (or lowest) to 1 best (or highest)."""
    low, high, flip = scale
    span = high - low or 1.0
    return float("nan") if pd.isna(value) else ((high - value) if flip else (value - low)) / span


def spine_figure(rows: pd.DataFrame, dpi: float | None = None):
    """The spine chart's shared part: a row per indicator on its own scale, the ICB's practices from
    lowest to highest (darker from the 25th to the 75th percentile), England as a line, and the key.
    The practice's points go on it by :class:`SpineMarker` (or :func:`spine_points` on the axes)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    plots.use_house_style()
    n = len(rows)
    height = SPINE_ROW_INCHES * n + SPINE_EDGE_INCHES
    fig, ax = plt.subplots(figsize=(7.4, height), dpi=dpi or PACK_DPI * 1.25)
    fig.subplots_adjust(left=0.31, right=0.98, top=1 - 0.2 / height, bottom=0.42 / height)
    for y, (_, row) in enumerate(rows.iterrows()):
        scale = spine_scale(row)
        for low, high, colour in ((row["icb_lowest"], row["icb_highest"], SPINE_RANGE),
                                  (row["icb_q25"], row["icb_q75"], SPINE_MIDDLE)):
            left, right = sorted((spine_position(low, scale), spine_position(high, scale)))
            ax.barh(y, max(right - left, 0.004), left=left, height=0.62, color=colour, linewidth=0)
        if pd.notna(row["england_value"]):
            x = spine_position(row["england_value"], scale)
            ax.plot([x, x], [y - 0.4, y + 0.4], color=SPINE_ENGLAND, linewidth=2.2, zorder=3)
    ax.set_yticks(range(n), [plots.wrapped(name, 44) for name in rows["indicator_name"]], fontsize=7)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.03, 1.03)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    for x, text, align in ((0, "Worst or lowest", "left"), (1, "Best or highest", "right")):
        ax.annotate(text, (x, 1), xycoords="axes fraction", xytext=(0, 2), textcoords="offset points",
                    ha=align, va="bottom", fontsize=7, color=html.NHS_DARK_GREY)
    handles = [Patch(color=SPINE_RANGE, label="ICB practices, lowest to highest"),
               Patch(color=SPINE_MIDDLE, label="25th to 75th percentile"),
               Line2D([], [], color=SPINE_ENGLAND, linewidth=2.2, label="England"),
               *(Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=colour,
                        markeredgecolor=html.NHS_DARK_GREY, label=f"{label} than the ICB" if label in SPINE_COLOUR
                        else f"{label}: higher or lower is neither good nor bad" if label == NOT_JUDGED else label)
                 for label, colour in SPINE_KEY.items())]
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0), ncol=4, fontsize=6.5, frameon=False,
               handlelength=1.4, columnspacing=1.2)
    return fig, ax


def spine_points(rows: pd.DataFrame) -> tuple[list[tuple[float, float]], list[str]]:
    """The practice's points on the spine, in data coordinates (position, row), and their colours."""
    points, colours = [], []
    for y, (_, row) in enumerate(rows.iterrows()):
        if pd.notna(row["value"]):
            points.append((spine_position(row["value"], spine_scale(row)), float(y)))
            colours.append(SPINE_KEY[spine_class(row["polarity"], row["compared_to_icb"])])
    return points, colours


@dataclass
class SpineLayer:
    """The spine chart of a set of indicators without any practice's points, drawn once for every pack
    showing those indicators (the ICB's spread and England's value are the same for them all):
    ``pixels`` (RGBA, top row first) and the transform of its axes (data to pixels from the bottom left)."""

    pixels: np.ndarray
    dpi: float
    ids: tuple[str, ...]
    transform: np.ndarray   # 3x3 affine matrix: (position, row) to pixels


def spine_layer(rows: pd.DataFrame) -> SpineLayer:
    fig, ax = spine_figure(rows)
    try:
        fig.canvas.draw()
        return SpineLayer(np.array(fig.canvas.buffer_rgba()), float(fig.dpi), tuple(rows["indicator_id"]),
                          ax.transData.get_affine().get_matrix().copy())
    finally:
        plt.close(fig)


class _OnLayer:
    """A drawing surface holding a layer's picture (``pixels`` at ``dpi``): the picture drawn once and
    kept (``clean``), to be put back before each practice's marks are drawn over it in ``axes``
    (which work in pixels)."""

    def __init__(self, layer):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.layer = layer
        height, width = layer.pixels.shape[:2]
        self.figure = Figure(figsize=(width / layer.dpi, height / layer.dpi), dpi=layer.dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.figimage(layer.pixels, origin="upper", resize=True)
        self.canvas.draw()
        self.clean = self.canvas.copy_from_bbox(self.figure.bbox)
        self.axes = self.figure.add_axes((0, 0, 1, 1))
        self.axes.set_axis_off()


class SpineMarker(_OnLayer):
    """Puts one practice's points at a time on a :class:`SpineLayer` (the picture put back first)."""

    def __init__(self, layer: SpineLayer):
        from matplotlib.transforms import IdentityTransform

        super().__init__(layer)
        self.points = self.axes.scatter([0.0], [0.0], transform=IdentityTransform(), zorder=4, **SPINE_POINT)

    def pixels(self, rows: pd.DataFrame) -> np.ndarray:
        self.canvas.restore_region(self.clean)
        points, colours = spine_points(rows)
        if points:
            where = np.c_[np.asarray(points), np.ones(len(points))] @ self.layer.transform.T
            self.points.set_offsets(where[:, :2])
            self.points.set_facecolors(colours)
            self.axes.draw_artist(self.points)
        return np.asarray(self.canvas.buffer_rgba())

    def png(self, rows: pd.DataFrame) -> bytes:
        return html.compact_png_pixels(self.pixels(rows), colours=64, compress_level=PACK_PNG_LEVEL)


_SPINES: dict = {}


def _spine_markers(indicators: pd.DataFrame) -> dict:
    """The spine markers kept for this frame of indicators (a run of packs), by set of indicators."""
    return _for_frame(_SPINES, indicators).setdefault("markers", {})


def _spine_marker(indicators: pd.DataFrame, rows: pd.DataFrame) -> SpineMarker:
    """The spine layer of these rows' indicators and its marker, drawn once while the same frame of
    indicators is asked about (unless handed over, :func:`use_spine_layers`): packs showing the same
    indicators share one."""
    return _kept_or_made(_spine_markers(indicators), tuple(rows["indicator_id"]),
                         lambda: SpineMarker(spine_layer(rows)))


def spine_layers(indicators: pd.DataFrame, codes) -> list[SpineLayer]:
    """A spine layer for each distinct set of indicators the packs of ``codes`` show: all the drawing
    their spine charts need."""
    layers: dict = {}
    for code in codes:
        rows = spine_rows(indicators, code)
        key = tuple(rows["indicator_id"])
        if key and key not in layers:
            layers[key] = spine_layer(rows)
    return list(layers.values())


def use_spine_layers(indicators: pd.DataFrame, layers: list[SpineLayer]) -> None:
    """Use ``layers`` (drawn elsewhere, from these indicators) for the spine charts of these indicators'
    packs, each for the packs showing its set of indicators."""
    markers = _spine_markers(indicators)
    for layer in layers:
        if not (layer.ids in markers and markers[layer.ids].layer is layer):
            markers[layer.ids] = SpineMarker(layer)


def spine_alt(rows: pd.DataFrame) -> str:
    return (f"Spine chart of {len(rows)} indicators: for each, the range of values of the ICB's practices from "
            "lowest to highest, darker from the 25th to the 75th percentile, England's value as a line and this "
            "practice's value as a point coloured by its comparison with the ICB: green better, amber similar, "
            "red worse, blue not judged, white not compared. Better values to the right; the figures are in the "
            "results table above and the table under the chart.")


def spine_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The spine chart's figures, for reading instead of the chart."""
    return pd.DataFrame({
        "Indicator": rows["indicator_name"], "Period": rows["period"], "This practice": rows["value"],
        "Compared with the ICB": [spine_class(p, c) for p, c in zip(rows["polarity"], rows["compared_to_icb"])],
        "ICB lowest": rows["icb_lowest"], "25th percentile": rows["icb_q25"], "75th percentile": rows["icb_q75"],
        "ICB highest": rows["icb_highest"], "England": rows["england_value"]})


def spine_chart(indicators: pd.DataFrame, practice_code: str) -> tuple[str, str]:
    """The practice's spine chart as an embedded figure and its figures as a table ('' and '' when it
    has no indicators)."""
    rows = spine_rows(indicators, practice_code)
    if rows.empty:
        return "", ""
    png = _spine_marker(indicators, rows).png(rows)
    figure = html.png_figure(png, alt=spine_alt(rows), caption=(
        "How this practice compares: each indicator on its own scale across the ICB's practices, latest period. "
        "Its values and comparisons are in the results table above; the chart's figures in the table below."))
    table = html.table(spine_table(rows), caption="Spine chart figures: this practice, the ICB's practices "
                                                  "(lowest, 25th and 75th percentile, highest) and England",
                       formats={c: _dash for c in ("This practice", "ICB lowest", "25th percentile",
                                                   "75th percentile", "ICB highest", "England")},
                       css_class="spine-data")
    return figure, table


TREND_COLUMNS = ["indicator_name", "type", "unit", "period", "value", "icb_value"]


def trend_rows(indicators: pd.DataFrame, practice_code: str) -> dict[str, pd.DataFrame]:
    """The practice's values by period (with the ICB's) for each indicator it has a value for in two
    or more periods, in the pack table's order: what its trend charts show."""
    own = practice_rows(indicators, practice_code).dropna(subset=["value"])
    # as plain lists: a few rows a practice, read many times over
    ids, sections, periods = own["indicator_id"].tolist(), own["section"].tolist(), own["period"].tolist()
    columns = {c: own[c].tolist() for c in TREND_COLUMNS}
    by_indicator: dict = {}
    for i in sorted(range(len(ids)), key=lambda i: (sections[i], ids[i], periods[i])):
        by_indicator.setdefault(ids[i], []).append(i)
    return {ind: pd.DataFrame({c: [columns[c][i] for i in rows] for c in TREND_COLUMNS}, dtype=object)
            .astype({"value": float, "icb_value": float})
            for ind, rows in by_indicator.items() if len({periods[i] for i in rows}) >= 2}


class Sparkline:
    """A small chart of the practice's value by period (solid, with points) and the ICB's (dashed),
    its axis from zero, with no words on it (they are in its caption): one figure, drawn once, its
    lines moved and drawn again over a copy of its background for each chart."""

    SIZE = (1.6, 0.62)

    def __init__(self, dpi: float | None = None):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        plots.use_house_style()  # the same lines wherever the first chart is drawn
        self.figure = Figure(figsize=self.SIZE, dpi=dpi or PACK_DPI * 1.6, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        ax = self.figure.add_axes((0.03, 0.08, 0.94, 0.86))
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color(html.NHS_MID_GREY)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("white")
        self.top = ax.axhline(1, color="#dde3e5", linewidth=0.8)
        self.icb, = ax.plot([], [], color=html.NHS_BLUE, linestyle="--", linewidth=1.1)
        self.own, = ax.plot([], [], color=html.NHS_DARK_GREY, marker="o", markersize=2.6, linewidth=1.4)
        self.ax = ax
        self.lines = (self.top, self.icb, self.own)
        for line in self.lines:
            line.set_visible(False)
        self.canvas.draw()
        self.clean = self.canvas.copy_from_bbox(self.figure.bbox)  # the background every chart shares
        for line in self.lines:
            line.set_visible(True)

    def pixels(self, rows: pd.DataFrame) -> np.ndarray:
        x = np.arange(len(rows), dtype=float)
        top = sparkline_top(rows)
        self.icb.set_data(x, rows["icb_value"].to_numpy(float))
        self.own.set_data(x, rows["value"].to_numpy(float))
        self.ax.set_xlim(-0.25, len(rows) - 0.75)
        self.ax.set_ylim(0, top)
        plots.from_zero(self.ax)
        self.top.set_ydata([top, top])
        self.canvas.restore_region(self.clean)
        for line in self.lines:
            self.ax.draw_artist(line)
        return np.asarray(self.canvas.buffer_rgba())

    def png(self, rows: pd.DataFrame) -> bytes:
        return html.compact_png_pixels(self.pixels(rows), colours=32, compress_level=PACK_PNG_LEVEL)


def sparkline_top(rows: pd.DataFrame) -> float:
    """The top of a trend chart's axis: 100 for a percentage, else a little above the highest value."""
    if rows["unit"].tolist()[0] == "%":
        return 100.0
    high = np.nanmax(rows[["value", "icb_value"]].to_numpy(float))
    return float(high * 1.1) if high > 0 else 1.0


def sparkline_caption(rows: pd.DataFrame) -> str:
    names, units, periods, values = (rows[c].tolist() for c in ("indicator_name", "unit", "period", "value"))
    return (f"{names[0]}: {_with_unit(values[0], units[0])} ({periods[0]}) to "
            f"{_with_unit(values[-1], units[0])} ({periods[-1]})")


def sparkline_alt(rows: pd.DataFrame) -> str:
    name, unit = rows["indicator_name"].tolist()[0], rows["unit"].tolist()[0]
    own = ", ".join(f"{_with_unit(v, unit)} in {p}" for v, p in zip(rows["value"].tolist(), rows["period"].tolist()))
    icb = ", ".join(_with_unit(v, unit) for v in rows["icb_value"].tolist())
    return (f"Trend of {name}, axis from 0 to {_with_unit(sparkline_top(rows), unit)}: "
            f"this practice {own}; the ICB {icb}.")


_SPARKLINE: list = []


def trend_charts(indicators: pd.DataFrame, practice_code: str) -> list:
    """A small trend chart for each indicator the practice has values for in two or more periods."""
    if not _SPARKLINE:
        _SPARKLINE.append(Sparkline())
    spark = _SPARKLINE[0]
    return [html.png_figure(spark.png(rows), alt=sparkline_alt(rows), caption=sparkline_caption(rows))
            for rows in trend_rows(indicators, practice_code).values()]


def _printed(table: pd.DataFrame, catalogue: list) -> pd.DataFrame:
    """The pack table's figures as text, each to its indicator's decimals (a dash for no previous value)."""
    digits = table["Indicator"].map({ind.name: ind.decimals for ind in catalogue}).fillna(1).astype(int)
    out = table.copy()
    for column in ("Value", "Previous", "ICB", "England"):
        blank = DASH if column == "Previous" else ""
        out[column] = [blank if pd.isna(v) else _number(v, d) for v, d in zip(table[column], digits)]
    return out


def practice_pack(data: ReportData, practice_code: str) -> str:
    """One practice's results against its peers: an HTML fragment."""
    if practice_code not in data.codes:
        raise ValueError(f"practice {practice_code} is not in the organisation {data.where}")
    table = html.table(_printed(pack_table(data.indicators, practice_code, data.catalogue), data.catalogue),
                       caption="Latest value and the one before it, 95% confidence limits, comparison with the ICB "
                               "and England, band and its thresholds",
                       raw_html={"Band", "vs ICB", "vs England"},
                       formats={"Value": str, "Previous": str, "ICB": str, "England": str,
                                "Band": band_label, "vs ICB": compare_label, "vs England": compare_label})
    reasons = [(i.name, i.polarity, i.polarity_reason) for i in data.catalogue if str(i.polarity_reason).strip()]
    spine, spine_data = spine_chart(data.indicators, practice_code)
    return template("scorecard/pack.html", score=_pack_score(data, practice_code), table=table, reasons=reasons,
                    look_at=to_look_at(data.indicators, practice_code), spine=spine, spine_data=spine_data,
                    trends=trend_charts(data.indicators, practice_code),
                    funnels=peer_funnels(data.indicators, data.catalogue, practice_code),
                    no_charts=no_chart_reasons(data.indicators, data.catalogue, practice_code))


def pack_heading(data: ReportData, practice_code: str) -> str:
    """The pack's title block: the house style, the synthetic banner if so, practice name, code, PCN and ICB."""
    practices = data.tables["practices"].set_index("practice_code")
    row = practices.loc[practice_code] if practice_code in practices.index else None
    name = row["practice_name"] if row is not None else practice_code
    where = "" if row is None else f"{row.get('pcn_name') or 'No PCN'}, {data.edition.name}"
    banner = html.synthetic_banner() if data.synthetic else ""
    # the house style comes with the page shell the pack is published in (packs.pack_page)
    return template("scorecard/pack_heading.html", banner=banner, name=name, code=practice_code, where=where)


PACK_DPI = 80  # the pack's funnel picture: 800 pixels wide, four columns of panels across A4


@dataclass
class FunnelLayer:
    """The peer funnel plots of an organisation, drawn once for all its packs.

    ``pixels`` is the picture with no practice circled (RGBA, top row first); ``boxes`` each
    panel's plotting area and ``points`` where each practice's point sits on it, in pixels from
    the bottom left, so a pack only draws its own circles on a copy (:class:`FunnelMarker`). It
    is plain data: it crosses to the processes that render packs side by side.
    """

    pixels: np.ndarray
    dpi: float
    boxes: list[tuple[float, float, float, float]]   # x0, y0, x1, y1 of each panel's axes
    points: dict[str, list[tuple[int, float, float]]]  # practice code -> (panel, x, y) of its points
    names: list[str]                                 # the panels' indicators
    ids: tuple[str, ...] = ()                        # and their ids (a layer is for one set of them)

    def alt(self) -> str:
        return (f"Funnel plots of {', '.join(self.names)}: every practice in scope against its denominator with 95% "
                f"and 99.8% limits around the average, points coloured by band (the key is under the panels); each "
                f"vertical axis fitted to its values; this practice circled in black")


_CANDIDATES: dict = {}


def _candidates(indicators: pd.DataFrame, catalogue: list) -> dict:
    """Found once for a run of packs (every pack asks): ``chosen``, (indicator, its latest rows with a
    value) for every proportion or rate some practice has a value for; ``have``, the practices with a
    value for each of them, by indicator id."""
    cache = _for_frame(_CANDIDATES, indicators, tuple(i.id for i in catalogue))
    if "chosen" not in cache:
        chosen = []
        for ind in catalogue:
            if ind.type not in ("proportion", "rate"):
                continue
            rows = indicators[(indicators["indicator_id"] == ind.id) & (indicators["period_rank"] == 1)]
            rows = rows.dropna(subset=["numerator", "denominator", "value"])
            rows = rows[rows["denominator"] > 0]
            if not rows.empty:
                chosen.append((ind, rows))
        cache["chosen"] = chosen
        cache["have"] = {ind.id: frozenset(rows["practice_code"]) for ind, rows in chosen}
    return cache


def funnel_candidates(indicators: pd.DataFrame, catalogue: list) -> list[tuple]:
    """(indicator, its latest rows with a value) for every proportion or rate some practice has a value for."""
    return _candidates(indicators, catalogue)["chosen"]


def funnel_range(rows: pd.DataFrame, limits: pd.DataFrame, ind) -> tuple[float, float]:
    """The y range of a funnel panel fitted to its points and to its limits over the denominators the
    points span, with a margin; never below zero, nor above 100% for a proportion."""
    within = limits[limits["population"] >= rows["denominator"].min()]
    values = [rows["value"], within["baseline"], within["lower99_8"], within["upper99_8"]]
    low = min(float(v.min()) for v in values if len(v))
    high = max(float(v.max()) for v in values if len(v))
    margin = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
    ticks = matplotlib.ticker.MaxNLocator(5).tick_values(low - margin, high + margin)
    step = float(ticks[1] - ticks[0])
    bottom = max(np.floor((low - margin) / step) * step, 0.0)  # a round number, for the note of the break
    top = high + margin
    if ind.type == "proportion":
        top = min(top, ind.multiplier * 1.02)
    return bottom, top


def funnel_key(bands) -> list:
    """The funnel figure's key: the lines, the band colours of the points drawn, and the circle."""
    from matplotlib.lines import Line2D

    present = [b for b in (*scorecard.BAND_ORDER, suppression.SUPPRESSED) if b in set(bands)]
    return [Line2D([], [], color=html.NHS_DARK_GREY, linewidth=1.1, label="Average"),
            Line2D([], [], color=html.NHS_BLUE, linestyle="--", label="95% limits"),
            Line2D([], [], color=html.NHS_BLUE, linestyle=":", label="99.8% limits"),
            *(Line2D([], [], linestyle="", marker="o", markersize=5, markerfacecolor=BAND_COLOUR.get(b, html.NHS_MID_GREY),
                     markeredgecolor=html.NHS_DARK_GREY, label=b) for b in present),
            Line2D([], [], linestyle="", marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black",
                   markeredgewidth=2, label="This practice")]


FUNNEL_COLUMNS = 4
FUNNEL_ROW_INCHES, FUNNEL_KEY_INCHES = 2.2, 0.35


def funnel_figure_panels(indicators: pd.DataFrame, catalogue: list, dpi: float = PACK_DPI,
                         only: tuple[str, ...] | None = None):
    """The peer funnel plots (one panel per indicator in ``only``, default all) as a figure, with
    (axes, indicator, rows by practice) for each panel. Each panel's y axis is fitted to its points
    and limits (the break marked where it does not start at zero); the key is under the panels."""
    chosen = [(ind, rows) for ind, rows in funnel_candidates(indicators, catalogue) if only is None or ind.id in only]
    plots.use_house_style()
    ncols = FUNNEL_COLUMNS
    nrows = max(1, -(-len(chosen) // ncols))
    height = FUNNEL_ROW_INCHES * nrows + FUNNEL_KEY_INCHES
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, height), squeeze=False, dpi=dpi)
    panels, bands = [], set()
    for ax, (ind, rows) in zip(axes.flat, chosen):
        limits_of = stats.proportion_funnel_limits if ind.type == "proportion" else stats.rate_funnel_limits
        limits = limits_of(rows["numerator"], rows["denominator"], multiplier=ind.multiplier)
        ax.plot(limits["population"], limits["baseline"], color=html.NHS_DARK_GREY, linewidth=1.1)
        for suffix, style in (("95_0", "--"), ("99_8", ":")):
            ax.plot(limits["population"], limits[f"lower{suffix}"], color=html.NHS_BLUE, linestyle=style)
            ax.plot(limits["population"], limits[f"upper{suffix}"], color=html.NHS_BLUE, linestyle=style)
        ax.scatter(rows["denominator"], rows["value"], c=[BAND_COLOUR.get(b, html.NHS_MID_GREY) for b in rows["band"]],
                   edgecolors=html.NHS_DARK_GREY, s=16, zorder=3)
        bands |= set(rows["band"])
        ax.set_title(plots.wrapped(ind.name, 30), fontsize=8)
        ax.set_xlim(0, float(limits["population"].max()))
        ax.set_ylim(*funnel_range(rows, limits, ind))
        ax.set_xlabel("Denominator", fontsize=6.5, loc="right", labelpad=1)
        ax.set_ylabel(ind.unit, fontsize=7)
        ax.tick_params(labelsize=6.5)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        plots.mark_break(ax, below=2.9)
        panels.append((ax, ind, rows.set_index("practice_code")))
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    if panels:
        fig.legend(handles=funnel_key(bands), loc="lower center", ncol=9, fontsize=7, frameon=False,
                   handlelength=1.8, columnspacing=1.4)
    fig.tight_layout(rect=(0, FUNNEL_KEY_INCHES / height, 1, 1), h_pad=1.2)
    return fig, panels


# the circle that marks the pack's own practice, in points (as scatter takes them)
MARK = {"s": 150, "facecolors": "none", "edgecolors": "black", "linewidths": 2.2}


def funnel_layer(indicators: pd.DataFrame, catalogue: list, dpi: float = PACK_DPI,
                 only: tuple[str, ...] | None = None) -> FunnelLayer:
    """Draw the peer funnel plots once (the panels of ``only``, default all): see :class:`FunnelLayer`."""
    fig, panels = funnel_figure_panels(indicators, catalogue, dpi, only)
    try:
        fig.canvas.draw()
        pixels = np.array(fig.canvas.buffer_rgba())  # a copy: the figure is closed below
        boxes, points = [], {}
        for number, (ax, _ind, rows) in enumerate(panels):
            boxes.append(tuple(float(v) for v in ax.bbox.extents))
            where = ax.transData.transform(rows[["denominator", "value"]].to_numpy(dtype=float))
            for code, (x, y) in zip(rows.index, where):
                points.setdefault(str(code), []).append((number, float(x), float(y)))
        return FunnelLayer(pixels, float(fig.dpi), boxes, points, [ind.name for _, ind, _ in panels],
                           tuple(ind.id for _, ind, _ in panels))
    finally:
        plt.close(fig)


class FunnelMarker(_OnLayer):
    """Circles one practice at a time on a :class:`FunnelLayer`: the picture is put back, the
    practice's circles drawn over it (clipped to their panels, as on the full figure) and the
    result saved as a compact PNG. Drawing the panels is paid once, by the layer."""

    def __init__(self, layer: FunnelLayer):
        from matplotlib.transforms import Bbox, IdentityTransform

        super().__init__(layer)
        axes = self.axes
        # one circle per panel, moved to the practice's point in it and clipped to the panel
        self.marks = []
        for box in layer.boxes:
            mark = axes.scatter([0.0], [0.0], transform=IdentityTransform(), zorder=4, **MARK)
            mark.set_clip_box(Bbox.from_extents(*box))
            self.marks.append(mark)

    def pixels(self, practice_code: str) -> np.ndarray:
        """The picture with ``practice_code`` circled in every panel it appears in (RGBA)."""
        self.canvas.restore_region(self.clean)
        for panel, x, y in self.layer.points.get(practice_code, []):
            mark = self.marks[panel]
            mark.set_offsets([[x, y]])
            self.axes.draw_artist(mark)
        return np.asarray(self.canvas.buffer_rgba())

    def png(self, practice_code: str) -> bytes:
        return html.compact_png_pixels(self.pixels(practice_code), compress_level=PACK_PNG_LEVEL)


PACK_PNG_LEVEL = 6  # zlib level of a pack's picture: a sixth of level 9's time, about a sixth larger

_LAYERS: dict = {}
_MAX_LAYERS = 16  # layers kept at once: one per set of indicators some practice has values for


def _kept(indicators: pd.DataFrame, catalogue: list) -> dict:
    """The markers kept for this frame of indicators (a run of packs), by set of indicators; others dropped."""
    return _for_frame(_LAYERS, indicators, tuple(i.id for i in catalogue)).setdefault("markers", {})


def _marker(indicators: pd.DataFrame, catalogue: list, only: tuple[str, ...]) -> FunnelMarker:
    """The funnel layer of these indicators' panels and its marker, made once and kept while the same
    frame of indicators is asked about: practices missing the same indicators share one."""
    return _kept_or_made(_kept(indicators, catalogue), only,
                         lambda: FunnelMarker(funnel_layer(indicators, catalogue, only=only)))


def funnel_sets(indicators: pd.DataFrame, catalogue: list, codes) -> list[tuple[str, ...]]:
    """The distinct sets of indicators the practices ``codes`` have values for (each set is one funnel
    layer: most practices share the full set, a practice missing an indicator another)."""
    have = _candidates(indicators, catalogue)["have"]
    sets = {tuple(i for i, practices in have.items() if code in practices) for code in codes}
    return sorted((s for s in sets if s), key=lambda s: (-len(s), s))


def funnel_layers(indicators: pd.DataFrame, catalogue: list, codes) -> list[FunnelLayer]:
    """A layer for each of :func:`funnel_sets`: all the drawing the packs of ``codes`` need."""
    return [funnel_layer(indicators, catalogue, only=only) for only in funnel_sets(indicators, catalogue, codes)]


def ensure_layers(indicators: pd.DataFrame, catalogue: list, layers: list[FunnelLayer]) -> None:
    """:func:`use_layer` for each of ``layers`` these indicators' packs do not use yet."""
    markers = _kept(indicators, catalogue)
    for layer in layers:
        if not (layer.ids in markers and markers[layer.ids].layer is layer):
            use_layer(indicators, catalogue, layer)


def use_layer(indicators: pd.DataFrame, catalogue: list, layer: FunnelLayer) -> None:
    """Use ``layer`` (drawn elsewhere, from these indicators) for the packs of practices with a value
    for each of its indicators."""
    _kept(indicators, catalogue)[layer.ids] = FunnelMarker(layer)


def no_chart_reasons(indicators: pd.DataFrame, catalogue: list, practice_code: str) -> list[str]:
    """One line for each funnel plot a practice's pack leaves out: an indicator it has no value for."""
    found = _candidates(indicators, catalogue)
    return [f"No chart for {ind.name}: no value published for this practice in {rows['period'].iloc[0]}."
            for ind, rows in found["chosen"] if practice_code not in found["have"][ind.id]]


def peer_funnels(indicators: pd.DataFrame, catalogue: list, practice_code: str) -> str:
    """The peer funnel plots with this practice circled, as an embedded figure: a panel for each
    indicator it has a value for ('' when it has none)."""
    found = _candidates(indicators, catalogue)
    have = tuple(ind.id for ind, _rows in found["chosen"] if practice_code in found["have"][ind.id])
    if not have:
        return ""
    marker = _marker(indicators, catalogue, have)
    return html.png_figure(marker.png(practice_code), alt=marker.layer.alt(),  # compact: keeps a pack small
                           caption="This practice (circled) among its peers, latest period. Each vertical axis is fitted to "
                                   "the panel's values, its break marked where it does not start at zero.")
