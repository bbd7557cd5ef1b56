"""What every cleanse stage returns, and the steps they share (results cleared, outputs written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core import provenance
from helpers.core.errors import SourceFormatError
from helpers.core.quality import Outcome


@dataclass
class StageResult:
    """What a cleanse stage read, checked and wrote, for its notebook to show; domains extend it."""

    files: list[dict] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame | None = None

    def files_table(self) -> pd.DataFrame:
        return pd.DataFrame(self.files)

    def gates_table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "suite": o.suite, "data": Path(o.data_name).name, "expectations": o.evaluated,
            "warnings": len(o.warnings), "outcome": "Passed" if not o.critical else "Failed",
        } for o in self.outcomes])


def one_file(files: list[Path], what: str) -> Path:
    if len(files) > 1:
        raise SourceFormatError(files[0].parent, f"{len(files)} {what} files ({', '.join(f.name for f in files)}); "
                                                 f"keep one per run, or narrow the file pattern in params.yaml")
    return files[0]


def clear_results(results_dir: Path) -> None:
    for old in results_dir.glob("*.json"):  # results describe this run only
        old.unlink()


def write_tables(processed: Path, tables: dict[str, pd.DataFrame], record: dict, domain: str) -> list[Path]:
    written = [provenance.write_parquet(processed / f"{name}.parquet", frame) for name, frame in tables.items()]
    written.append(provenance.write_json(processed / f"{domain}_provenance.json", record))
    return written


def tracker_record(root: Path, path: Path, params: dict, *, synthetic: bool, transcribed: bool) -> dict:
    record = provenance.record(root, [path], params, synthetic=synthetic)
    record["transcribed_sample"] = transcribed  # re-keyed from a historic board paper: not current data
    return record


