"""GP practice balanced scorecard: catalogue, tidy indicator table, comparisons, bands, scores.

The indicator catalogue (``catalogue/indicators.yaml``) says what each indicator is; this module
turns the readers' frames into one tidy table (practice x indicator x period) with numerator,
denominator, value, 95% and 99.8% limits, comparisons with the ICB and England, the locally
agreed band and suppression flags, then scores each practice:

* band points: Good 2, Acceptable 1, Unacceptable 0; a domain score is the weighted share of the
  points available (0-100) over the banded indicators of the domain; the overall score likewise
  over all scored indicators; the overall band comes from ``scoring.overall_band`` thresholds;
* movement compares the latest period with the previous one, so movement within a level shows
  even when the overall band has not changed;
* the count of Unacceptable indicators triggers a contract review at ``scoring.review_reds``;
* context indicators (deprivation, list size) are carried beside the scores, never in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from helpers.core.errors import QUARANTINE_COLUMNS, SourceFormatError
from helpers.methods import stats

TYPES = ("proportion", "rate", "ratio", "context")
SECTIONS = ("A", "B", "C", "context")
GOOD, ACCEPTABLE, UNACCEPTABLE, NOT_BANDED = "Good", "Acceptable", "Unacceptable", "Not banded"
NOT_SCORED = "Not scored"  # a closed or dormant practice, or one banded on too few indicators
OPEN_STATUSES = ("Active", "Proposed")
BAND_POINTS = {GOOD: 2, ACCEPTABLE: 1, UNACCEPTABLE: 0}
BAND_ORDER = [GOOD, ACCEPTABLE, UNACCEPTABLE, NOT_BANDED]
# Sources that cover every practice in England: their pooled value is England's. The others
# (e.g. the immunisations extract for one county) are not compared with England.
NATIONAL_SOURCES = {"fingertips_practice", "qof_2020_21", "gp_payments", "gp_practice_reference"}

KEY = ["indicator_id", "practice_code", "period"]


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    source: str
    select: dict
    domain: str
    section: str
    type: str
    polarity: str
    multiplier: float = 1
    unit: str = ""
    thresholds: dict = field(default_factory=dict)
    weight: float = 0
    polarity_reason: str = ""   # why an indicator that is no judgement by nature is judged (the pack prints it)
    numerator: str = ""         # what is counted, in words (the data dictionary)
    denominator: str = ""
    decimals: int = 1           # as pages print its values (0 for a count such as registered patients)

    @property
    def scored(self) -> bool:
        return self.type != "context" and self.weight > 0 and bool(self.thresholds)

    @property
    def no_judgement_by_nature(self) -> bool:
        """Recorded prevalence (a QOF disease register) and context are neither good nor bad: Fingertips
        compares them Higher / Similar / Lower and never bands them."""
        return self.type == "context" or "register" in self.select

    @property
    def judged(self) -> bool:
        return self.polarity != stats.NO_JUDGEMENT


def load_catalogue(path: Path) -> list[Indicator]:
    """The catalogue, checked: unknown types, polarities or sections stop with the entry named."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out, seen = [], set()
    for number, entry in enumerate(spec.get("indicators") or [], start=1):
        where = f"indicator {number} ({entry.get('id', '?')})"
        try:
            ind = Indicator(**{k: entry[k] for k in entry if k in Indicator.__dataclass_fields__})
        except TypeError as exc:
            raise SourceFormatError(path, f"{where}: {exc}") from None
        problems = []
        if ind.type not in TYPES:
            problems.append(f"type {ind.type!r} is not one of {TYPES}")
        if ind.polarity not in stats.POLARITIES:
            problems.append(f"polarity {ind.polarity!r} is not one of {stats.POLARITIES}")
        if str(ind.section) not in SECTIONS:
            problems.append(f"section {ind.section!r} is not one of {SECTIONS}")
        if ind.thresholds and (set(ind.thresholds) != {"good", "acceptable"} or ind.polarity == stats.NO_JUDGEMENT):
            problems.append("thresholds need 'good' and 'acceptable' and a polarity that judges")
        if ind.no_judgement_by_nature and ind.judged and not str(ind.polarity_reason).strip():
            problems.append(f"polarity {ind.polarity!r} on a {'context' if ind.type == 'context' else 'recorded prevalence'} "
                            "indicator, which is no judgement (compared Higher / Similar / Lower, not banded), "
                            "needs a polarity_reason saying why it is judged")
        if ind.id in seen:
            problems.append("duplicate id")
        if problems:
            raise SourceFormatError(path, f"{where}: " + "; ".join(problems))
        seen.add(ind.id)
        out.append(ind)
    if not out:
        raise SourceFormatError(path, "the catalogue lists no indicators")
    return out


