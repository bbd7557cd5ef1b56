"""Action plan tracker: actions and their milestones with dates, status as at a report date.

Each action has a reference, lead, timescale, progress text and an optional status. The
timescale cell is parsed by :mod:`helpers.timescales` into one milestone per date expression;
rows under an action with their own timescale are further milestones. An action with no lead,
or a milestone with no usable timescale, is quarantined with the reason (never dropped
silently); "Ongoing" is a timescale, meaning no due date.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.core.errors import QUARANTINE_COLUMNS
from helpers.domains.actions import timescales

COMPLETE = {"complete", "completed", "done", "achieved", "closed", "c"}
STATES = ["overdue", "due now", "due soon", "not yet due", "ongoing", "complete"]


def _lead(text, aliases: dict) -> str | None:
    if text is None or pd.isna(text) or not str(text).strip():
        return None
    return aliases.get(text.strip(), text.strip())


def tidy(raw: pd.DataFrame, *, file: str, lead_aliases: dict | None = None):
    """(actions, milestones, quarantine) from the rows :func:`sources.action_plan.read` returns."""
    aliases = dict(lead_aliases or {})
    raw = raw.astype(object).map(lambda v: None if v is None or pd.isna(v) else v)  # blank cells as None
    actions, milestones, quarantine = [], [], []

    def bad(line, column, value, reason):
        quarantine.append({"source": "action_plan", "file": file, "line": int(line), "column": column,
                           "value": None if value is None or pd.isna(value) else str(value), "reason": reason})

    # Grouped by position, not reference: a reference used twice stays two actions for the gate to catch.
    for _, group in raw[raw["row_type"].isin(["action", "milestone"])].groupby("action_seq", sort=False):
        head_line = int(group.index[0])
        head = group.iloc[0]
        ref = head["ref"]
        lead = _lead(head["lead"], aliases)
        items = []
        for line, row in group.iterrows():
            try:
                parsed = timescales.parse(row["timescale"])
            except timescales.TimescaleError as exc:
                if row["row_type"] == "milestone" or len(group) == 1 or row["timescale"]:
                    what = "milestone" if row["row_type"] == "milestone" else "action"
                    bad(line, "Timescale", row["timescale"], f"{what} {ref}: {exc}")
                continue
            single = len(parsed) == 1
            for item in parsed:
                items.append({"ref": ref, "line": int(line), "timescale": item.text.strip(), "kind": item.kind,
                              "start": item.start, "due": item.due, "onwards": item.onwards,
                              "progress": row["progress"] if single else None})
        if lead is None:
            bad(head_line, "Lead", None, f"action {ref} has no lead")
            continue
        if not items:
            if not any(q["line"] == head_line for q in quarantine):
                bad(head_line, "Timescale", head["timescale"], f"action {ref}: no timescale given")
            continue
        for seq, item in enumerate(items, start=1):
            milestones.append({**item, "seq": seq, "lead": lead, "section": head["section"]})
        dues = [i["due"] for i in items if i["due"] is not None]
        starts = [i["start"] for i in items if i["start"] is not None]
        progress = "\n".join(p for p in group["progress"].dropna())
        actions.append({
            "ref": ref, "section_ref": head["section_ref"], "section": head["section"], "action": head["action"],
            "lead": lead, "lead_as_written": head["lead"], "timescale": head["timescale"],
            "start": min(starts) if starts else None, "due": max(dues) if dues else None,
            "ongoing": any(i["kind"] == "ongoing" or i["onwards"] for i in items),
            "immediate": any(i["kind"] == "immediate" for i in items),
            "milestones": len(items), "status": head["status"], "progress": progress or None,
            "file": file, "line": head_line,
        })
    a = pd.DataFrame(actions)
    m = pd.DataFrame(milestones)
    for frame in (a, m):
        for c in ("start", "due"):
            if c in frame:
                frame[c] = pd.to_datetime(frame[c])
    q = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS)
    return a, m, q


def milestone_state(due, kind: str, complete: bool, as_at: dt.date, soon_days: int) -> str:
    if complete:
        return "complete"
    if kind == "immediate":
        return "due now"
    if pd.isna(due):
        return "ongoing"
    due = pd.Timestamp(due).date()
    if due < as_at:
        return "overdue"
    return "due soon" if (due - as_at).days <= soon_days else "not yet due"


def as_at(actions: pd.DataFrame, milestones: pd.DataFrame, report_date: dt.date, soon_days: int = 31):
    """Actions and milestones with their state at ``report_date`` (overdue, due soon, ...)."""
    complete = {r: str(s).strip().lower() in COMPLETE for r, s in zip(actions["ref"], actions["status"])}
    m = milestones.copy()
    m["state"] = [milestone_state(d, k, complete.get(r, False), report_date, soon_days)
                  for d, k, r in zip(m["due"], m["kind"], m["ref"])]
    counts = m.groupby(["ref", "state"]).size().unstack(fill_value=0).reindex(columns=STATES, fill_value=0)
    counts.columns = [f"milestones_{s.replace(' ', '_')}" for s in STATES]
    a = actions.merge(counts, left_on="ref", right_index=True, how="left")
    # An action takes the most pressing state of its milestones, in STATES order.
    a["state"] = [next((s for s, n in zip(STATES, row) if n > 0), "ongoing")
                  for row in a[counts.columns].itertuples(index=False)]
    open_dues = m[m["state"].isin(["overdue", "due now", "due soon", "not yet due"])].groupby("ref")["due"]
    a = a.merge(open_dues.min().rename("next_due"), left_on="ref", right_index=True, how="left")
    oldest = m[m["state"] == "overdue"].groupby("ref")["due"].min().rename("oldest_overdue")
    a = a.merge(oldest, left_on="ref", right_index=True, how="left")
    a["days_overdue"] = (pd.Timestamp(report_date) - a["oldest_overdue"]).dt.days
    return a, m


def summary(actions_at: pd.DataFrame, by: str) -> pd.DataFrame:
    """Actions by lead or section: how many are overdue, due soon, ongoing, not yet due, complete."""
    out = actions_at.groupby(by, sort=False)["state"].value_counts().unstack(fill_value=0)
    out = out.reindex(columns=STATES, fill_value=0)
    out.insert(0, "actions", out.sum(axis=1))
    out = out.sort_values(["overdue", "actions"], ascending=False, kind="stable")
    return out.reset_index()
