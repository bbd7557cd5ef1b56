"""The scorecard cleanse stage: every source read and gated, one tidy table scored and gated.

Each source's raw frame passes its suite before it is used; the tidy indicator table and the
practice scores pass theirs before anything is written, so ``data/processed/`` holds only
validated tables (renamed into place). Rows that cannot be used are quarantined with their
reason (``scorecard_quarantine.parquet``), never silently dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.stage import StageResult
from helpers.domains.scorecard import CATALOGUE
from helpers.domains.scorecard import measures as scorecard
from helpers.domains.scorecard.settings import CleanseSettings
from helpers.methods import suppression
from helpers.sources import child_immunisations, fingertips_practice, gp_payments, gp_practice_reference, qof_2020_21

log = logging.getLogger(__name__)

DOMAIN = "scorecard"


def read_sources(inputs: dict[str, Path], *, gate_dir: Path | None, root: Path,
                 result: StageResult) -> dict[str, pd.DataFrame]:
    """Every source read and passed through its raw suite."""
    def check(frame, suite, path, id_columns):
        result.outcomes.append(quality.gate(frame, suite, data_name=str(path), results_dir=gate_dir,
                                            id_columns=id_columns, row_label="line", root=root))

    def note(path, frame, source):
        result.files.append({"source": source, "file": Path(path).name, "rows": len(frame),
                             "synthetic": "SYNTHETIC" in Path(path).name.upper(), "path": str(path)})

    tables = {}
    fp_frames = []
    for path in fingertips_practice.files(inputs["fingertips_practice"]):
        frame = fingertips_practice.read(path)
        check(frame, "fingertips_practice.raw", path, ["area_code", "indicator_id"])
        note(path, frame, "fingertips_practice")
        fp_frames.append(frame)
    result.skipped += fingertips_practice.passed_over(inputs["fingertips_practice"])
    fp = pd.concat(fp_frames)
    tables["fingertips_practice"] = fingertips_practice.practices(fp)
    tables["fingertips_england"] = fingertips_practice.england(fp)

    folder = inputs["qof_2020_21"]
    prevalence = []
    for path in qof_2020_21.prevalence_files(folder):
        frame = qof_2020_21.read_prevalence(path)
        check(frame, "qof_prevalence.raw", path, ["practice_code", "register"])
        note(path, frame, "qof_2020_21")
        prevalence.append(frame)
    tables["qof_2020_21"] = pd.concat(prevalence)
    result.skipped += qof_2020_21.passed_over(folder)

    imms = []
    for path in child_immunisations.files(inputs["child_immunisations"]):
        frame = child_immunisations.read(path)
        check(frame, "child_immunisations.raw", path, ["practice_code", "period", "item"])
        note(path, frame, "child_immunisations")
        imms.append(frame)
    tables["child_immunisations"] = pd.concat(imms)
    result.skipped += child_immunisations.passed_over(inputs["child_immunisations"])

    pays = []
    for path in gp_payments.files(inputs["gp_payments"]):
        frame = gp_payments.read(path)
        check(frame, "gp_payments.raw", path, ["practice_code"])
        note(path, frame, "gp_payments")
        pays.append(frame)
    tables["gp_payments"] = pd.concat(pays)
    result.skipped += gp_payments.passed_over(inputs["gp_payments"])

    folder = inputs["gp_practice_reference"]
    epraccur = gp_practice_reference.read_epraccur(folder)
    check(epraccur, "gp_practice_reference.epraccur", epraccur.attrs["path"], ["practice_code"])
    note(epraccur.attrs["path"], epraccur, "gp_practice_reference")
    lists = gp_practice_reference.read_list_sizes(folder)
    check(lists, "gp_practice_reference.list_sizes", folder, ["practice_code"])
    for name, rows in lists.groupby("file"):
        note(folder / name, rows, "gp_practice_reference")
    tables["gp_practice_reference"] = lists
    result.skipped += gp_practice_reference.passed_over(folder)
    tables["_epraccur"] = epraccur
    return tables


def build(inputs: dict[str, Path], settings: CleanseSettings, project: Project,
          gate_dir: Path | None) -> StageResult:
    """Read, gate, build, score and gate; nothing written (the benchmark scores England this way)."""
    result = StageResult(DOMAIN)
    tables = read_sources(inputs, gate_dir=gate_dir, root=project.root, result=result)
    catalogue = scorecard.load_catalogue(project.path(CATALOGUE))
    practices = pd.read_parquet(project.table_path("organisation", "practices"))
    known = set(tables.pop("_epraccur")["practice_code"])  # every ODS code: a practice missing here is unknown
    rule = suppression.policy(settings.suppression.rule())
    indicators, quarantine = scorecard.build_indicators(catalogue, tables, practices, known, rule)
    scores = scorecard.score_practices(indicators, catalogue, practices[["practice_code", "practice_name", "pcn_code",
                                                                        "sub_icb_code", "icb_code", "status",
                                                                        "close_date"]],
                                       settings.scoring.as_dict())
    result.tables = {"indicators": indicators, "scores": scores, "quarantine": quarantine}
    for name in ("indicators", "scores"):
        result.outcomes.append(quality.gate(result.tables[name], f"scorecard_{name}.processed",
                                            data_name=f"data/processed/scorecard_{name}.parquet",
                                            results_dir=gate_dir, id_columns=[], root=project.root))
    return result


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Every source read and gated, the indicator table built, scored and gated, then written."""
    stage.start(DOMAIN, project)
    result = build(inputs, settings, project, gate_dir=project.validation(DOMAIN))
    stage.log_skipped(result)
    synthetic = any(f["synthetic"] for f in result.files)
    result.provenance = provenance.record(project.root, [Path(f["path"]) for f in result.files
                                                         if Path(f["path"]).is_file()],
                                          settings.as_dict(), synthetic=synthetic)
    # reporting periods of the indicators (financial years etc.); "periods" is kept for data months
    result.provenance["indicator_periods"] = sorted(result.tables["indicators"]["period"].unique().tolist())
    result.facts["indicator rows"] = len(result.tables["indicators"])
    stage.write(result, project)
    return result
