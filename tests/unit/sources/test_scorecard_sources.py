"""Scorecard readers on the publishers' real files: traps handled, figures as published.

Expected figures come from the files themselves read with plain csv/pandas, never from the
reader under test. Corrupt copies are written to tmp_path only.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import support
from helpers.core.errors import InputMissingError, SourceFormatError
from helpers.sources import child_immunisations, fingertips_practice, gp_payments, gp_practice_reference, qof_2020_21

REAL = support.ROOT.parent / "shared" / "data" / "real"
AE = REAL / "fingertips_practice" / "fingertips_93930_AE_attendances_0to4_GP_2021-22.csv"
IMD = REAL / "fingertips_practice" / "fingertips_93553_IMD2019_GP.csv"


def _plain(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kw)


def test_fingertips_export_keeps_records_whole_across_embedded_newlines():
    frame = fingertips_practice.read(AE)
    with open(AE, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))[1:]
    assert len(frame) == len(records) == 7610
    assert len(AE.read_bytes().split(b"\r\n")) - 1 > len(records)  # more lines than records: CRLF inside quotes
    phoenix = frame[frame["parent_name"].str.startswith("Phoenix PCN")]
    assert len(phoenix) >= 2 and set(phoenix["parent_name"]) == {"Phoenix PCN"}


def test_fingertips_practice_rows_and_england_value():
    frame = fingertips_practice.read(AE)
    plain = _plain(AE)
    gps = fingertips_practice.practices(frame)
    assert len(gps) == (plain["Area Type"] == "GPs").sum() == 6343
    eng = fingertips_practice.england(frame)
    expected = plain[(plain["Area Type"] == "England") & (plain["Sex"] == "Persons") & (plain["Category Type"] == "")]
    got = eng.set_index("period")["value"]
    for row in expected.drop_duplicates("Time period").itertuples():
        assert got[row[12]] == pytest.approx(float(row.Value))
    suppressed = gps[gps["value_note"].str.contains("suppressed")]
    assert len(suppressed) == 1 and suppressed["value"].isna().all()


def test_fingertips_parent_comparison_column_found_by_pattern():
    ae, imd = fingertips_practice.read(AE), fingertips_practice.read(IMD)
    plain = _plain(AE)
    assert list(ae["compared_to_parent"]) == list(plain["Compared to PCNs (v. 27/10/23) value or percentiles"])
    assert set(imd["compared_to_parent"]) == {"Not compared"}
    assert len(imd) == 6547  # last line has no newline: still read
    assert imd["lower95"].isna().all() and imd["count"].isna().all()


def test_fingertips_renamed_column_is_a_clear_error(tmp_path):
    text = AE.read_text(encoding="utf-8").replace("Lower CI 95.0 limit", "Lower 95% CI", 1)
    bad = tmp_path / "fingertips_renamed.csv"
    bad.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(SourceFormatError, match="'Lower CI 95.0 limit' is missing"):
        fingertips_practice.read(bad)


def test_fingertips_text_in_a_number_names_line_and_column(tmp_path):
    raw = _plain(AE)
    bad = tmp_path / "fingertips_text.csv"
    text = AE.read_text(encoding="utf-8").replace(f",{raw.loc[0, 'Count']},", ",lots,", 1)
    bad.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(SourceFormatError) as err:
        fingertips_practice.read(bad)
    assert err.value.line == 2 and err.value.column == "count"


def test_qof_prevalence_registers_and_list_types():
    frame = qof_2020_21.read_prevalence(REAL / "qof_2020_21" / "PREVALENCE_2021_v2.csv")
    plain = _plain(REAL / "qof_2020_21" / "PREVALENCE_2021_v2.csv")
    assert len(frame) == len(plain) == 137991
    assert set(frame["period"]) == {"2020/21"}
    hyp = plain[plain["GROUP_CODE"] == "HYP"]
    assert frame.loc[frame["register"] == "HYP", "numerator"].sum() == hyp["REGISTER"].astype(int).sum()
    assert (frame["numerator"] == 0).any()  # zero registers are real
    geo = qof_2020_21.read_geography(REAL / "qof_2020_21")
    assert len(geo) == 6571 and geo["practice_code"].is_unique
    assert geo.loc[geo["ccg_code"] == "70F", "icb_code"].unique().tolist() == ["QNX"]


def test_immunisations_padded_text_and_percentage_only_rows():
    path = next((REAL / "child_immunisations").glob("*.csv"))
    frame = child_immunisations.read(path)
    plain = _plain(path)
    assert len(frame) == len(plain) == 3712
    assert frame["practice_code"].nunique() == 81
    pct_only = frame["numerator"].isna() & frame["proportion"].notna()
    assert pct_only.sum() == ((plain["Numerator"] == "") & (plain["Proportion"] != "")).sum() == 25
    assert frame.loc[plain.index[plain["Yet_to_receive"] == "  2"][0] + 2, "yet_to_receive"] == 2


def test_payments_columns_mapped_by_name_across_years():
    old, new = (gp_payments.read(REAL / "gp_payments" / f"nhs_payments_to_general_practice_{y}.csv")
                for y in ("14-15", "22-23"))
    assert (old["period"].iloc[0], new["period"].iloc[0]) == ("2014/15", "2022/23")
    plain = _plain(REAL / "gp_payments" / "nhs_payments_to_general_practice_22-23.csv", encoding="utf-8-sig")
    assert len(new) == len(plain) == 6669
    assert new["weighted_patients"].sum() == pytest.approx(
        plain["Number of Weighted Patients (Last Known Figure)"].str.replace(",", "").astype(float).sum())
    zero = new["registered_patients"] == 0
    assert zero.sum() == 206 and new.loc[zero, "payments_per_weighted_patient"].isna().all()


def test_payments_missing_column_is_a_clear_error(tmp_path):
    src = REAL / "gp_payments" / "nhs_payments_to_general_practice_22-23.csv"
    bad = tmp_path / "nhs_payments_to_general_practice_22-23.csv"
    bad.write_bytes(src.read_bytes().replace(b"Average payments per weighted patient", b"Per weighted patient", 1))
    with pytest.raises(SourceFormatError, match="Average payments per weighted patient"):
        gp_payments.read(bad)


def test_epraccur_headerless_and_gp_practices():
    frame = gp_practice_reference.read_epraccur(REAL / "gp_practice_reference")
    plain = pd.read_csv(REAL / "gp_practice_reference" / "epraccur.csv", header=None, dtype=str, keep_default_na=False)
    assert len(frame) == len(plain) == 15663
    assert frame["is_gp_practice"].sum() == (plain[25] == "4").sum()
    assert frame["status_code"].value_counts()["A"] == 11995
    lists = gp_practice_reference.read_list_sizes(REAL / "gp_practice_reference")
    assert lists["list_size"].sum() == 60606345


def test_epraccur_with_a_header_row_is_refused(tmp_path):
    folder = tmp_path / "gp_practice_reference"
    folder.mkdir()
    (folder / "epraccur.csv").write_text('"Organisation Code","Name"\n"A81001","X"\n')
    with pytest.raises(SourceFormatError, match="no header row"):
        gp_practice_reference.read_epraccur(folder)


def test_missing_source_folder_is_input_missing(tmp_path):
    with pytest.raises(InputMissingError):
        fingertips_practice.files(tmp_path / "fingertips_practice")


def test_epraccur_cut_off_between_fields_is_refused(tmp_path):
    """Cut after a closing quote, the last row would read as a practice with blank fields."""
    lines = (REAL / "gp_practice_reference" / "epraccur.csv").read_bytes().split(b"\n")[:20]
    cut = lines[19][: lines[19].index(b'","', 40) + 1]  # a few whole fields of line 20
    folder = tmp_path / "gp_practice_reference"
    folder.mkdir()
    (folder / "epraccur.csv").write_bytes(b"\n".join(lines[:19] + [cut]))
    with pytest.raises(SourceFormatError, match=r"epraccur\.csv, line 20: expected 27 fields, found \d+ "
                                                r"\(is the file truncated\?\)"):
        gp_practice_reference.read_epraccur(folder)
