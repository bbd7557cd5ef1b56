"""Referral gateway measures: row checks with quarantine, booking state as at a date, and the
monthly, backlog, waits, transfers and practice tables; reconciliation of the board's table.

Booking state comes from the dates, not the ``status`` column, so the same extract can be
looked at as at any earlier date: at date *d* a referral received on or before *d* is
*returned or cancelled* if returned or cancelled by *d*, else *transferred* if transferred by
*d*, else *booked* if booked by *d*, else *not booked* (the backlog). As in the board's table,
"booked" counts referrals transferred to another provider for booking (they have left the
centre's list); transfers are also counted on their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.core.errors import QUARANTINE_COLUMNS
from helpers.sources import referral_extract as src

WAIT_BANDS = [(0, 5, "0-5 weeks"), (6, 9, "6-9 weeks"), (10, 13, "10-13 weeks"), (14, None, "14+ weeks")]
URGENT = ("urgent", "two_week_wait")
PRACTICE_CODE = r"^[A-Z]\d{5}$"  # ODS GP practice code
SPECIALTY_CODE = r"^\d{3}$"  # treatment function code
LEAVE_DATES = ["booked_date", "cancelled_date", "returned_date", "transferred_date"]


# --- row checks -------------------------------------------------------------------------------------

class Quarantine:
    """Collects (line, column, value, reason) problems; a row with any problem is held back."""

    def __init__(self, file: str, source: str = "referral_extract"):
        self.file, self.source, self.parts = file, source, []

    def add(self, frame: pd.DataFrame, mask: pd.Series, column: str, reason, values: pd.Series | None = None):
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        vals = (values if values is not None else frame[column])[mask]
        self.parts.append(pd.DataFrame({
            "line": mask.index[mask].astype("int64"), "column": column,
            "value": vals.astype("str").fillna("").to_numpy(),
            "reason": reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason}))

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "str") for c in QUARANTINE_COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)
        out.insert(0, "file", self.file)
        out.insert(0, "source", self.source)
        return out.sort_values(["line", "column"], kind="stable", ignore_index=True)[QUARANTINE_COLUMNS]

    def lines(self) -> set[int]:
        return set() if not self.parts else set(pd.concat([p["line"] for p in self.parts]).tolist())


def check_rows(raw: pd.DataFrame, file: str, *, as_at: pd.Timestamp,
               known_practices: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed referrals that pass every row check, and the quarantine (one row per problem).

    ``raw`` is :func:`~helpers.sources.referral_extract.read_extract`'s text frame indexed by line.
    Checks: id present and unique; codes in their lists; dates readable (dd/mm/yyyy, ISO, Excel
    serial; a month alone like "Dec-10" is not a date); no event before the referral was received
    or after the extract's date; status agrees with its dates; practice known (when a list of
    practices is given) or at least shaped like an ODS code.
    """
    q = Quarantine(file)
    out = pd.DataFrame(index=raw.index)
    out["referral_id"] = raw["referral_id"].str.strip()
    q.add(raw, out["referral_id"].isna() | (out["referral_id"] == ""), "referral_id", "referral id missing")
    counts = out["referral_id"].map(out["referral_id"].value_counts())
    q.add(raw, counts > 1, "referral_id", "referral id repeated " + counts.astype("Int64").astype("str") +
          " times in the extract (all copies held back)")
    out["patient_key"] = raw["patient_key"]

    for column in src.DATE_COLUMNS:
        out[column], reason = src.parse_dates(raw[column])
        q.add(raw, reason.notna(), column, reason)
    q.add(raw, raw["received_date"].isna(), "received_date", "received date missing")
    for column in src.DATE_COLUMNS[1:]:
        q.add(raw, out[column] < out["received_date"], column,
              f"{column.replace('_date', '').replace('_', ' ')} date before the referral was received")
    for column in src.DATE_COLUMNS:
        if column != "appointment_date":  # appointments are in the future; events are not
            q.add(raw, out[column] > as_at, column, f"after the extract date {as_at:%d/%m/%Y}")

    practice = raw["practice_code"].str.strip().str.upper()
    shaped = practice.str.match(PRACTICE_CODE).fillna(False)
    q.add(raw, ~shaped, "practice_code", "not a GP practice code (letter and five digits)")
    if known_practices is not None:
        q.add(raw, shaped & ~practice.isin(known_practices), "practice_code",
              "practice not in the practice list sizes file")
    out["practice_code"] = practice
    specialty = raw["specialty_code"].str.strip()
    q.add(raw, ~specialty.str.match(SPECIALTY_CODE).fillna(False), "specialty_code",
          "not a treatment function code (three digits)")
    out["specialty_code"] = specialty
    for column, accepted in (("priority", src.PRIORITIES), ("source", src.SOURCES),
                             ("channel", src.CHANNELS), ("status", src.STATUSES)):
        out[column] = src.canonical(raw[column], accepted)
        allowed = ", ".join(sorted(set(accepted.values())))
        q.add(raw, out[column].isna(), column, f"not one of: {allowed}")
    out["transferred_to"] = raw["transferred_to"].str.strip()
    _check_status(raw, out, q)

    held = q.lines()
    referrals = out[~out.index.isin(held)].copy()
    referrals = referrals[["referral_id", "patient_key", *src.DATE_COLUMNS, "practice_code", "specialty_code",
                           "priority", "source", "channel", "status", "transferred_to"]]
    for column in ("priority", "source", "channel", "status", "specialty_code", "practice_code"):
        referrals[column] = referrals[column].astype("category")
    referrals.index.name = "line"
    return referrals.reset_index(), q.table()


