"""Practice packs: one HTML page per practice, the practice's results against its peers.

Design: what every pack of an organisation shares is computed once for all of them: the
processed tables and the organisation's published (suppressed) indicators and scores
(:func:`helpers.domains.scorecard.report.load`), the peer funnel plots, drawn once as a
picture with each practice's place on it (:class:`~helpers.domains.scorecard.report.FunnelLayer`),
and the spine chart of the ICB's practices (:class:`~helpers.domains.scorecard.report.SpineLayer`).
A pack then costs its own table, its own circles and points on copies of those pictures, its small
trend charts (one figure, its lines moved for each) and its page. Packs
are rendered on every core when there are enough of them to pay for starting the processes
(:func:`render`): each process is handed the shared work, not made to repeat it.

``notebooks/templates/practice_pack.ipynb`` shows one practice's pack in JupyterLab with the
same functions (:func:`helpers.domains.scorecard.report.pack_heading` and ``practice_pack``);
the pages the stage publishes are assembled here, without a kernel or nbconvert per pack.

Packs are read from file shares and printed: each goes into the house page shell with the
practice's name as title, links back to the scorecard and the edition's index, and print CSS for
two A4 pages (:func:`pack_page`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import sys
import threading
import time
from pathlib import Path

from helpers.core.config import Project
from helpers.domains.scorecard import report as scorecard_report
from helpers.domains.scorecard.report import PACKS_DIR, FunnelLayer, ReportData, SpineLayer, pack_file
from helpers.domains.scorecard.settings import ReportSettings
from helpers.render import html, template

log = logging.getLogger(__name__)

PACK_NOTEBOOK = "notebooks/templates/practice_pack.ipynb"  # one pack, in JupyterLab
# Links from a pack, which sits in the edition's packs/ folder; the scorecard's file name is the
# one the stage registry publishes it as (tests/test_packs.py keeps the two in step).
SCORECARD_PAGE = "../gp-practice-scorecard.html"
EDITION_INDEX = "../index.html"

# A pack prints on two A4 pages: the summary and table on the first (its last rows go on over the
# page where the list of what to look at is long); the spine chart, the trends and the funnel plots
# on the second. The table is laid out to the printed width (fixed columns,
# small type, wrapping) so that no column is cut off, and the figures are scaled to what is left
# of a page. The trends sit side by side, in print as on screen.
PACK_CSS = """
.sparklines { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 0 12px; }
.sparklines figure { margin: 4px 0 8px; }
.sparklines figure img { width: 100%; }
.sparklines figcaption, .spine figcaption { font-size: 0.85em; }
details.spine-data { margin: 0 0 12px; }
@media print {
  @page { size: A4; margin: 12mm; }
  html { font-size: 9pt; line-height: 1.3; }
  header.masthead .title { font-size: 15pt; }
  h1 { font-size: 14pt; margin: 6pt 0 2pt; }
  h2, h2.keep { break-before: auto; break-after: avoid; font-size: 11pt; margin: 6pt 0 3pt; }
  .banner { margin: 4pt 0; padding: 4pt 8pt; }
  .kpis { gap: 4pt; margin: 4pt 0; }
  .kpi { min-width: 0; padding: 2pt 5pt; border-top-width: 3pt; }
  .kpi .value { font-size: 10.5pt; line-height: 1.2; }
  .kpi .label { font-size: 7pt; line-height: 1.2; }
  p { margin: 3pt 0; }
  table.report { width: 100%; min-width: 0; table-layout: fixed; font-size: 7.5pt; margin: 4pt 0; }
  table.report { break-inside: auto; }  /* a long table goes on over the page, a row never split */
  table.report tr { break-inside: avoid; }
  table.report th, table.report td { padding: 2pt 3pt; overflow-wrap: break-word; }
  table.report th { font-size: 7pt; }
  table.report th:nth-child(1), table.report th:nth-child(3), table.report th:nth-child(4),
  table.report th:nth-child(7) { width: 6.5%; }
  table.report th:nth-child(2) { width: 14%; }
  table.report th:nth-child(5), table.report th:nth-child(6) { width: 7%; }
  table.report th:nth-child(8) { width: 7.5%; }
  table.report th:nth-child(9), table.report th:nth-child(10) { width: 9%; }
  table.report th:nth-child(11) { width: 11.5%; }
  table.report th:nth-child(12) { width: 9%; }
  .status { white-space: normal; padding: 0 2pt; }
  details.spine-data { display: none; }
  figure { break-inside: avoid; margin: 3pt 0; }
  figure img { display: block; width: auto; max-width: 100%; max-height: 225mm; margin: 0 auto; }
  figcaption { font-size: 7.5pt; }
  .trends { break-inside: avoid; }
  .sparklines { grid-template-columns: repeat(5, 1fr); gap: 0 4mm; }
  .sparklines figure img { width: 100%; max-height: none; }
  footer { padding: 4pt 0; font-size: 7pt; }
}
"""


def pack_facts(data) -> dict:
    """What every pack's page names besides its body: practice names, the ICB and month, code version."""
    practices = data.tables["practices"]
    practices = practices[practices["practice_code"].isin(data.codes)]
    names = practices.set_index("practice_code")["practice_name"].astype(str)
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


