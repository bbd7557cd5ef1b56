"""Printed pages name their organisation and month and their page number in the page margin."""

from __future__ import annotations

import re

from helpers.render import html
from helpers.render.templating import css_string


def _unescape(css: str) -> str:
    """A CSS string's text, its escapes read back (as a browser reads them)."""
    return re.sub(r"\\([0-9a-fA-F]{1,6}) ?", lambda m: chr(int(m.group(1), 16)), css[1:-1])


def test_a_css_string_cannot_end_itself_or_the_style_element():
    text = 'NHS "North" \\ </style><script>x()</script> ICB\n, data for January 2026'
    quoted = str(css_string(text))
    assert quoted.startswith('"') and quoted.endswith('"')
    assert re.fullmatch(r"(?:[A-Za-z0-9 ,.:;()-]|\\[0-9a-f]{6} )*", quoted[1:-1])  # plain characters or escapes
    assert _unescape(quoted) == text


def test_the_page_margin_prints_the_masthead_line_and_the_page_number():
    page = html.shell("Board paper", "<p>x</p>", subtitle="NHS Sussex ICB, data for January 2026")
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    footer = re.search(r"@bottom-left\s*\{\s*content:\s*(\"[^\"]*\")", style)
    assert footer and _unescape(footer.group(1)) == "NHS Sussex ICB, data for January 2026"
    assert re.search(r'@bottom-right\s*\{[^}]*content:\s*"Page " counter\(page\) " of " counter\(pages\)', style)
    assert "@bottom-left { content" not in html.shell("Untitled", "<p>x</p>")  # no line, no margin text
