"""Great Expectations gates on the RTT extract, and the cleanse stage that runs them.

The real QE1 subset must pass; copies broken in one known place (written to tmp_path) must fail
with a message that names the suite, the file, the expectation and the broken line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.core import quality
from helpers.core.errors import DataQualityError
from helpers.domains.rtt import measures as rtt
from helpers.sources import rtt_full_csv as src
from support import PUBLISHER_NAME, QE1, ROOT, CsvBytes, plain_read

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


@pytest.mark.parametrize("dtype", ["Int16", "int32", "Int64", "UInt8", "float32", "Float64"])
def test_a_range_is_checked_on_any_numeric_column_and_reports_values_as_stored(tmp_path, dtype):
    # GX checks a range on int64/float64 at once but on other numeric types value by value; the
    # gate hands it widened copies, which must find exactly the rows plain pandas finds.
    suite = {"name": "range_check", "meta": {}, "expectations": [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "weeks", "min_value": 0, "max_value": 104},
         "meta": {}}]}
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "range_check.json").write_text(json.dumps(suite))
    stored = [3, None, 105, 0, 104, 200, None] if dtype[0].isupper() else [3, 7, 105, 0, 104, 200, 1]
    frame = pd.DataFrame({"weeks": pd.array(stored, dtype=dtype)}, index=pd.RangeIndex(2, 9, name="line"))
    outcome = quality.validate(frame, "range_check", data_name="x.csv", row_label="line", root=tmp_path)
    [failure] = outcome.failures
    outside = frame["weeks"].dropna()
    outside = outside[(outside < 0) | (outside > 104)]
    assert failure.unexpected == len(outside) == 2
    shown = ["105", "200"] if "int" in dtype.lower() else ["105.0", "200.0"]  # a whole number stays whole
    assert failure.examples == [f"line {line}: value {text}" for line, text in zip(outside.index, shown, strict=True)]
    assert str(frame["weeks"].dtype) == dtype  # the caller's frame is left as it was


def test_results_name_an_output_as_a_processed_table_not_a_file_format():
    result = {"suite_name": "rtt_summary.processed", "success": True, "results": [],
              "meta": {"data_name": "data/processed/rtt_summary.parquet"}}
    raw = {**result, "suite_name": "rtt_full_csv.raw", "meta": {"data_name": "inputs/x/20260131-RTT.csv.gz"}}
    assert quality.results_table([result, raw])["data"].tolist() == ["rtt_summary (processed table)", "20260131-RTT.csv.gz"]


def test_a_gate_with_only_warnings_is_not_called_failed():
    def result(*severities):
        return {"suite_name": "s", "meta": {"data_name": "x.csv"}, "success": not severities,
                "results": [{"success": True, "expectation_config": {}}]
                + [{"success": False, "expectation_config": {"severity": s}} for s in severities]}

    table = quality.results_table([result(), result("warning"), result("warning", "warning"), result("critical", "warning")])
    assert table["outcome"].tolist() == ["Passed", "Passed with 1 warning", "Passed with 2 warnings", "Failed"]
    assert table["critical failures"].tolist() == [0, 0, 0, 1]
    assert table["warnings"].tolist() == [0, 1, 2, 1]


def test_gx_chatter_is_muted_in_its_own_thread_only(capsys):
    # Data Docs are built in a background thread of a run while other threads print its progress:
    # their lines must all reach the console (and so the run's log); only the muted thread's are dropped.
    import threading

    inside, done = threading.Event(), threading.Event()

    def chatter():
        with quality.muted_here():
            print("GX chatter")
            inside.set()
            done.wait(10)
            print("more GX chatter")

    thread = threading.Thread(target=chatter)
    thread.start()
    inside.wait(10)
    print("Stage 'report_rtt' finished in 1.0 s")  # another thread, while the chatter is muted
    done.set()
    thread.join()
    print("after")
    out = capsys.readouterr().out
    assert out == "Stage 'report_rtt' finished in 1.0 s\nafter\n"
    assert not isinstance(__import__("sys").stdout, quality._ThreadMuted)  # put back when done
