"""Synthetic national time-series workbooks: A&E attendances and the RTT overview.

Laid out as NHS England lays out the real ones (see the readers in ``helpers.sources``): a title
block, merged group headings over the header row, Excel date serials or dates for months,
``-`` for not collected, ``52+`` beyond the last band, merged ``Year`` cells, empty months after
the last published one, notes below. The values are seeded random walks with a deliberate change
part-way (so the SPC rules have something to find), not statistics about anyone.

The real A&E file is a legacy ``.xls``; no maintained library writes that binary format, so the
sample keeps the same sheets, rows and columns in an ``.xlsx`` workbook, which the A&E reader
accepts as well. The real-file tests read the real ``.xls``.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter

from helpers.sources import ae_national_timeseries as ae
from helpers.sources import rtt_national_timeseries as rtt

SEED = 20240331
FIXED_TIME = dt.datetime(2024, 4, 11, 9, 30)

AE_ACTIVITY = [
    ("A&E attendances", ["Type 1 Departments - Major A&E", "Type 2 Departments - Single Specialty",
                         "Type 3 Departments - Other A&E/Minor Injury Unit", "Total Attendances"]),
    ("Emergency Admissions", ["Emergency Admissions via Type 1 A&E", "Emergency Admissions via Type 2 A&E",
                              "Emergency Admissions via Type 3 and 4 A&E", "Total Emergency Admissions via A&E",
                              "Other Emergency Admissions (i.e not via A&E)", "Total Emergency Admissions",
                              "Number of patients spending >4 hours from decision to admit to admission",
                              "Number of patients spending >12 hours from decision to admit to admission"]),
]
TYPES = ["Type 1 Departments - Major A&E", "Type 2 Departments - Single Specialty",
         "Type 3 Departments - Other A&E/Minor Injury Unit"]
AE_PERFORMANCE = [
    ("A&E attendances less than 4 hours from arrival to admission, transfer or discharge",
     [*TYPES, "Total Attendances < 4 hours"]),
    ("A&E attendances greater than 4 hours from arrival to admission, transfer or discharge",
     [*TYPES, "Total Attendances > 4 hours"]),
    ("Percentage of attendances within 4 hours",
     ["Percentage in 4 hours or less (all)", "Percentage in 4 hours or less (type 1)",
      "Percentage in 4 hours or less (type 2)", "Percentage in 4 hours or less (type 3)"]),
]
RTT_GROUPS = [
    ("Incomplete RTT pathways", ["Median wait (weeks)", "92nd percentile (weeks)", "No. within 18 weeks",
                                 "% within 18 weeks", "No. > 18 weeks", "No. > 52 weeks", "% > 52 weeks",
                                 "No. > 104 weeks", "Total waiting (mil)"]),
    ("Admitted (unadjusted) RTT pathways", ["Median wait (weeks)", "95th percentile (weeks)",
                                            "No. within 18 weeks", "No. > 52 weeks", "No. of pathways (all)"]),
    ("Non-Admitted RTT pathways", ["Median wait (weeks)", "95th percentile (weeks)", "No. within 18 weeks",
                                   "No. > 52 weeks", "No. of pathways (all)"]),
    ("New RTT periods", ["No. of new RTT periods"]),
    ("Admitted (adjusted) RTT pathways", ["Median wait (weeks)", "95th percentile (weeks)", "No. within 18 weeks",
                                          "No. > 52 weeks", "No. of pathways (all)"]),
]


def _months(first: dt.date, count: int) -> list[dt.date]:
    return [dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(count)]


def _serial(day: dt.date) -> float:
    return float((day - dt.date(1899, 12, 30)).days)


def _book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.creator = "SYNTHETIC sample generator"
    book.properties.created = book.properties.modified = FIXED_TIME
    return book


def _group_header(ws, row: int, first_col: int, groups) -> None:
    col = first_col
    for title, columns in groups:
        ws.cell(row, col, title)
        if len(columns) > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + len(columns) - 1)
        col += len(columns)


def ae_values(rng: np.random.Generator, months: list[dt.date]) -> tuple[list[dict], list[dict]]:
    """Activity and Performance rows; 4-hour performance steps up from Nov 2023 (an improvement)."""
    activity, performance = [], []
    for i, month in enumerate(months):
        season = 1 + 0.05 * np.sin(2 * np.pi * (month.month - 4) / 12)
        t1 = rng.normal(1_350_000, 25_000) * season
        t2 = rng.normal(45_000, 2_000) * season
        t3 = rng.normal(760_000, 20_000) * season
        p1 = np.clip(rng.normal(0.57 + (0.035 if month >= dt.date(2023, 11, 1) else 0), 0.008), 0, 1)
        p2, p3 = np.clip(rng.normal(0.955, 0.006), 0, 1), np.clip(rng.normal(0.955, 0.005), 0, 1)
        adm1, adm2, adm3 = t1 * 0.29, t2 * 0.035, t3 * 0.006
        other = rng.normal(140_000, 5_000)
        trolley4 = rng.normal(140_000, 9_000)
        trolley12 = max(0.0, rng.normal(40_000 + 300 * i, 3_500))
        counts = [round(v) for v in (t1, t2, t3)]
        activity.append(dict(zip(AE_ACTIVITY[0][1] + AE_ACTIVITY[1][1], [
            *counts, sum(counts), round(adm1), round(adm2), round(adm3), round(adm1) + round(adm2) + round(adm3),
            round(other), round(adm1) + round(adm2) + round(adm3) + round(other), round(trolley4), round(trolley12)])))
        within = [round(c * p) for c, p in zip(counts, (p1, p2, p3))]
        over = [c - w for c, w in zip(counts, within)]
        performance.append({
            "under": [*within, sum(within)], "over": [*over, sum(over)],
            "pct": [sum(within) / sum(counts), *(w / c for w, c in zip(within, counts))]})
    return activity, performance


def write_ae(folder: pathlib.Path, rng: np.random.Generator) -> pathlib.Path:
    months = _months(dt.date(2019, 4, 1), 60)  # Apr 2019 - Mar 2024
    activity, performance = ae_values(rng, months)
    book = _book()
    for sheet, groups in (("Activity", AE_ACTIVITY), ("Performance", AE_PERFORMANCE)):
        ws = book.create_sheet(sheet)
        ws.cell(2, 2, "A&E Attendances and Emergency Admissions - SYNTHETIC SAMPLE, not real figures")
        ws.cell(4, 2, "Monthly time series, England")
        ws.cell(12, 2, "England Level Data")
        _group_header(ws, 13, 3, groups)
        names = [c for _, cols in groups for c in cols]
        ws.cell(14, 2, "Period")
        for j, name in enumerate(names):
            ws.cell(14, 3 + j, name)
        if sheet == "Activity":  # the stray note right of the header, as in the real file
            ws.cell(14, 3 + len(names) + 1, "Operational standard (Performance)")
            ws.cell(14, 3 + len(names) + 2, 0.95)
        for i, month in enumerate(months):
            row = 15 + i
            cell = ws.cell(row, 2, _serial(month))
            cell.number_format = "mmm-yy"
            values = (list(activity[i].values()) if sheet == "Activity"
                      else performance[i]["under"] + performance[i]["over"] + performance[i]["pct"])
            for j, v in enumerate(values):
                ws.cell(row, 3 + j, float(v))
    notes = book.create_sheet("Notes")
    notes.cell(2, 2, "Synthetic sample: generated figures in the publisher's layout.")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "SYNTHETIC_Monthly-AE-Time-Series-March-2024.xlsx"
    book.save(path)
    return path


def write_rtt(folder: pathlib.Path, rng: np.random.Generator) -> pathlib.Path:
    months = _months(dt.date(2016, 4, 1), 84)   # Apr 2016 - Mar 2023, published to Jun 2022
    published = [m for m in months if m <= dt.date(2022, 6, 1)]
    book = _book()
    ws = book.create_sheet(rtt.SHEET)
    for r, pair in zip(range(2, 8), [("Title:", "Referral to Treatment (RTT) Waiting Times, England - SYNTHETIC"),
                                     None, ("Period:", "April 2016 to June 2022"),
                                     ("Source:", "SYNTHETIC sample generator"), ("Basis:", "Commissioner"),
                                     ("Contact:", "not a real contact")]):
        if pair:
            ws.cell(r, 2, pair[0])
            ws.cell(r, 3, pair[1])
    ws.cell(9, 2, "Year")
    ws.cell(9, 3, "Month")
    _group_header(ws, 9, 4, RTT_GROUPS)
    for j, name in enumerate(c for _, cols in RTT_GROUPS for c in cols):
        ws.cell(10, 4 + j, name)
    waiting = 3_600_000.0
    for i, month in enumerate(months):
        row = 11 + i
        if month.month == 4:  # financial year, merged down its twelve months
            ws.cell(row, 2, f"{month.year}/{(month.year + 1) % 100:02d}")
            ws.merge_cells(start_row=row, start_column=2, end_row=min(row + 11, 10 + len(months)), end_column=2)
        ws.cell(row, 3, dt.datetime(month.year, month.month, 1)).number_format = "mmm-yy"
        if month not in published:
            continue  # present but empty, as in the real file
        covid = month >= dt.date(2020, 4, 1)
        waiting = waiting * (1 + rng.normal(0.012 if covid else 0.004, 0.004))
        pct18 = float(np.clip(rng.normal(0.64 if covid else 0.865, 0.01), 0, 1))
        over52 = max(0.0, rng.normal(300_000 if covid else 1_500, 20_000 if covid else 300))
        within = round(waiting * pct18)
        incomplete = [rng.normal(12 if covid else 7, 0.4), rng.normal(44 if covid else 17, 1), within, pct18,
                      round(waiting) - within, round(over52), over52 / waiting, round(over52 * 0.02) if covid else 0,
                      round(waiting)]
        admitted = [rng.normal(11, 0.5), "52+" if covid and i % 5 == 0 else rng.normal(50, 3),
                    round(rng.normal(110_000, 5_000)), round(rng.normal(20_000, 2_000)), round(rng.normal(230_000, 9_000))]
        non_admitted = [rng.normal(6, 0.3), rng.normal(35, 2), round(rng.normal(600_000, 20_000)),
                        round(rng.normal(30_000, 2_000)), round(rng.normal(800_000, 30_000))]
        values = [*incomplete, *admitted, *non_admitted, round(rng.normal(1_500_000, 60_000)), "-", "-", "-", "-", "-"]
        for j, v in enumerate(values):
            ws.cell(row, 4 + j, v if isinstance(v, str) else float(v))
    notes = 11 + len(months)
    ws.cell(notes, 2, "Notes:")
    ws.cell(notes + 1, 2, "1. Synthetic sample: generated figures in the publisher's layout, not real statistics.")
    ws.column_dimensions[get_column_letter(2)].width = 10
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "SYNTHETIC_RTT-Overview-Timeseries-Jun22.xlsx"
    book.save(path)
    return path


def generate(out_root: pathlib.Path) -> list[pathlib.Path]:
    """Both workbooks, under ``<out_root>/ae_national_timeseries`` and ``rtt_national_timeseries``."""
    rng = np.random.default_rng(SEED)
    out_root = pathlib.Path(out_root)
    return [write_ae(out_root / ae.SOURCE_FOLDER, rng), write_rtt(out_root / rtt.SOURCE_FOLDER, rng)]
