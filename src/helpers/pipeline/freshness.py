"""How a run with nothing to do says so in well under a second, without asking DVC.

DVC's own check (:mod:`helpers.pipeline.plan`) parses ``dvc.yaml`` and ``dvc.lock``, reads the
parameters and looks at every dependency and output of every stage: seconds, on every scheduled
run. So when a run leaves every stage up to date, what DVC's judgement rests on is recorded in
``build/up_to_date.json``: the size, modification time and inode of every file under every
dependency and output in ``dvc.yaml`` (``${...}`` resolved from its ``vars``), and of the files
DVC itself reads (``dvc.yaml``, ``dvc.lock``, ``params.yaml``, ``build/run.yaml``, its config and
ignore file). A later run that finds all of them as recorded has nothing to do, as DVC would find
(DVC itself trusts size, time and inode to skip re-hashing a file); anything else, a file added,
touched or removed, means asking DVC. A ``dvc.yaml`` written in a way this module does not follow
(``foreach``, stage ``vars``, ``wdir``, ``.dvcignore`` rules other than plain names) never gets a
record, so DVC is always asked.

Kept free of heavy imports: it runs on every run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from pathlib import Path

import yaml

RECORD = "build/up_to_date.json"
DVC_FILES = ("dvc.yaml", "dvc.lock", ".dvcignore", ".dvc/config", ".dvc/config.local")
_VAR = re.compile(r"\$\{\s*([A-Za-z0-9_.-]+)\s*\}")
_PLAIN_NAME = re.compile(r"^[^/!\[\]\\]+/?$")  # a .dvcignore rule naming files or folders anywhere


class _Unsupported(Exception):
    """dvc.yaml (or .dvcignore) uses something this module does not follow: leave it to DVC."""


def _load_yaml(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _variables(root: Path, spec: dict) -> dict:
    merged: dict = {}
    for entry in spec.get("vars") or []:
        if not isinstance(entry, str) or ":" in entry:
            raise _Unsupported("vars")
        path = root / entry
        data = _load_yaml(path) if path.is_file() else None
        if not isinstance(data, dict):
            raise _Unsupported(entry)
        merged.update(data)
    return merged


def _resolve(text: str, variables: dict) -> str:
    def value(match: re.Match) -> str:
        found = variables
        for key in match[1].split("."):
            if not isinstance(found, dict) or key not in found:
                raise _Unsupported(match[0])
            found = found[key]
        if isinstance(found, dict | list):
            raise _Unsupported(match[0])
        return str(found)

    return _VAR.sub(value, text)


def _entry_paths(entries, variables: dict) -> list[str]:
    paths = []
    for entry in entries or []:
        if isinstance(entry, dict):  # {path: options} (outs) or {params file: [keys]} (params)
            if len(entry) != 1:
                raise _Unsupported(str(entry))
            entry = next(iter(entry))
        if not isinstance(entry, str):
            raise _Unsupported(str(entry))
        paths.append(_resolve(entry, variables))
    return paths


def watched(root: Path) -> list[str]:
    """Every path DVC reads to judge the stages of ``root``'s ``dvc.yaml`` (relative to ``root``)."""
    spec = _load_yaml(root / "dvc.yaml")
    if not isinstance(spec, dict) or set(spec) - {"vars", "stages"}:
        raise _Unsupported("dvc.yaml")
    variables = _variables(root, spec)
    paths = [*DVC_FILES, *(spec.get("vars") or [])]
    for stage in (spec.get("stages") or {}).values():
        if not isinstance(stage, dict) or set(stage) & {"foreach", "matrix", "do", "vars", "wdir"}:
            raise _Unsupported("stage")
        paths += _entry_paths(stage.get("deps"), variables) + _entry_paths(stage.get("outs"), variables)
        for entry in stage.get("params") or []:  # a key of params.yaml, or {file: [keys]}
            paths += _entry_paths([entry], variables) if isinstance(entry, dict) else ["params.yaml"]
    return sorted(set(paths))


def _ignored(root: Path) -> list[str]:
    path = root / ".dvcignore"
    rules = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()] if path.is_file() else []
    rules = [r for r in rules if r and not r.startswith("#")]
    if not all(_PLAIN_NAME.match(r) for r in rules):
        raise _Unsupported(".dvcignore")
    return [r.rstrip("/") for r in rules]


def _stat(path: Path) -> list[int]:
    st = os.stat(path)  # through a link, to what DVC hashes
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _files(root: Path, relative: str, ignored: list[str]) -> dict[str, list[int] | None]:
    """Each file at or under ``relative`` with its size, time and inode (None: nothing there)."""
    base = root / relative
    if not base.exists():
        return {relative: None}
    if not base.is_dir():
        return {relative: _stat(base)}
    found: dict[str, list[int] | None] = {}
    seen: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(base, followlinks=True):
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen:  # a link back to a folder already walked
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not _matches(d, ignored))
        for name in sorted(files):
            if not _matches(name, ignored):
                path = Path(folder, name)
                found[(Path(relative) / path.relative_to(base)).as_posix()] = _stat(path)
    return found


def _matches(name: str, rules: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, rule) for rule in rules)


def snapshot(root: Path) -> dict[str, list[int] | None] | None:
    """What DVC's judgement rests on now, or None if this project's dvc.yaml is not one to record."""
    try:
        ignored = _ignored(root)
        found: dict[str, list[int] | None] = {}
        for relative in watched(root):
            found.update(_files(root, relative, ignored))
        return found
    except (_Unsupported, OSError, ValueError, yaml.YAMLError):  # when in doubt, DVC is asked
        return None


def digest(files: dict) -> str:
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf-8")).hexdigest()


def is_recorded(root: Path, files: dict) -> bool:
    """Whether ``files`` (a :func:`snapshot`) is the project as last recorded up to date."""
    try:
        return json.loads((root / RECORD).read_text(encoding="utf-8"))["digest"] == digest(files)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def has_record(root: Path) -> bool:
    """Whether a run has recorded the project up to date (since when, a check says, it changed or not)."""
    return (root / RECORD).is_file()


def stage_names(root: Path) -> list[str]:
    """The stages in ``dvc.yaml``, in its order."""
    return list((_load_yaml(root / "dvc.yaml") or {}).get("stages") or {})


def record(root: Path, files: dict | None = None) -> None:
    """Record the project as it is now (or ``files``, a :func:`snapshot`): every stage up to date."""
    from helpers.core.provenance import write_text

    files = snapshot(root) if files is None else files
    if files is not None:
        write_text(root / RECORD, json.dumps({"digest": digest(files)}))


def forget(root: Path) -> None:
    (root / RECORD).unlink(missing_ok=True)


def changed_between(before: dict, after: dict, allowed: list[str]) -> list[str]:
    """Files that differ between two snapshots, other than those at or under ``allowed`` paths
    (what the run's own stages were meant to write)."""
    prefixes = tuple(p.rstrip("/") + "/" for p in allowed)
    return sorted(path for path in set(before) | set(after)
                  if before.get(path) != after.get(path) and path not in allowed and not path.startswith(prefixes))
