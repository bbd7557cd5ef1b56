"""Publishing: executed notebooks -> board HTML, audit copies, GX Data Docs and an index.

The stage registry (``stages.py``) says which executed notebooks become documents and which
build folders (the practice packs, say) are copied in as they are.

Each run builds a complete *edition* in a temporary folder under ``reports/editions/`` and only
then renames it into place and swaps ``reports/index.html`` and the ``reports/latest`` link over
to it. Renames are atomic, so a reader (or a crash) never meets a half-written report: until the
swap the previous edition is what ``index.html`` shows, and old editions stay browsable until
the retention setting prunes them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from . import exports, html, quality
from .provenance import now_utc, write_atomic

log = logging.getLogger(__name__)

HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}
EDITIONS = "editions"
REPORTS, AUDIT = "reports", "audit"  # the index's groups
LATEST = "latest"


def _board_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop parameter cells and anything a reader should not see (stderr, warnings, bare reprs)."""
    nb = nbformat.from_dict(nb)  # a copy
    kept = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                            and o.get("output_type") != "error"]
        kept.append(cell)
    nb.cells = kept
    return nb


def notebook_body(nb: nbformat.NotebookNode, *, with_code: bool) -> str:
    """The cells of an executed notebook as an HTML fragment (no prompts; code only if asked)."""
    exporter = HTMLExporter(template_name="basic", exclude_input=not with_code,
                            exclude_input_prompt=True, exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb if with_code else _board_cells(nb))
    return body


@dataclass(frozen=True)
class Document:
    title: str
    file: str          # its file name in the edition
    executed: Path     # the executed notebook it is converted from
    domains: tuple[str, ...] = ()  # whose provenance it shows (its banner); empty: all

    def synthetic(self, provenance: dict) -> bool:
        if not self.domains:
            return bool(provenance.get("synthetic_inputs"))
        return bool(set(self.domains) & set(provenance.get("synthetic_domains", [])))


def merged_provenance(processed_dir: Path) -> dict:
    """One record for the edition from every stage's ``*_provenance.json``.

    Inputs are listed together, the synthetic flag is set if any stage read synthetic files (so
    every page carries the banner), and each stage's parameters are kept under its domain name.
    """
    records = {p.name.removesuffix("_provenance.json"): json.loads(p.read_text(encoding="utf-8"))
               for p in sorted(processed_dir.glob("*_provenance.json"))}
    newest = max(records.values(), key=lambda r: r.get("run_at", ""), default={})
    return {
        "run_at": newest.get("run_at"),
        "code_version": newest.get("code_version", "unknown"),
        "synthetic_inputs": any(r.get("synthetic_inputs") for r in records.values()),
        "synthetic_domains": sorted(d for d, r in records.items() if r.get("synthetic_inputs")),
        "periods": sorted({p for r in records.values() for p in r.get("periods", [])}),
        "inputs": [i for r in records.values() for i in r.get("inputs", [])],
        "params": {d: r.get("params") for d, r in records.items()},
    }


def _footer(provenance: dict) -> str:
    return (f"Published {html.esc(now_utc())}. Code version {html.esc(provenance.get('code_version', 'unknown'))}. "
            "Contains public sector information licensed under the Open Government Licence v3.0.")


def board_page(executed: Path, *, title: str, subtitle: str, provenance: dict, synthetic: bool) -> str:
    nb = nbformat.read(executed, as_version=4)
    return html.page(title, notebook_body(nb, with_code=False), subtitle=subtitle,
                     footer=_footer(provenance), synthetic=synthetic)


def audit_page(executed: Path, *, provenance: dict) -> str:
    nb = nbformat.read(executed, as_version=4)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    intro = ("<p>The notebook exactly as the pipeline executed it, code included, kept for audit. "
             f"Parameters: <code>{html.esc(json.dumps(params, default=str))}</code></p>")
    return html.page(f"Audit copy: {executed.name}", intro + notebook_body(nb, with_code=True),
                     subtitle="Executed notebook", footer=_footer(provenance),
                     synthetic=provenance.get("synthetic_inputs", False))


def edition_id(provenance: dict, now: dt.datetime | None = None) -> str:
    """``<latest data month>_<UTC timestamp>``: sorts by data month, then by publication."""
    now = now or dt.datetime.now(dt.timezone.utc)
    month = (provenance.get("periods") or ["unknown"])[-1]
    return f"{month}_{now:%Y%m%dT%H%M%S%fZ}"


