"""Command-line entry point: ``python -m helpers.pipeline``.

``run``
    the main job, for people and schedulers alike: takes the run lock, finds each source's folder
    in the inputs folders given (the first that has it), records them, then re-runs whichever
    stages DVC finds changed, and those downstream of them, side by side where the DAG allows, on
    Jupyter kernels started once for the run (:mod:`helpers.pipeline.runner`); each is recorded
    in ``dvc.lock`` as ``dvc repro`` would. Everything it prints goes to
    ``logs/<UTC time>-run.log`` too; a summary (inputs changed, stages run and their timings,
    validation, edition) is printed and written at the end, and notifications are sent as
    ``params.yaml``'s ``notify`` section asks. On failure nothing is published and ``reports/``
    keeps the last good edition.
``check``
    preflight: each cleanse stage's reading and critical raw gates on the inputs folders given,
    in-process, outputs to a temporary folder (nothing in ``data/processed``, ``build`` or
    ``reports`` is touched); the same exit codes and messages as ``run``. ``--source`` narrows it.
``stage NAME``
    one DVC stage (the command ``dvc.yaml`` gives, so ``dvc repro`` by hand still works): executes
    the stage's notebook with Papermill on a kernel of its own, or publishes.
``national``
    every ICB's edition and every open practice's pack in one run, on Dask
    (:mod:`helpers.pipeline.national`), under ``reports/national/``.
``dvc-yaml``
    writes ``dvc.yaml`` from the stage list (``--check``: only says whether it is current).

Imports are kept light here so that a no-op run returns quickly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from helpers.core.config import project_root, resolve
from helpers.core.errors import (
    EXIT_CODES_BY_NAME,
    EXIT_CONFIGURATION,
    EXIT_DATA_QUALITY,
    EXIT_INPUT_MISSING,
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_OK,
    PipelineError,
)
from helpers.pipeline import organisation, recovery, stages
from helpers.pipeline.inputs import (
    DEFAULT_INPUTS,
    locate_sources,
    missing_sources_message,
    recorded,
    recorded_edition,
    write_run_file,
)
from helpers.pipeline.settings import load_params

log = logging.getLogger("helpers.pipeline")

FAILED = Path("build/failed")
LAST_ERROR = Path("build/last_error.json")

EXIT_HELP = f"""exit codes of run:
  {EXIT_OK}  success: a new edition published, or nothing had changed
  {EXIT_INTERNAL}  internal error (see the run's log in logs/)
  {EXIT_DATA_QUALITY}  data-quality failure: an unreadable file or a failed critical expectation
  {EXIT_INPUT_MISSING}  input missing: no inputs folder, source subfolder or matching files
  {EXIT_LOCKED}  locked: another run holds the lock (it is named); this run did nothing
  {EXIT_CONFIGURATION}  configuration error: a setting in params.yaml is missing, unknown or invalid
"""


def notebook_parameters(stage: str, root: Path) -> dict:
    """What Papermill injects into a stage's notebook: its settings (checked), its inputs and (a stage
    that takes them) its tables' folder."""
    from helpers.pipeline import settings

    spec = stages.by_name()[stage]
    chosen = recorded_edition(root)
    parameters = {"settings": settings.for_stage(spec, root, chosen=chosen).as_dict()} if spec.params else {}
    if spec.sources:
        chosen = recorded(root)
        parameters["inputs"] = {s: chosen.get(s, f"{DEFAULT_INPUTS}/{s}") for s in spec.sources}
    if spec.tables:
        parameters["tables"] = None  # the project's: an ICB edition of the national run names its own
    return parameters


