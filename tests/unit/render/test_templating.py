"""The template environment: data escaped, fragments not escaped twice, missing variables refused."""

from __future__ import annotations

import jinja2
import pytest

from helpers.render import html, templating
from helpers.render.templating import Fragment, environment, template

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_values_from_the_data_are_escaped():
    out = template("rtt/specialties.html", weeks=SCRIPT, chart=None, table="")
    assert ESCAPED in out and "<script" not in out


def test_a_fragment_goes_in_as_markup_once():
    chart = html.Fragment('<figure><img src="x.png" alt="A &amp; B"></figure>')
    out = template("rtt/distribution.html", chart=chart)
    assert chart in out and "&amp;amp;" not in out and "&lt;figure" not in out


def test_plain_text_that_looks_like_markup_is_not_trusted():
    """Only a Fragment is markup: the same text as a plain string is shown as text."""
    out = template("rtt/distribution.html", chart="<figure>x</figure>")
    assert "&lt;figure&gt;x&lt;/figure&gt;" in out


def test_a_missing_variable_is_an_error():
    with pytest.raises(jinja2.UndefinedError, match="chart"):
        template("rtt/distribution.html")


def test_none_prints_as_nothing():
    assert template("macros.html") == ""  # macros only
    assert environment().from_string("[{{ value }}]").render(value=None) == "[]"


def test_template_text_wrapped_over_lines_reads_as_one_line():
    out = environment().from_string("<p>one\n    two {{ n }}\n  three</p>\n").render(n=2)
    assert out == "<p>one two 2 three</p>"


def test_the_environment_is_made_once():
    assert environment() is environment()


def test_rendered_templates_are_fragments_shown_by_jupyter():
    out = template("rtt/distribution.html", chart="")
    assert isinstance(out, Fragment) and out._repr_html_() == str(out) and out.__html__() == str(out)


def test_macros_from_python_escape_too():
    assert html.status(SCRIPT, "good") == f'<span class="status good">{ESCAPED}</span>'
    assert ESCAPED in html.kpis([("1", SCRIPT)])


def test_icons_are_svg_templates_with_their_text_escaped():
    out = environment().get_template("icons/assurance.svg").render(text=SCRIPT, fill="#005EB8", letter="<P>")
    assert out.startswith("<svg") and ESCAPED in out and "&lt;P&gt;" in out


def test_the_house_style_is_the_static_file():
    assert (templating.STATIC / "house.css").read_text(encoding="utf-8") == html.CSS
    assert "</style>" not in html.CSS


@pytest.mark.parametrize("name", sorted(environment().list_templates(extensions=["html", "svg"])))
def test_every_template_compiles(name):
    environment().get_template(name)
