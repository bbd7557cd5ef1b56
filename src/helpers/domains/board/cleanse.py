"""The board paper's measures stage: the national workbooks and other stages' tables in, SPC out.

Reads the national time-series workbooks and passes each through its raw gate, takes every
measure of the catalogue from its source (a workbook series or another domain's processed
table), runs SPC on each and gates the result; writes ``board_series`` (the monthly values as
read), ``board_measures`` (every charted point with its limits, rule flags and class) and
``board_quarantine``. The paper itself is the ``board_paper`` stage (:mod:`.report`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.stage import StageResult
from helpers.domains.board import measures as board
from helpers.domains.board.settings import CleanseSettings
from helpers.methods import spc

log = logging.getLogger(__name__)

DOMAIN = "board"


def read_and_gate(folders: dict[str, Path], results_dir: Path | None, root: Path,
                  result: StageResult | None = None) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The national workbooks read and each passed through its raw gate: (tidy rows, (source, file) pairs)."""
    tidy = board.read_sources(folders)
    files = sorted({(s, f) for s, f in zip(tidy["source"], tidy["file"])})
    for source, name in files:
        part = tidy[(tidy["source"] == source) & (tidy["file"] == name)]
        outcome = quality.gate(part, "national_timeseries.raw", data_name=str(folders[source] / name),
                               results_dir=results_dir, id_columns=["sheet", "period", "series"], row_label="line",
                               root=root)
        if result is not None:
            result.outcomes.append(outcome)
            result.files.append({"source": source, "file": name, "cells": len(part),
                                 "synthetic": "SYNTHETIC" in name.upper()})
    return tidy, files


def processed_reader(project: Project, missing: list[str]):
    """Reads another stage's table. In a run DVC has made it; a preflight check of the workbooks alone
    may find it absent, and then that measure has no values (said in the check's summary)."""
    def read(name: str) -> pd.DataFrame:
        path = project.processed_path(f"{name}.parquet")
        if not path.exists():
            log.warning("%s not found: the stage that writes %s has not run; its measures have no values", path, name)
            missing.append(name)
            return pd.DataFrame(columns=["period"])
        return pd.read_parquet(path)
    return read


def gate_measures(points: pd.DataFrame, results_dir: Path, root: Path) -> quality.Outcome:
    """The charted points (``board_measures``) through their gate."""
    return quality.gate(points, "board_measures.processed", data_name="board_measures.parquet",
                        results_dir=results_dir, id_columns=["reference", "period"], root=root)


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Read, gate, evaluate every measure of the catalogue, gate the result, write."""
    result = stage.start(DOMAIN, project)
    results_dir = project.validation(DOMAIN)
    tidy, files = read_and_gate(inputs, results_dir, project.root, result)
    result.skipped = [item for s, folder in inputs.items() for item in board.READERS[s].passed_over(folder)]
    stage.log_skipped(result)
    measures = board.load_catalogue(project.path(settings.measures))
    missing: list[str] = []
    series = board.series_table(measures, tidy, processed_reader(project, missing),
                                {"organisation": settings.organisation})
    cfg = spc.settings(settings.spc_preset)
    results = board.evaluate_all(measures, series, cfg)
    points = board.measures_table(results)
    result.outcomes.append(gate_measures(points, results_dir, project.root))
    result.tables = {"series": series, "measures": points, "quarantine": board.quarantine_table(tidy, results)}
    paths = [inputs[s] / f for s, f in files]
    result.provenance = provenance.record(project.root, paths, settings.as_dict(),
                                          synthetic=any("SYNTHETIC" in p.name for p in paths))
    result.provenance["periods"] = sorted({f"{r.latest_period:%Y-%m}" for r in results
                                           if r.latest_period is not None})[-1:]
    result.provenance["spc_preset"] = cfg.name
    result.facts.update({"measures": len(measures), "charted": sum(r.points is not None for r in results)})
    if missing:
        result.facts["tables not yet made"] = ", ".join(sorted(set(missing)))
    stage.write(result, project)
    return result
