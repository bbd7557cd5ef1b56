"""What the action plan stages take from params.yaml (sections ``actions`` and ``actions_report``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from helpers.core.errors import ConfigurationError
from helpers.core.settings import Settings


@dataclass(frozen=True)
class CleanseSettings(Settings):
    file_pattern: str | None          # None: any file whose name contains "action plan"
    lead_aliases: Mapping[str, str]   # the same lead written differently in the plan -> one code


@dataclass(frozen=True)
class ReportSettings(Settings):
    organisation: str             # the edition's ICB (top of params.yaml)
    period: str                   # the edition's data month (top of params.yaml)
    same_edition: bool            # the files are the edition's ICB's, for its month (false: labelled as
                                  # another organisation's or period's and kept out of the board's headline)
    as_at: str | None     # report date for overdue / due soon: 'YYYY-MM-DD', 'today' or null (the run date)
    due_soon_days: int

    def validate(self, where: str) -> None:
        if self.as_at not in (None, "today"):
            try:
                dt.date.fromisoformat(self.as_at)
            except ValueError:
                raise ConfigurationError(f"params.yaml {where}.as_at: found {self.as_at!r}, expected 'YYYY-MM-DD', "
                                         f"'today' or null") from None
