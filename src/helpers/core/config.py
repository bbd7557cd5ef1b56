"""Where things are: the project root and a stage's folders.

Notebooks may run from ``notebooks/`` in JupyterLab or from the root under Papermill, so every
relative path is resolved against the project root, never the working directory. Parameters are
not read here: only the pipeline reads ``params.yaml`` (:mod:`helpers.pipeline.settings`) and
hands each stage its section as a :class:`helpers.core.settings.Settings` object.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

PROCESSED = "data/processed"
VALIDATION = "build/validation"


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


def table_file(domain: str, table: str) -> str:
    """The file name of a processed table: ``<domain>_<table>.parquet``, the one naming rule."""
    return f"{domain}_{table}.parquet"


def download_stem(domain: str, table: str) -> str:
    """The name (without ``.csv``) of a processed table's download: ``<domain>_<table>``, or the wider name
    its domain package gives it in ``DOWNLOADS`` (a download covering more than the edition's ICB says so)."""
    import importlib

    names = getattr(importlib.import_module(f"helpers.domains.{domain}"), "DOWNLOADS", {})
    return names.get(table, f"{domain}_{table}")


def provenance_file(domain: str) -> str:
    return f"{domain}_provenance.json"


@dataclass(frozen=True)
class Project:
    """A stage's view of the project: configuration read from ``root``, outputs written under ``out``.

    ``out`` is the root too, except in a preflight check, which writes into a temporary folder
    and reads the processed tables it has not made itself from the project.
    """

    root: Path
    out: Path | None = None

    @classmethod
    def here(cls) -> Project:
        return cls(project_root())

    @property
    def processed(self) -> Path:
        """Where this stage writes processed tables."""
        return (self.out or self.root) / PROCESSED

    def validation(self, domain: str) -> Path:
        """Where a domain's validation results go (cleared by each run of its stage)."""
        return (self.out or self.root) / VALIDATION / domain

    def path(self, relative: str | os.PathLike) -> Path:
        """A configuration file (catalogue, suites) named relative to the project root."""
        return resolve(relative, self.root)

    def table_path(self, domain: str, table: str) -> Path:
        """A processed table to read: this run's own if it made one, else the project's."""
        return self.processed_path(table_file(domain, table))

    def provenance_path(self, domain: str) -> Path:
        return self.processed_path(provenance_file(domain))

    def processed_path(self, name: str) -> Path:
        """A file in ``data/processed/`` to read: this run's own if it made one, else the project's."""
        own = self.processed / name
        return own if own.exists() or self.out is None else self.root / PROCESSED / name

    def processed_files(self, pattern: str) -> list[Path]:
        """The files in ``data/processed/`` matching ``pattern`` to read, by name: this run's own, and
        the project's of names it did not make."""
        found = {p.name: p for p in self.processed.glob(pattern)}
        if self.out is not None:
            for p in (self.root / PROCESSED).glob(pattern):
                found.setdefault(p.name, p)
        return [found[name] for name in sorted(found)]

    def validation_files(self) -> list[tuple[str, Path]]:
        """Every validation result to read, with the folder under ``build/validation/`` it is in (its
        domain's): this run's own, and the project's of names it did not make."""
        bases = [self.root / VALIDATION] + ([self.out / VALIDATION] if self.out is not None else [])
        found = {p.relative_to(base).as_posix(): p for base in bases for p in base.glob("**/*.json")}
        return [(name.rpartition("/")[0], found[name]) for name in sorted(found)]

    def read_provenance(self, domain: str) -> dict:
        return json.loads(self.provenance_path(domain).read_text(encoding="utf-8"))
