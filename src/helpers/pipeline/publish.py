"""Publishing: executed notebooks -> board HTML, audit copies, GX Data Docs and an index.

The stage registry (``stages.py``) says which executed notebooks become documents and which
build folders (the practice packs, say) are copied in as they are.

Each run builds a complete *edition* in a hidden folder under ``reports/editions/`` and only
then renames it into place and swaps ``reports/index.html`` and the ``reports/latest`` link over
to it. Renames are atomic, so a reader (or a killed run) never meets a half-written report: until
the swap the previous edition is what ``index.html`` shows, and old editions stay browsable until
the retention setting prunes them (see :func:`publish` for the order of the steps).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from helpers.core import quality
from helpers.core.provenance import MIXED, PUBLISHED, SYNTHETIC, TRANSCRIBED, now_utc, remove_path, synthetic_sources, write_text
from helpers.pipeline import datadocs, exports, stages
from helpers.render import html, template

log = logging.getLogger(__name__)

_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")(?![A-Za-z][A-Za-z0-9+.-]*:|#|/|\.\./)')
# cells readers never see: parameters, and the headings and tables an analyst works with in JupyterLab
ANALYST = "analyst"
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", ANALYST}
EDITIONS = "editions"
REPORTS, DOWNLOADS, AUDIT = "reports", exports.GROUP, "audit"  # the index's groups
LATEST = "latest"
STAGING, DELETING = ".staging-", ".deleting-"  # hidden: never linked, cleared by the next publish


def _board_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop parameter and analyst cells and anything else a reader should not see (logs, warnings, errors)."""
    nb = nbformat.from_dict(nb)  # a copy
    kept = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") not in ("stream", "error")]
        kept.append(cell)
    nb.cells = kept
    return nb


