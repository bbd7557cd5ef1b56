"""The synthetic RTT extracts must look like the publisher's file, traps included.

Checked with plain csv/pandas against the published layout, not against the generator's own
constants.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import support
from helpers.synthetic import rtt as synthetic
from helpers.synthetic.__main__ import main as synthetic_main

REPO = support.ROOT
REAL = REPO.parent / "shared" / "data" / "real" / "rtt_full_csv" / \
    "DERIVED_subset_QE1_20260131-RTT-January-2026-full-extract.csv"
SHIPPED = REPO / "data" / "raw" / "rtt_full_csv"

ID = 13  # identifier columns before the week bands
BANDS = slice(13, 118)  # 104 one-week bands and "Gt 104 Weeks"
TOTAL, UNKNOWN, TOTAL_ALL = 118, 119, 120
COMPLETED = {"Part_1A", "Part_1B"}
SEED = 20260131
NAMES = [
    "SYNTHETIC_20251130-RTT-November-2025-full-extract.csv",
    "SYNTHETIC_20251231-RTT-December-2025-full-extract.csv",
    "SYNTHETIC_20260131-RTT-January-2026-full-extract.csv",
]
# The shipped sample: February 2024 to January 2026, the earlier months gzipped.
MONTHS = pd.period_range("2024-02", "2026-01", freq="M")
SHIPPED_NAMES = [f"SYNTHETIC_{m.end_time:%Y%m%d}-RTT-{m:%B}-{m.year}-full-extract.csv" + (".gz" if m != MONTHS[-1] else "")
                 for m in MONTHS]
SUSSEX = {"09D": "NHS BRIGHTON AND HOVE (SUB ICB LOCATION)", "70F": "NHS WEST SUSSEX (SUB ICB LOCATION)",
          "97R": "NHS EAST SUSSEX (SUB ICB LOCATION)"}


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _n(cell: str) -> int:
    return int(cell) if cell else 0


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> list[Path]:
    return synthetic.generate_sample(tmp_path_factory.mktemp("rtt"), months=3, seed=SEED)


@pytest.fixture(scope="module")
def january(sample) -> list[list[str]]:
    return _rows(sample[-1])


@pytest.fixture(scope="module")
def data(sample) -> list[list[str]]:
    """Data rows of all three months."""
    return [row for path in sample for row in _rows(path)[1:]]


def test_file_names_and_periods(sample):
    assert [p.name for p in sample] == NAMES
    for path, label in zip(sample, ["RTT-November-2025", "RTT-December-2025", "RTT-January-2026"]):
        assert {row[0] for row in _rows(path)[1:]} == {label}
        assert 200_000 < path.stat().st_size < 1_500_000


def test_header_is_the_publishers(january):
    assert REAL.exists(), f"real extract expected at {REAL} (../shared beside the repo)"
    with open(REAL, newline="", encoding="utf-8") as f:
        real_header = next(csv.reader(f))
    assert january[0] == real_header
    assert len(real_header) == 121


def test_header_band_names(january):
    header = january[0]
    assert header[13] == "Gt 00 To 01 Weeks SUM 1"
    assert header[22] == "Gt 09 To 10 Weeks SUM 1"
    assert header[112] == "Gt 99 To 100 Weeks SUM 1"
    assert header[113] == "Gt 100 To 101 Weeks SUM 1"
    assert header[117] == "Gt 104 Weeks SUM 1"
    assert header[118:] == ["Total", "Patients with unknown clock start date", "Total All"]


def test_bytes_crlf_utf8_no_bom(sample):
    for path in sample:
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")
        assert raw.endswith(b"\r\n")
        assert raw.count(b"\n") == raw.count(b"\r\n")
        assert raw.count(b"\r") == raw.count(b"\r\n")


def test_every_row_has_121_fields(january):
    assert {len(row) for row in january} == {121}
    assert 500 < len(january) < 5000


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    end = dt.date(2026, 1, 31)
    a = synthetic.write_month(tmp_path / "a.csv", end, seed=7).read_bytes()
    b = synthetic.write_month(tmp_path / "b.csv", end, seed=7).read_bytes()
    c = synthetic.write_month(tmp_path / "c.csv", end, seed=8).read_bytes()
    assert a == b
    assert a != c
    rows = synthetic.generate_month(end, seed=7)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    assert buffer.getvalue().encode("utf-8") == a


def test_months_differ(sample):
    first, last = (_rows(p)[1:] for p in (sample[0], sample[-1]))
    assert [r[1:] for r in first] != [r[1:] for r in last]


def test_count_cells_are_blank_or_whole_numbers(data):
    number = re.compile(r"^(0|[1-9][0-9]*)?$")
    assert all(number.match(cell) for row in data for cell in row[ID:])
    assert all(row[TOTAL_ALL] != "" and int(row[TOTAL_ALL]) > 0 for row in data)


def test_rollup_is_sum_of_specialties(data):
    sums = defaultdict(lambda: [0] * 108)
    rollups = defaultdict(list)
    for row in data:
        key = (row[0], row[3], row[7], row[9])
        values = [_n(c) for c in row[ID:]]
        if row[11] == "C_999":
            assert row[12] == "Total"
            rollups[key].append(values)
        else:
            sums[key] = [a + b for a, b in zip(sums[key], values)]
    assert set(rollups) == set(sums)
    for key, found in rollups.items():
        assert len(found) == 1, key
        assert found[0] == sums[key], key


def test_total_only_on_completed_pathways(data):
    for row in data:
        bands = sum(_n(c) for c in row[BANDS])
        if row[9] in COMPLETED:
            assert row[TOTAL] != "" and int(row[TOTAL]) == bands
        else:
            assert row[TOTAL] == ""
            assert row[UNKNOWN] == ""


def test_total_all_is_bands_plus_unknown(data):
    for row in data:
        if row[9] == "Part_3":
            continue
        assert _n(row[TOTAL_ALL]) == sum(_n(c) for c in row[BANDS]) + _n(row[UNKNOWN])


def test_new_periods_carry_only_total_all(data):
    part3 = [row for row in data if row[9] == "Part_3"]
    assert part3
    for row in part3:
        assert all(c == "" for c in row[BANDS])
        assert row[TOTAL] == "" and row[UNKNOWN] == ""
        assert int(row[TOTAL_ALL]) > 0


def test_parts_and_descriptions(data):
    assert {(r[9], r[10]) for r in data} == {
        ("Part_1A", "Completed Pathways For Admitted Patients"),
        ("Part_1B", "Completed Pathways For Non-Admitted Patients"),
        ("Part_2", "Incomplete Pathways"),
        ("Part_2A", "Incomplete Pathways with DTA"),
        ("Part_3", "New RTT Periods - All Patients"),
    }


def test_treatment_functions(data):
    functions = {(r[11], r[12]) for r in data}
    assert ("C_999", "Total") in functions
    assert ("C_110", "Trauma and Orthopaedic Service") in functions
    assert any(code.startswith("X0") and name.startswith("Other - ") for code, name in functions)
    assert len({code for code, _ in functions if code.startswith("C_") and code != "C_999"}) >= 8


def test_zero_written_both_ways(data):
    """Like the publisher: most rows write 0, some rows leave empty cells blank."""
    styles = defaultdict(int)
    for row in data:
        if row[9] == "Part_3":
            continue
        cells = row[BANDS]
        styles["blank" if "0" not in cells and "" in cells else "zero" if "" not in cells else "mixed"] += 1
    assert styles["zero"] > styles["blank"] > 0
    assert styles["mixed"] > 0
    rollups = [row for row in data if row[11] == "C_999" and row[9] != "Part_3"]
    assert all("" not in row[BANDS] for row in rollups)


def test_unknown_clock_start_mostly_empty_sometimes_counted(data):
    completed = [row[UNKNOWN] for row in data if row[9] in COMPLETED]
    assert sum(c not in ("", "0") for c in completed) >= 3
    assert sum(c in ("", "0") for c in completed) > 0.9 * len(completed)
    assert "" in completed and "0" in completed


def test_names_with_commas_are_quoted(sample, january):
    raw = sample[-1].read_text(encoding="utf-8")
    providers = {r[4] for r in january[1:] if "," in r[4]}
    commissioners = {r[8] for r in january[1:] if "," in r[8]}
    assert providers and commissioners
    for name in providers | commissioners:
        assert f',"{name}",' in raw


def test_organisations(january):
    rows = january[1:]
    assert ("QE1", "NHS LANCASHIRE AND SOUTH CUMBRIA INTEGRATED CARE BOARD") in {(r[1], r[2]) for r in rows}
    assert ("QNX", "NHS SUSSEX INTEGRATED CARE BOARD") in {(r[1], r[2]) for r in rows}
    assert {r[1] for r in rows} == {"QNX", "QE1", "QH8"}
    assert {r[5] for r in rows} == {"QNX", "QE1", "QH8", ""}
    # Sussex's sub-ICB locations as the publisher writes them, under their ICB
    assert {(r[7], r[8]) for r in rows if r[5] == "QNX"} == set(SUSSEX.items())
    assert {r[6] for r in rows if r[5] == "QNX"} == {"NHS SUSSEX INTEGRATED CARE BOARD"}
    assert all(r[4].startswith("SYNTHETIC ") for r in rows)
    blank_parent = {(r[7], r[8]) for r in rows if r[5] == "" and r[6] == ""}
    assert ("NONC", "#N/A") in blank_parent
    assert ("13Q", "NATIONAL COMMISSIONING HUB 1") in blank_parent
    assert {len(r[3]) for r in rows} == {3, 5}
    # a provider is reported once per commissioner, and serves more than one ICB's patients
    per_provider = defaultdict(set)
    for r in rows:
        per_provider[r[3]].add(r[5])
    assert any(len(parents - {""}) > 1 for parents in per_provider.values())


def test_codes_are_invented(january):
    assert REAL.exists(), f"real extract expected at {REAL} (../shared beside the repo)"
    real = {r[3] for r in _rows(REAL)[1:]} | {r[7] for r in _rows(REAL)[1:]}
    ours = {r[3] for r in january[1:]} | {r[7] for r in january[1:]}
    assert ours & real <= {"13Q", "NONC"}
    # the Sussex sub-ICB locations are real (the QE1 subset does not hold them); providers are invented
    assert {"09D", "70F", "97R"} <= ours
    assert all(r[4].startswith("SYNTHETIC ") for r in january[1:])


def test_sparse_specialties(january):
    rows = [r for r in january[1:] if r[11] != "C_999"]
    groups = {(r[3], r[7], r[9]) for r in rows}
    functions = {r[11] for r in rows}
    assert len(rows) < 0.7 * len(groups) * len(functions)


def test_incomplete_pathways_shape(data):
    for month in {r[0] for r in data}:
        bands = [0] * 105
        for r in data:
            if r[0] == month and r[9] == "Part_2" and r[11] == "C_999":
                bands = [a + _n(c) for a, c in zip(bands, r[BANDS])]
        total = sum(bands)
        assert 0.55 <= sum(bands[:18]) / total <= 0.70, month
        assert sum(bands[52:]) > 0.005 * total
        assert sum(bands[65:]) > 0
        assert sum(bands[78:]) > 0
        assert sum(bands[52:]) > sum(bands[65:]) > sum(bands[78:])


def test_dta_smaller_than_incomplete(data):
    totals = defaultdict(int)
    for r in data:
        if r[11] == "C_999":
            totals[r[9]] += int(r[TOTAL_ALL])
    assert 0 < totals["Part_2A"] < 0.3 * totals["Part_2"]
    assert 0 < totals["Part_1A"] < totals["Part_1B"] < totals["Part_2"]


def test_peer_waiting_list_grows(sample):
    lists = [sum(int(r[TOTAL_ALL]) for r in _rows(p)[1:] if r[9] == "Part_2" and r[11] == "C_999" and r[5] == "QE1")
             for p in sample]
    assert lists[0] < lists[1] < lists[2]


def test_pandas_reads_it(sample):
    frame = pd.read_csv(sample[-1], dtype=str, keep_default_na=False)
    assert frame.shape[1] == 121
    assert (frame["Commissioner Org Name"] == "#N/A").any()
    counts = pd.read_csv(sample[-1], usecols=["Total All"])["Total All"]
    assert counts.notna().all()


def test_period_end_must_be_month_end(tmp_path):
    with pytest.raises(ValueError):
        synthetic.generate_month(dt.date(2026, 1, 30), seed=1)


def test_cli_writes_the_shipped_rtt_sample(tmp_path):
    assert synthetic_main(["--out", str(tmp_path), "--only", "rtt"]) == 0
    written = sorted((tmp_path / "rtt_full_csv").iterdir())
    assert sorted(p.name for p in written) == sorted(SHIPPED_NAMES)
    assert all(p.read_bytes() == (SHIPPED / p.name).read_bytes() for p in written), "run make sample"


def test_shipped_sample_is_reproducible(sample):
    """The last three shipped months, unpacked, are the generator's months (gzip changes nothing)."""
    assert sorted(p.name for p in SHIPPED.iterdir()) == sorted(SHIPPED_NAMES)
    for ours, name in zip(sample, SHIPPED_NAMES[-3:]):
        data = (SHIPPED / name).read_bytes()
        assert ours.read_bytes() == (gzip.decompress(data) if name.endswith(".gz") else data), name


