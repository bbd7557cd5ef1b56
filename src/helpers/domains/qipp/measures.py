"""QIPP savings tracker: RAG rules, roll-ups, reconciliation with the sheet, yields, scenarios.

Amounts on the tracker are £m with savings negative (a saving reduces spend). The tidy tables
turn them round: ``plan``, ``due``, ``delivered`` and the forecasts are savings in £m (positive),
and ``variance = due - delivered`` keeps the sheet's sign (positive = behind plan).

RAG rules (South West Essex QIPP turnaround report, May 2011), thresholds from params.yaml:

* financial: % of the amount due that was delivered; Red below ``red_below_pct`` (80), Amber at
  least 80, Green at least ``green_from_pct`` (95); ``n/a`` when nothing is due;
* milestones, from the counts of milestones on time (G), slipped up to a week (A) and slipped
  more than a week (R): Green when all are on time, Red when at least ``red_when_red_at_least``
  (2: "more than one milestone slipped by more than one week") slipped more than a week, Amber
  when fewer slipped; ``n/a`` when the scheme has no milestones.

The sheet's own ratings are kept beside the computed ones (``rag_sheet``, ``ms_rating_sheet``),
and its subtotal and total rows are compared with roll-ups computed from the schemes: a
difference beyond what rounding to the sheet's unit can explain is reported, never resolved by
quietly taking either side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.sources.qipp_tracker import Tracker

RAGS = ["R", "A", "G", "n/a"]
RAG_WORDS = {"R": "Red", "A": "Amber", "G": "Green", "n/a": "n/a"}
SAVINGS = ["plan", "due", "delivered", "forecast", "best", "middle", "worse"]
COUNTS = ["ms_red", "ms_amber", "ms_green"]
CORE_MEASURES = COUNTS + ["plan", "due", "delivered", "variance"]
FORECAST_MEASURES = ["forecast", "best", "middle", "worse"]
def pct_delivered(due, delivered) -> float:
    """Delivered as % of due; NaN when nothing is due."""
    if pd.isna(due) or pd.isna(delivered) or due <= 0:
        return np.nan
    return round(100.0 * delivered / due, 9)  # 9 dp: 0.8 * 100 must compare as 80, not 79.99999


def financial_rag(due, delivered, *, red_below_pct=80, green_from_pct=95) -> str:
    pct = pct_delivered(due, delivered)
    if np.isnan(pct):
        return "n/a"
    if pct < red_below_pct:
        return "R"
    return "G" if pct >= green_from_pct else "A"


def milestone_rag(red, amber, green, *, red_when_red_at_least=2) -> str:
    red, amber, green = (0 if pd.isna(x) else int(x) for x in (red, amber, green))
    if red + amber + green == 0:
        return "n/a"
    if red >= red_when_red_at_least:
        return "R"
    return "A" if red + amber > 0 else "G"


def _rate(frame: pd.DataFrame, rules: dict) -> pd.DataFrame:
    fin, ms = rules["financial_rag"], rules["milestone_rag"]
    frame["pct_delivered"] = [pct_delivered(d, x) for d, x in zip(frame["due"], frame["delivered"])]
    frame["rag"] = [financial_rag(d, x, **fin) for d, x in zip(frame["due"], frame["delivered"])]
    frame["ms_rating"] = [milestone_rag(r, a, g, **ms) for r, a, g in
                          zip(frame["ms_red"], frame["ms_amber"], frame["ms_green"])]
    return frame


def _savings(rows: pd.DataFrame, year: str) -> pd.DataFrame:
    """Sheet amounts (savings negative) as savings (positive); variance keeps the sheet's sign."""
    out = pd.DataFrame(index=rows.index)
    rows = rows.rename(columns={f"plan {year}": "plan"})
    for c in SAVINGS:
        out[c] = 0.0 - rows[c].astype("float64")  # 0.0 - x: no negative zeros
    out["variance_sheet"] = rows["variance"].astype("float64")
    return out


