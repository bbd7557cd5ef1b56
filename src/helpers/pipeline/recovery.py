"""Recovery from a run that was killed (``kill -9``, a power cut, a scheduler timeout).

Every file the pipeline writes goes to a hidden temporary name and is renamed into place, and
each edition is swapped in whole (``publish.py``), so a killed run never leaves a half-written
table or report where a reader or a later stage would find it. What it can leave is cleared here,
before the next ``dvc repro``:

- ``dvc.lock`` half-written: DVC rewrites it in place after each stage. If DVC cannot load it,
  it is moved aside to ``build/dvc.lock.corrupt`` and DVC re-runs every stage (persisted outputs
  stay in place until replaced).
- ``.dvc/tmp/rwlock`` naming a process that no longer runs, or half-written: DVC records the
  paths each stage reads and writes there. DVC drops entries of dead processes itself, but not
  one whose process id has since been reused, and it stops on a corrupt file.
- ``.dvc/tmp/lock`` (DVC's repository lock) needs nothing: it is an ``fcntl`` lock that the
  kernel releases when its process dies, whatever the file still says.
- hidden temporary files and folders of the pipeline's own atomic writes.

Only call :func:`recover` while holding the pipeline's run lock: it assumes no other run is live.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers.core.provenance import remove_path, write_text
from helpers.pipeline import lockdata
from helpers.pipeline.lockdata import LOCKFILE

CORRUPT_LOCKFILE = Path("build/dvc.lock.corrupt")
RWLOCK = Path(".dvc/tmp/rwlock")

# Hidden leftovers of atomic writes, by folder (relative to the project root) and pattern.
TEMPORARY = [
    ("data/processed", ".*.tmp"),         # provenance.write_atomic
    ("build/validation", "*/.*.tmp"),     # GX results, through write_atomic
    ("build", ".*.tmp"),                  # build/run.yaml, build/last_error.json
    ("build/executed", ".*.running.ipynb"),  # papermill's notebook while it runs
    ("build", ".packs.building"),         # packs.build_all builds aside
    ("build", ".packs.old"),              # provenance.replace_dir, old folder not yet deleted
]


def check_dvc_lock(root: Path) -> str | None:
    """Move a ``dvc.lock`` DVC cannot load out of the way; returns what was done, or None."""
    path = root / LOCKFILE
    if not path.exists() or lockdata.is_as_written(root):  # the bytes a run last wrote in full
        return None
    from dvc.exceptions import DvcException
    from dvc.fs import LocalFileSystem
    from dvc.schema import COMPILED_LOCKFILE_SCHEMA
    from dvc.utils import strictyaml

    try:
        strictyaml.load(str(path), COMPILED_LOCKFILE_SCHEMA, LocalFileSystem())
        return None
    except DvcException as exc:
        problem = str(exc).splitlines()[0]
    aside = root / CORRUPT_LOCKFILE
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, aside)
    return (f"{LOCKFILE} could not be read ({problem}), probably cut short by a killed run: moved to "
            f"{CORRUPT_LOCKFILE}; every stage will re-run")


def _is_live_dvc(pid: int) -> bool:
    """Whether ``pid`` is a running DVC process (not a dead one, nor a new process given its id)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: leave its entries to DVC
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError):
        return True  # no /proc to tell by: trust the process id, as DVC does
    return status != "Z" and "dvc" in command


def clear_stale_rwlock(root: Path) -> str | None:
    """Drop ``.dvc/tmp/rwlock`` entries of processes no longer running, or the file if unreadable."""
    path = root / RWLOCK
    if not path.exists():
        return None
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
        writes, reads = dict(lock.get("write", {})), dict(lock.get("read", {}))
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, TypeError, ValueError):
        path.unlink()
        return f"{RWLOCK} was unreadable (cut short by a killed run): removed"
    stale = {info["pid"] for info in writes.values() if not _is_live_dvc(info["pid"])}
    stale |= {info["pid"] for infos in reads.values() for info in infos if not _is_live_dvc(info["pid"])}
    if not stale:
        return None
    kept = {"write": {p: i for p, i in writes.items() if i["pid"] not in stale},
            "read": {p: [i for i in infos if i["pid"] not in stale] for p, infos in reads.items()}}
    kept["read"] = {p: infos for p, infos in kept["read"].items() if infos}
    write_text(path, json.dumps({k: v for k, v in kept.items() if v}))
    return f"{RWLOCK}: released the paths held by process(es) {', '.join(map(str, sorted(stale)))}, no longer running"


def clear_temporary_files(root: Path) -> list[Path]:
    """Remove hidden leftovers of atomic writes a killed run did not finish."""
    removed = []
    for folder, pattern in TEMPORARY:
        for path in (root / folder).glob(pattern):
            remove_path(path)
            removed.append(path)
    return removed


def recover(root: Path, check_lock: bool = True) -> list[str]:
    """Everything above, before the stages run; returns a line per thing put right. With
    ``check_lock`` false, ``dvc.lock`` is left for the caller to check when it needs DVC (a run
    with nothing to do does not: :mod:`helpers.pipeline.runner`)."""
    notes = [note for note in (check_dvc_lock(root) if check_lock else None, clear_stale_rwlock(root)) if note]
    leftovers = clear_temporary_files(root)
    if leftovers:
        notes.append(f"removed {len(leftovers)} temporary file(s) left by a stopped run: "
                     + ", ".join(str(p.relative_to(root)) for p in leftovers[:5]) + (" ..." if len(leftovers) > 5 else ""))
    return notes
