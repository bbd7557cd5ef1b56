"""The data dictionary published with every edition (``definitions.html``).

Every scorecard indicator and board measure as its catalogue defines it: what is counted, how it
is judged (polarity and thresholds, or improvement direction and target), the confidence method
its type implies, and the publisher of its source with a link and how often it is released
(``catalogue/sources.yaml``). Built from the catalogues the run used, so it cannot drift from them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.core.errors import SourceFormatError
from helpers.domains.board import measures as board
from helpers.domains.scorecard import CATALOGUE
from helpers.domains.scorecard import measures as scorecard
from helpers.methods import stats
from helpers.render import template

TITLE = "Definitions: every indicator and measure, and where its data comes from"
FILE = "definitions.html"
SOURCES = "catalogue/sources.yaml"

# How each indicator type's figures are compared (methods/stats.py)
METHODS = {
    "proportion": "Wilson score interval, 95% and 99.8% (funnel limits around the ICB and England values)",
    "rate": "exact Poisson interval (Byar's approximation for large counts), 95% and 99.8%",
    "ratio": "no interval: compared with the ICB and England values only",
    "context": "no interval: shown beside performance, never judged",
}
SECTIONS = {"A": "A: contractual", "B": "B: key", "C": "C: developmental", "context": "Context"}


def load_sources(path: Path) -> dict[str, dict]:
    """``catalogue/sources.yaml``: each inputs subfolder's publisher, title, link and release."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sources = spec.get("sources") or {}
    for name, entry in sources.items():
        missing = [key for key in ("publisher", "title", "released") if not str((entry or {}).get(key) or "").strip()]
        if missing:
            raise SourceFormatError(path, f"source {name}: missing {', '.join(missing)}")
    return sources


def judgement(ind: scorecard.Indicator) -> str:
    """How an indicator is judged, in words: its polarity and, if banded, the thresholds."""
    if ind.polarity == stats.NO_JUDGEMENT or not ind.judged:
        return "No judgement: compared Higher / Similar / Lower than the ICB and England, never banded"
    unit = ind.unit or ""
    words = ind.polarity.capitalize()
    if ind.thresholds:
        at = "or more" if ind.polarity == stats.HIGH_IS_GOOD else "or less"
        words += (f"; Good at {ind.thresholds['good']}{unit} {at}, Acceptable at {ind.thresholds['acceptable']}{unit} "
                  f"{at}, otherwise Unacceptable")
    if ind.polarity_reason:
        words += f" ({ind.polarity_reason})"
    return words


def indicator_rows(indicators: list[scorecard.Indicator], sources: dict) -> list[dict]:
    return [{"name": ind.name, "section": SECTIONS.get(str(ind.section), str(ind.section)), "domain": ind.domain,
             "numerator": ind.numerator or "not stated", "denominator": ind.denominator or "not stated",
             "judgement": judgement(ind), "method": METHODS.get(ind.type, ind.type),
             "weight": "not scored" if not ind.scored else f"weight {ind.weight:g}",
             "source": sources.get(ind.source, {"title": ind.source})} for ind in indicators]


def measure_rows(measures: list[board.Measure], sources: dict) -> list[dict]:
    rows = []
    for m in measures:
        origin = m.data_source.get("source")
        rows.append({"reference": m.reference, "name": m.name, "scope": "the ICB" if m.scope == "icb" else "England",
                     "direction": {"increase": "Higher is better", "decrease": "Lower is better"}.get(
                         m.improvement_direction, "Neither direction is better"),
                     "target": "none" if m.target is None else f"{m.target:g}{'%' if m.unit == 'percent' else ''}",
                     "from": m.source_label, "owner": m.owner,
                     "source": sources.get(origin) if origin else None,
                     "baseline": m.baseline_points})
    return rows


def body(root: Path, params: dict) -> str:
    """The page's body, from the catalogues named in ``params`` (the run's settings)."""
    sources = load_sources(root / SOURCES)
    indicators = scorecard.load_catalogue(root / CATALOGUE)
    measures = board.load_catalogue(root / params.get("board", {}).get("measures", "board_measures.yaml"))
    used = {ind.source for ind in indicators} | {m.data_source["source"] for m in measures if "source" in m.data_source}
    return template("publish/definitions.html", title=TITLE, indicators=indicator_rows(indicators, sources),
                    measures=measure_rows(measures, sources),
                    sources=[sources[name] for name in sorted(sources, key=lambda n: (n not in used, n))])
