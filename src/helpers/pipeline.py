"""Command-line entry point: ``python -m helpers.pipeline``.

``run``
    the main job: finds each source's folder in the inputs folders given (the first that has it),
    records them, then ``dvc repro`` re-runs whichever stages changed.
    Exit codes: 0 success, 1 internal error, 2 data-quality failure (a critical expectation or an
    unreadable file), 3 input missing. On failure nothing is published and ``reports/`` keeps the
    last good edition.
``stage NAME``
    one DVC stage (called by ``dvc repro``): executes the stage's notebook with Papermill.

Imports are kept light here so that a no-op run returns quickly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from . import recovery, stages
from .config import DEFAULT_INPUTS, RUN_FILE, load_params, locate_sources, project_root, write_run_file
from .errors import EXIT_CODES_BY_NAME, EXIT_INTERNAL, EXIT_OK, PipelineError

log = logging.getLogger("helpers.pipeline")

EXECUTED = Path("build/executed")
FAILED = Path("build/failed")
LAST_ERROR = Path("build/last_error.json")


def run_inputs(root: Path) -> dict[str, str]:
    """This run's folder per source, as ``run`` recorded it in ``build/run.yaml``."""
    import yaml

    path = root / RUN_FILE
    recorded = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("inputs") if path.exists() else None
    return dict(recorded) if isinstance(recorded, dict) else {}  # none yet, or an older single-folder record


def notebook_parameters(stage: str, root: Path) -> dict:
    """What Papermill injects into a stage's notebook: its params.yaml section and its inputs."""
    spec = stages.by_name()[stage]
    parameters = dict(load_params(root).get(spec.params, {}) if spec.params else {})
    if spec.sources:
        recorded = run_inputs(root)
        parameters["inputs"] = {s: recorded.get(s, f"{DEFAULT_INPUTS}/{s}") for s in spec.sources}
    return parameters


def execute_notebook(stage: str, root: Path) -> Path:
    """Run a stage notebook; the executed copy replaces the last good one only on success."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = stages.by_name()[stage].notebook
    source = root / notebook
    target = root / EXECUTED / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{source.stem}.running.ipynb")
    print(f"[{stage}] executing {notebook}", flush=True)
    try:
        papermill.execute_notebook(
            str(source), str(partial), parameters=notebook_parameters(stage, root), cwd=str(root),
            kernel_name="python3", progress_bar=sys.stderr.isatty(), log_output=False)
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


def publish_stage(root: Path) -> Path:
    from . import publish

    params = load_params(root)
    documents = [publish.Document(title=spec.document[0], file=spec.document[1],
                                  executed=root / EXECUTED / Path(spec.notebook).name, domains=spec.domains)
                 for spec in stages.STAGES if spec.document]
    documents.sort(key=lambda d: bool(d.domains))  # the board paper, drawing on every domain, leads
    return publish.publish(
        root, reports=root / "reports", documents=documents,
        executed=[root / EXECUTED / Path(spec.notebook).name for spec in stages.STAGES],
        folders=[root / spec.publishes for spec in stages.STAGES if spec.publishes],
        validation_dir=root / "build/validation", provenance=publish.merged_provenance(root / "data/processed"),
        title=params.get("publish", {}).get("title", "Commissioner performance reports"),
        keep=int(params.get("publish", {}).get("keep_editions", 12)))


def _record_error(root: Path, stage: str, code: int, message: str, notebook: Path | None = None) -> None:
    from .provenance import write_json

    write_json(root / LAST_ERROR, {"stage": stage, "exit_code": code, "message": message,
                                   "notebook": str(notebook) if notebook else None})


def stage_main(stage: str) -> int:
    root = project_root()
    try:
        if stage == stages.PUBLISH:
            edition = publish_stage(root)
            print(f"[publish] {edition.relative_to(root)}; reports/index.html points to it", flush=True)
        else:
            execute_notebook(stage, root)
    except StageFailed as exc:
        print(f"\nERROR in stage {stage}: {exc.evalue}\n(executed notebook with the error: {exc.notebook})",
              file=sys.stderr, flush=True)
        _record_error(root, stage, exc.exit_code, exc.evalue, exc.notebook)
        return exc.exit_code
    except PipelineError as exc:
        print(f"\nERROR in stage {stage}: {exc}", file=sys.stderr, flush=True)
        _record_error(root, stage, exc.exit_code, str(exc))
        return exc.exit_code
    return EXIT_OK


def run_main(inputs: list[str], force: bool = False) -> int:
    """The main job: point the pipeline at the inputs folders and let DVC re-run what changed."""
    root = project_root()
    found, missing = locate_sources(inputs, stages.sources(), root)
    if missing:
        print(f"ERROR: no {', '.join(s + '/' for s in missing)} subfolder in {' or '.join(map(str, inputs))} "
              f"(expected one subfolder per source, laid out like data/raw/)", file=sys.stderr)
        return EXIT_CODES_BY_NAME["InputMissingError"]
    for note in recovery.recover(root):  # what a killed run left behind
        print(f"Recovered: {note}", flush=True)
    write_run_file(found, root)
    (root / LAST_ERROR).unlink(missing_ok=True)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [sys.executable, "-m", "dvc", "repro", *(["--force"] if force else [])]
    started = time.perf_counter()
    for source, folder in found.items():
        print(f"Input {source}: {folder}", flush=True)
    code = subprocess.run(command, cwd=root, env=env).returncode
    if code == 0:
        index = root / "reports" / "index.html"
        print(f"Done in {time.perf_counter() - started:.1f} s. Open {index}", flush=True)
        return EXIT_OK
    error = root / LAST_ERROR
    if error.exists():
        detail = json.loads(error.read_text(encoding="utf-8"))
        print(f"\nPipeline stopped at stage '{detail['stage']}' (exit {detail['exit_code']}). Nothing was "
              f"published; reports/ still holds the last good edition.", file=sys.stderr)
        return int(detail["exit_code"])
    print("\nPipeline failed (see the DVC message above); nothing was published.", file=sys.stderr)
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the pipeline (dvc repro) on an inputs folder")
    run.add_argument("--inputs", nargs="+", default=[DEFAULT_INPUTS], metavar="FOLDER",
                     help="folders of publisher files, one subfolder per source; each source is taken from "
                     "the first folder that has it (default: data/raw, the shipped synthetic samples)")
    run.add_argument("--force", action="store_true", help="re-run every stage even if nothing changed")
    stage = sub.add_parser("stage", help="run one stage (called by dvc repro)")
    stage.add_argument("name", choices=[*stages.by_name(), stages.PUBLISH])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are set-up chatter
    if args.command == "run":
        return run_main(args.inputs, args.force)
    return stage_main(args.name)


if __name__ == "__main__":
    sys.exit(main())
