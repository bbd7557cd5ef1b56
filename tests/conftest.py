"""Shared fixtures: the real files, independent views of them, and a published project copy.

The publisher's files live outside the repository, in ``/work/shared/data/real/``; they are read
where they are and never copied into the repo (corrupt variants are written to ``tmp_path`` only).

Two views of each file are offered: the project reader's (``src.read``) and an independent one
made with plain pandas/csv straight from the CSV, which the tests use to compute expected figures.
"""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from support import NATIONAL, QE1, REAL, ROOT, CsvBytes, _header, copy_project, plain_read, run_pipeline

# the pinned Data Docs assets (helpers.render.vendor) are fetched once into the repository's own
# build/cache and shared by every project copy and run the tests make
os.environ.setdefault("NHS_ANALYTICS_CACHE", str(ROOT / "build" / "cache"))


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

@pytest.fixture
def qe1_csv(qe1_bytes) -> CsvBytes:
    """A fresh, editable copy of the QE1 subset (in memory; tests write it to tmp_path)."""
    return CsvBytes(qe1_bytes)


# --- the project as a user runs it ----------------------------------------------------------------

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


# The slowest end-to-end runs make the full tier (`make test-full`, which CI runs after `make test`):
# every test of the real files' edition, and the files that run whole pipelines of their own.
FULL_TIER_FILES = {"test_edition.py", "test_national.py", "test_runner.py", "test_adding_a_stage.py"}


def _reads_the_real_edition(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "published_real" in getattr(item, "fixturenames", ()) or "published_real" in params.values()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in FULL_TIER_FILES or _reads_the_real_edition(item):
            item.add_marker(pytest.mark.full)
