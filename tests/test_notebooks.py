"""Notebooks stay thin, stripped and parameterised, and agree with params.yaml."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

from helpers import pipeline

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_stage_notebook_exists():
    assert {p.name for p in NOTEBOOKS} == {p.name for p in pipeline.NOTEBOOKS.values()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stripped(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_cells_define_no_logic(path):
    """Logic belongs in src/helpers/: no functions, classes or loops in notebook cells."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda)), (
                f"{path.name}: move this into src/helpers/:\n{cell.source}")


@pytest.mark.parametrize("stage", sorted(pipeline.NOTEBOOKS))
def test_parameters_cell_declares_what_the_pipeline_injects(stage):
    nb = nbformat.read(ROOT / pipeline.NOTEBOOKS[stage], as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    declared = {t.id for node in ast.parse(tagged[0].source).body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert set(pipeline.notebook_parameters(stage, ROOT)) == declared


def test_report_parameters_are_the_report_section_of_params_yaml():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert pipeline.notebook_parameters("report_rtt", ROOT) == params["report"]