class _Exporter(HTMLExporter):
    """nbconvert's HTML exporter less its last step, a pass of the whole page through BeautifulSoup
    to give images without alt text a placeholder and output areas a tabindex: every figure here
    carries its own alt text, and on a board paper of charts that pass is most of the conversion
    (a second a page). The filters it registers first are registered here the same way."""

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name"))
        self.register_filter("highlight_code", self.filters.get("highlight_code",
                                                                Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


_EXPORTERS: dict = {}


def _exporter(with_code: bool):
    """nbconvert's basic template, loaded once per run for each kind of page (seconds, otherwise)."""
    if with_code not in _EXPORTERS:
        _EXPORTERS[with_code] = _Exporter(template_name="basic", exclude_input=not with_code,
                                          exclude_input_prompt=True, exclude_output_prompt=True,
                                          anchor_link_text="")
    return _EXPORTERS[with_code]


BODIES = Path("build/cache/pages")  # under the project root: converted notebooks, by content


def notebook_body(nb: nbformat.NotebookNode, *, with_code: bool) -> str:
    """The cells of an executed notebook as an HTML fragment (no prompts; code only if asked)."""
    body, _ = _exporter(with_code).from_notebook_node(nb if with_code else _board_cells(nb))
    return body


def executed_body(executed: Path, *, with_code: bool, cache: Path | None = None) -> tuple[str, nbformat.NotebookNode]:
    """:func:`notebook_body` of the executed notebook file, and the notebook. With ``cache`` (a
    folder), a body is kept there under the digest of the file's bytes, the kind of page and
    nbconvert's version: a stage that did not run again since is not converted again."""
    import hashlib

    import nbconvert

    raw = executed.read_bytes()
    nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    if cache is None:
        return notebook_body(nb, with_code=with_code), nb
    key = hashlib.sha256(raw + f"\0{with_code}\0{nbconvert.__version__}\0{CACHE_FORMAT}".encode()).hexdigest()
    kept = cache / f"{key}.html"
    if kept.exists():
        os.utime(kept)  # used by this edition: kept by prune_bodies
        return kept.read_text(encoding="utf-8"), nb
    body = notebook_body(nb, with_code=with_code)
    write_text(kept, body)
    return body, nb


CACHE_FORMAT = "2"  # bump when notebook_body or _board_cells change what they make


def prune_bodies(cache: Path, before: float) -> None:
    """Forget the converted notebooks this edition did not use (touched before ``before``)."""
    for path in cache.glob("*.html") if cache.is_dir() else ():
        if path.stat().st_mtime < before:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Document:
    title: str
    file: str          # its file name in the edition
    executed: Path     # the executed notebook it is converted from
    domains: tuple[str, ...] = ()  # whose provenance it shows (its banner); empty: all
    sources: tuple[str, ...] = ()  # the inputs folders its figures come from; empty: by domain

    def synthetic(self, provenance: dict) -> bool:
        """Whether a figure on the page comes from a synthetic file: it then carries the banner.

        By its sources when it names them (a transcribed or real source never makes a page synthetic),
        else by its domains' stage records, else (the board paper) by any input.
        """
        if self.sources:
            return bool(synthetic_sources(provenance, self.sources))
        if not self.domains:
            return bool(provenance.get("synthetic_inputs"))
        return bool(set(self.domains) & set(provenance.get("synthetic_domains", [])))


PROVENANCE = "provenance.json"
# Every report page links back to what it belongs to (report pages sit at the edition's top).
READER_LINKS = (("All reports in this edition", "index.html"), ("Sources and provenance", PROVENANCE))


def _footer(provenance: dict) -> str:
    return template("publish/footer.html", when=now_utc(), code_version=provenance.get("code_version", "unknown"))


def board_page(executed: Path, *, title: str, subtitle: str, provenance: dict, synthetic: bool,
               cache: Path | None = None) -> str:
    body, _ = executed_body(executed, with_code=False, cache=cache)
    return html.shell(title, html.fill_contents(body), subtitle=subtitle, footer=_footer(provenance),
                      synthetic=synthetic, links=READER_LINKS)


def audit_page(executed: Path, *, provenance: dict, cache: Path | None = None) -> str:
    body, nb = executed_body(executed, with_code=True, cache=cache)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    intro = template("publish/audit_intro.html", parameters=json.dumps(params, default=str))
    # outputs link as from the edition's top folder (data-docs/...); audit copies sit one below
    body = _RELATIVE_LINK.sub(r"\1../", body)
    return html.page(f"Audit copy: {executed.name}", intro + body,
                     subtitle="Executed notebook", footer=_footer(provenance),
                     synthetic=provenance.get("synthetic_inputs", False))


def edition_id(provenance: dict, now: dt.datetime | None = None, month: str = "") -> str:
    """``<data month>_<UTC timestamp>``: sorts by data month, then by publication. The month is the
    edition's (``month``, YYYY-MM) when given, else the newest the sources cover.

    The timestamp keeps ids unique per run, so a second run on the same month's data publishes a
    new edition beside the one the board was given rather than overwriting it in place (which
    could not be done atomically, and would lose what was read).
    """
    now = now or dt.datetime.now(dt.UTC)
    month = month or (provenance.get("periods") or ["unknown"])[-1]
    return f"{month}_{now:%Y%m%dT%H%M%S%fZ}"


def edition_label(name: str) -> str:
    """How the index names an edition: its data month and when it was published."""
    month, _, stamp = name.partition("_")
    try:
        data = dt.datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    except ValueError:
        data = month
    try:
        published = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return name
    return f"Data to {data}, published {published.day} {published:%B %Y %H:%M:%S} UTC"


SOURCE_KINDS = {PUBLISHED: "real: files as their publisher issued them",
                SYNTHETIC: "synthetic: generated sample files, not real figures",
                TRANSCRIBED: "transcribed: a historic board paper re-keyed by hand, not current data",
                MIXED: "mixed: some files real, some synthetic or transcribed"}


def source_kinds(provenance: dict) -> list[tuple[str, str]]:
    """(source, what its files are, in words) for every inputs folder the edition read."""
    return [(source, SOURCE_KINDS.get(kind, kind)) for source, kind in (provenance.get("sources") or {}).items()]


def index_page(entries: list[dict], editions: list[str], *, current: str, title: str, provenance: dict,
               at_top: bool, edition: str = "") -> str:
    """The landing page of an edition (``at_top=False``) or of ``reports/`` (``at_top=True``).

    An edition is reached both as ``editions/<id>/`` and as ``latest/``, so its own index links
    only inside itself; the list of editions (``editions``, those kept) is on ``reports/index.html``.
    ``edition`` names its organisation and data month (``Edition.label``); every source read is
    listed as real, synthetic or transcribed.
    """
    earlier = [(f"{EDITIONS}/{e}/index.html", edition_label(e), e) for e in editions if e != current]
    body = template("publish/index.html", entries=entries, prefix=f"{EDITIONS}/{current}/" if at_top else "",
                    reports_group=REPORTS, downloads_group=DOWNLOADS, audit_group=AUDIT,
                    downloads=any(e.get("group") == DOWNLOADS for e in entries), title=title, current=current,
                    label=edition_label(current), periods=provenance.get("periods", []),
                    code_version=provenance.get("code_version", "unknown"),
                    inputs=[(Path(i["file"]).name, i["sha256"][:16]) for i in provenance.get("inputs", [])],
                    at_top=at_top, earlier=earlier, edition=edition, sources=source_kinds(provenance))
    subtitle = f"Published reports: {edition}" if edition else "Published reports"
    return html.page(title, body, subtitle=subtitle, footer=_footer(provenance),
                     synthetic=provenance.get("synthetic_inputs", False))


def _swap_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _published(editions_dir: Path) -> list[str]:
    """Edition ids, oldest first (hidden folders are staging or being deleted)."""
    return sorted(p.name for p in editions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def clear_leftovers(reports: Path) -> list[Path]:
    """Remove what a killed run left half-done: staging and half-deleted editions, temporary files.

    None of them is linked from an index or reached through ``latest``; they are hidden (a dot
    name) until removed. Called at the start of each publish, under the pipeline's run lock.
    """
    editions_dir = reports / EDITIONS
    found = [*reports.glob(".*.tmp"), *editions_dir.glob(f"{STAGING}*"), *editions_dir.glob(f"{DELETING}*")]
    for path in found:
        remove_path(path)
    return found


def _stamp_edition(folder: Path, name: str) -> None:
    """Pages made before the edition (the packs) told which edition they are in."""
    text = f"Edition {name} ({edition_label(name)})"
    for page in folder.rglob("*.html"):
        page.write_text(html.stamp_edition(page.read_text(encoding="utf-8"), text), encoding="utf-8")


@dataclass(frozen=True)
class Page:
    """A reader page made by the pipeline itself rather than from a notebook (the data dictionary)."""
    title: str
    file: str
    body: str  # markup


def _build_edition(staging: Path, root: Path, *, name: str, documents: list[Document], executed: list[Path],
                   validation_dir: Path, provenance: dict, title: str, folders: list[Path],
                   csv_exports: list[str] = (), label: str = "", pages: list[Page] = (),
                   scope: exports.Scope | None = None, cached_docs: bool = False) -> list[dict]:
    """Every file of the edition, its own index last; returns the index's entries.

    ``label`` (the organisation and data month) heads every page's masthead; ``scope`` (its ICB,
    month and practices) is what the downloads are cut to."""
    subtitle = label or f"Edition {name.split('_')[0]}"
    entries = []
    for doc in documents:
        log.info("Converting %s", doc.executed.name)
        (staging / doc.file).write_text(
            board_page(doc.executed, title=doc.title, subtitle=subtitle, provenance=provenance,
                       synthetic=doc.synthetic(provenance), cache=root / BODIES), encoding="utf-8")
        entries.append({"title": doc.title, "href": doc.file, "note": ""})
    for page in pages:
        (staging / page.file).write_text(
            html.shell(page.title, page.body, subtitle=subtitle, footer=_footer(provenance), links=READER_LINKS),
            encoding="utf-8")
        entries.append({"title": page.title, "href": page.file, "note": ""})
    for folder in folders:
        shutil.copytree(folder, staging / folder.name)
        _stamp_edition(staging / folder.name, name)
        index = folder / "index.html"
        if index.exists():  # its <title> names it on the edition's index
            entries.append({"title": html.title_of(index.read_text(encoding="utf-8")) or folder.name,
                            "href": f"{folder.name}/index.html",
                            "note": f"({sum(1 for _ in folder.glob('*.html')) - 1} pages)"})
    processed = root / "data" / "processed"
    entries += exports.write_kept(root, processed, staging / "downloads",
                                  exports.with_quarantines(processed, list(csv_exports)), scope)
    if cached_docs:
        log.info("Data Docs (built once per set of validation results)")
        datadocs.for_edition(validation_dir, staging / "data-docs", root, edition=name, stages=stages.validation_writers())
    else:
        log.info("Building Data Docs")
        quality.build_edition_docs(validation_dir, staging / "data-docs", root, edition=name,
                                   stages=stages.validation_writers())
    entries.append({"title": "Data quality documentation (Great Expectations Data Docs)",
                    "href": "data-docs/index.html", "note": "every check on every input and output",
                    "group": AUDIT})
    audit = staging / "audit"
    audit.mkdir()
    for path in executed:
        shutil.copy2(path, audit / path.name)
        (audit / f"{path.stem}.html").write_text(audit_page(path, provenance=provenance, cache=root / BODIES),
                                                 encoding="utf-8")
        entries.append({"title": f"Audit copy of step {path.stem}, with its code", "href": f"audit/{path.stem}.html",
                        "note": f"(to open in JupyterLab: audit/{path.name})", "group": AUDIT})
    (staging / PROVENANCE).write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    entries.append({"title": "Provenance: every input file, its hash, the settings and code version",
                    "href": PROVENANCE, "note": "(JSON)", "group": AUDIT})
    (staging / "index.html").write_text(index_page(entries, [], current=name, title=title, provenance=provenance,
                                                   at_top=False, edition=label), encoding="utf-8")
    return entries


def publish(root: Path, *, reports: Path, documents: list[Document], executed: list[Path], validation_dir: Path,
            provenance: dict, title: str, folders: list[Path] = (), keep: int = 12,
            csv_exports: list[str] = (), label: str = "", pages: list[Page] = (),
            scope: exports.Scope | None = None, cached_docs: bool = False) -> Path:
    """Build an edition and swap it in atomically; returns the edition folder.

    ``documents`` become board pages; ``pages`` go in the house shell as they are; every
    notebook in ``executed`` gets an audit copy; each of
    ``folders`` (e.g. ``build/packs``) is copied in under its own name. ``label`` names the
    organisation and data month in every page's masthead (``Edition.label``); the downloads are
    cut to ``scope``, the edition's ICB, month and practices (``exports.edition_scope``). With
    ``cached_docs`` the Data Docs come from the project's cache (:mod:`helpers.pipeline.datadocs`).

    The order makes every instant safe to be killed at: (1) the whole edition, its index
    included, is built in a hidden staging folder; (2) one rename makes it a complete edition;
    (3) ``latest`` and ``index.html`` are replaced by renames, the index listing only the
    editions that retention keeps; (4) only then are older editions, no longer linked, renamed
    to hidden names and deleted. Leftovers of a killed run are cleared by the next publish.
    """
    editions_dir = reports / EDITIONS
    editions_dir.mkdir(parents=True, exist_ok=True)
    clear_leftovers(reports)
    started = time.time() - 1  # file times may be coarser than the clock
    name = edition_id(provenance, month=f"{scope.month:%Y-%m}" if scope else "")
    staging = editions_dir / f"{STAGING}{name}"
    staging.mkdir()
    try:
        entries = _build_edition(staging, root, name=name, documents=documents, executed=executed,
                                 validation_dir=validation_dir, provenance=provenance, title=title, folders=folders,
                                 csv_exports=csv_exports, label=label, pages=pages, scope=scope,
                                 cached_docs=cached_docs)
        edition = editions_dir / name
        os.rename(staging, edition)  # fails rather than merge into an existing edition
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    kept = retained(_published(editions_dir), keep=keep, current=name)
    _swap_symlink(reports / LATEST, f"{EDITIONS}/{name}")
    write_text(reports / "index.html", index_page(entries, sorted(kept, reverse=True), current=name, title=title,
                                                   provenance=provenance, at_top=True, edition=label))
    prune(editions_dir, keep=kept)
    prune_bodies(root / BODIES, started)
    log.info("Published edition %s", name)
    return edition


def retained(editions: list[str], *, keep: int, current: str) -> list[str]:
    """The newest ``keep`` editions (at least one), always including ``current``."""
    newest = sorted(editions)[-max(keep, 1):]
    return newest if current in newest else [*newest[1:], current]


def prune(editions_dir: Path, *, keep: list[str]) -> list[str]:
    """Delete every edition not in ``keep``: renamed to a hidden name first, so none is ever
    browsable half-deleted (a kill mid-delete leaves a hidden folder the next publish clears)."""
    removed = []
    for name in _published(editions_dir):
        if name not in keep:
            doomed = editions_dir / f"{DELETING}{name}"
            os.rename(editions_dir / name, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(name)
    return removed
