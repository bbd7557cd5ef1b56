"""What a stage notebook calls first, so that it runs the same in JupyterLab and under Papermill.

Papermill injects the stage's ``params.yaml`` section as ``settings`` and, for a stage that reads
publisher files, ``inputs = {source: folder}``; run by hand in JupyterLab both are ``None``, and
the stage gets its section from ``params.yaml`` and reads the samples in ``data/raw/``.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers.core.config import Project, project_root, resolve
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

    @property
    def edition(self) -> dict:
        """The organisation and period its settings name (those of them it takes)."""
        return {key: getattr(self.settings, key) for key in params.EDITION_KEYS if hasattr(self.settings, key)}


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


def stage(name: str, settings: dict | None = None, inputs: dict | None = None,
          tables: str | None = None) -> StageRun:
    """Set up the notebook for stage ``name``: its settings checked and frozen, its folders found.

    ``tables`` (a stage that takes them, :attr:`helpers.pipeline.stages.Stage.tables`) is a folder
    whose ``data/processed/`` holds tables of the edition's own, read before the project's: the
    national run's ICB editions (``build/national/<ICB>``). None: the project's."""
    root = setup()
    spec = stages.by_name()[name]
    configure_readers(root)
    project = Project(root, out=resolve(tables, root)) if tables else Project(root)
    return StageRun(spec, project, params.for_stage(spec, root, settings),
                    run_inputs.folders_for(spec.sources, root, inputs))


def kept_section(root: Path, domain: str, settings: Settings, make: Callable[[], object]) -> str:
    """``domain``'s board section with its report stage's ``settings``: as the report stage kept it
    (:mod:`helpers.render.kept`), else ``make()``'s, kept now."""
    from helpers.render import kept

    report = stages.by_name()[dict(stages.board_domains())[domain]]
    return kept.fragment(root, domain, settings.as_dict(), stages.report_inputs(report), make)


def keep_board_section(run: StageRun, data) -> None:
    """Keep this report's board section, made from ``data`` (what its page has just drawn), for the
    board paper to take rather than draw again; a report the paper has no section of keeps none."""
    if run.stage.name not in dict(stages.board_domains()).values():
        return
    module = importlib.import_module(f"helpers.domains.{run.stage.domain}.report")
    kept_section(run.project.root, run.stage.domain, run.settings,
                 lambda: module.board_section(run.project, run.settings, data))


def full_reports(tables: str | None = None) -> dict[str, tuple[str, str]]:
    """Each domain's published report, (title, file name in the edition), for links to it; in an ICB
    edition of the national run (its own ``tables``), those that edition publishes."""
    from helpers.pipeline import national

    found = {stage.domain: stage.document for stage in stages.STAGES if stage.document}
    if tables:
        kept = {stages.by_name()[name].domain for name in national.EDITION_STAGES}
        found = {domain: document for domain, document in found.items() if domain in kept}
    return found


def board_sections(root: Path, edition: dict | None = None) -> list[tuple[str, Settings]]:
    """The domains whose section the board paper embeds, each with its report stage's settings,
    in the stage list's order: for ``edition``'s organisation and period (the paper's own,
    :attr:`StageRun.edition`), else this run's."""
    chosen = edition or run_inputs.recorded_edition(root)  # as the sections' own stages get them
    return [(domain, params.for_stage(stages.by_name()[stage_name], root, chosen=chosen))
            for domain, stage_name in stages.board_domains()]
