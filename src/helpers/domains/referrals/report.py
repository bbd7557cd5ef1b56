"""The referral gateway report: booking backlog, waits, returns, transfers and recovery plans.

Built from the processed ``referrals_*`` tables. Every heading carries the as-at date, because
a backlog figure means nothing without it. Sections render the templates in
``render/templates/referrals/``; ``board_section`` gives the board paper its part (level 2 and 3
headings only); the report notebook shows the same sections and more, one per cell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core import quality
from helpers.core.config import Project
from helpers.core.errors import InputMissingError
from helpers.domains.organisation import edition
from helpers.domains.organisation.edition import Edition
from helpers.domains.referrals import TABLES, trajectory
from helpers.domains.referrals.settings import ReportSettings
from helpers.render import html, template

DOMAIN = "referrals"


@dataclass
class ReportData:
    tables: dict[str, pd.DataFrame]
    provenance: dict
    validations: list[dict]
    settings: ReportSettings
    edition: Edition | None = None

    @property
    def head(self) -> pd.Series:
        return self.tables["headline"].iloc[0]

    @property
    def as_at(self) -> pd.Timestamp:
        return pd.Timestamp(self.head["as_at"])

    @property
    def when(self) -> str:
        """'as at 12 May 2011', for every title."""
        return f"as at {self.as_at.day} {self.as_at:%B %Y}"

    @property
    def elsewhere(self) -> str:
        """What the headings add when the extract is not the edition's ICB's for its month ('' when it is)."""
        return edition.elsewhere(f"a referral management centre's extract of {self.as_at:%B %Y}", self.edition,
                                 self.settings.same_edition, organisation=self.settings.organisation)

    @property
    def synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic_inputs"))

    def plans(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Each plan in the settings projected from this as-at date's backlog and inflow."""
        head, s = self.head, self.settings
        inflow = float(head["daily_inflow"])
        return trajectory.project_all(
            trajectory.scenarios({name: plan.as_dict() for name, plan in s.scenarios.items()}),
            start_backlog=float(head["not_booked"]), start=self.as_at,
            daily_inflow=inflow, target=s.target_days * inflow, weeks=s.projection_weeks)


def load(project: Project, settings: ReportSettings) -> ReportData:
    """The processed tables the report reads (every table but the referral-level one)."""
    paths = {name: project.table_path(DOMAIN, name) for name in TABLES if name != "cleansed"}
    paths["provenance"] = project.provenance_path(DOMAIN)
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise InputMissingError(f"processed tables not found: {', '.join(missing)}; run the cleanse_referrals stage first")
    provenance = json.loads(paths.pop("provenance").read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(path) for name, path in paths.items()}
    results = project.validation(DOMAIN)
    validations = quality.load_results(results) if results.is_dir() else []
    return ReportData(tables, provenance, validations, settings,
                      edition.find(project, settings.organisation, settings.period))


def _day(value) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value).day} {pd.Timestamp(value):%B %Y}"


# --- tables -----------------------------------------------------------------------------------------

def booking_table(ctx: ReportData) -> pd.DataFrame:
    """The board's monthly layout as at the run's date, from the referral-level measures."""
    m = ctx.tables["monthly"]
    rows = {"Total referrals": m["received"], "Total urgent & routine booked": m["booked"],
            "Sub total left": m["received"] - m["booked"], "Total not booked": m["not_booked"],
            "Other - cancelled / returned to GP": m["returned_or_cancelled"]}
    wide = pd.DataFrame(rows).T
    wide.columns = [f"{pd.Timestamp(x):%b-%y}" for x in m["month"]]
    wide["Total"] = wide.sum(axis=1)
    pct = (100 * wide.loc["Other - cancelled / returned to GP"] / wide.loc["Total referrals"]).round(0)
    out = wide.astype(int).map(lambda v: f"{v:,}")
    out.loc["Returns / cancellations as a percentage"] = pct.map(lambda v: f"{v:.0f}%")
    return out.reset_index(names="Booking information")


def waits_table(ctx: ReportData) -> pd.DataFrame:
    w = ctx.tables["waits"]
    table = w.pivot_table(index=["band_order", "band"], columns="priority", values="not_booked", aggfunc="sum")
    table = table.reset_index().drop(columns="band_order").rename(columns={"band": "Weeks waited since receipt"})
    table = table[["Weeks waited since receipt", "urgent", "two_week_wait", "routine"]]
    table.columns = ["Weeks waited since receipt", "Urgent", "Two-week wait", "Routine"]
    table["All"] = table[["Urgent", "Two-week wait", "Routine"]].sum(axis=1)
    return table


