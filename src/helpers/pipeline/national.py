"""The national run: every ICB's edition and every open practice's pack, in one run, on Dask.

``python -m helpers.pipeline national`` (``make national``), holding the run lock:

1. The national data is read and checked once: the cleanse stages are brought up to date as
   ``run`` brings them (:func:`helpers.pipeline.runner.run` with them as targets, recorded in
   ``dvc.lock``). No ICB reads a publisher file again; every task reads the processed tables.
2. The ICBs are those in the RTT extract (its ICB rows); the practices those open in the
   edition's month (:func:`helpers.domains.organisation.measures.is_open`), each under its ICB.
3. On a Dask cluster (``dask.distributed``: a LocalCluster of one worker process per core by
   default, or the scheduler at ``--scheduler ADDRESS``, whose workers see this project folder
   at the same path), each ICB's pages are one task (:func:`icb_pages`: its report notebooks
   executed for that ICB on a kernel the worker keeps, and converted as publish converts them;
   then its board measures, made from the measures stage's tables with that ICB's rows and
   charted with SPC, written under ``build/national/<ICB>/``, and its board paper executed on
   them), and each practice's pack is one task. The work every pack of an ICB shares is one task too
   (:func:`prepare_packs`), computed once and handed to its packs' tasks.
4. As each ICB's tasks finish, its folder (built hidden beside it) is swapped into
   ``reports/national/<ICB code>/`` in one rename, as an ICB edition is; then the national index
   ``reports/national/index.html`` links every ICB's edition.

A task that fails is reported with its ICB or practice and does not stop the others: an ICB whose
pages failed keeps its last edition; one whose pack failed is published without that pack, and
says so. A progress bar shows the tasks done and left; the run ends with the ICBs and packs
published, the failures, the seconds taken and each worker's peak memory. Exit 0 when every task
succeeded, else 1 (internal error) with everything else published.

The ICB edition is made by an ``edition`` function (:data:`EditionPages`): given the project
root, an ICB's code and a folder, it writes the ICB's pages there and returns their index
entries. :func:`icb_pages` is the default.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from helpers.core.errors import EXIT_INTERNAL, EXIT_OK

NATIONAL = Path("reports/national")
STAGING = ".staging-"
# the report stages whose pages make an ICB's edition: those about one ICB that read only tables
# every ICB shares; then the board paper, on the ICB's own board tables (BOARD_STAGE)
EDITION_STAGES = ("report_rtt", "report_scorecard")
BOARD_STAGE = "board_paper"

EditionPages = Callable[[Path, str, Path], list[dict]]


@dataclass(frozen=True)
class Icb:
    code: str
    name: str


# --- what the run covers ------------------------------------------------------------------------

def icbs(root: Path) -> list[Icb]:
    """Every ICB in the processed RTT summary (the extract's ICB rows), by code, named as the
    organisation tables name it (an ICB they do not know fails as its own task)."""
    import pandas as pd

    from helpers.core.config import Project

    project = Project(root)
    summary = pd.read_parquet(project.table_path("rtt", "summary"), columns=["org_level", "org_code", "org_name"])
    rows = summary[summary["org_level"] == "icb"].drop_duplicates("org_code").sort_values("org_code")
    known = pd.read_parquet(project.table_path("organisation", "icbs")).set_index("icb_code")["name"]
    return [Icb(str(c), str(known.get(c, n))) for c, n in zip(rows["org_code"], rows["org_name"])]


def open_practices(root: Path, codes: list[str]) -> dict[str, list[str]]:
    """Each ICB's practices open in the edition's month (the organisation tables' practices, as
    the scorecard's packs take them), by ICB code."""
    import pandas as pd

    from helpers.core.config import Project
    from helpers.domains.organisation import edition
    from helpers.domains.organisation import measures as organisation
    from helpers.pipeline import settings

    project = Project(root)
    month = edition.resolve_month(str(settings.edition(root)["period"]), edition.months(project))
    practices = pd.read_parquet(project.table_path("organisation", "practices"))
    opened = practices[organisation.is_open(practices, month) & practices["icb_code"].isin(codes)]
    return {code: sorted(opened.loc[opened["icb_code"] == code, "practice_code"]) for code in codes}


# --- the tasks (run on the workers) -------------------------------------------------------------

def _stage_settings(root: Path, stage: str, code: str):
    """A report stage's settings from params.yaml, for the edition of ICB ``code``."""
    from helpers.pipeline import settings, stages

    return settings.for_stage(stages.by_name()[stage], root, chosen={"organisation": code})


_KERNEL: dict = {}


def _kernel(root: Path):
    """The worker's kernel, started on its first ICB and reused for every later one."""
    from helpers.pipeline import kernels

    kernel = _KERNEL.get("kernel")
    if kernel is None:
        kernel = kernels.Kernel(os.getpid(), root)
        kernel.start()
        _KERNEL["kernel"] = kernel
    else:
        kernel.reset()
    return kernel


def icb_pages(root: Path, code: str, folder: Path) -> list[dict]:
    """The default :data:`EditionPages`: each of :data:`EDITION_STAGES`' notebooks executed for
    ICB ``code`` (on the worker's kernel), then the board paper's on the ICB's own board tables
    (:func:`helpers.domains.board.editions.write_for_icb`, under ``build/national/<ICB>``), each
    converted as publish converts it into ``folder``, with the executed notebook kept under
    ``audit/`` and the edition's provenance record beside them; every page's masthead names the
    ICB and month. Returns the index entries."""
    from helpers.core import provenance
    from helpers.core.config import Project
    from helpers.domains.board import editions
    from helpers.domains.organisation import edition
    from helpers.pipeline import publish, settings

    project = Project(root)
    label = edition.load(project, code, str(settings.edition(root)["period"])).label
    merged = provenance.merged(project.processed)
    entries = [_page(root, name, code, folder, label, merged) for name in EDITION_STAGES]
    own = editions.write_for_icb(project, code, editions.icb_folder(root, code))
    board = provenance.merged(own.processed_files("*_provenance.json"))
    entries.append(_page(root, BOARD_STAGE, code, folder, label, board, tables=own.out))
    provenance.write_json(folder / publish.PROVENANCE, board)  # every page's "Sources and provenance"
    return entries


def _page(root: Path, name: str, code: str, folder: Path, label: str, merged: dict,
          tables: Path | None = None) -> dict:
    """Stage ``name``'s notebook executed for ICB ``code`` (reading ``tables`` first, when given) and
    converted into ``folder``; its index entry."""
    from helpers.core import provenance
    from helpers.pipeline import kernels, publish, stages

    spec = stages.by_name()[name]
    audit = folder / "audit"
    audit.mkdir(parents=True, exist_ok=True)
    executed = audit / Path(spec.notebook).name
    partial = audit / f".{executed.stem}.running.ipynb"
    parameters = {"settings": _stage_settings(root, name, code).as_dict()}
    if spec.tables:
        parameters["tables"] = None if tables is None else tables.relative_to(root).as_posix()
    kernels.execute(_kernel(root), root / spec.notebook, partial, parameters)
    os.replace(partial, executed)
    title, file = spec.document
    document = publish.Document(title=title, file=file, executed=executed,
                                domains=() if name == BOARD_STAGE else (spec.domain,))
    page = publish.board_page(executed, title=title, subtitle=label, provenance=merged,
                              synthetic=document.synthetic(merged))
    provenance.write_text(folder / file, page)
    return {"title": title, "href": file, "note": ""}


@dataclass
class SharedPacks:
    """What every pack of one ICB shares, computed once (one task) and handed to each pack's task."""

    code: str
    data: object    # scorecard ReportData, cut to the ICB's packs
    layers: list    # its FunnelLayers, one per set of indicators its practices have values for
    facts: dict
    codes: list[str]
    entries: list[dict] = field(default_factory=list)


def prepare_packs(root: Path, code: str, practices: list[str]) -> SharedPacks:
    from helpers.core.config import Project
    from helpers.domains.scorecard import packs, report

    data = report.load(Project(root), _stage_settings(root, "packs_scorecard", code))
    codes = [c for c in practices if c in data.codes]  # open in the month: with figures or not (its pack says)
    names = data.tables["practices"].set_index("practice_code")["practice_name"]
    bands = data.scores.set_index("practice_code")["band"]
    entries = [{"practice_code": c, "name": str(names.get(c, "")), "band": str(bands.get(c, "Not scored")),
                "file": packs.pack_file(c)} for c in codes]
    return SharedPacks(code, packs.for_packs(data, codes), report.funnel_layers(data.indicators, data.catalogue, codes),
                       packs.pack_facts(data), codes, entries)


def render_pack(shared: SharedPacks, practice_code: str, folder: Path) -> str:
    from helpers.domains.scorecard import packs, report

    data = shared.data
    report.ensure_layers(data.indicators, data.catalogue, shared.layers)
    folder.mkdir(parents=True, exist_ok=True)
    return packs.write_pack(data, practice_code, shared.facts, folder).name


def _peak_memory_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- publishing (here, as tasks finish) ---------------------------------------------------------

def _staging(out: Path, code: str) -> Path:
    return out / f"{STAGING}{code}"


def publish_icb(out: Path, icb: Icb, entries: list[dict], shared: SharedPacks | None, failed_packs: dict[str, str],
                title: str) -> Path:
    """Finish ICB ``icb``'s folder (its packs' index and its own) and swap it in whole."""
    from helpers.core import provenance
    from helpers.domains.scorecard import packs
    from helpers.render import html, template

    staging = _staging(out, icb.code)
    entries = list(entries)
    stamp = f"ICB edition {icb.code}, national run of {time.strftime('%d %B %Y %H:%M UTC', time.gmtime())}"
    if shared is not None:
        for page in (staging / "packs").glob("*.html"):  # made before the edition: told which it is in
            page.write_text(html.stamp_edition(page.read_text(encoding="utf-8"), stamp), encoding="utf-8")
        done = [e for e in shared.entries if e["practice_code"] not in failed_packs]
        (staging / "packs").mkdir(parents=True, exist_ok=True)
        provenance.write_text(staging / "packs" / "index.html",
                              packs.index_page(done, title=f"{icb.name}: practice packs",
                                               synthetic=bool(shared.data.synthetic)))
        entries.append({"title": "Practice packs", "href": "packs/index.html", "note": f"({len(done)} pages)"})
    body = template("national/icb_index.html", name=icb.name, code=icb.code, entries=entries,
                    missing=sorted(failed_packs.items()))
    provenance.write_text(staging / "index.html", html.page(f"{title}: {icb.name}", body,
                                                             subtitle=f"ICB edition {icb.code}"))
    return provenance.replace_dir(staging, out / icb.code)


def national_index(out: Path, known: list[Icb], failures: list[str], title: str) -> Path:
    """``reports/national/index.html``: a link to every ICB's edition there is (this run's or an
    earlier one), and what failed in this run."""
    from helpers.core import provenance
    from helpers.render import html, template

    names = {i.code: i.name for i in known}
    published = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")
                       and (p / "index.html").exists())
    body = template("national/index.html", title=title, failures=failures,
                    published=[(code, names.get(code, code)) for code in published])
    return provenance.write_text(out / "index.html", html.page(f"{title}: every ICB", body,
                                                                 subtitle="National run"))


# --- the run ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    icbs: list[str] = field(default_factory=list)      # published
    packs: int = 0
    failures: list[str] = field(default_factory=list)  # one line each: ICB or practice, and why
    seconds: float = 0.0
    peak_mb: dict[str, float] = field(default_factory=dict)  # per worker

    @property
    def code(self) -> int:
        return EXIT_OK if not self.failures else EXIT_INTERNAL


def _message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]