def schemes(tracker: Tracker, rules: dict) -> pd.DataFrame:
    """One row per scheme: milestones, plan, due, delivered, variance, % delivered, ratings."""
    rows = tracker.rows[tracker.rows["row_type"] == "scheme"]
    from helpers.sources.qipp_tracker import scheme_code

    codes = [scheme_code(n) for n in rows["name"]]
    out = pd.DataFrame({
        "year": tracker.year, "workstream": rows["workstream"], "scheme": rows["name"],
        "scheme_code": [c for c, _ in codes], "lead": rows["lead"],
    }, index=rows.index)
    for c in COUNTS:
        out[c] = rows[c].astype("int64")
    out["ms_rating_sheet"] = rows["ms_rating"]
    out = out.join(_savings(rows, tracker.year))
    out["variance"] = (out["due"] - out["delivered"]).round(6)
    out["rag_sheet"] = rows["rag"]
    out = _rate(out, rules)
    out["file"] = tracker.name
    out.index.name = "line"
    return out.reset_index()


def rollup(scheme_table: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Workstream and total figures computed from the schemes, rated by the same rules."""
    measures = COUNTS + SAVINGS
    order = list(dict.fromkeys(scheme_table["workstream"]))
    ws = scheme_table.groupby("workstream", sort=False)[measures].sum().reindex(order)
    ws["schemes"] = scheme_table.groupby("workstream", sort=False).size().reindex(order)
    leads = scheme_table.groupby("workstream", sort=False)["lead"].agg(lambda s: ", ".join(dict.fromkeys(s.dropna())))
    ws["lead"] = leads.reindex(order)
    ws["level"] = "workstream"
    total = scheme_table[measures].sum().to_frame().T
    total.index = ["TOTAL"]
    total["schemes"], total["lead"], total["level"] = len(scheme_table), "", "total"
    out = pd.concat([ws, total])
    out.index.name = "workstream"
    out = out.reset_index()
    out["variance"] = out["due"] - out["delivered"]
    out[SAVINGS + ["variance"]] = out[SAVINGS + ["variance"]].astype("float64").round(6)  # sums of 0.1s
    for c in COUNTS + ["schemes"]:
        out[c] = out[c].astype("int64")
    return _rate(out, rules)


def _sheet_rows(tracker: Tracker, kind: str) -> pd.DataFrame:
    rows = tracker.rows[tracker.rows["row_type"] == kind]
    savings = _savings(rows, tracker.year)
    return rows.drop(columns=[c for c in rows.columns if c in savings.columns]).join(savings)


def reconcile(tracker: Tracker, scheme_table: pd.DataFrame, rollups: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Sheet subtotal and total rows against roll-ups, measure by measure.

    Each printed amount is rounded to ``rounding_unit``, so a sum of n printed figures can differ
    from the printed sum by up to (n + 1) half-units; milestone counts must agree exactly.
    """
    half = rules["rounding_unit"] / 2
    subtotals = _sheet_rows(tracker, "subtotal")
    totals = _sheet_rows(tracker, "total")
    checks = []

    def compare(level, name, line, sheet_row, computed, n_parts):
        for m in CORE_MEASURES + FORECAST_MEASURES:
            sheet_value = np.nan if sheet_row is None else (
                sheet_row["variance_sheet"] if m == "variance" else sheet_row[m])
            tol = 0.0 if m in COUNTS else half * (n_parts + 1) + 1e-9
            diff = round(float(computed[m]) - float(sheet_value), 6) if pd.notna(sheet_value) else np.nan
            checks.append({"level": level, "workstream": name, "measure": m, "line": line,
                           "sheet": sheet_value, "computed": computed[m], "difference": diff,
                           "tolerance": tol, "within": bool(pd.notna(diff) and abs(diff) <= tol),
                           "severity": "critical" if m in CORE_MEASURES else "warning"})

    for _, ws in rollups[rollups["level"] == "workstream"].iterrows():
        rows = subtotals[subtotals["workstream"] == ws["workstream"]]
        line = int(rows.index[0]) if len(rows) else None
        compare("workstream", ws["workstream"], line, rows.iloc[0] if len(rows) == 1 else None, ws, ws["schemes"])
        if len(rows) > 1:
            checks[-1]["note"] = f"{len(rows)} subtotal rows"
    total_row = totals.iloc[0] if len(totals) == 1 else None
    total_line = int(totals.index[0]) if len(totals) else None
    computed_total = rollups[rollups["level"] == "total"].iloc[0]
    compare("total (sum of schemes)", "TOTAL", total_line, total_row, computed_total, computed_total["schemes"])
    if len(subtotals):
        printed = subtotals[COUNTS + SAVINGS + ["variance_sheet"]].sum()
        printed["variance"] = printed["variance_sheet"]
        compare("total (sum of printed subtotals)", "TOTAL", total_line, total_row, printed, len(subtotals))
    out = pd.DataFrame(checks)
    out["line"] = out["line"].astype("Int64")
    # One column per severity class, for the gate (critical stops the run, warning is reported).
    out["critical_ok"] = out["within"] | (out["severity"] != "critical")
    out["warning_ok"] = out["within"] | (out["severity"] == "critical")
    return out


def yields(tracker: Tracker, rollups: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """YTD yield (delivered / due) and forecast yield (forecast / annual plan), with the sheet's."""
    total = rollups[rollups["level"] == "total"].iloc[0]
    rows = [
        ("YTD yield", "delivered / due", 100 * total["delivered"] / total["due"] if total["due"] else np.nan,
         tracker.stated_yields.get("ytd")),
        ("Forecast yield", "forecast outturn / annual plan",
         100 * total["forecast"] / total["plan"] if total["plan"] else np.nan, tracker.stated_yields.get("forecast")),
    ]
    out = pd.DataFrame(rows, columns=["measure", "definition", "computed_pct", "sheet_pct"])
    out["difference"] = out["computed_pct"] - out["sheet_pct"]
    out["within"] = out["sheet_pct"].isna() | (out["difference"].abs() <= rules["yield_tolerance_pct"])
    return out


def scenarios(rollups: pd.DataFrame) -> pd.DataFrame:
    """Forecast outturn and best / middle / worse cases against the annual plan, per workstream."""
    out = rollups[["workstream", "level", "plan", "forecast", "best", "middle", "worse"]].copy()
    for c in ["forecast", "best", "middle", "worse"]:
        out[f"{c}_gap"] = out["plan"] - out[c]
    return out


def rating_differences(table: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Schemes whose sheet rating differs from the rule's, with whether rounding can explain it."""
    half = rules["rounding_unit"] / 2
    fin = rules["financial_rag"]
    rows = []
    for _, r in table.iterrows():
        if r["rag_sheet"] != r["rag"]:
            low = financial_rag(r["due"] + half, max(r["delivered"] - half, 0), **fin)
            high = financial_rag(max(r["due"] - half, 1e-9), r["delivered"] + half, **fin)
            rounding = "yes" if r["rag_sheet"] in {low, high, r["rag"]} or r["due"] < half else "no"
            rows.append({"line": r["line"], "workstream": r["workstream"], "scheme": r["scheme"], "rating": "financial",
                         "sheet": r["rag_sheet"], "rule": r["rag"], "explained_by_rounding": rounding})
        if r["ms_rating_sheet"] != r["ms_rating"]:
            rows.append({"line": r["line"], "workstream": r["workstream"], "scheme": r["scheme"], "rating": "milestones",
                         "sheet": r["ms_rating_sheet"], "rule": r["ms_rating"], "explained_by_rounding": "no"})
    return pd.DataFrame(rows, columns=["line", "workstream", "scheme", "rating", "sheet", "rule", "explained_by_rounding"])


def exceptions(table: pd.DataFrame) -> pd.DataFrame:
    """Schemes in exception: Red on money or milestones, or with any milestone slipped."""
    mask = (table["rag"] == "R") | (table["ms_rating"] == "R") | (table["ms_red"] + table["ms_amber"] > 0)
    out = table[mask].copy()
    out["reason"] = [
        "; ".join(x for x in (
            f"{r.pct_delivered:.0f}% of due delivered" if r.rag == "R" and pd.notna(r.pct_delivered) else "",
            f"{r.ms_red} milestone(s) slipped over a week" if r.ms_red else "",
            f"{r.ms_amber} slipped up to a week" if r.ms_amber else "") if x)
        for r in out.itertuples()]
    return out.sort_values(["rag", "variance"], key=lambda s: s.map({"R": 0, "A": 1, "G": 2, "n/a": 3})
                           if s.name == "rag" else -s, kind="stable")
