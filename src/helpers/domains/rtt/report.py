"""Sections of the RTT waiting-times board report, built from the processed tables.

Each ``*_section`` function returns HTML (headings, commentary, a chart with alt text, a
captioned table); the report notebook only displays them in order. The tables behind them are
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
from helpers.render import html, plots

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


# ---- sections (HTML) -----------------------------------------------------------------------------

def _compare(value: float, reference: float, higher_is_better: bool = True) -> str:
    if pd.isna(value) or pd.isna(reference):
        return "not comparable with"
    if abs(value - reference) < 0.05:
        return "the same as"
    return "better than" if (value > reference) == higher_is_better else "worse than"


def title_section(ctx: ReportData) -> html.Fragment:
    parts = [f"<h1>Referral to treatment waiting times: {html.esc(ctx.icb_name)}</h1>",
             f"<p>Board report for <strong>{ctx.month}</strong>, from NHS England's monthly RTT "
             "waiting times extract. Incomplete pathways are patients still waiting for treatment "
             "at the end of the month.</p>"]
    if ctx.synthetic:  # the published page also carries the banner, from the same provenance flag
        parts.append("<p><strong>Built from synthetic sample data, not real NHS figures.</strong></p>")
    return html.Fragment("\n".join(parts))


def headline_section(ctx: ReportData) -> html.Fragment:
    icb, eng = _row(ctx, "icb", ctx.icb), _row(ctx, "england", "ENG")
    pct, standard = icb.get("pct_within_18_weeks"), ctx.standard
    met = pd.notna(pct) and pct >= standard
    verdict = html.status("Standard met" if met else "Below standard", "good" if met else "bad")
    commentary = (
        f"<p>At the end of {ctx.month}, {html.integer(icb.get('total_pathways'))} patients commissioned by "
        f"{html.esc(ctx.icb_name)} were waiting to start treatment. {html.percent(pct)} had waited 18 weeks "
        f"or less, {_compare(pct, eng.get('pct_within_18_weeks'))} England ({html.percent(eng.get('pct_within_18_weeks'))}) "
        f"against the {standard:g}% standard: {verdict}. {html.integer(icb.get('over_52_weeks'))} had waited "
        f"over 52 weeks and {html.integer(icb.get('over_104_weeks'))} over 104 weeks.</p>")
    tiles = html.kpis([
        (html.integer(icb.get("total_pathways")), "waiting (incomplete pathways)"),
        (html.percent(pct), f"within 18 weeks (standard {standard:g}%)"),
        (html.integer(icb.get("over_52_weeks")), "waiting over 52 weeks"),
        (html.one_dp(icb.get("median_weeks")), "median wait, weeks"),
    ])
    table = html.table(headline_table(ctx), caption=f"Incomplete pathways, {ctx.month}: "
                       f"{ctx.icb_name} against England", row_header="Measure")
    return html.Fragment(f'<h2 class="keep">Summary</h2>{tiles}{commentary}{table}')


def distribution_section(ctx: ReportData) -> html.Fragment:
    shares = wait_shares(ctx)
    fig = plots.wait_distribution(shares, long_wait=ctx.settings.long_wait_weeks)
    icb_18 = shares.loc[shares["week_lower"] < rtt.STANDARD_WEEKS, ctx.icb_name].sum()
    alt = (f"Step chart of the share of waiting patients by weeks waited, 0 to 104 or more, for "
           f"{ctx.icb_name} and England. {icb_18:.1f}% of the ICB's patients with a known clock start "
           f"had waited up to 18 weeks.")
    figure = html.figure(fig, alt=alt, caption=f"Distribution of waits, incomplete pathways, {ctx.month}. "
                         "Share of patients with a known clock start in each one-week band.")
    plots.plt.close(fig)
    return html.Fragment("<h2>Distribution of waits</h2><p>How long patients on the waiting list have waited so far. "
                "The dashed lines mark the 18-week standard and 52 weeks.</p>" + figure)


def provider_section(ctx: ReportData) -> html.Fragment:
    table = provider_table(ctx)
    limit = ctx.settings.max_providers
    minimum = ctx.settings.min_provider_pathways
    ranked, small = table[table["ranked"]], table[~table["ranked"]]
    largest = chart_providers(table, limit)
    eng = _row(ctx, "england", "ENG").get("pct_within_18_weeks")
    parts = ["<h2>Providers</h2>",
             f"<p>Providers treating {html.esc(ctx.icb_name)} patients, ranked by the share of the ICB's "
             f"patients waiting 18 weeks or less. The chart shows the {len(largest)} providers with the most of "
             f"the ICB's patients; bars below the {ctx.standard:g}% standard are yellow.</p>"]
    if len(largest):
        fig = plots.ranked_bars(largest.assign(label=largest["provider_name"]), label="label",
                                value="pct_within_18_weeks", xlabel="% of the ICB's patients waiting within 18 weeks",
                                reference=eng, reference_label=f"England {eng:.1f}%",
                                target=ctx.standard, target_label=f"Standard {ctx.standard:g}%",
                                highlight_below=ctx.standard)
        order = largest.sort_values("pct_within_18_weeks", ascending=False)
        best, worst = order.iloc[0], order.iloc[-1]
        alt = (f"Bar chart of the {len(largest)} largest providers by % within 18 weeks, from "
               f"{best['provider_name']} at {best['pct_within_18_weeks']:.1f}% to {worst['provider_name']} at "
               f"{worst['pct_within_18_weeks']:.1f}%, with England at {eng:.1f}% and the {ctx.standard:g}% standard.")
        parts.append(html.figure(fig, alt=alt, caption=f"% within 18 weeks at the {len(largest)} providers with "
                                 f"the most {ctx.icb_name} patients waiting, {ctx.month}."))
        plots.plt.close(fig)
    shown = ranked.drop(columns="ranked")
    shown.columns = ["Code", "Provider", "Patients waiting", "% within 18 weeks", "Over 52 weeks",
                     "Median wait (weeks)"]
    parts.append(html.table(shown, caption=f"Providers of {ctx.icb_name} patients with at least {minimum} "
                            f"waiting, by % within 18 weeks, incomplete pathways, {ctx.month}",
                            formats={"Patients waiting": html.integer, "% within 18 weeks": html.percent,
                                     "Over 52 weeks": html.integer, "Median wait (weeks)": html.one_dp},
                            row_header="Provider"))
    if len(small):
        parts.append(f"<p>A further {len(small)} providers each had fewer than {minimum} of the ICB's patients "
                     f"waiting ({html.integer(small['known_clock_start'].sum())} patients in all, "
                     f"{html.integer(small['over_52_weeks'].sum())} of them over 52 weeks); they are not ranked.</p>")
    return html.Fragment("".join(parts))


def specialty_section(ctx: ReportData) -> html.Fragment:
    weeks = ctx.settings.long_wait_weeks
    table = specialty_table(ctx)
    parts = [f"<h2>Long waits by specialty</h2><p>Patients waiting over {weeks} weeks, by treatment function.</p>"]
    over = table[table["over_threshold"] > 0]
    if len(over):
        fig = plots.ranked_bars(over, label="treatment_function", value="over_threshold", percent=False,
                                xlabel=f"Patients waiting over {weeks} weeks")
        top = over.iloc[0]
        alt = (f"Bar chart of patients waiting over {weeks} weeks by treatment function; the most are in "
               f"{top['treatment_function']} ({int(top['over_threshold']):,} patients).")
        parts.append(html.figure(fig, alt=alt, caption=f"Patients waiting over {weeks} weeks by treatment "
                                 f"function, {ctx.icb_name}, {ctx.month}."))
        plots.plt.close(fig)
    else:
        parts.append(f"<p>No patients of this ICB had waited over {weeks} weeks.</p>")
    shown = table.rename(columns={"treatment_function": "Treatment function", "waiting": "Patients waiting",
                                  "over_threshold": f"Over {weeks} weeks", "pct_over_threshold": f"% over {weeks} weeks"})
    parts.append(html.table(shown, caption=f"Incomplete pathways by treatment function, {ctx.icb_name}, {ctx.month}",
                            formats={"Patients waiting": html.integer, f"Over {weeks} weeks": html.integer,
                                     f"% over {weeks} weeks": html.percent}, row_header="Treatment function"))
    return html.Fragment("".join(parts))


def trend_section(ctx: ReportData) -> html.Fragment:
    table = trend_table(ctx)
    head = "<h2>Trend</h2>"
    if len(table) < 2:
        return html.Fragment(head + f"<p>Only one month ({ctx.month}) is in the inputs: the trend appears when the "
                    "inputs folder holds more monthly extracts.</p>")
    first, last = table.iloc[0], table.iloc[-1]
    pct_col, list_col = f"{ctx.icb_name} % within 18 weeks", f"{ctx.icb_name} waiting list"
    fig = plots.trend(table, x="period", series=[pct_col, "England % within 18 weeks"], ylabel="% within 18 weeks",
                      target=ctx.standard, target_label=f"Standard {ctx.standard:g}%")
    alt = (f"Line chart of % within 18 weeks by month from {first['period']:%B %Y} to {last['period']:%B %Y}: "
           f"{ctx.icb_name} moved from {first[pct_col]:.1f}% to {last[pct_col]:.1f}%, England from "
           f"{first['England % within 18 weeks']:.1f}% to {last['England % within 18 weeks']:.1f}%.")
    chart = html.figure(fig, alt=alt, caption="% of incomplete pathways within 18 weeks, by month.")
    plots.plt.close(fig)
    fig = plots.trend(table, x="period", series=[list_col], ylabel="Patients waiting", percent=False)
    alt2 = (f"Line chart of the {ctx.icb_name} waiting list by month, from {int(first[list_col]):,} in "
            f"{first['period']:%B %Y} to {int(last[list_col]):,} in {last['period']:%B %Y}.")
    chart2 = html.figure(fig, alt=alt2, caption="Waiting list (incomplete pathways), by month.")
    plots.plt.close(fig)
    shown = table.assign(period=table["period"].dt.strftime("%b %Y")).rename(columns={"period": "Month"})
    formats = {list_col: html.integer, pct_col: html.percent, "England % within 18 weeks": html.percent}
    return html.Fragment(head + chart + chart2 + html.table(shown, caption="Monthly trend, incomplete pathways",
                                                   formats=formats, row_header="Month"))


def quality_table(ctx: ReportData) -> pd.DataFrame:
    """This run's validation results for the domain: suite, data, expectations, warnings, outcome."""
    return quality.results_table(ctx.validations)


