"""What the scorecard stages take from params.yaml (sections ``scorecard`` and ``scorecard_report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpers.core.settings import Settings


@dataclass(frozen=True)
class Suppression(Settings):
    """A named small-number policy (helpers.methods.suppression), optionally with its levels changed."""

    policy: Literal["nhs_small_numbers", "counts_below_5", "none"]
    min_count: int | None = None
    min_denominator: int | None = None
    zero_is_disclosive: bool | None = None

    def rule(self) -> dict:
        """As :func:`helpers.methods.suppression.policy` takes it: the name and any level changed."""
        return {k: v for k, v in self.as_dict().items() if v is not None}


@dataclass(frozen=True)
class OverallBand(Settings):
    good: float           # overall score (0-100) at or above: Good
    acceptable: float     # at or above: Acceptable


@dataclass(frozen=True)
class Scoring(Settings):
    overall_band: OverallBand
    review_reds: int      # Unacceptable indicators that trigger a contract review


@dataclass(frozen=True)
class CleanseSettings(Settings):
    suppression: Suppression
    scoring: Scoring


@dataclass(frozen=True)
class Organisation(Settings):
    level: Literal["england", "region", "icb", "ccg", "pcn", "practice"]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: Organisation    # which practices the scorecard and packs cover
    suppression: Suppression
    title: str
