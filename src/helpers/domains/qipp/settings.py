"""What the QIPP stages take from params.yaml (sections ``qipp`` and ``qipp_report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpers.core.errors import ConfigurationError
from helpers.core.settings import Settings


@dataclass(frozen=True)
class FinancialRag(Settings):
    red_below_pct: float      # % of the amount due that was delivered: Red below
    green_from_pct: float     # Green from; Amber between

    def validate(self, where: str) -> None:
        if self.red_below_pct > self.green_from_pct:
            raise ConfigurationError(f"params.yaml {where}: red_below_pct ({self.red_below_pct:g}) is above "
                                     f"green_from_pct ({self.green_from_pct:g})")


@dataclass(frozen=True)
class MilestoneRag(Settings):
    red_when_red_at_least: int    # milestones slipped by more than a week that make a scheme Red


@dataclass(frozen=True)
class CleanseSettings(Settings):
    file_pattern: str | None              # None: any file whose name contains "qipp"
    header_row: int | Literal["auto"]     # the layout's header line; 'auto' searches the first 30 rows
    year: str | None                      # the financial year of Due and Delivered, when several sit side by side
    rounding_unit: float                  # printed amounts are rounded to this many £m
    yield_tolerance_pct: float            # printed yields are whole percentages
    financial_rag: FinancialRag
    milestone_rag: MilestoneRag

    def rules(self) -> dict:
        """The board's rules as :mod:`helpers.domains.qipp.measures` takes them."""
        keys = ("financial_rag", "milestone_rag", "rounding_unit", "yield_tolerance_pct")
        return {key: value for key, value in self.as_dict().items() if key in keys}


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the edition's ICB (top of params.yaml)
    period: str                   # the edition's data month (top of params.yaml)
    same_edition: bool            # the files are the edition's ICB's, for its month (false: labelled as
                                  # another organisation's or period's and kept out of the board's headline)
    max_exceptions: int       # rows of the schemes-in-exception table in the board section
