"""The RTT full-extract reader: the publisher's file as published, and what happens to broken ones.

Expected values come from the file itself (plain csv/pandas/gzip), never from the reader.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

import support
from helpers.core.errors import InputMissingError, PipelineError, SourceFormatError
from helpers.sources import rtt_full_csv as src
from support import N_BANDS, N_ID, NATIONAL, PUBLISHER_NAME, QE1, RTT_DIR

PERIOD_COLUMN = "Period"


# --- the national file -----------------------------------------------------------------------

def test_national_shape_and_columns(national_frame, national_header, national_lines):
    data_lines = [line for line in national_lines[1:] if line]  # the file ends with CRLF
    assert national_frame.shape == (len(data_lines), len(national_header))
    assert national_frame.shape == (183_417, 121)
    assert list(national_frame.columns) == national_header


def test_index_is_the_file_line_number(national_frame, national_lines):
    index = national_frame.index
    assert index[0] == 2 and index[-1] == len(national_frame) + 1
    assert (np.diff(index.to_numpy()) == 1).all()
    # A few rows checked against the very line the index names (line n is national_lines[n - 1]).
    for line in (2, 3, 1000, 91_234, 183_418):
        fields = next(csv.reader([national_lines[line - 1].decode("utf-8")]))
        row = national_frame.loc[line]
        assert [row[c] if pd.notna(row[c]) else "" for c in national_frame.columns[:N_ID]] == fields[:N_ID]
        total_all = float(fields[-1]) if fields[-1] else np.nan
        assert row["Total All"] == total_all


def test_count_columns_numeric_with_nan_for_blank(national_frame, national_raw):
    counts = national_frame.columns[N_ID:]
    assert len(counts) == N_BANDS + 3
    assert all(pd.api.types.is_float_dtype(national_frame[c]) for c in counts)
    mine = national_frame[counts].to_numpy()
    plain = national_raw[counts].to_numpy(dtype="float64")
    # NaN exactly where the publisher left the cell blank, and the same numbers elsewhere.
    assert np.array_equal(np.isnan(mine), np.isnan(plain))
    assert np.array_equal(np.nan_to_num(mine, nan=-1), np.nan_to_num(plain, nan=-1))
    assert np.isnan(mine).any()  # the trap is present in this file


def test_identifier_columns_are_text_as_published(national_frame, national_raw):
    for column in national_frame.columns[:N_ID]:
        assert pd.api.types.is_string_dtype(national_frame[column]), column
        assert national_frame[column].fillna("").tolist() == national_raw[column].fillna("").tolist(), column


def test_na_commissioner_name_kept_as_text(national_frame, national_raw):
    literal = national_raw["Commissioner Org Name"] == "#N/A"
    assert literal.sum() > 0  # the publisher's file really has it
    read = national_frame["Commissioner Org Name"].to_numpy()[literal.to_numpy()]
    assert (read == "#N/A").all()
    assert national_frame["Commissioner Org Name"].notna().all()


def test_names_with_commas_intact(national_frame, national_raw):
    for column in ("Provider Org Name", "Commissioner Org Name"):
        with_comma = national_raw[column].str.contains(",", regex=False)
        assert with_comma.sum() > 0
        assert national_frame[column].str.contains(",", regex=False).sum() == with_comma.sum()
        assert national_frame.loc[with_comma.to_numpy(), column].tolist() == \
            national_raw.loc[with_comma, column].tolist()


def test_file_period_of_national(national_frame):
    assert src.file_period(national_frame, NATIONAL) == dt.date(2026, 1, 31)


def test_discover_picks_publisher_file_and_passes_over_derived():
    found, skipped = src.discover(RTT_DIR)
    assert [f.path for f in found] == [NATIONAL]
    assert found[0].synthetic is False
    reasons = {item.path: item.reason for item in skipped}
    assert "not named as a publisher's full extract" in reasons[QE1]  # it would count January twice
    assert reasons[RTT_DIR / "SOURCE.md"] == "notes, not data"
    assert NATIONAL not in reasons


@pytest.mark.parametrize("label, end", [
    ("RTT-January-2026", dt.date(2026, 1, 31)),
    ("RTT-February-2024", dt.date(2024, 2, 29)),  # leap year
    ("RTT-February-2025", dt.date(2025, 2, 28)),
    ("RTT-April-2025", dt.date(2025, 4, 30)),
    ("RTT-December-2025", dt.date(2025, 12, 31)),
])
def test_period_end_hand_worked(label, end):
    assert src.period_end(label) == end


# --- the QE1 subset written under other names and in other wrappers ------------------------------

def test_gzip_zip_and_bom_read_like_the_plain_file(tmp_path, qe1_bytes, qe1_frame):
    gz = tmp_path / (PUBLISHER_NAME + ".gz")
    gz.write_bytes(gzip.compress(qe1_bytes))
    zipped = tmp_path / (PUBLISHER_NAME + ".zip")
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr(PUBLISHER_NAME, qe1_bytes)
    bom = tmp_path / PUBLISHER_NAME
    bom.write_bytes(b"\xef\xbb\xbf" + qe1_bytes)
    for path in (gz, zipped, bom):
        pd.testing.assert_frame_equal(src.read(path), qe1_frame)


def test_zip_with_two_csvs_is_refused(tmp_path, qe1_bytes):
    zipped = tmp_path / (PUBLISHER_NAME + ".zip")
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("a.csv", qe1_bytes)
        z.writestr("b.csv", qe1_bytes)
    with pytest.raises(SourceFormatError, match="one CSV") as err:
        src.read(zipped)
    assert str(zipped) in str(err.value)


# --- broken files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["middle", "inside_quoted_name"])
def test_truncated_mid_row(tmp_path, qe1_csv, where):
    if where == "middle":
        line = 5001
        cut = len(qe1_csv.lines[line - 1]) // 2
    else:  # just after the opening quote of a name that holds a comma
        line = next(n for n in range(2000, len(qe1_csv.lines) + 1) if b',"' in qe1_csv.lines[n - 1])
        cut = qe1_csv.lines[line - 1].index(b',"') + 5
    path = tmp_path / PUBLISHER_NAME
    path.write_bytes(b"\r\n".join(qe1_csv.lines[: line - 1]) + b"\r\n" + qe1_csv.lines[line - 1][:cut])
    with pytest.raises(SourceFormatError) as err:
        src.read(path)
    message = str(err.value)
    assert str(path) in message
    assert f"line {line}:" in message
    assert err.value.line == line
    assert "121 fields" in message and "truncated" in message


def test_empty_file(tmp_path):
    path = tmp_path / PUBLISHER_NAME
    path.write_bytes(b"")
    with pytest.raises(SourceFormatError, match="empty") as err:
        src.read(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("line, column, text", [
    (5, "Gt 03 To 04 Weeks SUM 1", "12a"),
    (9_000, "Gt 104 Weeks SUM 1", "12a"),  # late in the file, after the CSV parser's first block
    (9_378, "Total All", "12a"),  # the last line
    (40, "Gt 00 To 01 Weeks SUM 1", "nan"),  # words a float parser takes, but not counts
    (41, "Total All", "inf"),
])
def test_text_in_a_count_column(tmp_path, qe1_csv, line, column, text):
    qe1_csv.set_cell(line, column, text)
    path = qe1_csv.write(tmp_path / PUBLISHER_NAME)
    with pytest.raises(SourceFormatError) as err:
        src.read(path)
    message = str(err.value)
    assert str(path) in message
    assert f"line {line}," in message
    assert f"column '{column}'" in message
    assert f"'{text}'" in message
    assert (err.value.line, err.value.column) == (line, column)


def test_period_that_does_not_parse(tmp_path, qe1_bytes):
    path = tmp_path / PUBLISHER_NAME
    path.write_bytes(qe1_bytes.replace(b"RTT-January-2026", b"RTT-Janvier-2026"))
    frame = src.read(path)
    assert set(frame[PERIOD_COLUMN]) == {"RTT-Janvier-2026"}
    with pytest.raises(SourceFormatError) as err:
        src.file_period(frame, path)
    message = str(err.value)
    assert str(path) in message and "'RTT-Janvier-2026'" in message and "column 'Period'" in message


def test_future_period(tmp_path, qe1_bytes):
    path = tmp_path / "20990131-RTT-January-2099-full-extract.csv"
    path.write_bytes(qe1_bytes.replace(b"RTT-January-2026", b"RTT-January-2099"))
    frame = src.read(path)
    with pytest.raises(SourceFormatError, match="after today") as err:
        src.file_period(frame, path)
    assert str(path) in str(err.value)
    # The same month is fine once it has ended, and refused the day before it ends.
    assert src.file_period(frame, path, today=dt.date(2099, 2, 1)) == dt.date(2099, 1, 31)
    with pytest.raises(SourceFormatError):
        src.file_period(frame, path, today=dt.date(2099, 1, 30))


def test_file_name_date_disagrees_with_rows(tmp_path, qe1_bytes):
    path = tmp_path / "20251231-RTT-December-2025-full-extract.csv"
    path.write_bytes(qe1_bytes)
    frame = src.read(path)
    with pytest.raises(SourceFormatError) as err:
        src.file_period(frame, path)
    message = str(err.value)
    assert str(path) in message and "20251231" in message and "RTT-January-2026" in message


def test_two_periods_in_one_file(tmp_path, qe1_csv):
    qe1_csv.set_cell(100, PERIOD_COLUMN, "RTT-December-2025")
    path = qe1_csv.write(tmp_path / PUBLISHER_NAME)
    with pytest.raises(SourceFormatError, match="one period") as err:
        src.file_period(src.read(path), path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("cut", ["half", "trailer"])
def test_truncated_gzip(tmp_path, qe1_bytes, cut):
    packed = gzip.compress(qe1_bytes)
    path = tmp_path / (PUBLISHER_NAME + ".gz")
    path.write_bytes(packed[: len(packed) // 2] if cut == "half" else packed[:-5])
    with pytest.raises(SourceFormatError) as err:
        src.read(path)
    assert str(path) in str(err.value)
    assert "truncated" in str(err.value)


def test_not_a_gzip_at_all(tmp_path, qe1_bytes):
    path = tmp_path / (PUBLISHER_NAME + ".gz")
    path.write_bytes(qe1_bytes)  # a plain CSV under a .gz name
    with pytest.raises(SourceFormatError) as err:
        src.read(path)
    assert str(path) in str(err.value)


# --- finding the files -----------------------------------------------------------------------------

def test_folder_with_no_matching_files(tmp_path, qe1_bytes):
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    (folder / QE1.name).write_bytes(qe1_bytes)
    (folder / "notes.txt").write_text("not data")
    with pytest.raises(InputMissingError) as err:
        src.discover(folder)
    message = str(err.value)
    assert str(folder) in message
    assert QE1.name in message  # says what it passed over
    assert err.value.exit_code == 3


def test_missing_folder(tmp_path):
    folder = tmp_path / "nowhere" / "rtt_full_csv"
    with pytest.raises(InputMissingError) as err:
        src.discover(folder)
    assert str(folder) in str(err.value)
    assert isinstance(err.value, PipelineError)


def test_discover_names_and_synthetic_flag(tmp_path):
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    names = ["20251231-RTT-December-2025-full-extract.csv.zip",
             "SYNTHETIC_20251130-RTT-November-2025-full-extract.csv",
             PUBLISHER_NAME + ".gz",
             "20260131-RTT-January-2026-full-extract.csv.bak",
             "DERIVED_subset_QE1_" + PUBLISHER_NAME,
             "20260131-RTT-January-2026-full-extract.xlsx"]
    for name in names:
        (folder / name).write_bytes(b"x")
    with zipfile.ZipFile(folder / names[0], "w") as z:  # a ZIP is opened when its name does not match
        z.writestr(names[0].removesuffix(".zip"), b"x")
    found, skipped = src.discover(folder)
    assert sorted(f.name for f in found) == sorted(names[:3])
    assert {f.name: f.synthetic for f in found}[names[1]] is True
    assert {f.name: f.synthetic for f in found}[names[0]] is False
    # every other file is listed with its reason, none silently left out
    assert sorted(p.name for p in skipped) == sorted(names[3:])
    assert all(p.reason.startswith("not named as a publisher's full extract") for p in skipped)
    # A wider pattern from params.yaml takes the derived file in.
    found, skipped = src.discover(folder, r"^DERIVED_subset_[A-Z0-9]+_\d{8}-RTT-.*full-extract\.csv$")
    assert [f.name for f in found] == ["DERIVED_subset_QE1_" + PUBLISHER_NAME]
    assert {p.name: p.reason for p in skipped}[names[0]] == \
        "a ZIP whose one file, '20251231-RTT-December-2025-full-extract.csv', is not named as a full extract"


def test_count_matrix_reads_blank_as_zero():
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 3.0]})
    assert src.count_matrix(frame, ["a", "b"]).tolist() == [[1.0, 0.0], [0.0, 3.0]]


def test_band_column_names_follow_the_publisher(national_header):
    assert national_header[N_ID:N_ID + N_BANDS] == src.BAND_COLUMNS
    assert national_header == src.COLUMNS


# --- the file names the publisher uses, and two files for one month ---------------------------------

JANUARY_ZIP = "Full-CSV-data-file-Jan26-ZIP-4M-revised.zip"  # the download, as NHS England names it


@pytest.fixture(scope="module")
def head_bytes(qe1_bytes) -> bytes:
    """The QE1 subset's header and first 300 rows: a small extract of January 2026."""
    return b"\r\n".join(qe1_bytes.split(b"\r\n")[:301]) + b"\r\n"


