"""The organisation stage: the reference files and the RTT extract in, England's organisations out.

Writes ``organisation_icbs``, ``organisation_sub_icbs``, ``organisation_practices`` (every GP
practice with its ICB, sub-ICB location, PCN, status and dates) and ``organisation_providers``
(for each ICB, the providers its patients wait at), for every ICB, so that one edition or all of
them read the same tables.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from helpers.core import provenance, quality, stage
from helpers.core.config import Project
from helpers.core.stage import StageResult
from helpers.domains.organisation import measures as org
from helpers.domains.organisation.settings import CleanseSettings
from helpers.sources import gp_practice_reference, qof_2020_21

log = logging.getLogger(__name__)

DOMAIN = "organisation"
RTT_COLUMNS = ["period", "commissioner_parent_code", "commissioner_parent_name", "commissioner_code",
               "commissioner_name", "provider_code", "provider_name", "rtt_part", "pathways"]


def rtt_names_and_waits(project: Project) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From the RTT pathways: each ICB's and sub-ICB location's name, and the patients each ICB has
    waiting at each provider in the latest month."""
    path = project.table_path("rtt", "pathways")
    rows = pd.read_parquet(path, columns=RTT_COLUMNS)
    rows = rows[rows["period"] == rows["period"].max()]
    names = (rows[["commissioner_parent_code", "commissioner_parent_name", "commissioner_code", "commissioner_name"]]
             .drop_duplicates().astype("string")
             .rename(columns={"commissioner_parent_code": "icb_code", "commissioner_parent_name": "icb_name",
                              "commissioner_code": "sub_icb_code", "commissioner_name": "sub_icb_name"}))
    waiting = (rows[rows["rtt_part"] == "Part_2"]
               .groupby(["commissioner_parent_code", "provider_code", "provider_name"], observed=True)["pathways"]
               .sum().rename("waiting").reset_index()
               .rename(columns={"commissioner_parent_code": "icb_code"}))
    waiting["period"] = rows["period"].max()
    return names, waiting.astype({"icb_code": "string", "provider_code": "string", "provider_name": "string"})


def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
    """Practices, sub-ICB locations and ICBs from the reference files; names and providers from RTT."""
    result = stage.start(DOMAIN, project)
    epraccur = gp_practice_reference.read_epraccur(inputs["gp_practice_reference"])
    geography = qof_2020_21.read_geography(inputs["qof_2020_21"])
    names, waiting = rtt_names_and_waits(project)
    practices = org.practices(epraccur, geography)
    result.outcomes.append(quality.gate(practices, "organisation_practices.processed",
                                        data_name="data/processed/organisation_practices.parquet",
                                        results_dir=project.validation(DOMAIN), id_columns=["practice_code"],
                                        root=project.root))
    result.tables = {"icbs": org.icbs(practices, names), "sub_icbs": org.sub_icbs(practices, names, geography),
                     "practices": practices, "providers": org.providers(waiting, settings.min_provider_pathways)}
    files = [epraccur.attrs["path"], geography.attrs["path"]]
    result.files = [{"file": Path(f).name, "synthetic": "SYNTHETIC" in Path(f).name.upper()} for f in files]
    result.provenance = provenance.record(project.root, files, settings.as_dict(),
                                          synthetic=any(f["synthetic"] for f in result.files))
    result.facts.update({"ICBs": len(result.tables["icbs"]), "practices": len(practices)})
    stage.write(result, project)
    return result
