"""What the board paper's stages take from params.yaml (sections ``board`` and ``board_report``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from helpers.core.errors import ConfigurationError
from helpers.core.settings import Settings


@dataclass(frozen=True)
class CleanseSettings(Settings):
    organisation: str                              # the ICB (top of params.yaml): ${organisation} in filters
    measures: str                                  # the measure catalogue (YAML), from the project root
    spc_preset: Literal["plotthedots", "nhse_excel"]  # SPC rule set (helpers.methods.spc)


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the ICB whose paper this is (top of params.yaml)
    period: str                   # the data month (top of params.yaml)
    cover: str                    # the cover sheet's fields (YAML), from the project root
    meeting_date: str             # the board meeting the paper is for, 'YYYY-MM-DD' (the cover names it)
    as_at: str                    # staleness is counted back from the newest measure ('latest') or 'YYYY-MM-01'
    stale_after_months: int       # data older than this (months behind) is marked stale
    suppress_below: int           # counts below this are shown as 'fewer than N'

    def validate(self, where: str) -> None:
        try:
            dt.date.fromisoformat(self.meeting_date)
        except ValueError:
            raise ConfigurationError(f"params.yaml {where}.meeting_date: found {self.meeting_date!r}, expected "
                                     f"'YYYY-MM-DD'") from None
        if self.as_at != "latest" and not (len(self.as_at) == 10 and self.as_at.endswith("-01")):
            raise ConfigurationError(f"params.yaml {where}.as_at: found {self.as_at!r}, expected 'latest' or "
                                     f"'YYYY-MM-01'")
