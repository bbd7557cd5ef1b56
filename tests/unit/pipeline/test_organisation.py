"""An ICB code the reference files do not know stops the run at once, naming the closest ones."""

from __future__ import annotations

import pytest

from helpers.core.errors import EXIT_CONFIGURATION, ConfigurationError
from helpers.pipeline import organisation
from support import REAL, ROOT


def test_known_icbs_counts_gp_practices_per_icb():
    known = organisation.known_icbs(REAL / "gp_practice_reference")
    assert known["QNX"] == 179 and len(known) > 40  # SOURCE.md's counts, GP practices only (setting 4)


@pytest.mark.parametrize("code", ["QNX", "QE1", "QOP"])
def test_a_known_code_passes(code):
    organisation.check(code, REAL / "gp_practice_reference")


def test_an_unknown_code_is_refused_with_the_closest(tmp_path):
    with pytest.raises(ConfigurationError, match=r"'QNY' is not an ICB code in the ODS practice list .*closest: .*QNX") as err:
        organisation.check("QNY", REAL / "gp_practice_reference")
    assert err.value.exit_code == EXIT_CONFIGURATION
    organisation.check("QNY", tmp_path)  # no reference file: the organisation stage says so itself
    organisation.check("QE1", ROOT / "data" / "raw" / "gp_practice_reference")
