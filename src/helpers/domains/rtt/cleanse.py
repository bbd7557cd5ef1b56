"""The RTT cleanse stage: publisher files in, validated tidy parquet out.

Order matters: every file passes its raw gates before any is reshaped, and the processed tables
pass theirs before anything is written, so ``data/processed/`` only ever holds validated data
(outputs are renamed into place, so the last good tables survive a failed run).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

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


def read(file: src.RttFile) -> pd.DataFrame:
    log.info("Reading %s (%.1f MB)", file.name, file.path.stat().st_size / 1e6)
    return src.read(file.path)


def batches(read: list[tuple[src.RttFile, pd.DataFrame]]) -> list[list[tuple[src.RttFile, pd.DataFrame]]]:
    """The extracts, in groups that can be validated as one table (one validation costs far more
    than its rows): the same columns, all empty or none, and no reporting period twice, since a
    pathway is unique within a period. A file that differs is validated on its own, so a failure
    about its columns or its size names it."""
    groups: dict[tuple, list] = {}
    periods: Counter = Counter()
    for file, frame in read:
        columns = tuple(frame.columns)
        period = frame["Period"].iloc[0] if "Period" in frame and len(frame) else ""
        repeat = periods[columns, period]
        periods[columns, period] += 1
        groups.setdefault((columns, frame.empty, repeat), []).append((file, frame))
    return list(groups.values())


def gate_batch(batch: list[tuple[src.RttFile, pd.DataFrame]], suite: str, results_dir: Path, root: Path, *,
               id_columns: list[str], table=None) -> quality.Outcome:
    """One gate over a batch of extracts (each made into ``table(frame)`` first, if given). A failing
    row is named by its line and, in a batch of several files, its file."""
    tables = [table(frame) if table else frame for _, frame in batch]
    if len(batch) == 1:
        return quality.gate(tables[0], suite, data_name=str(batch[0][0].path), row_label="line",
                            id_columns=id_columns, results_dir=results_dir, root=root)
    names = np.repeat([file.name for file, _ in batch], [len(t) for t in tables])
    lines = np.concatenate([t.index.to_numpy() for t in tables])
    folder = batch[0][0].path.parent
    return quality.gate(pd.concat(tables, ignore_index=True), suite, data_name=str(folder / f"{len(batch)} extracts"),
                        row_label=lambda i: f"{names[i]} line {lines[i]}", id_columns=id_columns,
                        results_dir=results_dir, root=root, meta={"files": [file.name for file, _ in batch]})


def read_and_check(files: list[src.RttFile], results_dir: Path, root: Path) -> tuple[list, list]:
    """Every extract read and passed through both raw gates; returns ([(file, frame, period end)], outcomes)."""
    started = time.perf_counter()
    read_files = [(file, read(file)) for file in files]
    outcomes, checked = [], []
    for batch in batches(read_files):
        outcomes.append(gate_batch(batch, "rtt_full_csv.raw", results_dir, root, id_columns=RAW_ID_COLUMNS))
        ends = [src.file_period(frame, file.path) for file, frame in batch]
        outcomes.append(gate_batch(batch, "rtt_full_csv.rows", results_dir, root, id_columns=PROFILE_ID_COLUMNS,
                                   table=rtt.row_profile))
        checked += [(file, frame, end) for (file, frame), end in zip(batch, ends)]
    for file, frame, end in checked:
        log.info("  %s: %s rows, period %s", file.name, f"{len(frame):,}", f"{end:%B %Y}")
    log.info("Raw gates passed on %d extract%s in %.1f s", len(files), "" if len(files) == 1 else "s",
             time.perf_counter() - started)
    order = {file.path: i for i, file in enumerate(files)}
    return sorted(checked, key=lambda c: order[c[0].path]), outcomes


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read every monthly extract in the folder, validate, reshape, summarise, write."""
    folder = inputs[src.SOURCE_FOLDER]
    result = stage.start(DOMAIN, project)
    results_dir = project.validation(DOMAIN)
    files, result.skipped = src.discover(folder, settings.file_pattern)
    stage.log_skipped(result)

    pathways, totals, seen = [], [], {}
    checked, result.outcomes = read_and_check(files, results_dir, project.root)
    for file, frame, end in checked:
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
        parts = [f[column] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):  # sorted, as astype("category") sorts
            out[column] = union_categoricals(parts, sort_categories=True)
        elif isinstance(parts[0].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("category")
    return out