def execute_notebook(stage: str, root: Path, kernel=None) -> Path:
    """Run a stage notebook, on ``kernel`` (a warm one from the run's pool) or on a kernel of its
    own; the executed copy replaces the last good one only on success."""
    from papermill.exceptions import PapermillExecutionError

    spec = stages.by_name()[stage]
    notebook = spec.notebook
    source = root / notebook
    target = root / spec.executed
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{source.stem}.running.ipynb")
    # one write of the whole line: stages run side by side, and print's text and newline could part
    sys.stdout.write(f"[{stage}] executing {notebook}" + (f" on kernel {kernel.number}" if kernel else "") + "\n")
    sys.stdout.flush()
    try:
        if kernel is None:
            import papermill

            papermill.execute_notebook(
                str(source), str(partial), parameters=notebook_parameters(stage, root), cwd=str(root),
                kernel_name="python3", progress_bar=sys.stderr.isatty(), log_output=False)
        else:
            from helpers.pipeline import kernels

            kernels.execute(kernel, source, partial, notebook_parameters(stage, root))
    except PapermillExecutionError as exc:
        failed = root / FAILED / source.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        if partial.exists():
            os.replace(partial, failed)
        raise StageFailed(stage, exc.ename, exc.evalue, failed) from None
    os.replace(partial, target)
    return target


class StageFailed(Exception):
    def __init__(self, stage: str, ename: str, evalue: str, notebook: Path | None):
        super().__init__(f"{ename}: {evalue}")
        self.stage, self.ename, self.evalue, self.notebook = stage, ename, evalue, notebook
        self.exit_code = EXIT_CODES_BY_NAME.get(ename, EXIT_INTERNAL)


def _title(params: dict) -> str:
    """The publication's title, which heads the index and names the project in notifications."""
    return (params.get("publish") or {}).get("title", "Commissioner performance reports")


def publish_stage(root: Path) -> Path:
    from helpers.core import provenance
    from helpers.pipeline import dictionary, exports, publish

    params = load_params(root)
    scope = exports.edition_scope(root, recorded_edition(root))
    documents = [publish.Document(title=spec.document[0], file=spec.document[1], executed=root / spec.executed,
                                  domains=() if spec.domain == "board" else (spec.domain,),
                                  sources=() if spec.domain == "board" else tuple(stages.figure_sources(spec)))
                 for spec in stages.STAGES if spec.document]
    documents.sort(key=lambda d: bool(d.domains))  # the board paper, drawing on every domain, leads
    return publish.publish(
        root, reports=root / "reports", documents=documents,
        executed=[root / spec.executed for spec in stages.STAGES],
        folders=[root / spec.publishes for spec in stages.STAGES if spec.publishes],
        validation_dir=root / "build/validation", provenance=provenance.merged(root / "data/processed"),
        title=_title(params),
        keep=int(params.get("publish", {}).get("keep_editions", 12)),
        csv_exports=params.get("publish", {}).get("csv_exports") or [], label=scope.label, scope=scope,
        pages=[publish.Page(dictionary.TITLE, dictionary.FILE, dictionary.body(root, params))], cached_docs=True)


def _record_error(root: Path, stage: str, code: int, message: str, notebook: Path | None = None) -> None:
    from helpers.core.provenance import write_json

    write_json(root / LAST_ERROR, {"stage": stage, "exit_code": code, "message": message,
                                   "notebook": str(notebook) if notebook else None})


def run_stage(stage: str, root: Path, kernel=None) -> None:
    """One stage: publish, or the stage's notebook (see :func:`execute_notebook`)."""
    if stage == stages.PUBLISH:
        edition = publish_stage(root)
        print(f"[publish] {edition.relative_to(root)}; reports/index.html points to it", flush=True)
    else:
        execute_notebook(stage, root, kernel)


def report_failure(stage: str, exc: BaseException, root: Path, record: bool = True) -> int:
    """Say why ``stage`` failed (on stderr), record it in build/last_error.json (unless ``record``
    is false: a run reports its first failure) and return the exit code it stands for."""
    if isinstance(exc, StageFailed):
        print(f"\nERROR in stage {stage}: {exc.evalue}\n(executed notebook with the error: {exc.notebook})",
              file=sys.stderr, flush=True)
        code, message, notebook = exc.exit_code, exc.evalue, exc.notebook
    elif isinstance(exc, PipelineError):
        print(f"\nERROR in stage {stage}: {exc}", file=sys.stderr, flush=True)
        code, message, notebook = exc.exit_code, str(exc), None
    else:  # our own bug or the machine's fault: the traceback is for the log
        traceback.print_exception(exc)
        message = f"{type(exc).__name__}: {exc}"
        print(f"\nERROR in stage {stage}: {message}", file=sys.stderr, flush=True)
        code, notebook = EXIT_INTERNAL, None
    if record:
        _record_error(root, stage, code, message, notebook)
    return code


