"""Reader for NHS England's monthly RTT waiting times "Full CSV data file".

One row per provider x commissioner x RTT part x treatment function, 105 week-band count
columns and three totals. The publisher's traps, handled here rather than by editing files:

* blank, not 0, means no patients (counts are read as nullable and treated as 0 downstream);
* ``Total`` is blank on incomplete-pathway and new-period rows; ``Total All`` is always set;
* ``C_999`` rows are the publisher's per-group roll-up (kept apart, never summed with specialties);
* names contain commas (quoted fields), lines end CRLF, files may be gzip-compressed or zipped.

Structural problems (unreadable, truncated, text in a count column) raise
:class:`~helpers.errors.SourceFormatError` naming the file, line and column. Everything that can
be phrased as an expectation about values is left to the Great Expectations gate.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from helpers.core import privacy
from helpers.core.errors import InputMissingError, SourceFormatError
from helpers.sources._common import (
    PassedOver,
    check_size,
    folder_files,
    is_lock_file,
    is_synthetic,
    utf8_problem,
    why_not_read,
)

SOURCE_FOLDER = "rtt_full_csv"

ID_COLUMNS = [
    "Period",
    "Provider Parent Org Code",
    "Provider Parent Name",
    "Provider Org Code",
    "Provider Org Name",
    "Commissioner Parent Org Code",
    "Commissioner Parent Name",
    "Commissioner Org Code",
    "Commissioner Org Name",
    "RTT Part Type",
    "RTT Part Description",
    "Treatment Function Code",
    "Treatment Function Name",
]
OPEN_BAND_WEEKS = 104  # the last band, "Gt 104 Weeks", has no upper limit
BAND_COLUMNS = [f"Gt {w:02d} To {w + 1:02d} Weeks SUM 1" for w in range(OPEN_BAND_WEEKS)] + [
    f"Gt {OPEN_BAND_WEEKS} Weeks SUM 1"
]
TOTAL_COLUMN = "Total"
UNKNOWN_COLUMN = "Patients with unknown clock start date"
TOTAL_ALL_COLUMN = "Total All"
COUNT_COLUMNS = BAND_COLUMNS + [TOTAL_COLUMN, UNKNOWN_COLUMN, TOTAL_ALL_COLUMN]
COLUMNS = ID_COLUMNS + COUNT_COLUMNS

ROLLUP_CODE = "C_999"  # publisher's total across treatment functions
HEADER_LINE = 1  # data row i (0-based) is on file line i + 2

# The publisher's extract is named YYYYMMDD-RTT-<Month>-<YYYY>-full-extract.csv, with -revised
# (once, -revision) when the month is revised and, in older months, the month in capitals
# (20191031-RTT-OCTOBER-2019-...); it is downloaded as a ZIP named after the month
# (Full-CSV-data-file-Jan26-ZIP-4M-revised.zip) holding that one CSV, and mirrors often gzip it.
# The shipped samples carry a SYNTHETIC_ prefix. params.yaml's rtt.file_pattern repeats this.
DEFAULT_FILE_PATTERN = (r"^(SYNTHETIC_)?\d{8}-RTT-[A-Za-z]+-\d{4}-full-extract(-revised|-revision)?"
                        r"\.csv(\.gz|\.zip)?$")
PERIOD_LABEL = re.compile(r"^RTT-(?P<month>[A-Za-z]+)-(?P<year>\d{4})$")
NAME_STAMP = re.compile(r"(\d{8})-RTT-")  # the month end, as the publisher stamps it in the name
EXPECTED = ("a publisher's full extract (YYYYMMDD-RTT-<Month>-<YYYY>-full-extract.csv, or a ZIP of one); "
            "rtt.file_pattern in params.yaml widens the choice")


@dataclass(frozen=True)
class RttFile:
    """A monthly extract found in the inputs folder (``member``: its name inside a publisher's ZIP)."""

    path: Path
    synthetic: bool
    member: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def extract_name(self) -> str:
        """The extract's own name: the CSV inside a ZIP, else the file's."""
        return self.member or self.path.name

    @property
    def month(self) -> str | None:
        """'YYYYMM' from the publisher's stamp, or None for a name without one (a widened pattern)."""
        stamp = NAME_STAMP.search(self.extract_name) or NAME_STAMP.search(self.name)
        return stamp.group(1)[:6] if stamp else None


def _zip_files(path: Path) -> list[str]:
    """Names of the files in a ZIP (folders and macOS resource forks left out)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"cannot open the ZIP ({exc}); the download is probably incomplete: "
                                      f"download it again") from exc
    return [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")]


def _look_inside(path: Path, regex: re.Pattern) -> RttFile | PassedOver:
    """A ZIP under any name (the download is named after the month) is read when its one file is an extract."""
    members = _zip_files(path)
    inner = [PurePosixPath(m).name for m in members]
    if len(inner) == 1 and regex.match(inner[0]):
        synthetic = is_synthetic(path) or is_synthetic(Path(inner[0]))
        return RttFile(path, synthetic=synthetic, member=inner[0])
    if len(inner) == 1:
        return PassedOver(path, f"a ZIP whose one file, {inner[0]!r}, is not named as a full extract")
    return PassedOver(path, f"a ZIP holding {len(inner)} files, not one full extract")


def _stop_if_two_for_a_month(folder: Path, found: list[RttFile]) -> None:
    """Two files for one month (original and revised, or a CSV and its ZIP) would count it twice."""
    first: dict[str, RttFile] = {}
    for file in found:
        if file.month is None:
            continue  # no stamp: the cleanse stage compares the periods the rows give
        if file.month in first:
            other = first[file.month]
            month = dt.datetime.strptime(file.month, "%Y%m").strftime("%B %Y")
            raise SourceFormatError(folder, f"two files for {month}: {_shown(other)} and {_shown(file)}; "
                                            f"keep one file per month (a revised extract replaces the original)")
        first[file.month] = file


def _shown(file: RttFile) -> str:
    return f"{file.name} (holding {file.member})" if file.member else file.name


def discover(folder: Path, pattern: str = DEFAULT_FILE_PATTERN) -> tuple[list[RttFile], list[PassedOver]]:
    """The extracts in ``folder`` whose names match ``pattern`` (or a ZIP's one file does), and the
    files passed over with the reason. Two files for the same month stop the run (exit 2)."""
    if not folder.is_dir():
        raise InputMissingError(f"{folder}: RTT inputs folder not found (expected the publisher's "
                                f"monthly full-extract CSV files in it)")
    regex = re.compile(pattern)
    found, skipped = [], []
    for path in folder_files(folder):
        if regex.match(path.name) and not is_lock_file(path):
            found.append(RttFile(path, synthetic=is_synthetic(path)))
        elif path.suffix.lower() == ".zip":
            kept = _look_inside(path, regex)
            (found if isinstance(kept, RttFile) else skipped).append(kept)
        else:
            skipped.append(PassedOver(path, why_not_read(path, EXPECTED)))
    if not found:
        raise InputMissingError(
            f"{folder}: no RTT full-extract files (names matching {pattern}); "
            f"files present: {', '.join(p.name for p in skipped) or 'none'}"
        )
    _stop_if_two_for_a_month(folder, found)
    for file in found:
        check_size(file.path)
    return found, skipped


def _open_bytes(path: Path) -> bytes:
    """The CSV bytes, decompressed; the publisher ships a ZIP, mirrors often a gzip."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                members = [m for m in z.namelist() if m.lower().endswith(".csv")]
                if len(members) != 1:
                    raise SourceFormatError(path, f"expected one CSV inside the ZIP, found {members}")
                return z.read(members[0])
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zipfile.BadZipFile, OSError) as exc:
        raise SourceFormatError(path, f"cannot decompress ({exc}); the file is probably truncated "
                                      f"or not the format its name says") from exc


def _locate_ragged_row(path: Path, data: bytes, width: int) -> SourceFormatError:
    """Find the first line whose field count differs from the header's, for the error message."""
    text = io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")
    for number, row in enumerate(csv.reader(text), start=1):
        if len(row) != width:
            shown = ",".join(row)[:80]
            return SourceFormatError(
                path, f"expected {width} fields, found {len(row)} (is the file truncated?): {shown!r}",
                line=number,
            )
    return SourceFormatError(path, "the CSV could not be parsed")


def _refuse_moved_header(path: Path, data: bytes) -> None:
    """A header pushed down by title lines: say where it is, rather than let every column check fail."""
    lines = io.StringIO(data[:20000].decode("utf-8-sig", errors="replace"), newline="")
    for number, row in enumerate(csv.reader(lines), start=1):
        if number > 1 and row and row[0].strip() == ID_COLUMNS[0]:
            raise SourceFormatError(path, f"expected the header ({', '.join(ID_COLUMNS[:3])}, ...) on line 1, found "
                                          f"it on line {number}: remove the {number - 1} line(s) above it", line=1)
        if number >= 20:
            return


def _parse_counts(path: Path, frame: pd.DataFrame) -> None:
    """Make every count column numeric in place, or say where a cell is not a number."""
    for column in COUNT_COLUMNS:
        if column not in frame.columns:
            continue  # the column gate names missing columns
        values = frame[column]
        if values.dtype == "float64":
            continue
        if pd.api.types.is_numeric_dtype(values):
            frame[column] = values.astype("float64")
            continue
        numbers = pd.to_numeric(values.astype("string").str.strip().replace("", pd.NA), errors="coerce")
        bad = numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            line = int(bad.idxmax())
            raise SourceFormatError(
                path, f"expected a whole number or blank, found {values[line]!r} "
                      f"({int(bad.sum())} such cells in this column)",
                line=line, column=column,
            )
        frame[column] = numbers.astype("float64")


def _arrow_table(data: bytes, header: list[str], counts_typed: bool) -> pa.Table:
    """The CSV as an Arrow table: text columns as strings; count columns parsed straight to floats
    (``counts_typed``: fast, but any cell that is not a plain number fails the whole file) or left
    to Arrow's inference, for :func:`_parse_counts` to check cell by cell."""
    types = {c: pa.string() for c in header if c.strip() not in COUNT_COLUMNS}
    if counts_typed:
        types.update((c, pa.float64()) for c in header if c.strip() in COUNT_COLUMNS)
    return pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
        column_types=types,
        null_values=[""],  # only blank is missing: '#N/A' is a real commissioner name
        strings_can_be_null=True,
    ))


