"""One ICB's board measures, for the national run's editions (:mod:`helpers.pipeline.national`).

The measures stage (:mod:`.cleanse`) reads and gates the national time-series workbooks once and
writes ``board_series``, ``board_measures`` and ``board_quarantine`` for the ICB of ``params.yaml``.
An ICB's own tables are made from them without reading a workbook again:

* a measure from a workbook (England's A&E or RTT series) has the same rows for every ICB: its
  rows in ``board_series`` are taken as the measures stage read them;
* a measure from another stage's processed table (``rtt_summary``, say) is read again from that
  table with its filter's ``${organisation}`` the ICB's code;

then every measure is charted with SPC as the measures stage charts it (:func:`for_icb`).
:func:`write_for_icb` writes the result, gated as the measures stage gates it, under a folder of
the ICB's own (``<folder>/data/processed/``), which the board paper is pointed at (``tables``).
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.core import provenance
from helpers.core.config import Project, provenance_file, table_file
from helpers.core.errors import QUARANTINE_COLUMNS
from helpers.domains.board import cleanse
from helpers.domains.board import measures as board
from helpers.methods import spc
from helpers.sources import timeseries as ts

DOMAIN = "board"


@dataclass
class Tables:
    """One ICB's ``board_series``, ``board_measures`` and ``board_quarantine``, and the results behind them."""

    series: pd.DataFrame
    measures: pd.DataFrame
    quarantine: pd.DataFrame
    results: list[board.Result]


def for_icb(measures: list[board.Measure], series: pd.DataFrame, quarantine: pd.DataFrame,
            read_table: Callable[[str], pd.DataFrame], organisation: str, cfg: spc.Settings) -> Tables:
    """ICB ``organisation``'s board tables from the measures stage's ``series`` and ``quarantine``
    (made for whichever ICB) and the processed tables ``read_table(name)`` gives (see the module)."""
    from_tables = [m for m in measures if m.domain is not None]
    workbook = series[~series["reference"].isin({m.reference for m in from_tables})]
    own = board.series_table(from_tables, pd.DataFrame(columns=ts.TIDY_COLUMNS), read_table,
                             {"organisation": organisation})
    order = {m.reference: n for n, m in enumerate(measures)}
    frames = [f for f in (workbook, own) if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=board.SERIES_COLUMNS)
    rows = rows[rows["reference"].isin(order)]
    rows = rows.iloc[rows["reference"].map(order).argsort(kind="stable")].reset_index(drop=True)
    rows = rows[board.SERIES_COLUMNS].astype({"raw": "string", "source": "string", "file": "string",
                                              "line": "int64"})
    results = board.evaluate_all(measures, rows, cfg)
    # the workbooks' cells (and their measures' rows) as quarantined once; the tables' measures' rows, the ICB's
    tables = {m.data_source["table"] for m in from_tables}
    kept = quarantine[~quarantine["source"].astype(str).isin(tables)]
    mine = board.quarantine_table(pd.DataFrame(columns=ts.TIDY_COLUMNS), [r for r in results if r.measure.domain])
    quarantined = pd.concat([f for f in (kept, mine) if len(f)] or [mine], ignore_index=True)[QUARANTINE_COLUMNS]
    quarantined = quarantined.astype({"line": "int64", **{c: "string" for c in QUARANTINE_COLUMNS if c != "line"}})
    return Tables(rows, board.measures_table(results), quarantined, results)


def icb_folder(root: Path, code: str) -> Path:
    """Where ICB ``code``'s own board tables are written: ``build/national/<code>`` (its ``data/processed/``)."""
    return root / "build" / "national" / code


def write_for_icb(project: Project, organisation: str, folder: Path) -> Project:
    """ICB ``organisation``'s board tables, from the project's processed tables, gated and written
    under ``folder`` (``data/processed/board_*`` and the board's provenance record, its
    validation result in ``build/validation/board/``); returns the project as the paper reads
    it: ``folder``'s tables first, the project's others."""
    record = project.read_provenance(DOMAIN)
    used = record["params"]
    measures = board.load_catalogue(project.path(used["measures"]))
    cfg = spc.settings(used["spc_preset"])
    series = pd.read_parquet(project.table_path(DOMAIN, "series"))
    quarantine = pd.read_parquet(project.table_path(DOMAIN, "quarantine"))
    made = for_icb(measures, series, quarantine, cleanse.processed_reader(project, []), organisation, cfg)
    shutil.rmtree(folder, ignore_errors=True)  # an earlier run's
    own = Project(project.root, out=folder)
    cleanse.gate_measures(made.measures, own.validation(DOMAIN), project.root)
    for name, frame in (("series", made.series), ("measures", made.measures), ("quarantine", made.quarantine)):
        provenance.write_parquet(own.processed / table_file(DOMAIN, name), frame)
    mine = copy.deepcopy(record)
    mine["params"] = {**used, "organisation": organisation}
    mine["periods"] = sorted({f"{r.latest_period:%Y-%m}" for r in made.results if r.latest_period is not None})[-1:]
    provenance.write_json(own.processed / provenance_file(DOMAIN), mine)
    return own
