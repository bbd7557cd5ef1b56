"""Synthetic NHS England RTT "Full CSV data file" extracts.

Writes monthly files in the publisher's exact layout (121 columns, CRLF, UTF-8 without BOM,
quoted names that contain commas) so the pipeline can run without the real downloads. The
shipped sample is 24 months, February 2024 to January 2026, for NHS Sussex ICB (QNX) and its
three sub-ICB locations (09D Brighton and Hove, 70F West Sussex, 97R East Sussex, named as the
publisher names them), two peer ICBs (QE1, QH8) and the national commissioning hubs. Providers
and the peers' sub-ICB locations are invented and named ``SYNTHETIC ...`` with codes the
publisher does not use; the real identifiers are the ICB codes and names, the Sussex sub-ICB
locations and ``13Q`` and ``NONC``. The counts are random draws, not statistics about anyone.

Sussex's patients follow a course a board chart can show: a waiting list that rises slowly
through 2024 and eases in 2025, waits that shorten (more within 18 weeks) and 52-week waiters
falling by about four fifths, so the later months sit on one side of the mean (a shift). Other
ICBs' lists grow steadily.

The publisher's traps are reproduced on purpose:

* a zero count is written ``0`` on most rows but left blank on rows from some providers
  (and, rarely, blank only from some week onwards), so readers must treat blank as 0;
* ``Total`` is set on completed-pathway rows (Part_1A/1B) only; ``Total All`` is always set;
* Part_3 (new clock starts) rows carry nothing but ``Total All``;
* ``C_999`` "Total" rows repeat the sum of the specialty rows of their group;
* national hubs and the ``NONC`` commissioner (named ``#N/A``) have no commissioner parent;
* ``Patients with unknown clock start date`` is blank or ``0`` and occasionally a small count.

Written by ``python -m helpers.synthetic`` (all sources) through :func:`generate`.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import gzip
import io
import pathlib
from dataclasses import dataclass

import numpy as np

from helpers.domains.rtt.measures import PARTS
from helpers.sources import rtt_full_csv as src

# The layout is the reader's: one definition of the publisher's format for both directions.
OPEN_BAND = src.OPEN_BAND_WEEKS
N_BANDS = OPEN_BAND + 1
HEADER = src.COLUMNS
ROLLUP = (src.ROLLUP_CODE, "Total")

SUSSEX = "QNX"
ICBS = {
    SUSSEX: "NHS SUSSEX INTEGRATED CARE BOARD",
    "QE1": "NHS LANCASHIRE AND SOUTH CUMBRIA INTEGRATED CARE BOARD",
    "QH8": "NHS MID AND SOUTH ESSEX INTEGRATED CARE BOARD",
}
REGIONS = {SUSSEX: "south east", "QE1": "north west", "QH8": "east of england"}  # for the hubs


@dataclass(frozen=True)
class Provider:
    code: str
    name: str
    icb: str
    independent: bool
    size: float  # incomplete pathways (Part_2) at scale 1, all commissioners together
    main: tuple[str, ...] = ()  # its main commissioners, largest first (default: one drawn at random)


@dataclass(frozen=True)
class Commissioner:
    code: str
    name: str
    icb: str  # "" for national and regional commissioners, as published
    region: str = ""  # a hub's region ("" for national ones): only that region's providers report to it
    uptake: tuple[float, float] = (0.0, 0.0)  # a hub's chance of being reported by a trust, and its share


@dataclass(frozen=True)
class Specialty:
    code: str
    name: str
    share: float  # of a provider's waiting list
    admitted: float  # share of completions that are admitted (Part_1A)
    tilt: float  # per-week log slope added to the wait profile; > 0 means longer waits
    surgical: bool  # offered by independent-sector sites


PROVIDERS = [
    Provider("RS1", "SYNTHETIC SOUTH DOWNS UNIVERSITY HOSPITALS NHS FOUNDATION TRUST", SUSSEX, False, 24000,
             ("70F", "09D")),
    Provider("RS2", "SYNTHETIC WEALD, LEVELS AND COAST HEALTHCARE NHS TRUST", SUSSEX, False, 16000, ("97R",)),
    Provider("RS3", "SYNTHETIC DOWNLAND COMMUNITY HEALTHCARE NHS FOUNDATION TRUST", SUSSEX, False, 3500,
             ("70F", "97R")),
    Provider("RS4", "SYNTHETIC HIGH WEALD SPECIALIST HOSPITAL NHS FOUNDATION TRUST", SUSSEX, False, 2400, ("70F",)),
    Provider("NX803", "SYNTHETIC ARUN VALLEY HOSPITAL", SUSSEX, True, 1800, ("70F",)),
    Provider("NX804", "SYNTHETIC OUSE VALLEY TREATMENT CENTRE", SUSSEX, True, 1300, ("97R", "09D")),
    Provider("RZ7", "SYNTHETIC NORTH LAKES HOSPITALS NHS TRUST", "QE1", False, 14000),
    Provider("R7Q", "SYNTHETIC ROYAL BAY, MORECAMBE AND KENDAL HOSPITALS NHS FOUNDATION TRUST",
             "QE1", False, 11000),
    Provider("R8X", "SYNTHETIC PENNINE AND RIBBLE VALLEY TEACHING HOSPITALS NHS FOUNDATION TRUST",
             "QE1", False, 17000),
    Provider("RY0", "SYNTHETIC FYLDE COAST UNIVERSITY HOSPITALS NHS TRUST", "QE1", False, 12000),
    Provider("NX801", "SYNTHETIC HARBOUR VIEW HOSPITAL", "QE1", True, 2200),
    Provider("NY3K5", "SYNTHETIC MOORSIDE TREATMENT CENTRE", "QE1", True, 1600),
    Provider("R5K", "SYNTHETIC ESTUARY, THAMES-SIDE AND CROUCH HOSPITALS NHS FOUNDATION TRUST",
             "QH8", False, 10000),
]

COMMISSIONERS = [
    Commissioner("09D", "NHS BRIGHTON AND HOVE (SUB ICB LOCATION)", SUSSEX),
    Commissioner("70F", "NHS WEST SUSSEX (SUB ICB LOCATION)", SUSSEX),
    Commissioner("97R", "NHS EAST SUSSEX (SUB ICB LOCATION)", SUSSEX),
    Commissioner("04Z", "NHS SYNTHETIC NORTH LAKES (SUB ICB LOCATION)", "QE1"),
    Commissioner("05Y", "NHS SYNTHETIC LUNE, FYLDE AND WYRE (SUB ICB LOCATION)", "QE1"),
    Commissioner("06U", "NHS SYNTHETIC RIBBLE VALLEY (SUB ICB LOCATION)", "QE1"),
    Commissioner("07Z", "NHS SYNTHETIC WEST PENNINE (SUB ICB LOCATION)", "QE1"),
    Commissioner("08Y", "NHS SYNTHETIC COASTAL PLAIN (SUB ICB LOCATION)", "QE1"),
    Commissioner("K7P3V", "NHS SYNTHETIC ESTUARY AND CROUCH (SUB ICB LOCATION)", "QH8"),
    Commissioner("13Q", "NATIONAL COMMISSIONING HUB 1", "", "", (0.7, 0.02)),
    Commissioner("29Z", "SYNTHETIC NORTH WEST - H&J COMMISSIONING HUB", "", "north west", (0.25, 0.002)),
    Commissioner("98Z", "SYNTHETIC SOUTH EAST - H&J COMMISSIONING HUB", "", "south east", (0.25, 0.002)),
    Commissioner("NONC", "#N/A", "", "", (0.5, 0.006)),
]
ALWAYS_REPORTED = ("13Q", "NONC")  # by the first trust, so that every seed has them

SPECIALTIES = [
    Specialty("C_100", "General Surgery Service", 0.11, 0.35, 0.000, True),
    Specialty("C_101", "Urology Service", 0.08, 0.30, 0.002, True),
    Specialty("C_110", "Trauma and Orthopaedic Service", 0.15, 0.35, 0.008, True),
    Specialty("C_120", "Ear Nose and Throat Service", 0.10, 0.20, 0.006, True),
    Specialty("C_130", "Ophthalmology Service", 0.13, 0.30, -0.004, True),
    Specialty("C_300", "General Internal Medicine Service", 0.03, 0.02, -0.012, False),
    Specialty("C_320", "Cardiology Service", 0.08, 0.10, -0.006, False),
    Specialty("C_502", "Gynaecology Service", 0.10, 0.25, 0.006, True),
    Specialty("X02", "Other - Medical Services", 0.14, 0.05, -0.002, False),
]

# Share of patients in each week band, calibrated to the shape of the national January 2026
# extract (percent at a few knot weeks, log-linear in between; the last entry is "Gt 104").
# Incomplete pathways fall steadily, then drop at 52, 65 and 78 weeks where targets bite;
# completed pathways carry a hump just before 52 and 65 weeks (long waiters treated first).
_KNOTS = {
    "Part_1A": ([(0, 6.9), (1, 4.3), (6, 4.1), (10, 2.6), (18, 1.5), (25, 1.0), (30, 0.9),
                 (37, 0.68), (41, 0.78), (50, 0.88), (52, 0.8), (53, 0.6), (56, 0.51), (58, 0.65),
                 (64, 0.6), (66, 0.34), (68, 0.15), (70, 0.066), (78, 0.028), (90, 0.012),
                 (103, 0.004)], 0.10),
    "Part_1B": ([(0, 11.7), (1, 7.1), (2, 5.3), (4, 4.1), (6, 3.8), (10, 2.35), (18, 1.4),
                 (25, 1.07), (30, 0.95), (38, 0.68), (42, 0.83), (48, 0.72), (51, 0.64),
                 (53, 0.41), (55, 0.31), (58, 0.35), (62, 0.25), (65, 0.15), (67, 0.07),
                 (70, 0.025), (78, 0.008), (90, 0.004), (103, 0.002)], 0.049),
    "Part_2": ([(0, 5.3), (3, 4.5), (10, 3.3), (18, 2.2), (25, 1.55), (30, 1.32), (35, 1.05),
                (40, 0.68), (45, 0.57), (50, 0.38), (52, 0.29), (55, 0.19), (58, 0.14),
                (64, 0.05), (65, 0.014), (70, 0.006), (78, 0.003), (90, 0.0015), (103, 0.0007)],
               0.008),
}

# Growth of the waiting list per month, relative to January 2026, so a trend shows.
_MONTHLY_GROWTH = 0.006
_REFERENCE_MONTH = 2026 * 12 + 1

# Sussex's course over the sample's 24 months (month 0 = February 2024, 23 = January 2026).
_SUSSEX_FIRST_MONTH = 2024 * 12 + 2
_SUSSEX_MONTHS = 23
_SUSSEX_LIST_SWING = 0.04            # the list rises about 4% into winter 2024/25, then eases
_SUSSEX_TILT = (0.006, -0.004)       # per-week log slope of waits, first month to last: waits shorten
_SUSSEX_LONG_WAITS = (1.6, 0.5)      # 52+ week bands, relative: held to August 2024, then cleared steadily
_SUSSEX_CLEARING_FROM = 6            # August 2024


@dataclass(frozen=True)
class _Course:
    """How an ICB's patients' waits differ in one month from the shape fixed for all months."""

    level: float  # waiting list size, relative
    tilt: float  # added per-week log slope of the wait profile
    long_waits: float  # factor on the bands of 52 weeks and over


def _course(icb: str, period_end: dt.date) -> _Course:
    month = period_end.year * 12 + period_end.month
    if icb != SUSSEX:
        return _Course((1 + _MONTHLY_GROWTH) ** (month - _REFERENCE_MONTH), 0.0, 1.0)
    m = float(np.clip(month - _SUSSEX_FIRST_MONTH, 0, _SUSSEX_MONTHS))
    clearing = max(0.0, m - _SUSSEX_CLEARING_FROM) / (_SUSSEX_MONTHS - _SUSSEX_CLEARING_FROM)
    (first_tilt, last_tilt), (held, cleared) = _SUSSEX_TILT, _SUSSEX_LONG_WAITS
    return _Course(level=1 + _SUSSEX_LIST_SWING * np.sin(np.pi * m / 20),  # highest in December 2024
                   tilt=first_tilt + (last_tilt - first_tilt) * m / _SUSSEX_MONTHS,
                   long_waits=held + (cleared - held) * clearing)


def _profile(part: str) -> np.ndarray:
    knots, open_band = _KNOTS[part]
    weeks, pct = zip(*knots)
    shape = np.exp(np.interp(np.arange(OPEN_BAND), weeks, np.log(pct)))
    return np.append(shape, open_band)


_PROFILES = {part: _profile(part) for part in _KNOTS}


# --- calendar -------------------------------------------------------------------------------

def _easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _bank_holidays(year: int) -> set[dt.date]:
    """England and Wales bank holidays, with weekend substitutes."""
    def first_monday(month: int) -> dt.date:
        day = dt.date(year, month, 1)
        return day + dt.timedelta(days=(7 - day.weekday()) % 7)

    def last_monday(month: int) -> dt.date:
        day = dt.date(year, month, calendar.monthrange(year, month)[1])
        return day - dt.timedelta(days=day.weekday())

    def substitute(day: dt.date) -> dt.date:
        return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day

    easter = _easter(year)
    christmas = substitute(dt.date(year, 12, 25))
    boxing = dt.date(year, 12, 26)
    while boxing.weekday() >= 5 or boxing == christmas:
        boxing += dt.timedelta(days=1)
    return {substitute(dt.date(year, 1, 1)), easter - dt.timedelta(days=2),
            easter + dt.timedelta(days=1), first_monday(5), last_monday(5), last_monday(8),
            christmas, boxing}


def _activity(day: dt.date, holidays: set[dt.date]) -> float:
    """Relative elective activity on a day: referrals and treatments follow the working week."""
    if day.weekday() >= 5 or day in holidays:
        return 0.1
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 2):
        return 0.5  # the quiet days between Christmas and New Year
    return 1.0


def _band_inflow(period_end: dt.date) -> np.ndarray:
    """Relative number of clocks started in each week band before period_end.

    Bands covering Christmas or a bank holiday hold fewer patients, and the dip moves one
    band further each week, as in the published data.
    """
    holidays = set().union(*(_bank_holidays(y) for y in range(period_end.year - 3, period_end.year + 1)))
    inflow = np.empty(N_BANDS)
    for band in range(N_BANDS):
        last = period_end - dt.timedelta(days=7 * band)
        inflow[band] = sum(_activity(last - dt.timedelta(days=d), holidays) for d in range(7)) / 5.2
    inflow[OPEN_BAND] = 1.0  # the open band spans years; holidays average out
    return inflow


def _working_days(period_end: dt.date) -> float:
    """Activity-weighted working days in the month, which drive completions and new periods."""
    holidays = _bank_holidays(period_end.year)
    first = period_end.replace(day=1)
    days = (first + dt.timedelta(days=d) for d in range(period_end.day))
    return sum(_activity(day, holidays) for day in days if day.weekday() < 5 and day not in holidays)


# --- structure: who serves whom, fixed by the seed alone --------------------------------------

@dataclass(frozen=True)
class _Group:
    provider: Provider
    commissioner: Commissioner
    weight: float  # share of the provider's list from this commissioner
    specialties: tuple[Specialty, ...]
    spread: tuple[float, ...]  # each specialty's size relative to its usual share, per pair


@dataclass(frozen=True)
class _Style:
    blank_rate: float  # chance a row leaves zero cells blank instead of writing 0
    trailing_rate: float  # chance a row writes 0 up to some week and blank after it
    lead_zero_rate: float  # chance a Part_2/2A row writes only its first zero as 0
    tilt: float  # provider's per-week log slope of the wait profile


def _home_weights(provider: Provider, rng) -> dict[Commissioner, float]:
    """The provider's own ICB's sub-ICB locations: its main ones largest, then some neighbours."""
    home = [c for c in COMMISSIONERS if c.icb == provider.icb]
    main = [c for code in provider.main for c in home if c.code == code] or [home[int(rng.integers(len(home)))]]
    weights = {}
    for c in home:
        if c in main:
            weights[c] = rng.uniform(3.0, 6.0) if c is main[0] else rng.uniform(1.0, 2.0)
        elif rng.random() < 0.75:
            weights[c] = rng.lognormal(0.0, 0.6)
    return weights


def _hub_weights(provider: Provider, rng) -> dict[Commissioner, float]:
    """National hubs and the provider's region's hub; independent sites report only NONC, and not always."""
    hubs = [c for c in COMMISSIONERS if not c.icb and c.region in ("", REGIONS[provider.icb])]
    nonc = next(c for c in hubs if c.code == "NONC")
    if provider.independent:
        return {nonc: 0.01} if rng.random() < 0.5 else {}
    first = provider is PROVIDERS[0]
    return {c: c.uptake[1] for c in hubs if rng.random() < c.uptake[0] or (first and c.code in ALWAYS_REPORTED)}


def _structure(seed: int) -> tuple[list[_Group], dict[str, _Style]]:
    """Provider x commissioner pairs, their specialties and each provider's habits.

    Drawn from the seed only, so consecutive months describe the same organisations.
    """
    rng = np.random.default_rng([seed, 0])
    groups = []
    for provider in PROVIDERS:
        away = [c for c in COMMISSIONERS if c.icb and c.icb != provider.icb]
        weights = _home_weights(provider, rng)
        for c in away:
            if rng.random() < (0.15 if provider.independent else 0.3):
                weights[c] = rng.uniform(0.01, 0.05)
        weights.update(_hub_weights(provider, rng))
        total = sum(weights.values())
        offered = [s for s in SPECIALTIES if s.surgical or not provider.independent]
        if provider.independent:
            offered = [s for s in offered if rng.random() < 0.7] or offered[:2]
        for c, w in weights.items():
            share = w / total
            keep = 0.95 if share > 0.1 else 0.35 + 2 * share
            specs = tuple(s for s in offered if rng.random() < keep)
            specs = specs or (offered[int(rng.integers(len(offered)))],)
            spread = tuple(float(x) for x in rng.lognormal(0.0, 0.3, len(specs)))
            groups.append(_Group(provider, c, share, specs, spread))

    # Most providers write 0 for an empty cell; a few leave it blank (and one of those writes
    # a leading 0 on incomplete pathways), one occasionally stops writing 0 after some week.
    order = rng.permutation(len(PROVIDERS))
    styles = {}
    for rank, index in enumerate(order):
        p = PROVIDERS[index]
        blank = rng.uniform(0.6, 0.95) if rank < 2 else 0.0
        styles[p.code] = _Style(
            blank_rate=blank,
            trailing_rate=0.08 if rank == 2 else 0.0,
            lead_zero_rate=0.4 if rank == 0 else 0.0,
            tilt=rng.normal(-0.012, 0.004) if p.independent else rng.normal(0.0, 0.006),
        )
    return groups, styles


# --- one month --------------------------------------------------------------------------------

def _period_label(period_end: dt.date) -> str:
    return f"RTT-{calendar.month_name[period_end.month]}-{period_end.year}"


def _check_month_end(period_end: dt.date) -> None:
    if (period_end + dt.timedelta(days=1)).day != 1:
        raise ValueError(f"period_end must be the last day of a month, got {period_end}")


def _tilted(profile: np.ndarray, tilt: float, weight: np.ndarray | None = None) -> np.ndarray:
    shape = profile * np.exp(tilt * np.minimum(np.arange(N_BANDS), 90))
    if weight is not None:
        shape = shape * weight
    return shape / shape.sum()


def _format_counts(part: str, bands: np.ndarray, unknown: int, style: str, rng) -> list[str]:
    """The 108 count cells of a row, written the way the publisher writes them."""
    if part == "Part_3":
        return [""] * N_BANDS + ["", "", str(int(bands.sum()))]
    if style == "blank":
        cells = [str(v) if v else "" for v in bands]
    elif style == "trailing":
        cut = int(rng.integers(50, 70))
        cells = [str(v) if v or w < cut else "" for w, v in enumerate(bands)]
    elif style == "lead_zero":
        cells = [str(v) if v or w == 0 else "" for w, v in enumerate(bands)]
    else:
        cells = [str(v) for v in bands]
    band_sum = int(bands.sum())
    if part in ("Part_1A", "Part_1B"):
        unknown_cell = str(unknown) if unknown else ("0" if style == "zero" and rng.random() < 0.7 else "")
        return cells + [str(band_sum), unknown_cell, str(band_sum + unknown)]
    return cells + ["", "", str(band_sum)]


def generate_month(period_end: dt.date, *, seed: int, scale: float = 1.0) -> list[list[str]]:
    """Rows (header first) of one synthetic monthly extract, as strings exactly as they are written.

    ``period_end`` is the last day of the reporting month. ``scale`` multiplies patient numbers
    (not the number of rows). The same seed and period always give the same rows.
    """
    _check_month_end(period_end)
    groups, styles = _structure(seed)
    rng = np.random.default_rng([seed, period_end.year, period_end.month])
    courses = {icb: _course(icb, period_end) for icb in [*ICBS, ""]}
    flow = _working_days(period_end) / 21.0
    inflow = _band_inflow(period_end)
    weeks = np.arange(N_BANDS)
    # Decisions to admit accumulate with waiting time: about 1 in 10 new waiters, 1 in 3 at a year.
    dta_rate = 0.09 + 0.28 * np.minimum(weeks, 52) / 52
    long_wait_bands = weeks >= 52
    label = _period_label(period_end)

    rows = [list(HEADER)]
    for g in sorted(groups, key=lambda g: (g.provider.icb, g.provider.code, g.commissioner.code)):
        prov, comm, style = g.provider, g.commissioner, styles[g.provider.code]
        course = courses[comm.icb]
        waits = inflow * np.where(long_wait_bands, course.long_waits, 1.0)
        counts: dict[str, dict[Specialty, tuple[np.ndarray, int]]] = {p: {} for p in PARTS}
        for spec, spread in zip(g.specialties, g.spread):
            # month-to-month noise is small next to the growth so that the trend shows
            mean = prov.size * g.weight * spec.share * spread * course.level * scale * rng.lognormal(0.0, 0.015)
            tilt = style.tilt + spec.tilt + course.tilt
            waiting = rng.multinomial(round(mean), _tilted(_PROFILES["Part_2"], tilt, waits))
            dta = rng.binomial(waiting, np.clip(dta_rate * spec.admitted / 0.25, 0, 0.95))
            completed = mean * 0.21 * flow * rng.lognormal(0.0, 0.1)
            admitted = rng.multinomial(rng.poisson(completed * spec.admitted),
                                       _tilted(_PROFILES["Part_1A"], tilt))
            non_admitted = rng.multinomial(rng.poisson(completed * (1 - spec.admitted)),
                                           _tilted(_PROFILES["Part_1B"], tilt))
            new = np.zeros(N_BANDS, dtype=np.int64)
            new[0] = rng.poisson(mean * 0.25 * flow * rng.lognormal(0.0, 0.1))
            for part, bands in (("Part_1A", admitted), ("Part_1B", non_admitted),
                                ("Part_2", waiting), ("Part_2A", dta), ("Part_3", new)):
                unknown = 0
                if part in ("Part_1A", "Part_1B") and bands.sum() and rng.random() < 0.02:
                    unknown = int(rng.integers(1, 4))
                if bands.sum() + unknown:  # the publisher omits empty rows
                    counts[part][spec] = (bands, unknown)

        for part, description in PARTS.items():
            if not counts[part]:
                continue
            ident = [label, prov.icb, ICBS[prov.icb], prov.code, prov.name,
                     comm.icb, ICBS.get(comm.icb, ""), comm.code, comm.name, part, description]
            for spec, (bands, unknown) in counts[part].items():
                roll = rng.random()
                row_style = "zero"
                if roll < style.blank_rate:
                    row_style = "blank"
                elif roll < style.blank_rate + style.trailing_rate:
                    row_style = "trailing"
                if part in ("Part_2", "Part_2A") and row_style == "blank" and rng.random() < style.lead_zero_rate:
                    row_style = "lead_zero"
                rows.append(ident + [spec.code, spec.name]
                            + _format_counts(part, bands, unknown, row_style, rng))
            # The roll-up sums the specialty rows and is always written with zeros.
            total = sum(b for b, _ in counts[part].values())
            total_unknown = sum(u for _, u in counts[part].values())
            rows.append(ident + list(ROLLUP) + _format_counts(part, total, total_unknown, "zero", rng))
    return rows


def _to_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def file_name(period_end: dt.date, *, gzipped: bool = False) -> str:
    """The publisher's file name for the month, with a SYNTHETIC_ prefix (and .gz, as mirrors keep it)."""
    return f"SYNTHETIC_{period_end:%Y%m%d}-{_period_label(period_end)}-full-extract.csv" + (".gz" if gzipped else "")


