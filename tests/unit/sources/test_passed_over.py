"""Every reader lists the files in its folder that it does not read, each with the reason.

A month saved under an unexpected name must show in the cleanse notebook and the preflight check
rather than vanish: these build folders in tmp_path (names only, the readers do not open them)
and check each reader's list, then the real folders as published.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.core.stage import StageResult
from helpers.sources import (
    action_plan,
    ae_national_timeseries,
    child_immunisations,
    fingertips_practice,
    gp_payments,
    gp_practice_reference,
    qipp_tracker,
    qof_2020_21,
    referral_extract,
    rtt_national_timeseries,
)
from helpers.sources._common import PassedOver, discover
from support import REAL

LOCK = "an Office lock file (the workbook is open in Excel), not data"


def folder_of(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "source"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"x")
    return folder


def reasons(items: list[PassedOver]) -> dict[str, str]:
    return {item.name: item.reason for item in items}


# (reader's passed_over, files it reads, files it passes over with the start of each reason)
CASES = {
    "fingertips": (fingertips_practice.passed_over, ["fingertips_93930_AE.csv", "SYNTHETIC_fingertips_93553_IMD.csv"],
                   {"indicator-data.csv": "not named as a Fingertips export (fingertips_*.csv)",
                    "README.md": "notes, not data"}),
    "immunisations": (child_immunisations.passed_over, ["GP_immunisations_WestSussex.csv"],
                      {"cover-gp-annual-2020-to-2021.ods": "not named as COVER coverage by practice"}),
    "payments": (gp_payments.passed_over, ["nhs_payments_to_general_practice_22-23.csv"],
                 {"18-19.csv": "named by its year alone: if it is NHS Payments to General Practice, rename it "
                               "nhs_payments_to_general_practice_18-19.csv to be read",
                  "payments_2019.xlsx": "not named as NHS Payments to General Practice"}),
    "qof": (qof_2020_21.passed_over, ["PREVALENCE_2021_v2.csv", "MAPPING_NHS_GEOGRAPHIES_2122.csv"],
            {"ORGANISATION_REFERENCE_2021.csv": "part of the QOF pack the scorecard does not use",
             "ACHIEVEMENT_2021_v2.csv": "part of the QOF pack the scorecard does not use",
             "MAPPING_NHS_GEOGRAPHIES_2021.csv": "another geography mapping is read: MAPPING_NHS_GEOGRAPHIES_2122.csv",
             "prevalence.csv": "not named as QOF prevalence"}),
    "gp reference": (gp_practice_reference.passed_over, ["epraccur.csv", "gp-reg-pat-prac-all_Jan2021.csv"],
                     {"SYNTHETIC_epraccur.csv": "another epraccur extract is read: epraccur.csv",
                      "epraccur.zip": "not named as ODS epraccur"}),
    "A&E time series": (ae_national_timeseries.passed_over, ["Monthly-AE-Time-Series-March-2024.xls"],
                        {"Monthly-AE-March-2024.csv": "not named as an A&E time-series workbook",
                         "~$Monthly-AE-Time-Series-March-2024.xls": LOCK}),
    "RTT time series": (rtt_national_timeseries.passed_over, ["RTT-Overview-Timeseries-Jun22-XLS-77K.xlsx"],
                        {"RTT-Overview-Timeseries-Jun22.xls": "not named as an RTT overview time-series workbook"}),
    "QIPP tracker": (qipp_tracker.passed_over, ["TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"],
                     {"README.md": "notes, not data", "~$TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx": LOCK,
                      "savings 2010-11.xlsx": "not named as a QIPP tracker"}),
    "action plan": (action_plan.passed_over, ["Harrow_PCT_action_plan_2003-04.csv"],
                    {"README.md": "notes, not data", "plan.csv": "not named as an action plan"}),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_reader_lists_what_it_passes_over(tmp_path, case):
    passed_over, read, skipped = CASES[case]
    folder = folder_of(tmp_path, *read, *skipped, ".DS_Store")
    found = reasons(passed_over(folder))
    assert sorted(found) == sorted(skipped)  # hidden files are not data, and not listed
    for name, reason in skipped.items():
        assert found[name].startswith(reason), (name, found[name])


def test_missing_folder_lists_nothing(tmp_path):
    # the reader's own discovery reports a missing folder (exit 3); the list has nothing to add
    assert fingertips_practice.passed_over(tmp_path / "nowhere") == []


def test_lock_file_is_never_read_as_the_workbook(tmp_path):
    """Excel's ~$ owner file matches '.*qipp.*xlsx': it must not count as a second tracker."""
    folder = folder_of(tmp_path, "TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx",
                       "~$TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx")
    assert [p.name for p in qipp_tracker.discover(folder)] == ["TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"]
    assert [p.name for p in discover(folder, r"(?i)qipp")] == ["TRANSCRIBED_SWEssex_QIPP_tracker_2010-11_M12.xlsx"]


