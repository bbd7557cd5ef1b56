"""Checks that what a reader or the next stage can see is whole: the published reports and the
processed tables. Used by the crash-safety test and ``bench/bench_kill.py`` after killing a run.

Links are resolved as a browser resolves them, from the page's address (``reports/latest/...``
stays under ``latest``), not from where a symbolic link happens to lead.
"""

from __future__ import annotations

import hashlib
import json
import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from helpers.pipeline.publish import EDITIONS, LATEST
from helpers.render import html


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def local_links(page: Path) -> list[str]:
    """The page's links to files beside it (no scheme, not a fragment or data URL)."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [link for link in parser.links
            if not urlsplit(link).scheme and not link.startswith(("#", "//"))]


def broken_links(page: Path) -> list[str]:
    """Local links of ``page`` that lead to no file."""
    broken = []
    for link in local_links(page):
        target = unquote(urlsplit(link).path)
        if target and not Path(os.path.normpath(page.parent / target)).is_file():
            broken.append(link)
    return broken


def page_problems(page: Path) -> list[str]:
    """Why ``page`` is not a whole HTML page with working local links (empty if it is)."""
    if not page.is_file():
        return [f"{page}: missing"]
    text = page.read_text(encoding="utf-8", errors="replace")
    if not text.rstrip().lower().endswith(html.PAGE_END):
        return [f"{page}: cut short (no closing {html.PAGE_END})"]
    return [f"{page}: broken link {link}" for link in broken_links(page)]


def edition_problems(edition: Path) -> list[str]:
    """An edition is whole when its index and every page it links to are, and its record parses."""
    problems = page_problems(edition / "index.html")
    if problems:
        return problems
    for link in local_links(edition / "index.html"):
        target = Path(os.path.normpath(edition / unquote(urlsplit(link).path)))
        if target.suffix == ".html":
            problems += page_problems(target)
    try:
        json.loads((edition / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{edition}/provenance.json: {exc}")
    return problems


def reports_problems(reports: Path) -> list[str]:
    """``reports/index.html``, ``reports/latest`` and every edition the index links to, whole."""
    index, latest = reports / "index.html", reports / LATEST
    problems = page_problems(index)
    if not latest.is_symlink() or latest.resolve().parent != (reports / EDITIONS).resolve():
        problems.append(f"{latest}: not a link to an edition")
    elif latest.resolve().name.startswith("."):
        problems.append(f"{latest}: points at a hidden (staging or deleted) folder")
    else:
        problems += edition_problems(latest)
    if index.is_file():
        linked = {Path(unquote(urlsplit(link).path)).parts[1] for link in local_links(index)
                  if Path(link).parts[:1] == (EDITIONS,) and len(Path(link).parts) > 2}
        for name in sorted(linked):
            problems += edition_problems(reports / EDITIONS / name)
    return problems


def processed_problems(folder: Path) -> list[str]:
    """Every visible table in ``data/processed`` reads whole (parquet) or parses (JSON)."""
    import pyarrow.parquet as pq

    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue  # a temporary name: never read by a stage
        try:
            if path.suffix == ".parquet":
                pq.read_table(path)
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:
            problems.append(f"{path}: unreadable ({type(exc).__name__}: {str(exc)[:120]})")
    return problems


def tree_digest(folder: Path) -> str:
    """One hash of every file's relative path and bytes under ``folder`` (following ``latest``)."""
    digest = hashlib.sha256()
    root = folder.resolve()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def hidden_leftovers(*folders: Path) -> list[Path]:
    """Hidden (temporary) entries in ``folders``: there after a killed run, gone after the next."""
    return [p for folder in folders if folder.is_dir() for p in folder.iterdir() if p.name.startswith(".")]
