"""The action plan section of the board paper: overdue and due-soon actions by lead and section.

Status is worked out as at a report date (``actions_report.as_at`` in params.yaml, default
today): a milestone past its due date is overdue unless the action's status says complete.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core.errors import InputMissingError
from helpers.domains.actions import measures as actions
from helpers.render import html

PROCESSED = Path("data/processed")
STATE_STYLE = {"overdue": "bad", "due now": "bad", "due soon": "neutral", "not yet due": "good",
               "ongoing": "neutral", "complete": "good"}


@dataclass
class ActionsContext:
    plan: pd.DataFrame
    milestones: pd.DataFrame
    quarantine: pd.DataFrame
    provenance: dict
    as_at: dt.date
    soon_days: int


def report_date(value) -> dt.date:
    if value in (None, "", "today"):
        return dt.date.today()
    return pd.Timestamp(value).date()


def load(root: Path, params: dict | None = None) -> ActionsContext:
    params = dict(params or {})
    folder = Path(root) / PROCESSED
    names = ["actions_plan", "actions_milestones", "actions_quarantine"]
    if not all((folder / f"{n}.parquet").exists() for n in names):
        raise InputMissingError(f"action plan tables not found in {folder}; run the cleanse_actions stage first")
    plan, milestones, quarantine = (pd.read_parquet(folder / f"{n}.parquet") for n in names)
    provenance = json.loads((folder / "actions_provenance.json").read_text(encoding="utf-8"))
    when = report_date(params.get("as_at"))
    soon = int(params.get("due_soon_days") or 31)
    plan, milestones = actions.as_at(plan, milestones, when, soon)
    return ActionsContext(plan, milestones, quarantine, provenance, when, soon)


def state(value) -> str:
    return html.status(value, STATE_STYLE.get(value, "neutral"))


def notice(ctx: ActionsContext) -> str:
    if ctx.provenance.get("transcribed_sample"):
        return ('<div class="banner notice" role="note">Sample input: Harrow PCT\'s action plan of 2003/04, '
                'transcribed from its board paper; the plan records no completion status, so actions past their '
                f'date show as overdue as at {ctx.as_at:%d %B %Y}. Historic, not current data.</div>')
    return ""


def headline(ctx: ActionsContext) -> str:
    counts = ctx.plan["state"].value_counts()
    return html.kpis([(str(len(ctx.plan)), "actions tracked"), (str(counts.get("overdue", 0)), "overdue"),
                      (str(counts.get("due now", 0) + counts.get("due soon", 0)),
                       f"due now or within {ctx.soon_days} days"), (str(counts.get("ongoing", 0)), "ongoing")])


def overdue_table(ctx: ActionsContext) -> pd.DataFrame:
    late = ctx.plan[ctx.plan["state"].isin(["overdue", "due now"])].sort_values(
        ["lead", "days_overdue"], ascending=[True, False], kind="stable")
    return pd.DataFrame({"Lead": late["lead"], "Ref": late["ref"], "Action": late["action"],
                         "Timescale": late["timescale"].str.replace("\n", "; "),
                         "Earliest missed date": late["oldest_overdue"].dt.strftime("%d %b %Y").fillna("immediate"),
                         "Days overdue": late["days_overdue"], "Milestones overdue": late["milestones_overdue"]})


def summary_section(ctx: ActionsContext, by: str, title: str) -> str:
    frame = actions.summary(ctx.plan, by).rename(columns={by: title})
    return html.table(frame, caption=f"Actions by {title.lower()}, as at {ctx.as_at:%d %B %Y}", row_header=title)


def overdue_section(ctx: ActionsContext) -> str:
    frame = overdue_table(ctx)
    if frame.empty:
        return f"<h3>Overdue actions by lead</h3><p>No action is overdue as at {ctx.as_at:%d %B %Y}.</p>"
    return ("<h3>Overdue actions by lead</h3>"
            + html.table(frame, caption=f"{len(frame)} actions overdue or due immediately, as at {ctx.as_at:%d %B %Y}",
                         formats={"Days overdue": html.integer, "Milestones overdue": html.integer}, row_header="Ref"))


def due_soon_section(ctx: ActionsContext) -> str:
    soon = ctx.plan[ctx.plan["state"] == "due soon"].sort_values("next_due")
    frame = pd.DataFrame({"Ref": soon["ref"], "Lead": soon["lead"], "Action": soon["action"],
                          "Next due": soon["next_due"].dt.strftime("%d %b %Y"), "State": soon["state"].map(state)})
    return (f"<h3>Due in the next {ctx.soon_days} days</h3>"
            + html.table(frame, caption=f"{len(frame)} actions with a milestone due by "
                                        f"{ctx.as_at + dt.timedelta(days=ctx.soon_days):%d %B %Y}",
                         raw_html={"State"}, row_header="Ref"))


def quarantine_section(ctx: ActionsContext) -> str:
    q = ctx.quarantine
    if q.empty:
        return ""
    frame = pd.DataFrame({"Line": q["line"], "Column": q["column"], "Reason": q["reason"]})
    return ("<h3>Not tracked: missing lead or timescale</h3><p>These rows of the plan cannot be tracked until a "
            "lead and a timescale (or 'Ongoing') are given.</p>"
            + html.table(frame, caption=f"{len(q)} rows of the action plan set aside", row_header="Line"))


def board_section(root: Path, params: dict | None = None) -> str:
    """The action plan section of the integrated board paper (an HTML fragment)."""
    ctx = load(Path(root), params)
    return "".join([
        f"<h2>Action plan as at {ctx.as_at:%d %B %Y}</h2>", notice(ctx), headline(ctx), overdue_section(ctx),
        "<h3>By lead</h3>", summary_section(ctx, "lead", "Lead"), "<h3>By section</h3>",
        summary_section(ctx, "section", "Section"), due_soon_section(ctx), quarantine_section(ctx),
    ])
