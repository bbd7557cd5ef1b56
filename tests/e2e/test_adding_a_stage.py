"""Adding a stage is one entry in the stage list, its notebook and its domain package (README).

A toy domain is added to a copy of the published project exactly as the README says, and the one
command runs it: dvc.yaml is written from the stage list, the cleanse stage's table is written,
its report is published and listed, its board section appears in the board paper, and the
preflight check runs its cleanse stage; nothing else is wired by hand.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_notebook

PACKAGE = {
    "__init__.py": '''
        """Toy counts: a domain added to show how."""

        TABLES = ("counts",)
        SUITES = ()
    ''',
    "settings.py": '''
        from __future__ import annotations

        from dataclasses import dataclass

        from helpers.core.settings import Settings


        @dataclass(frozen=True)
        class CleanseSettings(Settings):
            scale: int


        @dataclass(frozen=True)
        class ReportSettings(Settings):
            title: str
    ''',
    "cleanse.py": '''
        from __future__ import annotations

        from pathlib import Path

        import pandas as pd

        from helpers.core import provenance, stage
        from helpers.core.config import Project
        from helpers.core.stage import StageResult
        from helpers.domains.toy.settings import CleanseSettings


        def run(inputs: dict[str, Path], settings: CleanseSettings, project: Project) -> StageResult:
            result = stage.start("toy", project)
            files = sorted(inputs["toy_counts"].glob("*.csv"))
            frame = pd.concat(pd.read_csv(f) for f in files)
            result.tables = {"counts": frame.assign(count=frame["count"] * settings.scale)}
            result.files = [{"file": f.name} for f in files]
            result.provenance = provenance.record(project.root, files, settings.as_dict(), synthetic=False)
            stage.write(result, project)
            return result
    ''',
    "report.py": '''
        from __future__ import annotations

        from dataclasses import dataclass

        import pandas as pd

        from helpers.core.config import Project
        from helpers.domains.toy.settings import ReportSettings
        from helpers.render import html


        @dataclass
        class ReportData:
            counts: pd.DataFrame
            settings: ReportSettings


        def load(project: Project, settings: ReportSettings) -> ReportData:
            return ReportData(pd.read_parquet(project.table_path("toy", "counts")), settings)


        def counts_table(data: ReportData) -> pd.DataFrame:
            return data.counts.rename(columns=str.capitalize)


        @html.section
        def counts_section(data: ReportData) -> str:
            return f"<h2>{html.esc(data.settings.title)}</h2>" + html.table(counts_table(data), caption="Toy counts")


        def board_section(project: Project, settings: ReportSettings) -> str:
            return counts_section(load(project, settings))
    ''',
}
STAGE_ENTRIES = '''
STAGES[-2:-2] = [
    Stage("cleanse_toy", "toy", CLEANSE, "notebooks/60_cleanse_toy.ipynb", "toy", "CleanseSettings",
          sources=("toy_counts",)),
    Stage("report_toy", "toy", REPORT, "notebooks/61_report_toy.ipynb", "toy_report", "ReportSettings",
          document=("Toy counts", "toy-counts.html")),
]
'''
NOTEBOOKS = {
    "60_cleanse_toy.ipynb": ["settings = None\ninputs = None",
                             "from helpers.domains.toy import cleanse\nfrom helpers.pipeline import notebook\n\n"
                             "stage = notebook.stage('cleanse_toy', settings, inputs)\n"
                             "result = cleanse.run(stage.inputs, stage.settings, stage.project)"],
    "61_report_toy.ipynb": ["settings = None",
                            "from helpers.domains.toy import report\nfrom helpers.pipeline import notebook\n\n"
                            "stage = notebook.stage('report_toy', settings)\n"
                            "report.counts_section(report.load(stage.project, stage.settings))"],
}


def _add_toy_domain(project: Path) -> None:
    package = project / "src" / "helpers" / "domains" / "toy"
    package.mkdir()
    for name, text in PACKAGE.items():
        (package / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    stages = project / "src" / "helpers" / "pipeline" / "stages.py"
    stages.write_text(stages.read_text(encoding="utf-8") + STAGE_ENTRIES, encoding="utf-8")
    for name, (parameters, code) in NOTEBOOKS.items():
        cells = [new_code_cell(parameters, metadata={"tags": ["parameters"]}), new_code_cell(code)]
        nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}}),
                       project / "notebooks" / name)
    with open(project / "params.yaml", "a", encoding="utf-8") as params:
        params.write("\ntoy:\n  scale: 10\n\ntoy_report:\n  title: Toy counts by practice\n")
    inputs = project / "data" / "raw" / "toy_counts"
    inputs.mkdir()
    pd.DataFrame({"practice": ["A81001", "A81002"], "count": [3, 4]}).to_csv(inputs / "counts.csv", index=False)


def _pipeline(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(project / "src"))  # the copy's package, with the toy domain
    return subprocess.run([sys.executable, "-m", "helpers.pipeline", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=1800)


def test_a_toy_stage_added_as_the_readme_says_runs_and_is_published(published_sample, tmp_path):
    source, _ = published_sample
    project = tmp_path / "project"
    shutil.copytree(source, project, symlinks=True)
    _add_toy_domain(project)

    assert _pipeline(project, "dvc-yaml").returncode == 0
    assert "cleanse_toy:" in (project / "dvc.yaml").read_text(encoding="utf-8")
    run = _pipeline(project, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Running stage 'cleanse_toy'" in run.stdout and "Running stage 'report_toy'" in run.stdout

    counts = pd.read_parquet(project / "data" / "processed" / "toy_counts.parquet")
    assert counts["count"].tolist() == [30, 40]  # its settings reached it
    edition = project / "reports" / "latest"
    page = BeautifulSoup((edition / "toy-counts.html").read_text(encoding="utf-8"), "html.parser")
    assert "Toy counts by practice" in page.get_text() and "A81002" in page.get_text()
    index = BeautifulSoup((edition / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "toy-counts.html" in {a["href"] for a in index.find_all("a")}
    board = (edition / "board-paper.html").read_text(encoding="utf-8")
    assert "Toy counts by practice" in board  # its board section, after the other domains'

    check = _pipeline(project, "check", "--inputs", "data/raw")
    assert check.returncode == 0, check.stderr
    assert "OK   cleanse_toy: read counts.csv" in check.stdout
