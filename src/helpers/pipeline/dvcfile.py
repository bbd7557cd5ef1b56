"""``dvc.yaml``, written from the stage list so that the two cannot disagree.

``python -m helpers.pipeline dvc-yaml`` rewrites the file; ``--check`` exits 1 if the committed
file is not what the stage list gives (a test runs it). Every output is ``cache: false, persist:
true``: DVC must neither copy the tables into a cache nor delete the last good ones before a run
that may fail.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers.core.config import PROCESSED, VALIDATION, provenance_file, table_file
from helpers.pipeline import stages
from helpers.pipeline.inputs import RUN_FILE
from helpers.pipeline.settings import EDITION_KEYS, edition_keys
from helpers.pipeline.stages import CLEANSE, PUBLISH, Stage

HEADER = """\
# Written by `python -m helpers.pipeline dvc-yaml` from src/helpers/pipeline/stages.py: edit the stage
# list there, not this file (a test checks the two agree). `make report` writes build/run.yaml (the
# folder of each source) and runs the stages; a stage re-runs only when its notebook, code, suites,
# catalogues, parameters or inputs change.
"""
CODE = "src/helpers"


class _Keep(dict):
    """``{cache: false, persist: true}``, written on one line."""


def _keep() -> _Keep:
    return _Keep(cache=False, persist=True)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Keep, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))


def _validation(domain: str) -> str:
    return f"{VALIDATION}/{domain}"


def _publish_tables(csv_exports: list[str]) -> list[str]:
    """The tables offered as downloads: a change to one re-publishes."""
    return [f"{PROCESSED}/{name}.parquet" for name in csv_exports]


def stage_entry(stage: Stage) -> dict:
    deps = [stage.notebook, CODE, *stage.files]
    outs = [stage.executed]
    params = [stage.params] if stage.params else []
    scope = set(edition_keys(stage)) if stage.params else set()
    if stage.kind == CLEANSE:
        deps += [f"expectations/{suite}.json" for suite in stages.domain_info(stage.domain).SUITES]
        deps += [f"${{inputs.{source}}}" for source in stage.sources]
        for domain in stage.uses:
            deps += stages.domain_outputs(domain)
        outs = [*stages.domain_outputs(stage.domain), _validation(stage.domain), *outs]
    else:
        deps += stages.report_inputs(stage)
        if stage.domain == "board":  # the paper embeds every report stage's board section
            for domain, name in stages.board_domains():
                deps += [*stages.domain_outputs(domain), _validation(domain)]
                params.append(stages.by_name()[name].params)
                scope |= set(edition_keys(stages.by_name()[name]))
    deps += [stages.by_name()[name].executed for name in stage.after]
    if stage.publishes:
        outs.append(stage.publishes)
    params = list(dict.fromkeys(params))
    if scope:  # the organisation and period this run is for, as `run` recorded them
        params.append({RUN_FILE: [f"edition.{key}" for key in EDITION_KEYS if key in scope]})
    return {"cmd": f"python -m helpers.pipeline stage {stage.name}", "deps": list(dict.fromkeys(deps)),
            "params": params, "outs": [{path: _keep()} for path in outs]}


def publish_entry(csv_exports: list[str]) -> dict:
    deps = [CODE, "catalogue/sources.yaml"]  # the data dictionary's publishers and links
    for stage in stages.STAGES:
        deps.append(stage.executed)
        if stage.publishes:
            deps.append(stage.publishes)
        if stage.kind == CLEANSE:
            deps.append(_validation(stage.domain))
    deps += _publish_tables(csv_exports)
    deps += [f"{PROCESSED}/{table_file('organisation', 'practices')}"]  # the edition's practices
    # the downloads are cut to the edition's ICB and month, suppressed as the scorecard's pages are,
    # and say when a tracker's files are another organisation's
    params = ["publish", *(stages.by_name()[name].params for name in DOWNLOAD_STAGES),
              {RUN_FILE: [f"edition.{key}" for key in EDITION_KEYS]}]
    return {"cmd": f"python -m helpers.pipeline stage {PUBLISH}", "deps": list(dict.fromkeys(deps)),
            "params": params, "outs": [{"reports": _keep()}]}


DOWNLOAD_STAGES = ("report_scorecard", "report_referrals", "report_qipp", "report_actions")


def render(csv_exports: list[str]) -> str:
    document = {"vars": ["params.yaml", "build/run.yaml"],
                "stages": {**{s.name: stage_entry(s) for s in stages.STAGES}, PUBLISH: publish_entry(csv_exports)}}
    return HEADER + yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=120)


def expected(root: Path) -> str:
    from helpers.pipeline.settings import section

    return render(list(section("publish", root).get("csv_exports") or []))


def write(root: Path) -> bool:
    """Rewrite dvc.yaml; True if it changed."""
    path, text = root / "dvc.yaml", expected(root)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def provenance_files() -> list[str]:
    """Every domain's provenance record (what publish merges for the edition)."""
    return [f"{PROCESSED}/{provenance_file(s.domain)}" for s in stages.cleanse_stages()]


def table_paths(domain: str) -> list[str]:
    return [f"{PROCESSED}/{table_file(domain, t)}" for t in stages.domain_info(domain).TABLES]