def monthly_measures_table(ctx: ReportData) -> pd.DataFrame:
    m = ctx.tables["monthly"]
    return pd.DataFrame({
        "Month received": [f"{pd.Timestamp(x):%b %Y}" for x in m["month"]],
        "Received": m["received"], "Returned or cancelled %": m["pct_returned_or_cancelled"],
        "Urgent referrals": m["urgent"], "Urgent booked within 48 hours %": m["pct_urgent_booked_48h"],
        "Urgent booked within 5 days %": m["pct_urgent_booked_5d"],
        "Transferred to other providers": m["transferred"],
        "Consultant to consultant": m["consultant_to_consultant"]})


def plans_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Plan": summary["label"], "Booking capacity a week": summary["weekly_capacity"].round(0),
        "Inflow a week": summary["weekly_inflow"].round(0), "Target backlog": summary["target"].round(0),
        "Target met": [html.status(f"Met by {_day(d)}", "good") if pd.notna(d) else
                       html.status("Not met in the projection", "bad") for d in summary["target_met"]],
        "Weeks": summary["weeks_to_target"]})


# --- sections (templates in render/templates/referrals/; level is the heading's: 2 here, 3 in the board paper)

def _title(ctx: ReportData) -> html.Fragment:
    return template("referrals/title.html", ctx=ctx, first_received=_day(ctx.head["first_received"]),
                    as_at=_day(ctx.as_at))


def _headline(ctx: ReportData, level: int = 2) -> html.Fragment:
    head, target_days = ctx.head, ctx.settings.target_days
    return template("referrals/headline.html", level=level, ctx=ctx, head=head, target_days=target_days,
                    first_received=_day(head["first_received"]), over=head["backlog_days"] > target_days)


def _booking(ctx: ReportData, level: int = 2) -> html.Fragment:
    table = html.table(booking_table(ctx), caption=f"Booking information by month of receipt, {ctx.when}",
                       row_header="Booking information")
    checks = ctx.tables["booking_reconciliation"]
    failed = int((checks["difference"] != 0).sum()) if len(checks) else 0
    return template("referrals/booking.html", level=level, ctx=ctx, table=table,
                    checks=None if checks.empty else len(checks), failed=failed)


def _backlog(ctx: ReportData, level: int = 2) -> html.Fragment:
    from helpers.domains.referrals import charts  # matplotlib: imported only to draw

    b = ctx.tables["backlog"]
    days = ctx.settings.target_days
    target = days * float(ctx.head["daily_inflow"])
    peak = b.loc[b["backlog"].idxmax()]
    alt = (f"Line chart of referrals not yet booked each week to {_day(ctx.as_at)}: {int(b['backlog'].iloc[-1]):,} "
           f"now, highest {int(peak['backlog']):,} in the week ending {_day(peak['week_ending'])}; the target of "
           f"{target:,.0f} is drawn as a dashed line.")
    chart = html.drawn(ctx, lambda: charts.backlog_chart(b, target=target,
                                                  target_label=f"Target {target:,.0f} ({days:g} days' worth)",
                                                  title=f"Referrals not yet booked, week by week, {ctx.when}"),
                       alt=alt, caption="Backlog at the end of each week, rebuilt from the booking dates.")
    recent = b.tail(8).assign(week_ending=lambda d: d["week_ending"].map(_day))
    table = html.table(recent[["week_ending", "backlog", "daily_inflow", "backlog_days"]].rename(columns={
        "week_ending": "Week ending", "backlog": "Not booked", "daily_inflow": "Referrals a day",
        "backlog_days": "Days' worth"}), caption=f"Backlog, last eight weeks, {ctx.when}",
        formats={"Not booked": html.integer, "Referrals a day": html.one_dp, "Days' worth": html.one_dp})
    return template("referrals/backlog.html", level=level, ctx=ctx, chart=chart, table=table)


