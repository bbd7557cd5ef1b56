"""``python -m helpers.pipeline check``: try a month's input files before the scheduled run.

Every cleanse stage of the stage list runs here in-process, on the inputs folders given, exactly
as its notebook calls it (``cleanse.run(inputs, settings, project)``, the same settings), so a
file that would stop the run stops here with the same exit code and message. Their outputs go
to a temporary folder that is deleted afterwards: ``data/processed/``, ``build/validation/``
and ``reports/`` are never touched, and nothing is published. A stage that reads another's
tables (the organisation's, the board's measures) reads this check's own: the stages it reads
from are checked with it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from helpers.core.config import Project, resolve
from helpers.core.errors import EXIT_INPUT_MISSING, EXIT_INTERNAL, EXIT_OK, PipelineError
from helpers.pipeline import stages
from helpers.pipeline.inputs import locate_sources, missing_sources_message
from helpers.pipeline.notebook import configure_readers
from helpers.pipeline.settings import for_stage

log = logging.getLogger(__name__)


@dataclass
class StageCheck:
    """One stage's outcome: exit code 0 with a summary, or the code and message a run would give."""

    stage: str
    code: int
    message: str


def check_stage(stage: stages.Stage, folders: dict[str, Path], project: Project) -> str:
    """One cleanse stage run into the check's folder; its one-line summary."""
    module = importlib.import_module(stage.module)
    return module.run(folders, for_stage(stage, project.root), project).describe()


class _NoWrites(logging.Filter):
    """Drops the stages' "Wrote ..." lines: in a check they would name files in a temporary folder
    that is deleted at the end, and an analyst could take them for project outputs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Wrote ")


@contextlib.contextmanager
def _without_write_lines() -> Iterator[None]:
    handlers, quiet = list(logging.getLogger().handlers), _NoWrites()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def stages_for(sources: list[str] | None) -> list[stages.Stage]:
    """The cleanse stages that read any of ``sources`` (every one when None), with the cleanse
    stages whose tables they read (the organisation tables, and what those are made from), in run
    order: a check never leans on ``data/processed`` from an earlier run, which a new clone lacks."""
    cleanse = stages.cleanse_stages()
    wanted = {s.name for s in cleanse if not sources or set(s.sources) & set(sources)}
    by_domain = {s.domain: s.name for s in cleanse}
    for stage in reversed(cleanse):  # a stage's upstream comes before it: one pass from the end
        if stage.name in wanted:
            wanted |= {by_domain[d] for d in stage.uses if d in by_domain}
    return [s for s in cleanse if s.name in wanted]


def check(inputs: list[str], sources: list[str] | None, root: Path) -> list[StageCheck]:
    """Every selected stage's reading and gates on ``inputs``; outputs to a temporary folder.

    Sources are located as ``run`` locates them (the first folder listed that has each); a source
    found nowhere is reported as the run reports it, with exit code 3.
    """
    chosen = stages_for(sources)
    needed = list(dict.fromkeys(s for stage in chosen for s in stage.sources))
    found, missing = locate_sources(inputs, needed, root)
    if missing:
        return [StageCheck("inputs", EXIT_INPUT_MISSING, missing_sources_message(missing, inputs))]
    configure_readers(root)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="nhs-analytics-check-") as tmp, _without_write_lines():
        project = Project(root, out=Path(tmp))
        for stage in chosen:
            folders = {s: resolve(found[s], root) for s in stage.sources}
            try:
                outcomes.append(StageCheck(stage.name, EXIT_OK, check_stage(stage, folders, project)))
            except PipelineError as exc:
                outcomes.append(StageCheck(stage.name, exc.exit_code, str(exc)))
            except Exception as exc:  # as in a run: an unexpected error is an internal error (exit 1)
                log.debug("check of %s failed", stage.name, exc_info=True)
                outcomes.append(StageCheck(stage.name, EXIT_INTERNAL, f"{type(exc).__name__}: {exc}"))
    return outcomes


def exit_code(outcomes: list[StageCheck]) -> int:
    """The first failing stage's code, as the run (which stops there) would return."""
    return next((o.code for o in outcomes if o.code != EXIT_OK), EXIT_OK)


def report(outcomes: list[StageCheck], out, err) -> int:
    """Print each stage's outcome (errors as a run prints them) and return the exit code."""
    for o in outcomes:
        if o.code == EXIT_OK:
            print(f"OK   {o.stage}: {o.message}", file=out, flush=True)
        elif o.stage == "inputs":
            print(f"ERROR: {o.message}", file=err, flush=True)
        else:
            print(f"\nERROR in stage {o.stage}: {o.message}", file=err, flush=True)
    code = exit_code(outcomes)
    failed = [o.stage for o in outcomes if o.code != EXIT_OK]
    if failed:
        print(f"\nCheck failed at {', '.join(failed)} (exit {code}): the scheduled run would stop here. "
              f"Nothing was written to data/processed/ or reports/.", file=err, flush=True)
    else:
        print(f"All {len(outcomes)} stage(s) would read their inputs and pass their gates. Nothing was written to "
              f"data/processed/ or reports/.", file=out, flush=True)
    return code
