"""The action plan section of the board paper: overdue and due-soon actions by lead and section.

Status is worked out as at a report date (``actions_report.as_at`` in params.yaml, default
today): a milestone past its due date is overdue unless the action's status says complete.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from helpers.core.config import Project
from helpers.core.errors import InputMissingError
from helpers.domains.actions import TABLES
from helpers.domains.actions import measures as actions
from helpers.domains.actions.settings import ReportSettings
from helpers.domains.organisation import edition
from helpers.domains.organisation.edition import Edition
from helpers.render import html, template

DOMAIN = "actions"
STATE_STYLE = {"overdue": "bad", "due now": "bad", "due soon": "neutral", "not yet due": "good",
               "ongoing": "neutral", "complete": "good"}


@dataclass
class ReportData:
    plan: pd.DataFrame
    milestones: pd.DataFrame
    quarantine: pd.DataFrame
    provenance: dict
    as_at: dt.date
    soon_days: int
    settings: ReportSettings | None = None
    edition: Edition | None = None

    @property
    def transcribed(self) -> bool:
        return bool(self.provenance.get("transcribed_sample"))

    @property
    def elsewhere(self) -> str:
        """What the heading adds when the plan is not the edition's ICB's for its month ('' when it is)."""
        if self.settings is None:
            return ""
        what = "Harrow PCT's plan of 2003/04" if self.transcribed else f"the plan as at {self.as_at:%d %B %Y}"
        return edition.elsewhere(what, self.edition, self.settings.same_edition,
                                 organisation=self.settings.organisation)


def report_date(value) -> dt.date:
    if value in (None, "", "today"):
        return dt.date.today()
    return pd.Timestamp(value).date()


def load(project: Project, settings: ReportSettings) -> ReportData:
    paths = [project.table_path(DOMAIN, name) for name in TABLES]
    if not all(p.exists() for p in paths):
        raise InputMissingError(f"action plan tables not found in {project.processed}; run the cleanse_actions "
                                f"stage first")
    plan, milestones, quarantine = (pd.read_parquet(p) for p in paths)
    when = report_date(settings.as_at)
    plan, milestones = actions.as_at(plan, milestones, when, settings.due_soon_days)
    return ReportData(plan, milestones, quarantine, project.read_provenance(DOMAIN), when, settings.due_soon_days,
                      settings, edition.find(project, settings.organisation, settings.period))


def state(value) -> str:
    return html.status(value, STATE_STYLE.get(value, "neutral"))


def notice(ctx: ReportData) -> str:
    return template("actions/notice.html", transcribed=ctx.transcribed,
                    as_at=f"{ctx.as_at:%d %B %Y}")


def headline(ctx: ReportData) -> str:
    counts = ctx.plan["state"].value_counts()
    return template("actions/headline.html", tracked=len(ctx.plan), overdue=counts.get("overdue", 0),
                    due=counts.get("due now", 0) + counts.get("due soon", 0), soon_days=ctx.soon_days,
                    ongoing=counts.get("ongoing", 0))


def overdue_table(ctx: ReportData) -> pd.DataFrame:
    late = ctx.plan[ctx.plan["state"].isin(["overdue", "due now"])].sort_values(
        ["lead", "days_overdue"], ascending=[True, False], kind="stable")
    return pd.DataFrame({"Lead": late["lead"], "Ref": late["ref"], "Action": late["action"],
                         "Timescale": late["timescale"].str.replace("\n", "; "),
                         "Earliest missed date": late["oldest_overdue"].dt.strftime("%d %b %Y").fillna("immediate"),
                         "Days overdue": late["days_overdue"], "Milestones overdue": late["milestones_overdue"]})


def summary_section(ctx: ReportData, by: str, title: str) -> str:
    frame = actions.summary(ctx.plan, by).rename(columns={by: title})
    return html.table(frame, caption=f"Actions by {title.lower()}, as at {ctx.as_at:%d %B %Y}", row_header=title)


@html.section
def overdue_section(ctx: ReportData) -> str:
    frame = overdue_table(ctx)
    table = None if frame.empty else html.table(
        frame, caption=f"{len(frame)} actions overdue or due immediately, as at {ctx.as_at:%d %B %Y}",
        formats={"Days overdue": html.integer, "Milestones overdue": html.integer}, row_header="Ref")
    return template("actions/overdue.html", as_at=f"{ctx.as_at:%d %B %Y}", table=table)


@html.section
def due_soon_section(ctx: ReportData) -> str:
    soon = ctx.plan[ctx.plan["state"] == "due soon"].sort_values("next_due")
    frame = pd.DataFrame({"Ref": soon["ref"], "Lead": soon["lead"], "Action": soon["action"],
                          "Next due": soon["next_due"].dt.strftime("%d %b %Y"), "State": soon["state"].map(state)})
    table = html.table(frame, caption=f"{len(frame)} actions with a milestone due by "
                                      f"{ctx.as_at + dt.timedelta(days=ctx.soon_days):%d %B %Y}",
                       raw_html={"State"}, row_header="Ref")
    return template("actions/due_soon.html", soon_days=ctx.soon_days, table=table)


def milestones_table(ctx: ReportData) -> pd.DataFrame:
    m = ctx.milestones
    day = lambda column: m[column].dt.strftime("%d %b %Y").fillna("")  # a milestone with no date: blank
    return pd.DataFrame({"Ref": m["ref"], "Lead": m["lead"], "Timescale": m["timescale"].str.replace("\n", "; "),
                         "Start": day("start"), "Due": day("due"), "State": m["state"]})


@html.section
def milestones_section(ctx: ReportData) -> str:
    """Every milestone and its state as at the report date."""
    frame = milestones_table(ctx)
    shown = frame.assign(State=frame["State"].map(state))
    table = html.table(shown, caption=f"{len(frame)} milestones and their state, as at {ctx.as_at:%d %B %Y}",
                       raw_html={"State"}, row_header="Ref")
    return template("actions/milestones.html", table=table)


@html.section
def quarantine_section(ctx: ReportData) -> str:
    q = ctx.quarantine
    if q.empty:
        return ""
    frame = pd.DataFrame({"Line": q["line"], "Column": q["column"], "Reason": q["reason"]})
    return template("actions/quarantine.html",
                    table=html.table(frame, caption=f"{len(q)} rows of the action plan set aside", row_header="Line"))


def title_section(ctx: ReportData) -> html.Fragment:
    return template("actions/title.html", as_at=f"{ctx.as_at:%d %B %Y}", elsewhere=ctx.elsewhere, notice=notice(ctx),
                    headline=headline(ctx))


def summaries_section(ctx: ReportData) -> html.Fragment:
    return template("actions/summaries.html", by_lead=summary_section(ctx, "lead", "Lead"),
                    by_section=summary_section(ctx, "section", "Section"))


def board_section(project: Project, settings: ReportSettings, data: ReportData | None = None) -> str:
    """The action plan section of the integrated board paper (an HTML fragment). ``data``: the
    report's, loaded already."""
    ctx = data or load(project, settings)
    return "".join([title_section(ctx), overdue_section(ctx), summaries_section(ctx), due_soon_section(ctx),
                    quarantine_section(ctx)])
