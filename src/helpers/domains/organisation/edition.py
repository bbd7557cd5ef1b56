"""The edition a page is about: one ICB and one data month.

Every report resolves its ``organisation`` and ``period`` settings (the top of params.yaml) here,
against the organisation tables and the months the RTT extract covers, so that every page names
the same organisation and month, and a month that is not in the data is an error naming the ones
that are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.core.config import Project
from helpers.core.errors import ConfigurationError, InputMissingError


class NamedMonth:
    """How pages name an organisation's month, for anything with a ``name`` and a ``month``."""

    name: str
    month: pd.Timestamp

    @property
    def month_name(self) -> str:
        return f"{self.month:%B %Y}"

    @property
    def label(self) -> str:
        """'NHS Sussex ICB, data for January 2026': what every page's title block says."""
        return f"{self.name}, data for {self.month_name}"


@dataclass(frozen=True)
class Edition(NamedMonth):
    code: str                    # the ICB's ODS code, e.g. QNX
    name: str                    # as pages print it, e.g. NHS Sussex ICB
    month: pd.Timestamp          # the data month (its last day, as the RTT extract dates it)
    sub_icbs: tuple[str, ...]    # its sub-ICB locations (the old CCG codes)


def months(project: Project) -> list[pd.Timestamp]:
    """The data months an edition can be for: those the RTT extract covers."""
    path = project.table_path("rtt", "summary")
    if not path.exists():
        raise InputMissingError(f"{path} not found: run the cleanse_rtt stage first")
    return sorted(pd.Timestamp(p) for p in pd.read_parquet(path, columns=["period"])["period"].unique())


def resolve_month(period: str, available: list[pd.Timestamp]) -> pd.Timestamp:
    if not available:
        raise InputMissingError("no data month: the RTT extract has no periods")
    if period == "latest":
        return available[-1]
    for month in available:
        if f"{month:%Y-%m}" == period:
            return month
    raise ConfigurationError(f"params.yaml period: {period!r} is not in the data; months present: "
                             f"{', '.join(f'{m:%Y-%m}' for m in available)}")


def load(project: Project, organisation: str, period: str) -> Edition:
    icbs = pd.read_parquet(project.table_path("organisation", "icbs"))
    row = icbs[icbs["icb_code"] == organisation]
    if row.empty:
        raise ConfigurationError(f"params.yaml organisation: {organisation!r} is not an ICB in the reference files")
    subs = pd.read_parquet(project.table_path("organisation", "sub_icbs"))
    codes = tuple(sorted(subs.loc[subs["icb_code"] == organisation, "sub_icb_code"]))
    return Edition(organisation, str(row["name"].iloc[0]), resolve_month(period, months(project)), codes)


def find(project: Project, organisation: str, period: str) -> Edition | None:
    """:func:`load`, or None before the organisation and RTT tables exist (a domain's report run on its
    own tables alone, which only needs the edition to say whether its data is for it)."""
    if not (project.table_path("organisation", "icbs").exists() and project.table_path("rtt", "summary").exists()):
        return None
    return load(project, organisation, period)


def elsewhere(what: str, scope: Edition | None, same_edition: bool, *, organisation: str = "") -> str:
    """What a heading adds for a section whose data is for another organisation or period: 'data for
    South West Essex PCT, 2010/11, not NHS Sussex ICB January 2026' ('' when the setting
    ``same_edition`` says the files are the edition's own)."""
    if same_edition:
        return ""
    edition = f"{scope.name} {scope.month_name}" if scope else (organisation or "this edition's organisation and month")
    return f"data for {what}, not {edition}"
