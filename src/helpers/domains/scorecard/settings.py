"""What the scorecard stages take from params.yaml (sections ``scorecard`` and ``scorecard_report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpers.core.errors import ConfigurationError
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
    min_indicator_share: float  # a practice banded on fewer of the scored indicators than this share is not scored

    def validate(self, where: str) -> None:
        if not 0 <= self.min_indicator_share <= 1:
            raise ConfigurationError(f"params.yaml {where}.min_indicator_share: found {self.min_indicator_share}, "
                                     f"expected a share between 0 and 1")


@dataclass(frozen=True)
class CleanseSettings(Settings):
    suppression: Suppression
    scoring: Scoring


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the ICB whose practices the scorecard and packs cover (top of params.yaml)
    period: str                   # the data month: practices open in it are scored (top of params.yaml)
    suppression: Suppression
    title: str
