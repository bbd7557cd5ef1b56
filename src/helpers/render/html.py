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

from helpers.render import kept, templating
from helpers.render.formats import integer, one_dp, percent  # noqa: F401  (html.integer and friends, as before)
from helpers.render.templating import Fragment

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"
NHS_WARM_YELLOW = "#FFB81C"
NHS_RED = "#DA291C"
NHS_GREEN = "#007F3B"
EDITION_SLOT = re.compile(r"<!--edition-->.*?<!--/edition-->", re.S)

CSS = templating.static_text("house.css")  # the house style, inlined in every page
PAGE_END = "</html>"  # how a whole page ends (page() and nbconvert alike): one without it was cut short


def section(function):
    """Marks a function returning a page section: its text comes back as a :class:`Fragment`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> Fragment:
        return Fragment(function(*args, **kwargs))
    return wrapper


def once_per_report(function):
    """Marks a page section of a report's data alone (``function(data)``): made once for each report's
    data, so that its board section, made from the same data as the page, does not draw it again."""
    @functools.wraps(function)
    def wrapper(data) -> Fragment:
        return kept.once(data, f"section {function.__qualname__}", lambda: Fragment(function(data)))
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


CONTENTS_SLOT = "<!--contents-->"
_H2 = re.compile(r"<h2(?P<attrs>[^>]*)>(?P<inner>.*?)</h2>", re.S)
_ID = re.compile(r'\bid="([^"]*)"')
# the unfilled contents: its nav as written, or as nbconvert writes it back (attributes reordered)
_UNFILLED = re.compile(r'<nav\b[^>]*\bclass="contents"[^>]*>(?:(?!</nav>).)*?' + re.escape(CONTENTS_SLOT) + r".*?</nav>",
                       re.S)


def contents_slot() -> Fragment:
    """Where a page's contents list goes: publishing fills it with its headings (:func:`fill_contents`)."""
    return templating.template("contents.html", entries=None, slot=Fragment(CONTENTS_SLOT))


def fill_contents(body: str) -> str:
    """``body`` with its contents slot filled: a link to every second-level heading after it, each
    given an id if it has none. A body without the slot is returned as it is."""
    unfilled = _UNFILLED.search(body)
    if not unfilled:
        return body
    head, rest = body[:unfilled.start()], body[unfilled.end():]
    entries, taken = [], set(_ID.findall(body))

    def link(found: re.Match) -> str:
        attrs, inner = found.group("attrs"), found.group("inner")
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        given = _ID.search(attrs)
        ident = given.group(1) if given else _fresh_id(text, taken)
        entries.append((ident, text))
        return found.group(0) if given else f'<h2{attrs} id="{esc(ident)}">{inner}</h2>'

    rest = _H2.sub(link, rest)
    return head + templating.template("contents.html", entries=entries, slot="") + rest


