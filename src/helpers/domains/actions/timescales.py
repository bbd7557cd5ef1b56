"""Timescales as people write them in action plans, parsed into start and due dates.

Action plans are typed by hand: "Sept. 03", "Mar.04", "Jan-Mar 04", "Oct. 03- Mar. 04",
"Aug/Sept 03", "2004/05", "Q3 2003/04", "April 04 onwards", "Ongoing", "Immediate", and often
several of these in one cell (one per milestone). A month means the whole month (due on its last
day); a year written "2004/05" or "04/05" is an NHS financial year (1 April to 31 March); a
quarter is a financial-year quarter (Q1 = April to June). Two-digit years are 20yy.

:func:`parse` returns one :class:`Item` per date expression found in the cell; anything left
over that is not a date raises :class:`TimescaleError` with the text it could not read, so a
typo is reported rather than quietly ignored.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MON = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:19|20)?\d{2}"
_SEP = r"\s*(?:-|–|/|to)\s*"

# Order matters: longer forms first so "Oct. 03- Mar. 04" is one range, not two months.
PATTERNS = [
    ("ongoing", re.compile(r"on[\s-]?going|continuous|continuing", re.I)),
    ("immediate", re.compile(r"immediate(?:ly)?|asap", re.I)),
    ("quarter", re.compile(r"q(?P<q>[1-4])\s*(?P<fy1>(?:19|20)?\d{2})\s*/\s*(?P<fy2>\d{2,4})", re.I)),
    ("fin_year", re.compile(r"(?:fy\s*)?(?P<fy1>(?:19|20)?\d{2})\s*/\s*(?P<fy2>\d{1,4})(?![\d/.])", re.I)),
    ("day", re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[./ ]\s*(?P<m>\d{1,2}|" + _MON + r")[./ ]\s*(?P<y>"
                       + _YEAR + r")(?!\d)", re.I)),
    ("month_range", re.compile(rf"(?P<m1>{_MON})\s*(?P<y1>{_YEAR})?{_SEP}(?P<m2>{_MON})\s*(?P<y2>{_YEAR})(?!\d)",
                               re.I)),
    ("month", re.compile(rf"(?P<m>{_MON})\s*(?P<y>{_YEAR})(?!\d)", re.I)),
    ("year", re.compile(r"(?P<y>(?:19|20)\d{2})(?![\d/])")),
]
_ONWARDS = re.compile(r"\s*onwards?\b", re.I)
_FILLER = re.compile(r"^(?:[\s,;:&+]|and\b|by\b|end\s+of\b|end\b|before\b|from\b|w/c\b|<\/?p>)+", re.I)


class TimescaleError(ValueError):
    """A timescale cell holds text that is not a date, range, financial year or 'ongoing'."""


@dataclass(frozen=True)
class Item:
    """One date expression: its text, kind and the dates it stands for (None when open)."""

    text: str
    kind: str  # month, month_range, day, quarter, fin_year, year, ongoing, immediate
    start: dt.date | None
    due: dt.date | None
    onwards: bool = False  # "April 04 onwards": starts then, no end date


def _year(text: str | None) -> int:
    value = int(text)
    return value + 2000 if value < 100 else value


def _month(text: str) -> int:
    return MONTHS[text.rstrip(".").lower()]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def fin_year_start(fy1: str, fy2: str) -> int:
    """The calendar year a financial year written ``fy1/fy2`` starts in; checks the pair."""
    start = _year(fy1)
    end = int(fy2)
    if not ((end == (start + 1) % 10 and len(fy2) == 1) or end == (start + 1) % 100 or end == start + 1):
        raise TimescaleError(f"'{fy1}/{fy2}' is not a financial year (the second year must follow the first)")
    return start


def financial_year(date: dt.date) -> str:
    """The NHS financial year a date falls in, e.g. 2004-02-01 -> '2003/04'."""
    start = date.year if date.month >= 4 else date.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _item(kind: str, m: re.Match) -> Item:
    text = m.group(0)
    if kind in ("ongoing", "immediate"):
        return Item(text, kind, None, None)
    if kind == "quarter":
        start_year = fin_year_start(m["fy1"], m["fy2"])
        first_month = 4 + 3 * (int(m["q"]) - 1)
        year = start_year + (first_month - 1) // 12
        month = (first_month - 1) % 12 + 1
        return Item(text, kind, dt.date(year, month, 1), _month_end(year, month + 2))
    if kind == "fin_year":
        start_year = fin_year_start(m["fy1"], m["fy2"])
        return Item(text, kind, dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31))
    if kind == "day":
        month = int(m["m"]) if m["m"].isdigit() else _month(m["m"])
        try:
            day = dt.date(_year(m["y"]), month, int(m["d"]))
        except ValueError as exc:
            raise TimescaleError(f"'{text}' is not a date ({exc})") from None
        return Item(text, kind, day, day)
    if kind == "month_range":
        m1, m2, y2 = _month(m["m1"]), _month(m["m2"]), _year(m["y2"])
        # "Dec-Feb 04": with one year given it belongs to the end; a start month after the end
        # month is in the year before.
        y1 = _year(m["y1"]) if m["y1"] else (y2 - 1 if m1 > m2 else y2)
        start, due = dt.date(y1, m1, 1), _month_end(y2, m2)
        if start > due:
            raise TimescaleError(f"'{text}' ends before it starts")
        return Item(text, kind, start, due)
    if kind == "month":
        year, month = _year(m["y"]), _month(m["m"])
        return Item(text, kind, dt.date(year, month, 1), _month_end(year, month))
    year = int(m["y"])  # a bare calendar year
    return Item(text, kind, dt.date(year, 1, 1), dt.date(year, 12, 31))


def parse(cell) -> list[Item]:
    """Every date expression in a timescale cell, in the order written.

    Raises :class:`TimescaleError` for an empty cell or for text that is not a timescale.
    """
    text = "" if cell is None else str(cell)
    text = re.sub(r"</?p>", " ", text).strip()
    if not text or text.lower() in {"nan", "none", "-", "tbc", "tba", "n/a"}:
        raise TimescaleError("no timescale given" if not text or text.lower() in {"nan", "none"}
                             else f"timescale '{text}' gives no date")
    items, rest = [], text
    while True:
        rest = _FILLER.sub("", rest)
        if not rest:
            break
        for kind, pattern in PATTERNS:
            m = pattern.match(rest)
            if m:
                item = _item(kind, m)
                rest = rest[m.end():]
                onwards = _ONWARDS.match(rest)
                if onwards and item.start is not None:
                    item = Item(item.text + onwards.group(0), item.kind, item.start, None, onwards=True)
                    rest = rest[onwards.end():]
                items.append(item)
                break
        else:
            raise TimescaleError(f"cannot read '{rest[:40]}' in timescale '{text}' (expected e.g. 'Sept. 03', "
                                 f"'Jan-Mar 04', '2004/05', 'Q2 2004/05', '31/10/03', 'Ongoing')")
    return items


@dataclass(frozen=True)
class Span:
    """What a whole cell says: first start, last due date, and whether it is open-ended."""

    start: dt.date | None
    due: dt.date | None
    ongoing: bool
    immediate: bool
    items: tuple[Item, ...]


def span(cell) -> Span:
    """The cell summarised: earliest start, latest due; ``ongoing`` if any part is open-ended."""
    items = parse(cell)
    starts = [i.start for i in items if i.start is not None]
    dues = [i.due for i in items if i.due is not None]
    return Span(
        start=min(starts) if starts else None,
        due=max(dues) if dues else None,
        ongoing=any(i.kind == "ongoing" or i.onwards for i in items),
        immediate=any(i.kind == "immediate" for i in items),
        items=tuple(items),
    )