def write_month(path: pathlib.Path, period_end: dt.date, *, seed: int, scale: float = 1.0) -> pathlib.Path:
    """Write one synthetic month to ``path`` (a file; gzipped when it ends .gz) and return the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _to_bytes(generate_month(period_end, seed=seed, scale=scale))
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)  # mtime 0: same bytes each time
    return path


def _previous_month_end(period_end: dt.date) -> dt.date:
    return period_end.replace(day=1) - dt.timedelta(days=1)


def generate_sample(out_dir: pathlib.Path, *, months: int = 3,
                    last_period_end: dt.date = dt.date(2026, 1, 31),
                    seed: int = 20260131, gzip_older: bool = False) -> list[pathlib.Path]:
    """Writes `months` consecutive monthly files ending at last_period_end into out_dir, named
    SYNTHETIC_<YYYYMMDD>-RTT-<Month>-<YYYY>-full-extract.csv (the publisher's name with a
    SYNTHETIC_ prefix), all but the last gzipped if ``gzip_older``. Returns the paths, oldest first."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    _check_month_end(last_period_end)
    ends = [last_period_end]
    while len(ends) < months:
        ends.append(_previous_month_end(ends[-1]))
    out_dir = pathlib.Path(out_dir)
    return [write_month(out_dir / file_name(end, gzipped=gzip_older and end != last_period_end), end, seed=seed)
            for end in reversed(ends)]


SHIPPED_MONTHS = 24  # February 2024 to January 2026: two years of points for the board's SPC charts


def generate(out_root: pathlib.Path) -> list[pathlib.Path]:
    """The shipped sample in ``<out_root>/rtt_full_csv``: 24 months to January 2026, the latest as
    a plain CSV and the earlier ones gzipped (the reader takes both; the folder stays small)."""
    return generate_sample(pathlib.Path(out_root) / src.SOURCE_FOLDER, months=SHIPPED_MONTHS, gzip_older=True)
