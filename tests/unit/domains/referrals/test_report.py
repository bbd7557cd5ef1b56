"""Report sections when the optional files are absent, and the board fragment's shape."""

from __future__ import annotations

import re
import shutil

import pytest
from bs4 import BeautifulSoup

from helpers.core.config import Project
from helpers.domains.referrals import cleanse as referrals_cleanse
from helpers.domains.referrals import report as referrals_report
from support import scratch, settings_for
from support.referral_sample import SAMPLE


@pytest.fixture(scope="module")
def extract_only(tmp_path_factory):
    """A project root whose processed tables came from the extract alone (no list sizes, no table)."""
    root = tmp_path_factory.mktemp("root")
    folder = root / "inputs" / "referral_gateway"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    result = referrals_cleanse.run({"referral_gateway": folder}, settings_for("cleanse_referrals"), scratch(root))
    return root, result


def test_without_list_sizes_the_rate_is_left_out(extract_only):
    root, result = extract_only
    practices = result.tables["practices"]
    assert practices["rate_per_1000"].isna().all() and practices["gp_referrals"].sum() > 0
    assert "practice not in the practice list sizes file" not in set(result.tables["quarantine"]["reason"])
    ctx = referrals_report.load(scratch(root), settings_for("report_referrals"))
    text = referrals_report.practices_section(ctx)
    assert "No practice list sizes file was supplied" in text
    assert "No monthly booking information table was supplied" in referrals_report.booking_section(ctx)


def test_board_fragment_headings_and_as_at(extract_only):
    root, _ = extract_only
    fragment = referrals_report.board_section(scratch(root), settings_for("report_referrals", target_days=3))
    soup = BeautifulSoup(fragment, "html.parser")
    headings = soup.find_all(re.compile(r"^h\d$"))
    assert [h.name for h in headings][0] == "h2" and {h.name for h in headings} == {"h2", "h3"}
    assert all("as at 12 May 2011" in h.get_text() for h in headings)
    assert "target of 3 days" in soup.get_text()  # the settings given, not params.yaml's
    assert "synthetic sample data" in fragment  # the input file is a SYNTHETIC_ one


def test_report_stops_clearly_without_processed_tables(tmp_path):
    from helpers.core.errors import InputMissingError

    with pytest.raises(InputMissingError, match="run the cleanse_referrals stage first"):
        referrals_report.load(Project(tmp_path), settings_for("report_referrals"))