def stage_main(stage: str) -> int:
    root = project_root()
    try:
        run_stage(stage, root)
    except (StageFailed, PipelineError) as exc:
        return report_failure(stage, exc, root)
    return EXIT_OK


def _edition(root: Path) -> str | None:
    """The edition ``reports/latest`` points at, relative to the root (``None`` before the first)."""
    latest = root / "reports" / "latest"
    if not latest.exists():
        return None
    target = Path(os.path.realpath(latest))
    return target.relative_to(root.resolve()).as_posix() if target.is_relative_to(root.resolve()) else str(target)


def _repro(root: Path, inputs: list[str], found: dict, missing: list[str], force: bool, jobs: int | None, clock,
           lock, chosen: dict, estimates: dict[str, float]) -> tuple[int, dict | None]:
    """Record the inputs, run the stages that changed; returns (exit code, the error to report or None)."""
    if missing:
        message = missing_sources_message(missing, inputs)
        print(f"ERROR: {message}", file=sys.stderr)
        return EXIT_CODES_BY_NAME["InputMissingError"], {"stage": None, "message": message}
    from helpers.pipeline import runner, settings

    scope = settings.edition(root, chosen)
    settings.check_all(root, scope)  # a wrong setting stops the run before any stage starts
    if "gp_practice_reference" in found:
        organisation.check(scope["organisation"], resolve(found["gp_practice_reference"], root))
    for note in recovery.recover(root, check_lock=False):  # what a killed run left behind (dvc.lock: runner)
        print(f"Recovered: {note}", flush=True)
    write_run_file(found, root, scope)
    (root / LAST_ERROR).unlink(missing_ok=True)
    for source, folder in found.items():
        print(f"Input {source}: {folder}", flush=True)
    # the kernels inherit the lock, as dvc repro did: a killed run's lock is held until they have gone
    code = runner.run(root, force=force, jobs=jobs, on_line=clock.line, estimates=estimates,
                      pass_fds=(lock.fd,) if os.name == "posix" else ())
    if code == EXIT_OK:
        return EXIT_OK, None
    error = root / LAST_ERROR
    if error.exists():
        detail = json.loads(error.read_text(encoding="utf-8"))
        print(f"\nPipeline stopped at stage '{detail['stage']}' (exit {detail['exit_code']}). Nothing was "
              f"published; reports/ still holds the last good edition.", file=sys.stderr)
        return int(detail["exit_code"]), {"stage": detail["stage"], "message": detail["message"]}
    print("\nPipeline failed (see the message above); nothing was published.", file=sys.stderr)
    return EXIT_INTERNAL, {"stage": None, "message": f"the run stopped with exit {code} (see the log)"}


def _estimates(last_run: dict) -> dict[str, float]:
    """Each stage's seconds in the last run, to start the longest chains of work first."""
    return {row["stage"]: float(row["seconds"]) for row in last_run.get("stages") or []
            if isinstance(row, dict) and isinstance(row.get("seconds"), int | float)}