def index_page(entries: list[dict], editions: list[str], *, current: str, title: str, provenance: dict,
               at_top: bool) -> str:
    """The landing page of an edition: its documents, then earlier editions.

    ``at_top`` is for ``reports/index.html``, whose links reach into ``editions/<current>/``.
    """
    prefix = f"{EDITIONS}/{current}/" if at_top else ""

    def listed(group: str) -> str:
        return "".join(f'<li><a href="{html.esc(prefix + e["href"])}">{html.esc(e["title"])}</a>'
                       f' <span>{html.esc(e.get("note", ""))}</span></li>'
                       for e in entries if e.get("group", REPORTS) == group)
    inputs = "".join(f"<li>{html.esc(Path(i['file']).name)} <code>sha256 {html.esc(i['sha256'][:16])}…</code></li>"
                     for i in provenance.get("inputs", []))
    earlier = "".join(
        f'<li><a href="{html.esc(f"{EDITIONS}/{e}" if at_top else f"../{e}")}/index.html">{html.esc(e)}</a></li>'
        for e in editions if e != current)
    body = (f"<h1>{html.esc(title)}</h1>"
            f"<p>Edition {html.esc(current)}. Data months: {html.esc(', '.join(provenance.get('periods', [])))}. "
            f"Code version {html.esc(provenance.get('code_version', 'unknown'))}.</p>"
            f'<h2 class="keep">Reports</h2><ul>{listed(REPORTS)}</ul>'
            f'<h2 class="keep">For analysts: data quality and the executed notebooks</h2><ul>{listed(AUDIT)}</ul>'
            f'<h2 class="keep">Inputs</h2><ul>{inputs}</ul>'
            + (f'<h2 class="keep">Earlier editions</h2><ul>{earlier}</ul>' if earlier else ""))
    return html.page(title, body, subtitle="Published reports", footer=_footer(provenance),
                     synthetic=provenance.get("synthetic_inputs", False))


def _write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def _swap_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish(root: Path, *, reports: Path, documents: list[Document], executed: list[Path], validation_dir: Path,
            provenance: dict, title: str, folders: list[Path] = (), keep: int = 12,
            csv_exports: list[str] = ()) -> Path:
    """Build an edition and swap it in atomically; returns the edition folder.

    ``documents`` become board pages; every notebook in ``executed`` gets an audit copy; each of
    ``folders`` (e.g. ``build/packs``) is copied in under its own name.
    """
    editions_dir = reports / EDITIONS
    editions_dir.mkdir(parents=True, exist_ok=True)
    name = edition_id(provenance)
    staging = editions_dir / f".staging-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    subtitle = f"Edition {name.split('_')[0]}"
    try:
        entries = []
        for doc in documents:
            log.info("Converting %s", doc.executed.name)
            (staging / doc.file).write_text(
                board_page(doc.executed, title=doc.title, subtitle=subtitle, provenance=provenance,
                           synthetic=doc.synthetic(provenance)), encoding="utf-8")
            entries.append({"title": doc.title, "href": doc.file, "note": ""})
        for folder in folders:
            shutil.copytree(folder, staging / folder.name)
            index = folder / "index.html"
            if index.exists():  # its <title> names it on the edition's index
                found = re.search(r"<title>(.*?)</title>", index.read_text(encoding="utf-8"), re.S)
                entries.append({"title": unescape(found.group(1)) if found else folder.name,
                                "href": f"{folder.name}/index.html",
                                "note": f"({sum(1 for _ in folder.glob('*.html')) - 1} pages)"})
        entries += exports.write(root / "data" / "processed", staging / "downloads", list(csv_exports))
        log.info("Building Data Docs")
        quality.build_data_docs(validation_dir, staging / "data-docs", root)
        entries.append({"title": "Data quality documentation (Great Expectations Data Docs)",
                        "href": "data-docs/index.html", "note": "every check on every input and output",
                        "group": AUDIT})
        audit = staging / "audit"
        audit.mkdir()
        for path in executed:
            shutil.copy2(path, audit / path.name)
            (audit / f"{path.stem}.html").write_text(audit_page(path, provenance=provenance), encoding="utf-8")
            entries.append({"title": f"Executed notebook: {path.name}", "href": f"audit/{path.stem}.html",
                            "note": f"(with code; .ipynb at audit/{path.name})", "group": AUDIT})
        (staging / "provenance.json").write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
        edition = editions_dir / name
        os.rename(staging, edition)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    editions = sorted((p.name for p in editions_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      reverse=True)
    pages = dict(entries=entries, editions=editions, current=name, title=title, provenance=provenance)
    _write_text(edition / "index.html", index_page(**pages, at_top=False))
    _swap_symlink(reports / LATEST, f"{EDITIONS}/{name}")
    _write_text(reports / "index.html", index_page(**pages, at_top=True))
    prune(editions_dir, keep=keep, current=name)
    log.info("Published edition %s", name)
    return edition


def prune(editions_dir: Path, *, keep: int, current: str) -> list[str]:
    """Remove the oldest editions beyond ``keep`` (never the current one) and stale staging folders."""
    removed = []
    for stale in editions_dir.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    editions = sorted(p.name for p in editions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in editions[: max(0, len(editions) - max(keep, 1))]:
        if name != current:
            shutil.rmtree(editions_dir / name, ignore_errors=True)
            removed.append(name)
    return removed