def _zip(path, member: str, data: bytes):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, data)
    return path


def _write(folder, name: str, data: bytes):
    """``name`` written into ``folder`` as its suffix says: plain, gzipped, or zipped holding the extract."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    if name == JANUARY_ZIP:
        return _zip(path, PUBLISHER_NAME.replace(".csv", "-revised.csv"), data)
    if name.endswith(".zip"):
        return _zip(path, name.removesuffix(".zip"), data)
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name, member", [
    (PUBLISHER_NAME, None),
    ("20260131-RTT-January-2026-full-extract-revised.csv", None),
    ("20260131-RTT-January-2026-full-extract-revision.csv", None),  # June 2019 was published so
    ("20260131-RTT-JANUARY-2026-full-extract.csv", None),  # older months spell the month in capitals
    (PUBLISHER_NAME + ".gz", None),
    (PUBLISHER_NAME + ".zip", None),
    ("20260131-RTT-January-2026-full-extract-revised.csv.gz", None),
    (JANUARY_ZIP, "20260131-RTT-January-2026-full-extract-revised.csv"),
    ("SYNTHETIC_" + PUBLISHER_NAME, None),
])
def test_each_publisher_name_is_read_by_default(tmp_path, head_bytes, name, member):
    path = _write(tmp_path / "rtt_full_csv", name, head_bytes)
    found, skipped = src.discover(path.parent)
    assert [(f.path, f.member) for f in found] == [(path, member)] and skipped == []
    assert found[0].synthetic is name.startswith("SYNTHETIC_")
    expected = pd.read_csv(io.BytesIO(head_bytes), keep_default_na=False, na_values=[""], dtype=str)
    frame = src.read(path)
    assert len(frame) == len(expected) == 300
    assert frame["Provider Org Code"].tolist() == expected["Provider Org Code"].tolist()
    assert frame["Total All"].tolist() == expected["Total All"].astype(float).tolist()
    assert src.file_period(frame, path) == dt.date(2026, 1, 31)


def test_params_yaml_pattern_is_the_readers_default():
    import yaml

    params = yaml.safe_load((support.ROOT / "params.yaml").read_text(encoding="utf-8"))
    assert params["rtt"]["file_pattern"] == src.DEFAULT_FILE_PATTERN


def test_capitalised_month_from_2019(tmp_path, head_bytes):
    name = "20191031-RTT-OCTOBER-2019-full-extract.csv"
    path = _write(tmp_path / "rtt_full_csv", name, head_bytes.replace(b"RTT-January-2026", b"RTT-October-2019"))
    found, _ = src.discover(path.parent)
    assert [f.name for f in found] == [name]
    assert src.file_period(src.read(path), path) == dt.date(2019, 10, 31)


def test_name_stamped_a_day_early_is_the_same_month(tmp_path, head_bytes):
    """March 2019 was published as 20190330-RTT-MARCH-2019-full-extract.csv: a stamp inside the month is its month."""
    name = "20190330-RTT-MARCH-2019-full-extract.csv"
    path = _write(tmp_path / "rtt_full_csv", name, head_bytes.replace(b"RTT-January-2026", b"RTT-March-2019"))
    assert src.file_period(src.read(path), path) == dt.date(2019, 3, 31)


def test_publisher_zip_checked_against_the_extract_inside(tmp_path, head_bytes):
    """The download's name says Jan26; the extract inside says which month its rows must be."""
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    path = _zip(folder / JANUARY_ZIP, "20251231-RTT-December-2025-full-extract.csv", head_bytes)
    with pytest.raises(SourceFormatError) as err:
        src.file_period(src.read(path), path)
    assert "20251231" in str(err.value) and "RTT-January-2026" in str(err.value)


