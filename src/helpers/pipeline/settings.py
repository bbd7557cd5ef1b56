"""The one reader of ``params.yaml``: each stage's section, checked and frozen.

Stages, notebooks and modules never open ``params.yaml`` themselves; they receive their
section as a :class:`helpers.core.settings.Settings` object from here (the pipeline injects it
into the stage notebook; run by hand in JupyterLab, the notebook asks this module for it).
"""

from __future__ import annotations

import dataclasses
import importlib
from functools import lru_cache
from pathlib import Path

import yaml

from helpers.core.config import project_root
from helpers.core.errors import ConfigurationError
from helpers.core.settings import Settings

PARAMS_FILE = "params.yaml"


@lru_cache(maxsize=8)
def _load_yaml(path: Path, mtime: float) -> dict:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a mapping of sections, found {type(data).__name__}")
    return data


def load_params(root: Path | None = None) -> dict:
    """params.yaml as a dict (cached until the file changes)."""
    path = (root or project_root()) / PARAMS_FILE
    return _load_yaml(path, path.stat().st_mtime)


def settings_class(stage) -> type[Settings]:
    """The Settings class a stage declares (``helpers.domains.<domain>.settings.<name>``)."""
    module = importlib.import_module(f"helpers.domains.{stage.domain}.settings")
    return getattr(module, stage.settings)


EDITION_KEYS = ("organisation", "period")  # top of params.yaml: what the edition is about


def edition_keys(stage) -> list[str]:
    """The top-level settings (organisation, period) a stage's Settings class declares."""
    names = {f.name for f in dataclasses.fields(settings_class(stage))}
    return [key for key in EDITION_KEYS if key in names]


def edition(root: Path | None = None, chosen: dict | None = None) -> dict:
    """The edition's organisation and period: as chosen for this run, else the top of params.yaml."""
    params = load_params(root)
    return {key: (chosen or {}).get(key) or params.get(key) for key in EDITION_KEYS}


def for_stage(stage, root: Path | None = None, section: dict | None = None, chosen: dict | None = None) -> Settings:
    """A stage's settings: ``section`` if given (as Papermill injected it), else its params.yaml section
    with the edition's organisation and period (``chosen`` for this run, else the top of the file)."""
    if section is None:
        section = load_params(root).get(stage.params)
        if isinstance(section, dict):
            scope = edition(root, chosen)
            section = {**{key: scope[key] for key in edition_keys(stage)}, **section}
    return settings_class(stage).of(section, stage.params)


def check_all(root: Path | None = None, chosen: dict | None = None) -> dict[str, Settings]:
    """Every stage's settings, so that a wrong setting stops a run before any stage starts."""
    from helpers.pipeline import stages

    return {s.name: for_stage(s, root, chosen=chosen) for s in stages.STAGES if s.params}


def section(name: str, root: Path | None = None) -> dict:
    """A section the pipeline itself uses (publish, refresh, notify, inputs), as plain data."""
    value = load_params(root).get(name) or {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"params.yaml {name}: expected a mapping of settings, found {value!r}")
    return value
