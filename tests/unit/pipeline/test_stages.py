"""Notebooks stay thin, stripped and parameterised, and agree with params.yaml."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

import support
from helpers.pipeline import cli as pipeline
from helpers.pipeline import dvcfile, settings, stages

ROOT = support.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TEMPLATES = sorted((ROOT / "notebooks" / "templates").glob("*.ipynb"))  # run by stages, e.g. one per practice


def test_every_stage_notebook_exists():
    assert {p.name for p in NOTEBOOKS} == {Path(s.notebook).name for s in stages.STAGES}


def test_dvc_yaml_runs_every_registered_stage_and_publish_last():
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert list(dvc) == [s.name for s in stages.STAGES] + [stages.PUBLISH]
    for name, stage in dvc.items():
        assert stage["cmd"] == f"python -m helpers.pipeline stage {name}"
    for spec in stages.STAGES:
        deps = dvc[spec.name]["deps"]
        assert spec.notebook in deps and "src/helpers" in deps
        assert {f"${{inputs.{s}}}" for s in spec.sources} <= set(deps), f"{spec.name}: inputs not in its deps"
        if spec.params:
            assert spec.params in dvc[spec.name]["params"]
        executed = f"build/executed/{Path(spec.notebook).name}"
        assert executed in dvc[spec.name]["outs"][-1] or any(executed in o for o in dvc[spec.name]["outs"])
        assert executed in dvc[stages.PUBLISH]["deps"], f"publish must depend on {executed}"
        if spec.publishes:
            assert spec.publishes in dvc[stages.PUBLISH]["deps"]


def test_publish_depends_on_its_params_and_every_table_it_exports():
    """A table offered as a CSV download must re-trigger publishing when it changes."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    publish = dvc[stages.PUBLISH]
    assert "publish" in publish["params"]
    produced = {next(iter(o)) if isinstance(o, dict) else o for stage in dvc.values() for o in stage.get("outs", [])}
    exported = {f"data/processed/{table}.parquet" for table in params["publish"]["csv_exports"]}
    assert exported, "publish.csv_exports names no table"
    assert exported <= set(publish["deps"]), f"publish must depend on {sorted(exported - set(publish['deps']))}"
    assert exported <= produced, f"no stage writes {sorted(exported - produced)}"


@pytest.mark.parametrize("path", NOTEBOOKS + TEMPLATES, ids=lambda p: p.name)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS + TEMPLATES, ids=lambda p: p.name)
def test_code_cells_define_no_logic(path):
    """Logic belongs in src/helpers/: no functions, classes or loops in notebook cells."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda)), (
                f"{path.name}: move this into src/helpers/:\n{cell.source}")


@pytest.mark.parametrize("stage", sorted(stages.by_name()))
def test_parameters_cell_declares_what_the_pipeline_injects(stage):
    nb = nbformat.read(ROOT / stages.by_name()[stage].notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    declared = {t.id for node in ast.parse(tagged[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert set(pipeline.notebook_parameters(stage, ROOT)) == declared


@pytest.mark.parametrize("stage", [s.name for s in stages.STAGES if s.params])
def test_parameters_are_the_stage_section_of_params_yaml(stage):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    spec = stages.by_name()[stage]
    injected = pipeline.notebook_parameters(stage, ROOT)
    edition = {key: params[key] for key in settings.edition_keys(spec)}
    assert set(injected["settings"]) == set(edition) | set(params[spec.params])
    section = {**edition, **params[spec.params]}
    as_in_the_file = settings.settings_class(spec).of(section, spec.params)
    assert settings.for_stage(spec, ROOT, injected["settings"]) == as_in_the_file
    if spec.sources:
        assert set(injected["inputs"]) == set(spec.sources)


def test_dvc_yaml_is_what_the_stage_list_gives():
    assert (ROOT / "dvc.yaml").read_text() == dvcfile.expected(ROOT), "run: python -m helpers.pipeline dvc-yaml"


def test_the_board_paper_depends_on_every_section_it_embeds():
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    board = dvc["board_paper"]
    sections = [stages.by_name()[name].params for _, name in stages.board_domains()]
    named = {p for p in board["params"] if isinstance(p, str)}  # whole sections (the rest are files' keys)
    assert sections and set(sections) <= named
    upstream = {next(iter(o)) if isinstance(o, dict) else o
                for name, stage in dvc.items() if name not in ("board_paper", stages.PUBLISH)
                for o in stage.get("outs", [])}
    needed = {o for o in upstream if o.startswith(("data/processed/", "build/validation/"))}
    assert needed <= set(board["deps"]), sorted(needed - set(board["deps"]))


def test_every_domain_names_its_tables_and_suites_once():
    """Table files are named from the domain package only; every suite it lists is a file."""
    for domain in {s.domain for s in stages.STAGES}:
        info = stages.domain_info(domain)
        assert info.TABLES and len(set(info.TABLES)) == len(info.TABLES)
        for suite in info.SUITES:
            assert (ROOT / "expectations" / f"{suite}.json").is_file(), suite


def test_the_board_papers_sections_take_this_runs_organisation_not_params_yaml(tmp_path):
    """A run for another ICB (run --organisation QE1) gives the sections the paper embeds that ICB, as
    their own stages had it; params.yaml's organisation is only the default."""
    import shutil

    from helpers.pipeline import inputs, notebook

    shutil.copy(support.ROOT / "params.yaml", tmp_path / "params.yaml")
    inputs.write_run_file({}, tmp_path, {"organisation": "QE1", "period": "2026-01"})
    sections = dict(notebook.board_sections(tmp_path))
    assert {"rtt", "referrals", "qipp", "actions"} <= set(sections)
    assert {s.organisation for s in sections.values() if hasattr(s, "organisation")} == {"QE1"}
    assert sections["rtt"].period == "2026-01"


