"""The QIPP tracker cleanse stage: the tracker workbook in, gated tidy tables out.

Raw rows pass their gate before they are reshaped, tidy tables pass theirs before anything is
written, and outputs are renamed into place, so ``data/processed/`` holds only validated tables.
Reconciliation differences of the forecast columns go to ``qipp_quarantine.parquet`` (the
critical ones stop the run).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.errors import QUARANTINE_COLUMNS
from helpers.core.stage import StageResult, one_file
from helpers.domains.qipp import measures as qipp
from helpers.domains.qipp.settings import CleanseSettings
from helpers.sources import qipp_tracker as qipp_src

log = logging.getLogger(__name__)

DOMAIN = "qipp"


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read the tracker, gate it, rate and roll up the schemes, reconcile with the sheet, write."""
    rules = settings.rules()
    result = stage.start(DOMAIN, project)
    pattern = settings.file_pattern or qipp_src.DEFAULT_FILE_PATTERN
    path = one_file(qipp_src.discover(inputs[qipp_src.SOURCE_FOLDER], pattern), "QIPP tracker")
    result.skipped = qipp_src.passed_over(inputs[qipp_src.SOURCE_FOLDER], pattern)
    stage.log_skipped(result)
    tracker = qipp_src.read(path, header_row=settings.header_row, year=settings.year)
    result.files.append({"file": path.name, "year": tracker.year, "plan years": ", ".join(tracker.plan_years),
                         "rows": len(tracker.rows), "transcribed": tracker.transcribed, "synthetic": tracker.synthetic})
    common = dict(results_dir=project.validation(DOMAIN), root=project.root)
    figures = tracker.rows[tracker.rows["row_type"].isin(["scheme", "subtotal", "total"])]
    result.outcomes.append(quality.gate(figures, "qipp_tracker.rows", data_name=str(path), row_label="line",
                                        id_columns=["workstream", "name"], **common))

    schemes = qipp.schemes(tracker, rules)
    rollups = qipp.rollup(schemes, rules)
    recon = qipp.reconcile(tracker, schemes, rollups, rules)
    yields = qipp.yields(tracker, rollups, rules)
    differences = qipp.rating_differences(schemes, rules)
    rollups = rollups.merge(_sheet_ratings(tracker), on="workstream", how="left")
    result.outcomes.append(quality.gate(recon, "qipp_reconciliation.processed",
                                        data_name=f"{path.name} (subtotals)", row_label="check",
                                        id_columns=["workstream", "measure", "line", "sheet", "computed"], **common))
    result.outcomes.append(quality.gate(schemes, "qipp_schemes.processed", data_name="data/processed/qipp_schemes.parquet",
                                        id_columns=["workstream", "scheme"], **common))

    quarantine = [{"source": "qipp_tracker", "file": path.name, "line": r.line, "column": r.measure,
                   "value": f"{r.sheet:g}" if pd.notna(r.sheet) else None,
                   "reason": f"{r.workstream}: printed {r.measure} {r.sheet:g} differs from the sum of its rows "
                             f"{r.computed:g} by {r.difference:+g} (rounding explains up to {r.tolerance:.2f}); "
                             f"both are shown, neither is used silently"}
                  for r in recon[~recon["within"]].itertuples()]
    quarantine += [{"source": "qipp_tracker", "file": path.name, "line": None, "column": y.measure,
                    "value": f"{y.sheet_pct:g}%", "reason": f"printed {y.measure} {y.sheet_pct:g}% differs from "
                    f"{y.computed_pct:.1f}% computed ({y.definition})"} for y in yields[~yields["within"]].itertuples()]
    result.tables = {"schemes": schemes, "workstreams": rollups, "reconciliation": recon, "yields": yields,
                     "rating_differences": differences, "scenarios": qipp.scenarios(rollups),
                     "quarantine": pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS).astype({"line": "Int64"})}
    result.provenance = provenance.record(project.root, [path], settings.as_dict(), synthetic=tracker.synthetic)
    result.provenance.update({"transcribed_sample": tracker.transcribed,  # re-keyed from a historic paper
                              "year": tracker.year, "title": tracker.title, "rules": rules})
    result.facts.update({"year": tracker.year, "rows": len(tracker.rows)})
    stage.write(result, project)
    return result


def _sheet_ratings(tracker) -> pd.DataFrame:
    """The sheet's own RAG on each subtotal / total row, to show beside the computed one."""
    rows = tracker.rows[tracker.rows["row_type"].isin(["subtotal", "total"])]
    names = rows["workstream"].where(rows["row_type"] == "subtotal", "TOTAL")
    return pd.DataFrame({"workstream": names.values, "rag_sheet": rows["rag"].values}).drop_duplicates("workstream")
