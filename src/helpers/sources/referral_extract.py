"""Readers for the referral gateway's files: the referral-level booking extract, the aggregated
monthly "booking information" table and the practice weighted list sizes.

There is no national publication of referral management centre extracts, so the project defines
the layout it accepts (``docs/referral_extract.md``). The files sit in one inputs subfolder,
``referral_gateway/``, and are told apart by name:

* ``[SYNTHETIC_]referral_extract_YYYYMMDD.csv|.csv.gz|.xlsx`` - one row per referral, as at the date
  in the name (the centre's weekly snapshot);
* ``[SYNTHETIC_]booking_information_YYYYMMDD.csv|.xlsx`` - the monthly table boards receive
  (months as columns), optional;
* ``[SYNTHETIC_]practice_list_sizes.csv|.xlsx`` - weighted list size per practice, optional: without
  it the referral rate per 1,000 weighted patients is left out and practice codes are checked by
  format only.

Everything is read as text, so that the row checks in :mod:`helpers.referrals` can quarantine a
bad value with the value itself and its line. Patient identifiers (NHS number, names, date of
birth, postcode) are dropped here, as the file is read, and only their column names are kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core import privacy
from helpers.core.errors import InputMissingError, SourceFormatError
from helpers.sources._common import PassedOver, check_size, folder_files, utf8_problem, why_not_read

SOURCE_FOLDER = "referral_gateway"

EXTRACT_PATTERN = r"^(SYNTHETIC_)?referral_extract_(\d{8})\.(csv|csv\.gz|xlsx)$"
BOOKING_PATTERN = r"^(SYNTHETIC_)?booking_information_(\d{8})\.(csv|xlsx)$"
LIST_SIZE_PATTERN = r"^(SYNTHETIC_)?practice_list_sizes(_\d{8})?\.(csv|xlsx)$"
EXPECTED = ("a referral extract, booking information table or practice list sizes file "
            "(names in docs/referral_extract.md)")

REQUIRED = ["referral_id", "received_date", "practice_code", "priority", "specialty_code", "source",
            "channel", "status"]
DATE_COLUMNS = ["received_date", "booked_date", "appointment_date", "cancelled_date", "returned_date",
                "transferred_date"]
OPTIONAL = ["patient_key", "booked_date", "appointment_date", "cancelled_date", "returned_date",
            "transferred_date", "transferred_to"]
COLUMNS = REQUIRED[:2] + ["patient_key"] + REQUIRED[2:] + OPTIONAL[1:]

# Canonical codes and the spellings accepted for them (compared lower-case, spaces/hyphens as _).
PRIORITIES = {"urgent": "urgent", "routine": "routine", "two_week_wait": "two_week_wait",
              "2ww": "two_week_wait", "two_week": "two_week_wait"}
SOURCES = {"gp": "gp", "consultant": "consultant", "c2c": "consultant", "consultant_to_consultant": "consultant"}
CHANNELS = {"e_referral": "e_referral", "ers": "e_referral", "choose_and_book": "e_referral",
            "manual": "manual", "paper": "manual"}
STATUSES = {"not_booked": "not_booked", "booked": "booked", "cancelled": "cancelled",
            "returned": "returned", "transferred": "transferred"}

# Headers that name a patient identifier. They are dropped at read and never stored.
IDENTIFIER_COLUMNS = {"nhs_number", "nhs_no", "nhsnumber", "nhs_num", "patient_name", "name", "forename",
                      "forenames", "first_name", "given_name", "surname", "last_name", "family_name",
                      "date_of_birth", "dob", "birth_date", "birthdate", "postcode", "address"}


def normalise_header(name) -> str:
    """'Received Date' / 'received-date' / ' RECEIVED_DATE ' -> 'received_date'."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True)
class GatewayFile:
    path: Path
    kind: str  # extract, booking, list_sizes
    as_at: dt.date | None
    synthetic: bool

    @property
    def name(self) -> str:
        return self.path.name


def _as_at(text: str | None) -> dt.date | None:
    return dt.datetime.strptime(text, "%Y%m%d").date() if text else None


