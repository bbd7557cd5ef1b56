"""Small-number suppression before publication (statistical disclosure control).

A *policy* is named in ``params.yaml`` (``suppression.policy``) and may be tuned there; every
domain applies the same policy the same way:

1. :func:`flag` marks each row that must not be published, with the reason, where the data are
   computed (the processed table keeps the true figures and the flag);
2. :func:`for_publication` blanks the disclosive columns of flagged rows in the copy that goes
   into a report or pack, so suppression happens before anything is written for readers.

Policies (numerator = a count of people or events; denominator = the population it is of):

``nhs_small_numbers``
    counts 1-7 suppressed, and any row whose denominator is under 8 (NHS England / NHS Digital
    guidance for counts of patients in published tables); zero is not disclosive.
``counts_below_5``
    counts 1-4 suppressed (common OHID / local-authority rule); denominators not checked.
``none``
    nothing suppressed (internal use only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

SUPPRESSED = "Suppressed"


@dataclass(frozen=True)
class Policy:
    name: str
    min_count: int  # counts from 1 up to min_count - 1 are suppressed
    min_denominator: int = 0  # rows with a denominator under this are suppressed
    zero_is_disclosive: bool = False
    columns: tuple[str, ...] = ("numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998")

    def describe(self) -> str:
        text = f"{self.name}: counts 1 to {self.min_count - 1} suppressed" if self.min_count > 1 else \
            f"{self.name}: no count suppressed"
        if self.zero_is_disclosive:
            text += " (zero too)"
        if self.min_denominator:
            text += f"; rows with a denominator under {self.min_denominator} suppressed"
        return text


POLICIES = {
    "nhs_small_numbers": Policy("nhs_small_numbers", min_count=8, min_denominator=8),
    "counts_below_5": Policy("counts_below_5", min_count=5),
    "none": Policy("none", min_count=0),
}


def policy(settings: dict | str | None) -> Policy:
    """The policy named in ``settings`` (``{"policy": name, ...overrides}`` or a name)."""
    if settings is None:
        return POLICIES["nhs_small_numbers"]
    if isinstance(settings, str):
        settings = {"policy": settings}
    name = settings.get("policy", "nhs_small_numbers")
    if name not in POLICIES:
        raise ValueError(f"unknown suppression policy {name!r}; choose one of {sorted(POLICIES)}")
    overrides = {k: v for k, v in settings.items()
                 if k in {"min_count", "min_denominator", "zero_is_disclosive"} and v is not None}
    return replace(POLICIES[name], **overrides)


def flag(frame: pd.DataFrame, rule: Policy, *, numerator: str = "numerator",
         denominator: str = "denominator") -> pd.DataFrame:
    """``frame`` with ``suppressed`` (bool) and ``suppression_reason`` (text or None) added."""
    out = frame.copy()
    num = pd.to_numeric(out[numerator], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(out[denominator], errors="coerce").to_numpy(dtype=float)
    lowest = 0 if rule.zero_is_disclosive else 1
    small_count = (num >= lowest) & (num < rule.min_count)
    small_den = np.isfinite(den) & (den < rule.min_denominator)
    reason = np.full(len(out), None, dtype=object)
    reason[small_den] = f"denominator under {rule.min_denominator}"
    reason[small_count] = f"count under {rule.min_count}"
    out["suppressed"] = small_count | small_den
    out["suppression_reason"] = reason
    return out


def for_publication(frame: pd.DataFrame, *, text_columns: tuple[str, ...] = (),
                    columns: tuple[str, ...] | None = None, rule: Policy | None = None) -> pd.DataFrame:
    """A copy with the disclosive columns blanked on suppressed rows; ``text_columns`` read 'Suppressed'."""
    if "suppressed" not in frame.columns:
        raise ValueError("flag() the frame before publishing it: no 'suppressed' column")
    out = frame.copy()
    mask = out["suppressed"].fillna(False).astype(bool).to_numpy()
    for column in columns or (rule.columns if rule else Policy("x", 0).columns):
        if column in out.columns:
            out[column] = out[column].astype(float)
            out.loc[mask, column] = np.nan
    for column in text_columns:
        if column in out.columns:
            out[column] = out[column].astype(object)
            out.loc[mask, column] = SUPPRESSED
    return out


def as_dict(rule: Policy) -> dict:
    return asdict(rule)
