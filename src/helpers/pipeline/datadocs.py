"""An edition's Data Docs, built once per set of validation results and reused.

Building Data Docs means importing Great Expectations and rendering every stored result: seconds
that an edition whose data did not change (a report setting changed, say) need not spend again.
A site is built under a placeholder edition name into ``build/cache/data-docs/<digest>/``, the
digest covering everything the pages are made from: the stored results, the suites, which stage
wrote each domain's results, the GX version and the code that builds and finishes the site. An
edition then takes a copy with its own name put in place of the placeholder (in file names and
pages alike), the same pages a build under that name gives.

The run builds the site as soon as the last stage that validates has finished, on a kernel beside
the report stages (:func:`prepare`, run by the runner there), so publish usually finds it made.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import shutil
import threading
from pathlib import Path

from helpers.core import quality
from helpers.core.provenance import hash_part, kept_folder

CACHE = Path("build/cache/data-docs")  # under the project root
PLACEHOLDER = "EDITION0PLACEHOLDER0"   # letters and digits: never escaped in a page or a link
KEEP = 3  # sites kept: this run's, and a couple to go back to
_CODE = ("core/quality.py", "render/data_docs.py", "render/vendor.py", "pipeline/datadocs.py")
_building = threading.Lock()


def digest(results_dir: Path, root: Path, stages: dict[str, str]) -> str:
    """What a site is made from, as one hash (see the module)."""
    made = hashlib.sha256()
    add = functools.partial(hash_part, made)
    for path in sorted(results_dir.rglob("*.json")):
        add(f"result {path.relative_to(results_dir).as_posix()}", path.read_bytes())
    for path in sorted((root / "expectations").glob("*.json")):
        add(f"suite {path.name}", path.read_bytes())
    add("stages", repr(sorted(stages.items())).encode())
    add("gx", importlib.metadata.version("great_expectations").encode())
    package = Path(quality.__file__).parents[1]
    for name in _CODE:
        add(f"code {name}", (package / name).read_bytes())
    return made.hexdigest()[:32]


def built(results_dir: Path, root: Path, *, stages: dict[str, str]) -> bool:
    """Whether the site for these results is in the cache already."""
    return (root / CACHE / digest(results_dir, root, stages) / "index.html").is_file()


def prepare(results_dir: Path, root: Path, *, stages: dict[str, str]) -> Path:
    """The cached site for these results, built now if it is not there; returns its folder.

    Safe to call from two threads at once (the second waits and finds it built). A build is made
    in a hidden folder and renamed into place, so a killed run never leaves half a site to reuse."""
    with _building:
        return kept_folder(root / CACHE, digest(results_dir, root, stages), made="index.html", keep=KEEP,
                           fill=lambda partial: quality.build_edition_docs(results_dir, partial, root,
                                                                           edition=PLACEHOLDER, stages=stages))


def copy_for(site: Path, dest: Path, edition: str) -> Path:
    """The cached ``site`` copied to ``dest`` with ``edition`` in place of the placeholder; its index."""
    for path in sorted(site.rglob("*")):
        target = dest / path.relative_to(site).as_posix().replace(PLACEHOLDER, edition)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".html":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text(encoding="utf-8").replace(PLACEHOLDER, edition), encoding="utf-8")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dest / "index.html"


def for_edition(results_dir: Path, dest: Path, root: Path, *, edition: str, stages: dict[str, str]) -> Path:
    """The edition's Data Docs in ``dest``, from the cache (built first if need be); its index."""
    return copy_for(prepare(results_dir, root, stages=stages), dest, edition)
