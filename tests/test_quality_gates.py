"""Great Expectations gates on the RTT extract, and the cleanse stage that runs them.

The real QE1 subset must pass; copies broken in one known place (written to tmp_path) must fail
with a message that names the suite, the file, the expectation and the broken line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import PUBLISHER_NAME, QE1, ROOT, CsvBytes, plain_read
from helpers.core import quality
from helpers.core.errors import DataQualityError, SourceFormatError
from helpers.domains.rtt import cleanse
from helpers.domains.rtt import measures as rtt
from helpers.sources import rtt_full_csv as src

RAW, ROWS = "rtt_full_csv.raw", "rtt_full_csv.rows"
RAW_IDS = ["Provider Org Code", "Commissioner Org Code", "RTT Part Type", "Treatment Function Code"]
PROFILE_IDS = ["provider_code", "commissioner_code", "rtt_part", "treatment_function_code"]
ROLLUP = "C_999"

# GX's regex metric warns that the Period pattern has groups; it is GX talking about itself.
pytestmark = pytest.mark.filterwarnings("ignore:This pattern is interpreted as a regular expression")

# GX 1.x reports each failing row's index as a dict ({'line': 10, ...}) when the frame's index has
# a name, as src.read's "line" index does, and as a bare label otherwise. The gate must give the
# file line either way; both shapes are exercised below (INDEX_SHAPES).
INDEX_SHAPES = pytest.mark.parametrize("named_index", [True, False], ids=["index_named_line", "index_unnamed"])


def as_given(frame: pd.DataFrame, named_index: bool) -> pd.DataFrame:
    """The frame as src.read returns it, or with the same line-number index but no index name."""
    assert frame.index.name == "line"
    return frame if named_index else frame.rename_axis(None)


def suite_size(root: Path, name: str) -> int:
    return len(json.loads((root / "expectations" / f"{name}.json").read_text())["expectations"])


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


def duplicated_row(csvb: CsvBytes):
    line = first_line(csvb, start=500)
    csvb.lines.insert(line, csvb.lines[line - 1])  # the copy becomes line + 1
    return RAW, "expect_compound_columns_to_be_unique", "Treatment Function Code", line


def bad_org_code(csvb: CsvBytes):
    line = first_line(csvb, start=7000)
    csvb.set_cell(line, "Provider Org Code", "R1 X")
    return RAW, "expect_column_values_to_match_regex(column='Provider Org Code'", "'R1 X'", line


CORRUPTIONS = [negative_count, band_sum_broken, duplicated_row, bad_org_code]


def read_corrupt(tmp_path: Path, csvb: CsvBytes, corrupt) -> tuple[pd.DataFrame, Path, tuple]:
    spec = corrupt(csvb)
    path = csvb.write(tmp_path / PUBLISHER_NAME)
    return src.read(path), path, spec


def run_gate(frame: pd.DataFrame, suite: str, path: Path, root: Path, **kwargs) -> quality.Outcome:
    if suite == ROWS:
        frame, ids = rtt.row_profile(frame), PROFILE_IDS
    else:
        ids = RAW_IDS
    return quality.gate(frame, suite, data_name=str(path), id_columns=ids, row_label="line", root=root, **kwargs)


# --- the real file passes -------------------------------------------------------------------------

def test_real_subset_passes_both_raw_suites(qe1_frame, root, tmp_path):
    raw = quality.gate(qe1_frame, RAW, data_name=str(QE1), results_dir=tmp_path, id_columns=RAW_IDS,
                       row_label="line", root=root)
    rows = quality.gate(rtt.row_profile(qe1_frame), ROWS, data_name=str(QE1), results_dir=tmp_path,
                        id_columns=PROFILE_IDS, row_label="line", root=root)
    for outcome, name in ((raw, RAW), (rows, ROWS)):
        assert outcome.success and outcome.failures == []
        assert outcome.evaluated == suite_size(root, name)
        stored = json.loads(outcome.result_path.read_text())
        assert stored["suite_name"] == name and stored["success"] is True
        assert stored["meta"]["data_name"] == str(QE1)


def test_row_profile_arithmetic_against_the_csv(qe1_frame):
    # The profile the rows suite checks, recomputed from the CSV with plain pandas.
    raw = plain_read(QE1)
    bands = raw.columns[raw.columns.get_loc("Gt 00 To 01 Weeks SUM 1"): raw.columns.get_loc("Gt 104 Weeks SUM 1") + 1]
    profile = rtt.row_profile(qe1_frame)
    assert list(profile.index) == list(range(2, len(raw) + 2))
    banded = raw[bands].sum(axis=1) + raw["Patients with unknown clock start date"].fillna(0)
    has_bands = (raw["RTT Part Type"] != "Part_3").to_numpy()
    assert (profile["bands_plus_unknown"].to_numpy()[has_bands] == banded.to_numpy()[has_bands]).all()
    assert profile["bands_plus_unknown"][~has_bands].isna().all()
    rollup = (raw["Treatment Function Code"] == ROLLUP).to_numpy()
    assert (profile["specialty_sum"].to_numpy()[rollup] == raw["Total All"].to_numpy()[rollup]).all()
    assert profile["specialty_sum"][~rollup].isna().all()


# --- broken copies fail --------------------------------------------------------------------------

def test_renamed_column_fails_the_column_list(tmp_path, qe1_csv, root):
    qe1_csv.lines[0] = qe1_csv.lines[0].replace(b",Total All", b",Total all")
    path = qe1_csv.write(tmp_path / PUBLISHER_NAME)
    with pytest.raises(DataQualityError) as err:
        run_gate(src.read(path), RAW, path, root)
    message = str(err.value)
    assert f"suite '{RAW}'" in message and str(path) in message
    assert "expect_table_columns_to_match_ordered_list" in message
    assert "'Found': 'Total all'" in message and "'Expected': 'Total All'" in message
    assert err.value.exit_code == 2


@INDEX_SHAPES
@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__)
def test_broken_copy_fails_with_line_in_message(tmp_path, qe1_csv, root, corrupt, named_index):
    frame, path, (suite, expectation, detail, line) = read_corrupt(tmp_path, qe1_csv, corrupt)
    with pytest.raises(DataQualityError) as err:
        run_gate(as_given(frame, named_index), suite, path, root)
    message = str(err.value)
    assert f"suite '{suite}'" in message and str(path) in message
    assert expectation in message
    assert detail in message
    assert f"line {line}: " in message
    assert message.count("\n  - ") == 1, message  # only the expectation this corruption targets
    assert err.value.exit_code == 2


def test_duplicated_row_names_both_lines(tmp_path, qe1_csv, root):
    frame, path, (suite, _, _, line) = read_corrupt(tmp_path, qe1_csv, duplicated_row)
    with pytest.raises(DataQualityError) as err:
        run_gate(frame, suite, path, root)
    assert f"line {line}: " in str(err.value) and f"line {line + 1}: " in str(err.value)
    assert "2 of 9,378 rows unexpected" in str(err.value)


def test_failing_row_is_identified_by_its_codes(tmp_path, qe1_csv, root):
    frame, path, (suite, _, _, line) = read_corrupt(tmp_path, qe1_csv, band_sum_broken)
    fields = dict(zip(qe1_csv.header, qe1_csv.fields(line)))
    with pytest.raises(DataQualityError) as err:
        run_gate(frame, suite, path, root)
    assert (f"line {line}: (provider_code={fields['Provider Org Code']}, "
            f"commissioner_code={fields['Commissioner Org Code']}, rtt_part=Part_2, "
            f"treatment_function_code={fields['Treatment Function Code']})") in str(err.value)


@INDEX_SHAPES
def test_warning_does_not_raise_but_is_reported(tmp_path, qe1_csv, root, named_index):
    line = first_line(qe1_csv, start=4000)
    qe1_csv.set_cell(line, "RTT Part Description", "Incomplete pathways (waiting list)")
    path = qe1_csv.write(tmp_path / PUBLISHER_NAME)
    outcome = run_gate(as_given(src.read(path), named_index), RAW, path, root)  # no exception
    assert not outcome.success
    assert outcome.critical == []
    assert [w.expectation for w in outcome.warnings] == ["expect_column_values_to_be_in_set"]
    warning = outcome.warnings[0]
    assert warning.severity == "warning" and warning.kwargs["column"] == "RTT Part Description"
    assert warning.unexpected == 1
    assert any(e.startswith(f"line {line}: ") and "Incomplete pathways (waiting list)" in e
               for e in warning.examples)


def test_validate_does_not_raise_and_writes_result(tmp_path, qe1_csv, root):
    frame, path, _ = read_corrupt(tmp_path, qe1_csv, bad_org_code)
    outcome = quality.validate(frame, RAW, data_name=str(path), results_dir=tmp_path / "gx",
                               id_columns=RAW_IDS, row_label="line", root=root)
    assert not outcome.success and len(outcome.critical) == 1
    stored = json.loads(outcome.result_path.read_text())
    assert stored["success"] is False
    assert Path(stored["meta"]["data_name"]) == path


# --- the cleanse stage end to end ----------------------------------------------------------------

def make_inputs(base: Path, data: bytes, name: str = PUBLISHER_NAME) -> tuple[Path, Path]:
    inputs = base / "inputs"
    folder = inputs / src.SOURCE_FOLDER
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return inputs, folder / name


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, qe1_bytes, root):
    base = tmp_path_factory.mktemp("cleanse_good")
    inputs, csv_path = make_inputs(base, qe1_bytes)
    # The derived subset under its own name sits beside it and must be passed over.
    (inputs / src.SOURCE_FOLDER / QE1.name).write_bytes(qe1_bytes)
    result = cleanse.cleanse_rtt(inputs / src.SOURCE_FOLDER, base / "processed", base / "results", root)
    return result, base, csv_path


def test_cleanse_writes_parquet_and_provenance(good_run):
    result, base, csv_path = good_run
    processed = base / "processed"
    assert sorted(p.name for p in processed.iterdir()) == sorted(
        [cleanse.PATHWAYS_FILE, cleanse.SUMMARY_FILE, cleanse.PROVENANCE_FILE])
    assert [p.name for p in result.skipped] == [QE1.name]
    provenance = json.loads((processed / cleanse.PROVENANCE_FILE).read_text())
    assert len(provenance["inputs"]) == 1
    entry = provenance["inputs"][0]
    assert entry["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    assert entry["bytes"] == csv_path.stat().st_size and Path(entry["file"]) == csv_path
    assert provenance["periods"] == ["2026-01"] and provenance["synthetic_inputs"] is False
    gx_results = sorted(p.name.split("__")[0] for p in (base / "results").glob("*.json"))
    assert gx_results == sorted([RAW, ROWS, "rtt_pathways.processed", "rtt_summary.processed"])


def test_cleanse_outputs_match_the_csv(good_run):
    _, base, csv_path = good_run
    raw = plain_read(csv_path)
    detail = raw[raw["Treatment Function Code"] != ROLLUP]
    bands = raw.columns[raw.columns.get_loc("Gt 00 To 01 Weeks SUM 1"): raw.columns.get_loc("Gt 104 Weeks SUM 1") + 1]
    pathways = pd.read_parquet(base / "processed" / cleanse.PATHWAYS_FILE)
    summary = pd.read_parquet(base / "processed" / cleanse.SUMMARY_FILE)
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
def test_cleanse_with_corrupt_input_writes_nothing(tmp_path, good_run, qe1_csv, root, corrupt, error):
    _, good_base, _ = good_run
    inputs, _ = make_inputs(tmp_path, corrupt(qe1_csv))
    # A folder holding the last good run's outputs, and a fresh one.
    kept = tmp_path / "processed"
    shutil.copytree(good_base / "processed", kept)
    before = {p.name: p.read_bytes() for p in kept.iterdir()}
    fresh = tmp_path / "fresh"
    for processed in (kept, fresh):
        with pytest.raises(error) as err:
            cleanse.cleanse_rtt(inputs / src.SOURCE_FOLDER, processed, tmp_path / "results", root)
        assert PUBLISHER_NAME in str(err.value)
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before
    assert not fresh.exists() or not any(fresh.iterdir())


def test_week_band_count_on_a_new_period_row_fails_the_gate(qe1_frame):
    """Part_3 rows carry only Total All: a band count there would be dropped unseen by the reshape."""
    frame = qe1_frame.copy()
    line = int(frame.index[frame["RTT Part Type"] == "Part_3"][0])
    frame.loc[line, "Gt 02 To 03 Weeks SUM 1"] = 4.0
    with pytest.raises(DataQualityError) as info:
        quality.gate(rtt.row_profile(frame), "rtt_full_csv.rows", data_name="qe1.csv", row_label="line",
                     id_columns=["provider_code", "rtt_part"], root=ROOT)
    assert "new_period_bands" in str(info.value) and f"line {line}:" in str(info.value)


def test_a_column_set_failure_names_the_missing_and_unexpected_columns(root, tmp_path):
    suite = {"name": "set_check", "expectations": [{"type": "expect_table_columns_to_match_set",
                                                    "kwargs": {"column_set": ["a", "b"], "exact_match": True},
                                                    "meta": {}}],
             "meta": {}}
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "set_check.json").write_text(json.dumps(suite))
    frame = pd.DataFrame({"a": [1], "c": [2]})
    outcome = quality.validate(frame, "set_check", data_name="x.csv", root=tmp_path)
    message = outcome.message()
    assert "missing column(s): b" in message and "unexpected column(s): c" in message