def _fresh_id(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    taken.add(ident)
    return ident


def title_of(page_html: str) -> str | None:
    """The text of a page's title element, or None if it has none."""
    found = re.search(r"<title>(.*?)</title>", page_html, re.S)
    return html.unescape(found.group(1)) if found else None


def stamp_edition(page_html: str, text: str) -> str:
    """``page_html`` with every edition slot saying ``text``."""
    return EDITION_SLOT.sub(lambda _: edition_slot(text), page_html)


def shell(title: str, body: str, *, subtitle: str = "", footer: str = "", synthetic: bool = False,
          links: Sequence[tuple[str, str]] = (), edition: str | None = None, css: str = "") -> str:
    """:func:`page` with extras: ``links`` (text, address) in the masthead, a line naming the
    edition (a slot that publishing fills in, for pages made before it) and CSS of their own.

    ``body``, ``footer`` and ``css`` are markup already; the other arguments are text."""
    return str(templating.template(
        "page.html", title=title, subtitle=subtitle, css=Fragment(CSS), extra_css=Fragment(css),
        edition=None if edition is None else Fragment(edition_slot(edition)), links=list(links),
        banner=Fragment(synthetic_banner() if synthetic else ""), body=Fragment(body), footer=Fragment(footer)))


def synthetic_banner() -> Fragment:
    return templating.macro("macros.html", "synthetic_banner")()


def compact_png(png: bytes, colours: int = 128) -> bytes:
    """A chart's PNG with an indexed palette: a third of the size, colours kept (charts use few)."""
    from PIL import Image

    return _indexed_png(Image.open(io.BytesIO(png)).convert("RGB"), colours, 9)


def compact_png_pixels(pixels, colours: int = 128, compress_level: int = 9) -> bytes:
    """:func:`compact_png` of a picture held as pixels (an RGB or RGBA array, top row first)."""
    from PIL import Image

    image = Image.fromarray(pixels)
    return _indexed_png(image.convert("RGB") if image.mode != "RGB" else image, colours, compress_level)


def _indexed_png(image, colours: int, compress_level: int) -> bytes:
    from PIL import Image

    indexed = image.quantize(colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    indexed.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def link(text: str, href: str) -> Fragment:
    """A link to ``href`` reading ``text``."""
    return templating.macro("macros.html", "link")(text, href)


def status(text: str, kind: str) -> Fragment:
    """A status label in words and colour (kind: good, bad or neutral)."""
    return templating.macro("macros.html", "status")(text, kind)


def gate_status(outcome: str) -> Fragment:
    """A gate's outcome (``quality.outcome``) as a status: red only for a critical failure."""
    kind = "bad" if outcome == "Failed" else "neutral" if "warning" in outcome else "good"
    return status(outcome, kind)


def png(fig, *, dpi: int = 110, **savefig) -> bytes:
    """A matplotlib figure as PNG bytes (cropped to what is drawn unless ``savefig`` says otherwise)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, **({"bbox_inches": "tight"} | savefig))
    return buffer.getvalue()


def png_figure(data: bytes, *, alt: str, caption: str) -> Fragment:
    """PNG bytes as an embedded image with alt text and a caption."""
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return templating.macro("macros.html", "figure")(src, alt, caption)


def figure(fig, *, alt: str, caption: str, dpi: int = 110) -> Fragment:
    """A matplotlib figure as an embedded PNG with alt text and a caption."""
    return png_figure(png(fig, dpi=dpi), alt=alt, caption=caption)


def drawn(owner: object, draw: Callable[[], object], *, alt: str, caption: str) -> Fragment:
    """:func:`figure` of the matplotlib figure ``draw()`` makes, closed once embedded (a report draws
    many); drawn once for ``owner``, a report's data, which its page and its board section share."""
    def embedded() -> Fragment:
        from matplotlib import pyplot

        fig = draw()
        try:
            return figure(fig, alt=alt, caption=caption)
        finally:
            pyplot.close(fig)
    return kept.once(owner, f"figure {caption}\0{alt}", embedded)


Formatter = Callable[[object], str]


_LONG_TOKEN = re.compile(r"\S{25,}")
_AFTER_SEPARATOR = re.compile(r"(?<=[_\-./\\])(?=[^_\-./\\])")


def breakable(value) -> str:
    """``value`` escaped, each long unbroken run of characters (a file name, a digest) given places
    to wrap (``<wbr>``: after separators, else every 16 characters), so a narrow column or a printed
    page can fold it instead of being pushed wider. Nothing visible changes where it fits."""
    def folds(match: re.Match) -> str:
        token = match.group(0)
        parts = _AFTER_SEPARATOR.split(token)
        parts = [p[i:i + 16] for p in parts for i in range(0, len(p), 16)]
        return "\x00".join(parts)
    return esc(_LONG_TOKEN.sub(folds, str(value).replace("\x00", ""))).replace("\x00", "<wbr>")


def table(frame: pd.DataFrame, *, caption: str, formats: Mapping[str, Formatter] | None = None,
          raw_html: set[str] | None = None, row_header: str | None = None, css_class: str = "") -> Fragment:
    """A captioned table; numbers right-aligned; cells escaped unless named in ``raw_html``.

    ``css_class`` adds a class beside the house one (``report``), for a table styled apart.
    """
    formats, raw_html = dict(formats or {}), set(raw_html or ())
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) or c in formats}
    num_class = ' class="num"'
    head = "".join(f'<th scope="col"{num_class if c in numeric else ""}>{esc(c)}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, record):
            text = formats[column](value) if column in formats else ("" if pd.isna(value) else value)
            text = str(text) if column in raw_html else breakable(text)
            cls = num_class if column in numeric and column not in raw_html else ""
            tag = "th" if column == row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{cls}>{text}</{tag}>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    classes = " ".join(["report", *css_class.split()])
    return Fragment(f'<table class="{esc(classes)}"><caption>{esc(caption)}</caption>'
                    f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def kpis(items: list[tuple[str, str]]) -> Fragment:
    """Headline figures as labelled tiles: [(value, label), ...]."""
    return templating.macro("macros.html", "kpis")(items)
