"""Write ``requirements/py<X.Y>.lock``: the whole dependency tree pinned for the Python running this.

``make lock`` runs it once with each supported interpreter. The tree is resolved from
pyproject.toml's direct pins (the test extra included) by pip in a clean virtual environment, as a
dry run whose report lists every distribution it would install, so nothing already installed leaks
into the lock. Packages the previous lock pinned keep their versions while they still fit: they go
in as constraints (a Python without a lock yet starts from its nearest neighbour's). Only when
those constraints cannot all hold is the tree resolved afresh, and the script says so.

Stdlib only; needs Python 3.11+ (tomllib), which every supported version is.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HEADER = """\
# The whole dependency tree, pinned for Python {version} (Linux). Regenerate every lock with
# 'make lock' after changing the direct dependencies in pyproject.toml.
"""


def normalise(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a lock or requirements file, by normalised name."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)\s*", line)
        if match:
            pins[normalise(match[1])] = f"{match[1]}=={match[2]}"
    return pins


def version_key(lock: Path) -> tuple[int, int]:
    major, minor = lock.stem.removeprefix("py").split(".")
    return int(major), int(minor)


def starting_lock(version: tuple[int, int]) -> Path | None:
    """This version's lock, or else the lock of the nearest version that has one."""
    locks = sorted(HERE.glob("py3.*.lock"), key=lambda p: abs(version_key(p)[1] - version[1]))
    return next((p for p in locks if version_key(p) == version), locks[0] if locks else None)


def direct_requirements() -> tuple[str, list[str]]:
    """The project's name and what pip is asked for: the project with its test extra, and the
    build backend pyproject names. The backend is pinned too because zc.lockfile (from dvc) needs
    setuptools at run time and venvs from 3.12 on come without it: unpinned, each Python would
    get a different one."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return pyproject["project"]["name"], [*pyproject["build-system"]["requires"], ".[test]"]


def constraints(previous: Path | None, requested: list[str], out: Path) -> Path | None:
    """The previous pins, less those pyproject now states itself (they may have moved)."""
    if previous is None:
        return None
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = pyproject["dependencies"] + pyproject["optional-dependencies"]["test"] + requested
    stated = {normalise(re.split(r"[=<>!~\[ ;]", r, maxsplit=1)[0]) for r in direct}
    kept = [pin for name, pin in read_pins(previous).items() if name not in stated]
    out.write_text("\n".join(kept) + "\n")
    return out


def resolve(python: Path, requested: list[str], constraint: Path | None, report: Path) -> bool:
    """pip's dry-run resolution of ``requested`` into ``report``; False if it cannot be satisfied."""
    command = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--disable-pip-version-check", "--report", str(report), *requested]
    if constraint is not None:
        command += ["--constraint", str(constraint)]
    return subprocess.run(command, cwd=ROOT).returncode == 0


def lock_lines(report: Path, project: str) -> list[str]:
    installs = json.loads(report.read_text())["install"]
    pins = {i["metadata"]["name"]: i["metadata"]["version"] for i in installs
            if normalise(i["metadata"]["name"]) != normalise(project)}
    return sorted((f"{name}=={version}" for name, version in pins.items()), key=str.lower)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip", required=True, help="the pip version the Makefile installs in every venv")
    pip_version = parser.parse_args().pip
    version = sys.version_info[:2]
    label = f"{version[0]}.{version[1]}"
    lock = HERE / f"py{label}.lock"
    project, requested = direct_requirements()
    with tempfile.TemporaryDirectory(prefix=f"lock-py{label}-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        python = work / "venv" / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"pip=={pip_version}"], check=True)
        previous = starting_lock(version)
        report = work / "report.json"
        constraint = constraints(previous, requested, work / "constraints.txt")
        resolved = resolve(python, requested, constraint, report)
        if not resolved and constraint is not None:
            print(f"lock: the pins of {previous.name} no longer fit together; resolving Python {label} afresh",
                  file=sys.stderr)
            resolved = resolve(python, requested, None, report)
        if not resolved:
            return 1
        lines = lock_lines(report, project)
    lock.write_text(HEADER.format(version=label) + "\n".join(lines) + "\n")
    print(f"lock: wrote {lock.relative_to(ROOT)} ({len(lines)} pins"
          + (f", starting from {previous.name})" if previous else ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
