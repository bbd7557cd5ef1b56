"""The bad-input corpus (tests/bad_inputs/corpus.yaml) through the preflight check, and the check itself.

Each case copies one source folder of the shipped samples, spoils one file as named, and runs
``helpers.preflight.check`` in-process: the same reading and gates a scheduled run uses, without a
pipeline run; the stages the spoiled source does not reach run once for the whole corpus
(:func:`reusing_upstream`), so it takes about two minutes. One end-to-end run with a bad input, which
proves nothing is published and the last good edition is kept, stays in test_pipeline_e2e.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import support
from bad_inputs import mutations, render
from helpers.core import privacy
from helpers.pipeline import preflight, stages

ROOT = support.ROOT
RAW = ROOT / "data" / "raw"
CASES = render.cases()
TEN_DIGITS = re.compile(r"(?<!\d)\d[\d -]{8,11}\d(?!\d)")


def spoiled_inputs(tmp_path: Path, case: dict) -> Path:
    """An inputs folder holding the case's source folder (or only its file) with the file spoiled."""
    inputs = tmp_path / "inputs"
    source, target = RAW / case["source"], inputs / case["source"]
    if case.get("alone"):
        target.mkdir(parents=True)
        shutil.copy2(source / case["file"], target / case["file"])
    else:
        shutil.copytree(source, target)
    mutations.apply(target, case["file"], case["mutation"], case.get("args"))
    return inputs


def nhs_numbers_in(text: str) -> list[str]:
    return [m for m in TEN_DIGITS.findall(text) if privacy.is_nhs_number(m)]


@pytest.fixture(scope="module")
def upstream() -> dict:
    """What each upstream stage of a check wrote, and said, the first time it ran on the samples."""
    return {}


def reusing_upstream(case: dict, upstream: dict):
    """``preflight.check_stage`` that runs a stage reading the spoiled source, and gives a stage that
    does not (one whose tables the others read: the organisation's, RTT's) the outputs and summary
    it gave on the same unspoiled samples in an earlier case, instead of running it again."""
    run = preflight.check_stage

    def check_stage(stage, folders, project):
        if case["source"] in stage.sources:
            return run(stage, folders, project)
        out = project.out
        if stage.name not in upstream:
            before = {p for p in out.rglob("*") if p.is_file()}
            said = run(stage, folders, project)
            upstream[stage.name] = (said, {p.relative_to(out): p.read_bytes()
                                           for p in out.rglob("*") if p.is_file() and p not in before})
        said, files = upstream[stage.name]
        for relative, data in files.items():
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            (out / relative).write_bytes(data)
        return said
    return check_stage


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(tmp_path, case, upstream, monkeypatch):
    inputs = spoiled_inputs(tmp_path, case)
    monkeypatch.setattr(preflight, "check_stage", reusing_upstream(case, upstream))
    outcomes = preflight.check([str(inputs), str(RAW)], [case["source"]], ROOT)
    code = preflight.exit_code(outcomes)
    # the stages that read the spoiled source speak for it (a check also runs the stages they read from)
    reading = {s.name for s in preflight.stages_for([case["source"]]) if case["source"] in s.sources}
    message = (next(o.message for o in outcomes if o.code == code) if code
               else " | ".join(o.message for o in outcomes if o.stage in reading))
    assert code == case["exit"], message
    assert re.search(case["message"], message), f"{case['message']!r} not found in:\n{message}"
    assert not nhs_numbers_in(message)
    if code:
        assert str(inputs) in message or Path(case["file"]).stem in message  # names the file


def test_corpus_covers_every_source_and_the_required_kinds():
    assert len(CASES) >= 30
    assert {c["source"] for c in CASES} == set(stages.sources())
    assert len({c["name"] for c in CASES}) == len(CASES)
    mutations_used = {c["mutation"] for c in CASES}
    for needed in ("truncate", "empty", "drop_column", "rename_column", "add_bom", "cp1252_pound", "duplicate_line",
                   "lines_above_header", "xlsx_insert_rows", "xlsx_merge", "sparse"):
        assert needed in mutations_used, needed
    texts = " ".join(str(c.get("args")) for c in CASES)
    assert "<script>" in texts and "=HYPERLINK(" in texts and "{nhs_number}" in texts


def test_documentation_table_is_generated_from_the_corpus():
    assert render.DOC.read_text(encoding="utf-8") == render.markdown(CASES), \
        "docs/bad_inputs.md is stale: run python tests/bad_inputs/render.py"


