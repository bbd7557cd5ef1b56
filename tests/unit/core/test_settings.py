"""Stage settings: every key present and of its type, nested sections, frozen values, clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass
from typing import Literal

import pytest

from helpers.core.errors import EXIT_CONFIGURATION, ConfigurationError
from helpers.core.settings import Settings


@dataclass(frozen=True)
class Band(Settings):
    good: float
    acceptable: float

    def validate(self, where: str) -> None:
        if self.acceptable > self.good:
            raise ConfigurationError(f"params.yaml {where}: acceptable above good")


@dataclass(frozen=True)
class Example(Settings):
    name: str
    weeks: int
    share: float
    policy: Literal["a", "b"]
    months: Literal["all"] | tuple[str, ...]
    band: Band
    aliases: Mapping[str, str]
    optional: str | None
    flag: bool = False


GOOD = {"name": "x", "weeks": 52, "share": 92, "policy": "a", "months": ["2025-12", "2026-01"],
        "band": {"good": 75, "acceptable": 50}, "aliases": {"DCGN": "DCG&N"}, "optional": None}


def test_a_good_section_is_checked_and_frozen():
    s = Example.of(GOOD, "example")
    assert s.months == ("2025-12", "2026-01") and s.band == Band(75, 50) and s.flag is False
    assert s.share == 92 and str(s.share) == "92"  # a whole number prints as written
    with pytest.raises(FrozenInstanceError):
        s.weeks = 1
    with pytest.raises(TypeError):
        s.aliases["X"] = "Y"
    assert s.as_dict() == {**GOOD, "flag": False}
    assert Example.of(s.as_dict(), "example") == s


@pytest.mark.parametrize("change, message", [
    ({"weeks": "52"}, r"example\.weeks: found '52', expected a whole number"),
    ({"weeks": True}, r"example\.weeks: found True, expected a whole number"),
    ({"share": "high"}, r"example\.share: found 'high', expected a number"),
    ({"policy": "c"}, r"example\.policy: found 'c', expected 'a' or 'b'"),
    ({"months": "some"}, r"example\.months: found 'some', expected 'all' or a list of text"),
    ({"months": ["2025-12", 3]}, r"example\.months: found \['2025-12', 3\]"),
    ({"band": {"good": 75}}, r"example\.band\.acceptable: missing \(expected a number\)"),
    ({"band": {"good": 50, "acceptable": 75}}, r"example\.band: acceptable above good"),
    ({"aliases": ["x"]}, r"example\.aliases: found \['x'\], expected a mapping of text"),
    ({"spare": 1}, r"example: unknown setting\(s\) spare \(this section takes name, weeks"),
])
def test_a_wrong_setting_names_its_key_and_what_was_expected(change, message):
    with pytest.raises(ConfigurationError, match=message) as err:
        Example.of({**GOOD, **change}, "example")
    assert err.value.exit_code == EXIT_CONFIGURATION


def test_a_missing_key_or_section_is_named():
    with pytest.raises(ConfigurationError, match=r"example\.weeks: missing \(expected a whole number\)"):
        Example.of({k: v for k, v in GOOD.items() if k != "weeks"}, "example")
    with pytest.raises(ConfigurationError, match=r"params.yaml example: expected a mapping of settings, found None"):
        Example.of(None, "example")