def _check_status(raw: pd.DataFrame, out: pd.DataFrame, q: Quarantine) -> None:
    """The status column must agree with the dates present (the extract's own consistency)."""
    status = out["status"]
    needs = {"booked": "booked_date", "cancelled": "cancelled_date", "returned": "returned_date",
             "transferred": "transferred_date"}
    for state, column in needs.items():
        q.add(raw, (status == state) & out[column].isna(), "status", f"status '{state}' without a {column}")
    q.add(raw, (status == "transferred") & out["transferred_to"].isna(), "transferred_to",
          "transferred without the provider it went to")
    left = out[LEAVE_DATES].notna().any(axis=1)
    q.add(raw, (status == "not_booked") & left, "status", "status 'not_booked' but a booked, cancelled, "
          "returned or transferred date is present")


def select(referrals: pd.DataFrame, *, period=None, specialties=None, practices=None) -> pd.DataFrame:
    """Referrals received in ``period`` ([first month, last month] or 'all'), for the chosen
    specialties and practices ('all' or lists of codes)."""
    keep = pd.Series(True, index=referrals.index)
    if period not in (None, "all"):
        first, last = (pd.Period(str(p), "M") for p in period)
        month = referrals["received_date"].dt.to_period("M")
        keep &= (month >= first) & (month <= last)
    if specialties not in (None, "all"):
        keep &= referrals["specialty_code"].astype("str").isin([str(s) for s in specialties])
    if practices not in (None, "all"):
        keep &= referrals["practice_code"].astype("str").isin([str(p).upper() for p in practices])
    return referrals[keep].reset_index(drop=True)


# --- state as at a date -----------------------------------------------------------------------------

def state_at(referrals: pd.DataFrame, when: pd.Timestamp) -> pd.Series:
    """'returned_or_cancelled', 'transferred', 'booked', 'not_booked', or missing if not yet received."""
    by = {c: referrals[c].le(when) for c in LEAVE_DATES}  # NaT compares False
    state = np.select(
        [referrals["received_date"].gt(when), by["cancelled_date"] | by["returned_date"],
         by["transferred_date"], by["booked_date"]],
        [None, "returned_or_cancelled", "transferred", "booked"], default="not_booked")
    return pd.Series(state, index=referrals.index, dtype="str")


def left_date(referrals: pd.DataFrame) -> pd.Series:
    """When each referral left the centre's list (booked, transferred, returned or cancelled)."""
    return referrals[LEAVE_DATES].min(axis=1)


