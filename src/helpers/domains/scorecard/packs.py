"""Practice packs: one HTML page per practice from one parameterised notebook.

Design: Papermill parameterises the pack notebook for each practice (its injected-parameters
cell, exactly as ``papermill -p``), nbclient executes it in **one kernel started once** and
reused for every practice, and nbconvert renders it with **one exporter** (template loaded
once). So the kernel start, the imports and the processed tables are paid once, not per pack;
each pack is still a complete executed notebook rendered to HTML (no code cells), and the
notebook runs alone in JupyterLab with its default practice. The pack notebook re-runs all its
cells for each practice, so no state from one pack leaks into the next (every figure it shows
is rebuilt from the parameters).
"""

from __future__ import annotations

import copy
import logging
import shutil
import time
from pathlib import Path

import nbformat

from helpers.core.config import Project
from helpers.domains.scorecard.settings import ReportSettings
from helpers.render import html

log = logging.getLogger(__name__)

PACK_NOTEBOOK = "notebooks/templates/practice_pack.ipynb"
PACKS_DIR = "build/packs"


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def _strip_parameter_cells(nb):
    nb.cells = [c for c in nb.cells if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    return nb


def pack_file(practice_code: str) -> str:
    return f"{practice_code}.html"


def generate(root: Path, practice_codes: list[str], params: dict, *, out_dir: Path | None = None,
             notebook: Path | None = None, kernel_name: str = "python3", timeout: int = 600) -> list[Path]:
    """Execute the pack notebook once per practice in one reused kernel; write ``<code>.html`` each."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from papermill.parameterize import parameterize_notebook

    out_dir = out_dir or root / PACKS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    template = nbformat.read(notebook or root / PACK_NOTEBOOK, as_version=4)
    for cell in template.cells:  # as papermill's own loader does: every cell gets a tags list
        cell.metadata.setdefault("tags", [])
    template.metadata.setdefault("papermill", {})
    exporter = _exporter()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(cwd=str(root))
    written = []
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        started = time.perf_counter()
        for code in practice_codes:
            nb = parameterize_notebook(copy.deepcopy(template), {**params, "practice_code": code},
                                       kernel_name=kernel_name, language="python")
            client = NotebookClient(nb, km=km, timeout=timeout, kernel_name=kernel_name,
                                    resources={"metadata": {"path": str(root)}})
            client.kc = kc
            client.reset_execution_trackers()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            body, _ = exporter.from_notebook_node(_strip_parameter_cells(nb))
            path = out_dir / pack_file(code)
            path.write_text(body, encoding="utf-8")
            written.append(path)
        log.info("%d packs in %.1f s", len(written), time.perf_counter() - started)
    finally:
        try:
            kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
    return written


def index_page(entries: list[dict], *, title: str, synthetic: bool) -> str:
    """``build/packs/index.html``: a link per practice (code, name, band)."""
    rows = "".join(f'<li><a href="{html.esc(e["file"])}">{html.esc(e["practice_code"])} {html.esc(e["name"])}</a>'
                   f' - {html.esc(e["band"])}</li>' for e in entries)
    body = f"<h1>{html.esc(title)}</h1><p>One page per practice: its results against its peers.</p><ul>{rows}</ul>"
    return html.page(title, body, subtitle="Practice packs", synthetic=synthetic)


def build_all(project: Project, settings: ReportSettings, *, out_dir: Path | None = None) -> list[dict]:
    """Packs for every practice in the organisation, and their index, in ``build/packs``.

    They are built in a hidden folder beside it and swapped in whole, so a run stopped part way
    leaves the last complete set (and a practice that left the organisation keeps no page).
    """
    from helpers.core.provenance import replace_dir
    from helpers.domains.scorecard import report as scorecard_report

    root, title = project.root, settings.title
    out_dir = out_dir or (project.out or root) / PACKS_DIR
    data = scorecard_report.load(project, settings)
    practices = sorted(data.codes)  # every practice open in the month, with figures or not (its pack says)
    names = data.tables["practices"].set_index("practice_code")["practice_name"]
    bands = data.scores.set_index("practice_code")["band"]
    staging = out_dir.with_name(f".{out_dir.name}.building")
    shutil.rmtree(staging, ignore_errors=True)  # a stopped run's
    staging.mkdir(parents=True)
    generate(root, practices, {"settings": settings.as_dict()}, out_dir=staging)
    entries = [{"practice_code": c, "name": str(names.get(c, "")), "band": str(bands.get(c, "Not scored")),
                "file": pack_file(c)} for c in practices]
    synthetic = data.synthetic
    (staging / "index.html").write_text(index_page(entries, title=f"{title}: practice packs", synthetic=synthetic),
                                        encoding="utf-8")
    replace_dir(staging, out_dir)
    return entries
