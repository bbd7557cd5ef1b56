"""The scorecard's synthetic samples: seeded, in the publishers' formats with their traps, and
the same bytes as the committed samples in data/raw/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import support
from helpers.synthetic import scorecard as synthetic

ROOT = support.ROOT


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("raw")
    return {p.relative_to(out).as_posix(): p for p in synthetic.generate(out)}


def test_committed_samples_are_the_generators_output(generated):
    for name, path in generated.items():
        assert "SYNTHETIC" in path.name
        assert (ROOT / "data" / "raw" / name).read_bytes() == path.read_bytes(), f"run make sample: {name} is stale"


def test_formats_keep_the_publishers_traps(generated):
    ae = next(p for n, p in generated.items() if "93930" in n).read_bytes()
    assert b'"Phoenix PCN\r\n"' in ae
    payments = next(p for n, p in generated.items() if "22-23" in n).read_bytes()
    assert payments.startswith(b"\xef\xbb\xbf") and b"\r\n" in payments and not payments.endswith(b"\n")
    epraccur = next(p for n, p in generated.items() if "epraccur" in n)
    first = next(csv.reader(epraccur.open()))
    assert len(first) == 27 and first[0].startswith(("H82", "A82"))  # no header row
    imms = next(p for n, p in generated.items() if "immunisations" in n).read_text()
    assert '"  ' in imms  # left-padded Yet_to_receive


def test_readers_read_the_samples(generated):
    from helpers.sources import (
        child_immunisations,
        fingertips_practice,
        gp_payments,
        gp_practice_reference,
        qof_2020_21,
    )

    root = next(iter(generated.values())).parents[1]
    assert len(fingertips_practice.practices(fingertips_practice.read(
        next(fingertips_practice.files(root / "fingertips_practice").__iter__())))) == 24
    assert len(qof_2020_21.read_geography(root / "qof_2020_21")) == 24
    assert child_immunisations.read(child_immunisations.files(root / "child_immunisations")[0])["numerator"].isna().sum() == 1
    assert {gp_payments.read(p)["period"].iloc[0] for p in gp_payments.files(root / "gp_payments")} == {"2021/22", "2022/23"}
    assert gp_practice_reference.read_epraccur(root / "gp_practice_reference")["is_gp_practice"].all()


def test_same_seed_same_bytes(generated, tmp_path):
    again = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in synthetic.generate(tmp_path)}
    assert again == {n: p.read_bytes() for n, p in generated.items()}