def daily_inflow(referrals: pd.DataFrame, as_at: pd.Timestamp, window_days: int = 28) -> float:
    """Referrals received per calendar day over the ``window_days`` ending at ``as_at``."""
    start = as_at - pd.Timedelta(days=window_days - 1)
    received = referrals["received_date"]
    return float(((received >= start) & (received <= as_at)).sum()) / window_days


# --- measures ---------------------------------------------------------------------------------------

def monthly(referrals: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """Per month of receipt, as at ``as_at``: the board table's rows and the booking measures."""
    r = referrals[referrals["received_date"] <= as_at]
    state = state_at(r, as_at)
    urgent = r["priority"].isin(URGENT)
    days_to_book = (r["booked_date"] - r["received_date"]).dt.days.where(r["booked_date"] <= as_at)
    frame = pd.DataFrame({
        "month": r["received_date"].dt.to_period("M").dt.to_timestamp(),
        "received": 1,
        "booked": state.isin(["booked", "transferred"]).astype(int),
        "transferred": (state == "transferred").astype(int),
        "not_booked": (state == "not_booked").astype(int),
        "returned_or_cancelled": (state == "returned_or_cancelled").astype(int),
        "urgent": urgent.astype(int),
        "urgent_booked_48h": (urgent & (days_to_book <= 2)).astype(int),
        "urgent_booked_5d": (urgent & (days_to_book <= 5)).astype(int),
        "consultant_to_consultant": (r["source"] == "consultant").astype(int),
        "e_referral": (r["channel"] == "e_referral").astype(int),
    })
    table = frame.groupby("month", sort=True).sum().reset_index()
    table.insert(0, "as_at", as_at)
    table["pct_returned_or_cancelled"] = 100 * table["returned_or_cancelled"] / table["received"]
    table["pct_urgent_booked_48h"] = 100 * table["urgent_booked_48h"] / table["urgent"].where(table["urgent"] > 0)
    table["pct_urgent_booked_5d"] = 100 * table["urgent_booked_5d"] / table["urgent"].where(table["urgent"] > 0)
    return table


def backlog_series(referrals: pd.DataFrame, as_at: pd.Timestamp, *, window_days: int = 28) -> pd.DataFrame:
    """Week by week to ``as_at``: referrals not yet booked, daily inflow and days' worth of backlog.

    The backlog at date *d* is the referrals received by *d* that had not left the list by *d*,
    counted with sorted arrays so a million referrals cost one sort, not one pass per week.
    """
    received = np.sort(referrals["received_date"].to_numpy("datetime64[s]"))
    left = left_date(referrals).to_numpy("datetime64[s]")
    left = np.sort(left[~np.isnat(left)])
    first = pd.Timestamp(received[0]).normalize()
    weeks = pd.date_range(end=as_at, periods=max(1, (as_at - first).days // 7 + 1), freq="7D")
    points = weeks.to_numpy("datetime64[s]") + np.timedelta64(86399, "s")  # end of each day
    in_by = np.searchsorted(received, points, side="right")
    out_by = np.searchsorted(left, points, side="right")
    window = np.searchsorted(received, points - np.timedelta64(window_days, "D"), side="right")
    inflow = (in_by - window) / window_days
    table = pd.DataFrame({"week_ending": weeks, "backlog": in_by - out_by, "received_to_date": in_by,
                          "daily_inflow": inflow})
    table["backlog_days"] = table["backlog"] / table["daily_inflow"].where(table["daily_inflow"] > 0)
    return table


def wait_bands(referrals: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """Referrals not booked at ``as_at`` by whole weeks waited since receipt and priority."""
    r = referrals[state_at(referrals, as_at) == "not_booked"]
    weeks = (as_at - r["received_date"]).dt.days // 7
    labels = pd.Series(pd.NA, index=r.index, dtype="str")
    for low, high, label in WAIT_BANDS:
        labels[(weeks >= low) & ((weeks <= high) if high is not None else True)] = label
    order = [b[2] for b in WAIT_BANDS]
    grid = pd.MultiIndex.from_product([order, ["urgent", "two_week_wait", "routine"]], names=["band", "priority"])
    counts = (pd.DataFrame({"band": labels, "priority": r["priority"].astype("str")})
              .value_counts().reindex(grid, fill_value=0).rename("not_booked").reset_index())
    counts.insert(0, "as_at", as_at)
    counts["band_order"] = counts["band"].map({b: i for i, b in enumerate(order)})
    return counts


def transfers(referrals: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """Referrals transferred to another provider for booking, by provider, to ``as_at``."""
    r = referrals[referrals["transferred_date"] <= as_at]
    table = (r.groupby("transferred_to").size().rename("transferred").reset_index()
             .sort_values(["transferred", "transferred_to"], ascending=[False, True], ignore_index=True))
    table.insert(0, "as_at", as_at)
    return table


def practice_rates(referrals: pd.DataFrame, as_at: pd.Timestamp, list_sizes: pd.DataFrame | None) -> pd.DataFrame:
    """GP referrals per practice received to ``as_at``; with list sizes, the rate per 1,000
    weighted patients over the period and as a yearly rate (x 365.25 / days in the period)."""
    r = referrals[(referrals["received_date"] <= as_at) & (referrals["source"] == "gp")]
    table = r.groupby(r["practice_code"].astype("str")).size().rename("gp_referrals").reset_index()
    first = referrals["received_date"].min()
    days = (as_at - first).days + 1
    table.insert(0, "as_at", as_at)
    table["period_start"] = first
    table["period_days"] = days
    if list_sizes is None:
        table["practice_name"] = pd.Series(pd.NA, index=table.index, dtype="str")
        table["weighted_list_size"] = np.nan
    else:
        table = table.merge(list_sizes, on="practice_code", how="left")
    table["rate_per_1000"] = 1000 * table["gp_referrals"] / table["weighted_list_size"]
    table["rate_per_1000_per_year"] = table["rate_per_1000"] * 365.25 / days
    return table[["as_at", "practice_code", "practice_name", "period_start", "period_days", "gp_referrals",
                  "weighted_list_size", "rate_per_1000", "rate_per_1000_per_year"]]


def headline(referrals: pd.DataFrame, as_at: pd.Timestamp, *, window_days: int = 28) -> pd.DataFrame:
    """One row of as-at figures: backlog, inflow, days' worth, urgent booking and returns."""
    month = monthly(referrals, as_at)
    backlog = int((state_at(referrals, as_at) == "not_booked").sum())
    inflow = daily_inflow(referrals, as_at, window_days)
    totals = month.drop(columns=["as_at", "month"]).sum()
    return pd.DataFrame([{
        "as_at": as_at, "first_received": referrals["received_date"].min(), "received": int(totals["received"]),
        "booked": int(totals["booked"]), "not_booked": backlog,
        "returned_or_cancelled": int(totals["returned_or_cancelled"]),
        "pct_returned_or_cancelled": 100 * totals["returned_or_cancelled"] / totals["received"],
        "transferred": int(totals["transferred"]),
        "consultant_to_consultant": int(totals["consultant_to_consultant"]),
        "pct_urgent_booked_48h": 100 * totals["urgent_booked_48h"] / totals["urgent"] if totals["urgent"] else np.nan,
        "pct_urgent_booked_5d": 100 * totals["urgent_booked_5d"] / totals["urgent"] if totals["urgent"] else np.nan,
        "daily_inflow": inflow, "inflow_window_days": window_days,
        "backlog_days": backlog / inflow if inflow > 0 else np.nan,
    }])


# --- the board's monthly booking table ----------------------------------------------------------------

def booking_wide(table: pd.DataFrame, section: str) -> pd.DataFrame:
    """One section of the tidy booking table with a row per month (the Total column last)."""
    part = table[table["section"] == section]
    wide = part.pivot_table(index="month", columns="measure", values="value", aggfunc="sum", dropna=False)
    total = part[part["month"].isna()].set_index("measure")["value"]
    wide = wide[wide.index.notna()].sort_index()
    wide.loc["Total"] = total
    return wide.fillna(0)


def reconcile_booking(table: pd.DataFrame) -> pd.DataFrame:
    """Arithmetic checks of the board's table, one row per section x check x month (and Total).

    received = booked + not booked + other; sub total left = received - booked = not booked + other;
    the Total column = the sum of the months; in the extended-wait section booked = held - not
    booked; the printed returns percentage = other / received (position section) to whole percent.
    ``difference`` is 0 where the table adds up.
    """
    rows = []

    def add(section, check, month, printed, computed, tolerance=0.0):
        rows.append({"section": section, "check": check, "month": "Total" if month == "Total" else f"{month:%Y-%m}",
                     "printed": printed, "computed": computed,
                     "difference": 0.0 if abs(printed - computed) <= tolerance else printed - computed})

    for section in ("original", "position"):
        if section not in set(table["section"]):
            continue
        wide = booking_wide(table, section)
        booked = "urgent_booked" if "urgent_booked" in wide.columns else "booked"
        for column in ("received", booked, "not_booked", "other", "subtotal_left"):
            if column not in wide.columns:
                wide[column] = 0.0
        for month, row in wide.iterrows():
            add(section, "received = booked + not booked + other", month, row["received"],
                row[booked] + row["not_booked"] + row["other"])
            add(section, "sub total left = received - booked", month, row["subtotal_left"], row["received"] - row[booked])
            add(section, "sub total left = not booked + other", month, row["subtotal_left"],
                row["not_booked"] + row["other"])
        months = wide.drop(index="Total")
        for column in ("received", booked, "not_booked", "other", "subtotal_left"):
            add(section, f"Total column = sum of months ({column})", "Total", wide.at["Total", column],
                months[column].sum())
    if "extended" in set(table["section"]):
        wide = booking_wide(table, "extended")
        for month, row in wide.iterrows():
            add("extended", "booked = held at 14 weeks - not booked", month, row.get("extended_booked", 0.0),
                row.get("held_14_weeks", 0.0) - row.get("extended_not_booked", 0.0))
    returns = table[(table["section"] == "returns")]
    if len(returns) and "position" in set(table["section"]):
        wide = booking_wide(table, "position")
        for _, r in returns.iterrows():
            month = "Total" if pd.isna(r["month"]) else r["month"]
            if month not in wide.index or not wide.at[month, "received"]:
                continue
            computed = wide.at[month, "other"] / wide.at[month, "received"]
            add("returns", "returns % = other / received (printed to whole %)", month, r["value"], computed,
                tolerance=0.005 + 1e-9)
    transfers_ = table[table["section"] == "transfers"].set_index("measure")["value"]
    if "transferred_total" in transfers_.index:
        add("transfers", "Total = transfers to trusts + independent", "Total", transfers_["transferred_total"],
            transfers_.drop("transferred_total").sum())
    return pd.DataFrame(rows)


def returns_percentages(table: pd.DataFrame) -> pd.Series:
    """Returned or cancelled as a % of referrals received, per month and overall (position section)."""
    wide = booking_wide(table, "position")
    wide = wide[wide["received"] > 0]
    return 100 * wide["other"] / wide["received"]


def booking_from_referrals(month_table: pd.DataFrame) -> pd.DataFrame:
    """The board's layout (position section) from the monthly measures, months as columns."""
    rows = {"Total referrals": "received", "Total urgent & routine booked": "booked",
            "Total not booked": "not_booked", "Other - cancelled / returned to GP": "returned_or_cancelled"}
    wide = month_table.set_index("month")[list(rows.values())].T
    wide.columns = [f"{m:%b-%y}" for m in wide.columns]
    wide.index = list(rows)
    wide.loc["Sub total left"] = wide.loc["Total referrals"] - wide.loc["Total urgent & routine booked"]
    wide = wide.loc[["Total referrals", "Total urgent & routine booked", "Sub total left", "Total not booked",
                     "Other - cancelled / returned to GP"]]
    wide["Total"] = wide.sum(axis=1)
    pct = 100 * wide.loc["Other - cancelled / returned to GP"] / wide.loc["Total referrals"]
    wide.loc["Returns / cancellations %"] = pct.round(0)
    return wide