def test_nhs_number_check_digit():
    assert privacy.is_nhs_number("9434765919") and privacy.is_nhs_number("943 476 5919")
    assert privacy.is_nhs_number(9434765919) and privacy.is_nhs_number("943-476-5919")
    assert not privacy.is_nhs_number("9434765918")  # wrong check digit
    assert not privacy.is_nhs_number("943476591")  # nine digits
    assert not privacy.is_nhs_number(9434765919.5) and not privacy.is_nhs_number(True)
    # a remainder of 1 gives check digit 10, which is never issued: no tenth digit makes it valid
    stem = next(s for s in (f"{n:09d}" for n in range(100000000, 100001000))
                if sum(int(d) * w for d, w in zip(s, range(10, 1, -1))) % 11 == 1)
    assert not any(privacy.is_nhs_number(stem + str(d)) for d in range(10))
    assert privacy.column_letter(0) == "A" and privacy.column_letter(27) == "AB"


def test_size_limit_is_configurable(tmp_path, monkeypatch):
    from helpers.core.errors import SourceFormatError
    from helpers.sources import _common

    path = tmp_path / "big.csv"
    mutations.sparse(path, gigabytes=0.01)
    monkeypatch.setenv(_common.MAX_FILE_MB_ENV, "20")
    _common.check_size(path)  # 10.7 MB: under the limit
    monkeypatch.setenv(_common.MAX_FILE_MB_ENV, "5")
    with pytest.raises(SourceFormatError, match=r"big\.csv: the file is 0\.0 GB, larger than the 5 MB allowed"):
        _common.check_size(path)


def _outputs(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for d in ("data/processed", "build", "reports") if (root / d).exists()
            for p in (root / d).rglob("*")}


def test_check_command_exit_code_message_and_no_outputs(tmp_path):
    """The command line as an analyst runs it: stops as a run would, writes nothing in the project."""
    case = next(c for c in CASES if c["name"] == "qipp_subtotal_does_not_add_up")
    inputs = spoiled_inputs(tmp_path, case)
    before = _outputs(ROOT)
    result = subprocess.run([sys.executable, "-m", "helpers.pipeline", "check", "--inputs", str(inputs), "data/raw",
                             "--source", "qipp_tracker", "action_plan"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ERROR in stage cleanse_qipp: Data-quality gate failed" in result.stderr
    assert re.search(case["message"], result.stderr)
    assert "OK   cleanse_actions" in result.stdout  # the other stage asked for is still checked
    assert "Check failed at cleanse_qipp (exit 2)" in result.stderr
    # the stages' own "Wrote ..." lines would name files in the check's temporary folder
    assert "Wrote " not in result.stdout + result.stderr
    assert "nhs-analytics-check-" not in result.stdout + result.stderr
    assert _outputs(ROOT) == before


def test_check_leaves_write_lines_of_a_real_run_alone(caplog):
    import logging

    caplog.set_level(logging.INFO)
    preflight.check([str(RAW)], ["action_plan"], ROOT)
    assert not [r for r in caplog.records if r.getMessage().startswith("Wrote ")]
    logging.getLogger("helpers.domains.qipp.cleanse").info("Wrote x.parquet")  # after the check: shown again
    assert caplog.records[-1].getMessage() == "Wrote x.parquet"


def test_check_reports_a_missing_source_with_exit_3(tmp_path):
    (tmp_path / "inputs").mkdir()
    outcomes = preflight.check([str(tmp_path / "inputs")], ["gp_payments"], ROOT)
    assert preflight.exit_code(outcomes) == 3
    # the scorecard stage reads five sources, and the organisation tables it reads are made from RTT's
    # and two of them: all are needed to check it
    message = outcomes[0].message
    assert message.startswith("no ") and " subfolder in " in message
    for source in ("fingertips_practice", "qof_2020_21", "child_immunisations", "gp_payments",
                   "gp_practice_reference", "rtt_full_csv"):
        assert f"{source}/" in message


def test_an_nhs_number_is_found_among_many_count_columns_first_column_first():
    """The count columns are screened together: a hit in any of them is still found, the first column first."""
    import numpy as np
    import pandas as pd

    counts = pd.DataFrame(np.arange(300, dtype="float64").reshape(3, 100), index=[13, 14, 15],
                          columns=[f"Gt {i:02d} Weeks" for i in range(100)])
    frame = pd.concat([pd.DataFrame({"Provider": ["RXH", "RTP", "R1A"]}, index=counts.index), counts,
                       pd.DataFrame({"Flag": [True, False, True], "Small": pd.array([1, None, 3], dtype="Int16")},
                                    index=counts.index)], axis=1)
    assert privacy.first_in_frame(frame) is None
    frame.loc[15, "Gt 70 Weeks"] = 9434765919.0
    frame.loc[14, "Gt 71 Weeks"] = 9434765919.0
    frame.loc[13, "Gt 40 Weeks"] = 9434765918.0  # ten digits, wrong check digit: screened in, then cleared
    assert privacy.first_in_frame(frame) == ("Gt 70 Weeks", 15)
    assert privacy.first_in_frame(frame, skip=("Gt 70 Weeks",)) == ("Gt 71 Weeks", 14)
