"""The edition's organisation checked before any stage runs.

An ICB code that the reference files do not know would otherwise surface minutes later, deep in
a report; here it stops the run at once (exit 5) naming the code and the closest known codes.
The check reads ODS ``epraccur`` (no header; column 4 is the ICB) with the standard library, so a
no-op run stays quick.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter
from pathlib import Path

from helpers.core.errors import ConfigurationError

EPRACCUR = re.compile(r"(?i)^(SYNTHETIC_)?epraccur\.csv$")  # as sources.gp_practice_reference names it
ICB_COLUMN, SETTING_COLUMN, GP_PRACTICE = 3, 25, "4"


def known_icbs(folder: Path) -> Counter:
    """ICB codes with the number of GP practices ODS lists under each."""
    files = sorted(p for p in folder.iterdir() if EPRACCUR.match(p.name)) if folder.is_dir() else []
    if not files:
        return Counter()
    with files[-1].open(encoding="utf-8-sig", errors="replace", newline="") as f:
        return Counter(row[ICB_COLUMN].strip() for row in csv.reader(f)
                       if len(row) > SETTING_COLUMN and row[SETTING_COLUMN].strip() == GP_PRACTICE)


def closest(code: str, known: list[str], n: int = 3) -> list[str]:
    """The known codes most like ``code``: most characters in the same place, then most in common."""
    code = code.upper()

    def likeness(other: str) -> tuple[int, float]:
        same_place = sum(a == b for a, b in zip(code, other))
        return same_place, difflib.SequenceMatcher(None, code, other).ratio()

    ranked = sorted(known, key=lambda other: (likeness(other), other), reverse=True)
    return [other for other in ranked[:n] if likeness(other)[0] or likeness(other)[1] >= 0.5]


def check(code: str, reference_folder: Path) -> None:
    """Stop (exit 5) if ``code`` is not an ICB with GP practices in the reference folder's epraccur."""
    known = known_icbs(reference_folder)
    if not known or code in known:
        return  # no reference file: the organisation stage will say so itself
    close = closest(code, list(known))
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise ConfigurationError(f"params.yaml organisation: {code!r} is not an ICB code in the ODS practice list "
                             f"({reference_folder}, {len(known)} ICBs){hint} (the ICB's three-character ODS code, "
                             f"e.g. QNX for NHS Sussex ICB)")