def discover(folder: Path) -> tuple[list[GatewayFile], list[PassedOver]]:
    """The gateway files in ``folder`` (by kind, oldest first) and the files passed over, with why."""
    if not folder.is_dir():
        raise InputMissingError(f"no {SOURCE_FOLDER}/ folder at {folder}")
    found, skipped = [], []
    for path in folder_files(folder):
        synthetic = path.name.upper().startswith("SYNTHETIC")
        for kind, pattern in (("extract", EXTRACT_PATTERN), ("booking", BOOKING_PATTERN),
                              ("list_sizes", LIST_SIZE_PATTERN)):
            match = re.match(pattern, path.name, flags=re.IGNORECASE)
            if match:
                try:
                    as_at = _as_at(match.group(2).lstrip("_") if match.group(2) else None)
                except ValueError:
                    raise SourceFormatError(path, "the date in the file name is not a real date (YYYYMMDD)") from None
                check_size(path)
                found.append(GatewayFile(path, kind, as_at, synthetic))
                break
        else:
            skipped.append(PassedOver(path, why_not_read(path, EXPECTED)))
    found.sort(key=lambda f: (f.kind, f.as_at or dt.date.min, f.name))
    return found, skipped


KIND_NAMES = {"extract": "referral extract", "booking": "booking information table",
              "list_sizes": "practice list sizes file"}


def not_used(files: list[GatewayFile], used: list[GatewayFile | None]) -> list[PassedOver]:
    """Gateway files found but not read in this run, e.g. earlier weekly snapshots of the extract."""
    chosen = {f.kind: f for f in used if f}

    def why(f: GatewayFile) -> str:
        if f.kind in chosen:
            return f"another {KIND_NAMES[f.kind]} is read in this run: {chosen[f.kind].name}"
        return f"a {KIND_NAMES[f.kind]} dated after the extract read ({chosen['extract'].name})"
    return [PassedOver(f.path, why(f)) for f in files if f not in chosen.values()]


def choose_extract(files: list[GatewayFile], as_at="latest") -> GatewayFile:
    """The extract to read: the latest, or the one whose name carries ``as_at`` (YYYY-MM-DD)."""
    extracts = [f for f in files if f.kind == "extract"]
    if not extracts:
        raise InputMissingError(f"no referral extract in {SOURCE_FOLDER}/ (file names like "
                                f"referral_extract_YYYYMMDD.csv; see docs/referral_extract.md)")
    if as_at in (None, "latest"):
        return extracts[-1]
    wanted = pd.Timestamp(str(as_at)).date()
    for f in extracts:
        if f.as_at == wanted:
            return f
    raise InputMissingError(f"no referral extract as at {wanted}; extracts present: "
                            + ", ".join(str(f.as_at) for f in extracts))


# --- the referral-level extract ---------------------------------------------------------------------

def _read_table(path: Path) -> pd.DataFrame:
    """Every cell as text (blank -> missing); the index is the file's line (row) number."""
    name = path.name.lower()
    try:
        if name.endswith(".xlsx"):
            frame = pd.read_excel(path, dtype=str, engine="openpyxl", keep_default_na=False, na_values=[""])
        else:
            # pyarrow's multi-threaded parser: a million-row extract reads in about a second
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig",
                                compression="gzip" if name.endswith(".gz") else None, engine="pyarrow")
    except EOFError:
        raise SourceFormatError(path, "cannot be read as CSV: the compressed file ends early (a truncated "
                                      "download or copy?); supply the whole file") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        if not name.endswith(".xlsx"):
            problem = _encoding_problem(path)
            if problem:
                raise problem from None
        raise SourceFormatError(path, f"cannot be read as {'XLSX' if name.endswith('.xlsx') else 'CSV'}: "
                                      f"{str(exc).splitlines()[0][:200]}") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")  # line 1 is the header
    return frame


def _encoding_problem(path: Path) -> SourceFormatError | None:
    """A CSV that failed to parse: say so plainly if the reason is that it is not UTF-8."""
    import gzip

    try:
        data = gzip.decompress(path.read_bytes()) if path.name.lower().endswith(".gz") else path.read_bytes()
    except (OSError, EOFError):
        return None
    return utf8_problem(path, data)