@pytest.mark.parametrize("members, reason", [
    (["notes.csv"], "a ZIP whose one file, 'notes.csv', is not named as a full extract"),
    ([PUBLISHER_NAME, "20251231-RTT-December-2025-full-extract.csv"], "a ZIP holding 2 files, not one full extract"),
    (["Full-CSV-data-file-Jan26/" + PUBLISHER_NAME, "Full-CSV-data-file-Jan26/notes.txt"],
     "a ZIP holding 2 files, not one full extract"),
])
def test_zip_that_is_not_one_extract_is_passed_over_with_the_reason(tmp_path, head_bytes, members, reason):
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    with zipfile.ZipFile(folder / "other.zip", "w") as z:
        for member in members:
            z.writestr(member, head_bytes)
    _write(folder, "20251130-RTT-November-2025-full-extract.csv", head_bytes)
    found, skipped = src.discover(folder)
    assert [f.name for f in found] == ["20251130-RTT-November-2025-full-extract.csv"]
    assert [(p.name, p.reason) for p in skipped] == [("other.zip", reason)]


def test_zip_in_a_folder_inside_the_archive_is_read(tmp_path, head_bytes):
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    path = _zip(folder / "download.zip", "Full CSV data file Jan26/" + PUBLISHER_NAME, head_bytes)
    found, skipped = src.discover(folder)
    assert [(f.path, f.member) for f in found] == [(path, PUBLISHER_NAME)] and skipped == []


