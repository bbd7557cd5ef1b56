"""The national A&E (.xls) and RTT overview (.xlsx) readers, on the real files and the samples.

Expected figures come from the workbooks read independently (pandas / openpyxl, by position).
"""

from __future__ import annotations

import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers.core.errors import InputMissingError, SourceFormatError
from helpers.sources import ae_national_timeseries as ae
from helpers.sources import rtt_national_timeseries as rtt
from helpers.sources import timeseries as ts
from helpers.synthetic import timeseries as synth
from support import REAL

AE_FILE = REAL / "ae_national_timeseries" / "Monthly-AE-Time-Series-March-2024.xls"
RTT_FILE = REAL / "rtt_national_timeseries" / "RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx"


@pytest.fixture(scope="module")
def ae_real():
    return ae.read(AE_FILE)


@pytest.fixture(scope="module")
def rtt_real():
    return rtt.read(RTT_FILE)


def test_ae_real_months_and_columns(ae_real):
    spans = ae_real.groupby("sheet")["period"].agg(["min", "max", "nunique"])
    assert spans.loc["Activity"].tolist() == [pd.Timestamp("2010-08-01"), pd.Timestamp("2024-03-01"), 164]
    assert spans.loc["Performance"].tolist() == [pd.Timestamp("2010-11-01"), pd.Timestamp("2024-03-01"), 161]
    assert ae_real.groupby("sheet")["series"].nunique().to_dict() == {"Activity": 12, "Performance": 12}
    assert "Operational standard (Performance)" not in set(ae_real["series"])  # the stray note
    assert ae_real["value"].notna().all()


@pytest.mark.parametrize("sheet, column", [("Performance", ae.PERCENT_4H), ("Activity", ae.TOTAL_ATTENDANCES)])
def test_ae_real_values_match_an_independent_read(ae_real, sheet, column):
    raw = pd.read_excel(AE_FILE, sheet_name=sheet, header=13, engine="xlrd")
    raw = raw[raw["Period"].notna()]  # pandas converts the date serials itself
    expected = pd.Series(raw[column].astype(float).to_numpy(), index=pd.to_datetime(raw["Period"]))
    got = ae_real[(ae_real["sheet"] == sheet) & (ae_real["series"] == column)].set_index("period")["value"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, check_freq=False)


def test_ae_fractional_estimates_are_kept(ae_real):
    nov_2010 = ae_real[(ae_real["period"] == "2010-11-01") & (ae_real["series"] == "Type 1 Departments - Major A&E")
                       & (ae_real["sheet"] == "Activity")]["value"].iloc[0]
    assert nov_2010 == pytest.approx(1111294.5714285714)


def test_ae_repeated_column_names_carry_their_group(ae_real):
    perf = set(ae_real.loc[ae_real["sheet"] == "Performance", "series"])
    assert "A&E attendances less than 4 hours from arrival to admission, transfer or discharge: " \
           "Type 1 Departments - Major A&E" in perf
    assert "A&E attendances greater than 4 hours from arrival to admission, transfer or discharge: " \
           "Type 1 Departments - Major A&E" in perf


def test_rtt_real_months_and_trailing_rows(rtt_real):
    assert rtt_real["period"].min() == pd.Timestamp("2007-04-01")
    assert rtt_real["period"].max() == pd.Timestamp("2022-06-01")  # Jul 2022 - Mar 2023 are empty rows
    assert rtt_real["series"].nunique() == 25


def _independent_rtt() -> pd.DataFrame:
    raw = pd.read_excel(RTT_FILE, sheet_name="Full Time Series", header=None)
    groups = raw.iloc[8, 3:].ffill()
    names = [f"{g}: {m}" for g, m in zip(groups, raw.iloc[9, 3:])]
    data = raw.iloc[10:202, 2:].copy()
    data.columns = ["period", *names]
    return data.set_index("period")


def test_rtt_real_values_match_an_independent_read(rtt_real):
    independent = _independent_rtt()
    for series, month in [(rtt.PCT_18, "2022-06-01"), (rtt.WAITING_MIL, "2019-03-01"), (rtt.OVER_52, "2021-03-01"),
                          ("Incomplete RTT pathways: % > 52 weeks", "2020-06-01")]:  # the last is a formula cell
        got = rtt_real[(rtt_real["series"] == series) & (rtt_real["period"] == month)]["value"].iloc[0]
        assert got == pytest.approx(float(independent.loc[pd.Timestamp(month), series])), series