def _waits(ctx: ReportData, level: int = 2) -> html.Fragment:
    from helpers.domains.referrals import charts  # matplotlib: imported only to draw

    table = waits_table(ctx)
    over = int(table.loc[table["Weeks waited since receipt"] == "14+ weeks", "All"].sum())
    alt = "Bar chart of referrals not yet booked by weeks since receipt: " + ", ".join(
        f"{b} {n:,}" for b, n in zip(table["Weeks waited since receipt"], table["All"])) + "."
    chart = html.drawn(ctx, lambda: charts.bars_chart(table["Weeks waited since receipt"], table["All"],
                                               xlabel="Referrals not yet booked",
                                               title=f"Unbooked referrals by weeks waited, {ctx.when}"),
                       alt=alt, caption="Whole weeks from receipt to the as-at date.")
    listed = html.table(table, caption=f"Referrals not yet booked by weeks waited and priority, {ctx.when}",
                        formats={c: html.integer for c in table.columns[1:]})
    return template("referrals/waits.html", level=level, ctx=ctx, over=over, chart=chart, table=listed)


def _returns(ctx: ReportData, level: int = 2) -> html.Fragment:
    table = html.table(monthly_measures_table(ctx), caption=f"Booking measures by month of receipt, {ctx.when}",
                       formats={"Returned or cancelled %": html.percent, "Urgent booked within 48 hours %": html.percent,
                                "Urgent booked within 5 days %": html.percent, "Received": html.integer,
                                "Urgent referrals": html.integer, "Transferred to other providers": html.integer,
                                "Consultant to consultant": html.integer})
    return template("referrals/returns.html", level=level, ctx=ctx, table=table)


def _transfers(ctx: ReportData, level: int = 2) -> html.Fragment:
    t = ctx.tables["transfers"]
    listed = None
    if not t.empty:
        table = t[["transferred_to", "transferred"]].rename(columns={"transferred_to": "Provider",
                                                                     "transferred": "Referrals transferred"})
        table.loc[len(table)] = ["Total", table["Referrals transferred"].sum()]
        listed = html.table(table, caption=f"Referrals transferred for booking, by provider, {ctx.when}",
                            formats={"Referrals transferred": html.integer})
    return template("referrals/transfers.html", level=level, ctx=ctx, table=listed)


def _plans(ctx: ReportData, level: int = 2) -> html.Fragment:
    from helpers.domains.referrals import charts  # matplotlib: imported only to draw

    projections, summary = ctx.plans()
    if summary.empty:
        return template("referrals/plans.html", level=level, ctx=ctx, chart=None, table=None)
    alt = "Line chart of the projected backlog week by week: " + "; ".join(
        f"{r.label} reaches {r.target:,.0f} " + (f"by {_day(r.target_met)}" if pd.notna(r.target_met) else
                                                  "not within the projection") for r in summary.itertuples()) + "."
    chart = html.drawn(ctx, lambda: charts.scenarios_chart(projections, summary,
                                                    title=f"Projected backlog under each plan, from {_day(ctx.as_at)}"),
                       alt=alt, caption=(
        f"Starting from {int(ctx.head['not_booked']):,} not booked and {ctx.head['daily_inflow']:,.0f} referrals a day; "
        "each week the backlog grows by the inflow and falls by the plan's booking capacity."))
    table = html.table(plans_table(summary), caption=f"Recovery plans and the date each meets its target, {ctx.when}",
                       raw_html={"Target met"}, formats={"Booking capacity a week": html.integer,
                                                          "Inflow a week": html.integer, "Target backlog": html.integer,
                                                          "Weeks": html.integer})
    return template("referrals/plans.html", level=level, ctx=ctx, chart=chart, table=table)