def read_extract(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The extract as text columns named as in the spec, and the identifier columns dropped.

    Raises :class:`SourceFormatError` for an unreadable file, an empty one, a required column
    missing, a header repeated, or a ``patient_key`` that holds NHS numbers.
    """
    frame = _read_table(path)
    headers = [normalise_header(c) for c in frame.columns]
    repeated = sorted({h for h in headers if headers.count(h) > 1})
    if repeated:
        raise SourceFormatError(path, f"column(s) named twice: {', '.join(repeated)}", line=1)
    frame.columns = headers
    dropped = [c for c in headers if c in IDENTIFIER_COLUMNS]
    frame = frame.drop(columns=dropped)  # identifiers go first, before anything can copy them
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SourceFormatError(path, f"required column(s) missing: {', '.join(missing)} (found: "
                                      f"{', '.join(frame.columns)}); see docs/referral_extract.md",
                                line=1, column=missing[0])
    if frame.empty:
        raise SourceFormatError(path, "the extract has a header but no referrals")
    if "patient_key" in frame.columns:
        looks_like_nhs = frame["patient_key"].str.replace(" ", "", regex=False).str.fullmatch(r"\d{10}")
        if looks_like_nhs.fillna(False).any():
            line = int(looks_like_nhs[looks_like_nhs.fillna(False)].index[0])
            raise SourceFormatError(path, "patient_key holds 10-digit numbers (NHS numbers?); it must be a "
                                          "pseudonymised key", line=line, column="patient_key")
    privacy.refuse_in_frame(frame, path)  # identifier columns are gone: an NHS number elsewhere is a leak
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    unknown = [c for c in frame.columns if c not in COLUMNS]
    return frame[COLUMNS + unknown], dropped


EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (its 1900 leap-year bug folded in)
MONTH_ONLY = re.compile(r"^[A-Za-z]{3}-\d{2}$")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates written as dd/mm/yyyy, yyyy-mm-dd[ hh:mm:ss] or Excel serial numbers.

    Returns (datetime64 series, reason series): the reason is set where a value is present but
    not a usable date, e.g. a month only ("Dec-10") or a US-style or impossible date.
    """
    text = values.astype("str").str.strip()
    present = values.notna() & (text != "")
    iso = pd.to_datetime(text.str.slice(0, 10).where(text.str.match(r"^\d{4}-\d{2}-\d{2}")),
                         format="%Y-%m-%d", errors="coerce")
    dmy = pd.to_datetime(text.where(text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$")), format="%d/%m/%Y", errors="coerce")
    serial_days = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.0+)?")), errors="coerce")
    serial_days = serial_days.where((serial_days >= 30000) & (serial_days <= 80000))  # 1982 to 2119
    serial = EXCEL_EPOCH + pd.to_timedelta(serial_days, unit="D")
    parsed = iso.fillna(dmy).fillna(serial).astype("datetime64[s]")
    bad = present & parsed.isna()
    reason = pd.Series(pd.NA, index=values.index, dtype="str")
    month_only = bad & text.str.match(MONTH_ONLY)
    reason[month_only] = "month only, not a date (expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial)"
    reason[bad & ~month_only] = "not a date (expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial)"
    return parsed, reason


def canonical(values: pd.Series, accepted: dict[str, str]) -> pd.Series:
    """Codes mapped to their canonical spelling; anything else becomes missing."""
    key = values.astype("str").str.strip().str.lower().str.replace(r"[^a-z0-9]+", "_", regex=True)
    return key.map(accepted).astype("str")


# --- the aggregated monthly "booking information" table --------------------------------------------

# Row labels as boards see them, matched from the start of the label (lower case).
BOOKING_ROWS = [
    ("received", r"^total referrals"),
    ("urgent_booked", r"^total urgent booked"),
    ("booked", r"^total urgent (&|and) routine booked"),
    ("subtotal_left", r"^sub ?total left"),
    ("extended_not_booked", r"^total not booked as at"),
    ("not_booked", r"^total not booked"),
    ("other", r"^other\b"),
    ("held_14_weeks", r"^total routine held at 14 weeks"),
    ("extended_booked", r"^total booked as at"),
    ("returns_pct", r"^returns\s*/\s*cancellations as a percentage"),
    ("transferred_trust", r"^referrals transferred to"),
    ("transferred_independent", r"^transfers to independent"),
    ("transferred_total", r"^total$"),
]
SECTIONS = [("original", r"^original data"), ("position", r"^position as at"),
            ("extended", r"^extended wait")]


def _month(label) -> pd.Timestamp | None:
    if isinstance(label, (dt.date, dt.datetime, pd.Timestamp)):
        return pd.Timestamp(label).to_period("M").to_timestamp()
    text = str(label).strip()
    for fmt in ("%b-%y", "%b %Y", "%B %Y", "%Y-%m", "%b-%Y"):
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt)).to_period("M").to_timestamp()
        except ValueError:
            continue
    return None


def _number(path: Path, value, line: int, column: str) -> float:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() in ("", "-"):
        return np.nan
    text = str(value).strip().replace(",", "")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise SourceFormatError(path, f"{value!r} is not a number", line=line, column=column) from None
    return number / 100 if percent else number


