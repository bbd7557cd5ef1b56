"""A page's contents list, filled in from its headings when it is published."""

from __future__ import annotations

from bs4 import BeautifulSoup

from helpers.render import html


def _page(*headings: str) -> str:
    return "<h1>Paper</h1>" + str(html.contents_slot()) + "".join(headings)


def test_every_heading_after_the_slot_is_listed_and_linked_in_order():
    filled = html.fill_contents(_page('<h2 id="summary">Summary of measures</h2>', "<h2>Exception: <em>A&amp;E</em></h2>",
                                      '<h2 class="keep">Appendix A: data quality</h2>'))
    soup = BeautifulSoup(filled, "html.parser")
    links = [(a["href"], a.get_text()) for a in soup.select("nav.contents a")]
    assert links == [("#summary", "Summary of measures"), ("#exception-a-e", "Exception: A&E"),
                     ("#appendix-a-data-quality", "Appendix A: data quality")]
    targets = {h["id"] for h in soup.find_all("h2") if h.get("id")}
    assert {href[1:] for href, _ in links} <= targets
    assert len(soup.select("nav.contents")) == 1 and "published page" not in soup.get_text()  # the slot replaced
    assert soup.find("h2", class_="keep", id="appendix-a-data-quality")  # its own attributes kept


def test_headings_with_the_same_text_get_distinct_ids():
    soup = BeautifulSoup(html.fill_contents(_page("<h2>Notes</h2>", "<h2>Notes</h2>", '<h2 id="notes-2">x</h2>')),
                         "html.parser")
    ids = [h["id"] for h in soup.find_all("h2") if h.get("id")]
    assert len(ids) == len(set(ids)) == 3


def test_a_page_without_the_slot_is_unchanged_and_the_unfilled_slot_says_where_to_look():
    body = "<h2>Alone</h2>"
    assert html.fill_contents(body) == body
    assert "listed in the published page" in BeautifulSoup(_page(), "html.parser").get_text()


def test_the_slot_is_found_as_nbconvert_writes_it_back():
    rewritten = str(html.contents_slot()).replace('class="contents" aria-label="Contents"',
                                                  'aria-label="Contents" class="contents"')
    soup = BeautifulSoup(html.fill_contents("<h1>P</h1>" + rewritten + "<h2>One</h2>"), "html.parser")
    assert [a.get_text() for a in soup.select("nav.contents a")] == ["One"] and "published page" not in soup.get_text()
