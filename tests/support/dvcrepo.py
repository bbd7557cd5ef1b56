"""A small DVC project of command stages, made in a test's folder, and DVC's view of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers.pipeline import plan

DVC_YAML = """stages:
  first:
    cmd: python -c "import shutil; shutil.copy('source.txt', 'first.txt')"
    deps: [source.txt]
    outs: [first.txt]
  second:
    cmd: python -c "open('second.txt', 'w').write(open('first.txt').read() + '2')"
    deps: [first.txt]
    params: [second.suffix]
    outs: [second.txt]
  third:
    cmd: python -c "open('third.txt', 'w').write(open('second.txt').read() + '3')"
    deps: [second.txt]
    outs: [third.txt]
  alone:
    cmd: python -c "open('alone.txt', 'w').write(open('other.txt').read())"
    deps: [other.txt]
    outs: [alone.txt]
"""


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True,
                          timeout=120, env=env)


def make(tmp_path: Path) -> Path:
    """The project in ``tmp_path``, brought up to date by ``dvc repro``."""
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[core]\n    no_scm = True\n")
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    (tmp_path / "params.yaml").write_text("second:\n  suffix: a\n")
    (tmp_path / "source.txt").write_text("1")
    (tmp_path / "other.txt").write_text("x")
    done = dvc(tmp_path, "repro")
    assert done.returncode == 0, done.stderr
    return tmp_path


def planned(repo_dir: Path, force: bool = False) -> tuple[tuple[str, ...], frozenset[str]]:
    from dvc.repo import Repo, lock_repo

    with Repo(str(repo_dir)) as repo, lock_repo(repo):
        found = plan.from_repo(repo, force)
    return found.run, found.stale