def test_zip_that_cannot_be_opened_stops_the_run(tmp_path, head_bytes):
    folder = tmp_path / "rtt_full_csv"
    folder.mkdir()
    whole = _zip(folder / JANUARY_ZIP, PUBLISHER_NAME, head_bytes).read_bytes()
    (folder / JANUARY_ZIP).write_bytes(whole[: len(whole) // 2])  # an interrupted download
    with pytest.raises(SourceFormatError, match="cannot open the ZIP") as err:
        src.discover(folder)
    assert JANUARY_ZIP in str(err.value) and err.value.exit_code == 2


@pytest.mark.parametrize("first, second", [
    (PUBLISHER_NAME, "20260131-RTT-January-2026-full-extract-revised.csv"),
    (PUBLISHER_NAME, JANUARY_ZIP),
    (PUBLISHER_NAME, PUBLISHER_NAME + ".gz"),
    ("20190330-RTT-MARCH-2019-full-extract.csv", "20190331-RTT-March-2019-full-extract-revised.csv"),
])
def test_two_files_for_one_month_stop_naming_both(tmp_path, head_bytes, first, second):
    folder = tmp_path / "rtt_full_csv"
    for name in (first, second, "20251231-RTT-December-2025-full-extract.csv"):
        _write(folder, name, head_bytes)
    with pytest.raises(SourceFormatError) as err:
        src.discover(folder)
    message = str(err.value)
    assert err.value.exit_code == 2 and message.startswith(str(folder))
    assert first in message and second in message and "keep one file per month" in message
    month = "March 2019" if first.startswith("2019") else "January 2026"
    assert f"two files for {month}" in message
    if second == JANUARY_ZIP:
        assert "(holding 20260131-RTT-January-2026-full-extract-revised.csv)" in message


def test_two_files_for_one_month_stop_the_cleanse_stage(tmp_path, head_bytes):
    from helpers.core.errors import PipelineError
    from helpers.domains.rtt import cleanse
    from support import scratch, settings_for

    folder = tmp_path / "rtt_full_csv"
    for name in (PUBLISHER_NAME, JANUARY_ZIP):
        _write(folder, name, head_bytes)
    with pytest.raises(PipelineError) as err:
        cleanse.run({src.SOURCE_FOLDER: folder}, settings_for("cleanse_rtt"), scratch(tmp_path / "out"))
    assert err.value.exit_code == 2 and PUBLISHER_NAME in str(err.value) and JANUARY_ZIP in str(err.value)
    assert not (tmp_path / "out" / "data" / "processed").exists()
