"""The RTT cleanse stage: publisher files in, validated tidy parquet out.

Order matters: each file passes its raw gates before it is reshaped, and the processed tables
pass theirs before anything is written, so ``data/processed/`` only ever holds validated data
(outputs are renamed into place, so the last good tables survive a failed run).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.errors import SourceFormatError
from helpers.core.stage import StageResult
from helpers.domains.rtt import measures as rtt
from helpers.domains.rtt.settings import CleanseSettings
from helpers.sources import rtt_full_csv as src

log = logging.getLogger(__name__)

DOMAIN = "rtt"
RAW_ID_COLUMNS = ["Provider Org Code", "Commissioner Org Code", "RTT Part Type", "Treatment Function Code"]
PROFILE_ID_COLUMNS = ["provider_code", "commissioner_code", "rtt_part", "treatment_function_code"]


def _wanted(period_end, periods) -> bool:
    return periods in (None, "all") or f"{period_end:%Y-%m}" in {str(p) for p in periods}


def read_and_check(file: src.RttFile, results_dir: Path, root: Path) -> tuple[pd.DataFrame, object, list]:
    """One extract read and passed through both raw gates; returns (frame, period end, outcomes)."""
    started = time.perf_counter()
    size_mb = file.path.stat().st_size / 1e6
    log.info("Reading %s (%.1f MB)", file.name, size_mb)
    frame = src.read(file.path)
    common = dict(data_name=str(file.path), results_dir=results_dir, row_label="line", root=root)
    outcomes = [quality.gate(frame, "rtt_full_csv.raw", id_columns=RAW_ID_COLUMNS, **common)]
    end = src.file_period(frame, file.path)
    outcomes.append(quality.gate(rtt.row_profile(frame), "rtt_full_csv.rows",
                                 id_columns=PROFILE_ID_COLUMNS, **common))
    log.info("  %s: %s rows, period %s, raw gates passed in %.1f s",
             file.name, f"{len(frame):,}", f"{end:%B %Y}", time.perf_counter() - started)
    return frame, end, outcomes


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read every monthly extract in the folder, validate, reshape, summarise, write."""
    folder = inputs[src.SOURCE_FOLDER]
    result = stage.start(DOMAIN, project)
    results_dir = project.validation(DOMAIN)
    files, result.skipped = src.discover(folder, settings.file_pattern)
    stage.log_skipped(result)

    pathways, totals, seen = [], [], {}
    for file in files:
        frame, end, outcomes = read_and_check(file, results_dir, project.root)
        result.outcomes += outcomes
        if not _wanted(end, settings.periods):
            log.info("  %s: period %s not selected, left out", file.name, f"{end:%Y-%m}")
            continue
        if end in seen:
            raise SourceFormatError(file.path, f"a second file for {end:%B %Y} (the first was "
                                               f"{seen[end].name}); keep one file per month")
        seen[end] = file.path
        pathways.append(rtt.tidy_pathways(frame, end))
        totals.append(rtt.rollup_totals(frame, end))
        result.files.append({"file": file.name, "period": f"{end:%Y-%m}", "rows": len(frame),
                             "synthetic": file.synthetic, "megabytes": round(file.path.stat().st_size / 1e6, 2)})
    if not pathways:
        raise SourceFormatError(folder, f"no extract matches the periods selected ({settings.periods})")

    tidy = _concat_categorical(pathways).sort_values(rtt.PATHWAY_KEY[:-1], kind="stable", ignore_index=True)
    result.tables = {"pathways": tidy, "summary": rtt.summarise(tidy, pd.concat(totals, ignore_index=True))}
    for name, table in result.tables.items():
        result.outcomes.append(quality.gate(table, f"rtt_{name}.processed", data_name=f"data/processed/rtt_{name}.parquet",
                                            results_dir=results_dir, id_columns=[], root=project.root))

    synthetic = any(f["synthetic"] for f in result.files)
    used = [seen[end] for end in sorted(seen)]
    result.provenance = provenance.record(project.root, used, {"inputs": str(folder), **settings.as_dict()},
                                          synthetic=synthetic)
    result.provenance["periods"] = [f"{end:%Y-%m}" for end in sorted(seen)]
    result.facts["periods"] = ", ".join(result.provenance["periods"])
    stage.write(result, project)
    return result


def _concat_categorical(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate monthly tables keeping the text columns categorical (union of categories)."""
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    for column in frames[0].columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("category")
    return out
