"""A run with nothing to do knows it without DVC (helpers.pipeline.freshness): what DVC's judgement
rests on is recorded when every stage is up to date, and anything DVC would look at that changes
afterwards means asking DVC again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.pipeline import freshness

DVC_YAML = """vars:
  - params.yaml
  - build/run.yaml
stages:
  make:
    cmd: python make.py
    deps:
      - src
      - ${inputs.counts}
    params:
      - make
    outs:
      - out/table.csv: {cache: false, persist: true}
      - out/pages
"""


@pytest.fixture
def project(tmp_path) -> Path:
    files = {"dvc.yaml": DVC_YAML, "params.yaml": "make:\n  scale: 2\n", ".dvcignore": "__pycache__/\n*.pyc\n",
             "build/run.yaml": "inputs:\n  counts: inputs/counts\n", "src/make.py": "print('made')\n",
             "inputs/counts/a.csv": "1\n", "out/table.csv": "2\n", "out/pages/index.html": "<p>3</p>\n",
             "dvc.lock": "schema: '2.0'\n", ".dvc/config": "[core]\n    no_scm = True\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def recorded_now(project: Path) -> bool:
    return freshness.is_recorded(project, freshness.snapshot(project))


def test_everything_dvc_reads_is_watched(project):
    assert set(freshness.watched(project)) >= {"dvc.yaml", "dvc.lock", "params.yaml", "build/run.yaml", ".dvcignore",
                                               "src", "inputs/counts", "out/table.csv", "out/pages"}
    assert "inputs/counts/a.csv" in freshness.snapshot(project)


def test_a_recorded_project_is_up_to_date_until_something_dvc_reads_changes(project):
    assert not recorded_now(project)  # nothing recorded yet
    freshness.record(project)
    assert recorded_now(project)
    (project / "src" / "__pycache__").mkdir()
    (project / "src" / "__pycache__" / "make.cpython-311.pyc").write_bytes(b"\0")  # ignored, as DVC ignores it
    (project / "logs").mkdir()
    (project / "logs" / "run.log").write_text("not a dependency")
    assert recorded_now(project)
    for change in (lambda: (project / "inputs/counts/b.csv").write_text("new file"),
                   lambda: os.utime(project / "params.yaml", ns=(0, 10**18)),
                   lambda: (project / "out/pages/index.html").unlink(),
                   lambda: (project / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n"),
                   lambda: (project / "build/run.yaml").write_text("inputs:\n  counts: elsewhere/counts\n")):
        freshness.record(project)
        change()
        assert not recorded_now(project)


def test_inputs_outside_the_project_are_watched_too(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("inputs") / "counts"
    outside.mkdir()
    (outside / "a.csv").write_text("1\n")
    (project / "build/run.yaml").write_text(f"inputs:\n  counts: {outside}\n")
    assert f"{outside}/a.csv" in freshness.snapshot(project)
    freshness.record(project)
    (outside / "a.csv").write_text("10\n")
    assert not recorded_now(project)


def test_forget_and_files_changed_other_than_a_run_writes(project):
    freshness.record(project)
    freshness.forget(project)
    assert not recorded_now(project)
    before = freshness.snapshot(project)
    (project / "out/table.csv").write_text("22\n")
    (project / "src/make.py").write_text("print('changed while running')\n")
    after = freshness.snapshot(project)
    assert freshness.changed_between(before, after, ["out/table.csv", "out/pages", "dvc.lock"]) == ["src/make.py"]


@pytest.mark.parametrize("spoil", [
    lambda text: text.replace("  make:\n", "  make:\n    foreach: [a, b]\n    do: {cmd: x}\n"),
    lambda text: text.replace("${inputs.counts}", "${inputs.missing}"),
])
def test_what_it_does_not_follow_is_left_to_dvc(project, spoil):
    (project / "dvc.yaml").write_text(spoil(DVC_YAML))
    assert freshness.snapshot(project) is None
    freshness.record(project)
    assert not (project / freshness.RECORD).exists()
