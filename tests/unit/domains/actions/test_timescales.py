"""Timescales as written in the seed action plans, and the dates they must parse to."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers.domains.actions import timescales

D = dt.date
# (cell as written in the seed documents, start, due, ongoing, number of date items)
SEED_TIMESCALES = [
    ("Sept. 03", D(2003, 9, 1), D(2003, 9, 30), False, 1),
    ("Aug. 03", D(2003, 8, 1), D(2003, 8, 31), False, 1),
    ("Ongoing", None, None, True, 1),
    ("Nov 03\nJan 04\nNov 03\nFeb 04", D(2003, 11, 1), D(2004, 2, 29), False, 4),
    ("<p>Nov 03</p> <p>Jan 04</p> <p>Nov 03</p> <p>Feb 04</p>", D(2003, 11, 1), D(2004, 2, 29), False, 4),
    ("Nov 03\nFeb 04\nMar 04", D(2003, 11, 1), D(2004, 3, 31), False, 3),
    ("Jun. 04", D(2004, 6, 1), D(2004, 6, 30), False, 1),
    ("Nov. 03", D(2003, 11, 1), D(2003, 11, 30), False, 1),
    ("Nov 03", D(2003, 11, 1), D(2003, 11, 30), False, 1),
    ("Dec 03", D(2003, 12, 1), D(2003, 12, 31), False, 1),
    ("Oct 03", D(2003, 10, 1), D(2003, 10, 31), False, 1),
    ("Mar. 04", D(2004, 3, 1), D(2004, 3, 31), False, 1),
    ("Mar 04", D(2004, 3, 1), D(2004, 3, 31), False, 1),
    ("Dec. 03", D(2003, 12, 1), D(2003, 12, 31), False, 1),
    ("Jan. 04", D(2004, 1, 1), D(2004, 1, 31), False, 1),
    ("Jun 04", D(2004, 6, 1), D(2004, 6, 30), False, 1),
    ("Oct. 03", D(2003, 10, 1), D(2003, 10, 31), False, 1),
    ("Dec. 03 Oct 03 Jan 04 May 04 Oct 03 Dec 03", D(2003, 10, 1), D(2004, 5, 31), False, 6),
    ("Mar.04", D(2004, 3, 1), D(2004, 3, 31), False, 1),
    ("March 04", D(2004, 3, 1), D(2004, 3, 31), False, 1),
    ("April 04", D(2004, 4, 1), D(2004, 4, 30), False, 1),
    ("Jan 04 Dec 03 March 04 Nov 03", D(2003, 11, 1), D(2004, 3, 31), False, 4),
    ("Oct. 03 Oct 03 Mar 04", D(2003, 10, 1), D(2004, 3, 31), False, 3),
    ("Aug/Sept 03", D(2003, 8, 1), D(2003, 9, 30), False, 1),
    ("Oct. 03- Mar. 04", D(2003, 10, 1), D(2004, 3, 31), False, 1),
    ("Dec 03 Mar.04", D(2003, 12, 1), D(2004, 3, 31), False, 2),
    ("Immediate", None, None, False, 1),
    ("Oct. 2003 Nov 03 Jan 04 Jan-Mar 04 Jan-Mar 04", D(2003, 10, 1), D(2004, 3, 31), False, 5),
    ("Nov 03 Jan-Mar 04", D(2003, 11, 1), D(2004, 3, 31), False, 2),
    ("Nov. 03 Dec-Feb 04 April 04 onwards", D(2003, 11, 1), D(2004, 2, 29), True, 3),
    ("<p>Nov 04</p> <p>Dec 04</p> <p>Dec 04</p> <p>April 04 onwards</p>", D(2004, 4, 1), D(2004, 12, 31), True, 4),
    ("2004/05", D(2004, 4, 1), D(2005, 3, 31), False, 1),
    ("On-going Dec 04 Jan 04", D(2004, 1, 1), D(2004, 12, 31), True, 3),
    ("On going", None, None, True, 1),
    ("Dec 03 Dec 03 Dec 03 Dec 03", D(2003, 12, 1), D(2003, 12, 31), False, 4),
    ("Feb 04 Apr 04", D(2004, 2, 1), D(2004, 4, 30), False, 2),
    ("Oct. 2003", D(2003, 10, 1), D(2003, 10, 31), False, 1),
    ("Jan-Mar 04", D(2004, 1, 1), D(2004, 3, 31), False, 1),
    ("Dec-Feb 04", D(2003, 12, 1), D(2004, 2, 29), False, 1),
    ("Dec 03 Mar.04", D(2003, 12, 1), D(2004, 3, 31), False, 2),
    # financial years as the seeds write them (000: 09/10, 10/11; 001: 04/05, 2004/5, 2002/3, 2003/4; 004: 2011/12)
    ("09/10", D(2009, 4, 1), D(2010, 3, 31), False, 1),
    ("10/11", D(2010, 4, 1), D(2011, 3, 31), False, 1),
    ("04/05", D(2004, 4, 1), D(2005, 3, 31), False, 1),
    ("2004/5", D(2004, 4, 1), D(2005, 3, 31), False, 1),
    ("2002/3", D(2002, 4, 1), D(2003, 3, 31), False, 1),
    ("2003/4", D(2003, 4, 1), D(2004, 3, 31), False, 1),
    ("2011/12", D(2011, 4, 1), D(2012, 3, 31), False, 1),
    ("2012/13", D(2012, 4, 1), D(2013, 3, 31), False, 1),
    # dates from 004 and 001
    ("12th May 2011", D(2011, 5, 12), D(2011, 5, 12), False, 1),
    ("by 16th May 2011", D(2011, 5, 16), D(2011, 5, 16), False, 1),
]


def test_table_has_at_least_30_seed_strings():
    assert len({row[0] for row in SEED_TIMESCALES}) >= 30


@pytest.mark.parametrize("text, start, due, ongoing, items", SEED_TIMESCALES, ids=[r[0] for r in SEED_TIMESCALES])
def test_seed_timescale(text, start, due, ongoing, items):
    span = timescales.span(text)
    assert (span.start, span.due, span.ongoing, len(span.items)) == (start, due, ongoing, items)


def test_immediate_is_flagged():
    assert timescales.span("Immediate").immediate


def test_each_item_keeps_its_own_dates():
    items = timescales.parse("Nov. 03 Dec-Feb 04 April 04 onwards")
    assert [(i.kind, i.start, i.due) for i in items] == [
        ("month", D(2003, 11, 1), D(2003, 11, 30)),
        ("month_range", D(2003, 12, 1), D(2004, 2, 29)),
        ("month", D(2004, 4, 1), None),
    ]


@pytest.mark.parametrize("text, start, due", [
    ("Q1 2011/12", D(2011, 4, 1), D(2011, 6, 30)),
    ("Q4 2003/04", D(2004, 1, 1), D(2004, 3, 31)),
    ("Q3 03/04", D(2003, 10, 1), D(2003, 12, 31)),
    ("31/10/2003", D(2003, 10, 31), D(2003, 10, 31)),
    ("31.10.03", D(2003, 10, 31), D(2003, 10, 31)),
    ("end of March 2004", D(2004, 3, 1), D(2004, 3, 31)),
])
def test_quarters_and_days(text, start, due):
    span = timescales.span(text)
    assert (span.start, span.due) == (start, due)


def test_financial_year_of_a_date():
    assert timescales.financial_year(D(2004, 2, 1)) == "2003/04"
    assert timescales.financial_year(D(2004, 4, 1)) == "2004/05"
    assert timescales.financial_year(D(2000, 3, 31)) == "1999/00"


@pytest.mark.parametrize("text, message", [
    ("", "no timescale given"),
    (None, "no timescale given"),
    ("tbc", "gives no date"),
    ("Jan/Feb", "cannot read 'Jan/Feb'"),  # 001, 10.11: no year
    ("before 31.10", "cannot read '31.10'"),  # 001, 10.4: no year
    ("2004/06", "not a financial year"),
    ("Sept 03 maybe", "cannot read 'maybe'"),
    ("Mar 04-Jan 04", "ends before it starts"),
    ("31/02/2004", "is not a date"),
])
def test_bad_timescales_say_why(text, message):
    with pytest.raises(timescales.TimescaleError, match=message):
        timescales.parse(text)