def _refresh(root: Path, inputs: list[str], force: bool, jobs: int | None, command: str, lock, run_log,
             params: dict, chosen: dict) -> int:
    """One logged run: repro, then the summary (always) and the notifications it calls for."""
    from helpers.pipeline import summary

    started_wall, started = time.time(), time.monotonic()
    clock = summary.StageClock(overlapping=True)
    last_run = summary.load(root / summary.LAST_RUN) or {}
    previous_success = summary.load(root / summary.LAST_SUCCESS)
    edition_before = _edition(root)
    found, files = {}, {}
    print(f"Run started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {command} (log: {run_log.path})", flush=True)
    try:
        found, missing = locate_sources(inputs, stages.sources(), root)
        if not missing:
            files = summary.fingerprint(found, root, last_run.get("input_files"))
        code, error = _repro(root, inputs, found, missing, force, jobs, clock, lock, chosen, _estimates(last_run))
    except PipelineError as exc:  # a setting or an input the user can fix: said plainly, no traceback
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        code, error = exc.exit_code, {"stage": None, "message": str(exc)}
    except Exception as exc:  # our own bug or the machine's fault: logged in full, reported as internal
        traceback.print_exc()
        code, error = EXIT_INTERNAL, {"stage": None, "message": f"{type(exc).__name__}: {exc}"}
    failed_stage = (error or {}).get("stage")
    stage_rows = clock.finish(time.monotonic(), failed_stage, failed=code != EXIT_OK and bool(clock.order))
    edition = _edition(root) if code == EXIT_OK else None
    record = summary.build(
        code=code, started=started_wall, finished=started_wall + (time.monotonic() - started), command=command,
        host=lock.holder["host"], log=run_log.path, inputs=found, files=files,
        previous_success=previous_success, stages=stage_rows,
        validation=summary.validation_outcome(root / summary.VALIDATION, since=started_wall),
        error=error, edition=edition if edition != edition_before else None)
    if code == EXIT_OK:
        index = root / "reports" / "index.html"
        print(f"Done in {record['seconds']:.1f} s. Open {index}", flush=True)
    text = summary.text(record)
    print("\n" + text, flush=True)
    summary.write(record, root, json_path=run_log.sibling("summary.json"), text_path=run_log.sibling("summary.txt"))
    _notify(params, record, text)
    return code


def _notify(params: dict, record: dict, text: str) -> None:
    from helpers.pipeline import notify

    try:
        config = notify.settings(params)
        if notify.wanted(config, failed=record["exit_code"] != EXIT_OK):
            notify.send(notify.Message.from_summary(record, text, _title(params)), config)
    except Exception as exc:  # the settings themselves are wrong: say so, the run's result stands
        log.warning("WARNING: notifications not sent: %s", exc)


def _notify_locked(root: Path, locked) -> None:
    """A run that finds the lock taken normally tells no one: the run holding it will report its own
    outcome, and an overlap (a run by hand as the schedule fires) is not news. A lock held for longer
    than ``notify.locked_after_hours`` is: the run holding it has hung, and will never report."""
    import datetime as dt

    from helpers.pipeline import notify

    try:
        params = load_params(root)
        config = notify.settings(params)
        hours, held = config.get("locked_after_hours", 24), locked.held_for()
        if config["on"] == "never" or hours is None or held is None or held < dt.timedelta(hours=float(hours)):
            return
        text = (f"A scheduled refresh could not start: {locked}.\nThe lock has been held for "
                f"{held.total_seconds() / 3600:.1f} hours; that run may have hung (see its log in logs/).")
        record = {"status": "locked", "exit_code": EXIT_LOCKED, "holder": locked.holder}
        notify.send(notify.Message.from_summary(record, text, _title(params)), config)
    except Exception as exc:
        log.warning("WARNING: notifications not sent: %s", exc)


def run_main(inputs: list[str], force: bool = False, command: str | None = None, chosen: dict | None = None,
             jobs: int | None = None) -> int:
    """The main job: take the lock, point the pipeline at the inputs folders and re-run what DVC
    finds changed, logging everything to ``logs/`` and summing the run up at the end."""
    from helpers.pipeline import lock as runlock
    from helpers.pipeline import log as runlog

    root = project_root()
    command = command or f"python -m helpers.pipeline run --inputs {' '.join(map(str, inputs))}"
    try:
        lock = runlock.acquire(root / runlock.LOCK_FILE, command)
    except runlock.Locked as exc:  # touch nothing: no run.yaml, no last_error, no log, no summary
        print(f"ERROR: {exc}\nThis run did nothing (exit {EXIT_LOCKED}: locked).", file=sys.stderr, flush=True)
        _notify_locked(root, exc)
        return EXIT_LOCKED
    with lock:
        params = load_params(root)
        keep = int((params.get("refresh") or {}).get("keep_logs", 24))
        with runlog.RunLog(root, keep=keep) as run_log:
            return _refresh(root, inputs, force, jobs, command, lock, run_log, params, chosen or {})


