"""Where a result came from: code version, input file hashes, parameters and run time.

Every report carries this so a reader can tell exactly which data and code produced it.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from helpers import __version__

if TYPE_CHECKING:  # pandas is not imported here: the run's entry point uses these helpers on every run
    import pandas as pd


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def code_version(root: Path) -> str:
    """The git commit (with '+dirty' for uncommitted changes), or the package version."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return f"helpers {__version__} (not a git checkout)"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


SYNTHETIC, TRANSCRIBED, PUBLISHED, MIXED = "synthetic", "transcribed", "published", "mixed"


def input_kind(path: Path) -> str:
    """What a file is, by the shipped samples' naming: a generated sample (``SYNTHETIC_``), a historic
    board paper re-keyed (``TRANSCRIBED_``), or anything else: a real file as its publisher issued it."""
    name = Path(path).name.upper()
    return SYNTHETIC if name.startswith("SYNTHETIC") else TRANSCRIBED if name.startswith("TRANSCRIBED") else PUBLISHED


def record(root: Path, inputs: list[Path], params: dict, *, synthetic: bool) -> dict:
    """A provenance record for a stage run over ``inputs``; each input with its source folder and kind."""
    return {
        "run_at": now_utc(),
        "code_version": code_version(root),
        "synthetic_inputs": synthetic,
        "inputs": [{"file": str(p), "source": Path(p).parent.name, "kind": input_kind(p), "bytes": p.stat().st_size,
                    "sha256": sha256(p)} for p in inputs],
        "params": params,
    }


def write_atomic(path: Path, writer) -> Path:
    """Write through ``writer(tmp_path)`` then rename, so readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; published files are for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def replace_dir(staging: Path, target: Path) -> Path:
    """Put the fully written folder ``staging`` in the place of ``target``, then delete the old one.

    Where the filesystem can exchange two folders atomically it does; otherwise the old folder is
    renamed aside first, leaving ``target`` absent (never partial) for an instant, which makes DVC
    re-run the stage that writes it.
    """
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.is_dir() and _exchange(staging, target):
        os.rename(staging, old)
    else:
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def hash_part(made, label: str, data: bytes) -> None:
    """Add one labelled part to a running hash (``hashlib`` object): its label and length first, so
    no two different sequences of parts give the same bytes."""
    made.update(f"{label}\0{len(data)}\0".encode())
    made.update(data)


def prune_newest(paths, *, keep: int, current: Path) -> None:
    """Remove all but the ``keep`` most recently touched of ``paths``, ``current`` always kept."""
    others = sorted((p for p in paths if p != current), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in others[keep - 1:]:
        remove_path(old)


def kept_folder(cache: Path, key: str, fill, *, made: str, keep: int) -> Path:
    """``cache/key``: the folder ``fill(folder)`` makes, unless one holding the file ``made`` (written
    last) is there already. It is made under a hidden name and renamed into place, so a killed run
    never leaves half of one to reuse; of the folders in ``cache``, the ``keep`` newest used stay."""
    folder = cache / key
    if not (folder / made).is_file():
        partial = cache / f".{key}.partial"
        remove_path(partial)
        cache.mkdir(parents=True, exist_ok=True)
        fill(partial)
        remove_path(folder)
        os.rename(partial, folder)
    os.utime(folder)  # the newest used are the ones kept
    prune_newest((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")), keep=keep,
                 current=folder)
    return folder


def remove_path(path: Path) -> None:
    """Delete a file, a symbolic link or a whole folder, whichever ``path`` is."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: dict) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=str))


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda p: frame.to_parquet(p, index=False))


def merged(processed_dir: Path | list[Path]) -> dict:
    """One record for the edition from every stage's ``*_provenance.json`` (those in the folder
    ``processed_dir``, or the files listed).

    Inputs are listed together, the synthetic flag is set if any stage read synthetic files (so
    every page carries the banner), and each stage's parameters are kept under its domain name.
    """
    files = sorted(processed_dir.glob("*_provenance.json")) if isinstance(processed_dir, Path) else processed_dir
    records = {p.name.removesuffix("_provenance.json"): json.loads(p.read_text(encoding="utf-8")) for p in files}
    newest = max(records.values(), key=lambda r: r.get("run_at", ""), default={})
    return {
        "run_at": newest.get("run_at"),
        "code_version": newest.get("code_version", "unknown"),
        "synthetic_inputs": any(r.get("synthetic_inputs") for r in records.values()),
        "synthetic_domains": sorted(d for d, r in records.items() if r.get("synthetic_inputs")),
        "periods": sorted({p for r in records.values() for p in r.get("periods", [])}),
        "inputs": [i for r in records.values() for i in r.get("inputs", [])],
        "sources": sources(records),
        "params": {d: r.get("params") for d, r in records.items()},
    }


def sources(records: dict) -> dict[str, str]:
    """Each inputs folder read and what its files are: synthetic, transcribed, published, or mixed."""
    kinds: dict[str, set] = {}
    for record in records.values():
        for entry in record.get("inputs", []):
            kind = entry.get("kind") or input_kind(Path(entry["file"]))
            kinds.setdefault(entry.get("source") or Path(entry["file"]).parent.name, set()).add(kind)
    return {source: found.pop() if len(found) == 1 else MIXED for source, found in sorted(kinds.items())}


def synthetic_sources(provenance: dict, sources) -> list[str]:
    """Which of ``sources`` (inputs folders) had a synthetic file among the edition's inputs."""
    wanted = set(sources)
    return sorted({entry.get("source") or Path(entry["file"]).parent.name for entry in provenance.get("inputs", [])
                   if (entry.get("source") or Path(entry["file"]).parent.name) in wanted
                   and (entry.get("kind") or input_kind(Path(entry["file"]))) == SYNTHETIC})
