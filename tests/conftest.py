"""Shared fixtures: the real files, independent views of them, and a published project copy.

The publisher's files live outside the repository, in ``/work/shared/data/real/``; they are read
where they are and never copied into the repo (corrupt variants are written to ``tmp_path`` only).

Two views of each file are offered: the project reader's (``src.read``) and an independent one
made with plain pandas/csv straight from the CSV, which the tests use to compute expected figures.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
# the pinned Data Docs assets (helpers.render.vendor) are fetched once into the repository's own
# build/cache and shared by every project copy and run the tests make
os.environ.setdefault("NHS_ANALYTICS_CACHE", str(ROOT / "build" / "cache"))
RTT_DIR = REAL / "rtt_full_csv"
NATIONAL = RTT_DIR / "20260131-RTT-January-2026-full-extract.csv.gz"
QE1 = RTT_DIR / "DERIVED_subset_QE1_20260131-RTT-January-2026-full-extract.csv"
PUBLISHER_NAME = "20260131-RTT-January-2026-full-extract.csv"  # the name the publisher gives January 2026

N_ID = 13  # identifier columns before the week bands, per the publisher's layout
N_BANDS = 105  # 104 one-week bands and "Gt 104 Weeks SUM 1"


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root: suites are read from ``<root>/expectations``."""
    return ROOT


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return REAL


# --- the project's reader -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def national_frame() -> pd.DataFrame:
    """The national file as the project reader returns it (read once per session)."""
    from helpers.sources import rtt_full_csv as src

    return src.read(NATIONAL)


@pytest.fixture(scope="session")
def qe1_frame() -> pd.DataFrame:
    """The QE1 subset as the project reader returns it."""
    from helpers.sources import rtt_full_csv as src

    return src.read(QE1)


# --- independent views of the publisher's file ---------------------------------------------------

def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def plain_read(path: Path) -> pd.DataFrame:
    """The CSV read with plain pandas: only blank is missing, identifiers kept as text."""
    header = _header(path)
    return pd.read_csv(path, keep_default_na=False, na_values=[""],
                       dtype={name: str for name in header[:N_ID]})


@pytest.fixture(scope="session")
def national_raw() -> pd.DataFrame:
    """The national file read with plain pandas, independently of the project's reader."""
    return plain_read(NATIONAL)


@pytest.fixture(scope="session")
def national_header() -> list[str]:
    return _header(NATIONAL)


@pytest.fixture(scope="session")
def national_lines() -> list[bytes]:
    """The decompressed national file split into its CRLF-terminated lines (line 1 is the header)."""
    with gzip.open(NATIONAL, "rb") as f:
        return f.read().split(b"\r\n")


@pytest.fixture(scope="session")
def qe1_bytes() -> bytes:
    return QE1.read_bytes()


# --- building corrupt copies in tmp_path ---------------------------------------------------------

class CsvBytes:
    """A publisher CSV held as its lines of bytes, edited cell by cell for corrupt copies.

    Line numbers are the file's (1 = header), so a test knows exactly which line it broke.
    """

    def __init__(self, data: bytes):
        assert data.endswith(b"\r\n"), "publisher files end with CRLF"
        self.lines = data[:-2].split(b"\r\n")
        self.header = self.fields(1)

    def fields(self, line: int) -> list[str]:
        return next(csv.reader([self.lines[line - 1].decode("utf-8")]))

    def set_fields(self, line: int, fields: list[str]) -> None:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(fields)
        self.lines[line - 1] = out.getvalue().encode("utf-8")

    def cell(self, line: int, column: str) -> str:
        return self.fields(line)[self.header.index(column)]

    def set_cell(self, line: int, column: str, value: str) -> None:
        fields = self.fields(line)
        fields[self.header.index(column)] = value
        self.set_fields(line, fields)

    def to_bytes(self) -> bytes:
        return b"\r\n".join(self.lines) + b"\r\n"

    def write(self, path: Path) -> Path:
        path.write_bytes(self.to_bytes())
        return path


@pytest.fixture
def qe1_csv(qe1_bytes) -> CsvBytes:
    """A fresh, editable copy of the QE1 subset (in memory; tests write it to tmp_path)."""
    return CsvBytes(qe1_bytes)


# --- the project as a user runs it ----------------------------------------------------------------

def copy_project(dest: Path) -> Path:
    """The files a fresh clone would have (tracked and untracked-but-not-ignored)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def run_pipeline(project: Path, *inputs: Path | str) -> subprocess.CompletedProcess:
    """The main command in ``project``; each source is taken from the first of ``inputs`` that has it."""
    return subprocess.run([sys.executable, "-m", "helpers.pipeline", "run", "--inputs", *map(str, inputs or ["data/raw"])],
                          cwd=project, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A project copy after one successful run on the shipped samples, shared by the e2e tests.

    Tests that change it (parameters, inputs) must leave it as they found it, published.
    """
    project = copy_project(tmp_path_factory.mktemp("project"))
    first = run_pipeline(project, "data/raw")
    assert first.returncode == 0, first.stdout + first.stderr
    return project, first


@pytest.fixture(scope="session")
def published_real(tmp_path_factory) -> Path:
    """A project copy after one run on the real public files (``../shared/data/real``), shared by
    the real-data e2e tests; sources with no public publication come from the samples.

    Those samples come first, from a folder in which some names are markup or spreadsheet
    formulas (``tests/bad_inputs/mutations.py``, ``HOSTILE_NAMES``): only names change, so every
    figure is as the samples give it, and the published pages and downloads must stay harmless.
    """
    from bad_inputs.mutations import hostile_inputs

    project = copy_project(tmp_path_factory.mktemp("real_project"))
    hostile = hostile_inputs(ROOT / "data" / "raw", tmp_path_factory.mktemp("hostile_names"))
    done = run_pipeline(project, hostile, REAL, "data/raw")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return project
