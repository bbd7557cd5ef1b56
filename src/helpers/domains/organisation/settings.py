"""What the organisation stage takes from params.yaml (section ``organisation_reference``)."""

from __future__ import annotations

from dataclasses import dataclass

from helpers.core.settings import Settings


@dataclass(frozen=True)
class CleanseSettings(Settings):
    min_provider_pathways: int    # a provider is one the ICB's patients use if this many wait there
