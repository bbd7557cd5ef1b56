"""Accessible HTML fragments and the page shell shared by every published page.

Board members read these pages in a browser or on paper: tables have captions and header
scopes, charts have alt text, status is written in words as well as colour, and pages are
self-contained (styles inline, images embedded) so a saved copy still works.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"
NHS_WARM_YELLOW = "#FFB81C"
NHS_RED = "#DA291C"
NHS_GREEN = "#007F3B"
EDITION_SLOT = re.compile(r"<!--edition-->.*?<!--/edition-->", re.S)

CSS = f"""
:root {{ --nhs-blue: {NHS_BLUE}; --nhs-dark-blue: {NHS_DARK_BLUE}; --grey: {NHS_DARK_GREY};
        --pale: {NHS_PALE_GREY}; --red: {NHS_RED}; --green: {NHS_GREEN}; --yellow: {NHS_WARM_YELLOW}; }}
html {{ font-family: Arial, "Liberation Sans", Helvetica, sans-serif; color: #212b32; line-height: 1.5; }}
body {{ margin: 0; background: #f0f4f5; }}
header.masthead {{ background: var(--nhs-blue); color: #fff; padding: 16px 32px; }}
header.masthead p {{ margin: 0; font-size: 0.95rem; }}
header.masthead .title {{ font-size: 1.6rem; font-weight: bold; }}
main {{ max-width: 1100px; margin: 0 auto; background: #fff; padding: 24px 32px 40px; }}
h1 {{ color: var(--nhs-dark-blue); font-size: 2rem; margin-top: 0.4em; }}
h2 {{ color: var(--nhs-dark-blue); border-bottom: 2px solid var(--pale); padding-bottom: 4px; margin-top: 2em; }}
h3 {{ color: var(--grey); }}
a {{ color: var(--nhs-blue); }}
a:focus {{ outline: 3px solid var(--yellow); background: var(--yellow); color: #212b32; }}
.banner {{ padding: 12px 16px; margin: 16px 0; border-left: 8px solid; font-weight: bold; }}
.banner.synthetic {{ background: #fff4d6; border-color: var(--yellow); }}
.banner.notice {{ background: #eef7ff; border-color: var(--nhs-blue); font-weight: normal; }}
table.report {{ border-collapse: collapse; margin: 12px 0 20px; font-size: 0.92rem; min-width: 50%; }}
table.report caption {{ text-align: left; font-weight: bold; padding: 6px 0; color: var(--grey); caption-side: top; }}
table.report th, table.report td {{ border-bottom: 1px solid #d8dde0; padding: 6px 10px; text-align: left; vertical-align: top; }}
table.report thead th {{ background: var(--pale); border-bottom: 2px solid var(--grey); }}
table.report td.num, table.report th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.status {{ display: inline-block; padding: 1px 8px; border-radius: 3px; font-weight: bold; white-space: nowrap; }}
.status.good {{ background: #d5efdf; color: #00401e; border: 1px solid var(--green); }}
.status.bad {{ background: #fbe0de; color: #6b0d07; border: 1px solid var(--red); }}
.status.neutral {{ background: var(--pale); color: #212b32; border: 1px solid var(--grey); }}
figure {{ margin: 16px 0 28px; }}
figure img {{ max-width: 100%; height: auto; border: 1px solid var(--pale); }}
figcaption {{ color: var(--grey); font-size: 0.9rem; margin-top: 4px; }}
.kpis {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }}
.kpi {{ border: 1px solid #d8dde0; border-top: 6px solid var(--nhs-blue); padding: 10px 14px; min-width: 180px; flex: 1; }}
.kpi .value {{ font-size: 1.7rem; font-weight: bold; color: var(--nhs-dark-blue); }}
.kpi .label {{ font-size: 0.9rem; color: var(--grey); }}
footer {{ max-width: 1100px; margin: 0 auto; padding: 16px 32px; font-size: 0.85rem; color: var(--grey); }}
header.masthead nav ul {{ list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 20px; }}
header.masthead nav a {{ color: #fff; font-weight: bold; }}
header.masthead nav a:focus {{ color: #212b32; }}
.jp-Cell, .jp-OutputArea-output {{ margin: 0; padding: 0; }}
.jp-RenderedHTMLCommon table {{ border: 0; }}
@media print {{
  @page {{ size: A4; margin: 15mm; }}
  body {{ background: #fff; }}
  header.masthead {{ background: none; color: #000; border-bottom: 3px solid #000; padding: 0 0 8px; }}
  header.masthead nav {{ display: none; }}
  main {{ max-width: none; padding: 0; }}
  h2 {{ break-before: page; }}
  h2.keep {{ break-before: auto; }}
  figure, table.report {{ break-inside: avoid; }}
  a {{ color: #000; text-decoration: none; }}
  .status {{ border-width: 2px; }}
}}
"""


class Fragment(str):
    """A piece of a page: text that Jupyter shows as rendered HTML, and joins like any string."""

    def _repr_html_(self) -> str:
        return str(self)


def section(function):
    """Marks a function returning a page section: its text comes back as a :class:`Fragment`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> Fragment:
        return Fragment(function(*args, **kwargs))
    return wrapper


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, *, subtitle: str = "", footer: str = "", synthetic: bool = False) -> str:
    """A complete, self-contained HTML page."""
    return shell(title, body, subtitle=subtitle, footer=footer, synthetic=synthetic)


def edition_slot(text: str = "Edition: not yet published") -> str:
    """Where a page made before its edition names the edition; publishing fills it in (:func:`stamp_edition`).

    Text from the data is escaped, so it can never hold the markers.
    """
    return f"<!--edition-->{esc(text)}<!--/edition-->"


def stamp_edition(page_html: str, text: str) -> str:
    """``page_html`` with every edition slot saying ``text``."""
    return EDITION_SLOT.sub(lambda _: edition_slot(text), page_html)


def shell(title: str, body: str, *, subtitle: str = "", footer: str = "", synthetic: bool = False,
          links: Sequence[tuple[str, str]] = (), edition: str | None = None, css: str = "") -> str:
    """:func:`page` with extras: ``links`` (text, address) in the masthead, a line naming the
    edition (a slot that publishing fills in, for pages made before it) and CSS of their own."""
    banner = synthetic_banner() if synthetic else ""
    nav = ("" if not links else '<nav aria-label="Related pages"><ul>'
           + "".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for text, href in links) + "</ul></nav>")
    line = "" if edition is None else f'<p class="edition">{edition_slot(edition)}</p>'
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}{css}</style>
</head>
<body>
<header class="masthead"><p class="title">{esc(title)}</p><p>{esc(subtitle)}</p>{line}{nav}</header>
<main>
{banner}
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""


def synthetic_banner() -> str:
    return ('<div class="banner synthetic" role="note">SYNTHETIC DATA: built from generated sample files, '
            'not real NHS figures. Do not use for decisions.</div>')


def compact_png(png: bytes, colours: int = 128) -> bytes:
    """A chart's PNG with an indexed palette: a third of the size, colours kept (charts use few)."""
    from PIL import Image

    indexed = Image.open(io.BytesIO(png)).convert("RGB").quantize(
        colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    indexed.save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def status(text: str, kind: str) -> str:
    """A status label in words and colour (kind: good, bad or neutral)."""
    return f'<span class="status {esc(kind)}">{esc(text)}</span>'


def figure(fig, *, alt: str, caption: str, dpi: int = 110) -> str:
    """A matplotlib figure as an embedded PNG with alt text and a caption."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


Formatter = Callable[[object], str]


def table(frame: pd.DataFrame, *, caption: str, formats: Mapping[str, Formatter] | None = None,
          raw_html: set[str] | None = None, row_header: str | None = None) -> str:
    """A captioned table; numbers right-aligned; cells escaped unless named in ``raw_html``."""
    formats, raw_html = dict(formats or {}), set(raw_html or ())
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) or c in formats}
    num_class = ' class="num"'
    head = "".join(f'<th scope="col"{num_class if c in numeric else ""}>{esc(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text = formats[column](value) if column in formats else ("" if pd.isna(value) else value)
            text = str(text) if column in raw_html else esc(text)
            cls = num_class if column in numeric and column not in raw_html else ""
            tag = "th" if column == row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{cls}>{text}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="report"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def kpis(items: list[tuple[str, str]]) -> str:
    """Headline figures as labelled tiles: [(value, label), ...]."""
    tiles = "".join(f'<div class="kpi"><div class="value">{esc(v)}</div><div class="label">{esc(label)}</div></div>'
                    for v, label in items)
    return f'<div class="kpis">{tiles}</div>'


def integer(value) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def one_dp(value) -> str:
    return "" if pd.isna(value) else f"{value:,.1f}"


def percent(value) -> str:
    return "" if pd.isna(value) else f"{value:.1f}%"
