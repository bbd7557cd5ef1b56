"""Sections of the RTT waiting-times board report, built from the processed tables.

Each ``*_section`` function works out its figures and renders its template
(``render/templates/rtt/``): headings, commentary, a chart with alt text, a captioned table; the
report notebook only displays them in order. The tables behind them are
available separately (``headline_table`` and friends) for analysts working in JupyterLab.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import quality
from helpers.core.config import Project
from helpers.core.errors import InputMissingError
from helpers.domains.organisation import edition
from helpers.domains.organisation.measures import short_name
from helpers.domains.rtt import measures as rtt
from helpers.domains.rtt.settings import ReportSettings
from helpers.render import html, plots, template

DOMAIN = "rtt"


@dataclass
class ReportData:
    """Everything the report needs: tables, the chosen ICB and period, settings, provenance."""

    pathways: pd.DataFrame
    summary: pd.DataFrame
    provenance: dict
    validations: list[dict]
    icb: str
    icb_name: str
    period: pd.Timestamp
    settings: ReportSettings

    @property
    def synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic_inputs"))

    @property
    def month(self) -> str:
        return f"{self.period:%B %Y}"

    @property
    def standard(self) -> float:
        return self.settings.standard_pct


def load(project: Project, settings: ReportSettings) -> ReportData:
    """Read the processed tables for the edition's ICB and month."""
    paths = [project.table_path(DOMAIN, "pathways"), project.table_path(DOMAIN, "summary"),
             project.provenance_path(DOMAIN)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputMissingError(f"processed tables not found: {', '.join(missing)}; run the cleanse stage first")
    scope = edition.load(project, settings.organisation, settings.period)
    pathways = pd.read_parquet(paths[0])
    summary = pd.read_parquet(paths[1])
    provenance = json.loads(paths[2].read_text(encoding="utf-8"))
    if not ((summary["org_level"] == "icb") & (summary["org_code"] == scope.code)).any():
        icbs = sorted(summary.loc[summary["org_level"] == "icb", "org_code"].unique())
        raise InputMissingError(f"ICB {scope.code!r} has no patients in the RTT extract; ICBs present: {', '.join(icbs)}")
    results_dir = project.validation(DOMAIN)
    validations = quality.load_results(results_dir) if results_dir.is_dir() else []
    return ReportData(pathways, summary, provenance, validations, scope.code, scope.name, scope.month, settings)


def _row(ctx: ReportData, level: str, code: str, part: str = rtt.INCOMPLETE, period=None) -> pd.Series:
    s = ctx.summary
    hit = s[(s["org_level"] == level) & (s["org_code"] == code) & (s["rtt_part"] == part)
            & (s["period"] == (period if period is not None else ctx.period))]
    return hit.iloc[0] if len(hit) else pd.Series(dtype=object)


def _icb_pathways(ctx: ReportData, part: str = rtt.INCOMPLETE) -> pd.DataFrame:
    p = ctx.pathways
    return p[(p["commissioner_parent_code"] == ctx.icb) & (p["period"] == ctx.period) & (p["rtt_part"] == part)]


# ---- tables ------------------------------------------------------------------------------------

HEADLINE_MEASURES = [
    ("total_pathways", "Waiting list (incomplete pathways)", html.integer),
    ("pct_within_18_weeks", "% waiting within 18 weeks", html.percent),
    ("over_52_weeks", "Waiting over 52 weeks", html.integer),
    ("over_65_weeks", "Waiting over 65 weeks", html.integer),
    ("over_78_weeks", "Waiting over 78 weeks", html.integer),
    ("over_104_weeks", "Waiting over 104 weeks", html.integer),
    ("median_weeks", "Median wait (weeks)", html.one_dp),
    ("p92_weeks", "92nd percentile wait (weeks)", html.one_dp),
]


def headline_table(ctx: ReportData) -> pd.DataFrame:
    """The ICB against England on the incomplete-pathway measures."""
    icb, eng = _row(ctx, "icb", ctx.icb), _row(ctx, "england", "ENG")
    return pd.DataFrame({
        "Measure": [label for _, label, _ in HEADLINE_MEASURES],
        ctx.icb_name: [fmt(icb.get(col)) for col, _, fmt in HEADLINE_MEASURES],
        "England": [fmt(eng.get(col)) for col, _, fmt in HEADLINE_MEASURES],
    })


def wait_shares(ctx: ReportData) -> pd.DataFrame:
    """Share of incomplete pathways by week band (known clock start), ICB and England."""
    bands = rtt.week_bands().iloc[:-1]
    p = ctx.pathways[(ctx.pathways["period"] == ctx.period) & (ctx.pathways["rtt_part"] == rtt.INCOMPLETE)
                     & (ctx.pathways["week_band"] != rtt.UNKNOWN_BAND)]
    out = bands[["week_band", "week_lower"]].copy()
    for name, rows in ((ctx.icb_name, p[p["commissioner_parent_code"] == ctx.icb]), ("England", p)):
        counts = rows.groupby("week_band", observed=True)["pathways"].sum()
        counts = out["week_band"].map(counts).fillna(0).to_numpy()
        out[name] = 100 * counts / counts.sum() if counts.sum() else np.nan
    out["week_lower"] = out["week_lower"].astype(int)
    return out.drop(columns="week_band")


def provider_table(ctx: ReportData) -> pd.DataFrame:
    """Providers treating the ICB's patients, ranked by % within 18 weeks (incomplete pathways)."""
    rows = _icb_pathways(ctx)
    if rows.empty:
        return pd.DataFrame(columns=["provider_code", "provider_name", "known_clock_start",
                                     "pct_within_18_weeks", "over_52_weeks", "ranked"])
    measures = rtt.wait_measures(rows, ["provider_code"])
    names = rows.groupby("provider_code", observed=True)["provider_name"].first().astype(str).map(short_name)
    measures["provider_name"] = measures["provider_code"].map(names)
    measures["ranked"] = measures["known_clock_start"] >= ctx.settings.min_provider_pathways
    return (measures.sort_values(["ranked", "pct_within_18_weeks"], ascending=[False, False])
            [["provider_code", "provider_name", "known_clock_start", "pct_within_18_weeks",
              "over_52_weeks", "median_weeks", "ranked"]].reset_index(drop=True))


def chart_providers(table: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The ranked providers where most of the ICB's patients wait: the ones a board asks about."""
    return table[table["ranked"]].nlargest(limit, "known_clock_start")


def specialty_table(ctx: ReportData) -> pd.DataFrame:
    """Incomplete pathways over the long-wait threshold, by treatment function, for the ICB."""
    weeks = ctx.settings.long_wait_weeks
    rows = _icb_pathways(ctx)
    if rows.empty:
        return pd.DataFrame(columns=["treatment_function", "waiting", "over_threshold", "pct_over_threshold"])
    total = rows.groupby("treatment_function_name", observed=True)["pathways"].sum()
    lower = rows["week_lower"].astype("float64")
    over = rows[lower >= weeks].groupby("treatment_function_name", observed=True)["pathways"].sum()
    out = pd.DataFrame({"waiting": total, "over_threshold": over.reindex(total.index).fillna(0).astype(int)})
    out["pct_over_threshold"] = 100 * out["over_threshold"] / out["waiting"]
    out.index = out.index.astype(str).rename("treatment_function")
    return out.sort_values("over_threshold", ascending=False).reset_index()


def trend_table(ctx: ReportData) -> pd.DataFrame:
    """Monthly waiting list and % within 18 weeks, ICB and England, up to the report period."""
    s = ctx.summary[(ctx.summary["rtt_part"] == rtt.INCOMPLETE) & (ctx.summary["period"] <= ctx.period)]
    icb = s[(s["org_level"] == "icb") & (s["org_code"] == ctx.icb)].set_index("period")
    eng = s[s["org_level"] == "england"].set_index("period")
    out = pd.DataFrame({
        f"{ctx.icb_name} waiting list": icb["total_pathways"],
        f"{ctx.icb_name} % within 18 weeks": icb["pct_within_18_weeks"],
        "England % within 18 weeks": eng["pct_within_18_weeks"],
    }).sort_index()
    return out.reset_index()


# ---- sections (templates in render/templates/rtt/) ------------------------------------------------

def _compare(value: float, reference: float, higher_is_better: bool = True) -> str:
    if pd.isna(value) or pd.isna(reference):
        return "not comparable with"
    if abs(value - reference) < 0.05:
        return "the same as"
    return "better than" if (value > reference) == higher_is_better else "worse than"


def title_section(ctx: ReportData) -> html.Fragment:
    return template("rtt/title.html", ctx=ctx)


def _headline(ctx: ReportData, level: int) -> html.Fragment:
    icb, eng = _row(ctx, "icb", ctx.icb), _row(ctx, "england", "ENG")
    pct = icb.get("pct_within_18_weeks")
    table = html.table(headline_table(ctx), caption=f"Incomplete pathways, {ctx.month}: {ctx.icb_name} against England",
                       row_header="Measure")
    return template("rtt/headline.html", level=level, ctx=ctx, icb=icb, eng=eng, pct=pct, standard=ctx.standard,
                    met=pd.notna(pct) and pct >= ctx.standard, comparison=_compare(pct, eng.get("pct_within_18_weeks")),
                    table=table)


def headline_section(ctx: ReportData) -> html.Fragment:
    return _headline(ctx, level=2)


def distribution_section(ctx: ReportData) -> html.Fragment:
    shares = wait_shares(ctx)
    icb_18 = shares.loc[shares["week_lower"] < rtt.STANDARD_WEEKS, ctx.icb_name].sum()
    alt = (f"Step chart of the share of waiting patients by weeks waited, 0 to 104 or more, for "
           f"{ctx.icb_name} and England. {icb_18:.1f}% of the ICB's patients with a known clock start "
           f"had waited up to 18 weeks.")
    chart = html.drawn(ctx, lambda: plots.wait_distribution(shares, long_wait=ctx.settings.long_wait_weeks),
                       alt=alt, caption=f"Distribution of waits, incomplete pathways, {ctx.month}. "
                       "Share of patients with a known clock start in each one-week band.")
    return template("rtt/distribution.html", chart=chart)


def _providers_chart(ctx: ReportData, largest: pd.DataFrame) -> html.Fragment | None:
    if largest.empty:
        return None
    eng = _row(ctx, "england", "ENG").get("pct_within_18_weeks")
    order = largest.sort_values("pct_within_18_weeks", ascending=False)
    best, worst = order.iloc[0], order.iloc[-1]
    alt = (f"Bar chart of the {len(largest)} largest providers by % within 18 weeks, from "
           f"{best['provider_name']} at {best['pct_within_18_weeks']:.1f}% to {worst['provider_name']} at "
           f"{worst['pct_within_18_weeks']:.1f}%, with England at {eng:.1f}% and the {ctx.standard:g}% standard.")
    return html.drawn(ctx, lambda: plots.ranked_bars(
        largest.assign(label=largest["provider_name"]), label="label", value="pct_within_18_weeks",
        xlabel="% of the ICB's patients waiting within 18 weeks", reference=eng, reference_label=f"England {eng:.1f}%",
        target=ctx.standard, target_label=f"Standard {ctx.standard:g}%", highlight_below=ctx.standard),
        alt=alt, caption=f"% within 18 weeks at the {len(largest)} providers with the most {ctx.icb_name} patients "
        f"waiting, {ctx.month}.")


def _providers(ctx: ReportData, level: int) -> html.Fragment:
    table = provider_table(ctx)
    minimum = ctx.settings.min_provider_pathways
    ranked, small = table[table["ranked"]], table[~table["ranked"]]
    largest = chart_providers(table, ctx.settings.max_providers)
    shown = ranked.drop(columns="ranked")
    shown.columns = ["Code", "Provider", "Patients waiting", "% within 18 weeks", "Over 52 weeks",
                     "Median wait (weeks)"]
    listed = html.table(shown, caption=f"Providers of {ctx.icb_name} patients with at least {minimum} "
                        f"waiting, by % within 18 weeks, incomplete pathways, {ctx.month}",
                        formats={"Patients waiting": html.integer, "% within 18 weeks": html.percent,
                                 "Over 52 weeks": html.integer, "Median wait (weeks)": html.one_dp},
                        row_header="Provider")
    return template("rtt/providers.html", level=level, ctx=ctx, charted=len(largest),
                    chart=_providers_chart(ctx, largest), table=listed, minimum=minimum, unranked=len(small),
                    unranked_patients=small["known_clock_start"].sum(), unranked_over_52=small["over_52_weeks"].sum())


def provider_section(ctx: ReportData) -> html.Fragment:
    return _providers(ctx, level=2)


def specialty_section(ctx: ReportData) -> html.Fragment:
    weeks = ctx.settings.long_wait_weeks
    table = specialty_table(ctx)
    over = table[table["over_threshold"] > 0]
    chart = None
    if len(over):
        top = over.iloc[0]
        alt = (f"Bar chart of patients waiting over {weeks} weeks by treatment function; the most are in "
               f"{top['treatment_function']} ({int(top['over_threshold']):,} patients).")
        chart = html.drawn(ctx, lambda: plots.ranked_bars(over, label="treatment_function", value="over_threshold",
                                                          percent=False, xlabel=f"Patients waiting over {weeks} weeks"),
                           alt=alt, caption=f"Patients waiting over {weeks} weeks by treatment function, "
                           f"{ctx.icb_name}, {ctx.month}.")
    shown = table.rename(columns={"treatment_function": "Treatment function", "waiting": "Patients waiting",
                                  "over_threshold": f"Over {weeks} weeks", "pct_over_threshold": f"% over {weeks} weeks"})
    listed = html.table(shown, caption=f"Incomplete pathways by treatment function, {ctx.icb_name}, {ctx.month}",
                        formats={"Patients waiting": html.integer, f"Over {weeks} weeks": html.integer,
                                 f"% over {weeks} weeks": html.percent}, row_header="Treatment function")
    return template("rtt/specialties.html", weeks=weeks, chart=chart, table=listed)


def _trend_charts(ctx: ReportData, table: pd.DataFrame) -> list[html.Fragment]:
    first, last = table.iloc[0], table.iloc[-1]
    pct_col, list_col = f"{ctx.icb_name} % within 18 weeks", f"{ctx.icb_name} waiting list"
    alt = (f"Line chart of % within 18 weeks by month from {first['period']:%B %Y} to {last['period']:%B %Y}: "
           f"{ctx.icb_name} moved from {first[pct_col]:.1f}% to {last[pct_col]:.1f}%, England from "
           f"{first['England % within 18 weeks']:.1f}% to {last['England % within 18 weeks']:.1f}%.")
    share = html.drawn(ctx, lambda: plots.trend(table, x="period", series=[pct_col, "England % within 18 weeks"],
                                                ylabel="% within 18 weeks", target=ctx.standard,
                                                target_label=f"Standard {ctx.standard:g}%"),
                       alt=alt, caption="% of incomplete pathways within 18 weeks, by month.")
    alt = (f"Line chart of the {ctx.icb_name} waiting list by month, from {int(first[list_col]):,} in "
           f"{first['period']:%B %Y} to {int(last[list_col]):,} in {last['period']:%B %Y}.")
    return [share, html.drawn(ctx, lambda: plots.trend(table, x="period", series=[list_col], ylabel="Patients waiting",
                                                       percent=False),
                              alt=alt, caption="Waiting list (incomplete pathways), by month.")]


def _trend(ctx: ReportData, level: int) -> html.Fragment:
    table = trend_table(ctx)
    if len(table) < 2:
        return template("rtt/trend.html", level=level, ctx=ctx, charts=[], table=None)
    pct_col, list_col = f"{ctx.icb_name} % within 18 weeks", f"{ctx.icb_name} waiting list"
    shown = table.assign(period=table["period"].dt.strftime("%b %Y")).rename(columns={"period": "Month"})
    formats = {list_col: html.integer, pct_col: html.percent, "England % within 18 weeks": html.percent}
    return template("rtt/trend.html", level=level, ctx=ctx, charts=_trend_charts(ctx, table),
                    table=html.table(shown, caption="Monthly trend, incomplete pathways", formats=formats,
                                     row_header="Month"))


def trend_section(ctx: ReportData) -> html.Fragment:
    return _trend(ctx, level=2)


def quality_table(ctx: ReportData) -> pd.DataFrame:
    """This run's validation results for the domain: suite, data, expectations, warnings, outcome."""
    return quality.results_table(ctx.validations)


def quality_section(ctx: ReportData, data_docs_href: str = "data-docs/index.html") -> html.Fragment:
    table = quality_table(ctx)
    listed = None
    if not table.empty:
        table["outcome"] = [html.gate_status(o) for o in table["outcome"]]
        table.columns = [c.capitalize() for c in table.columns]
        listed = html.table(table, caption="Validation results for this run", raw_html={"Outcome"})
    return template("rtt/quality.html", data_docs_href=data_docs_href, table=listed)


def methods_section(ctx: ReportData) -> html.Fragment:
    prov = ctx.provenance
    files = pd.DataFrame([{"File": Path(i["file"]).name, "Bytes": i["bytes"], "SHA-256": i["sha256"]}
                          for i in prov.get("inputs", [])])
    settings = pd.DataFrame([{"Setting": k, "Value": str(v)} for k, v in sorted(ctx.settings.as_dict().items())])
    return template("rtt/methods.html", provenance=prov,
                    built=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                    files=html.table(files, caption="Input files", formats={"Bytes": html.integer}),
                    settings=html.table(settings, caption="Report settings", row_header="Setting"))


# ---- the integrated board paper's section ----------------------------------------------------------

def board_section(project: Project, settings: ReportSettings, data: ReportData | None = None) -> str:
    """Waiting times for the board paper: the headline, providers and trend of the RTT report, their
    headings a level down so they nest under the paper's own. ``data``: the report's, loaded already
    (its charts, drawn for its page, are not drawn again)."""
    ctx = data or load(project, settings)
    return template("rtt/board.html", ctx=ctx,
                    sections=[section(ctx, level=3) for section in (_headline, _providers, _trend)])
