"""The QIPP tracker and action plan cleanse stages: files in, gated tidy tables out.

As for RTT: raw rows pass their gate before they are reshaped, tidy tables pass theirs before
anything is written, and outputs are renamed into place, so ``data/processed/`` holds only
validated tables. Rows that cannot be used are written to ``<domain>_quarantine.parquet`` with
the reason; reconciliation differences of the forecast columns go there too (the critical
ones stop the run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import actions, provenance, qipp, quality
from .config import project_root
from .errors import QUARANTINE_COLUMNS, SourceFormatError
from .sources import action_plan as plan_src
from .sources import qipp_tracker as qipp_src

log = logging.getLogger(__name__)


@dataclass
class TrackerResult(quality.StageResult):
    """What a stage read, checked and wrote, for its notebook to show."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None


def _one(files: list[Path], what: str) -> Path:
    if len(files) > 1:
        raise SourceFormatError(files[0].parent, f"{len(files)} {what} files ({', '.join(f.name for f in files)}); "
                                                 f"keep one per run, or narrow the file pattern in params.yaml")
    return files[0]


def _clear(results_dir: Path) -> None:
    for old in results_dir.glob("*.json"):  # results describe this run only
        old.unlink()


def _write(processed: Path, tables: dict[str, pd.DataFrame], record: dict, domain: str) -> list[Path]:
    written = [provenance.write_parquet(processed / f"{name}.parquet", frame) for name, frame in tables.items()]
    written.append(provenance.write_json(processed / f"{domain}_provenance.json", record))
    return written


def _record(root: Path, path: Path, params: dict, *, synthetic: bool, transcribed: bool) -> dict:
    record = provenance.record(root, [path], params, synthetic=synthetic)
    record["transcribed_sample"] = transcribed  # re-keyed from a historic board paper: not current data
    return record


def cleanse_qipp(folder: Path, processed: Path, results_dir: Path, root: Path, params: dict | None = None) -> TrackerResult:
    """Read the tracker, gate it, rate and roll up the schemes, reconcile with the sheet, write."""
    params = dict(params or {})
    rules = qipp.rules_from(params)
    result = TrackerResult()
    _clear(results_dir)
    path = _one(qipp_src.discover(folder, params.get("file_pattern") or qipp_src.DEFAULT_FILE_PATTERN), "QIPP tracker")
    tracker = qipp_src.read(path, header_row=params.get("header_row", qipp_src.DEFAULT_HEADER_ROW),
                            year=params.get("year"))
    result.files.append({"file": path.name, "year": tracker.year, "plan years": ", ".join(tracker.plan_years),
                         "rows": len(tracker.rows), "transcribed": tracker.transcribed, "synthetic": tracker.synthetic})
    common = dict(results_dir=results_dir, root=root)
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
    result.quarantine = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS).astype({"line": "Int64"})
    result.tables = {"qipp_schemes": schemes, "qipp_workstreams": rollups, "qipp_reconciliation": recon,
                     "qipp_yields": yields, "qipp_rating_differences": differences,
                     "qipp_scenarios": qipp.scenarios(rollups), "qipp_quarantine": result.quarantine}
    result.provenance = _record(root, path, params, synthetic=tracker.synthetic, transcribed=tracker.transcribed)
    result.provenance.update({"year": tracker.year, "title": tracker.title, "rules": rules})
    result.written = _write(processed, result.tables, result.provenance, "qipp")
    log.info("Wrote %s", ", ".join(p.name for p in result.written))
    return result


def _sheet_ratings(tracker) -> pd.DataFrame:
    """The sheet's own RAG on each subtotal / total row, to show beside the computed one."""
    rows = tracker.rows[tracker.rows["row_type"].isin(["subtotal", "total"])]
    names = rows["workstream"].where(rows["row_type"] == "subtotal", "TOTAL")
    return pd.DataFrame({"workstream": names.values, "rag_sheet": rows["rag"].values}).drop_duplicates("workstream")


def cleanse_actions(folder: Path, processed: Path, results_dir: Path, root: Path, params: dict | None = None) -> TrackerResult:
    """Read the action plan, parse timescales, quarantine unusable rows, gate, write."""
    params = dict(params or {})
    result = TrackerResult()
    _clear(results_dir)
    path = _one(plan_src.discover(folder, params.get("file_pattern") or plan_src.DEFAULT_FILE_PATTERN), "action plan")
    raw = plan_src.read(path)
    result.files.append({"file": path.name, "rows": len(raw), "actions": int((raw["row_type"] == "action").sum()),
                         "transcribed": path.name.upper().startswith("TRANSCRIBED")})
    plan, milestones, quarantine = actions.tidy(raw, file=path.name, lead_aliases=params.get("lead_aliases"))
    if plan.empty:
        raise SourceFormatError(path, "no action has both a lead and a usable timescale (see the quarantine list)")
    plan["has_timescale"] = plan["due"].notna() | plan["ongoing"] | plan["immediate"]
    common = dict(results_dir=results_dir, root=root, row_label="line")
    result.outcomes.append(quality.gate(plan.set_index("line", drop=False), "action_plan.processed",
                                        data_name="data/processed/actions_plan.parquet", id_columns=["ref"], **common))
    result.outcomes.append(quality.gate(milestones.set_index("line", drop=False), "action_milestones.processed",
                                        data_name="data/processed/actions_milestones.parquet",
                                        id_columns=["ref", "timescale"], **common))
    result.quarantine = quarantine.astype({"line": "Int64"})
    result.tables = {"actions_plan": plan, "actions_milestones": milestones, "actions_quarantine": result.quarantine}
    synthetic = path.name.upper().startswith("SYNTHETIC")
    result.provenance = _record(root, path, params, synthetic=synthetic,
                                transcribed=path.name.upper().startswith("TRANSCRIBED"))
    result.written = _write(processed, result.tables, result.provenance, "actions")
    log.info("Wrote %s", ", ".join(p.name for p in result.written))
    return result


def run_qipp(folder: Path, params: dict | None = None, root: Path | None = None) -> TrackerResult:
    root = root or project_root()
    return cleanse_qipp(folder, root / "data" / "processed", root / "build" / "validation" / "qipp", root, params)


def run_actions(folder: Path, params: dict | None = None, root: Path | None = None) -> TrackerResult:
    root = root or project_root()
    return cleanse_actions(folder, root / "data" / "processed", root / "build" / "validation" / "actions", root, params)