def check_main(inputs: list[str], sources: list[str] | None) -> int:
    """Preflight the inputs (see :mod:`helpers.preflight`); never writes into the project."""
    from helpers.pipeline import preflight

    return preflight.report(preflight.check(inputs, sources, project_root()), sys.stdout, sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline", description=__doc__.split("\n\n")[0],
                                     epilog=EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the stages that changed on an inputs folder", epilog=EXIT_HELP,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Run the pipeline: one run at a time (a lock), a log per run in logs/, a\n"
                         "summary in build/last_run.json, notifications as params.yaml's notify: says.")
    run.add_argument("--inputs", nargs="+", default=[DEFAULT_INPUTS], metavar="FOLDER",
                     help="folders of publisher files, one subfolder per source; each source is taken from "
                     "the first folder that has it (default: data/raw, the shipped synthetic samples)")
    run.add_argument("--force", action="store_true", help="re-run every stage even if nothing changed")
    run.add_argument("--organisation", metavar="ICB", help="the ICB this edition is for, e.g. QNX (default: "
                     "organisation in params.yaml)")
    run.add_argument("--period", metavar="YYYY-MM", help="the data month (default: period in params.yaml, "
                     "usually latest)")
    run.add_argument("--jobs", type=_positive, metavar="N",
                     help="stage notebooks run at once, each on a kernel of its own (default: one per core)")
    check = sub.add_parser("check", help="check input files as a run would, without writing or publishing")
    check.add_argument("--inputs", nargs="+", default=[DEFAULT_INPUTS], metavar="FOLDER",
                       help="folders of publisher files, located as for run")
    check.add_argument("--source", nargs="+", choices=stages.sources(), metavar="SOURCE",
                       help=f"check only the stages reading these sources ({', '.join(stages.sources())})")
    stage = sub.add_parser("stage", help="run one stage on a kernel of its own (dvc.yaml's command: dvc repro by hand)")
    stage.add_argument("name", choices=[*stages.by_name(), stages.PUBLISH])
    national = sub.add_parser("national", help="every ICB's edition and every open practice's pack, on Dask",
                              description="Publish every ICB's edition and every open practice's pack under "
                              "reports/national/ (see helpers.pipeline.national).")
    national.add_argument("--inputs", nargs="+", default=[DEFAULT_INPUTS], metavar="FOLDER",
                          help="folders of publisher files, located as for run")
    national.add_argument("--scheduler", metavar="ADDRESS",
                          help="a Dask scheduler (tcp://host:8786) whose workers see this folder at the same "
                          "path (default: a LocalCluster on this machine)")
    national.add_argument("--workers", type=_positive, metavar="N",
                          help="worker processes of the LocalCluster (default: one per core)")
    national.add_argument("--icb", nargs="+", metavar="CODE", help="only these ICBs (default: every ICB)")
    dvc_yaml = sub.add_parser("dvc-yaml", help="write dvc.yaml from the stage list (src/helpers/pipeline/stages.py)")
    dvc_yaml.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml is not what the stage list gives")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are set-up chatter
    if args.command == "run":
        command = " ".join(["python -m helpers.pipeline", *(argv if argv is not None else sys.argv[1:])])
        chosen = {key: value for key, value in (("organisation", args.organisation), ("period", args.period)) if value}
        return run_main(args.inputs, args.force, command, chosen, args.jobs)
    if args.command == "check":
        return check_main(args.inputs, args.source)
    if args.command == "national":
        from helpers.pipeline.national import national_main

        return national_main(args.inputs, args.scheduler, args.workers, args.icb)
    if args.command == "dvc-yaml":
        return dvc_yaml_main(args.check)
    return stage_main(args.name)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, found {text!r}")
    return int(text)


def dvc_yaml_main(check: bool) -> int:
    from helpers.pipeline import dvcfile

    root = project_root()
    if check:
        current = (root / "dvc.yaml").read_text(encoding="utf-8") == dvcfile.expected(root)
        print("dvc.yaml is current" if current else "dvc.yaml differs from the stage list: run "
              "python -m helpers.pipeline dvc-yaml", file=sys.stdout if current else sys.stderr)
        return EXIT_OK if current else EXIT_INTERNAL
    print("dvc.yaml written" if dvcfile.write(root) else "dvc.yaml already current")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