# ------------------------------------------------------------------------- rows per indicator

def _select(frame: pd.DataFrame, select: dict) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, wanted in select.items():
        if column == "measure":
            continue
        wanted = wanted if isinstance(wanted, list) else [wanted]
        mask &= frame[column].astype(str).isin([str(w) for w in wanted])
    return mask


def indicator_rows(ind: Indicator, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of one indicator from its source frame, in a common shape.

    Columns: practice_code, period, numerator, denominator, published_value, file, line.
    ``published_value`` is the publisher's own value where the source gives one (used when the
    counts are blank, e.g. coverage published as a percentage only).
    """
    if ind.source not in tables:
        raise SourceFormatError(ind.source, f"indicator {ind.id} needs source {ind.source!r}, which was not read")
    frame = tables[ind.source]
    rows = frame[_select(frame, ind.select)]
    line = rows.index.to_numpy()
    if ind.source == "fingertips_practice":
        out = pd.DataFrame({"practice_code": rows["area_code"], "period": rows["period"],
                            "numerator": rows["count"], "denominator": rows["denominator"],
                            "published_value": rows["value"]})
    elif ind.source == "child_immunisations":
        out = pd.DataFrame({"practice_code": rows["practice_code"], "period": rows["period"],
                            "numerator": rows["numerator"], "denominator": rows["denominator"],
                            "published_value": rows["proportion"] * ind.multiplier})
    elif ind.source == "qof_2020_21":
        out = pd.DataFrame({"practice_code": rows["practice_code"], "period": rows["period"],
                            "numerator": rows["numerator"], "denominator": rows["denominator"],
                            "published_value": np.nan})
    elif ind.source == "gp_payments":
        measure = ind.select.get("measure", "payments_per_weighted_patient")
        out = pd.DataFrame({"practice_code": rows["practice_code"], "period": rows["period"],
                            "numerator": rows["total_payments"], "denominator": rows["weighted_patients"],
                            "published_value": rows[measure]})
    elif ind.source == "gp_practice_reference":
        out = pd.DataFrame({"practice_code": rows["practice_code"],
                            "period": rows["extract_date"].dt.strftime("%Y-%m"),
                            "numerator": np.nan, "denominator": np.nan, "published_value": rows["list_size"]})
    else:
        raise SourceFormatError(ind.source, f"indicator {ind.id}: no reader for source {ind.source!r}")
    out["file"] = rows["file"].to_numpy()
    out["line"] = line
    out.insert(0, "indicator_id", ind.id)
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------- quarantine

def quarantine_checks(rows: pd.DataFrame, ind: Indicator, known_codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into (kept, quarantined): unknown practice, numerator above denominator for a
    proportion, negative counts, a second row for the same practice and period."""
    reasons = pd.Series(None, index=rows.index, dtype=object)
    columns = pd.Series(None, index=rows.index, dtype=object)

    def mark(mask, column, reason):
        new = mask & reasons.isna()
        reasons[new] = reason
        columns[new] = column

    code = rows["practice_code"].astype(str)
    mark(~code.str.match(r"^[A-Z]\d{5}$"), "practice_code", "not a GP practice code (letter and 5 digits)")
    mark(~code.isin(known_codes), "practice_code", "practice code not known to ODS (epraccur)")
    mark(rows["numerator"] < 0, "numerator", "negative numerator")
    mark(rows["denominator"] < 0, "denominator", "negative denominator")
    if ind.type == "proportion":
        mark(rows["numerator"] > rows["denominator"], "numerator", "numerator above denominator")
    dupes = rows.duplicated(["practice_code", "period"], keep="first")
    first_line = rows.groupby(["practice_code", "period"])["line"].transform("first")
    mark(dupes, "practice_code", "duplicate practice and period (first at line " + first_line.astype(str) + ")")
    bad = reasons.notna()
    value_of = [rows.at[i, c] if c in rows.columns else None for i, c in zip(rows.index[bad], columns[bad])]
    quarantined = pd.DataFrame({
        "source": ind.source, "file": rows.loc[bad, "file"], "line": rows.loc[bad, "line"].astype("int64"),
        "column": columns[bad], "value": [str(v) for v in value_of],
        "reason": ind.id + ": " + reasons[bad].astype(str),
    })
    return rows[~bad].copy(), quarantined[QUARANTINE_COLUMNS]