MIN_PACKS_PER_PROCESS = 40  # fewer, and starting a process costs more than it saves


def default_workers() -> int:
    """One process per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def pack_body(data: ReportData, practice_code: str) -> str:
    """A pack's content: its heading (and the synthetic banner), then the pack itself."""
    return scorecard_report.pack_heading(data, practice_code) + "\n" + scorecard_report.practice_pack(data, practice_code)


def write_pack(data: ReportData, practice_code: str, facts: dict, out_dir: Path) -> Path:
    path = out_dir / pack_file(practice_code)
    path.write_text(pack_page(pack_body(data, practice_code), practice_code, facts), encoding="utf-8")
    return path


def for_packs(data: ReportData, codes: list[str]) -> ReportData:
    """``data`` cut to what packs of ``codes`` read (their practices' rows, not all England's
    tables): what crosses to the processes that render them."""
    practices = data.tables["practices"]
    tables = {"practices": practices[practices["practice_code"].isin(codes)],
              "provenance": data.tables["provenance"]}
    return dataclasses.replace(data, tables=tables)


def render(data: ReportData, codes: list[str], facts: dict, out_dir: Path, *, workers: int | None = None,
           layers: list[FunnelLayer] | None = None) -> list[Path]:
    """Write a pack for each of ``codes`` into ``out_dir``; on ``workers`` processes (default: one
    per core) when there are at least :data:`MIN_PACKS_PER_PROCESS` packs for each, else here. The
    funnel layers (one per set of indicators the practices have values for) and the spine layers (one
    per set of indicators their tables show) are drawn first, once, and handed to the processes."""
    if layers is None:
        layers = scorecard_report.funnel_layers(data.indicators, data.catalogue, codes)
    spines = scorecard_report.spine_layers(data.indicators, codes)
    workers = max(1, min(workers or default_workers(), len(codes) // MIN_PACKS_PER_PROCESS))
    started = time.perf_counter()
    if workers == 1:
        scorecard_report.ensure_layers(data.indicators, data.catalogue, layers)
        scorecard_report.use_spine_layers(data.indicators, spines)
        written = [write_pack(data, code, facts, out_dir) for code in codes]
    else:
        written = _render_in_processes(for_packs(data, codes), codes, facts, out_dir, workers, layers, spines)
    log.info("%d packs in %.1f s on %d process(es)", len(written), time.perf_counter() - started, workers)
    return written


def _render_in_processes(data: ReportData, codes: list[str], facts: dict, out_dir: Path, workers: int,
                         layers: list[FunnelLayer], spines: list[SpineLayer]) -> list[Path]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork where this process runs one thread (it has done the shared work: the processes start
    # with it); else forkserver: forked from a clean process that has imported the report module,
    # not from this one (a kernel, with threads); spawn where there is no fork at all
    methods = multiprocessing.get_all_start_methods()
    method = ("fork" if "fork" in methods and threading.active_count() == 1
              else "forkserver" if "forkserver" in methods else "spawn")
    context = multiprocessing.get_context(method)
    main = sys.modules["__main__"]
    if not hasattr(main, "__spec__"):  # a kernel's namespace reset removes it; the start methods read it
        main.__spec__ = None
    if method == "forkserver":
        context.set_forkserver_preload(["helpers.domains.scorecard.report"])
    chunks = [codes[i::workers * 4] for i in range(workers * 4)]  # interleaved: even work each
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_start,
                             initargs=(data, facts, out_dir, layers, spines)) as pool:
        done = list(pool.map(_worker_render, [c for c in chunks if c]))
    by_code = {path.stem: path for paths in done for path in paths}
    return [by_code[pack_file(code)[:-5]] for code in codes]


_WORKER: dict = {}


def _worker_start(data: ReportData, facts: dict, out_dir: Path, layers: list[FunnelLayer],
                  spines: list[SpineLayer]) -> None:
    scorecard_report.ensure_layers(data.indicators, data.catalogue, layers)
    scorecard_report.use_spine_layers(data.indicators, spines)
    _WORKER.update(data=data, facts=facts, out_dir=out_dir)


def _worker_render(codes: list[str]) -> list[Path]:
    return [write_pack(_WORKER["data"], code, _WORKER["facts"], _WORKER["out_dir"]) for code in codes]


def index_page(entries: list[dict], *, title: str, synthetic: bool, label: str = "", month: str = "") -> str:
    """``build/packs/index.html``: a link per practice (code, name, band); ``label`` names the ICB and
    data month in its masthead (``Edition.label``)."""
    body = template("scorecard/packs_index.html", title=title, entries=entries, month=month or "the month")
    return html.shell(title, body, subtitle=f"Practice packs: {label}" if label else "Practice packs",
                      synthetic=synthetic, edition="Edition: not yet published",
                      links=[("GP practice balanced scorecard", SCORECARD_PAGE), ("Edition index", EDITION_INDEX)])


def build_all(project: Project, settings: ReportSettings, *, out_dir: Path | None = None,
              workers: int | None = None) -> list[dict]:
    """Packs for every practice in the organisation, and their index, in ``build/packs``.

    They are built in a hidden folder beside it and swapped in whole, so a run stopped part way
    leaves the last complete set (and a practice that left the organisation keeps no page).
    """
    from helpers.core.provenance import replace_dir

    root, title = project.root, settings.title
    out_dir = out_dir or (project.out or root) / PACKS_DIR
    data = scorecard_report.load(project, settings)
    practices = sorted(data.codes)  # every practice open in the month, with figures or not (its pack says)
    names = data.tables["practices"].set_index("practice_code")["practice_name"]
    bands = data.scores.set_index("practice_code")["band"]
    staging = out_dir.with_name(f".{out_dir.name}.building")
    shutil.rmtree(staging, ignore_errors=True)  # a stopped run's
    staging.mkdir(parents=True)
    render(data, practices, pack_facts(data), staging, workers=workers)
    entries = [{"practice_code": c, "name": str(names.get(c, "")), "band": str(bands.get(c, "Not scored")),
                "file": pack_file(c)} for c in practices]
    synthetic = data.synthetic
    (staging / "index.html").write_text(index_page(entries, title=f"{title}: practice packs", synthetic=synthetic,
                                                   label=data.edition.label, month=data.edition.month_name),
                                        encoding="utf-8")
    replace_dir(staging, out_dir)
    return entries
