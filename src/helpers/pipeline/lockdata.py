"""``dvc.lock`` as a run last wrote it, kept beside the file so the next run need not parse it again.

DVC parses ``dvc.lock`` with its round-trip YAML parser before it records a stage (half a second
for this project's, on a busy machine), and a run first checks that the file loads at all, in case
a killed run cut it short (:func:`helpers.pipeline.recovery.check_dvc_lock`). A run holds what DVC
last wrote to the file (the data DVC dumped); it is kept in ``build/cache/`` with the SHA-256 of the
bytes written. A later run whose ``dvc.lock`` has exactly those bytes starts from that data: the
file is whole (it is what DVC dumped in full) and parsing it would give what was dumped. Any other
bytes, a hand edit or a ``dvc repro`` since, and DVC parses the file as usual.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from helpers.core.provenance import write_atomic

KEPT = Path("build/cache/dvc.lock.pickle")
LOCKFILE = "dvc.lock"

log = logging.getLogger(__name__)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _kept(root: Path) -> dict | None:
    try:
        kept = pickle.loads((root / KEPT).read_bytes())
    except FileNotFoundError:
        return None
    except Exception as exc:  # cut short, or from another version of a library: parse as usual
        log.debug("%s not used: %s", KEPT, exc)
        return None
    return kept if isinstance(kept, dict) and kept.get("sha256") == _digest(root / LOCKFILE) else None


def load(root: Path):
    """The data last written to ``root``'s ``dvc.lock`` by a run, if the file still holds exactly
    that; else None."""
    kept = _kept(root)
    return None if kept is None else kept.get("data")


def is_as_written(root: Path) -> bool:
    """Whether ``root``'s ``dvc.lock`` holds exactly what a run last wrote (and so loads)."""
    return _kept(root) is not None


def save(root: Path, data) -> None:
    """Keep ``data``, what DVC has just written to ``root``'s ``dvc.lock``, with the file's digest."""
    digest = _digest(root / LOCKFILE)
    if digest is None:
        return
    payload = pickle.dumps({"sha256": digest, "data": data}, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(root / KEPT, lambda tmp: Path(tmp).write_bytes(payload))
