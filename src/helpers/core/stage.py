"""What every cleanse stage returns, and the steps all of them share.

Every domain's ``cleanse.run(inputs, settings, project)`` returns one :class:`StageResult`:
the files it read and passed over, the gates it ran, its tables (named as the domain package's
``TABLES`` lists them) and its provenance record. :func:`start` clears the domain's validation
results (they describe one run) and :func:`write` renames the tables into place only after every
gate has passed, so ``data/processed/`` only ever holds validated tables.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core import provenance
from helpers.core.config import Project, provenance_file, table_file
from helpers.core.errors import QUARANTINE_COLUMNS, SourceFormatError
from helpers.core.quality import Outcome, outcome

log = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What a cleanse stage read, checked and wrote, for its notebook and the preflight check to show."""

    domain: str
    files: list[dict] = field(default_factory=list)       # one row per file read
    skipped: list = field(default_factory=list)           # files passed over: .name and .reason each
    outcomes: list[Outcome] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)  # what else the run settled: dates, counts

    @property
    def quarantine(self) -> pd.DataFrame:
        return self.tables.get("quarantine", pd.DataFrame(columns=QUARANTINE_COLUMNS))

    def quarantine_summary(self) -> pd.DataFrame:
        """Rows set aside, by source, column and reason, with the first line of each."""
        q = self.quarantine
        return (q.groupby(["source", "column", "reason"], dropna=False)
                .agg(rows=("line", "nunique"), example_line=("line", "min"))
                .reset_index().sort_values("rows", ascending=False, ignore_index=True))

    def facts_table(self) -> pd.DataFrame:
        return pd.DataFrame({"": list(self.facts), "value": [str(v) for v in self.facts.values()]})

    def files_table(self) -> pd.DataFrame:
        return pd.DataFrame(self.files)

    def skipped_table(self) -> pd.DataFrame:
        return pd.DataFrame({"file passed over": [p.name for p in self.skipped],
                             "reason": [_reason(p) for p in self.skipped]})

    def gates_table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "suite": o.suite, "data": Path(o.data_name).name, "expectations": o.evaluated,
            "warnings": len(o.warnings), "outcome": outcome(len(o.critical), len(o.warnings)),
        } for o in self.outcomes])

    def describe(self) -> str:
        """One line for the preflight check: files, rows kept, rows set aside."""
        names = [str(f.get("file")) for f in self.files]
        read = ", ".join(names) if 0 < len(names) <= 3 else f"{len(names)} files"
        parts = [f"read {read}", *(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in self.facts.items())]
        if self.skipped:
            parts.append(f"passed over {', '.join(f'{p.name} ({_reason(p)})' for p in self.skipped)}")
        q = self.quarantine
        if q.empty:
            parts.append("no rows set aside")
        else:
            counts = q.groupby("reason", sort=False).size().sort_values(ascending=False)
            shown = "; ".join(f"{reason} ({n:,})" for reason, n in counts.head(5).items())
            parts.append(f"{len(q):,} row(s) set aside: {shown}")
        return "; ".join(parts)


def start(domain: str, project: Project) -> StageResult:
    """A new result for ``domain``; clears its earlier validation results, which describe one run."""
    results = project.validation(domain)
    results.mkdir(parents=True, exist_ok=True)
    for old in results.glob("*.json"):
        old.unlink()
    return StageResult(domain)


def _reason(item) -> str:
    return getattr(item, "reason", "") or "not a file name this stage reads"


def log_skipped(result: StageResult) -> None:
    """Each file passed over, with its reason, in the stage's log (and so its notebook)."""
    for item in result.skipped:
        log.info("Passed over %s: %s", item.name, _reason(item))


def one_file(files: list[Path], what: str) -> Path:
    if len(files) > 1:
        raise SourceFormatError(files[0].parent, f"{len(files)} {what} files ({', '.join(f.name for f in files)}); "
                                                 f"keep one per run, or narrow the file pattern in params.yaml")
    return files[0]


def write(result: StageResult, project: Project) -> list[Path]:
    """Rename every table and the provenance record into place, in the order the domain lists them."""
    expected = importlib.import_module(f"helpers.domains.{result.domain}").TABLES
    if list(result.tables) != list(expected):
        raise AssertionError(f"{result.domain} made tables {list(result.tables)}, its package lists {list(expected)}")
    result.written = [provenance.write_parquet(project.processed / table_file(result.domain, name), frame)
                      for name, frame in result.tables.items()]
    result.written.append(provenance.write_json(project.processed / provenance_file(result.domain), result.provenance))
    log.info("Wrote %s", ", ".join(p.name for p in result.written))
    return result.written
