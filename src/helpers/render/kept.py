"""Rendered markup kept between runs, under a key covering everything it is made from.

The board paper embeds each domain's section, charts and all. When one report setting changes,
the other domains' sections would come out the same, so they are kept in ``build/cache/`` under a
hash of what makes them: the domain and its report settings (which carry the edition's ICB and
month), the day (a section may count days to a date), the project's processed tables, validation
results and catalogues, the package's own code and templates, and the versions of the libraries
that draw the charts. Anything else changing is a new key, and so a new render.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
from functools import lru_cache
from pathlib import Path

from helpers.core.provenance import hash_part, prune_newest, write_text

KEEP = 8  # per name: this run's, and a few to go back to
DRAWN_BY = ("pandas", "numpy", "matplotlib", "seaborn", "jinja2")
FOLDERS = ("data/processed", "build/validation", "catalogue")  # under the project root


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


def key(root: Path, name: str, settings: dict) -> str:
    """What a fragment called ``name`` made with ``settings`` in the project at ``root`` depends on."""
    made = hashlib.sha256()
    hash_part(made, "name", name.encode())
    hash_part(made, "settings", json.dumps(settings, sort_keys=True, default=str).encode())
    hash_part(made, "day", dt.date.today().isoformat().encode())
    hash_part(made, "code", code_digest().encode())
    for folder in FOLDERS:
        base = root / folder
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            if path.is_file():
                hash_part(made, f"{folder}/{path.relative_to(base).as_posix()}", path.read_bytes())
    return made.hexdigest()[:32]


def fragment(cache: Path, root: Path, name: str, settings: dict, make) -> str:
    """``make()``'s markup, kept in ``cache`` under :func:`key`: made only if not kept already."""
    path = cache / f"{name}-{key(root, name, settings)}.html"
    if path.is_file():
        path.touch()  # the newest used are the ones kept
        return path.read_text(encoding="utf-8")
    text = str(make())
    write_text(path, text)
    prune_newest(cache.glob(f"{name}-*.html"), keep=KEEP, current=path)
    return text
