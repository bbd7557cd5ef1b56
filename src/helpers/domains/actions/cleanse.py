"""The action plan cleanse stage: the plan in, gated tidy tables out.

Rows with no lead or no usable timescale go to ``actions_quarantine.parquet`` with the reason;
the tables pass their gates before anything is written, and are renamed into place.
"""

from __future__ import annotations

import logging
from pathlib import Path

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.errors import SourceFormatError
from helpers.core.stage import StageResult, one_file
from helpers.domains.actions import measures as actions
from helpers.domains.actions.settings import CleanseSettings
from helpers.sources import action_plan as plan_src

log = logging.getLogger(__name__)

DOMAIN = "actions"


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read the action plan, parse timescales, quarantine unusable rows, gate, write."""
    result = stage.start(DOMAIN, project)
    pattern = settings.file_pattern or plan_src.DEFAULT_FILE_PATTERN
    path = one_file(plan_src.discover(inputs[plan_src.SOURCE_FOLDER], pattern), "action plan")
    result.skipped = plan_src.passed_over(inputs[plan_src.SOURCE_FOLDER], pattern)
    stage.log_skipped(result)
    raw = plan_src.read(path)
    result.files.append({"file": path.name, "rows": len(raw), "actions": int((raw["row_type"] == "action").sum()),
                         "transcribed": path.name.upper().startswith("TRANSCRIBED")})
    plan, milestones, quarantine = actions.tidy(raw, file=path.name, lead_aliases=dict(settings.lead_aliases))
    if plan.empty:
        raise SourceFormatError(path, "no action has both a lead and a usable timescale (see the quarantine list)")
    plan["has_timescale"] = plan["due"].notna() | plan["ongoing"] | plan["immediate"]
    common = dict(results_dir=project.validation(DOMAIN), root=project.root, row_label="line")
    result.outcomes.append(quality.gate(plan.set_index("line", drop=False), "action_plan.processed",
                                        data_name="data/processed/actions_plan.parquet", id_columns=["ref"], **common))
    result.outcomes.append(quality.gate(milestones.set_index("line", drop=False), "action_milestones.processed",
                                        data_name="data/processed/actions_milestones.parquet",
                                        id_columns=["ref", "timescale"], **common))
    result.tables = {"plan": plan, "milestones": milestones, "quarantine": quarantine.astype({"line": "Int64"})}
    result.provenance = provenance.record(project.root, [path], settings.as_dict(),
                                          synthetic=path.name.upper().startswith("SYNTHETIC"))
    result.provenance["transcribed_sample"] = path.name.upper().startswith("TRANSCRIBED")  # a historic paper re-keyed
    result.facts["actions"] = len(plan)
    stage.write(result, project)
    return result
