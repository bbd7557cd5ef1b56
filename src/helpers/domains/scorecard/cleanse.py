"""The scorecard cleanse stage: every source read and gated, one tidy table scored and gated.

Each source's raw frame passes its suite before it is used; the tidy indicator table and the
practice scores pass theirs before anything is written, so ``data/processed/`` holds only
validated tables (renamed into place). Rows that cannot be used are quarantined with their
reason (``scorecard_quarantine.parquet``), never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality
from helpers.core.config import project_root, source_dir
from helpers.core.stage import StageResult
from helpers.domains.scorecard import measures as scorecard
from helpers.methods import suppression
from helpers.sources import child_immunisations, fingertips_practice, gp_payments, gp_practice_reference, qof_2020_21

log = logging.getLogger(__name__)

DOMAIN = "scorecard"
SOURCES = ("fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments", "gp_practice_reference")
INDICATORS_FILE = "scorecard_indicators.parquet"
SCORES_FILE = "scorecard_scores.parquet"
PRACTICES_FILE = "scorecard_practices.parquet"
QUARANTINE_FILE = "scorecard_quarantine.parquet"
PROVENANCE_FILE = "scorecard_provenance.json"


@dataclass
class Result(StageResult):
    indicators: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    practices: pd.DataFrame | None = None
    quarantine: pd.DataFrame | None = None
    written: list[Path] = field(default_factory=list)


def read_sources(inputs, *, gate_dir: Path | None, root: Path, result: Result) -> dict[str, pd.DataFrame]:
    """Every source read and passed through its raw suite."""
    def check(frame, suite, path, id_columns):
        result.outcomes.append(quality.gate(frame, suite, data_name=str(path), results_dir=gate_dir,
                                            id_columns=id_columns, row_label="line", root=root))

    def note(path, frame, source):
        result.files.append({"source": source, "file": Path(path).name, "rows": len(frame),
                             "synthetic": "SYNTHETIC" in Path(path).name.upper(), "path": str(path)})

    tables = {}
    fp_frames = []
    for path in fingertips_practice.files(source_dir(inputs, "fingertips_practice")):
        frame = fingertips_practice.read(path)
        check(frame, "fingertips_practice.raw", path, ["area_code", "indicator_id"])
        note(path, frame, "fingertips_practice")
        fp_frames.append(frame)
    fp = pd.concat(fp_frames)
    tables["fingertips_practice"] = fingertips_practice.practices(fp)
    tables["fingertips_england"] = fingertips_practice.england(fp)

    folder = source_dir(inputs, "qof_2020_21")
    prevalence = []
    for path in qof_2020_21.prevalence_files(folder):
        frame = qof_2020_21.read_prevalence(path)
        check(frame, "qof_prevalence.raw", path, ["practice_code", "register"])
        note(path, frame, "qof_2020_21")
        prevalence.append(frame)
    tables["qof_2020_21"] = pd.concat(prevalence)
    geography = qof_2020_21.read_geography(folder)
    note(geography.attrs["path"], geography, "qof_2020_21")

    imms = []
    for path in child_immunisations.files(source_dir(inputs, "child_immunisations")):
        frame = child_immunisations.read(path)
        check(frame, "child_immunisations.raw", path, ["practice_code", "period", "item"])
        note(path, frame, "child_immunisations")
        imms.append(frame)
    tables["child_immunisations"] = pd.concat(imms)

    pays = []
    for path in gp_payments.files(source_dir(inputs, "gp_payments")):
        frame = gp_payments.read(path)
        check(frame, "gp_payments.raw", path, ["practice_code"])
        note(path, frame, "gp_payments")
        pays.append(frame)
    tables["gp_payments"] = pd.concat(pays)

    folder = source_dir(inputs, "gp_practice_reference")
    epraccur = gp_practice_reference.read_epraccur(folder)
    check(epraccur, "gp_practice_reference.epraccur", epraccur.attrs["path"], ["practice_code"])
    note(epraccur.attrs["path"], epraccur, "gp_practice_reference")
    lists = gp_practice_reference.read_list_sizes(folder)
    check(lists, "gp_practice_reference.list_sizes", folder, ["practice_code"])
    for name, rows in lists.groupby("file"):
        note(folder / name, rows, "gp_practice_reference")
    tables["gp_practice_reference"] = lists
    tables["_geography"], tables["_epraccur"] = geography, epraccur
    return tables


def build(inputs, *, catalogue_path: Path, params: dict, root: Path, gate_dir: Path | None) -> Result:
    """Read, gate, build, score and gate; nothing written (see :func:`cleanse`)."""
    result = Result()
    tables = read_sources(inputs, gate_dir=gate_dir, root=root, result=result)
    catalogue = scorecard.load_catalogue(catalogue_path)
    practices = scorecard.practice_frame(tables.pop("_geography"), epraccur := tables.pop("_epraccur"))
    known = set(epraccur["practice_code"])
    rule = suppression.policy(params.get("suppression"))
    indicators, quarantine = scorecard.build_indicators(catalogue, tables, practices, known, rule)
    scores = scorecard.score_practices(indicators, catalogue, practices[["practice_code", "practice_name", "pcn_code",
                                                                        "ccg_code", "icb_code", "status"]],
                                       params.get("scoring", {}))
    result.indicators, result.scores, result.practices, result.quarantine = indicators, scores, practices, quarantine
    for frame, suite in ((indicators, "scorecard_indicators.processed"), (scores, "scorecard_scores.processed")):
        result.outcomes.append(quality.gate(frame, suite, data_name=f"data/processed/{suite.split('.')[0]}.parquet",
                                            results_dir=gate_dir, id_columns=[], root=root))
    return result


def cleanse(inputs, processed_dir: Path, results_dir: Path, root: Path, *, params: dict,
            catalogue_path: Path) -> Result:
    for old in results_dir.glob("*.json"):  # results describe this run only
        old.unlink()
    result = build(inputs, catalogue_path=catalogue_path, params=params, root=root, gate_dir=results_dir)
    synthetic = any(f["synthetic"] for f in result.files)
    record = provenance.record(root, [Path(f["path"]) for f in result.files if Path(f["path"]).is_file()],
                               params, synthetic=synthetic)
    # reporting periods of the indicators (financial years etc.); "periods" is kept for data months
    record["indicator_periods"] = sorted(result.indicators["period"].unique().tolist())
    result.written = [
        provenance.write_parquet(processed_dir / INDICATORS_FILE, result.indicators),
        provenance.write_parquet(processed_dir / SCORES_FILE, result.scores),
        provenance.write_parquet(processed_dir / PRACTICES_FILE, result.practices),
        provenance.write_parquet(processed_dir / QUARANTINE_FILE, result.quarantine),
        provenance.write_json(processed_dir / PROVENANCE_FILE, record),
    ]
    log.info("Wrote %s", ", ".join(p.name for p in result.written))
    return result


def run(inputs=None, *, params: dict | None = None, root: Path | None = None) -> Result:
    """The stage as the notebook calls it: ``inputs`` {source: folder}, None -> data/raw/<source>."""
    root = root or project_root()
    return cleanse(inputs, root / "data" / "processed", root / "build" / "validation" / DOMAIN, root,
                   params=params or {}, catalogue_path=root / scorecard.CATALOGUE_FILE)
