"""The run's own runner (stages side by side on warm kernels, helpers.pipeline.runner) and a plain
``dvc repro`` (a process per stage, one after another) agree: they publish the same edition, and
after either ``dvc status`` is clean and the other has nothing to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.pipeline import settings, stages
from helpers.pipeline.inputs import DEFAULT_INPUTS, locate_sources, write_run_file
from support import copy_project, golden, run_pipeline

pytestmark = pytest.mark.e2e


def dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=1800)


def dvc_status(project: Path) -> dict:
    done = dvc(project, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "{}")


@pytest.fixture(scope="module")
def by_dvc_repro(tmp_path_factory) -> Path:
    """A fresh project copy brought up to date by hand: the inputs recorded, then ``dvc repro``."""
    project = copy_project(tmp_path_factory.mktemp("by_dvc_repro"))
    found, missing = locate_sources([DEFAULT_INPUTS], stages.sources(), project)
    assert not missing
    write_run_file(found, project, settings.edition(project))  # as run records them: organisation and period
    done = dvc(project, "repro")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("Running stage") == len(stages.STAGES) + 1
    return project


@pytest.fixture(scope="module")
def by_runner(published_sample) -> Path:
    """The shared published sample, brought up to date again by the runner after what earlier tests
    did to it (a failed run, say, leaves the failing gate's result and the stages that ran beside it)."""
    project, first = published_sample
    assert "Running stage 'publish'" in first.stdout
    run = run_pipeline(project, DEFAULT_INPUTS)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return project


def test_after_the_runner_dvc_status_is_clean_and_dvc_repro_has_nothing_to_do(by_runner):
    project = by_runner
    assert dvc_status(project) == {}
    again = dvc(project, "repro")
    assert again.returncode == 0, again.stderr
    assert "Running stage" not in again.stdout and "Data and pipelines are up to date." in again.stdout


def test_the_runner_and_dvc_repro_publish_the_same_edition(by_runner, by_dvc_repro):
    ours, by_hand = golden.record(by_runner), golden.record(by_dvc_repro)
    assert ours["tables"] == by_hand["tables"]
    assert ours["pages"] == by_hand["pages"]
    assert ours["packs"] == by_hand["packs"]


def test_after_dvc_repro_dvc_status_is_clean_and_the_runner_has_nothing_to_do(by_dvc_repro):
    assert dvc_status(by_dvc_repro) == {}
    run = run_pipeline(by_dvc_repro, DEFAULT_INPUTS)
    assert run.returncode == 0, run.stderr
    assert "Running stage" not in run.stdout and "Data and pipelines are up to date." in run.stdout
    assert "Starting" not in run.stdout  # no kernels
