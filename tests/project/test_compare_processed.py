"""The comparison CI makes between runs on different Pythons (tests/tools/compare_processed.py):
float noise passes; any other difference fails, naming the table and the column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tools.compare_processed import compare_folders

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "compare_processed.py"


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "provider": pd.array(["RJ1", "RYJ", None], dtype="string"),
        "waiting": pd.array([10, 20, None], dtype="Int64"),
        "median_weeks": [7.25, np.nan, 1 / 3],
        "period": pd.to_datetime(["2026-01-31"] * 3),
        "file": [f"/srv/run/data/raw/rtt/{i}.csv" for i in range(3)],
    })


def _project(folder: Path, **tables: pd.DataFrame) -> Path:
    processed = folder / "data" / "processed"
    processed.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_parquet(processed / f"{name}.parquet")
    return folder


def _with_paths_under(folder: Path) -> pd.DataFrame:
    table = _table()
    table["file"] = [f"{folder.resolve()}/data/raw/rtt/{i}.csv" for i in range(3)]
    return table


def test_equal_tables_and_float_noise_pass(tmp_path):
    noisy = _table()
    noisy["median_weeks"] = noisy["median_weeks"] * (1 + 1e-13)
    reference = _project(tmp_path / "a", rtt=_table())
    other = _project(tmp_path / "b", rtt=noisy)
    assert compare_folders(reference, other) == []


def test_paths_inside_each_run_are_compared_relative_to_its_project(tmp_path):
    reference = _project(tmp_path / "a", quarantine=_with_paths_under(tmp_path / "a"))
    other = _project(tmp_path / "b", quarantine=_with_paths_under(tmp_path / "b"))
    assert compare_folders(reference, other) == []


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("median_weeks", 7.2500001, "rtt.parquet: column 'median_weeks': 1 of 3 rows differ (row 0: 7.25 != 7.2500001)"),
    ("waiting", 21, "rtt.parquet: column 'waiting': 1 of 3 rows differ (row 0: 10 != 21)"),
    ("provider", "RXX", "rtt.parquet: column 'provider': 1 of 3 rows differ (row 0: 'RJ1' != 'RXX')"),
])
def test_a_changed_value_is_named_by_table_and_column(tmp_path, column, value, expected):
    changed = _table()
    changed.loc[0, column] = value
    assert compare_folders(_project(tmp_path / "a", rtt=_table()), _project(tmp_path / "b", rtt=changed)) == [expected]


def test_nan_against_a_number_differs(tmp_path):
    changed = _table()
    changed.loc[1, "median_weeks"] = 0.0
    problems = compare_folders(_project(tmp_path / "a", rtt=_table()), _project(tmp_path / "b", rtt=changed))
    assert problems == ["rtt.parquet: column 'median_weeks': 1 of 3 rows differ (row 1: nan != 0.0)"]


def test_types_columns_rows_and_tables_must_match(tmp_path):
    retyped = _table().astype({"waiting": "float64"})
    shorter = _table().iloc[:2]
    renamed = _table().rename(columns={"file": "path"})
    reference = _project(tmp_path / "a", rtt=_table(), scores=_table(), board=_table(), only_here=_table())
    other = _project(tmp_path / "b", rtt=retyped, scores=shorter, board=renamed)
    problems = compare_folders(reference, other)
    assert problems[0].startswith("only_here.parquet: only in ")
    assert "board.parquet: columns differ" in problems[1]
    assert problems[2:] == ["rtt.parquet: column 'waiting': type Int64 in the reference, float64 in the other",
                            "scores.parquet: 3 rows in the reference, 2 in the other"]


def test_the_script_exits_1_and_prints_the_difference(tmp_path):
    changed = _table()
    changed.loc[2, "waiting"] = 5
    reference = _project(tmp_path / "a", rtt=_table())
    same = _project(tmp_path / "b", rtt=_table())
    different = _project(tmp_path / "c", rtt=changed)
    done = subprocess.run([sys.executable, str(SCRIPT), str(reference), str(same), str(different)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert f"same: {same} against {reference}: 1 tables" in done.stdout
    assert "rtt.parquet: column 'waiting': 1 of 3 rows differ (row 2: <NA> != 5)" in done.stdout
