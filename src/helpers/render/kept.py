"""Rendered markup kept between stages and runs, under a key covering everything it is made from.

The board paper embeds each domain's section, charts and all: the same figures the domain's
report stage has just drawn for its own page. So the report stage keeps its section in
``build/cache/board-sections`` (:func:`fragment`), and the paper takes it from there rather than
drawing it again; a section not kept (its report stage did not run, or ran on other tables) the
paper draws itself, and keeps. The key is a hash of what makes the section: the domain and its
report settings (which carry the edition's ICB and month), the day (a section may count days to a
date), the report stage's inputs (its tables, validation results and catalogues, as ``dvc.yaml``
lists them), the package's own code and templates, and the versions of the libraries that draw
the charts. Anything else changing is a new key, and so a new render.

Within one stage, :func:`once` keeps what a page draws on the report's own data, so that its
board section, made from the same data, does not draw it twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from helpers.core.provenance import hash_part, prune_newest, write_text

SECTIONS = Path("build/cache/board-sections")  # under the project root
KEEP = 8  # per name: this run's, and a few to go back to (the national run keeps one per ICB in turn)
DRAWN_BY = ("pandas", "numpy", "matplotlib", "seaborn", "jinja2")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package's code and templates, and the drawing libraries' versions, as one hash."""
    made = hashlib.sha256()
    package = Path(__file__).parents[1]
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".html", ".css", ".j2", ".yaml", ".svg"}:
            hash_part(made, path.relative_to(package).as_posix(), path.read_bytes())
    for name in DRAWN_BY:
        hash_part(made, name, importlib.metadata.version(name).encode())
    return made.hexdigest()


def _files(root: Path, made_from: Iterable[str]):
    """Each file of ``made_from`` (paths under ``root``, files or folders), with its name, in order."""
    for name in made_from:
        path = root / name
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        for file in found:
            yield file.relative_to(root).as_posix(), file


def key(root: Path, name: str, settings: dict, made_from: Iterable[str]) -> str:
    """What a fragment called ``name``, made with ``settings`` from the files ``made_from`` (paths
    under ``root``; a folder stands for every file in it), depends on."""
    made = hashlib.sha256()
    hash_part(made, "name", name.encode())
    hash_part(made, "settings", json.dumps(settings, sort_keys=True, default=str).encode())
    hash_part(made, "day", dt.date.today().isoformat().encode())
    hash_part(made, "code", code_digest().encode())
    for label, file in _files(root, made_from):
        hash_part(made, label, file.read_bytes())
    return made.hexdigest()[:32]


def fragment(root: Path, name: str, settings: dict, made_from: Iterable[str], make: Callable[[], object]) -> str:
    """``make()``'s markup, kept under :data:`SECTIONS` by :func:`key`: made only if not kept already."""
    cache = root / SECTIONS
    path = cache / f"{name}-{key(root, name, settings, made_from)}.html"
    try:
        text = path.read_text(encoding="utf-8")
        path.touch()  # the newest used are the ones kept
        return text
    except FileNotFoundError:  # not kept, or pruned meanwhile by another process keeping its own
        pass
    text = str(make())
    write_text(path, text)
    try:
        prune_newest(cache.glob(f"{name}-*.html"), keep=KEEP, current=path)
    except FileNotFoundError:  # another process pruned them first
        pass
    return text


def once(owner: object, name: str, make: Callable[[], object]):
    """``make()``, kept on ``owner`` (a report's data) under ``name``: made on the first call only."""
    drawn = vars(owner).setdefault("_drawn", {})
    if name not in drawn:
        drawn[name] = make()
    return drawn[name]
