"""Backlog recovery trajectories: week-by-week projections of the booking backlog under named plans.

A plan (``referrals_report.scenarios`` in params.yaml) gives the booking capacity it buys:

* ``wte`` booking staff (whole-time equivalent), each booking ``bookings_per_wte_day`` referrals a
  working day, ``working_days`` a week;
* ``overtime_hours`` a week at ``bookings_per_overtime_hour``;
* ``temporary_wte`` extra staff for ``temporary_weeks`` weeks starting in week
  ``temporary_from_week`` (1 = the first projected week).

Each week the backlog grows by the inflow (``daily_inflow`` referrals a calendar day x 7) and
falls by that week's capacity, and never goes below zero:

    backlog[w] = max(0, backlog[w-1] + 7 x daily_inflow - capacity[w])

A plan may set its own ``target`` (a backlog) or ``target_days`` (days' worth of inflow); the
target is met in the first week whose closing backlog is at or below it; its date is that
week's last day. The arithmetic is deliberately plain so a board member can check it by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    wte: float
    bookings_per_wte_day: float
    working_days: float = 5
    overtime_hours: float = 0
    bookings_per_overtime_hour: float = 0
    temporary_wte: float = 0
    temporary_weeks: int = 0
    temporary_from_week: int = 1
    target: float | None = None  # a backlog to reach; or
    target_days: float | None = None  # days' worth of inflow (target = target_days x daily inflow)

    def target_for(self, daily_inflow: float, default: float) -> float:
        if self.target is not None:
            return float(self.target)
        if self.target_days is not None:
            return float(self.target_days) * daily_inflow
        return float(default)

    @classmethod
    def from_params(cls, name: str, spec: dict) -> Scenario:
        known = {f.name for f in fields(cls)}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"scenario {name!r}: unknown setting(s) {', '.join(sorted(unknown))}; "
                             f"expected some of {', '.join(sorted(known - {'name'}))}")
        return cls(name=name, **{"label": name, **spec})

    def capacity(self, week: int) -> float:
        """Referrals booked in projected week ``week`` (1-based)."""
        staff = self.wte
        if self.temporary_from_week <= week < self.temporary_from_week + self.temporary_weeks:
            staff += self.temporary_wte
        return staff * self.bookings_per_wte_day * self.working_days + \
            self.overtime_hours * self.bookings_per_overtime_hour


def scenarios(spec: dict) -> list[Scenario]:
    """The named plans in params.yaml's ``scenarios`` mapping, in order."""
    return [Scenario.from_params(name, dict(values)) for name, values in (spec or {}).items()]


def project(scenario: Scenario, *, start_backlog: float, start: dt.date | pd.Timestamp, daily_inflow: float,
            weeks: int = 26) -> pd.DataFrame:
    """Week 0 (the start) and ``weeks`` projected weeks: inflow, capacity, closing backlog."""
    start = pd.Timestamp(start).normalize()
    rows = [{"scenario": scenario.name, "label": scenario.label, "week": 0, "week_ending": start,
             "inflow": 0.0, "capacity": 0.0, "backlog": float(start_backlog)}]
    backlog = float(start_backlog)
    for week in range(1, weeks + 1):
        inflow = 7 * daily_inflow
        capacity = scenario.capacity(week)
        backlog = max(0.0, backlog + inflow - capacity)
        rows.append({"scenario": scenario.name, "label": scenario.label, "week": week,
                     "week_ending": start + pd.Timedelta(weeks=week), "inflow": inflow, "capacity": capacity,
                     "backlog": backlog})
    return pd.DataFrame(rows)


def target_met(projection: pd.DataFrame, target: float) -> pd.Timestamp | None:
    """The last day of the first week whose backlog is at or below ``target`` (None if never)."""
    hit = projection[projection["backlog"] <= target]
    return None if hit.empty else pd.Timestamp(hit["week_ending"].iloc[0])


def project_all(plans: list[Scenario], *, start_backlog: float, start, daily_inflow: float, target: float,
                weeks: int = 26) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every plan's projection (long table) and a summary: target date, weeks, backlog at the end.

    ``target`` applies to plans that name no target of their own."""
    projections = [project(p, start_backlog=start_backlog, start=start, daily_inflow=daily_inflow, weeks=weeks)
                   for p in plans]
    summary = []
    for plan, frame in zip(plans, projections):
        goal = plan.target_for(daily_inflow, target)
        met = target_met(frame, goal)
        summary.append({"scenario": plan.name, "label": plan.label, "target": goal,
                        "target_met": met,
                        "weeks_to_target": np.nan if met is None else int(frame.loc[frame["week_ending"] == met,
                                                                                    "week"].iloc[0]),
                        "weekly_capacity": plan.capacity(10 ** 6), "weekly_inflow": 7 * daily_inflow,
                        "backlog_at_end": frame["backlog"].iloc[-1]})
    return pd.concat(projections, ignore_index=True), pd.DataFrame(summary)