def cluster(scheduler: str | None, workers: int | None):
    """A Dask client: on the scheduler at ``scheduler``, or on a LocalCluster of ``workers``
    single-threaded worker processes (default: one per core) listening on this machine only."""
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado"):  # their start and stop chatter: the run says what matters
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        return Client(scheduler), None
    from helpers.pipeline.runner import default_jobs

    local = LocalCluster(n_workers=workers or default_jobs(), threads_per_worker=1, processes=True,
                         host="127.0.0.1", dashboard_address=None, memory_limit=0, silence_logs=logging.ERROR)
    return Client(local), local


def publish_all(root: Path, *, client, edition: EditionPages = icb_pages, only: list[str] | None = None,
                out: Path | None = None, title: str = "Commissioner performance reports",
                progress: bool = True) -> Outcome:
    """Every ICB's edition and every open practice's pack on the Dask ``client`` (see the module)."""
    from distributed import as_completed
    from tqdm import tqdm

    started = time.monotonic()
    out = out or root / NATIONAL
    out.mkdir(parents=True, exist_ok=True)
    for leftover in out.glob(f"{STAGING}*"):  # a killed run's
        shutil.rmtree(leftover, ignore_errors=True)
    known = [i for i in icbs(root) if only is None or i.code in only]
    practices = open_practices(root, [i.code for i in known])
    outcome = Outcome()
    futures: dict = {}  # future -> (kind, ICB code, practice code or None)
    for icb in known:
        staging = _staging(out, icb.code)
        staging.mkdir(parents=True)
        futures[client.submit(edition, root, icb.code, staging, key=f"pages-{icb.code}", pure=False)] = \
            ("pages", icb.code, None)
        if practices[icb.code]:
            shared = client.submit(prepare_packs, root, icb.code, practices[icb.code], key=f"shared-{icb.code}",
                                   pure=False)
            futures[shared] = ("shared", icb.code, None)
            for practice in practices[icb.code]:
                futures[client.submit(render_pack, shared, practice, staging / "packs", key=f"pack-{practice}",
                                      pure=False)] = ("pack", icb.code, practice)
    left = {i.code: sum(1 for k in futures.values() if k[1] == i.code) for i in known}
    pages: dict[str, list[dict] | None] = {}
    shared_of: dict[str, SharedPacks | None] = {}
    failed_packs: dict[str, dict[str, str]] = {i.code: {} for i in known}
    by_code = {i.code: i for i in known}
    bar = tqdm(total=len(futures), desc="national run", unit="task", disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    for future in as_completed(list(futures)):
        kind, code, practice = futures[future]
        try:
            value = future.result()
        except Exception as exc:  # reported with its ICB or practice; the others go on
            value = None
            if kind == "pages":
                outcome.failures.append(f"ICB {code}: its pages failed: {_message(exc)}")
            elif kind == "shared":
                outcome.failures.append(f"ICB {code}: its packs' shared work failed: {_message(exc)}")
            elif _shared_failed(futures, code):  # reported once, as the ICB's
                failed_packs[code][practice] = "the ICB's shared work failed"
            else:
                failed_packs[code][practice] = _message(exc)
                outcome.failures.append(f"practice {practice} (ICB {code}): its pack failed: {_message(exc)}")
        if kind == "pages":
            pages[code] = value
        elif kind == "shared":
            shared_of[code] = value
        elif value is not None:
            outcome.packs += 1
        left[code] -= 1
        bar.update(1)
        bar.set_postfix(failed=len(outcome.failures), refresh=False)
        if left[code] == 0:
            _finish_icb(out, by_code[code], pages.get(code), shared_of.get(code), failed_packs[code], title, outcome)
    bar.close()
    national_index(out, known, outcome.failures, title)
    outcome.seconds = time.monotonic() - started
    try:
        outcome.peak_mb = {str(w): float(mb) for w, mb in client.run(_peak_memory_mb).items()}
    except Exception:  # a scheduler that will not run it: the figures are left out
        outcome.peak_mb = {}
    return outcome


def _shared_failed(futures: dict, code: str) -> bool:
    """Whether ICB ``code``'s shared packs task failed (its packs then fail with it)."""
    return any(kind == "shared" and c == code and f.status == "error" for f, (kind, c, _p) in futures.items())


def _finish_icb(out: Path, icb: Icb, entries: list[dict] | None, shared: SharedPacks | None,
                failed_packs: dict[str, str], title: str, outcome: Outcome) -> None:
    staging = _staging(out, icb.code)
    if entries is None:  # its pages failed: the last edition stays
        shutil.rmtree(staging, ignore_errors=True)
        return
    try:
        publish_icb(out, icb, entries, shared, failed_packs, title)
        outcome.icbs.append(icb.code)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        outcome.failures.append(f"ICB {icb.code}: publishing its edition failed: {_message(exc)}")


def summary_text(outcome: Outcome) -> str:
    peak = ", ".join(f"{mb:.0f} MB" for mb in outcome.peak_mb.values()) or "not reported"
    lines = [f"National run: {len(outcome.icbs)} ICB editions and {outcome.packs} practice packs published in "
             f"{outcome.seconds:.1f} s; peak memory per worker: {peak}"]
    if outcome.failures:
        lines.append(f"{len(outcome.failures)} task(s) failed (the others were published):")
        lines += [f"  {line}" for line in outcome.failures]
    return "\n".join(lines)


def national_main(inputs: list[str], scheduler: str | None = None, workers: int | None = None,
                  only: list[str] | None = None) -> int:
    """``python -m helpers.pipeline national``: see the module."""
    from helpers.core.config import project_root
    from helpers.core.errors import EXIT_LOCKED, PipelineError
    from helpers.pipeline import inputs as run_inputs
    from helpers.pipeline import lock as runlock
    from helpers.pipeline import runner, settings, stages
    from helpers.pipeline.cli import _title

    root = project_root()
    command = f"python -m helpers.pipeline national --inputs {' '.join(map(str, inputs))}"
    try:
        lock = runlock.acquire(root / runlock.LOCK_FILE, command)
    except runlock.Locked as exc:
        print(f"ERROR: {exc}\nThis run did nothing (exit {EXIT_LOCKED}: locked).", file=sys.stderr, flush=True)
        return EXIT_LOCKED
    with lock:
        try:
            found, missing = run_inputs.locate_sources(inputs, stages.sources(), root)
            if missing:
                print(f"ERROR: {run_inputs.missing_sources_message(missing, inputs)}", file=sys.stderr)
                return 3
            scope = settings.edition(root)  # the cleanse stages that take one: params.yaml's
            settings.check_all(root, scope)
            run_inputs.write_run_file(found, root, scope)
            print("Reading and checking the national data (the cleanse stages) ...", flush=True)
            code = runner.run(root, targets=[s.name for s in stages.cleanse_stages()],
                              pass_fds=(lock.fd,) if os.name == "posix" else ())
            if code != EXIT_OK:
                print("The national data did not pass its checks; nothing was published.", file=sys.stderr)
                return code
        except PipelineError as exc:
            print(f"ERROR: {exc}", file=sys.stderr, flush=True)
            return exc.exit_code
        client, local = cluster(scheduler, workers)
        try:
            print(f"Dask: {len(client.scheduler_info().get('workers', {}))} worker(s)"
                  + (f" at {scheduler}" if scheduler else " on this machine"), flush=True)
            outcome = publish_all(root, client=client, only=only, title=_title(settings.load_params(root)))
        except Exception:
            traceback.print_exc()
            return EXIT_INTERNAL
        finally:
            client.close()
            if local is not None:
                local.close()
        print(summary_text(outcome), flush=True)
        record = {"icbs": outcome.icbs, "packs": outcome.packs, "failures": outcome.failures,
                  "seconds": round(outcome.seconds, 1), "peak_mb_per_worker": outcome.peak_mb}
        from helpers.core.provenance import write_text

        write_text(root / "build" / "national_run.json", json.dumps(record, indent=1))
        print(f"Open {root / NATIONAL / 'index.html'}", flush=True)
        return outcome.code
