"""Synthetic referral gateway files: a referral management centre's booking extract, the board's
monthly booking table built from it, and the practices' weighted list sizes.

Calibrated to the referral gateway report a primary care trust board read in May 2011: referrals
received from December 2010 (1,687 / 3,130 / 3,948 / 4,292 in December to March, then April and
May to the 12th), urgent ones booked within days, routine ones queued first in first out behind a
booking team that falls behind from February (so the backlog grows through March and April and
routine waits reach 13-14 weeks), about 9-11% returned to the GP or cancelled, a few percent
transferred to a neighbouring trust or the independent sector, consultant-to-consultant referrals
from April. Everything is invented: practice codes start with ``Z`` (not issued to practices),
providers and practices are named ``SYNTHETIC ...``, NHS numbers are in the 999 range the NHS keeps
for testing, and names are made up; they are there so the pipeline can show it drops them.

A handful of rows are broken on purpose (a repeated referral id, a month written "Dec-10", an
appointment before the referral, an unknown practice) so that the quarantine has something to show.

Usage: ``python -m helpers.synthetic referrals --out data/raw`` (see ``__main__``); or
:func:`generate` / :func:`write_extract` from code (the benchmark scales it to a million rows).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.sources import referral_extract as src

SEED = 20110512
AS_AT = pd.Timestamp("2011-05-12")
# Referrals received per month (the seed's December to March; April and May to the 12th invented).
MONTHLY = {"2010-12": 1687, "2011-01": 3130, "2011-02": 3948, "2011-03": 4292, "2011-04": 4410, "2011-05": 1690}
# Routine referrals the booking team books per working day (overtime from 30 April).
ROUTINE_CAPACITY = {"2010-12": 115, "2011-01": 110, "2011-02": 55, "2011-03": 22, "2011-04": 22, "2011-05": 60}
PRIORITY_P = {"urgent": 0.27, "two_week_wait": 0.04, "routine": 0.69}
SPECIALTIES = {"100": 0.10, "101": 0.07, "110": 0.16, "120": 0.09, "130": 0.08, "300": 0.10, "301": 0.05,
               "320": 0.06, "330": 0.07, "340": 0.03, "400": 0.05, "410": 0.03, "502": 0.11}
PROVIDERS = {"SYNTHETIC Neighbouring NHS Trust (Queens site)": 0.76,
             "SYNTHETIC Independent Sector Treatment Centre": 0.14,
             "SYNTHETIC Independent Hospital": 0.10}
RETURN_P = 0.10  # returned to GP (service restriction policy) or cancelled
TRANSFER_P = 0.026
N_PRACTICES = 42
BROKEN = {"duplicate_id": 3, "month_only_date": 2, "appointment_before_referral": 2, "unknown_practice": 2,
          "excel_serial_date": 5, "iso_date": 5}


def practices(rng: np.random.Generator, n: int = N_PRACTICES) -> pd.DataFrame:
    codes = [f"Z{90001 + i:05d}" for i in range(n)]
    size = np.round(rng.lognormal(np.log(8500), 0.45, n), 1)
    return pd.DataFrame({"practice_code": codes, "practice_name": [f"SYNTHETIC Practice {i + 1:02d}" for i in range(n)],
                         "weighted_list_size": size})


def _working_days(month: str, until: pd.Timestamp) -> pd.DatetimeIndex:
    start = pd.Timestamp(f"{month}-01")
    end = min(start + pd.offsets.MonthEnd(0), until)
    return pd.bdate_range(start, end)


def simulate(rng: np.random.Generator, *, monthly: dict[str, int] = MONTHLY, as_at: pd.Timestamp = AS_AT,
             capacity: dict[str, int] = ROUTINE_CAPACITY, practice_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Typed referrals with their dates as at ``as_at`` (no identifiers, no broken rows)."""
    practice_table = practices(rng) if practice_table is None else practice_table
    received = []
    for month, total in monthly.items():
        days = _working_days(month, as_at)
        counts = rng.multinomial(total, np.full(len(days), 1 / len(days)))
        received.append(np.repeat(days.to_numpy(), counts))
    received = pd.to_datetime(np.concatenate(received))
    n = len(received)
    propensity = rng.gamma(8, 1 / 8, len(practice_table)) * practice_table["weighted_list_size"].to_numpy()
    practice = practice_table["practice_code"].to_numpy()[rng.choice(len(practice_table), n, p=propensity / propensity.sum())]
    priority = rng.choice(list(PRIORITY_P), n, p=list(PRIORITY_P.values()))
    specialty = rng.choice(list(SPECIALTIES), n, p=np.array(list(SPECIALTIES.values())) / sum(SPECIALTIES.values()))
    from_april = received >= pd.Timestamp("2011-04-01")
    source = np.where(rng.random(n) < np.where(from_april, 0.062, 0.01), "consultant", "gp")
    channel = np.where(rng.random(n) < 0.35 + 0.1 * from_april, "e_referral", "manual")

    fate = rng.choice(["book", "return", "transfer"], n, p=[1 - RETURN_P - TRANSFER_P, RETURN_P, TRANSFER_P])
    day = np.timedelta64(1, "D")
    rec = received.to_numpy()
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    returned, cancelled, transferred, booked, appointment = nat.copy(), nat.copy(), nat.copy(), nat.copy(), nat.copy()
    is_return = fate == "return"
    wait = rng.exponential(9, n).astype(int) * day
    to_gp = is_return & (rng.random(n) < 0.6)
    returned[to_gp] = rec[to_gp] + wait[to_gp]
    cancelled[is_return & ~to_gp] = rec[is_return & ~to_gp] + wait[is_return & ~to_gp] * 2
    is_transfer = fate == "transfer"
    transferred[is_transfer] = rec[is_transfer] + rng.integers(3, 30, n)[is_transfer] * day
    provider = np.where(is_transfer, rng.choice(list(PROVIDERS), n, p=list(PROVIDERS.values())), None)

    urgent = priority != "routine"
    book = fate == "book"
    quick = rng.choice([0, 1, 2, 3, 4, 5, 7, 9], n, p=[0.30, 0.33, 0.17, 0.08, 0.05, 0.03, 0.02, 0.02])
    booked[book & urgent] = rec[book & urgent] + quick[book & urgent] * day
    booked[:] = np.where(book & ~urgent, _fifo(rec, book & ~urgent, capacity, as_at, rng), booked)
    ahead = np.where(urgent, rng.integers(3, 15, n), rng.integers(7, 50, n)) * day
    appointment[~np.isnat(booked)] = booked[~np.isnat(booked)] + ahead[~np.isnat(booked)]

    frame = pd.DataFrame({"received_date": received, "practice_code": practice, "priority": priority,
                          "specialty_code": specialty, "source": source, "channel": channel,
                          "booked_date": booked, "appointment_date": appointment, "cancelled_date": cancelled,
                          "returned_date": returned, "transferred_date": transferred, "transferred_to": provider})
    for column in ("booked_date", "cancelled_date", "returned_date", "transferred_date"):
        frame.loc[frame[column] > as_at, column] = pd.NaT  # not happened yet at the extract date
    frame.loc[frame["booked_date"].isna(), "appointment_date"] = pd.NaT
    frame.loc[frame["transferred_date"].isna(), "transferred_to"] = None
    frame = frame.sort_values("received_date", kind="stable", ignore_index=True)
    frame.insert(0, "referral_id", [f"RG{i:07d}" for i in range(1, n + 1)])
    frame.insert(2, "patient_key", [f"PK{k:08X}" for k in rng.choice(16 ** 8, n, replace=False)])
    frame["status"] = np.select(
        [frame["cancelled_date"].notna(), frame["returned_date"].notna(), frame["transferred_date"].notna(),
         frame["booked_date"].notna()], ["cancelled", "returned", "transferred", "booked"], default="not_booked")
    return frame


