"""What the tests share besides fixtures: where things are, independent readers, project copies.

The publisher's files live outside the repository, in ``../shared/data/real/``; they are read
where they are and never copied into the repo (corrupt variants are written to ``tmp_path`` only).
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
RTT_DIR = REAL / "rtt_full_csv"
NATIONAL = RTT_DIR / "20260131-RTT-January-2026-full-extract.csv.gz"
QE1 = RTT_DIR / "DERIVED_subset_QE1_20260131-RTT-January-2026-full-extract.csv"
PUBLISHER_NAME = "20260131-RTT-January-2026-full-extract.csv"  # the name the publisher gives January 2026

N_ID = 13  # identifier columns before the week bands, per the publisher's layout
N_BANDS = 105  # 104 one-week bands and "Gt 104 Weeks SUM 1"


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def plain_read(path: Path) -> pd.DataFrame:
    """The CSV read with plain pandas: only blank is missing, identifiers kept as text."""
    header = _header(path)
    return pd.read_csv(path, keep_default_na=False, na_values=[""],
                       dtype={name: str for name in header[:N_ID]})


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


def settings_for(stage: str, root: Path | None = None, **changes):
    """A stage's settings as the pipeline gives them (from params.yaml), with ``changes`` made."""
    from helpers.pipeline import settings, stages

    found = settings.for_stage(stages.by_name()[stage], root or ROOT)
    return found.replace(**changes) if changes else found


def scratch(tmp_path: Path, root: Path | None = None):
    """The project's configuration, outputs written under ``tmp_path`` (as the preflight check does)."""
    from helpers.core.config import Project

    return Project(root or ROOT, out=tmp_path)