def read_booking_table(path: Path) -> pd.DataFrame:
    """The monthly booking table as tidy rows: section, measure, month (NaT = the Total column), value.

    The layout is the board's: a first column of labels, one column per month of receipt
    ("Dec-10" or a date cell) and a ``Total`` column; section headings ("Original data as at
    month", "Position as at ...", "Extended wait ...") are rows without numbers. Percentages are
    read as fractions (10% -> 0.10). Rows whose label is not recognised are reported, not guessed.
    """
    if path.name.lower().endswith(".xlsx"):
        raw = pd.read_excel(path, header=None, dtype=object, engine="openpyxl")
    else:
        try:
            raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SourceFormatError(path, f"cannot be read as CSV: {str(exc).splitlines()[0][:200]}") from None
    privacy.refuse_in_rows(raw.astype(object).where(raw.notna(), None).values.tolist(), path)
    header_row = next((i for i in range(len(raw)) if sum(_month(v) is not None for v in raw.iloc[i, 1:]) >= 1), None)
    if header_row is None:
        raise SourceFormatError(path, "no header row of months (e.g. Dec-10, Jan-11, ..., Total)")
    header = list(raw.iloc[header_row])
    columns = {}
    for j, label in enumerate(header[1:], start=1):
        month = _month(label)
        if month is not None:
            columns[j] = month
        elif str(label).strip().lower() == "total":
            columns[j] = pd.NaT
    if not any(pd.isna(m) for m in columns.values()):
        raise SourceFormatError(path, "no Total column in the header row", line=header_row + 1)
    rows, section, unknown = [], None, []
    for i in range(header_row + 1, len(raw)):
        label = "" if pd.isna(raw.iat[i, 0]) else str(raw.iat[i, 0]).strip()
        lower = label.lower()
        hit = next((name for name, rx in SECTIONS if re.search(rx, lower)), None)
        if hit:
            section = hit
            continue
        if not label:
            continue
        measure = next((name for name, rx in BOOKING_ROWS if re.search(rx, lower)), None)
        if measure is None:
            if any(not pd.isna(raw.iat[i, j]) and str(raw.iat[i, j]).strip() for j in columns if j < raw.shape[1]):
                unknown.append((i + 1, label))  # a row with figures that we cannot place
            continue
        this_section = "transfers" if measure.startswith("transferred") else \
            "returns" if measure == "returns_pct" else section
        if this_section is None:
            raise SourceFormatError(path, f"row {label!r} comes before any section heading", line=i + 1)
        for j, month in columns.items():
            value = _number(path, raw.iat[i, j] if j < raw.shape[1] else None, i + 1, str(header[j]))
            if measure.startswith("transferred") and not np.isnan(value) and pd.notna(month):
                # transfers are printed as one figure in the first month column: a total to date
                month = pd.NaT
            rows.append({"section": this_section, "measure": measure, "month": month, "value": value,
                         "line": i + 1, "label": label})
    table = pd.DataFrame(rows)
    if table.empty or "received" not in set(table["measure"]):
        raise SourceFormatError(path, "no 'Total referrals' row found")
    table.attrs["unrecognised_rows"] = unknown
    return table.dropna(subset=["value"]).reset_index(drop=True)


# --- practice weighted list sizes -------------------------------------------------------------------

def read_list_sizes(path: Path) -> pd.DataFrame:
    """practice_code, practice_name (optional), weighted_list_size (> 0, one row per practice)."""
    frame = _read_table(path)
    frame.columns = [normalise_header(c) for c in frame.columns]
    privacy.refuse_in_frame(frame, path)
    for column in ("practice_code", "weighted_list_size"):
        if column not in frame.columns:
            raise SourceFormatError(path, f"required column '{column}' missing", line=1, column=column)
    sizes = pd.to_numeric(frame["weighted_list_size"].str.replace(",", "", regex=False), errors="coerce")
    bad = sizes.isna() | (sizes <= 0)
    if bad.any():
        line = int(bad[bad].index[0])
        raise SourceFormatError(path, f"weighted list size {frame.at[line, 'weighted_list_size']!r} is not a "
                                      "positive number", line=line, column="weighted_list_size")
    out = pd.DataFrame({"practice_code": frame["practice_code"].str.strip().str.upper(),
                        "practice_name": frame.get("practice_name", pd.Series(pd.NA, index=frame.index)),
                        "weighted_list_size": sizes})
    repeated = out["practice_code"].duplicated(keep=False)
    if repeated.any():
        raise SourceFormatError(path, f"practice {out['practice_code'][repeated].iloc[0]} listed twice",
                                line=int(repeated[repeated].index[1]), column="practice_code")
    return out.reset_index(drop=True)