def test_referral_gateway_lists_strangers_and_files_not_used(tmp_path):
    folder = folder_of(tmp_path, "referral_extract_20110505.csv", "referral_extract_20110512.csv",
                       "practice_list_sizes.csv", "booking_information_20110512.csv",
                       "booking_information_20110601.csv", "notes.txt", "extract.csv")
    files, skipped = referral_extract.discover(folder)
    assert reasons(skipped) == {
        "notes.txt": "notes, not data",
        "extract.csv": "not named as a referral extract, booking information table or practice list sizes file "
                       "(names in docs/referral_extract.md)",
    }
    by_name = {f.name: f for f in files}
    used = [by_name["referral_extract_20110512.csv"], by_name["practice_list_sizes.csv"],
            by_name["booking_information_20110512.csv"]]
    assert reasons(referral_extract.not_used(files, used)) == {
        "referral_extract_20110505.csv": "another referral extract is read in this run: referral_extract_20110512.csv",
        "booking_information_20110601.csv": "another booking information table is read in this run: "
                                            "booking_information_20110512.csv",
    }
    later = reasons(referral_extract.not_used(files, used[:2] + [None]))
    assert later["booking_information_20110601.csv"] == \
        "a booking information table dated after the extract read (referral_extract_20110512.csv)"


# --- the real folders, as the publishers' files and their notes sit in them -------------------------------

def test_real_folders_list_their_notes_and_unused_files():
    assert reasons(qof_2020_21.passed_over(REAL / "qof_2020_21")) == {
        "MAPPING_INDICATORS_2021_v2.csv": "part of the QOF pack the scorecard does not use",
        "ORGANISATION_REFERENCE_2021.csv": "part of the QOF pack the scorecard does not use",
        "PRACTICE_VALIDATION_OUTCOMES_2021.csv": "part of the QOF pack the scorecard does not use",
        "SOURCE.md": "notes, not data",
    }
    for reader, source in ((fingertips_practice, "fingertips_practice"), (gp_payments, "gp_payments"),
                           (child_immunisations, "child_immunisations"),
                           (gp_practice_reference, "gp_practice_reference"),
                           (ae_national_timeseries, "ae_national_timeseries"),
                           (rtt_national_timeseries, "rtt_national_timeseries")):
        assert reasons(reader.passed_over(REAL / source)) == {"SOURCE.md": "notes, not data"}, source


# --- what the stage shows: its notebook's table and the preflight check's line --------------------------

def test_stage_result_shows_each_file_with_its_reason(tmp_path):
    result = StageResult("scorecard", skipped=gp_payments.passed_over(folder_of(tmp_path, "18-19.csv")))
    table = result.skipped_table()
    assert table.to_dict("records") == [{
        "file passed over": "18-19.csv",
        "reason": "named by its year alone: if it is NHS Payments to General Practice, rename it "
                  "nhs_payments_to_general_practice_18-19.csv to be read"}]
    assert "passed over 18-19.csv (named by its year alone" in result.describe()
