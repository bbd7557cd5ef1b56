"""Command-line entry point: ``python -m helpers.pipeline``.

``run``
    the main job: records the inputs folder, then ``dvc repro`` re-runs whichever stages changed.
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

from .config import DEFAULT_INPUTS, RUN_FILE, load_params, project_root, resolve, write_run_file
from .errors import EXIT_CODES_BY_NAME, EXIT_INTERNAL, EXIT_OK, PipelineError

log = logging.getLogger("helpers.pipeline")

EXECUTED = Path("build/executed")
FAILED = Path("build/failed")
LAST_ERROR = Path("build/last_error.json")
SOURCES = ["rtt_full_csv"]  # subfolders of the inputs folder that the stages read
NOTEBOOKS = {
    "cleanse_rtt": Path("notebooks/10_cleanse_rtt.ipynb"),
    "report_rtt": Path("notebooks/20_report_rtt.ipynb"),
}


def _inputs(root: Path) -> str:
    import yaml

    path = root / RUN_FILE
    if path.exists():
        return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("inputs", DEFAULT_INPUTS)
    return DEFAULT_INPUTS


def notebook_parameters(stage: str, root: Path) -> dict:
    """What Papermill injects into each stage's notebook: the run's inputs and params.yaml."""
    params = load_params(root)
    if stage == "cleanse_rtt":
        rtt = params.get("rtt", {})
        return {"inputs": _inputs(root), "file_pattern": rtt.get("file_pattern"), "periods": rtt.get("periods", "all")}
    if stage == "report_rtt":
        return dict(params.get("report", {}))
    raise KeyError(stage)


def execute_notebook(stage: str, root: Path) -> Path:
    """Run a stage notebook; the executed copy replaces the last good one only on success."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = root / NOTEBOOKS[stage]
    target = root / EXECUTED / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{source.stem}.running.ipynb")
    print(f"[{stage}] executing {NOTEBOOKS[stage]}", flush=True)
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
    import nbformat

    from . import publish

    params = load_params(root)
    provenance = json.loads((root / "data/processed/rtt_provenance.json").read_text(encoding="utf-8"))
    report = root / EXECUTED / NOTEBOOKS["report_rtt"].name
    nb_params = nbformat.read(report, as_version=4).metadata.get("papermill", {}).get("parameters", {})
    title = params.get("publish", {}).get("title", "Referral to treatment waiting times")
    subtitle = f"ICB {nb_params.get('icb', '')}, data to {provenance.get('periods', ['?'])[-1]}"
    return publish.publish(
        root, reports=root / "reports", executed={"report": report,
                                                  "cleanse": root / EXECUTED / NOTEBOOKS["cleanse_rtt"].name},
        report_title=title, report_subtitle=subtitle, validation_dir=root / "build/validation/rtt",
        provenance=provenance, keep=int(params.get("publish", {}).get("keep_editions", 12)))


def _record_error(root: Path, stage: str, code: int, message: str, notebook: Path | None = None) -> None:
    path = root / LAST_ERROR
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stage": stage, "exit_code": code, "message": message,
                                "notebook": str(notebook) if notebook else None}), encoding="utf-8")


def stage_main(stage: str) -> int:
    root = project_root()
    try:
        if stage == "publish":
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


def run_main(inputs: str, force: bool = False) -> int:
    """The main job: point the pipeline at ``inputs`` and let DVC re-run what changed."""
    root = project_root()
    folder = resolve(inputs, root)
    missing = [s for s in SOURCES if not (folder / s).is_dir()]
    if missing:
        print(f"ERROR: inputs folder {folder} has no {', '.join(s + '/' for s in missing)} subfolder "
              f"(expected one subfolder per source, laid out like data/raw/)", file=sys.stderr)
        return EXIT_CODES_BY_NAME["InputMissingError"]
    write_run_file(os.path.relpath(folder, root) if not Path(inputs).is_absolute() else folder, root)
    (root / LAST_ERROR).unlink(missing_ok=True)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    command = [sys.executable, "-m", "dvc", "repro", *(["--force"] if force else [])]
    started = time.perf_counter()
    print(f"Inputs: {folder}", flush=True)
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
    run.add_argument("--inputs", default=DEFAULT_INPUTS, help="folder of publisher files, one subfolder per "
                     "source (default: data/raw, the shipped synthetic samples)")
    run.add_argument("--force", action="store_true", help="re-run every stage even if nothing changed")
    stage = sub.add_parser("stage", help="run one stage (called by dvc repro)")
    stage.add_argument("name", choices=[*NOTEBOOKS, "publish"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are set-up chatter
    if args.command == "run":
        return run_main(args.inputs, args.force)
    return stage_main(args.name)


if __name__ == "__main__":
    sys.exit(main())