def test_rtt_real_not_numbers_are_quarantined_with_reasons(rtt_real):
    independent = _independent_rtt()
    published = independent[pd.to_datetime(independent.index) <= "2022-06-01"]
    q = ts.quarantine(rtt_real)
    counts = q["reason"].value_counts()
    assert counts["not available ('-' in the publisher's file)"] == int((published == "-").sum().sum())
    assert counts["censored value '52+': beyond the last band"] == int((published == "52+").sum().sum()) == 32
    assert set(q.columns) == set(ts.QUARANTINE_COLUMNS)
    # the whole sheet has 827 '-' cells (SOURCE.md); those in the empty trailing months are not data
    ws = openpyxl.load_workbook(RTT_FILE, read_only=True).active
    assert sum(c == "-" for row in ws.iter_rows(values_only=True) for c in row) == 827


def test_the_sample_reads_like_the_real_files(tmp_path):
    paths = synth.generate(tmp_path)
    assert all("SYNTHETIC" in p.name for p in paths)
    assert paths[0].suffix == ".xlsx"  # the A&E sample: same layout as the real .xls, see synthetic/timeseries.py
    sample_ae, sample_rtt = ae.read(paths[0]), rtt.read(paths[1])
    assert sample_ae.groupby("sheet")["period"].nunique().to_dict() == {"Activity": 60, "Performance": 60}
    assert set(sample_ae["series"]) <= set(ae.read(AE_FILE)["series"])
    assert sample_rtt["period"].max() == pd.Timestamp("2022-06-01")
    assert set(sample_rtt["series"]) == set(rtt.read(RTT_FILE)["series"])
    assert (ts.quarantine(sample_rtt)["value"] == "52+").any()
    again = ae.read(synth.generate(tmp_path / "again")[0])  # seeded: the same figures every time
    np.testing.assert_array_equal(again["value"].to_numpy(), sample_ae["value"].to_numpy())


def test_committed_samples_are_current(tmp_path):
    from conftest import ROOT
    for fresh in synth.generate(tmp_path):
        committed = ROOT / "data" / "raw" / fresh.parent.name / fresh.name
        reader = ae if fresh.parent.name == ae.SOURCE_FOLDER else rtt
        pd.testing.assert_frame_equal(reader.read(committed).drop(columns="file"), reader.read(fresh).drop(columns="file"))


def test_text_in_a_value_cell_is_kept_as_raw_text(tmp_path):
    path = synth.generate(tmp_path)[0]
    book = openpyxl.load_workbook(path)
    book["Performance"].cell(20, 11, "n/a")  # line 20, 'Percentage in 4 hours or less (all)'
    book.save(path)
    rows = ae.read(path)
    bad = rows[(rows["line"] == 20) & (rows["series"] == ae.PERCENT_4H)]
    assert bad["value"].isna().all() and bad["raw"].tolist() == ["n/a"]
    q = ts.quarantine(rows)
    assert q[q["line"] == 20][["column", "value", "reason"]].values.tolist() == [
        [f"Performance: {ae.PERCENT_4H}", "n/a", "text in a numeric column"]]


def test_unparseable_period_names_the_line(tmp_path):
    path = synth.generate(tmp_path)[0]
    book = openpyxl.load_workbook(path)
    book["Activity"].cell(17, 2, "March")
    book.save(path)
    with pytest.raises(SourceFormatError, match=r"line 17, column 'Period'.*not a date"):
        ae.read(path)


def test_missing_header_and_wrong_files(tmp_path):
    path = synth.generate(tmp_path)[1]
    book = openpyxl.load_workbook(path)
    book.active.cell(9, 2, "Financial year")
    book.save(path)
    with pytest.raises(SourceFormatError, match="no header row with 'Year' and 'Month'"):
        rtt.read(path)
    broken = tmp_path / "Monthly-AE-Time-Series-March-2024.xls"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(SourceFormatError, match="cannot be read as a .xls workbook"):
        ae.read(broken)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputMissingError, match="no A&E time-series workbook"):
        ae.find_files(empty)
    shutil.copy(AE_FILE, empty / AE_FILE.name)
    assert ae.find_files(empty) == [empty / AE_FILE.name]
