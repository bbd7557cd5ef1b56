"""The QIPP savings section of the board paper, from the processed tables.

:func:`board_section` returns the HTML fragment the integrated board paper embeds; the report
notebook shows the same sections and the full tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from helpers.core.config import Project
from helpers.core.errors import InputMissingError
from helpers.domains.qipp import TABLES
from helpers.domains.qipp.measures import RAG_WORDS
from helpers.domains.qipp.settings import ReportSettings
from helpers.render import html, plots

DOMAIN = "qipp"
RAG_STYLE = {  # text and colour: the word is always printed, the colour only reinforces it
    "R": ("#fbe0de", html.NHS_RED, "#6b0d07"), "A": ("#fff4d6", html.NHS_WARM_YELLOW, "#5c4300"),
    "G": ("#d5efdf", html.NHS_GREEN, "#00401e"), "n/a": (html.NHS_PALE_GREY, html.NHS_DARK_GREY, "#212b32"),
}


@dataclass
class ReportData:
    tables: dict[str, pd.DataFrame]
    provenance: dict
    settings: ReportSettings

    @property
    def year(self) -> str:
        return self.provenance.get("year", "")


def load(project: Project, settings: ReportSettings) -> ReportData:
    paths = {name: project.table_path(DOMAIN, name) for name in TABLES}
    missing = [p.name for p in paths.values() if not p.exists()]
    if missing or not project.provenance_path(DOMAIN).exists():
        raise InputMissingError(f"QIPP processed tables not found in {project.processed} "
                                f"({', '.join(missing) or 'provenance'}); run the cleanse_qipp stage first")
    return ReportData({name: pd.read_parquet(path) for name, path in paths.items()},
                      project.read_provenance(DOMAIN), settings)


def rag(value) -> str:
    """A RAG rating as a labelled, coloured word (readable without colour)."""
    key = value if value in RAG_STYLE else "n/a"
    background, border, text = RAG_STYLE[key]
    word = RAG_WORDS.get(value, "not rated" if value is None or pd.isna(value) else str(value))
    return (f'<span class="status" style="background:{background};border:1px solid {border};color:{text}">'
            f"{html.esc(word)}</span>")


def money(value) -> str:
    if pd.isna(value):
        return ""
    return f"-£{-value:,.1f}m" if round(value, 1) < 0 else f"£{abs(value):,.1f}m"


def pct(value) -> str:
    return "" if pd.isna(value) else f"{value:.0f}%"


def notice(ctx: ReportData) -> str:
    if ctx.provenance.get("transcribed_sample"):
        return ('<div class="banner notice" role="note">Sample input: South West Essex PCT\'s QIPP tracker for '
                f'{html.esc(ctx.year)} (month 12), transcribed from its board paper of May 2011. Historic figures '
                'as printed then, shown to demonstrate the report; not current data.</div>')
    return ""


def headline(ctx: ReportData) -> str:
    total = ctx.tables["workstreams"].query("level == 'total'").iloc[0]
    red = int((ctx.tables["schemes"]["rag"] == "R").sum())
    ytd = ctx.tables["yields"].set_index("measure")
    return html.kpis([
        (f"{money(total['delivered'])} of {money(total['due'])}", "savings delivered of those due to date"),
        (pct(ytd.loc["YTD yield", "computed_pct"]), "year-to-date yield (delivered / due)"),
        (f"{money(total['forecast'])} of {money(total['plan'])}", "forecast outturn against the annual plan"),
        (f"{red} of {len(ctx.tables['schemes'])}", "schemes rated Red on savings"),
    ])


def workstream_table(ctx: ReportData) -> pd.DataFrame:
    ws = ctx.tables["workstreams"]
    return pd.DataFrame({
        "Workstream": ws["workstream"], "Lead": ws["lead"],
        "Milestones R / A / G": [f"{r} / {a} / {g}" for r, a, g in zip(ws["ms_red"], ws["ms_amber"], ws["ms_green"])],
        "Milestone RAG": ws["ms_rating"], "Annual plan": ws["plan"], "Due": ws["due"], "Delivered": ws["delivered"],
        "Variance": ws["variance"], "% of due delivered": ws["pct_delivered"], "Savings RAG": ws["rag"],
        "RAG on the sheet": ws["rag_sheet"],
    })


@html.section
def workstream_section(ctx: ReportData) -> str:
    frame = workstream_table(ctx)
    shown = frame.assign(**{c: frame[c].map(rag) for c in ["Milestone RAG", "Savings RAG", "RAG on the sheet"]})
    fmt = {c: money for c in ["Annual plan", "Due", "Delivered", "Variance"]} | {"% of due delivered": pct}
    return ("<h3>Workstream summary</h3>"
            "<p>Savings in £m; variance is due less delivered (positive = behind). Ratings are computed from the "
            "scheme rows by the board's rules; the sheet's own rating is shown beside them.</p>"
            + html.table(shown, caption=f"QIPP {ctx.year}: savings and milestones by workstream (computed from schemes)",
                         formats=fmt, raw_html={"Milestone RAG", "Savings RAG", "RAG on the sheet"},
                         row_header="Workstream"))


def plan_chart(ctx: ReportData):
    plots.use_house_style()
    ws = ctx.tables["workstreams"].query("level == 'workstream'").iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(ws) + 1.4))
    y = range(len(ws))
    ax.barh([i + 0.2 for i in y], ws["due"], height=0.4, color=html.NHS_MID_GREY, label="Due to date")
    ax.barh([i - 0.2 for i in y], ws["delivered"], height=0.4, color=html.NHS_BLUE, label="Delivered")
    ax.scatter(ws["plan"], list(y), marker="|", s=220, color=html.NHS_DARK_BLUE, label="Annual plan", zorder=3)
    ax.set_yticks(list(y), ws["workstream"])
    ax.set_xlabel("Savings, £m")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


@html.section
def chart_section(ctx: ReportData) -> str:
    ws = ctx.tables["workstreams"].query("level == 'workstream'")
    short = ws.sort_values("variance", ascending=False).head(3)
    alt = ("Bar chart of savings due to date and delivered, by workstream, with the annual plan marked. Largest "
           "shortfalls: " + "; ".join(f"{r.workstream} £{r.delivered:.1f}m delivered of £{r.due:.1f}m due"
                                     for r in short.itertuples()) + ".")
    fig = plan_chart(ctx)
    out = "<h3>Plan against delivered</h3>" + html.figure(fig, alt=alt, caption=f"QIPP {ctx.year}: savings due to "
                                                                               "date, delivered and annual plan, £m")
    plt.close(fig)
    return out


def exceptions_table(ctx: ReportData) -> pd.DataFrame:
    from helpers.domains.qipp.measures import exceptions

    ex = exceptions(ctx.tables["schemes"])
    return pd.DataFrame({"Workstream": ex["workstream"], "Scheme": ex["scheme"], "Lead": ex["lead"],
                         "Due": ex["due"], "Delivered": ex["delivered"], "Variance": ex["variance"],
                         "Savings RAG": ex["rag"], "Milestone RAG": ex["ms_rating"], "Why": ex["reason"]})


@html.section
def exceptions_section(ctx: ReportData) -> str:
    frame = exceptions_table(ctx)
    limit = ctx.settings.max_exceptions
    shown = frame.head(limit).assign(**{c: lambda f, c=c: f[c].map(rag) for c in ["Savings RAG", "Milestone RAG"]})
    more = f"<p>{len(frame) - limit} more in the report notebook.</p>" if len(frame) > limit else ""
    return ("<h3>Schemes in exception</h3><p>Schemes rated Red on savings or milestones, or with any milestone "
            "slipped, Red first then by size of shortfall.</p>"
            + html.table(shown, caption=f"QIPP {ctx.year}: {len(frame)} schemes in exception",
                         formats={c: money for c in ["Due", "Delivered", "Variance"]},
                         raw_html={"Savings RAG", "Milestone RAG"}, row_header="Scheme") + more)


@html.section
def scenarios_section(ctx: ReportData) -> str:
    sc = ctx.tables["scenarios"]
    y = ctx.tables["yields"].set_index("measure")
    frame = pd.DataFrame({"Workstream": sc["workstream"], "Annual plan": sc["plan"], "Forecast": sc["forecast"],
                          "Best": sc["best"], "Middle": sc["middle"], "Worse": sc["worse"],
                          "Gap to plan (middle)": sc["middle_gap"]})
    printed = y.loc["Forecast yield", "sheet_pct"]
    note = (f" The sheet prints a forecast yield of {printed:.0f}%; computed from its scheme rows it is "
            f"{y.loc['Forecast yield', 'computed_pct']:.0f}% (see reconciliation)." if pd.notna(printed) and
            not y.loc["Forecast yield", "within"] else "")
    return ("<h3>Forecast scenarios</h3><p>Forecast outturn and best, middle and worse cases against the annual "
            f"plan. Forecast yield (forecast / plan): {pct(y.loc['Forecast yield', 'computed_pct'])}.{html.esc(note)}</p>"
            + html.table(frame, caption=f"QIPP {ctx.year}: forecast scenarios by workstream, £m",
                         formats={c: money for c in frame.columns[1:]}, row_header="Workstream"))


@html.section
def reconciliation_section(ctx: ReportData) -> str:
    rec = ctx.tables["reconciliation"]
    off = rec[~rec["within"]]
    checked = f"{len(rec)} comparisons of printed subtotal and total rows with sums of their rows"
    if off.empty:
        body = f"<p>All {checked} agree within rounding.</p>"
    else:
        frame = pd.DataFrame({"Row": off["workstream"], "Measure": off["measure"], "Line": off["line"],
                              "Printed": off["sheet"], "Sum of rows": off["computed"], "Difference": off["difference"],
                              "Rounding allows": off["tolerance"]})
        body = (f"<p>{len(off)} of {checked} differ by more than rounding explains. Both figures are shown; "
                "the tables above use the sums of the scheme rows.</p>"
                + html.table(frame, caption="Printed subtotals that do not add up", row_header="Row",
                             formats={c: (lambda v: "" if pd.isna(v) else f"{v:,.2f}") for c in
                                      ["Printed", "Sum of rows", "Difference", "Rounding allows"]}))
    diff = ctx.tables["rating_differences"]
    if len(diff):
        frame = pd.DataFrame({"Scheme": diff["workstream"] + " / " + diff["scheme"], "Rating": diff["rating"],
                              "On the sheet": diff["sheet"].map(rag), "By the rules": diff["rule"].map(rag),
                              "Rounding can explain it": diff["explained_by_rounding"]})
        body += ("<p>Ratings on the sheet that differ from the rules applied to its printed figures:</p>"
                 + html.table(frame, caption="Sheet ratings that differ from the rules",
                              raw_html={"On the sheet", "By the rules"}, row_header="Scheme"))
    return "<h3>Reconciliation with the sheet</h3>" + body


def rules_text(ctx: ReportData) -> str:
    rules = ctx.provenance.get("rules", {})
    fin, ms = rules.get("financial_rag", {}), rules.get("milestone_rag", {})
    return (f"<p>Savings RAG: Red below {fin.get('red_below_pct')}% of the amount due delivered, Amber at least "
            f"{fin.get('red_below_pct')}%, Green at least {fin.get('green_from_pct')}%, n/a when nothing is due. "
            f"Milestone RAG: Green when all milestones are on time, Red when {ms.get('red_when_red_at_least')} or more "
            "slipped by more than a week, Amber when fewer slipped; n/a with no milestones. Amounts are as printed "
            f"(rounded to £{rules.get('rounding_unit')}m), so ratings near a threshold can differ from the sheet's.</p>")


def title_section(ctx: ReportData) -> html.Fragment:
    return html.Fragment(f"<h2>QIPP savings and milestones {html.esc(ctx.year)}</h2>" + notice(ctx) + headline(ctx))


def rules_section(ctx: ReportData) -> html.Fragment:
    return html.Fragment("<h3>Rules</h3>" + rules_text(ctx))


def board_section(project: Project, settings: ReportSettings) -> str:
    """The QIPP section of the integrated board paper (an HTML fragment)."""
    ctx = load(project, settings)
    return "".join([title_section(ctx), workstream_section(ctx), chart_section(ctx), exceptions_section(ctx),
                    scenarios_section(ctx), reconciliation_section(ctx), rules_section(ctx)])
