"""What the benchmarks share: a copy of the project as a clone has it, and checked subprocesses."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """The files a fresh clone would have (tracked and untracked-but-not-ignored)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def run_checked(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command``; a failure ends the benchmark with the command and the tail of its output."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def timed(command: list[str], cwd: Path) -> float:
    """Seconds ``command`` took, run to success."""
    started = time.perf_counter()
    run_checked(command, cwd)
    return time.perf_counter() - started


def python(code: str, cwd: Path, *args) -> str:
    """The standard output of ``code`` run in a fresh interpreter (its own peak memory)."""
    return run_checked([sys.executable, "-c", code, *map(str, args)], cwd).stdout
