"""Action plan tracker on the transcribed Harrow plan: quarantine, dates, states, summaries.

Expected values are read off the seed document (001) by hand, e.g. 1.3 is due "Aug. 03".
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import support
from helpers.core.errors import DataQualityError, SourceFormatError
from helpers.domains.actions import cleanse as actions_cleanse
from helpers.domains.actions import measures as actions
from helpers.domains.actions import report as actions_report
from helpers.sources import action_plan as src
from helpers.synthetic import qipp as sample
from support import scratch, settings_for

ROOT = support.ROOT
CSV = ROOT / "data" / "raw" / "action_plan" / f"{sample.ACTIONS_STEM}.csv"
ALIASES = {"DCGN": "DCG&N", "DGC&N": "DCG&N"}
AS_AT = dt.date(2003, 11, 30)


@pytest.fixture(scope="module")
def tidy():
    return actions.tidy(src.read(CSV), file=CSV.name, lead_aliases=ALIASES)


@pytest.fixture(scope="module")
def at(tidy):
    plan, milestones, _ = tidy
    return actions.as_at(plan, milestones, AS_AT, 31)


def _seed_refs() -> list[str]:
    """Action references in the seed text: '1.1 ...' at the start of a line or after the section title."""
    import re

    text = (ROOT.parent / "shared" / "seeds" / "001_828d2a84d27dc9fc.txt").read_text(encoding="utf-8")
    return list(dict.fromkeys(re.findall(r"(?:^|\t| )(\d{1,2}\.\d{1,2}) [A-Z3]", text, flags=re.M)))


def test_every_seed_action_is_read(tidy):
    raw = src.read(CSV)
    refs = raw.loc[raw["row_type"] == "action", "ref"].tolist()
    assert refs == _seed_refs() and len(refs) == 80


def test_quarantine_names_each_unusable_row(tidy):
    plan, milestones, quarantine = tidy
    reasons = dict(zip(quarantine["line"], quarantine["reason"]))
    assert sorted(r.split(":")[0] for r in quarantine["reason"] if "no timescale" in r) == sorted(
        ["milestone 1.11"] * 4 + ["action 6.4", "action 10.1", "action 10.7", "action 10.8", "action 10.12",
                                  "action 10.13"])
    assert "action 1.17 has no lead" in reasons.values()
    assert set(quarantine.columns) == {"source", "file", "line", "column", "value", "reason"}
    # kept + quarantined actions = all actions: nothing dropped silently
    assert len(plan) + 7 == 80
    assert not plan["ref"].isin(["1.17", "6.4", "10.1", "10.7", "10.8", "10.12", "10.13"]).any()


def test_dates_of_some_actions(tidy):
    plan = tidy[0].set_index("ref")
    assert plan.loc["1.3", "due"] == pd.Timestamp("2003-08-31")
    assert plan.loc["1.10", "start"] == pd.Timestamp("2003-10-01")  # 1.10's 14 rows: Oct 03 .. Jun 04
    assert plan.loc["1.10", "due"] == pd.Timestamp("2004-06-30") and plan.loc["1.10", "milestones"] == 14
    assert plan.loc["4.4", "due"] == pd.Timestamp("2004-03-31")  # "Oct. 03- Mar. 04" on the second row
    assert plan.loc["9.15", "start"] == pd.Timestamp("2004-04-01")  # "2004/05": the financial year
    assert plan.loc["9.15", "due"] == pd.Timestamp("2005-03-31")
    assert plan.loc["1.5", "ongoing"] and pd.isna(plan.loc["1.5", "due"])
    assert plan.loc["6.5", "immediate"]
    assert plan.loc["9.10", "lead"] == "DCG&N" and plan.loc["9.10", "lead_as_written"] == "DGC&N"


def test_states_as_at_the_report_date(at):
    plan = at[0].set_index("ref")
    assert plan.loc["1.3", "state"] == "overdue" and plan.loc["1.3", "days_overdue"] == 91
    assert plan.loc["1.9", "state"] == "due soon"  # Nov. 03: due on the report date itself
    assert plan.loc["1.8", "state"] == "not yet due"
    assert plan.loc["1.5", "state"] == "ongoing"
    assert plan.loc["6.5", "state"] == "due now"
    assert plan.loc["9.15", "state"] == "not yet due"


def test_overdue_count_by_lead_matches_an_independent_count(tidy, at):
    plan, milestones, _ = tidy
    late = milestones[milestones["due"] < pd.Timestamp(AS_AT)].groupby("lead")["ref"].nunique()
    summary = actions.summary(at[0], "lead").set_index("lead")
    assert summary["overdue"][summary["overdue"] > 0].sort_index().to_dict() == late.sort_index().to_dict()
    assert summary["actions"].sum() == len(plan)


def test_complete_status_is_never_overdue(tidy):
    plan, milestones, _ = tidy
    plan = plan.assign(status=plan["status"].where(plan["ref"] != "1.3", "Complete"))
    assert actions.as_at(plan, milestones, AS_AT)[0].set_index("ref").loc["1.3", "state"] == "complete"


def _write(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_empty_timescale_is_quarantined_with_reason(tmp_path):
    rows = sample.actions_table()
    line = next(i for i, r in enumerate(rows, start=1) if r[0].startswith("1.8 "))
    rows[line - 1][2] = ""
    folder = _write(tmp_path / "in" / "action_plan.csv", rows).parent
    result = actions_cleanse.run({"action_plan": folder}, settings_for("cleanse_actions", lead_aliases=ALIASES),
                                 scratch(tmp_path))
    q = result.quarantine.set_index("line")
    assert q.loc[line, "reason"] == "action 1.8: no timescale given" and q.loc[line, "column"] == "Timescale"
    assert "1.8" not in set(result.tables["plan"]["ref"])


def test_unreadable_timescale_is_quarantined_with_the_text(tmp_path):
    rows = sample.actions_table()
    line = next(i for i, r in enumerate(rows, start=1) if r[0].startswith("1.8 "))
    rows[line - 1][2] = "after the summer"
    plan, _, q = actions.tidy(src.read(_write(tmp_path / "action_plan.csv", rows)), file="x")
    assert "cannot read 'after the summer'" in q.set_index("line").loc[line, "reason"]


def test_header_not_found_and_gate_on_duplicate_refs(tmp_path):
    with pytest.raises(SourceFormatError, match="no header row"):
        src.read(_write(tmp_path / "a.csv", [["Task", "Who", "When"], ["x", "y", "Oct 03"]]))
    rows = sample.actions_table()
    rows.append(["1.1 Establish Performance Management Group again", "DoF", "Oct 03", "", ""])
    folder = _write(tmp_path / "in" / "action_plan.csv", rows).parent
    with pytest.raises(DataQualityError, match="expect_column_values_to_be_unique"):
        actions_cleanse.run({"action_plan": folder}, settings_for("cleanse_actions", lead_aliases={}), scratch(tmp_path))


def test_xlsx_form_reads_the_same(tmp_path):
    sample.generate(tmp_path, formats=("all",))
    from_xlsx = src.read(tmp_path / "action_plan" / f"{sample.ACTIONS_STEM}.xlsx")
    from_csv = src.read(CSV)
    pd.testing.assert_frame_equal(from_xlsx.fillna("").astype(str), from_csv.fillna("").astype(str))


def test_report_date_parameter():
    assert actions_report.report_date("2003-11-30") == AS_AT
    assert actions_report.report_date(None) == dt.date.today()