def _practices(ctx: ReportData, level: int = 2) -> html.Fragment:
    from helpers.domains.referrals import charts  # matplotlib: imported only to draw

    p = ctx.tables["practices"]
    if p["weighted_list_size"].isna().all():
        return template("referrals/practices.html", level=level, ctx=ctx, chart=None, table=None)
    limit = ctx.settings.max_practices
    ranked = p.dropna(subset=["rate_per_1000_per_year"]).sort_values("rate_per_1000_per_year", ascending=False)
    top = ranked.head(limit)
    overall = (1000 * ranked["gp_referrals"].sum() / ranked["weighted_list_size"].sum()
               * 365.25 / float(p["period_days"].iloc[0]))
    alt = (f"Bar chart of the {len(top)} practices with the highest GP referral rates per 1,000 weighted patients a "
           f"year, from {top['rate_per_1000_per_year'].iloc[0]:,.0f} ({top['practice_code'].iloc[0]}) down to "
           f"{top['rate_per_1000_per_year'].iloc[-1]:,.0f} ({top['practice_code'].iloc[-1]}); all practices together "
           f"{overall:,.0f}, drawn as a dashed line.")
    chart = html.drawn(ctx, lambda: charts.bars_chart(top["practice_code"], top["rate_per_1000_per_year"],
                                               xlabel="GP referrals a year per 1,000 weighted patients",
                                               title=f"Highest GP referral rates, {ctx.when}", reference=overall,
                                               reference_label=f"All practices {overall:,.0f}"),
                       alt=alt, caption=f"Rates over {int(p['period_days'].iloc[0])} days, shown as a yearly "
                                        "rate. Feeds the scorecard's demand domain.")
    table = ranked[["practice_code", "practice_name", "gp_referrals", "weighted_list_size",
                    "rate_per_1000_per_year"]].rename(columns={
        "practice_code": "Practice", "practice_name": "Name", "gp_referrals": "GP referrals",
        "weighted_list_size": "Weighted list size", "rate_per_1000_per_year": "Per 1,000 a year"})
    listed = html.table(table, caption=f"GP referrals per 1,000 weighted patients, {ctx.when}",
                        formats={"GP referrals": html.integer, "Weighted list size": html.integer,
                                 "Per 1,000 a year": html.one_dp})
    return template("referrals/practices.html", level=level, ctx=ctx, chart=chart, table=listed)


def _quality(ctx: ReportData, level: int = 2) -> html.Fragment:
    q = ctx.tables["quarantine"]
    dropped = len(ctx.provenance.get("dropped_identifier_columns") or [])
    table = None
    if not q.empty:
        summary = (q.groupby(["source", "column", "reason"]).agg(rows=("line", "nunique"), first_line=("line", "min"))
                   .reset_index().sort_values("rows", ascending=False))
        table = html.table(summary.rename(columns={"source": "Source", "column": "Column", "reason": "Reason",
                                                   "rows": "Rows", "first_line": "First line"}),
                           caption=f"Rows held back, by reason, {ctx.when}", formats={"Rows": html.integer})
    return template("referrals/quality.html", level=level, ctx=ctx, dropped=dropped,
                    held_back=q["line"].nunique() if not q.empty else 0, table=table)


def _gates(ctx: ReportData, level: int = 3) -> html.Fragment:
    if not ctx.validations:
        return html.Fragment("")
    table = quality.results_table(ctx.validations)
    table["outcome"] = [html.gate_status(o) for o in table["outcome"]]
    return template("referrals/gates.html", level=level, ctx=ctx,
                    table=html.table(table, caption="Great Expectations results for this run", raw_html={"outcome"}))


def _methods(ctx: ReportData, level: int = 2) -> html.Fragment:
    files = pd.DataFrame([{"File": Path(i["file"]).name, "Bytes": i["bytes"], "SHA-256": i["sha256"][:16] + "..."}
                          for i in ctx.provenance.get("inputs", [])])
    return template("referrals/methods.html", level=level, ctx=ctx,
                    files=html.table(files, caption="Input files", formats={"Bytes": html.integer}))


SECTIONS = [_headline, _booking, _backlog, _waits, _returns, _transfers, _plans, _practices, _quality]


def title_section(ctx): return _title(ctx)
def headline_section(ctx): return _headline(ctx)
def booking_section(ctx): return _booking(ctx)
def backlog_section(ctx): return _backlog(ctx)
def waits_section(ctx): return _waits(ctx)
def returns_section(ctx): return _returns(ctx)
def transfers_section(ctx): return _transfers(ctx)
def plans_section(ctx): return _plans(ctx)
def practices_section(ctx): return _practices(ctx)
def quality_section(ctx): return html.Fragment(_quality(ctx) + _gates(ctx))
def methods_section(ctx): return _methods(ctx)


def board_section(project: Project, settings: ReportSettings, data: ReportData | None = None) -> str:
    """The referral gateway part of the board paper: one level-2 heading, its sections a level below.
    ``data``: the report's, loaded already (its charts, drawn for its page, are not drawn again)."""
    ctx = data or load(project, settings)
    sections = (_headline, _backlog, _waits, _returns, _transfers, _plans, _quality)
    return template("referrals/board.html", ctx=ctx, sections=[section(ctx, level=3) for section in sections])
