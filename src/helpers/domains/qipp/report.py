"""The QIPP savings section of the board paper, from the processed tables.

:func:`board_section` returns the HTML fragment the integrated board paper embeds; the report
notebook shows the same sections and the full tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.core.config import Project
from helpers.core.errors import InputMissingError
from helpers.domains.organisation import edition
from helpers.domains.organisation.edition import Edition
from helpers.domains.qipp import TABLES
from helpers.domains.qipp.measures import RAG_WORDS
from helpers.domains.qipp.settings import ReportSettings
from helpers.render import html, template

DOMAIN = "qipp"


@dataclass
class ReportData:
    tables: dict[str, pd.DataFrame]
    provenance: dict
    settings: ReportSettings
    edition: Edition | None = None

    @property
    def year(self) -> str:
        return self.provenance.get("year", "")

    @property
    def transcribed(self) -> bool:
        return bool(self.provenance.get("transcribed_sample"))

    @property
    def elsewhere(self) -> str:
        """What the heading adds when the tracker is not the edition's ICB's for its month ('' when it is)."""
        what = "South West Essex PCT" if self.transcribed else f"the tracker's year {self.year}"
        return edition.elsewhere(what, self.edition, self.settings.same_edition,
                                 organisation=self.settings.organisation)


def load(project: Project, settings: ReportSettings) -> ReportData:
    paths = {name: project.table_path(DOMAIN, name) for name in TABLES}
    missing = [p.name for p in paths.values() if not p.exists()]
    if missing or not project.provenance_path(DOMAIN).exists():
        raise InputMissingError(f"QIPP processed tables not found in {project.processed} "
                                f"({', '.join(missing) or 'provenance'}); run the cleanse_qipp stage first")
    return ReportData({name: pd.read_parquet(path) for name, path in paths.items()},
                      project.read_provenance(DOMAIN), settings,
                      edition.find(project, settings.organisation, settings.period))


def rag(value) -> str:
    """A RAG rating as a labelled, coloured word (readable without colour)."""
    word = RAG_WORDS.get(value, "not rated" if value is None or pd.isna(value) else str(value))
    return template("qipp/rag.html", rating=value if isinstance(value, str) else "n/a", word=word)


def money(value) -> str:
    if pd.isna(value):
        return ""
    return f"-£{-value:,.1f}m" if round(value, 1) < 0 else f"£{abs(value):,.1f}m"


def pct(value) -> str:
    return "" if pd.isna(value) else f"{value:.0f}%"


def notice(ctx: ReportData) -> str:
    return template("qipp/notice.html", transcribed=ctx.transcribed, year=ctx.year)


def headline(ctx: ReportData) -> str:
    total = ctx.tables["workstreams"].query("level == 'total'").iloc[0]
    ytd = ctx.tables["yields"].set_index("measure")
    return template("qipp/headline.html", delivered=money(total["delivered"]), due=money(total["due"]),
                    ytd_yield=pct(ytd.loc["YTD yield", "computed_pct"]), forecast=money(total["forecast"]),
                    plan=money(total["plan"]), red=int((ctx.tables["schemes"]["rag"] == "R").sum()),
                    schemes=len(ctx.tables["schemes"]))


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
    table = html.table(shown, caption=f"QIPP {ctx.year}: savings and milestones by workstream (computed from schemes)",
                       formats=fmt, raw_html={"Milestone RAG", "Savings RAG", "RAG on the sheet"}, row_header="Workstream")
    return template("qipp/workstreams.html", table=table)


@html.section
def chart_section(ctx: ReportData) -> str:
    from helpers.domains.qipp import charts  # matplotlib: imported only to draw

    ws = ctx.tables["workstreams"].query("level == 'workstream'")
    short = ws.sort_values("variance", ascending=False).head(3)
    alt = ("Bar chart of savings due to date and delivered, by workstream, with the annual plan marked. Largest "
           "shortfalls: " + "; ".join(f"{r.workstream} £{r.delivered:.1f}m delivered of £{r.due:.1f}m due"
                                     for r in short.itertuples()) + ".")
    chart = html.drawn(ctx, lambda: charts.plan_chart(ctx), alt=alt,
                       caption=f"QIPP {ctx.year}: savings due to date, delivered and annual plan, £m")
    return template("qipp/chart.html", chart=chart)


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
    table = html.table(shown, caption=f"QIPP {ctx.year}: {len(frame)} schemes in exception",
                       formats={c: money for c in ["Due", "Delivered", "Variance"]},
                       raw_html={"Savings RAG", "Milestone RAG"}, row_header="Scheme")
    return template("qipp/exceptions.html", table=table, more=max(0, len(frame) - limit))


@html.section
def scenarios_section(ctx: ReportData) -> str:
    sc = ctx.tables["scenarios"]
    y = ctx.tables["yields"].set_index("measure").loc["Forecast yield"]
    frame = pd.DataFrame({"Workstream": sc["workstream"], "Annual plan": sc["plan"], "Forecast": sc["forecast"],
                          "Best": sc["best"], "Middle": sc["middle"], "Worse": sc["worse"],
                          "Gap to plan (middle)": sc["middle_gap"]})
    table = html.table(frame, caption=f"QIPP {ctx.year}: forecast scenarios by workstream, £m",
                       formats={c: money for c in frame.columns[1:]}, row_header="Workstream")
    # the sheet's own figure is worth a note only when it disagrees with its rows
    printed = y["sheet_pct"] if pd.notna(y["sheet_pct"]) and not y["within"] else None
    return template("qipp/scenarios.html", forecast_yield=pct(y["computed_pct"]), printed=printed,
                    computed=y["computed_pct"], table=table)


@html.section
def reconciliation_section(ctx: ReportData) -> str:
    rec = ctx.tables["reconciliation"]
    off = rec[~rec["within"]]
    totals = None
    if not off.empty:
        frame = pd.DataFrame({"Row": off["workstream"], "Measure": off["measure"], "Line": off["line"],
                              "Printed": off["sheet"], "Sum of rows": off["computed"], "Difference": off["difference"],
                              "Rounding allows": off["tolerance"]})
        totals = html.table(frame, caption="Printed subtotals that do not add up", row_header="Row",
                            formats={c: (lambda v: "" if pd.isna(v) else f"{v:,.2f}") for c in
                                     ["Printed", "Sum of rows", "Difference", "Rounding allows"]})
    diff = ctx.tables["rating_differences"]
    ratings = None
    if len(diff):
        frame = pd.DataFrame({"Scheme": diff["workstream"] + " / " + diff["scheme"], "Rating": diff["rating"],
                              "On the sheet": diff["sheet"].map(rag), "By the rules": diff["rule"].map(rag),
                              "Rounding can explain it": diff["explained_by_rounding"]})
        ratings = html.table(frame, caption="Sheet ratings that differ from the rules",
                             raw_html={"On the sheet", "By the rules"}, row_header="Scheme")
    return template("qipp/reconciliation.html", compared=len(rec), differ=len(off), totals=totals, ratings=ratings)


def rules_text(ctx: ReportData) -> str:
    rules = ctx.provenance.get("rules", {})
    return template("qipp/rules_text.html", financial=rules.get("financial_rag", {}),
                    milestone=rules.get("milestone_rag", {}), rounding_unit=rules.get("rounding_unit"))


def title_section(ctx: ReportData) -> html.Fragment:
    return template("qipp/title.html", year=ctx.year, elsewhere=ctx.elsewhere, notice=notice(ctx),
                    headline=headline(ctx))


def schemes_table(ctx: ReportData) -> pd.DataFrame:
    s = ctx.tables["schemes"]
    return pd.DataFrame({"Workstream": s["workstream"], "Scheme": s["scheme"], "Lead": s["lead"],
                         "Annual plan": s["plan"], "Due": s["due"], "Delivered": s["delivered"],
                         "Variance": s["variance"], "Forecast": s["forecast"], "Savings RAG": s["rag"],
                         "Milestone RAG": s["ms_rating"]})


@html.section
def schemes_section(ctx: ReportData) -> str:
    """Every scheme, amounts as the page prints money (a blank amount, never a missing-value marker)."""
    frame = schemes_table(ctx)
    shown = frame.assign(**{c: frame[c].map(rag) for c in ["Savings RAG", "Milestone RAG"]})
    table = html.table(shown, caption=f"QIPP {ctx.year}: every scheme, £m",
                       formats={c: money for c in ["Annual plan", "Due", "Delivered", "Variance", "Forecast"]},
                       raw_html={"Savings RAG", "Milestone RAG"}, row_header="Scheme")
    return template("qipp/schemes.html", table=table)


def rules_section(ctx: ReportData) -> html.Fragment:
    return template("qipp/rules.html", rules=rules_text(ctx))


def board_section(project: Project, settings: ReportSettings, data: ReportData | None = None) -> str:
    """The QIPP section of the integrated board paper (an HTML fragment). ``data``: the report's,
    loaded already (its chart, drawn for its page, is not drawn again)."""
    ctx = data or load(project, settings)
    return "".join([title_section(ctx), workstream_section(ctx), chart_section(ctx), exceptions_section(ctx),
                    scenarios_section(ctx), reconciliation_section(ctx), rules_section(ctx)])
