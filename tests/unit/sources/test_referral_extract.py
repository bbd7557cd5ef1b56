"""Referral gateway readers: the board's monthly booking table (the May 2011 paper's own figures)
and the referral-level extract (identifiers dropped, layout problems stopped at read)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import support
from helpers.core import quality
from helpers.core.errors import DataQualityError, InputMissingError, SourceFormatError
from helpers.domains.referrals import measures as referrals
from helpers.sources import referral_extract as src

ROOT = support.ROOT

# "Booking Information as at 10.05.11", section 5 of the South West Essex QIPP turnaround report
# (May 2011), transcribed row for row; blank cells as printed.
SEED_TABLE = """Booking Information as at 10.05.11,Dec-10,Jan-11,Feb-11,Mar-11,Apr-11,Total
Original data as at Month,,,,,,
Total referrals into Fortis includes,1687,3130,3948,4292,,13057
Total urgent booked C&B (within 5 days),1153,717,1233,1297,,4400
Sub total left,534,2413,2715,2995,,8657
Total not booked (held at 14 weeks as,420,2140,2333,2642,,7535
Other - ? Cancelled / Returned to,114,273,382,353,,1122
Position as at 5th May 2011 (10th May,,,,,,
Total referrals into Fortis includes,1687,3130,3948,4292,,13057
Total urgent & routine booked,1515,2525,1365,1327,,6732
Sub total left,172,605,2583,2965,0,6325
Total not booked (held at 14 weeks as,0,268,2232,2617,,5117
Other - ? cancelled / returned to,172,337,351,348,0,1208
Extended wait routine referrals position,,,,,,
total routine held at 14 weeks (original,420,2140,2333,2642,,7535
total not booked as at May 10th,0,268,2232,2617,,5117
total booked as at 10th May,420,1872,101,25,0,2418
Returns / cancellations as a percentage,10%,11%,9%,8%,,9%
Currently Booking all patients up to,,,,,,
ECN Fast Track Referrals Transferred to,,,,,,
Referrals Transferred to BHR - Queens,263,,,,,
Transfers to Independent Providers,80,,,,,
Total,343,,,,,
"""
MONTHS = ["2010-12", "2011-01", "2011-02", "2011-03"]


@pytest.fixture
def seed_csv(tmp_path) -> Path:
    path = tmp_path / "booking_information_20110510.csv"
    path.write_text(SEED_TABLE, encoding="utf-8")
    return path


def _value(table, section, measure, month=None):
    part = table[(table["section"] == section) & (table["measure"] == measure)]
    part = part[part["month"].isna()] if month is None else part[part["month"] == pd.Timestamp(month)]
    return float(part["value"].iloc[0])


def test_seed_table_reads_as_printed(seed_csv):
    table = src.read_booking_table(seed_csv)
    assert [_value(table, "original", "received", m) for m in MONTHS] == [1687, 3130, 3948, 4292]
    assert _value(table, "original", "received") == 13057
    assert [_value(table, "position", "booked", m) for m in MONTHS] == [1515, 2525, 1365, 1327]
    assert [_value(table, "position", "not_booked", m) for m in MONTHS] == [0, 268, 2232, 2617]
    assert _value(table, "position", "other") == 1208
    assert _value(table, "extended", "extended_booked") == 2418
    assert _value(table, "transfers", "transferred_total") == 343
    assert table.attrs["unrecognised_rows"] == []  # label-only rows are not data


def test_seed_table_reconciles_row_by_row(seed_csv):
    table = src.read_booking_table(seed_csv)
    checks = referrals.reconcile_booking(table)
    assert (checks["difference"] == 0).all(), checks[checks["difference"] != 0]
    position = checks[(checks["section"] == "position") & checks["check"].str.startswith("received =")]
    # received = booked + not booked + other, each month and the Total column, as printed
    assert dict(zip(position["month"], position["printed"])) == {
        "2010-12": 1687, "2011-01": 3130, "2011-02": 3948, "2011-03": 4292, "2011-04": 0, "Total": 13057}
    assert set(checks["section"]) == {"original", "position", "extended", "returns", "transfers"}
    quality.gate(checks, "booking_information.reconciliation", data_name=str(seed_csv), root=ROOT)


def test_seed_returns_percentages_come_out_as_printed(seed_csv):
    pct = referrals.returns_percentages(src.read_booking_table(seed_csv))
    # printed: 10%, 11%, 9%, 8%, and 9% overall
    assert [round(pct[pd.Timestamp(m)]) for m in MONTHS] == [10, 11, 9, 8]
    assert round(pct["Total"]) == 9
    assert pct["Total"] == pytest.approx(100 * 1208 / 13057)


def test_seed_table_as_xlsx_reads_the_same(seed_csv, tmp_path):
    grid = pd.read_csv(seed_csv, header=None, dtype=str, keep_default_na=False).astype(object)
    grid.iloc[0, 1:5] = [pd.Timestamp(f"{m}-01").to_pydatetime() for m in MONTHS]  # month headers as date cells
    xlsx = tmp_path / "booking_information_20110510.xlsx"
    grid.replace("", None).to_excel(xlsx, header=False, index=False)
    from_csv, from_xlsx = src.read_booking_table(seed_csv), src.read_booking_table(xlsx)
    key = ["section", "measure", "month"]
    pd.testing.assert_frame_equal(from_csv[key + ["value"]].reset_index(drop=True),
                                  from_xlsx[key + ["value"]].reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("edit, check", [
    (("1515,2525", "1516,2525"), "received = booked + not booked + other"),  # a booked figure off by one
    (("13057\nTotal urgent & routine", "13058\nTotal urgent & routine"), "Total column = sum of months (received)"),
    (("10%,11%", "12%,11%"), "returns % = other / received"),
])
def test_a_table_that_does_not_add_up_fails_the_gate(seed_csv, edit, check):
    seed_csv.write_text(SEED_TABLE.replace(*edit, 1), encoding="utf-8")
    checks = referrals.reconcile_booking(src.read_booking_table(seed_csv))
    assert checks.loc[checks["difference"] != 0, "check"].str.startswith(check).any()
    with pytest.raises(DataQualityError, match="booking_information.reconciliation"):
        quality.gate(checks, "booking_information.reconciliation", data_name=str(seed_csv), root=ROOT,
                     id_columns=["section", "check", "month"])


def test_text_in_a_count_stops_with_line_and_column(seed_csv):
    seed_csv.write_text(SEED_TABLE.replace("1153,717", "1153,seven"), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"line 4, column 'Jan-11'.*'seven' is not a number"):
        src.read_booking_table(seed_csv)


def test_table_without_months_stops(tmp_path):
    path = tmp_path / "booking_information_20110510.csv"
    path.write_text("Booking,A,B\nTotal referrals,1,2\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="no header row of months"):
        src.read_booking_table(path)


# --- the referral-level extract ---------------------------------------------------------------------

HEADER = ("Referral ID,NHS Number,Patient Name,Date of Birth,Received Date,Practice Code,Priority,Specialty Code,"
          "Source,Channel,Status,Booked Date,Appointment Date,Cancelled Date,Returned Date,Transferred Date,"
          "Transferred To")
ROW = "R1,9990000001,Synthpatient Alpha,01/02/1950,03/01/2011,Z90001,Urgent,110,GP,e-Referral,booked,04/01/2011,10/01/2011,,,,"


def test_identifier_columns_are_dropped_at_read(tmp_path):
    path = tmp_path / "referral_extract_20110512.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    frame, dropped = src.read_extract(path)
    assert dropped == ["nhs_number", "patient_name", "date_of_birth"]
    assert not {"nhs_number", "patient_name", "date_of_birth"} & set(frame.columns)
    text = frame.to_csv()
    assert "9990000001" not in text and "Synthpatient" not in text and "01/02/1950" not in text
    assert frame.index[0] == 2  # the file's line number


def test_extract_as_xlsx_reads_like_csv(tmp_path):
    csv_path = tmp_path / "referral_extract_20110512.csv"
    csv_path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    sheet = pd.read_csv(csv_path, dtype=str)
    sheet["Received Date"] = pd.Timestamp("2011-01-03")  # a real date cell
    sheet["Booked Date"] = 40547  # an Excel serial number (4 January 2011)
    xlsx = tmp_path / "referral_extract_20110512.xlsx"
    sheet.to_excel(xlsx, index=False)
    frame, _ = src.read_extract(xlsx)
    parsed, reason = src.parse_dates(frame["received_date"])
    assert parsed.iloc[0] == pd.Timestamp("2011-01-03") and reason.isna().all()
    parsed, reason = src.parse_dates(frame["booked_date"])
    assert parsed.iloc[0] == pd.Timestamp("2011-01-04") and reason.isna().all()


def test_missing_required_column_stops(tmp_path):
    path = tmp_path / "referral_extract_20110512.csv"
    path.write_text(HEADER.replace("Priority,", "Urgency,") + "\n" + ROW + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"line 1, column 'priority'.*required column\(s\) missing: priority"):
        src.read_extract(path)


def test_patient_key_holding_nhs_numbers_stops(tmp_path):
    path = tmp_path / "referral_extract_20110512.csv"
    header = HEADER.replace("NHS Number", "Patient Key")
    path.write_text(f"{header}\n{ROW.replace('9990000001', 'PK00A1')}\n{ROW.replace('R1,', 'R2,')}\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"line 3, column 'patient_key'.*NHS numbers"):
        src.read_extract(path)


def test_mixed_date_formats():
    values = pd.Series(["03/01/2011", "2011-01-03", "40546", "2011-01-03 00:00:00", "Dec-10", "12/31/2010",
                        "31/02/2011", "soon", None, ""])
    parsed, reason = src.parse_dates(values)
    assert list(parsed[:4]) == [pd.Timestamp("2011-01-03")] * 4
    assert reason[:4].isna().all() and reason[8:].isna().all() and parsed[8:].isna().all()
    assert reason[4].startswith("month only")
    assert all(reason[i].startswith("not a date") for i in (5, 6, 7))  # US order, impossible, text


def test_discover_and_choose_extract(tmp_path):
    folder = tmp_path / src.SOURCE_FOLDER
    folder.mkdir()
    for name in ["referral_extract_20110505.csv", "SYNTHETIC_referral_extract_20110512.csv.gz",
                 "booking_information_20110510.xlsx", "practice_list_sizes.csv", "notes.txt"]:
        (folder / name).write_text("x")
    files, skipped = src.discover(folder)
    assert [p.name for p in skipped] == ["notes.txt"]
    assert src.choose_extract(files).name == "SYNTHETIC_referral_extract_20110512.csv.gz"
    assert src.choose_extract(files, "2011-05-05").name == "referral_extract_20110505.csv"
    with pytest.raises(InputMissingError, match="no referral extract as at 2011-05-06"):
        src.choose_extract(files, "2011-05-06")
    assert {f.kind for f in files} == {"extract", "booking", "list_sizes"}


def test_list_sizes_must_be_positive(tmp_path):
    path = tmp_path / "practice_list_sizes.csv"
    path.write_text("practice_code,weighted_list_size\nZ90001,5000.5\nZ90002,0\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"line 3, column 'weighted_list_size'"):
        src.read_list_sizes(path)
    path.write_text("practice_code,weighted_list_size\nZ90001,\"5,000.5\"\n", encoding="utf-8")
    assert src.read_list_sizes(path)["weighted_list_size"].tolist() == [5000.5]
    assert np.isfinite(src.read_list_sizes(path)["weighted_list_size"]).all()


def test_ragged_csv_stops_naming_the_file(tmp_path):
    path = tmp_path / "referral_extract_20110512.csv"
    path.write_text(f"{HEADER}\n{ROW},extra\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"referral_extract_20110512.csv: cannot be read as CSV"):
        src.read_extract(path)


def test_bom_and_crlf_are_read(tmp_path):
    path = tmp_path / "referral_extract_20110512.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\r\n{ROW}\r\n".encode())
    frame, _ = src.read_extract(path)
    assert frame.columns[0] == "referral_id"
    assert frame.at[2, "status"] == "booked" and pd.isna(frame.at[2, "transferred_to"])
