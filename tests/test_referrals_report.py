"""Report sections when the optional files are absent, and the board fragment's shape."""

from __future__ import annotations

import re
import shutil

import pytest
from bs4 import BeautifulSoup

from helpers.domains.referrals import cleanse as referrals_cleanse
from helpers.domains.referrals import report as referrals_report
from referral_sample import ROOT, SAMPLE


@pytest.fixture(scope="module")
def extract_only(tmp_path_factory):
    """A project root whose processed tables came from the extract alone (no list sizes, no table)."""
    root = tmp_path_factory.mktemp("root")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copy(ROOT / "dvc.yaml", root / "dvc.yaml")
    folder = root / "inputs" / "referral_gateway"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    result = referrals_cleanse.cleanse_referrals(folder, root / "data" / "processed",
                                                 root / "build" / "validation" / "referrals", ROOT)
    return root, result


def test_without_list_sizes_the_rate_is_left_out(extract_only):
    root, result = extract_only
    practices = result.tables["practices"]
    assert practices["rate_per_1000"].isna().all() and practices["gp_referrals"].sum() > 0
    assert "practice not in the practice list sizes file" not in set(result.tables["quarantine"]["reason"])
    ctx = referrals_report.load(root)
    text = referrals_report.practices_section(ctx).data
    assert "No practice list sizes file was supplied" in text
    assert "No monthly booking information table was supplied" in referrals_report.booking_section(ctx).data


def test_board_fragment_headings_and_as_at(extract_only):
    root, _ = extract_only
    fragment = referrals_report.board_section(root, {"target_days": 3})
    soup = BeautifulSoup(fragment, "html.parser")
    headings = soup.find_all(re.compile(r"^h\d$"))
    assert [h.name for h in headings][0] == "h2" and {h.name for h in headings} == {"h2", "h3"}
    assert all("as at 12 May 2011" in h.get_text() for h in headings)
    assert "target of 3 days" in soup.get_text()  # the parameters given win over params.yaml
    assert "synthetic sample data" in fragment  # the input file is a SYNTHETIC_ one


def test_report_stops_clearly_without_processed_tables(tmp_path):
    from helpers.core.errors import InputMissingError

    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    with pytest.raises(InputMissingError, match="run the cleanse_referrals stage first"):
        referrals_report.load(tmp_path)