def _refuse_non_finite(path: Path, data: bytes, table: pa.Table) -> None:
    """Float parsers take "nan" and "inf", which are not counts (and "nan" would pass for a blank)."""
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_floating(column.type):
            continue
        row = pc.index(pc.is_finite(column), False).as_py()  # nulls (blanks) are skipped
        if row < 0:
            continue
        line = HEADER_LINE + 1 + row
        text = next(itertools.islice(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"),
                                                            newline="")), line - 1, None))
        cell = text[table.column_names.index(name)]
        raise SourceFormatError(path, f"expected a whole number or blank, found {cell!r}", line=line,
                                column=name.strip())


def read(path: Path) -> pd.DataFrame:
    """The extract as published: text columns as strings, counts as floats with NaN for blank.

    The index is the file line number of each row, so that validation failures can point at it.
    """
    data = _open_bytes(path)
    if not data.strip():
        raise SourceFormatError(path, "the file is empty (expected a header line and data rows)")
    problem = utf8_problem(path, data)
    if problem:
        raise problem
    header = next(csv.reader(io.StringIO(data[:20000].decode("utf-8-sig", errors="replace"))))
    if header[0].strip() != ID_COLUMNS[0]:
        _refuse_moved_header(path, data)
    try:
        table = _arrow_table(data, header, counts_typed=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a count that is not a plain number, or a ragged row
        try:
            table = _arrow_table(data, header, counts_typed=False)  # _parse_counts names the cell
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # its messages do not give the line
            raise _locate_ragged_row(path, data, len(header)) from exc
    _refuse_non_finite(path, data, table)
    frame = table.to_pandas()
    frame.index = pd.RangeIndex(HEADER_LINE + 1, HEADER_LINE + 1 + len(frame), name="line")
    frame.columns = [c.strip() for c in frame.columns]
    _parse_counts(path, frame)
    privacy.refuse_in_frame(frame, path)  # an aggregate publication: no patient can be named in it
    return frame


def extract_name(path: Path) -> str:
    """The extract's own name: the one file inside a ZIP (the download's name says less), else the file's."""
    if path.suffix.lower() == ".zip":
        inner = _zip_files(path)
        if len(inner) == 1:
            return PurePosixPath(inner[0]).name
    return path.name


def period_end(label: str, path: Path | None = None) -> dt.date:
    """``RTT-January-2026`` -> 2026-01-31, the month end the publisher's file name carries."""
    match = PERIOD_LABEL.match(str(label))
    try:
        if not match:
            raise ValueError
        first = dt.datetime.strptime(f"{match['month']} {match['year']}", "%B %Y").date()
    except ValueError:
        raise SourceFormatError(path or "RTT extract", f"period {label!r} does not parse; "
                                f"expected RTT-<Month>-<YYYY>, e.g. RTT-January-2026",
                                column="Period") from None
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def file_period(frame: pd.DataFrame, path: Path, today: dt.date | None = None) -> dt.date:
    """The single reporting period of an extract, checked against its file name and the calendar."""
    labels = frame["Period"].dropna().unique().tolist()
    if len(labels) != 1:
        raise SourceFormatError(path, f"expected one period in the file, found {sorted(labels)[:5]}",
                                column="Period")
    end = period_end(labels[0], path)
    # The stamp is compared by month: the publisher stamped March 2019 20190330, not 20190331.
    stamp = NAME_STAMP.search(extract_name(path)) or NAME_STAMP.search(path.name)
    if stamp and stamp.group(1)[:6] != end.strftime("%Y%m"):
        raise SourceFormatError(path, f"the file name says {stamp.group(1)} but its rows say "
                                      f"{labels[0]} (period end {end:%Y%m%d})", column="Period")
    if end > (today or dt.date.today()):  # a month is published only after it ends
        raise SourceFormatError(path, f"period {labels[0]} ends {end:%d %B %Y}, after today",
                                column="Period")
    return end


def count_matrix(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Counts as a float matrix with blank read as zero."""
    return np.nan_to_num(frame[columns].to_numpy(dtype="float64"), nan=0.0)
