"""What the RTT stages take from params.yaml (sections ``rtt`` and ``rtt_report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpers.core.settings import Settings


@dataclass(frozen=True)
class CleanseSettings(Settings):
    file_pattern: str                                # which files in rtt_full_csv/ are monthly extracts
    periods: Literal["all"] | tuple[str, ...]        # months to keep, 'YYYY-MM'


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the ICB (commissioner parent) reported on (top of params.yaml)
    period: str                   # 'latest' or 'YYYY-MM' (top of params.yaml)
    standard_pct: float           # % of incomplete pathways within 18 weeks (the constitution's 92)
    long_wait_weeks: int          # the long-wait threshold shown by specialty
    max_providers: int            # providers shown in the ranking chart
    min_provider_pathways: int    # smaller providers are listed but not ranked