def test_shipped_folder_is_small():
    sizes = {p.name: p.stat().st_size for p in SHIPPED.iterdir()}
    assert sum(sizes.values()) < 4_000_000
    assert all(gzip.decompress((SHIPPED / n).read_bytes()) for n in SHIPPED_NAMES[:-1])  # really gzip


# --- Sussex's series, as a board paper charts it ------------------------------------------------------

@pytest.fixture(scope="module")
def sussex() -> pd.DataFrame:
    """QNX's incomplete pathways per month from the shipped files, read with plain pandas."""
    records = []
    for name in SHIPPED_NAMES:
        frame = pd.read_csv(SHIPPED / name, dtype=str, keep_default_na=False)  # pandas unpacks .gz itself
        bands = [c for c in frame.columns if c.startswith("Gt ")]
        rows = frame[(frame["RTT Part Type"] == "Part_2") & (frame["Treatment Function Code"] != "C_999")
                     & (frame["Commissioner Parent Org Code"] == "QNX")]
        counts = rows[bands].replace("", "0").astype(int).to_numpy()
        records.append({"period": frame["Period"].iloc[0], "waiting": rows["Total All"].astype(int).sum(),
                        "pct18": 100 * counts[:, :18].sum() / counts.sum(), "over52": counts[:, 52:].sum(),
                        "by_location": rows.groupby("Commissioner Org Code")["Total All"].apply(
                            lambda v: v.astype(int).sum()).to_dict()})
    return pd.DataFrame(records)


