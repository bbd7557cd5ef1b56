"""Names that are markup or spreadsheet formulas, published: harmless in every page and download.

The ``published_real`` run reads the referral gateway, QIPP tracker and action plan samples from
a folder in which some names were replaced (``bad_inputs.mutations.HOSTILE_NAMES``): a scheme,
an action and a practice named ``<script>alert(1)</script>``, others ``=HYPERLINK(...)``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from bad_inputs.mutations import FORMULA, SCRIPT
from support import scratch, settings_for

pytestmark = pytest.mark.e2e

# a script element whose text is the data's: the pages' own scripts (nbconvert's) never say alert(1)
SCRIPT_FROM_DATA = re.compile(r"<\s*script\b[^>]*>[^<]*alert\(1\)", re.I)


def _edition(project: Path) -> Path:
    return (project / "reports" / "latest").resolve()


def test_no_published_page_runs_script_from_the_data(published_real):
    edition = _edition(published_real)
    pages = sorted(edition.rglob("*.html")) + [published_real / "reports" / "index.html"]
    assert len(pages) > 80 and any("data-docs" in p.parts for p in pages) and any("packs" in p.parts for p in pages)
    found = [str(p.relative_to(edition.parent)) for p in pages if SCRIPT_FROM_DATA.search(p.read_text(encoding="utf-8"))]
    assert not found, f"unescaped script from input data in {found}"


@pytest.mark.parametrize("page", ["qipp-savings.html", "action-plan.html", "referral-gateway.html", "board-paper.html"])
def test_the_names_are_shown_escaped(published_real, page):
    """The reader sees the name as written (escaped text), not a blank where markup was swallowed."""
    source = (_edition(published_real) / page).read_text(encoding="utf-8")
    assert "&lt;script&gt;" in source  # escaped in the page,
    assert SCRIPT in BeautifulSoup(source, "html.parser").get_text()  # and read as written


def _download(project: Path, table: str) -> list[dict]:
    with open(_edition(project) / "downloads" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("table,column", [("qipp_schemes", "scheme"), ("actions_plan", "action")])
def test_formula_names_are_neutralised_in_downloads(published_real, table, column):
    rows = _download(published_real, table)
    assert "'" + FORMULA in [r[column] for r in rows]
    assert SCRIPT in [r[column] for r in rows]  # not formula text: as written
    starts = [v for r in rows for v in r.values() if v and v[0] in "=+@\t\r"]
    assert not starts, f"cells a spreadsheet would run as formulas: {starts[:3]}"


# decimals each page prints: QIPP amounts in £m to one place and whole percentages delivered,
# referral percentages to one place; every other number is a count
PRINTED = {"qipp_schemes": {"pct_delivered": 0, "plan": 1, "due": 1, "delivered": 1, "forecast": 1, "best": 1,
                            "middle": 1, "worse": 1, "variance_sheet": 1, "variance": 1},
           "referrals_monthly": {"pct_returned_or_cancelled": 1, "pct_urgent_booked_48h": 1, "pct_urgent_booked_5d": 1},
           "actions_plan": {}}


@pytest.mark.parametrize("table", ["qipp_schemes", "actions_plan", "referrals_monthly"])
def test_downloads_keep_the_numbers(published_real, table):
    """Every number column of the download reads back as the processed table's values, rounded as printed."""
    processed = pd.read_parquet(published_real / "data" / "processed" / f"{table}.parquet")
    download = pd.read_csv(_edition(published_real) / "downloads" / f"{table}.csv", encoding="utf-8-sig")
    assert len(download) == len(processed)
    numeric = [c for c in processed.columns if pd.api.types.is_numeric_dtype(processed[c])
               and not pd.api.types.is_bool_dtype(processed[c])]
    assert numeric
    for column in numeric:
        digits = PRINTED[table].get(column, 0)
        expected = processed[column].astype(float).map(lambda v, d=digits: v if pd.isna(v) else float(f"{v:.{d}f}"))
        pd.testing.assert_series_equal(download[column].astype(float), expected,
                                       check_names=False, obj=f"{table}.{column}")


def test_only_names_changed_not_counts(published_real, tmp_path, root):
    """The trackers cleansed from the untouched samples give the same figures as the run on hostile names."""
    from helpers.domains.actions import cleanse as actions_cleanse
    from helpers.domains.qipp import cleanse as qipp_cleanse

    raw = root / "data" / "raw"
    qipp_cleanse.run({"qipp_tracker": raw / "qipp_tracker"}, settings_for("cleanse_qipp"), scratch(tmp_path))
    actions_cleanse.run({"action_plan": raw / "action_plan"}, settings_for("cleanse_actions"), scratch(tmp_path))
    names = {"qipp_schemes": ["scheme"], "actions_plan": ["action"], "actions_milestones": []}
    for table, renamed in names.items():
        clean = pd.read_parquet(tmp_path / "data" / "processed" / f"{table}.parquet")
        published = pd.read_parquet(published_real / "data" / "processed" / f"{table}.parquet")
        kept = [c for c in clean.columns if c not in renamed]
        pd.testing.assert_frame_equal(published[kept], clean[kept], obj=table)
        if renamed:
            changed = (published[renamed] != clean[renamed]).any(axis=1)
            assert changed.sum() == 2, f"{table}: expected the two renamed rows, got {changed.sum()}"
