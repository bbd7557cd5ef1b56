"""``python -m helpers.pipeline check``: try a month's input files before the scheduled run.

Each cleanse stage's own reading and gates run here in-process, on the inputs folders given,
exactly as the stage notebooks call them (same functions, same ``params.yaml`` sections), so a
file that would stop the run stops here with the same exit code and message. Their outputs go
to a temporary folder that is deleted afterwards: ``data/processed/``, ``build/validation/``
and ``reports/`` are never touched, and nothing is published.

The board paper's check reads and gates its two national workbooks; its measures, which draw on
the other stages' processed tables, are left to the run.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core.config import load_params, locate_sources, missing_sources_message, resolve
from helpers.core.errors import EXIT_INPUT_MISSING, EXIT_INTERNAL, EXIT_OK, PipelineError
from helpers.pipeline import stages

log = logging.getLogger(__name__)


@dataclass
class StageCheck:
    """One stage's outcome: exit code 0 with a summary, or the code and message a run would give."""

    stage: str
    code: int
    message: str


def _quarantined(frame: pd.DataFrame | None) -> str:
    if frame is None or frame.empty:
        return "no rows set aside"
    counts = frame.groupby("reason", sort=False).size().sort_values(ascending=False)
    shown = "; ".join(f"{reason} ({n:,})" for reason, n in counts.head(5).items())
    return f"{len(frame):,} row(s) set aside: {shown}"


def _rtt(folders, params, out, root) -> str:
    from helpers.domains.rtt import cleanse
    from helpers.sources import rtt_full_csv as src

    result = cleanse.cleanse_rtt(folders["rtt_full_csv"], out / "processed", out / "validation" / "rtt", root,
                                 file_pattern=params.get("file_pattern") or src.DEFAULT_FILE_PATTERN,
                                 periods=params.get("periods", "all"), params=params)
    return f"{len(result.files)} extract(s), periods {', '.join(f['period'] for f in result.files)}"


def _referrals(folders, params, out, root) -> str:
    from helpers.domains.referrals import cleanse as referrals_cleanse

    keys = ("as_at", "period", "specialties", "practices", "inflow_window_days", "max_quarantine_pct")
    result = referrals_cleanse.cleanse_referrals(
        folders["referral_gateway"], out / "processed", out / "validation" / "referrals", root,
        **{k: params[k] for k in keys if k in params}, params=params)
    return (f"{result.rows_read:,} referrals read as at {result.as_at:%Y-%m-%d}; "
            f"{_quarantined(result.tables.get('quarantine'))}")


def _scorecard(folders, params, out, root) -> str:
    from helpers.domains.scorecard import cleanse as scorecard_cleanse
    from helpers.domains.scorecard import measures as scorecard

    result = scorecard_cleanse.cleanse(
        {s: str(f) for s, f in folders.items()}, out / "processed", out / "validation" / "scorecard", root,
        params={k: params[k] for k in ("suppression", "scoring") if k in params},
        catalogue_path=root / scorecard.CATALOGUE_FILE)
    return f"{len(result.files)} file(s), {len(result.indicators):,} indicator rows; {_quarantined(result.quarantine)}"


def _qipp(folders, params, out, root) -> str:
    from helpers.domains.qipp import cleanse

    result = cleanse.cleanse_qipp(folders["qipp_tracker"], out / "processed", out / "validation" / "qipp",
                                           root, params)
    return f"{result.files[0]['file']}: {result.files[0]['rows']} rows; {_quarantined(result.quarantine)}"


def _actions(folders, params, out, root) -> str:
    from helpers.domains.actions import cleanse

    result = cleanse.cleanse_actions(folders["action_plan"], out / "processed",
                                              out / "validation" / "actions", root, params)
    return f"{result.files[0]['file']}: {result.files[0]['actions']} actions; {_quarantined(result.quarantine)}"


def _board(folders, params, out, root) -> str:
    from helpers.domains.board import report as board_report
    from helpers.sources import timeseries

    tidy, files = board_report.read_and_gate(folders, out / "validation" / "board", root)
    return f"{len(files)} workbook(s), {len(tidy):,} cells; {_quarantined(timeseries.quarantine(tidy))}"


CHECKS: dict[str, Callable[..., str]] = {
    "cleanse_rtt": _rtt, "cleanse_referrals": _referrals, "cleanse_scorecard": _scorecard,
    "cleanse_qipp": _qipp, "cleanse_actions": _actions, "board_paper": _board,
}


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
    """The stages that read any of ``sources`` (every stage with inputs when None), in run order."""
    return [s for s in stages.STAGES if s.sources and (not sources or set(s.sources) & set(sources))]


def check(inputs: list[str], sources: list[str] | None, root: Path) -> list[StageCheck]:
    """Every selected stage's reading and raw gates on ``inputs``; outputs to a temporary folder.

    Sources are located as ``run`` locates them (the first folder listed that has each); a source
    found nowhere is reported as the run reports it, with exit code 3.
    """
    chosen = stages_for(sources)
    needed = list(dict.fromkeys(s for stage in chosen for s in stage.sources))
    found, missing = locate_sources(inputs, needed, root)
    if missing:
        return [StageCheck("inputs", EXIT_INPUT_MISSING, missing_sources_message(missing, inputs))]
    params = load_params(root)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="nhs-analytics-check-") as tmp, _without_write_lines():
        for stage in chosen:
            folders = {s: resolve(found[s], root) for s in stage.sources}
            section = dict(params.get(stage.params, {}) or {}) if stage.params else {}
            out = Path(tmp) / stage.name
            try:
                summary = CHECKS[stage.name](folders, section, out, root)
                outcomes.append(StageCheck(stage.name, EXIT_OK, summary))
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
