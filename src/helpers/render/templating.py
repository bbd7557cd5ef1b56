"""Markup from Jinja2 templates: one environment, templates rendered as :class:`Fragment`.

Templates are ``render/templates/<domain>/<section>.html`` (shared macros in ``macros.html``), icons
``render/icons/*.svg`` (as ``icons/<name>.svg``), styles ``render/static/*.css``. Autoescaping is on, so
a value from the data always reaches the page as text; a :class:`Fragment` is markup already and goes
in as it is. A variable a template names but is not given is an error, not a blank.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from helpers.render import formats

HERE = Path(__file__).resolve().parent
TEMPLATES, ICONS, STATIC = HERE / "templates", HERE / "icons", HERE / "static"


class Fragment(str):
    """A piece of a page: text that Jupyter shows as rendered HTML, and joins like any string.

    ``__html__`` tells Jinja2 (and MarkupSafe) it is markup, so a template does not escape it twice.
    """

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:
        return str(self)


class WrappedText(Extension):
    """Template text may wrap over lines: a line break and the indent around it render as one space.

    So prose kept readable in a template reads exactly as if written on one line (a page's words
    are compared line by line by the back test, and a break inside a sentence would split it).
    """

    BREAK = re.compile(r"[ \t]*\n\s*")

    def filter_stream(self, stream):
        for token in stream:
            if token.type == "data":
                token = Token(token.lineno, "data", self.BREAK.sub(" ", token.value))
            yield token


def _blank_if_none(value):
    """A missing value prints as nothing, as ``html.esc`` has it (never as the word None)."""
    return "" if value is None else value


def css_string(text) -> Markup:
    """``text`` as a quoted CSS string, for a stylesheet inside a page: every character but letters,
    digits, spaces and plain punctuation written as a CSS escape, so no text can end the string or
    the style element. (A space after an escape ends it, and is not part of the text.)"""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:;()-")
    return Markup('"' + "".join(c if c in safe else f"\\{ord(c):06x} " for c in str(text)) + '"')


@functools.cache
def environment() -> jinja2.Environment:
    """The one environment (templates are compiled once and kept)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES),
                                    jinja2.PrefixLoader({"icons": jinja2.FileSystemLoader(ICONS)})]),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        undefined=jinja2.StrictUndefined,
        finalize=_blank_if_none,
        extensions=[WrappedText],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(integer=formats.integer, one_dp=formats.one_dp, percent=formats.percent,
                       number=formats.number, css_string=css_string)
    env.globals["static"] = static
    return env


def template(name: str, /, **context) -> Fragment:
    """``render/templates/<name>`` rendered with ``context``."""
    return Fragment(environment().get_template(name).render(**context).strip())


def macro(name: str, macro_name: str) -> Callable[..., Fragment]:
    """A macro of a template, callable from Python: ``macro("macros.html", "status")("Met", "good")``."""
    function = getattr(environment().get_template(name).module, macro_name)
    return lambda *args, **kwargs: Fragment(function(*args, **kwargs))


@functools.cache
def static_text(name: str) -> str:
    """The text of ``render/static/<name>`` (read once)."""
    return (STATIC / name).read_text(encoding="utf-8")


def static(name: str) -> Markup:
    """A static file's text for a template (a style sheet inside a style element), not escaped."""
    return Markup(static_text(name))