def _fifo(received: np.ndarray, queue: np.ndarray, capacity: dict[str, int], as_at: pd.Timestamp,
          rng: np.random.Generator) -> np.ndarray:
    """Booking dates for routine referrals served oldest first at each working day's capacity."""
    order = np.flatnonzero(queue)
    order = order[np.argsort(received[order], kind="stable")]
    out = np.full(len(received), np.datetime64("NaT"), dtype="datetime64[ns]")
    served = 0
    for day in pd.bdate_range(received.min(), as_at):
        today = int(capacity.get(f"{day:%Y-%m}", 0) * rng.uniform(0.85, 1.15))
        waiting_end = np.searchsorted(received[order], day.to_datetime64(), side="right")
        take = min(today, waiting_end - served)
        if take > 0:
            out[order[served:served + take]] = day.to_datetime64()
            served += take
    return out


def _dmy(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%d/%m/%Y").astype("str").fillna("")


def extract_text(frame: pd.DataFrame, rng: np.random.Generator, *, identifiers: bool = True,
                 broken: dict[str, int] | None = BROKEN) -> pd.DataFrame:
    """The extract as the centre writes it: dd/mm/yyyy dates, identifiers, a few broken rows."""
    out = frame.copy()
    for column in src.DATE_COLUMNS:
        out[column] = _dmy(out[column])
    n = len(out)
    if identifiers:
        nhs = rng.choice(10 ** 7, n, replace=False) + 9_990_000_000
        out.insert(1, "nhs_number", nhs.astype(str))
        out.insert(2, "patient_name", [f"Synthpatient Q{i:06d}" for i in rng.choice(10 ** 6, n, replace=False)])
        dob = pd.Timestamp("1925-01-01") + pd.to_timedelta(rng.integers(0, 365 * 80, n), unit="D")
        out.insert(3, "date_of_birth", dob.strftime("%d/%m/%Y"))
    if broken:
        rows = rng.choice(n, sum(broken.values()), replace=False)
        at = 0
        for kind, count in broken.items():
            for i in rows[at:at + count]:
                _break(out, int(i), kind, rng)
            at += count
    return out


def _break(out: pd.DataFrame, i: int, kind: str, rng: np.random.Generator) -> None:
    received = pd.Timestamp(dt.datetime.strptime(out.at[i, "received_date"], "%d/%m/%Y"))
    if kind == "duplicate_id":
        out.at[i, "referral_id"] = out.at[(i + 1) % len(out), "referral_id"]
    elif kind == "month_only_date":
        out.at[i, "received_date"] = f"{received:%b-%y}"
    elif kind == "appointment_before_referral":
        out.at[i, "appointment_date"] = f"{received - pd.Timedelta(days=12):%d/%m/%Y}"
    elif kind == "unknown_practice":
        out.at[i, "practice_code"] = "Z99999"
    elif kind == "excel_serial_date":  # legitimate: a date pasted from a spreadsheet as its serial
        out.at[i, "received_date"] = str((received - src.EXCEL_EPOCH).days)
    elif kind == "iso_date":  # legitimate too
        out.at[i, "received_date"] = f"{received:%Y-%m-%d}"


def booking_table(frame: pd.DataFrame, as_at: pd.Timestamp = AS_AT) -> pd.DataFrame:
    """The board's monthly table from the typed referrals: months as columns, a Total column."""
    from helpers.domains.referrals import measures

    frame = frame.assign(received_date=pd.to_datetime(frame["received_date"]))
    months = sorted(frame["received_date"].dt.to_period("M").unique())
    labels = [f"{m:%b-%y}" for m in months]

    def block(when_for_month):
        rows = {k: [] for k in ("received", "booked", "not_booked", "other")}
        for m in months:
            part = frame[frame["received_date"].dt.to_period("M") == m]
            state = measures.state_at(part, when_for_month(m))
            rows["received"].append(len(part))
            rows["booked"].append(int(state.isin(["booked", "transferred"]).sum()))
            rows["not_booked"].append(int((state == "not_booked").sum()))
            rows["other"].append(int((state == "returned_or_cancelled").sum()))
        return rows

    def line(label, values, total=True):
        return [label, *values, sum(values) if total else ""]

    original = block(lambda m: min(m.to_timestamp(how="end").normalize(), as_at))
    position = block(lambda m: as_at)
    left = lambda b: [r - k for r, k in zip(b["received"], b["booked"])]
    pct = [f"{round(100 * o / r)}%" if r else "" for o, r in zip(position["other"], position["received"])]
    total_pct = f"{round(100 * sum(position['other']) / sum(position['received']))}%"
    transfers = measures.transfers(frame, as_at)
    trust = transfers[transfers["transferred_to"].str.contains("NHS Trust")]["transferred"].sum()
    independent = transfers["transferred"].sum() - trust
    blank = [""] * len(months)
    rows = [
        [f"Booking Information as at {as_at:%d.%m.%y}", *labels, "Total"],
        ["Original data as at month end", *blank, ""],
        line("Total referrals", original["received"]),
        line("Total urgent & routine booked", original["booked"]),
        line("Sub total left", left(original)),
        line("Total not booked (held at 14 weeks as per policy)", original["not_booked"]),
        line("Other - cancelled / returned to GP", original["other"]),
        [f"Position as at {as_at:%d %B %Y}", *blank, ""],
        line("Total referrals", position["received"]),
        line("Total urgent & routine booked", position["booked"]),
        line("Sub total left", left(position)),
        line("Total not booked (held at 14 weeks as per policy)", position["not_booked"]),
        line("Other - cancelled / returned to GP", position["other"]),
        ["Returns / cancellations as a percentage", *pct, total_pct],
        ["Referrals transferred to other NHS trusts", int(trust), *blank[1:], ""],
        ["Transfers to independent providers", int(independent), *blank[1:], ""],
        ["Total", int(trust + independent), *blank[1:], ""],
    ]
    return pd.DataFrame(rows)


def generate(out_root: Path, *, seed: int = SEED) -> list[Path]:
    """Write ``referral_gateway/`` under ``out_root``: extract (CSV, gzip), booking table (XLSX),
    practice list sizes (CSV). Returns the files written."""
    rng = np.random.default_rng(seed)
    folder = Path(out_root) / src.SOURCE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    practice_table = practices(rng)
    typed = simulate(rng, practice_table=practice_table)
    stamp = f"{AS_AT:%Y%m%d}"
    extract = folder / f"SYNTHETIC_referral_extract_{stamp}.csv.gz"
    # mtime=0 in the gzip header: the same seed gives the same bytes, so DVC sees no change.
    import gzip
    with open(extract, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(extract_text(typed, rng).to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    booking = folder / f"SYNTHETIC_booking_information_{stamp}.xlsx"
    booking_table(typed).to_excel(booking, header=False, index=False, sheet_name="Booking information")
    _fix_xlsx_timestamps(booking, AS_AT)
    sizes = folder / "SYNTHETIC_practice_list_sizes.csv"
    practice_table.to_csv(sizes, index=False, lineterminator="\r\n")
    return [extract, booking, sizes]


def _fix_xlsx_timestamps(path: Path, when: pd.Timestamp) -> None:
    """Stamp the workbook's zip entries and document properties with ``when`` instead of now, so
    the same seed gives the same bytes (and DVC sees no change when samples are regenerated)."""
    import re
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as old:
        entries = [(info.filename, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + stamp.encode(), data)
            new.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data,
                         compress_type=zipfile.ZIP_DEFLATED)


def write_extract(path: Path, n: int, *, seed: int = SEED) -> Path:
    """A larger extract of about ``n`` referrals (months scaled up), for the benchmark."""
    rng = np.random.default_rng(seed)
    scale = n / sum(MONTHLY.values())
    monthly = {m: int(round(v * scale)) for m, v in MONTHLY.items()}
    capacity = {m: int(round(v * scale)) for m, v in ROUTINE_CAPACITY.items()}
    table = practices(rng, max(N_PRACTICES, int(N_PRACTICES * scale)))
    typed = simulate(rng, monthly=monthly, capacity=capacity, practice_table=table)
    text = extract_text(typed, rng, broken=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    text.to_csv(path, index=False)
    table.to_csv(path.parent / "SYNTHETIC_practice_list_sizes.csv", index=False)
    return path
