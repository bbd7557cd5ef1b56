"""Practice packs: one HTML page per practice from one parameterised notebook.

Design: Papermill parameterises the pack notebook for each practice (its injected-parameters
cell, exactly as ``papermill -p``), nbclient executes it in **one kernel started once** and
reused for every practice, and nbconvert renders it with **one exporter** (template loaded
once). So the kernel start, the imports and the processed tables are paid once, not per pack;
each pack is still a complete executed notebook rendered to HTML (no code cells), and the
notebook runs alone in JupyterLab with its default practice. The pack notebook re-runs all its
cells for each practice, so no state from one pack leaks into the next (every figure it shows
is rebuilt from the parameters).

Packs are read from file shares and printed: nbconvert's basic template gives the cells' HTML
alone (no require.js, MathJax or notebook CSS), which goes into the house page shell with the
practice's name as title, links back to the scorecard and the edition's index, and print CSS for
two A4 pages (:func:`pack_page`).
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
from helpers.render import html, template

log = logging.getLogger(__name__)

PACK_NOTEBOOK = "notebooks/templates/practice_pack.ipynb"
PACKS_DIR = "build/packs"


# Links from a pack, which sits in the edition's packs/ folder; the scorecard's file name is the
# one the stage registry publishes it as (tests/test_packs.py keeps the two in step).
SCORECARD_PAGE = "../gp-practice-scorecard.html"
EDITION_INDEX = "../index.html"

# A pack prints on two A4 pages: the summary and table on the first, the funnel plots on the
# second. The table is laid out to the printed width (fixed columns, small type, wrapping) so
# that no column is cut off, and the figure is scaled to what is left of a page.
PACK_CSS = """
@media print {
  @page { size: A4; margin: 12mm; }
  html { font-size: 9pt; line-height: 1.3; }
  header.masthead .title { font-size: 15pt; }
  h1 { font-size: 14pt; margin: 6pt 0 2pt; }
  h2, h2.keep { break-before: auto; break-after: avoid; font-size: 11pt; margin: 8pt 0 4pt; }
  .banner { margin: 4pt 0; padding: 4pt 8pt; }
  .kpis { gap: 4pt; margin: 4pt 0; }
  .kpi { min-width: 0; padding: 3pt 6pt; border-top-width: 3pt; }
  .kpi .value { font-size: 12pt; }
  .kpi .label { font-size: 7.5pt; }
  table.report { width: 100%; min-width: 0; table-layout: fixed; font-size: 7.5pt; margin: 4pt 0; }
  table.report th, table.report td { padding: 2pt 3pt; overflow-wrap: break-word; }
  table.report th:nth-child(2) { width: 23%; }
  table.report th:nth-child(8), table.report th:nth-child(9) { width: 10%; }
  table.report th:last-child { width: 12%; }
  .status { white-space: normal; padding: 0 2pt; }
  figure { break-inside: avoid; margin: 4pt 0; }
  figure img { display: block; width: auto; max-width: 100%; max-height: 225mm; margin: 0 auto; }
  footer { padding: 4pt 0; font-size: 7pt; }
}
"""


def _exporter():
    """nbconvert's basic template: the cells' HTML only, none of JupyterLab's page, scripts or styles."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, anchor_link_text="")


def pack_facts(data) -> dict:
    """What every pack's page names besides its body: practice names, the ICB and month, code version."""
    names = data.tables["practices"].set_index("practice_code")["practice_name"].astype(str)
    return {"names": names.to_dict(), "organisation": data.edition.name, "month": data.edition.month_name,
            "code_version": data.tables["provenance"].get("code_version", "unknown")}


def pack_page(body: str, practice_code: str, facts: dict) -> str:
    """A rendered pack notebook in the house page shell, titled with the practice's name."""
    name = facts["names"].get(practice_code)
    title = f"{name} ({practice_code})" if name else practice_code
    footer = (f"Code version {html.esc(facts['code_version'])}. Contains public sector information licensed "
              "under the Open Government Licence v3.0.")
    subtitle = f"Practice pack: GP practice balanced scorecard, {facts['organisation']}, data for {facts['month']}"
    return html.shell(title, body, subtitle=subtitle,
                      footer=footer, links=[("GP practice balanced scorecard", SCORECARD_PAGE),
                                            ("All practice packs", "index.html"), ("Edition index", EDITION_INDEX)],
                      edition="Edition: not yet published", css=PACK_CSS)


def _strip_parameter_cells(nb):
    nb.cells = [c for c in nb.cells if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    return nb


def pack_file(practice_code: str) -> str:
    return f"{practice_code}.html"


def generate(root: Path, practice_codes: list[str], params: dict, facts: dict, *, out_dir: Path | None = None,
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
            path.write_text(pack_page(body, code, facts), encoding="utf-8")
            written.append(path)
        log.info("%d packs in %.1f s", len(written), time.perf_counter() - started)
    finally:
        try:
            kc.stop_channels()
        finally:
            km.shutdown_kernel(now=True)
    return written


def index_page(entries: list[dict], *, title: str, synthetic: bool, label: str = "", month: str = "") -> str:
    """``build/packs/index.html``: a link per practice (code, name, band); ``label`` names the ICB and
    data month in its masthead (``Edition.label``)."""
    body = template("scorecard/packs_index.html", title=title, entries=entries, month=month or "the month")
    return html.shell(title, body, subtitle=f"Practice packs: {label}" if label else "Practice packs",
                      synthetic=synthetic, edition="Edition: not yet published",
                      links=[("GP practice balanced scorecard", SCORECARD_PAGE), ("Edition index", EDITION_INDEX)])


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
    generate(root, practices, {"settings": settings.as_dict()}, pack_facts(data), out_dir=staging)
    entries = [{"practice_code": c, "name": str(names.get(c, "")), "band": str(bands.get(c, "Not scored")),
                "file": pack_file(c)} for c in practices]
    synthetic = data.synthetic
    (staging / "index.html").write_text(index_page(entries, title=f"{title}: practice packs", synthetic=synthetic,
                                                   label=data.edition.label, month=data.edition.month_name),
                                        encoding="utf-8")
    replace_dir(staging, out_dir)
    return entries