def longest_run_one_side(values: pd.Series) -> int:
    """The longest run of consecutive points on one side of the mean (a point on it ends a run)."""
    sides = list(np.sign(values - values.mean()))
    best = run = 0
    for previous, side in zip([0.0, *sides[:-1]], sides):
        run = run + 1 if side != 0 and side == previous else int(side != 0)
        best = max(best, run)
    return best


def test_sussex_has_every_month_for_two_years(sussex):
    assert sussex["period"].tolist() == [f"RTT-{m:%B}-{m.year}" for m in MONTHS]
    assert all(set(locations) == set(SUSSEX) for locations in sussex["by_location"])
    west, brighton, east = (sussex["by_location"].str[code] for code in ("70F", "09D", "97R"))
    assert (west > east).all() and (east > brighton).all()  # West Sussex the largest, as in the real data


def test_sussex_waiting_list_changes_slowly(sussex):
    waiting = sussex["waiting"]
    assert waiting.pct_change().abs().max() < 0.03
    assert 0.9 < waiting.min() / waiting.max() < 0.97  # it moves, but by a few per cent over two years


def test_sussex_waits_shorten_and_long_waiters_fall(sussex):
    pct = sussex["pct18"]
    assert pct.min() > 50 and pct.max() < 70
    assert pct.tail(6).mean() - pct.head(6).mean() > 3
    assert sussex["over52"].iloc[-1] < 0.4 * sussex["over52"].iloc[0]


def test_sussex_series_shows_a_special_cause_shift(sussex):
    """Seven or more points in a row on one side of the mean: a shift in Making Data Count's rules."""
    assert longest_run_one_side(sussex["over52"]) >= 7
    assert longest_run_one_side(sussex["pct18"]) >= 7
