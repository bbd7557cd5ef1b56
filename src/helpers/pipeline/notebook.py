"""What a stage notebook calls first, so that it runs the same in JupyterLab and under Papermill.

Papermill injects the stage's ``params.yaml`` section as ``settings`` and, for a stage that reads
publisher files, ``inputs = {source: folder}``; run by hand in JupyterLab both are ``None``, and
the stage gets its section from ``params.yaml`` and reads the samples in ``data/raw/``.
"""

from __future__ import annotations

import logging
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from helpers.core.config import Project, project_root
from helpers.core.settings import Settings
from helpers.pipeline import inputs as run_inputs
from helpers.pipeline import settings as params
from helpers.pipeline import stages


@dataclass(frozen=True)
class StageRun:
    """One stage's settings, project folders and input folders."""

    stage: stages.Stage
    project: Project
    settings: Settings
    inputs: dict[str, Path]


def setup() -> Path:
    """Log progress into the notebook, quieten library chatter, and return the project root."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("helpers")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="great_expectations")
    return project_root()


def configure_readers(root: Path) -> None:
    """Limits every reader applies (``inputs.max_file_mb``), set before anything is read."""
    from helpers.sources import _common

    _common.set_max_file_mb(params.section("inputs", root).get("max_file_mb", _common.DEFAULT_MAX_FILE_MB))


def stage(name: str, settings: dict | None = None, inputs: dict | None = None) -> StageRun:
    """Set up the notebook for stage ``name``: its settings checked and frozen, its folders found."""
    root = setup()
    spec = stages.by_name()[name]
    configure_readers(root)
    return StageRun(spec, Project(root), params.for_stage(spec, root, settings),
                    run_inputs.folders_for(spec.sources, root, inputs))


def full_reports() -> dict[str, tuple[str, str]]:
    """Each domain's published report, (title, file name in the edition), for links to it."""
    return {stage.domain: stage.document for stage in stages.STAGES if stage.document}


def board_sections(root: Path) -> list[tuple[str, Settings]]:
    """The domains whose section the board paper embeds, each with its report stage's settings,
    in the stage list's order."""
    chosen = run_inputs.recorded_edition(root)  # this run's organisation and period, as its own stages get them
    return [(domain, params.for_stage(stages.by_name()[stage_name], root, chosen=chosen))
            for domain, stage_name in stages.board_domains()]
