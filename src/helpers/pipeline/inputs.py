"""Where each source's files are, for this run.

The inputs are chosen per run (``make report INPUTS=...``): each source subfolder is taken from
the first listed folder that has it, and the choice is recorded in ``build/run.yaml`` so DVC sees
each folder as a dependency of the stages that read it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from helpers.core.config import resolve

DEFAULT_INPUTS = "data/raw"
RUN_FILE = "build/run.yaml"


def locate_sources(folders: list[str | os.PathLike], sources: list[str],
                   root: Path) -> tuple[dict[str, str], list[str]]:
    """Each source's folder, taken from the first of ``folders`` that has it; and those found nowhere.

    Paths stay relative to the project root when given relative, so ``build/run.yaml`` (and DVC's
    lock) don't depend on where the project is checked out.
    """
    found, missing = {}, []
    for source in sources:
        for folder in folders:
            if (resolve(folder, root) / source).is_dir():
                found[source] = str(Path(folder) / source)
                break
        else:
            missing.append(source)
    return found, missing


def missing_sources_message(missing: list[str], folders: list[str | os.PathLike]) -> str:
    """What ``run`` and ``check`` say when ``locate_sources`` found some sources nowhere."""
    return (f"no {', '.join(s + '/' for s in missing)} subfolder in {' or '.join(map(str, folders))} "
            f"(expected one subfolder per source, laid out like data/raw/)")


def write_run_file(inputs: dict[str, str], root: Path, edition: dict | None = None) -> Path:
    """Record this run's folder per source, and its organisation and period, where dvc.yaml reads them."""
    path = root / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"inputs": dict(inputs), **({"edition": dict(edition)} if edition else {})})
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # keep mtime for no-op runs
        from helpers.core.provenance import write_text

        write_text(path, text)  # renamed into place: dvc.yaml reads it; a half-written copy would stop every run
    return path


def _run_file(root: Path) -> dict:
    path = root / RUN_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return data if isinstance(data, dict) else {}


def recorded(root: Path) -> dict[str, str]:
    """This run's folder per source, as ``run`` recorded it in ``build/run.yaml`` (empty before a run)."""
    data = _run_file(root).get("inputs")
    return dict(data) if isinstance(data, dict) else {}


def recorded_edition(root: Path) -> dict:
    """This run's organisation and period (``run --organisation``, else params.yaml's), as recorded."""
    data = _run_file(root).get("edition")
    return dict(data) if isinstance(data, dict) else {}


def folders_for(sources: tuple[str, ...], root: Path, given: dict | None = None) -> dict[str, Path]:
    """Absolute folders of ``sources``: as the pipeline injected them, else the samples in ``data/raw/``
    (a notebook run by hand in JupyterLab)."""
    return {s: resolve((given or {}).get(s) or f"{DEFAULT_INPUTS}/{s}", root) for s in sources}
