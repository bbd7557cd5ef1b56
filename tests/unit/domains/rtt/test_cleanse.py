"""The RTT cleanse stage end to end on the real QE1 subset: outputs written only after every gate."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.core.config import provenance_file, table_file
from helpers.core.errors import DataQualityError, SourceFormatError
from helpers.domains.rtt import cleanse
from helpers.sources import rtt_full_csv as src
from support import PUBLISHER_NAME, QE1, CsvBytes, plain_read, scratch, settings_for

RAW, ROWS = "rtt_full_csv.raw", "rtt_full_csv.rows"
ROLLUP = "C_999"
OUTPUTS = [table_file("rtt", "pathways"), table_file("rtt", "summary"), provenance_file("rtt")]


def first_line(csvb: CsvBytes, *, start: int = 2, **want) -> int:
    """The first line at or after ``start`` of a Part_2 detail row matching ``want`` (a predicate per column)."""
    for line in range(start, len(csvb.lines) + 1):
        fields = dict(zip(csvb.header, csvb.fields(line)))
        if fields["RTT Part Type"] != "Part_2" or fields["Treatment Function Code"] == ROLLUP:
            continue
        if all(test(fields[column]) for column, test in want.items()):
            return line
    raise LookupError(want)


# --- corrupt copies of the QE1 subset: (suite, expectation, text that must appear, line) ----------

def negative_count(csvb: CsvBytes):
    # -1 in one band, the band next to it raised to compensate: bands still add up, only sign is wrong.
    a, b = "Gt 05 To 06 Weeks SUM 1", "Gt 06 To 07 Weeks SUM 1"
    line = first_line(csvb, start=200, **{a: lambda v: v != ""})
    old_a, old_b = int(csvb.cell(line, a)), int(csvb.cell(line, b) or 0)
    csvb.set_cell(line, a, "-1")
    csvb.set_cell(line, b, str(old_b + old_a + 1))
    return ROWS, "expect_column_values_to_be_between(column='min_count'", "value -1.0", line


def band_sum_broken(csvb: CsvBytes):
    band = "Gt 10 To 11 Weeks SUM 1"
    line = first_line(csvb, start=3000, **{band: lambda v: v != ""})
    csvb.set_cell(line, band, str(int(csvb.cell(line, band)) + 1))
    return (ROWS, "expect_column_pair_values_to_be_equal(column_A='bands_plus_unknown', column_B='total_all'",
            "bands_plus_unknown", line)



def run(folder: Path, out: Path):
    return cleanse.run({src.SOURCE_FOLDER: folder}, settings_for("cleanse_rtt"), scratch(out))


def make_inputs(base: Path, data: bytes, name: str = PUBLISHER_NAME) -> tuple[Path, Path]:
    inputs = base / "inputs"
    folder = inputs / src.SOURCE_FOLDER
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return inputs, folder / name


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, qe1_bytes):
    base = tmp_path_factory.mktemp("cleanse_good")
    inputs, csv_path = make_inputs(base, qe1_bytes)
    # The derived subset under its own name sits beside it and must be passed over.
    (inputs / src.SOURCE_FOLDER / QE1.name).write_bytes(qe1_bytes)
    result = run(inputs / src.SOURCE_FOLDER, base)
    return result, base, csv_path


def test_cleanse_writes_parquet_and_provenance(good_run):
    result, base, csv_path = good_run
    processed = base / "data" / "processed"
    assert sorted(p.name for p in processed.iterdir()) == sorted(OUTPUTS)
    assert [p.name for p in result.skipped] == [QE1.name]
    provenance = json.loads((processed / provenance_file("rtt")).read_text())
    assert len(provenance["inputs"]) == 1
    entry = provenance["inputs"][0]
    assert entry["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    assert entry["bytes"] == csv_path.stat().st_size and Path(entry["file"]) == csv_path
    assert provenance["periods"] == ["2026-01"] and provenance["synthetic_inputs"] is False
    gx_results = sorted(p.name.split("__")[0] for p in (base / "build" / "validation" / "rtt").glob("*.json"))
    assert gx_results == sorted([RAW, ROWS, "rtt_pathways.processed", "rtt_summary.processed"])


def test_cleanse_outputs_match_the_csv(good_run):
    _, base, csv_path = good_run
    raw = plain_read(csv_path)
    detail = raw[raw["Treatment Function Code"] != ROLLUP]
    bands = raw.columns[raw.columns.get_loc("Gt 00 To 01 Weeks SUM 1"): raw.columns.get_loc("Gt 104 Weeks SUM 1") + 1]
    pathways = pd.read_parquet(base / "data" / "processed" / table_file("rtt", "pathways"))
    summary = pd.read_parquet(base / "data" / "processed" / table_file("rtt", "summary"))
    got = pathways.groupby("rtt_part", observed=True)["pathways"].sum()
    for part in ["Part_1A", "Part_1B", "Part_2", "Part_2A"]:
        rows = detail[detail["RTT Part Type"] == part]
        assert got[part] == rows[bands].sum().sum() + rows["Patients with unknown clock start date"].sum()
    icb = summary[(summary["org_level"] == "icb") & (summary["org_code"] == "QE1")].set_index("rtt_part")
    for part in ["Part_2", "Part_3"]:
        assert icb.loc[part, "total_pathways"] == detail.loc[detail["RTT Part Type"] == part, "Total All"].sum()
    part2 = detail[detail["RTT Part Type"] == "Part_2"]
    assert icb.loc["Part_2", "pct_within_18_weeks"] == pytest.approx(
        100 * part2[bands[:18]].sum().sum() / part2[bands].sum().sum(), abs=1e-9, rel=0)


def _truncated(csvb: CsvBytes) -> bytes:
    data = csvb.to_bytes()
    return data[: len(data) - len(csvb.lines[-1]) // 2 - 2]


def _renamed(csvb: CsvBytes) -> bytes:
    csvb.lines[0] = csvb.lines[0].replace(b",Total All", b",Total all")
    return csvb.to_bytes()


def _text_in_count(csvb: CsvBytes) -> bytes:
    csvb.set_cell(1234, "Gt 07 To 08 Weeks SUM 1", "n/a")
    return csvb.to_bytes()


def _band_sum(csvb: CsvBytes) -> bytes:
    band_sum_broken(csvb)
    return csvb.to_bytes()


@pytest.mark.parametrize("corrupt, error", [
    (_renamed, DataQualityError),
    (_text_in_count, SourceFormatError),
    (_truncated, SourceFormatError),
    (_band_sum, DataQualityError),
], ids=["renamed_column", "text_in_count", "truncated", "band_sum"])
def test_cleanse_with_corrupt_input_writes_nothing(tmp_path, good_run, qe1_csv, corrupt, error):
    _, good_base, _ = good_run
    inputs, _ = make_inputs(tmp_path, corrupt(qe1_csv))
    # A project holding the last good run's outputs, and a fresh one.
    kept = tmp_path / "kept"
    shutil.copytree(good_base / "data" / "processed", kept / "data" / "processed")
    before = {p.name: p.read_bytes() for p in (kept / "data" / "processed").iterdir()}
    fresh = tmp_path / "fresh"
    for out in (kept, fresh):
        with pytest.raises(error) as err:
            run(inputs / src.SOURCE_FOLDER, out)
        assert PUBLISHER_NAME in str(err.value)
    assert {p.name: p.read_bytes() for p in (kept / "data" / "processed").iterdir()} == before
    assert not (fresh / "data" / "processed").exists() or not any((fresh / "data" / "processed").iterdir())




# --- several monthly extracts are validated as one table --------------------------------------

DECEMBER_NAME = "20251231-RTT-December-2025-full-extract.csv"


def _december(data: bytes) -> bytes:
    return data.replace(b"RTT-January-2026", b"RTT-December-2025")


def test_two_months_are_gated_together_and_each_stays_unique_within_its_month(tmp_path, qe1_bytes):
    inputs, _ = make_inputs(tmp_path, qe1_bytes)
    (inputs / src.SOURCE_FOLDER / DECEMBER_NAME).write_bytes(_december(qe1_bytes))  # the same pathways, a month apart
    result = run(inputs / src.SOURCE_FOLDER, tmp_path / "out")
    raw = [o for o in result.outcomes if o.suite == RAW]
    assert len(raw) == 1 and raw[0].success and raw[0].data_name.endswith("2 extracts")
    stored = json.loads(raw[0].result_path.read_text())
    assert sorted(stored["meta"]["files"]) == sorted([PUBLISHER_NAME, DECEMBER_NAME])
    assert [f["period"] for f in result.files] == ["2025-12", "2026-01"]
    plain = plain_read(inputs / src.SOURCE_FOLDER / PUBLISHER_NAME)
    rows = [o for o in result.outcomes if o.suite == ROWS]
    assert len(rows) == 1 and rows[0].evaluated > 0
    assert json.loads(rows[0].result_path.read_text())["results"][0]["result"]["element_count"] == 2 * len(plain)


def test_a_failing_row_in_a_batch_is_named_by_its_file_and_line(tmp_path, qe1_bytes, qe1_csv):
    _, _, _, line = band_sum_broken(qe1_csv)
    inputs, _ = make_inputs(tmp_path, qe1_bytes)
    (inputs / src.SOURCE_FOLDER / DECEMBER_NAME).write_bytes(_december(qe1_csv.to_bytes()))
    with pytest.raises(DataQualityError) as err:
        run(inputs / src.SOURCE_FOLDER, tmp_path / "out")
    assert f"{DECEMBER_NAME} line {line}:" in str(err.value)
    assert f"{PUBLISHER_NAME} line" not in str(err.value)


def test_a_file_with_other_columns_is_gated_on_its_own_and_named(tmp_path, qe1_bytes, qe1_csv):
    inputs, _ = make_inputs(tmp_path, qe1_bytes)
    (inputs / src.SOURCE_FOLDER / DECEMBER_NAME).write_bytes(_december(_renamed(qe1_csv)))
    with pytest.raises(DataQualityError) as err:
        run(inputs / src.SOURCE_FOLDER, tmp_path / "out")
    assert f"on {inputs / src.SOURCE_FOLDER / DECEMBER_NAME}" in str(err.value) and "Total all" in str(err.value)
