"""The action plan cleanse stage: the plan in, gated tidy tables out.

Rows with no lead or no usable timescale go to ``actions_quarantine.parquet`` with the reason;
the tables pass their gates before anything is written, and are renamed into place.
"""

from __future__ import annotations

import logging
from pathlib import Path

from helpers.core import quality
from helpers.core.config import project_root
from helpers.core.errors import SourceFormatError
from helpers.core.stage import StageResult, clear_results, one_file, tracker_record, write_tables
from helpers.domains.actions import measures as actions
from helpers.sources import action_plan as plan_src

log = logging.getLogger(__name__)


def cleanse_actions(folder: Path, processed: Path, results_dir: Path, root: Path, params: dict | None = None) -> StageResult:
    """Read the action plan, parse timescales, quarantine unusable rows, gate, write."""
    params = dict(params or {})
    result = StageResult()
    clear_results(results_dir)
    path = one_file(plan_src.discover(folder, params.get("file_pattern") or plan_src.DEFAULT_FILE_PATTERN), "action plan")
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
    result.provenance = tracker_record(root, path, params, synthetic=synthetic,
                                transcribed=path.name.upper().startswith("TRANSCRIBED"))
    result.written = write_tables(processed, result.tables, result.provenance, "actions")
    log.info("Wrote %s", ", ".join(p.name for p in result.written))
    return result


def run_actions(folder: Path, params: dict | None = None, root: Path | None = None) -> StageResult:
    root = root or project_root()
    return cleanse_actions(folder, root / "data" / "processed", root / "build" / "validation" / "actions", root, params)
