"""Markup is written in templates (src/helpers/render/), never as string literals elsewhere in the package.

A string literal holding an HTML tag outside ``render/`` fails, named by file and line. Docstrings may
name tags in prose, and a regular expression's named group, ``(?P<title>...)``, is not a tag.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "helpers"
RENDER = PACKAGE / "render"
# Modules allowed markup for now, while it moves into templates (test_exclusions_still_needed says
# when one can come off); none left.
NOT_YET: set[str] = set()

TAG_NAMES = ("html|head|body|div|span|p|a|h[1-6]|ul|ol|li|table|thead|tbody|tr|th|td|caption|figure|figcaption|img|"
             "svg|section|strong|em|code|br|style|script|title|footer|header|main|nav|details|summary")
# A tag, or one whose name is filled in (f"<{tag}>", f"<h{level}>"), but not a named group: (?P<title>...).
TAG = re.compile(r"(?<!\?P)<\s*/?\s*(?:(?:" + TAG_NAMES + r")\b|h?\{)", re.IGNORECASE)
STRINGS = {tokenize.STRING} | ({tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())


def _docstring_lines(source: str) -> set[int]:
    """The lines of every module, class and function docstring."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def markup_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of each string literal in ``source`` that holds an HTML tag, docstrings aside."""
    docstrings = _docstring_lines(source)
    return [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type in STRINGS and token.start[0] not in docstrings and TAG.search(token.string)]


def _checked_files() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py"))
            if RENDER not in path.parents and path.relative_to(PACKAGE).as_posix() not in NOT_YET]


PLANTED = '''"""A module docstring may say <p> and <table>."""
import re

CODE = re.compile(r"^(?P<code>[A-Z]+)\\s*(?P<title>.*)$")


def section(name, level):
    """Prose about the <h2> heading is fine here."""
    compare = "a < b and b > a"
    heading = f"<h{level}>{name}</h{level}>"
    label = '<span class="status">' + name + "</span>"
    tag = f"<{name}>"
    return """
      <div class="kpis">
    """, heading, label, tag, compare
'''


def test_the_check_finds_planted_markup_and_spares_docstrings_and_named_groups():
    found = markup_literals(PLANTED)
    assert [line for line, _ in found] == [10, 11, 11, 12, 13]
    assert "<div" in found[-1][1]


def test_the_check_fails_on_a_planted_file(tmp_path):
    """The same check the package gets, on a file with one markup literal: it names the file and line."""
    planted = tmp_path / "report.py"
    planted.write_text('def title(name):\n    return f"<h1>{name}</h1>"\n', encoding="utf-8")
    with pytest.raises(AssertionError, match=r"report\.py:2: "):
        _assert_no_markup([planted], tmp_path)


def _assert_no_markup(files: list[Path], root: Path) -> None:
    problems = [f"{path.relative_to(root)}:{line}: {literal[:80]}"
                for path in files for line, literal in markup_literals(path.read_text(encoding="utf-8"))]
    assert not problems, "markup belongs in render/templates/, not in string literals:\n" + "\n".join(problems)


def test_no_markup_literals_outside_render():
    files = _checked_files()
    assert len(files) > 50  # the package, not an empty folder
    _assert_no_markup(files, PACKAGE)


def test_exclusions_still_needed():
    """A file left out above still has markup; once it has none, take it off NOT_YET."""
    done = [name for name in sorted(NOT_YET) if not markup_literals((PACKAGE / name).read_text(encoding="utf-8"))]
    assert not done, f"{', '.join(done)} has no markup left: remove it from NOT_YET"
