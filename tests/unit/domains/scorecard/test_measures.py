"""Scorecard logic: catalogue, quarantine of bad rows, bands, scores, suppression, and the
comparison labels of the Fingertips export reproduced from the counts.

Expected figures are computed here from the publisher's file with plain pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import support
from helpers.core.errors import SourceFormatError
from helpers.domains.scorecard import CATALOGUE
from helpers.domains.scorecard import measures as scorecard
from helpers.methods import stats, suppression
from support import settings_for

ROOT = support.ROOT
REAL = ROOT.parent / "shared" / "data" / "real"
AE = REAL / "fingertips_practice" / "fingertips_93930_AE_attendances_0to4_GP_2021-22.csv"


@pytest.fixture(scope="module")
def catalogue():
    return scorecard.load_catalogue(ROOT / CATALOGUE)


def _ind(catalogue, ind_id):
    return next(i for i in catalogue if i.id == ind_id)


# --------------------------------------------------------------- Fingertips comparison labels

@pytest.fixture(scope="module")
def ae_practices():
    raw = pd.read_csv(AE, dtype=str, keep_default_na=False)
    gps = raw[raw["Area Type"] == "GPs"].copy()
    for column in ["Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator"]:
        gps[column] = pd.to_numeric(gps[column].replace("", np.nan))
    england = raw[(raw["Area Type"] == "England") & (raw["Sex"] == "Persons") & (raw["Category Type"] == "")
                  & (raw["Time period"] == "2021/22")]
    return gps, float(england["Value"].iloc[0])


def test_rate_limits_reproduce_fingertips_where_counts_are_unrounded(ae_practices):
    gps, _ = ae_practices
    lower, upper = stats.rate_limits(gps["Count"], gps["Denominator"], 1000)
    close = np.isclose(lower, gps["Lower CI 95.0 limit"], rtol=5e-7) & np.isclose(upper, gps["Upper CI 95.0 limit"], rtol=5e-7)
    # Counts in the export are rounded to 5 for disclosure control while the limits were computed
    # from the true counts, so only practices whose count was not changed are reproduced.
    assert close.sum() > 1000


def test_comparison_labels_match_fingertips(ae_practices, catalogue):
    gps, england = ae_practices
    polarity = _ind(catalogue, "ae_0to4").polarity
    lower, upper = stats.rate_limits(gps["Count"], gps["Denominator"], 1000)
    reproduced = (np.isclose(lower, gps["Lower CI 95.0 limit"], rtol=5e-7)
                  & np.isclose(upper, gps["Upper CI 95.0 limit"], rtol=5e-7))
    ours = stats.compare(gps["Value"], lower, upper, england, polarity)
    theirs = gps["Compared to England value or percentiles"].to_numpy()
    assert (ours[reproduced] == theirs[reproduced]).all()
    # and with the published limits, every practice's label (incl. the suppressed one) is reproduced
    published = stats.compare(gps["Value"], gps["Lower CI 95.0 limit"], gps["Upper CI 95.0 limit"], england, polarity)
    assert (published == theirs).all()


# ----------------------------------------------------------------------------- catalogue

def test_catalogue_entries_are_complete(catalogue):
    assert {i.section for i in catalogue} >= {"A", "B", "C", "context"}
    assert all(i.type != "context" or i.weight == 0 for i in catalogue)  # context is never scored
    assert any(i.scored for i in catalogue)


def test_catalogue_rejects_unknown_polarity(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text("indicators:\n  - {id: x, name: X, source: qof_2020_21, select: {register: HYP}, domain: D,\n"
                    "     section: A, type: proportion, polarity: up}\n")
    with pytest.raises(SourceFormatError, match="polarity 'up'"):
        scorecard.load_catalogue(path)


# ------------------------------------------------------------------------- bad rows

def _rows(**overrides):
    base = {"indicator_id": "x", "practice_code": ["H82001", "H82002", "H82003", "ZZ999", "H82001", "Q99999"],
            "period": "2021/22", "numerator": [5, 12, 30, 1, 6, 2], "denominator": [10, 10, 40, 5, 10, 5],
            "published_value": np.nan, "file": "f.csv", "line": [2, 3, 4, 5, 6, 7]}
    base.update(overrides)
    return pd.DataFrame(base)


def test_bad_rows_are_quarantined_with_reasons(catalogue):
    ind = _ind(catalogue, "imm_6in1_12m")
    kept, bad = scorecard.quarantine_checks(_rows(), ind, {"H82001", "H82002", "H82003"})
    assert list(kept["line"]) == [2, 4]
    reasons = dict(zip(bad["line"], bad["reason"]))
    assert "numerator above denominator" in reasons[3]
    assert "not a GP practice code" in reasons[5]
    assert "duplicate practice and period (first at line 2)" in reasons[6]
    assert "not known to ODS" in reasons[7]
    assert list(bad.columns) == ["source", "file", "line", "column", "value", "reason"]
    assert len(kept) + len(bad) == 6  # nothing dropped silently


def test_rate_may_exceed_its_denominator(catalogue):
    kept, bad = scorecard.quarantine_checks(_rows(practice_code=["H82001", "H82002", "H82003", "H82004", "H82005",
                                                                 "H82006"]),
                                            _ind(catalogue, "ae_0to4"), {f"H8200{i}" for i in range(1, 7)})
    assert len(kept) == 6 and bad.empty


def test_empty_indicator_stops_the_run(catalogue):
    ind = _ind(catalogue, "prev_hyp")
    tables = {"qof_2020_21": pd.DataFrame({"practice_code": ["H82001"], "register": ["DM"], "numerator": [1.0],
                                           "denominator": [10.0], "period": ["2020/21"], "file": ["p.csv"]})}
    with pytest.raises(SourceFormatError, match="prev_hyp .* has no rows"):
        scorecard.build_indicators([ind], tables, pd.DataFrame({"practice_code": ["H82001"], "icb_code": ["QNX"]}),
                                   {"H82001"}, suppression.policy("none"))


# ------------------------------------------------------------------------ bands and scores

def test_bands_follow_polarity(catalogue):
    high = _ind(catalogue, "imm_6in1_12m")  # good >= 95, acceptable >= 90
    assert list(scorecard.band([96, 95, 92, 89.9, np.nan], high)) == ["Good", "Good", "Acceptable", "Unacceptable",
                                                                       "Not banded"]
    low = _ind(catalogue, "ae_0to4")  # good <= 600, acceptable <= 900
    assert list(scorecard.band([500, 600, 850, 901], low)) == ["Good", "Good", "Acceptable", "Unacceptable"]
    assert set(scorecard.band([1, 2], _ind(catalogue, "imd_2019"))) == {"Not banded"}


def _table(rows):
    frame = pd.DataFrame(rows, columns=["practice_code", "indicator_id", "domain", "weight", "band", "period_rank",
                                        "type", "value"])
    return frame


def test_scores_movement_reds_and_context(catalogue):
    ids = {i.id: i for i in catalogue}
    a, b = ids["imm_6in1_12m"], ids["imm_mmr1_24m"]  # weight 2 each, domain Prevention
    c = ids["ae_0to4"]  # weight 1, Access
    rows = []
    for code, now, before in (("H82001", ["Good", "Good", "Acceptable"], ["Good", "Acceptable", "Acceptable"]),
                              ("H82002", ["Unacceptable", "Unacceptable", "Good"], ["Good", "Good", "Good"])):
        for ind, band_now, band_before in zip((a, b, c), now, before):
            rows.append([code, ind.id, ind.domain, ind.weight, band_now, 1, ind.type, 1.0])
            rows.append([code, ind.id, ind.domain, ind.weight, band_before, 2, ind.type, 1.0])
    rows.append(["H82001", "imd_2019", "Context", 0, "Not banded", 1, "context", 33.3])
    out = scorecard.score_practices(_table(rows), catalogue, _practices(["H82001", "H82002"]),
                                    SCORING).set_index("practice_code")
    # H82001 now: (2*2 + 2*2 + 1*1) / (2*5) = 90; before: (4 + 2 + 1) / 10 = 70
    assert out.loc["H82001", "score"] == pytest.approx(90)
    assert out.loc["H82001", "previous_score"] == pytest.approx(70)
    assert out.loc["H82001", "movement"] == "Up a level"
    assert out.loc["H82001", "context_imd_2019"] == pytest.approx(33.3)
    # H82002 now: (0 + 0 + 2) / 10 = 20, two reds -> contract review
    assert out.loc["H82002", "score"] == pytest.approx(20)
    assert out.loc["H82002", "reds"] == 2 and bool(out.loc["H82002", "contract_review"])
    assert out.loc["H82002", "band"] == "Unacceptable"


SCORING = {"overall_band": {"good": 75, "acceptable": 50}, "review_reds": 2, "min_indicator_share": 0.5}


def _practices(codes, status=None, icb="QNX", closed=None):
    return pd.DataFrame({"practice_code": codes, "practice_name": codes, "icb_code": icb,
                         "status": status or ["Active"] * len(codes),
                         "close_date": pd.to_datetime(closed or [None] * len(codes))})


def test_closed_dormant_and_thinly_covered_practices_are_not_scored(catalogue):
    ids = {i.id: i for i in catalogue}
    four = [ids[k] for k in ("imm_6in1_12m", "imm_mmr1_24m", "imm_mmr2_5y", "ae_0to4")]
    rows = []
    for code, indicators in (("H82001", four), ("H82002", four), ("H82003", four), ("H82004", four[-1:]),
                             ("H82005", four[:2])):
        rows += [[code, i.id, i.domain, i.weight, "Good", 1, i.type, 1.0] for i in indicators]
    practices = _practices(["H82001", "H82002", "H82003", "H82004", "H82005"],
                           status=["Active", "Closed", "Dormant", "Active", "Active"],
                           closed=[None, "2022-03-31", None, None, None])
    out = scorecard.score_practices(_table(rows), catalogue, practices, SCORING).set_index("practice_code")
    assert out.loc["H82001", "band"] == "Good" and out.loc["H82001", "not_scored_reason"] == ""
    assert out.loc["H82002", "not_scored_reason"] == "closed 31 March 2022"
    assert out.loc["H82003", "not_scored_reason"] == "dormant"
    # four scored indicators are banded in this ICB: one of four is too few, two of four is half
    assert out.loc["H82004", "not_scored_reason"] == "too few indicators (1 of 4)"
    assert out.loc["H82005", "not_scored_reason"] == ""
    for code in ("H82002", "H82003", "H82004"):
        assert out.loc[code, "band"] == "Not scored" and pd.isna(out.loc[code, "score"])
        assert not out.loc[code, "contract_review"] and out.loc[code, "movement"] == ""
    assert list(out.index[:2]) == ["H82001", "H82005"]  # the scored first, by score


def test_the_share_is_of_what_the_icb_practices_are_banded_on(catalogue):
    """Where no source covers an indicator for an ICB, its practices are scored on the rest."""
    ae = next(i for i in catalogue if i.id == "ae_0to4")
    rows = [["A82001", ae.id, ae.domain, ae.weight, "Good", 1, ae.type, 1.0]]
    out = scorecard.score_practices(_table(rows), catalogue, _practices(["A82001"], icb="QE1"), SCORING)
    assert out.loc[0, "indicators_available"] == 1 and out.loc[0, "band"] == "Good"


def test_movement_within_a_level():
    got = scorecard.movement(["Good", "Acceptable", "Good", "Good"], ["Good", "Good", "Good", None], [5.0, -30, 0, 1])
    assert list(got) == ["Same level, score up 5.0", "Down a level", "No change", "No previous period"]


# ----------------------------------------------------------------------------- suppression

def test_named_policy_flags_and_blanks_before_publication():
    rule = suppression.policy({"policy": "nhs_small_numbers"})
    frame = pd.DataFrame({"numerator": [0, 3, 7, 8, 50], "denominator": [100, 100, 100, 100, 6],
                          "value": [0, 3, 7, 8, 833], "band": ["Good"] * 5})
    flagged = suppression.flag(frame, rule)
    assert list(flagged["suppressed"]) == [False, True, True, False, True]
    public = suppression.for_publication(flagged, rule=rule, text_columns=("band",))
    assert public.loc[1, "value"] != public.loc[1, "value"]  # NaN
    assert list(public["band"]) == ["Good", "Suppressed", "Suppressed", "Good", "Suppressed"]
    assert public.loc[3, "numerator"] == 8
    assert suppression.policy({"policy": "counts_below_5", "min_count": 3}).min_count == 3
    with pytest.raises(ValueError):
        suppression.policy("bogus")


def test_report_blanks_suppressed_figures_before_publication():
    from helpers.domains.scorecard.measures import published_indicators
    from helpers.domains.scorecard.settings import Suppression

    table = pd.DataFrame({"numerator": [3, 40], "denominator": [50, 50], "value": [6.0, 80.0], "lower95": [2.0, 67.0],
                          "upper95": [16.0, 89.0], "lower998": [1.0, 60.0], "upper998": [25.0, 92.0],
                          "band": ["Unacceptable", "Good"], "compared_to_icb": ["Worse", "Similar"],
                          "compared_to_england": ["Worse", "Similar"]})
    public = published_indicators(table, settings_for("report_scorecard", suppression=Suppression(
        policy="nhs_small_numbers")).suppression)
    assert public.loc[0, ["numerator", "value", "lower95", "upper998"]].isna().all()
    assert list(public.loc[0, ["band", "compared_to_icb"]]) == ["Suppressed", "Suppressed"]
    assert public.loc[1, "value"] == 80.0 and public.loc[1, "band"] == "Good"


# ------------------------------------------------------------------ indicators with no judgement

def _catalogue_file(tmp_path, **fields) -> Path:
    entry = {"id": "prev_x", "name": "Recorded prevalence of X", "source": "qof_2020_21", "select": {"register": "HYP"},
             "domain": "Case finding", "section": "C", "type": "proportion", "multiplier": 100, "weight": 0, **fields}
    path = tmp_path / "indicators.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"indicators": [entry]}))
    return path


def test_recorded_prevalence_is_judged_only_with_a_stated_reason(tmp_path):
    with pytest.raises(SourceFormatError, match="recorded prevalence.*needs a polarity_reason"):
        scorecard.load_catalogue(_catalogue_file(tmp_path, polarity="high is good"))
    reason = "Local case-finding programme: under-recording is the known gap."
    judged = scorecard.load_catalogue(_catalogue_file(tmp_path, polarity="high is good", polarity_reason=reason))[0]
    assert judged.polarity_reason == reason and judged.judged
    plain = scorecard.load_catalogue(_catalogue_file(tmp_path, polarity="no judgement"))[0]
    assert not plain.judged and plain.no_judgement_by_nature


def test_shipped_prevalence_indicators_are_compared_higher_or_lower_and_not_banded(catalogue):
    prevalence = [i for i in catalogue if "register" in i.select]
    assert prevalence and all(i.polarity == stats.NO_JUDGEMENT or i.polarity_reason for i in prevalence)
    hypertension = _ind(catalogue, "prev_hyp")
    assert hypertension.polarity == stats.NO_JUDGEMENT and not hypertension.scored
    assert set(scorecard.band([5.0, 15.0, 25.0], hypertension)) == {scorecard.NOT_BANDED}


def test_prevalence_labels_are_higher_similar_lower():
    """Wilson 95% limits worked out here by hand; the label says which side of the comparator, never better or worse."""
    numerator, denominator, comparator = np.array([180, 140, 100]), np.array([1000, 1000, 1000]), 14.0
    p, z = numerator / denominator, 1.959963984540054
    centre = (p + z * z / (2 * denominator)) / (1 + z * z / denominator)
    half = z * np.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator ** 2)) / (1 + z * z / denominator)
    lower, upper = 100 * (centre - half), 100 * (centre + half)
    expected = ["Higher" if lo > comparator else "Lower" if hi < comparator else "Similar" for lo, hi in zip(lower, upper)]
    assert expected == ["Higher", "Similar", "Lower"]
    labels = stats.compare(100 * p, lower, upper, np.full(3, comparator), stats.NO_JUDGEMENT)
    assert list(labels) == expected
    assert not {"Better", "Worse"} & set(labels)
