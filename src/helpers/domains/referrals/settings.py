"""What the referral gateway stages take from params.yaml (sections ``referrals`` and ``referrals_report``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from helpers.core.errors import ConfigurationError
from helpers.core.settings import Settings

AllOr = Literal["all"] | tuple[str, ...]


@dataclass(frozen=True)
class CleanseSettings(Settings):
    as_at: str                    # 'latest' (the extract's own date) or 'YYYY-MM-DD'
    period: AllOr                 # months of receipt, 'YYYY-MM'
    specialties: AllOr            # treatment function codes
    practices: AllOr              # GP practice codes
    inflow_window_days: int       # daily inflow = referrals received in this many days / days
    max_quarantine_pct: float     # more rows than this failing the row checks stops the run

    def validate(self, where: str) -> None:
        if self.period != "all" and len(self.period) != 2:
            raise ConfigurationError(f"params.yaml {where}.period: expected 'all' or [first month, last month], "
                                     f"found {list(self.period)}")


@dataclass(frozen=True)
class Plan(Settings):
    """A recovery plan: the booking capacity it buys (helpers.domains.referrals.trajectory)."""

    label: str
    wte: float
    bookings_per_wte_day: float
    working_days: float = 5
    overtime_hours: float = 0
    bookings_per_overtime_hour: float = 0
    temporary_wte: float = 0
    temporary_weeks: int = 0
    temporary_from_week: int = 1
    target: float | None = None          # a backlog to reach; or
    target_days: float | None = None     # days' worth of inflow


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the edition's ICB (top of params.yaml)
    period: str                   # the edition's data month (top of params.yaml)
    same_edition: bool            # the files are the edition's ICB's, for its month (false: labelled as
                                  # another organisation's or period's and kept out of the board's headline)
    target_days: float                   # backlog target in days' worth of inflow, for plans without one
    projection_weeks: int
    max_practices: int                   # practices shown in the referral-rate chart
    scenarios: Mapping[str, Plan]        # recovery plans, in order
