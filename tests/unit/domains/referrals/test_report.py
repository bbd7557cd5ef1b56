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


def test_the_heading_says_whose_data_it_is_unless_it_is_the_editions(extract_only):
    root, _ = extract_only
    apart = referrals_report.board_section(scratch(root), settings_for("report_referrals", same_edition=False))
    heading = BeautifulSoup(apart, "html.parser").find("h2").get_text()
    assert "data for a referral management centre's extract of May 2011, not" in heading
    own = referrals_report.board_section(scratch(root), settings_for("report_referrals", same_edition=True))
    assert "data for" not in BeautifulSoup(own, "html.parser").find("h2").get_text()


def test_elsewhere_names_the_editions_icb_and_month():
    import pandas as pd

    from helpers.domains.organisation.edition import Edition, elsewhere

    sussex = Edition("QNX", "NHS Sussex ICB", pd.Timestamp("2026-01-31"), ("70F",))
    assert elsewhere("South West Essex PCT, 2010/11", sussex, False) == \
        "data for South West Essex PCT, 2010/11, not NHS Sussex ICB January 2026"
    assert elsewhere("South West Essex PCT, 2010/11", sussex, True) == ""
