"""Project paths and parameters.

Parameters live in ``params.yaml`` at the project root. The inputs are chosen per run
(``make report INPUTS=...``): each source subfolder is taken from the first listed folder that
has it, and the choice is recorded in ``build/run.yaml`` so DVC sees each folder as a dependency.
Notebooks may run from ``notebooks/`` in JupyterLab or from the root under Papermill, so every
relative path is resolved against the project root, never the working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_INPUTS = "data/raw"
RUN_FILE = "build/run.yaml"


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) that holds params.yaml and dvc.yaml."""
    env = os.environ.get("NHS_ANALYTICS_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "params.yaml").is_file() and (folder / "dvc.yaml").is_file():
            return folder
    raise FileNotFoundError(
        f"no project root (a folder with params.yaml and dvc.yaml) at or above {here}"
    )


def resolve(path: str | os.PathLike, root: Path | None = None) -> Path:
    """An absolute path: relative ones are taken from the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (root or project_root()) / p


@lru_cache(maxsize=8)
def _load_yaml(path: Path, mtime: float) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def load_params(root: Path | None = None) -> dict:
    """params.yaml as a dict (cached until the file changes)."""
    path = (root or project_root()) / "params.yaml"
    return _load_yaml(path, path.stat().st_mtime)


def source_dir(inputs: dict | None, source: str, root: Path | None = None) -> Path:
    """The folder of one source: as the pipeline injected it, else ``data/raw/<source>``.

    Notebooks take ``inputs = None`` by default so that they run in JupyterLab on the samples.
    """
    folder = (inputs or {}).get(source) or f"{DEFAULT_INPUTS}/{source}"
    return resolve(folder, root)


def locate_sources(folders: list[str | os.PathLike], sources: list[str],
                   root: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """Each source's folder, taken from the first of ``folders`` that has it; and those found nowhere.

    Paths stay relative to the project root when given relative, so ``build/run.yaml`` (and DVC's
    lock) don't depend on where the project is checked out.
    """
    root = root or project_root()
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


def write_run_file(inputs: dict[str, str], root: Path | None = None) -> Path:
    """Record this run's folder per source where dvc.yaml reads it from."""
    root = root or project_root()
    path = root / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"inputs": dict(inputs)})
    if not path.exists() or path.read_text(encoding="utf-8") != text:  # keep mtime for no-op runs
        from helpers.core.provenance import write_text

        write_text(path, text)  # renamed into place: dvc.yaml reads it; a half-written copy would stop every run
    return path