def test_the_board_papers_sections_take_the_papers_edition_when_given(tmp_path):
    """An ICB's paper in the national run (its settings that ICB's) gives its sections that ICB, not the run's."""
    import shutil

    from helpers.pipeline import inputs, notebook

    shutil.copy(support.ROOT / "params.yaml", tmp_path / "params.yaml")
    inputs.write_run_file({}, tmp_path, {"organisation": "QE1", "period": "latest"})
    sections = dict(notebook.board_sections(tmp_path, {"organisation": "QH8", "period": "2026-01"}))
    assert {s.organisation for s in sections.values() if hasattr(s, "organisation")} == {"QH8"}
    assert sections["rtt"].period == "2026-01"


def test_a_national_editions_board_paper_links_only_the_pages_it_has():
    from helpers.pipeline import national, notebook

    every = notebook.full_reports()
    assert {"rtt", "referrals", "scorecard", "qipp", "actions"} <= set(every)
    own = notebook.full_reports("build/national/QE1")
    assert sorted(own) == sorted(stages.by_name()[name].domain for name in national.EDITION_STAGES)
    assert all(own[domain] == every[domain] for domain in own)


@pytest.mark.parametrize("domain,stage", stages.board_domains())
def test_a_report_stage_keeps_the_section_the_board_paper_looks_for(domain, stage):
    """The paper finds a report stage's kept section only under the same key: the same settings, as
    the stage runs with them and as the paper gives them to the section."""
    from helpers.pipeline import notebook

    spec = stages.by_name()[stage]
    nb = nbformat.read(ROOT / spec.notebook, as_version=4)
    assert any("notebook.keep_board_section(stage, data)" in c.source for c in nb.cells if c.cell_type == "code")
    runs_with = settings.for_stage(spec, ROOT, pipeline.notebook_parameters(stage, ROOT)["settings"])
    assert dict(notebook.board_sections(ROOT))[domain].as_dict() == runs_with.as_dict()


def test_the_board_paper_waits_for_the_report_stages_it_names():
    board = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["board_paper"]
    waits = stages.by_name()["board_paper"].after
    assert "report_scorecard" in waits
    assert {stages.by_name()[name].executed for name in waits} <= set(board["deps"])


def test_a_kept_section_is_taken_until_its_report_stages_inputs_change(tmp_path):
    """What the RTT report stage keeps, the paper takes, made from that stage's inputs alone: another
    domain's tables changing (written later in the same run, say) does not make it draw the section again."""
    from helpers.pipeline import notebook

    for name in stages.report_inputs(stages.by_name()["report_rtt"]) + stages.domain_outputs("scorecard"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"one")
    rtt = settings.for_stage(stages.by_name()["report_rtt"], ROOT)
    made = []

    def make(text):
        return lambda: made.append(text) or f"<p>{text}</p>"

    assert notebook.kept_section(tmp_path, "rtt", rtt, make("the report's")) == "<p>the report's</p>"
    (tmp_path / stages.domain_outputs("scorecard")[0]).write_bytes(b"two")
    assert notebook.kept_section(tmp_path, "rtt", rtt, make("the paper's")) == "<p>the report's</p>"
    (tmp_path / stages.domain_outputs("organisation")[0]).write_bytes(b"two")  # a table the report uses
    assert notebook.kept_section(tmp_path, "rtt", rtt, make("drawn again")) == "<p>drawn again</p>"
    assert made == ["the report's", "drawn again"]


def test_only_a_report_with_a_board_section_keeps_one(tmp_path, monkeypatch):
    from helpers.core.config import Project
    from helpers.domains.rtt import report
    from helpers.pipeline import notebook
    from helpers.render import kept

    monkeypatch.setattr(report, "board_section", lambda project, settings, data: f"<p>{data}</p>")
    for name in ("report_rtt", "packs_scorecard", "cleanse_rtt"):
        spec = stages.by_name()[name]
        notebook.keep_board_section(notebook.StageRun(spec, Project(tmp_path), settings.for_stage(spec, ROOT), {}),
                                    "the page's data")
    found = list((tmp_path / kept.SECTIONS).glob("*.html"))
    assert [p.name.split("-")[0] for p in found] == ["rtt"]
    assert found[0].read_text() == "<p>the page's data</p>"