# ------------------------------------------------------------------------- values and limits

def add_values(rows: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Value and 95%/99.8% limits by indicator type; published value where the counts are blank."""
    out = rows.copy()
    num, den = out["numerator"].to_numpy(float), out["denominator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(den > 0, num / den * ind.multiplier, np.nan)
    if ind.type in ("proportion", "rate"):
        out["value"] = np.where(np.isfinite(computed), computed, out["published_value"])
    else:
        out["value"] = out["published_value"].where(out["published_value"].notna(), computed)
    for level, suffix in ((stats.CONFIDENCE_95, "95"), (stats.CONFIDENCE_99_8, "998")):
        if ind.type == "proportion":
            lower, upper = stats.wilson_limits(num, den, level)
            lower, upper = lower * ind.multiplier, upper * ind.multiplier
        elif ind.type == "rate":
            lower, upper = stats.rate_limits(num, den, ind.multiplier, level)
        else:
            lower = upper = np.full(len(out), np.nan)
        out[f"lower{suffix}"], out[f"upper{suffix}"] = lower, upper
    return out


def pooled(frame: pd.DataFrame, ind: Indicator, by: list[str]) -> pd.DataFrame:
    """Pooled value (sum of numerators / sum of denominators) per group; mean value if no counts."""
    usable = frame[frame["numerator"].notna() & (frame["denominator"] > 0)]
    if ind.type in ("proportion", "rate") or (ind.type == "ratio" and not usable.empty):
        sums = usable.groupby(by, observed=True)[["numerator", "denominator"]].sum()
        return (sums["numerator"] / sums["denominator"] * ind.multiplier).rename("value").reset_index()
    return frame.groupby(by, observed=True)["value"].mean().rename("value").reset_index()


def add_comparisons(rows: pd.DataFrame, ind: Indicator, practices: pd.DataFrame,
                    england_published: pd.DataFrame | None = None) -> pd.DataFrame:
    """ICB and England values, and Better/Similar/Worse (or Higher/Lower) by the 95% limits."""
    out = rows.merge(practices[["practice_code", "icb_code"]], on="practice_code", how="left")
    icb = pooled(out[out["icb_code"].notna()], ind, ["icb_code", "period"]).rename(columns={"value": "icb_value"})
    out = out.merge(icb, on=["icb_code", "period"], how="left")
    if england_published is not None and not england_published.empty:
        eng = england_published.rename(columns={"value": "england_value"})[["period", "england_value"]]
    elif ind.source in NATIONAL_SOURCES:
        eng = pooled(out, ind, ["period"]).rename(columns={"value": "england_value"})
    else:
        eng = pd.DataFrame({"period": out["period"].unique(), "england_value": np.nan})
    out = out.merge(eng, on="period", how="left")
    if ind.type in ("proportion", "rate"):
        out["compared_to_icb"] = stats.compare(out["value"], out["lower95"], out["upper95"], out["icb_value"], ind.polarity)
        out["compared_to_england"] = stats.compare(out["value"], out["lower95"], out["upper95"],
                                                   out["england_value"], ind.polarity)
    else:
        out["compared_to_icb"] = out["compared_to_england"] = stats.NOT_COMPARED
    return out.drop(columns="icb_code")


def band(values, ind: Indicator) -> np.ndarray:
    """Good / Acceptable / Unacceptable on the locally agreed thresholds; Not banded without them."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, NOT_BANDED, dtype=object)
    if not ind.thresholds or ind.type == "context":
        return out
    good, acceptable = float(ind.thresholds["good"]), float(ind.thresholds["acceptable"])
    if ind.polarity == stats.HIGH_IS_GOOD:
        out[v >= good] = GOOD
        out[(v < good) & (v >= acceptable)] = ACCEPTABLE
        out[v < acceptable] = UNACCEPTABLE
    else:
        out[v <= good] = GOOD
        out[(v > good) & (v <= acceptable)] = ACCEPTABLE
        out[v > acceptable] = UNACCEPTABLE
    return out


# --------------------------------------------------------------------------------- the table

def published_indicators(indicators: pd.DataFrame, policy) -> pd.DataFrame:
    """The indicator table as it may be published under the report's suppression ``policy`` (its
    settings' ``suppression``): suppressed rows blanked, bands and labels withheld. Here, not beside
    the charts, so that publish's downloads need no plotting libraries."""
    from helpers.methods import suppression

    rule = suppression.policy(policy.rule())
    flagged = suppression.flag(indicators, rule)  # the report's policy may be stricter than the cleanse's
    return suppression.for_publication(flagged, rule=rule,
                                       text_columns=("band", "compared_to_icb", "compared_to_england"))


def build_indicators(catalogue: list[Indicator], tables: dict[str, pd.DataFrame], practices: pd.DataFrame,
                     known_codes: set[str], rule) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy practice x indicator x period table and the quarantined rows.

    An indicator with no rows in its source at all stops the run (an empty indicator means the
    catalogue's selection or the source is wrong, and the scorecard would silently lose it).
    """
    from helpers.methods import suppression

    frames, quarantined = [], []
    for ind in catalogue:
        rows = indicator_rows(ind, tables)
        if rows.empty:
            raise SourceFormatError(ind.source, f"indicator {ind.id} ({ind.name}) has no rows: nothing in the "
                                                f"source matches {ind.select}")
        kept, bad = quarantine_checks(rows, ind, known_codes)
        quarantined.append(bad)
        if kept.empty:
            raise SourceFormatError(ind.source, f"indicator {ind.id}: every row was quarantined")
        kept = add_values(kept, ind)
        england = None
        if ind.source == "fingertips_practice":
            england = tables.get("fingertips_england")
            if england is not None:
                england = england[england["indicator_id"].astype(str) == str(ind.select.get("indicator_id"))]
        kept = add_comparisons(kept, ind, practices, england)
        kept["band"] = band(kept["value"], ind)
        kept = suppression.flag(kept, rule)
        kept["value_missing_reason"] = np.where(kept["value"].isna(), "no value published", None)
        frames.append(kept)
    table = pd.concat(frames, ignore_index=True)
    table = table.drop(columns=["published_value"])
    meta = pd.DataFrame([{"indicator_id": i.id, "indicator_name": i.name, "domain": i.domain,
                          "section": str(i.section), "type": i.type, "polarity": i.polarity,
                          "weight": float(i.weight), "unit": i.unit} for i in catalogue])
    table = table.merge(meta, on="indicator_id", how="left")
    table["period_rank"] = table.groupby("indicator_id")["period"].rank(method="dense", ascending=False).astype(int)
    columns = ["indicator_id", "indicator_name", "domain", "section", "type", "polarity", "weight", "unit",
               "practice_code", "period", "period_rank", "numerator", "denominator", "value", "lower95", "upper95",
               "lower998", "upper998", "icb_value", "england_value", "compared_to_icb", "compared_to_england",
               "band", "suppressed", "suppression_reason", "value_missing_reason", "file", "line"]
    table = table[columns].sort_values(KEY, ignore_index=True)
    quarantine = pd.concat(quarantined, ignore_index=True) if quarantined else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return table, quarantine


# ----------------------------------------------------------------------------------- scoring

def _scores(table: pd.DataFrame, scored_ids: list[str]) -> pd.DataFrame:
    """Per practice: domain scores, overall score and red count from one row per indicator."""
    data = table[table["indicator_id"].isin(scored_ids) & table["band"].isin(list(BAND_POINTS))].copy()
    data["points"] = data["band"].map(BAND_POINTS).astype(float) * data["weight"]
    data["available"] = 2.0 * data["weight"]
    domain = data.groupby(["practice_code", "domain"])[["points", "available"]].sum()
    domain_score = (100 * domain["points"] / domain["available"]).unstack("domain")
    domain_score.columns = [f"score_{c.lower().replace(' ', '_')}" for c in domain_score.columns]
    overall = data.groupby("practice_code")[["points", "available"]].sum()
    out = pd.DataFrame({"score": 100 * overall["points"] / overall["available"],
                        "indicators_banded": data.groupby("practice_code").size(),
                        "reds": data[data["band"] == UNACCEPTABLE].groupby("practice_code").size()})
    out["reds"] = out["reds"].fillna(0).astype(int)
    return out.join(domain_score)


def overall_band(score, thresholds: dict) -> np.ndarray:
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, NOT_BANDED, dtype=object)
    out[s >= thresholds["good"]] = GOOD
    out[(s < thresholds["good"]) & (s >= thresholds["acceptable"])] = ACCEPTABLE
    out[s < thresholds["acceptable"]] = UNACCEPTABLE
    return out


def score_practices(table: pd.DataFrame, catalogue: list[Indicator], practices: pd.DataFrame,
                    scoring: dict) -> pd.DataFrame:
    """One row per practice: latest and previous scores and bands, movement, reds, review flag, context.

    Only open practices banded on at least ``scoring['min_indicator_share']`` of the scored
    indicators available in their ICB are scored; the others are "Not scored", with the reason,
    and never ranked.
    """
    scored = [i.id for i in catalogue if i.scored]
    latest = table[table["period_rank"] == 1]
    # the previous period of each indicator, or its latest where it has only one: movement then
    # reflects only the indicators that moved
    has_previous = table.groupby("indicator_id")["period_rank"].transform("max") > 1
    previous = table[(has_previous & (table["period_rank"] == 2)) | (~has_previous & (table["period_rank"] == 1))]
    now, before = _scores(latest, scored), _scores(previous, scored)
    out = now.join(before[["score", "reds"]].rename(columns={"score": "previous_score", "reds": "previous_reds"}),
                   how="outer")
    context = latest[latest["type"] == "context"].pivot_table(index="practice_code", columns="indicator_id",
                                                              values="value", aggfunc="first")
    out = out.join(context.add_prefix("context_"), how="outer")
    out = out.reset_index().rename(columns={"index": "practice_code"})
    out = practices.merge(out, on="practice_code", how="right")
    out["indicators_banded"] = out["indicators_banded"].fillna(0).astype(int)
    out["indicators_available"] = out["icb_code"].map(available_in_icb(latest, practices, scored)).fillna(0).astype(int)
    out["not_scored_reason"] = not_scored_reasons(out, float(scoring["min_indicator_share"]))
    unscored = out["not_scored_reason"] != ""
    out.loc[unscored, ["score", "previous_score", "reds", "previous_reds"]] = np.nan
    thresholds = scoring["overall_band"]
    out["band"] = np.where(unscored, NOT_SCORED, overall_band(out["score"], thresholds))
    out["previous_band"] = overall_band(out["previous_score"], thresholds)
    out["score_change"] = out["score"] - out["previous_score"]
    out["movement"] = np.where(unscored, "", movement(out["band"], out["previous_band"], out["score_change"]))
    out["contract_review"] = ~unscored & (out["reds"].fillna(0) >= int(scoring["review_reds"]))
    out["reds"] = out["reds"].astype("Int64")
    out["previous_reds"] = out["previous_reds"].astype("Int64")
    return out.sort_values(["score", "practice_code"], ascending=[False, True], na_position="last",
                           ignore_index=True)


def available_in_icb(latest: pd.DataFrame, practices: pd.DataFrame, scored: list[str]) -> pd.Series:
    """Per ICB, the scored indicators any of its practices is banded on (latest period): what a
    practice there could be scored on, given the sources that cover the ICB."""
    banded = latest[latest["indicator_id"].isin(scored) & latest["band"].isin(list(BAND_POINTS))]
    banded = banded.merge(practices[["practice_code", "icb_code"]], on="practice_code")
    return banded.groupby("icb_code")["indicator_id"].nunique()


def not_scored_reasons(scores: pd.DataFrame, min_share: float) -> np.ndarray:
    """Why a practice is not scored: '' when it is; 'closed 31 March 2022'; 'too few indicators (2 of 6)'."""
    reasons = []
    for status, closed, banded, available in zip(scores["status"].fillna("Unknown"), scores["close_date"],
                                                 scores["indicators_banded"], scores["indicators_available"]):
        if status not in OPEN_STATUSES:
            when = f" {closed.day} {closed:%B %Y}" if pd.notna(closed) else ""
            reasons.append(f"{status.lower()}{when}")
        elif banded == 0 or banded < min_share * available:
            reasons.append(f"too few indicators ({banded} of {available})")
        else:
            reasons.append("")
    return np.asarray(reasons, dtype=object)


def movement(band_now, band_before, change) -> np.ndarray:
    """'Up a level', 'Down a level', or within the level: 'Same level, score up 8.3' etc."""
    rank = {GOOD: 0, ACCEPTABLE: 1, UNACCEPTABLE: 2}
    out = []
    for now, before, delta in zip(band_now, band_before, change):
        if now not in rank or before not in rank:
            out.append("No previous period")
        elif rank[now] < rank[before]:
            out.append("Up a level")
        elif rank[now] > rank[before]:
            out.append("Down a level")
        elif pd.isna(delta) or abs(delta) < 0.05:
            out.append("No change")
        else:
            out.append(f"Same level, score {'up' if delta > 0 else 'down'} {abs(delta):.1f}")
    return np.asarray(out, dtype=object)