def quality_section(ctx: ReportData, data_docs_href: str = "data-docs/index.html") -> html.Fragment:
    table = quality_table(ctx)
    body = ("<h2>Data quality</h2><p>Every input file and processed table passed through Great Expectations "
            "checks before this report was built; a failed critical check stops publication. "
            f'Details of every check are in the <a href="{html.esc(data_docs_href)}">data quality documentation</a>.</p>')
    if table.empty:
        return html.Fragment(body + "<p>No validation results were found for this run.</p>")
    table["outcome"] = [html.status(o, "good" if o == "Passed" else "bad") for o in table["outcome"]]
    table.columns = [c.capitalize() for c in table.columns]
    return html.Fragment(body + html.table(table, caption="Validation results for this run", raw_html={"Outcome"}))


def methods_section(ctx: ReportData) -> html.Fragment:
    prov = ctx.provenance
    files = pd.DataFrame([{"File": Path(i["file"]).name, "Bytes": i["bytes"], "SHA-256": i["sha256"]}
                          for i in prov.get("inputs", [])])
    settings = pd.DataFrame([{"Setting": k, "Value": str(v)} for k, v in sorted(ctx.settings.as_dict().items())])
    text = (
        "<h2>Methods and provenance</h2>"
        "<p>Source: NHS England, Consultant-led Referral to Treatment Waiting Times, monthly full CSV extract. "
        "Blank cells are counted as zero. The publisher's total rows (treatment function C_999) are used only "
        "to check the totals, never added to the specialty rows. ICB figures are for patients whose "
        "commissioner belongs to the ICB, at any provider; national commissioning hubs have no ICB and "
        "count towards England only.</p>"
        "<p>% within 18 weeks, the median and the 92nd percentile are of incomplete pathways with a known "
        "clock start; the waiting list includes patients with an unknown clock start. Percentiles assume waits "
        "are spread evenly within each one-week band.</p>"
        f"<p>Code version {html.esc(prov.get('code_version'))}; data processed {html.esc(prov.get('run_at'))}; "
        f"report built {html.esc(dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat())}.</p>")
    return html.Fragment(text + html.table(files, caption="Input files", formats={"Bytes": html.integer})
                + html.table(settings, caption="Report settings", row_header="Setting"))


# ---- the integrated board paper's section ----------------------------------------------------------

def _demote(fragment: str) -> str:
    """A report section's h2 headings as h3, so it nests under the board paper's own h2."""
    text = str(fragment)
    return text.replace("<h2", "<h3").replace("</h2>", "</h3>")


def board_section(project: Project, settings: ReportSettings) -> str:
    """Waiting times for the board paper: the headline, providers and trend of the RTT report."""
    ctx = load(project, settings)
    head = (f"<h2>Referral to treatment waiting times: {html.esc(ctx.icb_name)}</h2>"
            f"<p>From NHS England's monthly RTT extract, {ctx.month}; the full waiting-times report is "
            "published alongside this paper.</p>")
    return head + "".join(_demote(s(ctx)) for s in (headline_section, provider_section, trend_section))
